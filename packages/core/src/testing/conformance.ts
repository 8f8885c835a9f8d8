import {
  CORE_API_VERSION,
  type CandidateConfig,
  type CandidateFamily,
  type Decision,
  candidate,
  isDecisionCostHint,
  supportsSleeveCount,
} from '../contract.js';
import { type FeatureTable, buildFeatureTable, decisionShape } from '../features.js';
import {
  DecisionError,
  type FamilyCall,
  callFamily,
  decisionContext,
  familyDecisions,
  sameValues,
  sealConfig,
  walkForwardSteps,
} from '../harness.js';
import type { SleevePanel } from '../panel.js';
import { validateCandidate } from '../registry.js';
import { referencePanel } from './reference-panel.js';
import { syntheticPanel } from './synthetic.js';

/** The checks of the kit, in the order they are made for each candidate. */
export const CONFORMANCE_CHECKS = [
  'valid-grid',
  'valid-outputs',
  'inputs-unchanged',
  'config-unchanged',
  'determinism',
  'order-independence',
  'batched-equals-stepwise',
  'no-look-ahead',
  'prefix-invariance',
] as const;

export type ConformanceCheckName = (typeof CONFORMANCE_CHECKS)[number];

/** Where and why a check failed. */
export interface ConformanceFailure {
  readonly family: string;
  readonly check: ConformanceCheckName;
  readonly candidate?: string;
  readonly panel?: string;
  /** First month whose decision (or inputs) showed the failure, when there is one. */
  readonly month?: string;
  readonly detail: string;
}

/** A conformance check failed; the message names family, candidate, check and month. */
export class ConformanceError extends Error {
  override readonly name = 'ConformanceError';
  readonly failure: ConformanceFailure;

  constructor(failure: ConformanceFailure) {
    const where = [
      `family ${failure.family}`,
      failure.candidate && `candidate ${failure.candidate}`,
      failure.panel && `panel ${failure.panel}`,
    ].filter(Boolean);
    super(`${where.join(', ')}: ${failure.check} failed: ${failure.detail}`);
    this.failure = failure;
  }
}

/** A candidate of another family, run before this family's candidates by the order-independence check. */
export interface OtherCandidate {
  readonly family: CandidateFamily;
  readonly config: CandidateConfig;
}

export interface ConformanceOptions {
  /** Candidates to check (default: the family's whole default grid). */
  readonly configs?: readonly CandidateConfig[];
  /** Check at most this many of them, spread over the list, first and last included (default all). */
  readonly maxCandidates?: number;
  /**
   * Panels to run on; those with a sleeve count the family does not support
   * are skipped. Default: the embedded real sleeves and two seeded synthetic
   * two-sleeve panels, and two seeded four-sleeve panels.
   */
  readonly panels?: readonly SleevePanel[];
  /** Rows of Z before the first decision (default 24). */
  readonly minHistory?: number;
  /** Seed handed to the family (default 42). */
  readonly seed?: number;
  /** How many cut months to perturb at, spread over the walk-forward range (default 4). */
  readonly cuts?: number;
  /**
   * How many months (spread over the range, first and last included) to
   * re-decide one at a time with `decide` when the family also has
   * `decidePath` (default 12; Infinity checks every month).
   */
  readonly stepwiseMonths?: number;
  /**
   * Candidates of other families run before each of this family's candidates
   * (order-independence). Default: one candidate of a fixed-mix family.
   */
  readonly others?: readonly OtherCandidate[];
}

export interface ConformanceCheck {
  readonly check: ConformanceCheckName;
  readonly candidate: string;
  readonly panel: string;
}

export interface ConformanceReport {
  readonly family: string;
  readonly checks: readonly ConformanceCheck[];
}

/** The kit's verdict without throwing: the checks that passed and the first failure, if any. */
export interface ConformanceResult extends ConformanceReport {
  readonly passed: boolean;
  readonly failure?: ConformanceFailure;
}

interface Decided {
  readonly months: readonly string[];
  readonly decisions: readonly Decision[];
}

/** A fixed mix: the default "other family" of the order-independence check. */
const fixedMix: CandidateFamily = {
  meta: { name: 'fixed_mix', version: '1.0.0', coreApi: CORE_API_VERSION },
  params: {},
  isStatic: true,
  sleeves: { min: 2 },
  defaultGrid: () => [candidate('fixed_mix_w30', 'fixed_mix')],
  decide: (ctx) => {
    const n = ctx.sleeveNames.length;
    return {
      wRaw: n === 2 ? 0.3 : Array.from({ length: n }, (_, s) => (s === 0 ? 0.3 : 0.7 / (n - 1))),
      conf: 0,
    };
  },
};

