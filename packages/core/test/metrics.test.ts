import { describe, expect, it } from 'vitest';
import {
  CORE_API_VERSION,
  FamilyRegistry,
  type CandidateMetrics,
  candidate,
  defineFamily,
  failedGates,
  gridLabel,
  interleave,
  maxDrawdown,
  percentile,
  perf,
  promote,
  roundHalfEven,
  selectBest,
  splitMonths,
  validateCandidate,
} from '../src/index.js';

describe('perf (docs/model/metrics.md)', () => {
  it('computes equity, pnl, cagr, drawdown and calmar of a small series by hand', () => {
    const m = perf([0.1, -0.2, 0.05], 1000);
    // equity 1100, 880, 924; pnl 100, -220, 44
    expect(m.end_equity).toBeCloseTo(924, 10);
    expect(m.avg_monthly_pnl).toBeCloseTo(-76 / 3, 10);
    expect(m.median_monthly_pnl).toBeCloseTo(44, 10);
    expect(m.positive_month_rate).toBeCloseTo(2 / 3, 15);
    expect(m.max_drawdown).toBeCloseTo(0.2, 15);
    expect(m.cagr).toBeCloseTo(0.924 ** 4 - 1, 12); // years = max(3/12, 1/12)
    expect(m.calmar).toBeCloseTo(m.cagr / 0.2, 12);
    expect(m.n_months).toBe(3);
  });

  it('does not treat the capital before the first month as a peak', () => {
    expect(maxDrawdown([-0.5, 0.1])).toBe(0);
    expect(maxDrawdown([0.1, -0.5])).toBeCloseTo(0.5, 15);
  });

  it('returns K and zeros for an empty series', () => {
    expect(perf([], 10_000)).toEqual({
      end_equity: 10_000,
      cagr: 0,
      max_drawdown: 0,
      calmar: 0,
      avg_monthly_pnl: 0,
      median_monthly_pnl: 0,
      positive_month_rate: 0,
      n_months: 0,
    });
  });

  it('floors the equity ratio at 1e-9 for cagr', () => {
    expect(perf([-0.999999999999], 1).cagr).toBeCloseTo(1e-9 ** 12 - 1, 12);
  });

  it('interpolates percentiles linearly like numpy', () => {
    expect(percentile([1, 2, 3, 4], 10)).toBeCloseTo(1.3, 15);
    expect(percentile([5, 1, 3], 50)).toBe(3);
  });
});

describe('split (docs/model/inputs.md)', () => {
  it('uses Python round (half to even) and clamps to [24, n - 12]', () => {
    expect(roundHalfEven(72.5)).toBe(72);
    expect(roundHalfEven(73.5)).toBe(74);
    const months = (n: number) => Array.from({ length: n }, (_, i) => `m${String(i).padStart(3, '0')}`);
    expect(splitMonths(months(120), 0.6).index).toBe(72);
    expect(splitMonths(months(125), 0.6).index).toBe(75);
    expect(splitMonths(months(40), 0.6).index).toBe(24);
    expect(splitMonths(months(60), 0.95).index).toBe(48);
    expect(splitMonths(months(120), 0.6).monthEnd).toBe('m071');
  });
});

function metrics(
  over: Partial<CandidateMetrics> & { testDd?: number; fullDd?: number; testPnl?: number },
): CandidateMetrics {
  const p = (dd: number, pnl: number) => ({
    end_equity: 12_000,
    cagr: 0.1,
    max_drawdown: dd,
    calmar: 0.1 / dd,
    avg_monthly_pnl: pnl,
    median_monthly_pnl: pnl,
    positive_month_rate: 0.6,
    n_months: 48,
  });
  return {
    full: p(over.fullDd ?? 0.2, 100),
    train: p(0.1, 100),
    test: p(over.testDd ?? 0.15, over.testPnl ?? 50),
    stress_1_25_avg_monthly_pnl: 10,
    bootstrap_p10_avg_monthly_pnl: 5,
    avg_turnover_abs: 0.05,
    avg_gross_leverage: 1,
    avg_weight_a: 0.5,
    weight_std_a: 0.1,
    avg_weights: [0.5, 0.5],
    weight_stds: [0.1, 0.1],
    train_test_calmar_gap_abs: 0.5,
    ...over,
  };
}

