/**
 * Sealed inputs (issue "Plugin contract 2"): whatever a family does to what it
 * is handed, the other candidates' results are byte-identical to a run without
 * it, and the conformance kit names the check the family breaks.
 */
import { describe, expect, it } from 'vitest';
import {
  CORE_API_VERSION,
  type CandidateConfig,
  type CandidateFamily,
  type Decision,
  type DecisionContext,
  type DecisionPanel,
  type EvaluatedCandidate,
  FamilyRegistry,
  type RobustnessProbe,
  candidate,
  evaluateCandidates,
  prepareRun,
} from '../src/index.js';
import {
  type ConformanceOptions,
  checkConformance,
  referencePanel,
  syntheticPanel,
} from '../src/testing/index.js';

const params = {
  lookback: { type: 'integer', default: 6, min: 1, max: 60, description: 'months of history' },
} as const;

/** A plain family object (no builder), so the test does not depend on defineFamily's typing. */
function family(
  name: string,
  rest: Partial<CandidateFamily> & Pick<CandidateFamily, 'decide'>,
): CandidateFamily {
  return {
    meta: { name, version: '1.0.0', coreApi: CORE_API_VERSION },
    params,
    defaultGrid: () => [3, 12].map((L) => candidate(`${name}_lb${L}`, name, { lookback: L })),
    ...rest,
  } as CandidateFamily;
}

const lb = (config: unknown) => Number((config as CandidateConfig).lookback);

/** Momentum tilt towards the sleeve that did better over the lookback: reads only history. */
function tilt(retA: Float64Array, retB: Float64Array, end: number, lookback: number): Decision {
  let s = 0;
  for (let t = Math.max(0, end - lookback); t < end; t++) s += retA[t] - retB[t];
  const wRaw = Math.min(1, Math.max(0, 0.5 + 2 * s));
  return { wRaw, conf: Math.min(1, Math.abs(s)) };
}

const stepwise = (ctx: DecisionContext, config: unknown) =>
  tilt(ctx.history.retA, ctx.history.retB, ctx.step, lb(config));
const batched = (panel: DecisionPanel, steps: readonly number[], config: unknown) =>
  steps.map((i) => tilt(panel.retA, panel.retB, i, lb(config)));

const honestStep = family('honest_step', { decide: stepwise });
const honestBatch = family('honest_batch', {
  decide: stepwise,
  decidePath: batched,
  defaultGrid: () => [
    candidate('honest_batch_lb6', 'honest_batch', { lookback: 6, gross_conf_scale: 1, max_gross: 2 }),
    candidate('honest_batch_lb6_vt', 'honest_batch', { lookback: 6, target_vol: 0.05, max_gross: 1.5 }),
  ],
});

function rewriteAll(...arrays: Float64Array[]): void {
  for (const a of arrays) for (let i = 0; i < a.length; i++) a[i] = Math.abs(a[i]) * 3;
}

/** (1) Rewrites every array it is handed, batched and stepwise. */
const rewriterPath = family('rewriter_path', {
  decide(ctx, config) {
    rewriteAll(ctx.features, ctx.history.retA, ctx.history.retB, ctx.history.features);
    return stepwise(ctx, config);
  },
  decidePath(panel, steps, config) {
    rewriteAll(panel.retA, panel.retB, panel.features);
    return batched(panel, steps, config);
  },
});
const rewriterStep = family('rewriter_step', {
  decide(ctx, config) {
    rewriteAll(ctx.features, ctx.history.retA, ctx.history.retB, ctx.history.features);
    return stepwise(ctx, config);
  },
});

/** (2) Gives itself leverage 3 and no costs (a write to a frozen config throws: this module is strict). */
const configMutator = family('config_mutator', {
  decide(ctx, config) {
    const c = config as Record<string, number>;
    c.gross_base = 3;
    c.max_gross = 3;
    c.turn_cost_bps = 0;
    c.gross_cost_bps = 0;
    return stepwise(ctx, config);
  },
});

/**
 * (3) Memory shared by every candidate (like a plugin module's top-level
 * variables): uses the lookback of the candidate that ran before it. Made fresh
 * per test, as a new process would load the module.
 */
function memoryFamily(): CandidateFamily {
  let previousLookback: number | undefined;
  let current: { name: string; lookback: number } | undefined;
  return family('memory', {
    decide(ctx, config) {
      const c = config as CandidateConfig;
      if (current?.name !== c.name) {
        previousLookback = current?.lookback;
        current = { name: c.name, lookback: lb(c) };
      }
      return tilt(ctx.history.retA, ctx.history.retB, ctx.step, previousLookback ?? lb(c));
    },
  });
}