/** Raw weights as a list (a scalar stays one number). */
function rawList(w: Decision['wRaw'] | undefined): number[] {
  if (typeof w === 'number') return [w];
  return w && typeof (w as ArrayLike<number>).length === 'number'
    ? Array.from(w as ArrayLike<number>)
    : [Number.NaN];
}

function same(a: Decision, b: Decision): boolean {
  const x = rawList(a?.wRaw);
  const y = rawList(b?.wRaw);
  return x.length === y.length && x.every((v, i) => Object.is(v, y[i])) && Object.is(a?.conf, b?.conf);
}

/** A decision the harness accepts for `n` sleeves: finite raw weights (a scalar only for two) and conf in [0, 1]. */
function validDecision(d: Decision | undefined, n: number): boolean {
  if (!d || !(d.conf >= 0 && d.conf <= 1)) return false;
  const w = rawList(d.wRaw);
  return (typeof d.wRaw === 'number' ? n === 2 : w.length === n) && w.every(Number.isFinite);
}

/** The first field where two configs differ, as `field: a -> b`, or undefined. */
function configDiff(before: CandidateConfig, after: CandidateConfig): string | undefined {
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const a = JSON.stringify(before[k]);
    const b = JSON.stringify(after[k]);
    if (a !== b) return `${k}: ${a ?? 'missing'} -> ${b ?? 'deleted'}`;
  }
  return undefined;
}

/** A plain, writable deep copy of a config (what a family would get without sealing). */
function writableCopy(config: CandidateConfig): CandidateConfig {
  return JSON.parse(JSON.stringify(config)) as CandidateConfig;
}

/** Runs one family's candidates on one table and turns every violation into a ConformanceError. */
class Runner {
  constructor(
    readonly family: CandidateFamily,
    readonly minHistory: number,
    readonly seed: number,
  ) {}

  fail(
    check: ConformanceCheckName,
    where: { candidate?: string; panel?: string; month?: string },
    detail: string,
  ): never {
    throw new ConformanceError({ family: this.family.meta.name, check, ...where, detail });
  }

  /**
   * Every input a call was handed must still equal the table (the harness
   * keeps its own copy; a write means the family assumed it owned shared data).
   */
  private inputsChecked(table: FeatureTable, config: CandidateConfig, panel: string) {
    return (call: FamilyCall) => {
      const f = table.featureNames.length;
      const changed: string[] = [];
      if (call.kind === 'decidePath') {
        const p = call.panel;
        table.returns.forEach((r, s) => {
          if (!sameValues(p.returns[s], r)) changed.push(`panel.returns[${s}]`);
        });
        if (!sameValues(p.features, table.features)) changed.push('panel.features');
      } else {
        const { ctx, step } = call;
        const h = ctx.history;
        if (!sameValues(ctx.features, table.features.subarray(step * f, (step + 1) * f)))
          changed.push('ctx.features');
        table.returns.forEach((r, s) => {
          if (!sameValues(h.returns[s], r.subarray(0, step))) changed.push(`ctx.history.returns[${s}]`);
        });
        if (!sameValues(h.features, table.features.subarray(0, step * f)))
          changed.push('ctx.history.features');
      }
      if (changed.length > 0) {
        const month = call.kind === 'decide' ? table.monthEnds[call.step] : undefined;
        this.fail(
          'inputs-unchanged',
          { candidate: config.name, panel, month },
          `${call.kind} wrote to ${changed.join(', ')} (inputs are read-only: other candidates use the same data)`,
        );
      }
      const diff = configDiff(config, call.config);
      if (diff)
        this.fail(
          'config-unchanged',
          { candidate: config.name, panel },
          `${call.kind} changed its config (${diff})`,
        );
    };
  }

  /** The family's decisions through the harness, with its inputs checked after every call. */
  async run(config: CandidateConfig, table: FeatureTable, panel: string): Promise<Decided> {
    // A macrotask turn between runs: a family that computes synchronously would otherwise hold the
    // event loop for the whole kit (test runners then lose contact with the thread).
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    const opts = { minHistory: this.minHistory, seed: this.seed };
    const steps = walkForwardSteps(table, this.minHistory);
    const months = steps.map((i) => table.monthEnds[i]);
    try {
      const decisions = await familyDecisions(
        this.family,
        config,
        table,
        opts,
        this.inputsChecked(table, config, panel),
      );
      return { months, decisions };
    } catch (e) {
      if (e instanceof ConformanceError) throw e;
      const message = e instanceof Error ? e.message : String(e);
      if (!(e instanceof DecisionError)) {
        // A write to the frozen config throws in strict mode: find out whether that is what happened.
        const diff = await this.configWrites(config, table);
        if (diff)
          this.fail(
            'config-unchanged',
            { candidate: config.name, panel },
            `the family writes to its config (${diff}): ${message}`,
          );
      }
      this.fail('valid-outputs', { candidate: config.name, panel }, `the family threw: ${message}`);
    }
  }

