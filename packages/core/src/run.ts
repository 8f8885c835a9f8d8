import type { CandidateConfig } from './contract.js';
import { InputError } from './errors.js';
import { type FeatureTable, buildFeatureTable } from './features.js';
import { runWalkForward, sealConfig } from './harness.js';
import {
  type RobustnessProbe,
  type Split,
  candidateMetrics,
  perf,
  roundHalfEven,
  splitMonths,
} from './metrics.js';
import {
  RUN_ALL_DD_CAPS,
  dynamicScore,
  isDynamic,
  promotionScore,
  scoreCandidate,
  selectBest,
} from './objectives.js';
import type { SleevePanel } from './panel.js';
import type { FamilyRegistry } from './registry.js';
import {
  type Benchmarks,
  type EvaluatedCandidate,
  OBJECTIVES,
  type ObjectiveName,
  type ObjectiveRun,
  type WalkForwardPath,
} from './results.js';
import { correlation } from './stats.js';

export interface RunOptions {
  /** Start capital K (default 10 000). */
  readonly startCapital: number;
  /** Share of aligned months in train (default 0.60). */
  readonly trainRatio: number;
  /** Rows of Z before the first decision (default 24). */
  readonly minHistory: number;
  /** Seed for every random source (families, bootstrap). */
  readonly seed: number;
  /** Yearly financing rate of leverage above 1, in basis points (default 0). */
  readonly financingBpsPerYear?: number;
}

export const DEFAULT_RUN_OPTIONS: RunOptions = Object.freeze({
  startCapital: 10_000,
  trainRatio: 0.6,
  minHistory: 24,
  seed: 42,
});

/** Everything derived from the data before any candidate runs. */
export interface PreparedRun {
  readonly panel: SleevePanel;
  readonly table: FeatureTable;
  readonly split: Split;
  readonly options: RunOptions;
}

export function validateRunOptions(o: RunOptions): void {
  const bad = (option: string, v: unknown, expected: string) =>
    new InputError(`option ${option}: expected ${expected}, got ${JSON.stringify(v)}`, { field: option });
  if (!(Number.isFinite(o.startCapital) && o.startCapital > 0))
    throw bad('--start-capital', o.startCapital, 'a number > 0');
  if (!(o.trainRatio > 0 && o.trainRatio < 1)) throw bad('--train-ratio', o.trainRatio, 'a number in (0, 1)');
  if (!(Number.isInteger(o.minHistory) && o.minHistory >= 1)) {
    throw bad('--min-history-months', o.minHistory, 'an integer >= 1');
  }
  if (!(Number.isInteger(o.seed) && o.seed >= 0 && o.seed <= 0xffffffff))
    throw bad('--seed', o.seed, 'an integer in [0, 2^32)');
}

/** Split, features and the Z-length check (docs/model/inputs.md and features.md). */
export function prepareRun(panel: SleevePanel, options: RunOptions = DEFAULT_RUN_OPTIONS): PreparedRun {
  validateRunOptions(options);
  const table = buildFeatureTable(panel);
  const needed = Math.max(options.minHistory + 12, 36);
  if (table.length < needed) {
    throw new InputError(
      `too little history: ${table.length} months have all features (from ${panel.monthEnds.length} aligned), ` +
        `need at least ${needed} (min history ${options.minHistory} + 12, and at least 36)`,
    );
  }
  const split = splitMonths(panel.monthEnds, options.trainRatio);
  checkSplit(panel, split, options);
  return { panel, table, split, options };
}

/**
 * The train/test split must be the one `--train-ratio` asks for, and the walk-forward path must
 * have train months. `splitMonths` clamps the split to at least 24 train and 12 test months (the
 * reference's rule, defined there once); a ratio it has to clamp is refused instead of silently
 * changed. 12 test months is one year: the least that annualised test metrics (CAGR, Calmar)
 * and a block bootstrap of the test returns can stand on.
 */
function checkSplit(panel: SleevePanel, split: Split, options: RunOptions): void {
  const n = panel.monthEnds.length;
  const asked = roundHalfEven(options.trainRatio * n);
  const ratio = options.trainRatio;
  if (asked < split.index) {
    throw new InputError(
      `option --train-ratio: ${ratio} puts ${asked} of the ${n} aligned months in train; ` +
        `at least ${split.index} train months are needed (use a larger ratio)`,
      { field: '--train-ratio' },
    );
  }
  const minTest = n - splitMonths(panel.monthEnds, 1).index;
  if (asked > split.index) {
    throw new InputError(
      `option --train-ratio: ${ratio} leaves ${n - asked} of the ${n} aligned months for test; ` +
        `at least ${minTest} test months are needed (use a smaller ratio)`,
      { field: '--train-ratio' },
    );
  }
}