const probe: RobustnessProbe = {
  stressAvgMonthlyPnl: (path, k) => (k * path.retNet.reduce((s, r) => s + r, 0)) / path.retNet.length,
  tailAvgMonthlyPnlP10: (r, k) => k * Math.min(...r),
};

const honest = [honestStep, honestBatch];

async function run(bad?: CandidateFamily): Promise<EvaluatedCandidate[]> {
  const registry = new FamilyRegistry();
  for (const f of [...honest, ...(bad ? [bad] : [])]) registry.register(f, 'test');
  const [s1, s2] = honestStep.defaultGrid();
  const [b1, b2] = honestBatch.defaultGrid();
  const badGrid = bad ? bad.defaultGrid() : [];
  // The bad candidates run first and between the honest ones, so anything they leave behind would show.
  const grid = [...badGrid, s1, b1, ...badGrid.map((c) => ({ ...c, name: `${c.name}_again` })), s2, b2];
  const prepared = prepareRun(referencePanel());
  return evaluateCandidates(grid, registry, prepared, probe);
}

/** Everything of a result that could differ: config, every path column (bytes), metrics. */
function fingerprint(c: EvaluatedCandidate): string {
  const p = c.path as unknown as Record<string, unknown>;
  const cols = Object.entries(p ?? {}).map(([k, v]) =>
    v instanceof Float64Array
      ? [k, Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')]
      : [k, v],
  );
  return JSON.stringify({ config: c.config, error: c.error, cols, metrics: c.metrics });
}

const honestNames = [...honestStep.defaultGrid(), ...honestBatch.defaultGrid()].map((c) => c.name);

function honestResults(results: EvaluatedCandidate[]): string[] {
  return honestNames.map((n) => fingerprint(results.find((c) => c.config.name === n)!));
}

const quick: ConformanceOptions = {
  panels: [referencePanel(), syntheticPanel({ months: 72, seed: 3 })],
  cuts: 2,
  stepwiseMonths: 4,
};

describe('sealed inputs: a family cannot change other candidates', () => {
  const cases: [string, () => CandidateFamily, string][] = [
    ['rewrites every array (decidePath and decide)', () => rewriterPath, 'inputs-unchanged'],
    ['rewrites every array (decide)', () => rewriterStep, 'inputs-unchanged'],
    ['mutates its config', () => configMutator, 'config-unchanged'],
    ['keeps module-level memory across candidates', memoryFamily, 'order-independence'],
  ];

  it.each(cases)('a family that %s leaves the other candidates byte-identical', async (_what, makeBad) => {
    const without = await run();
    const withBad = await run(makeBad());
    expect(without.every((c) => c.metrics)).toBe(true);
    expect(honestResults(withBad)).toEqual(honestResults(without));
  });

  it.each(cases)(
    'the conformance kit fails a family that %s (%#) with the right check',
    async (_what, makeBad, check) => {
      const bad = makeBad();
      const result = await checkConformance(bad, quick);
      expect(result.passed).toBe(false);
      expect(result.failure?.check).toBe(check);
      expect(result.failure?.family).toBe(bad.meta.name);
      expect(result.failure?.candidate).toMatch(new RegExp(`^${bad.meta.name}_lb`));
    },
  );

  it('passes the honest families (the kit does not fail everything)', async () => {
    for (const f of honest) {
      const result = await checkConformance(f, quick);
      expect(result.failure).toBeUndefined();
      expect(new Set(result.checks.map((c) => c.check))).toContain('order-independence');
    }
  });

  it('simulates and reports the config as given, not as the family rewrote it', async () => {
    const results = await run(configMutator);
    const bad = results.filter((c) => c.config.method === 'config_mutator');
    expect(bad.length).toBe(4);
    for (const c of bad) {
      expect(c.config.gross_base).toBe(1);
      expect(c.config.turn_cost_bps).toBe(12);
      expect(c.error).toMatch(/read.only|frozen|Cannot assign/i);
    }
  });

  it('a family holding the objects its defaultGrid returned cannot change what is simulated', async () => {
    const held = [
      candidate('holder_lb3', 'holder', { lookback: 3 }),
      candidate('holder_lb12', 'holder', { lookback: 12 }),
    ];
    const holder = family('holder', {
      defaultGrid: () => held,
      decide(ctx, config) {
        // Rewrites the grid's own objects (not the frozen copy it was handed).
        for (const h of held) Object.assign(h, { max_gross: 3, gross_base: 3, turn_cost_bps: 0 });
        return stepwise(ctx, config);
      },
    });
    const results = await run(holder);
    for (const c of results.filter((r) => r.config.method === 'holder')) {
      expect(c.config.max_gross).toBe(1);
      expect(Math.max(...c.path!.grossLeverage)).toBeLessThanOrEqual(1);
    }
  });
});
