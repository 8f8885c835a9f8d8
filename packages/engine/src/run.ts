import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import {
  type CandidateConfig,
  type EvaluatedCandidate,
  type FamilyRegistry,
  type ObjectiveName,
  type ObjectiveRun,
  type PluginCheckRecord,
  type PreparedRun,
  type ProgressEvent,
  RUN_ALL_DD_CAPS,
  type RunAllResult,
  type RunManifest,
  type SleevePanel,
  type SleeveTable,
  type SleeveUniverse,
  alignSleeves,
  checkSleeveSupport,
  decisionGroupsCostliestFirst,
  evaluateCandidates,
  decisionShape,
  loadSleeveTable,
  prepareRun,
  runInWorkers,
  scoreRunAll,
  selectRuns,
  validateGrid,
} from '@step4/core';
import {
  type BlockBootstrapOptions,
  type CandidateOverfittingInputs,
  type OverfittingAnalysis,
  analyseOverfitting,
  deflatedSharpeJson,
  objectiveOverfittingJson,
  referenceRobustness,
  riskFreeJson,
  runOverfittingJson,
  selectedTrackRecord,
  spaJson,
  trialsJson,
} from '@step4/robustness';
import { type FamilyReference, loadFamilies } from './families.js';
import { loadRiskFree, riskFreeForMonths } from './risk-free.js';
import { DEFAULT_ENGINE_OPTIONS, type EngineOptions, RUN_ALL_OBJECTIVES } from './options.js';
import { type SimulatedGroup, type WorkerSetup, simulateGroup } from './simulate.js';
import { SIMULATION_WORKER_URL } from './worker-url.js';
import { type SimulationWorkers, stopSimulationWorkers } from './workers.js';

/** One sleeve table to load: a file (CSV or Parquet), or a table already in memory. */
export type SleeveSource =
  | {
      readonly name: string;
      readonly path: string;
      /** How outputs name the source (default the path), e.g. `embedded:sleeve_spy_monthly.csv`. */
      readonly label?: string;
    }
  | { readonly name: string; readonly table: SleeveTable };

/** What one run needs. Only `sleeves` and `families` are required. */
export interface RunRequest {
  /** N >= 2 sleeves in order; sleeve 0 is the first sleeve (A of a two-sleeve run). */
  readonly sleeves: readonly SleeveSource[];
  /** The families, by reference, in registration order; worker threads load the same ones. */
  readonly families: readonly FamilyReference[];
  /** The same families already loaded in this thread (saves loading them twice). */
  readonly registry?: FamilyRegistry;
  /**
   * The candidates, or a function building them from the registry and the
   * sleeves. Default: every family's default grid, in registration order.
   */
  readonly grid?:
    | readonly CandidateConfig[]
    | ((registry: FamilyRegistry, sleeves: SleeveUniverse) => CandidateConfig[]);
  readonly options?: Partial<EngineOptions>;
  /** Objectives to run, in order (default all four). */
  readonly objectives?: readonly ObjectiveName[];
  /** Worker threads (default 1: everything in this thread). Results are identical for any number. */
  readonly jobs?: number;
  /**
   * Worker threads started ahead for this run (`startSimulationWorkers` with
   * the same `jobs` and families), used before new ones are started. The run
   * ends them, whether it needs them or not, and whether it succeeds or fails,
   * except one handed over meanwhile (e.g. in `onSelected`, when they are idle:
   * @step4/core's `handOverWorker`).
   */
  readonly workers?: SimulationWorkers;
  /** The program named in the outputs (`script`, `script_version`). Default: this engine. */
  readonly tool?: { readonly name: string; readonly version: string };
  /** Versions of other packages to record in the manifest (e.g. the CLI and the output writer). */
  readonly packages?: Readonly<Record<string, string>>;
  /** Outcome of plugin checks made before the run, recorded in the manifest. */
  readonly pluginChecks?: readonly PluginCheckRecord[];
  readonly onProgress?: (e: ProgressEvent) => void;
  /** Called as each stage of the run ends, with its wall time in milliseconds (for profiles). */
  readonly onStage?: (stage: RunStage, ms: number) => void;
  /**
   * Called with each objective's selected candidate as soon as it is known:
   * right after the simulation unless a `minDsr` gate makes the selection wait
   * for the overfitting statistics. The same runs are in the result; a caller
   * can start on their outputs (e.g. the charts) while the statistics are computed.
   */
  readonly onSelected?: (selection: RunSelection) => void;
}