export interface ProgressEvent {
  readonly done: number;
  readonly total: number;
  readonly candidate: string;
  readonly error?: string;
}

/** Simulate one candidate and compute its metrics; a failure is recorded, not thrown. */
export async function evaluateCandidate(
  candidate: CandidateConfig,
  registry: FamilyRegistry,
  prepared: PreparedRun,
  probe: RobustnessProbe,
): Promise<EvaluatedCandidate> {
  // What is simulated and what is reported is this frozen copy, whatever the family does.
  const config = sealConfig(candidate);
  const family = registry.require(config.method, config.name);
  const meta = { name: family.meta.name, version: family.meta.version };
  try {
    const path = await runWalkForward(family, config, prepared.table, {
      minHistory: prepared.options.minHistory,
      seed: prepared.options.seed,
      financingBpsPerYear: prepared.options.financingBpsPerYear ?? 0,
    });
    const metrics = candidateMetrics(path, prepared.split, prepared.options.startCapital, probe, config.name);
    return { config, family: meta, path, metrics };
  } catch (e) {
    if (e instanceof InputError) throw e;
    const message = e instanceof Error ? e.message : String(e);
    return { config, family: meta, error: message };
  }
}

/** Simulate every candidate once (paths do not depend on the objective). */
export async function evaluateCandidates(
  grid: readonly CandidateConfig[],
  registry: FamilyRegistry,
  prepared: PreparedRun,
  probe: RobustnessProbe,
  onProgress?: (e: ProgressEvent) => void,
): Promise<EvaluatedCandidate[]> {
  const out: EvaluatedCandidate[] = [];
  // Sealed before any family code runs: a family holding its grid's objects cannot change later candidates.
  for (const config of grid.map(sealConfig)) {
    const result = await evaluateCandidate(config, registry, prepared, probe);
    out.push(result);
    onProgress?.({ done: out.length, total: grid.length, candidate: config.name, error: result.error });
  }
  return out;
}

/** Score every evaluated candidate under one objective and select (docs/model/objectives.md). */
export function runObjective(
  evaluated: readonly EvaluatedCandidate[],
  objective: ObjectiveName,
  ddCap: number = RUN_ALL_DD_CAPS[objective],
  extraGates?: (c: EvaluatedCandidate) => readonly string[],
): ObjectiveRun {
  const ok = evaluated.filter((c) => c.metrics);
  const failed = evaluated.filter((c) => !c.metrics);
  const scored = ok.map((c) => {
    const s = scoreCandidate(c, objective, ddCap);
    const extra = extraGates?.(c) ?? [];
    return extra.length === 0 ? s : { ...s, robustPass: false, failedGates: [...s.failedGates, ...extra] };
  });
  const { selected, withoutGate } = selectBest(scored);
  return { objective, ddCap, scored, failed, selected, selectedWithoutGate: withoutGate };
}

export interface Promotion {
  /** Runs whose selected test maxDD is within the promotion cap (else all runs). */
  readonly eligible: readonly ObjectiveName[];
  readonly eligibleFallback: boolean;
  readonly promoted: { objective: ObjectiveName; score: number };
  /** The best truly dynamic run, or why there is none. */
  readonly dynamic: { objective: ObjectiveName; score: number } | { none: string };
}

/** Promotion of a best run and a best dynamic run (docs/model/objectives.md). */
export function promote(
  runs: readonly ObjectiveRun[],
  promoteDdCap: number,
  isStaticFamily: (method: string) => boolean,
  notPromotable: Partial<Record<ObjectiveName, string>> = {},
): Promotion {
  const metricsOf = (r: ObjectiveRun) => r.selected.candidate.metrics!;
  const within = runs.filter(
    (r) => metricsOf(r).test.max_drawdown <= promoteDdCap && !notPromotable[r.objective],
  );
  const eligible = within.length > 0 ? within : runs;
  const best = <T>(pool: readonly ObjectiveRun[], score: (r: ObjectiveRun) => number) =>
    pool.reduce<{ run: ObjectiveRun; score: number } | undefined>((acc, r) => {
      const s = score(r);
      return !acc || s > acc.score ? { run: r, score: s } : acc;
    }, undefined);
  const top = best(eligible, (r) => promotionScore(metricsOf(r)))!;
  const dynamicRuns = runs.filter((r) =>
    isDynamic(metricsOf(r), isStaticFamily(r.selected.candidate.config.method)),
  );
  const eligibleDynamic = dynamicRuns.filter((r) => eligible.includes(r));
  const dynPool = eligibleDynamic.length > 0 ? eligibleDynamic : dynamicRuns;
  const dyn = best(dynPool, (r) => dynamicScore(metricsOf(r)));
  return {
    eligible: eligible.map((r) => r.objective),
    eligibleFallback: within.length === 0,
    promoted: { objective: top.run.objective, score: top.score },
    dynamic: dyn
      ? { objective: dyn.run.objective, score: dyn.score }
      : {
          none:
            'no objective selected a dynamic candidate (non-static family, average turnover >= 0.02 ' +
            'and no sleeve above 0.92 average weight)',
        },
  };
}