describe('gates and selection (docs/model/objectives.md)', () => {
  it('names each failed gate', () => {
    expect(failedGates(metrics({}), 0.18)).toEqual([]);
    expect(failedGates(metrics({ testDd: 0.19 }), 0.18)).toEqual(['test_max_drawdown']);
    expect(failedGates(metrics({ fullDd: 0.18 * 1.35 + 1e-9 }), 0.18)).toEqual(['full_max_drawdown']);
    expect(failedGates(metrics({ testPnl: 0 }), 0.18)).toEqual(['test_avg_monthly_pnl']);
    expect(failedGates(metrics({ stress_1_25_avg_monthly_pnl: -1 }), 0.18)).toEqual(['stress_1_25']);
    expect(failedGates(metrics({ bootstrap_p10_avg_monthly_pnl: -25 }), 0.18)).toEqual(['bootstrap_p10']);
    expect(failedGates(metrics({ train_test_calmar_gap_abs: 2.01 }), 0.18)).toEqual([
      'train_test_calmar_gap',
    ]);
  });

  it('picks the best passing candidate, the earlier one on ties, and the best of all when none pass', () => {
    const c = (name: string, score: number, robustPass: boolean) => ({
      candidate: { config: candidate(name, 'x'), family: { name: 'x', version: '1' } },
      score,
      robustPass,
      failedGates: [],
    });
    expect(
      selectBest([c('a', 5, false), c('b', 3, true), c('c', 3, true)]).selected.candidate.config.name,
    ).toBe('b');
    const none = selectBest([c('a', 1, false), c('b', 2, false)]);
    expect(none.selected.candidate.config.name).toBe('b');
    expect(none.withoutGate).toBe(true);
  });
});

describe('promotion (docs/model/objectives.md)', () => {
  const run = (objective: 'return' | 'balanced', m: CandidateMetrics, method = 'heuristic') => ({
    objective,
    ddCap: 0.3,
    scored: [],
    failed: [],
    selectedWithoutGate: false,
    selected: {
      candidate: {
        config: candidate(`${objective}_pick`, method),
        family: { name: method, version: '1' },
        metrics: m,
      },
      score: 0,
      robustPass: true,
      failedGates: [],
    },
  });

  it('promotes only runs within the promotion dd cap, and reports no dynamic run when none qualifies', () => {
    const big = metrics({
      testDd: 0.35,
      avg_turnover_abs: 0.01,
      test: { ...metrics({}).test, end_equity: 99_000, max_drawdown: 0.35 },
    });
    const small = metrics({ avg_turnover_abs: 0.01 });
    const p = promote([run('return', big), run('balanced', small)], 0.3, () => false);
    expect(p.eligible).toEqual(['balanced']);
    expect(p.promoted.objective).toBe('balanced');
    expect('none' in p.dynamic).toBe(true);
  });

  it('skips runs marked not promotable (e.g. PBO above --max-pbo) unless none is left', () => {
    const better = metrics({ test: { ...metrics({}).test, end_equity: 50_000 } });
    const p = promote([run('return', better), run('balanced', metrics({}))], 0.3, () => false, {
      return: 'PBO too high',
    });
    expect(p.promoted.objective).toBe('balanced');
    const q = promote([run('return', better), run('balanced', metrics({}))], 0.3, () => false, {});
    expect(q.promoted.objective).toBe('return');
  });

  it('never takes a static family as the dynamic run', () => {
    const m = metrics({});
    const p = promote([run('return', m, 'static')], 0.3, (method) => method === 'static');
    expect('none' in p.dynamic).toBe(true);
    const q = promote([run('return', m, 'heuristic')], 0.3, (method) => method === 'static');
    expect(q.dynamic).toMatchObject({ objective: 'return' });
  });
});

describe('registry and grids', () => {
  const fam = (over: Record<string, unknown> = {}) =>
    defineFamily({
      meta: { name: 'fam', version: '1.0.0', coreApi: CORE_API_VERSION },
      params: { lookback: { type: 'integer', default: 6, min: 2, max: 24, description: 'months' } },
      defaultGrid: () => [],
      decide: () => ({ wRaw: 0.5, conf: 0 }),
      ...over,
    });

  it('rejects a family built for another core API major with a clear message', () => {
    const old = fam({ meta: { name: 'old', version: '1', coreApi: 0 } });
    expect(() => new FamilyRegistry().register(old, 'old-pkg')).toThrow(
      /^family from old-pkg: family old targets core API 0; this @step4\/core \d+\.\d+\.\d+ supports API 2$/,
    );
  });

  it('rejects duplicates and non-families', () => {
    const r = new FamilyRegistry().register(fam(), 'a');
    expect(() => r.register(fam(), 'b')).toThrow(/already registered \(from a\)/);
    expect(() => r.register({} as never, 'c')).toThrow(/meta.name/);
  });

  it('validates parameters with the field, the value and the expected range', () => {
    expect(() => validateCandidate(candidate('z', 'fam', { lookback: 30 }), fam())).toThrow(
      'candidate z: lookback must be an integer in [2, 24], got 30',
    );
    expect(() => validateCandidate(candidate('z', 'fam', { smoothing: 1 }), fam())).toThrow(
      /smoothing must be a number in \[0, 1\)/,
    );
    expect(() => validateCandidate(candidate('z', 'fam', { min_w: 0.8, max_w: 0.2 }), fam())).toThrow(
      /min_w \(0.8\) must not exceed max_w/,
    );
  });

  it('names leverage caps like Python floats and interleaves grids round-robin', () => {
    expect([1.0, 1.15, 1.3].map(gridLabel)).toEqual(['1_0', '1_15', '1_3']);
    const g = (p: string) => [candidate(`${p}1`, 'x'), candidate(`${p}2`, 'x')];
    expect(interleave(g('a'), g('b')).map((c) => c.name)).toEqual(['a1', 'b1', 'a2', 'b2']);
  });
});