/** The selection of a run before its statistics and promotion (`onSelected`). */
export interface RunSelection {
  readonly prepared: PreparedRun;
  /** Every candidate, in grid order, as in the result. */
  readonly evaluated: readonly EvaluatedCandidate[];
  readonly runs: readonly ObjectiveRun[];
}

/** The stages of a run, in order: load and prepare the sleeves, simulate, overfitting statistics, score and promote. */
export type RunStage = 'load' | 'simulate' | 'analyse' | 'score';

/** Everything a run produced; `@step4/report` turns it into the output folder. */
export interface RunResult extends RunAllResult {
  readonly registry: FamilyRegistry;
  readonly grid: readonly CandidateConfig[];
  readonly options: EngineOptions;
  /** PBO, DSR and the selection-honest walk-forward. */
  readonly analysis: OverfittingAnalysis;
  /** Objective runs kept from promotion, with the reason (`maxPbo`). */
  readonly notPromotable: Partial<Record<ObjectiveName, string>>;
  /** Inputs, options and versions, with the overfitting sections for the JSON and HTML outputs. */
  readonly manifest: RunManifest;
}

const require = createRequire(import.meta.url);

const own = (file: string) =>
  JSON.parse(readFileSync(new URL(file, import.meta.url), 'utf8')) as { name: string; version: string };

/** Versions of the packages that computed the numbers, for the manifest. */
function packageVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  const engine = own('../package.json');
  out[engine.name] = engine.version;
  for (const name of ['@step4/core', '@step4/robustness']) {
    try {
      out[name] = own(pathToFileURL(require.resolve(`${name}/package.json`)).href).version;
    } catch {
      out[name] = 'unknown';
    }
  }
  return out;
}

/** Load every sleeve (files in order) and align them on their common months. */
export async function loadPanel(sleeves: readonly SleeveSource[]): Promise<SleevePanel> {
  const tables: SleeveTable[] = [];
  for (const s of sleeves) {
    if ('table' in s) tables.push({ ...s.table, name: s.name });
    else {
      const t = await loadSleeveTable(s.path, s.name);
      tables.push(s.label ? { ...t, source: s.label } : t);
    }
  }
  return alignSleeves(tables);
}

/**
 * One whole run (run-all, or the objectives asked for): load and validate
 * the sleeves, build the features, simulate every candidate (in worker
 * threads when `jobs` > 1, identical results), compute the overfitting
 * statistics, apply the gates, score, select and promote.
 */
export async function runStep4(request: RunRequest): Promise<RunResult> {
  try {
    return await runOnce(request);
  } finally {
    await stopSimulationWorkers(request.workers);
  }
}