/**
 * Every sleeve alone and the monthly-rebalanced equal weight over a path's
 * window, and the sleeves' correlation matrix over all aligned months.
 */
export function benchmarks(panel: SleevePanel, path: WalkForwardPath, startCapital: number): Benchmarks {
  const n = path.sleeveReturns.length;
  const equal = new Float64Array(path.retNet.length);
  // Two sleeves: 0.5 * rA + 0.5 * rB, the reference's 50/50 (1/2 is exact).
  for (let k = 0; k < equal.length; k++) {
    let r = 0;
    for (let s = 0; s < n; s++) r += (1 / n) * path.sleeveReturns[s][k];
    equal[k] = r;
  }
  const matrix = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    matrix[a * n + a] = 1;
    for (let b = a + 1; b < n; b++) {
      const c = correlation(panel.returns[a], panel.returns[b]);
      matrix[a * n + b] = c;
      matrix[b * n + a] = c;
    }
  }
  return {
    sleeves: path.sleeveReturns.map((r) => perf(r, startCapital)),
    equal: perf(equal, startCapital),
    correlation: matrix,
  };
}

export interface RunAllOptions {
  /** Objectives to run, in order (default all four). */
  readonly objectives?: readonly ObjectiveName[];
  /** dd cap per objective (default the reference run-all caps). */
  readonly ddCaps?: Partial<Record<ObjectiveName, number>>;
  /** Promotion dd cap on the selected candidate's test maxDD (default 0.30). */
  readonly promoteDdCap?: number;
  /** Optional gates beyond the reference's: names of the checks a candidate fails (e.g. a minimum DSR). */
  readonly extraGates?: (c: EvaluatedCandidate) => readonly string[];
  /** Objective runs that may not be promoted, with the reason (e.g. PBO above a cap). */
  readonly notPromotable?: Partial<Record<ObjectiveName, string>>;
  readonly onProgress?: (e: ProgressEvent) => void;
}

export interface RunAllResult {
  readonly prepared: PreparedRun;
  readonly evaluated: readonly EvaluatedCandidate[];
  readonly runs: readonly ObjectiveRun[];
  readonly promotion: Promotion;
}

/**
 * Each objective's scores and selected candidate, in objective order: the
 * first half of `scoreRunAll`, on its own for a caller that wants the
 * selection before the promotion (e.g. to start on its charts).
 */
export function selectRuns(
  evaluated: readonly EvaluatedCandidate[],
  options: Pick<RunAllOptions, 'objectives' | 'ddCaps' | 'extraGates'> = {},
): ObjectiveRun[] {
  const objectives = options.objectives ?? OBJECTIVES;
  if (!evaluated.some((c) => c.metrics)) {
    const first = evaluated.find((c) => c.error);
    throw new Error(`every candidate failed; first failure: ${first?.config.name}: ${first?.error}`);
  }
  return objectives.map((o) =>
    runObjective(evaluated, o, options.ddCaps?.[o] ?? RUN_ALL_DD_CAPS[o], options.extraGates),
  );
}

/**
 * The scoring half of a run (docs/model/objectives.md): score every evaluated
 * candidate under each objective, select per objective, promote a best and a
 * best dynamic run. `runs`: the selection already made by `selectRuns` with
 * these options. The whole run, simulation in workers and overfitting
 * statistics included, is `runStep4` in `@step4/engine`.
 */
export function scoreRunAll(
  evaluated: readonly EvaluatedCandidate[],
  registry: FamilyRegistry,
  prepared: PreparedRun,
  options: RunAllOptions = {},
  runs: readonly ObjectiveRun[] = selectRuns(evaluated, options),
): RunAllResult {
  const promotion = promote(
    runs,
    options.promoteDdCap ?? 0.3,
    (method) => registry.get(method)?.isStatic === true,
    options.notPromotable,
  );
  return { prepared, evaluated, runs, promotion };
}