  /** Hand a writable copy of the config; the field the family changed, if any. */
  async configWrites(config: CandidateConfig, table: FeatureTable): Promise<string | undefined> {
    const copy = writableCopy(config);
    try {
      await callFamily(this.family, copy, table, { minHistory: this.minHistory, seed: this.seed });
    } catch {
      // Only the writes matter here.
    }
    return configDiff(config, copy);
  }
}

/** Panel whose returns from aligned index `cut` on are replaced by other (seeded, plausible) values. */
export function poisonFuture(panel: SleevePanel, cut: number, seed: number): SleevePanel {
  const returns = panel.returns.map((r) => r.slice());
  let x = (seed ^ 0x5bd1e995) >>> 0;
  const rand = () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 0x100000000;
  };
  for (let t = cut; t < panel.monthEnds.length; t++) {
    // Sleeve 0 calm, the others wild (the two-sleeve draws are the same as before N sleeves).
    returns.forEach((r, s) => {
      r[t] = s === 0 ? rand() * 1.6 - 0.6 : rand() * 3 - 0.9;
    });
  }
  return { ...panel, returns };
}

/** The panel cut after aligned index `cut` (exclusive end). */
export function truncatePanel(panel: SleevePanel, end: number): SleevePanel {
  return {
    ...panel,
    monthEnds: panel.monthEnds.slice(0, end),
    returns: panel.returns.map((r) => r.slice(0, end)),
  };
}

/** Up to `count` of the configs, spread over the list, first and last included. */
function pick<T>(items: readonly T[], count: number | undefined): T[] {
  return count === undefined ? [...items] : spread(items.length, count).map((k) => items[k]);
}

/**
 * Run the conformance kit on a family. Rejects with a `ConformanceError` at the
 * first violation; resolves to the list of checks that passed.
 *
 * - valid-grid: there are candidates, and each is valid for the family.
 * - valid-outputs: every decision has a finite w_raw and conf in [0, 1], and
 *   the family does not throw.
 * - inputs-unchanged: after every call, everything the family was handed
 *   (panel, context, history) still equals the harness's own data.
 * - config-unchanged: the family never writes to its config (it is frozen in a
 *   run, so a write throws in strict mode; the kit also hands a writable copy
 *   and compares it with the original).
 * - determinism: the same candidate run twice in a row gives bit-identical
 *   decisions.
 * - order-independence: a candidate's decisions do not depend on which
 *   candidates ran before it (its family's previous or later candidates, or
 *   another family's candidate); module-level memory shows up here.
 * - batched-equals-stepwise: a family with `decidePath` gives exactly what
 *   `decide` gives month by month.
 * - no-look-ahead (future poisoning): returns from month t on are replaced;
 *   every decision for months up to and including t must stay bit-identical
 *   (month t's decision may only read data before t).
 * - prefix-invariance: with the data ending at month t, the decisions up to t
 *   are bit-identical to those made with the full data.
 *
 * The kit hands the family exactly what a run hands it (the same functions
 * build the inputs) and exposes no sign that it is running.
 */
export async function runConformance(
  family: CandidateFamily,
  options: ConformanceOptions = {},
): Promise<ConformanceReport> {
  return conformance(family, options, []);
}