async function runOnce(request: RunRequest): Promise<RunResult> {
  const options: EngineOptions = { ...DEFAULT_ENGINE_OPTIONS, ...definedOnly(request.options ?? {}) };
  let stageStart = performance.now();
  const stageDone = (stage: RunStage) => {
    const now = performance.now();
    request.onStage?.(stage, now - stageStart);
    stageStart = now;
  };
  const objectives = request.objectives ?? RUN_ALL_OBJECTIVES;
  const panel = await loadPanel(request.sleeves);
  // Checked against every aligned month before any work, so a short table fails fast.
  const riskFreeSource = await loadRiskFree(options.riskFreeAnnual, options.riskFreeTable);
  const riskFreeAligned = riskFreeForMonths(riskFreeSource, panel.monthEnds);
  const prepared = prepareRun(panel, {
    startCapital: options.startCapital,
    trainRatio: options.trainRatio,
    minHistory: options.minHistoryMonths,
    seed: options.seed,
    financingBpsPerYear: options.financingBpsPerYear,
  });
  const registry = request.registry ?? (await loadFamilies(request.families));
  const universe: SleeveUniverse = { names: panel.names };
  const grid =
    typeof request.grid === 'function'
      ? request.grid(registry, universe)
      : (request.grid ?? registry.defaultGrid(universe));
  validateGrid(grid, registry);
  checkSleeveSupport(grid, registry, universe);
  const bootstrap: BlockBootstrapOptions = {
    samples: options.bootstrapSamples,
    blockMonths: options.bootstrapBlockMonths,
    seed: options.seed,
    method: options.bootstrapMethod,
  };
  const jobs = request.jobs ?? 1;
  stageDone('load');
  let evaluated: EvaluatedCandidate[];
  const probe = referenceRobustness(bootstrap);
  // Each candidate's part of the overfitting statistics, computed where it was simulated.
  let perCandidate: Map<string, CandidateOverfittingInputs> | undefined;
  if (jobs > 1 && grid.length > 1) {
    // Candidates that share decisions (e.g. an ML fit used by every leverage cap) go to one thread,
    // the costliest groups first; results come back in grid order, identical to a serial run. This
    // thread, with the families loaded already, is one of the `jobs`: it runs the cheapest groups,
    // so it hands the workers their next groups without keeping them waiting.
    let done = 0;
    const setup: WorkerSetup = { panel, options: prepared.options, bootstrap, families: request.families };
    const results = await runInWorkers<CandidateConfig[], SimulatedGroup>({
      workerUrl: SIMULATION_WORKER_URL,
      workerData: setup,
      ...(request.workers ? { workers: request.workers.threads } : {}),
      tasks: decisionGroupsCostliestFirst(grid, registry, decisionShape(panel.names)),
      costliestFirst: true,
      jobs,
      local: (group) => simulateGroup(group, registry, prepared, probe, bootstrap),
      onResult: (_i, g) => {
        for (const c of g.evaluated)
          request.onProgress?.({
            done: ++done,
            total: grid.length,
            candidate: c.config.name,
            error: c.error,
          });
      },
    });
    const byName = new Map(results.flatMap((g) => g.evaluated).map((c) => [c.config.name, c]));
    evaluated = grid.map((c) => byName.get(c.name)!);
    perCandidate = new Map(
      results.flatMap((g) => g.overfitting.flatMap((o) => (o ? [[o.candidate, o] as const] : []))),
    );
  } else {
    evaluated = await evaluateCandidates(grid, registry, prepared, probe, request.onProgress);
  }
  stageDone('simulate');
  const ddCaps = Object.fromEntries(
    objectives.map((o) => [o, options.maxDrawdownCap ?? RUN_ALL_DD_CAPS[o]]),
  ) as Record<ObjectiveName, number>;
  // The paths are the aligned months from the first decision on.
  const firstPathMonth = evaluated.find((c) => c.path)?.path?.monthEnds[0];
  const riskFree =
    riskFreeAligned && firstPathMonth
      ? {
          ...riskFreeAligned,
          monthly: riskFreeAligned.monthly.slice(panel.monthEnds.indexOf(firstPathMonth)),
        }
      : undefined;
  const minDsr = options.minDsr;
  // Without a DSR gate the selection does not depend on the overfitting statistics: made now, the
  // caller can start on its outputs while they are computed.
  const selected = minDsr === undefined ? selectRuns(evaluated, { objectives, ddCaps }) : undefined;
  if (selected) request.onSelected?.({ prepared, evaluated, runs: selected });
  // The overfitting statistics do not depend on the selection. Without a DSR gate the selection was
  // made above; with one, it waits for them (they act as a gate).
  const analysis = analyseOverfitting(evaluated, {
    split: prepared.split,
    startCapital: options.startCapital,
    bootstrap,
    pboBlocks: options.pboBlocks,
    objectives: objectives.map((objective) => ({ objective, ddCap: ddCaps[objective] })),
    ...(riskFree ? { riskFree } : {}),
    spaReplications: options.spaReplications,
    ...(perCandidate ? { perCandidate } : {}),
  });
  stageDone('analyse');
  const notPromotable: Partial<Record<ObjectiveName, string>> = {};
  if (options.maxPbo !== undefined) {
    for (const objective of objectives) {
      const pbo = analysis.perObjective[objective]?.pbo.pbo ?? 0;
      if (pbo > options.maxPbo)
        notPromotable[objective] = `PBO ${pbo.toFixed(3)} is above --max-pbo ${options.maxPbo}`;
    }
  }
  const result = scoreRunAll(
    evaluated,
    registry,
    prepared,
    {
      objectives,
      ddCaps,
      promoteDdCap: options.promoteDdCap,
      notPromotable,
      extraGates:
        minDsr === undefined
          ? undefined
          : (c) =>
              (analysis.dsr.get(c.config.name)?.deflatedSharpeRatio ?? 0) >= minDsr
                ? []
                : ['deflated_sharpe_ratio'],
    },
    selected,
  );
  if (!selected) request.onSelected?.({ prepared, evaluated, runs: result.runs });
  // Track record of each objective's selected candidate (after selection: it depends on it).
  const trackRecords = new Map(
    result.runs.flatMap((run) => {
      const t = selectedTrackRecord(analysis, run.selected.candidate, prepared.split, riskFree?.monthly);
      return t ? [[run.objective, t] as const] : [];
    }),
  );
  const engine = own('../package.json');
  const manifest: RunManifest = {
    tool: request.tool ?? { name: 'step4', version: engine.version },
    startCapital: options.startCapital,
    trainRatio: options.trainRatio,
    minHistoryMonths: options.minHistoryMonths,
    seed: options.seed,
    bootstrap: {
      samples: options.bootstrapSamples,
      blockMonths: options.bootstrapBlockMonths,
      method: options.bootstrapMethod === 'stationary' ? 'stationary' : 'circular_block',
    },
    promoteDdCap: options.promoteDdCap,
    sleeves: panel.names.map((name, i) => ({ name, source: panel.sources[i], sha256: panel.sha256[i] })),
    families: registry
      .list()
      .map(({ family, source }) => ({ name: family.meta.name, version: family.meta.version, source })),
    // By name, so the order does not depend on who recorded which.
    packages: Object.fromEntries(
      Object.entries({ ...request.packages, ...packageVersions() }).sort(([a], [b]) => (a < b ? -1 : 1)),
    ),
    generatedAt: new Date().toISOString(),
    options: {
      financing_bps_per_year: options.financingBpsPerYear,
      pbo_blocks: options.pboBlocks,
      max_pbo: options.maxPbo ?? null,
      min_dsr: options.minDsr ?? null,
      risk_free_annual: options.riskFreeAnnual,
      risk_free_table: options.riskFreeTable ?? null,
      // An input like the sleeve tables: its bytes' hash (the key is there only when a table is given).
      ...(riskFreeSource.kind === 'table' ? { risk_free_table_sha256: riskFreeSource.table.sha256 } : {}),
      spa_replications: options.spaReplications,
    },
    extras: {
      summary: (run) => ({
        overfitting: objectiveOverfittingJson(analysis, run, trackRecords.get(run.objective)),
      }),
      candidate: (name) => {
        const d = analysis.dsr.get(name);
        return d ? { deflated_sharpe: deflatedSharpeJson(d, analysis.dsrByTrialCount.get(name)) } : undefined;
      },
      runReport: {
        overfitting: runOverfittingJson(analysis, result.runs, trackRecords),
        spa: spaJson(analysis.spa),
        trials: trialsJson(analysis),
        risk_free: riskFreeJson(analysis),
        not_promotable: notPromotable,
      },
    },
    ...(request.pluginChecks ? { pluginChecks: request.pluginChecks } : {}),
  };
  stageDone('score');
  return { ...result, registry, grid, options, analysis, notPromotable, manifest };
}

/** Options given as `undefined` keep their defaults. */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