async function conformance(
  family: CandidateFamily,
  options: ConformanceOptions,
  checks: ConformanceCheck[],
): Promise<ConformanceReport> {
  const name = family.meta.name;
  const minHistory = options.minHistory ?? 24;
  const seed = options.seed ?? 42;
  const cuts = options.cuts ?? 4;
  const allPanels = options.panels ?? [
    referencePanel(),
    syntheticPanel({ months: 96, seed: 7 }),
    syntheticPanel({ months: 72, seed: 1234, crashMonths: 3 }),
    syntheticPanel({ months: 96, seed: 11, sleeves: 4 }),
    syntheticPanel({ months: 72, seed: 4321, sleeves: 4, crashMonths: 3 }),
  ];
  const others = options.others ?? [{ family: fixedMix, config: fixedMix.defaultGrid()[0] }];
  const runner: Runner = new Runner(family, minHistory, seed);
  const panels = allPanels.filter((p) => supportsSleeveCount(family, p.names.length));
  if (panels.length === 0) {
    runner.fail(
      'valid-grid',
      {},
      `no panel with a sleeve count the family supports (panels have ${[...new Set(allPanels.map((p) => p.names.length))].join(', ')} sleeves)`,
    );
  }
  // The candidates for one panel's sleeves (a grid may depend on them), checked once per sleeve set.
  const gridChecked = new Map<string, CandidateConfig[]>();
  const candidatesFor = (panel: SleevePanel): CandidateConfig[] => {
    const key = panel.names.join('\u0000');
    const known = gridChecked.get(key);
    if (known) return known;
    let all: readonly CandidateConfig[];
    try {
      all = options.configs ?? family.defaultGrid({ names: panel.names });
    } catch (e) {
      runner.fail('valid-grid', {}, `defaultGrid threw: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!Array.isArray(all) || all.length === 0)
      runner.fail('valid-grid', {}, 'no candidates to check (empty default grid)');
    const configs = pick(all, options.maxCandidates);
    const shape = decisionShape(panel.names);
    for (const config of configs) {
      try {
        validateCandidate(config, family);
      } catch (e) {
        runner.fail(
          'valid-grid',
          { candidate: String(config?.name) },
          e instanceof Error ? e.message : String(e),
        );
      }
      if (family.decisionCost) {
        // The engine ignores a hint that is not a positive number or throws; in the family's own tests it is a bug.
        let cost: unknown;
        try {
          cost = family.decisionCost(config, shape);
        } catch (e) {
          cost = `an error (${e instanceof Error ? e.message : String(e)})`;
        }
        if (!isDecisionCostHint(cost))
          runner.fail(
            'valid-grid',
            { candidate: String(config?.name) },
            `decisionCost gave ${String(cost)} for ${shape.sleeves} sleeves, not a positive number of milliseconds`,
          );
      }
      checks.push({ check: 'valid-grid', candidate: config.name, panel: `${panel.names.length} sleeves` });
    }
    gridChecked.set(key, configs);
    return configs;
  };
  const pass = (check: ConformanceCheckName, candidate: string, panel: string) =>
    checks.push({ check, candidate, panel });

  for (const [p, panel] of panels.entries()) {
    const panelName = `#${p} (${panel.names.length} sleeves, ${panel.monthEnds.length} months from ${panel.monthEnds[0]})`;
    const configs = candidatesFor(panel);
    const table = buildFeatureTable(panel);
    const settled = new Map<string, Decided>();
    for (const config of configs) {
      const c = config.name;
      const where = (month?: string) => ({ candidate: c, panel: panelName, month });
      // First run: after whatever ran before (the previous candidate, or nothing).
      const first = await runner.run(config, table, panelName);
      first.decisions.forEach((d, k) => {
        if (!validDecision(d, panel.names.length)) {
          runner.fail('valid-outputs', where(first.months[k]), `w_raw ${d?.wRaw}, conf ${d?.conf}`);
        }
      });
      pass('valid-outputs', c, panelName);
      pass('inputs-unchanged', c, panelName);

      // A writable copy shows writes a sloppy-mode family would make silently to a frozen config.
      const written = await runner.configWrites(config, table);
      if (written) runner.fail('config-unchanged', where(), `the family writes to its config (${written})`);
      pass('config-unchanged', c, panelName);

      // Determinism compares two runs with the same predecessor (the candidate itself).
      const second = await runner.run(config, table, panelName);
      const third = await runner.run(config, table, panelName);
      compareAll(second, third, (month, a, b) =>
        runner.fail('determinism', where(month), `run twice in a row: ${show(a)} then ${show(b)}`),
      );
      pass('determinism', c, panelName);
      compareAll(second, first, (month, a, b) =>
        runner.fail(
          'order-independence',
          where(month),
          `after the previous candidate ${show(b)}, after itself ${show(a)} (state kept between candidates?)`,
        ),
      );
      settled.set(c, second);

      if (family.decidePath) {
        const allSteps = walkForwardSteps(table, minHistory);
        const sealed = sealConfig(config);
        for (const k of spread(allSteps.length, options.stepwiseMonths ?? 12)) {
          const i = allSteps[k];
          const ctx = decisionContext(table, i, seed);
          let stepwise: Decision;
          try {
            stepwise = await family.decide(ctx, sealed);
          } catch (e) {
            runner.fail('batched-equals-stepwise', where(table.monthEnds[i]), `decide threw: ${String(e)}`);
          }
          if (!same(stepwise, second.decisions[k])) {
            runner.fail(
              'batched-equals-stepwise',
              where(table.monthEnds[i]),
              `decidePath ${show(second.decisions[k])}, decide ${show(stepwise)}`,
            );
          }
        }
        pass('batched-equals-stepwise', c, panelName);
      }

      // Cut months spread over the walk-forward range (by aligned index).
      const firstIdx = panel.monthEnds.indexOf(second.months[0]);
      const lastIdx = panel.monthEnds.length - 1;
      for (let j = 0; j < cuts && second.months.length > 1; j++) {
        const cut = firstIdx + Math.floor(((j + 0.5) * (lastIdx - firstIdx)) / cuts);
        const cutMonth = panel.monthEnds[cut];
        const poisonedPanel = poisonFuture(panel, cut, seed + j);
        const poisoned = await runner.run(config, buildFeatureTable(poisonedPanel), panelName);
        compareUpTo(second, poisoned, cutMonth, (month, a, b) =>
          runner.fail(
            'no-look-ahead',
            where(month),
            `returns from ${cutMonth} on were changed and the decision for ${month} moved: ${show(a)} -> ${show(b)}`,
          ),
        );
        const prefixPanel = truncatePanel(panel, cut + 1);
        const prefix = await runner.run(config, buildFeatureTable(prefixPanel), panelName);
        compareUpTo(second, prefix, cutMonth, (month, a, b) =>
          runner.fail(
            'prefix-invariance',
            where(month),
            `with data ending ${cutMonth} the decision for ${month} is ${show(b)}, with full data ${show(a)}`,
          ),
        );
      }
      pass('no-look-ahead', c, panelName);
      pass('prefix-invariance', c, panelName);
    }

    // Reverse order, each candidate after the family's later candidates and another family's.
    for (const config of [...configs].reverse()) {
      for (const other of others)
        if (supportsSleeveCount(other.family, panel.names.length))
          await familyDecisions(other.family, other.config, table, { minHistory, seed });
      const again = await runner.run(config, table, panelName);
      const after = [...others.map((o) => o.config.name), 'the later candidates'].join(', ');
      compareAll(settled.get(config.name)!, again, (month, a, b) =>
        runner.fail(
          'order-independence',
          { candidate: config.name, panel: panelName, month },
          `run after ${after}: ${show(b)}, before: ${show(a)} (state kept between candidates?)`,
        ),
      );
      pass('order-independence', config.name, panelName);
    }
  }
  return { family: name, checks };
}

/** The kit's verdict as data: never rejects for a family's fault. */
export async function checkConformance(
  family: CandidateFamily,
  options: ConformanceOptions = {},
): Promise<ConformanceResult> {
  const checks: ConformanceCheck[] = [];
  try {
    const report = await conformance(family, options, checks);
    return { ...report, passed: true };
  } catch (e) {
    if (!(e instanceof ConformanceError)) throw e;
    return { family: family.meta.name, checks, passed: false, failure: e.failure };
  }
}

function show(d: Decision | undefined): string {
  return d === undefined
    ? 'none'
    : JSON.stringify({ wRaw: typeof d?.wRaw === 'number' ? d.wRaw : rawList(d?.wRaw), conf: d?.conf });
}

function compareAll(
  base: Decided,
  other: Decided,
  onDiff: (month: string, a: Decision, b: Decision | undefined) => void,
): void {
  compareUpTo(base, other, '9999-12-31', onDiff);
}

function compareUpTo(
  base: Decided,
  other: Decided,
  lastMonth: string,
  onDiff: (month: string, a: Decision, b: Decision | undefined) => void,
): void {
  for (let k = 0; k < base.months.length && base.months[k] <= lastMonth; k++) {
    const b = other.months[k] === base.months[k] ? other.decisions[k] : undefined;
    if (!b || !same(base.decisions[k], b)) onDiff(base.months[k], base.decisions[k], b);
  }
}

/** Up to `count` indices in [0, n), evenly spread, first and last included. */
function spread(n: number, count: number): number[] {
  if (count >= n) return Array.from({ length: n }, (_, k) => k);
  if (count <= 1) return n > 0 ? [n - 1] : [];
  const out = new Set<number>();
  for (let j = 0; j < count; j++) out.add(Math.round((j * (n - 1)) / (count - 1)));
  return [...out];
}
