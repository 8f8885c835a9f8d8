import { describe, expect, it } from 'vitest';
import { CORE_API_VERSION, type CandidateFamily, candidate, defineFamily } from '../src/index.js';
import { ConformanceError, runConformance, syntheticPanel } from '../src/testing/index.js';

const grid = () => [candidate('x', 'probe')];
const panels = [syntheticPanel({ months: 72, seed: 11 })];

function family(overrides: Partial<Omit<CandidateFamily, 'meta' | 'defaultGrid'>>): CandidateFamily {
  return defineFamily({
    meta: { name: 'probe', version: '0.0.0', coreApi: CORE_API_VERSION },
    params: {},
    defaultGrid: grid,
    decide: (ctx) => ({ wRaw: ctx.history.retA[ctx.history.length - 1] > 0 ? 0.7 : 0.3, conf: 0.5 }),
    ...overrides,
  });
}

describe('conformance kit (style guide: freqtrade-style look-ahead checks)', async () => {
  it('passes an honest family that reads only history', async () => {
    const report = await runConformance(family({}), { panels });
    expect(new Set(report.checks.map((c) => c.check))).toEqual(
      new Set([
        'valid-grid',
        'valid-outputs',
        'inputs-unchanged',
        'config-unchanged',
        'determinism',
        'order-independence',
        'no-look-ahead',
        'prefix-invariance',
      ]),
    );
  });

  it("catches a batched family that peeks at the current month's return", async () => {
    const peeking = family({
      decidePath: (panel, steps) =>
        steps.map((i) => ({ wRaw: panel.retA[i] > panel.retB[i] ? 1 : 0, conf: 0 })),
    });
    await expect(runConformance(peeking, { panels })).rejects.toThrow(ConformanceError);
    await expect(runConformance(peeking, { panels })).rejects.toThrow(
      /(no-look-ahead|batched-equals-stepwise) failed/,
    );
  });

  it('catches peeking at the current month even when decide and decidePath agree on it', async () => {
    // decidePath peeks; decide is the same function fed by the kit's history copies, so only
    // the poisoned-future comparison can see it.
    const peekNext = family({
      decide: () => ({ wRaw: 0.5, conf: 0 }),
      decidePath: (panel, steps) =>
        steps.map((i) => ({ wRaw: i + 1 < panel.length && panel.retB[i + 1] > 0 ? 0.6 : 0.5, conf: 0 })),
    });
    await expect(runConformance(peekNext, { panels })).rejects.toThrow(ConformanceError);
  });

  it('catches a look-ahead that only poisoning can reveal (batched and stepwise both peek via shared state)', async () => {
    let lastPanel: { retA: Float64Array } | undefined;
    const sneaky = family({
      decide: (ctx) => ({ wRaw: lastPanel && lastPanel.retA[ctx.step] > 0 ? 0.9 : 0.1, conf: 0 }),
      decidePath(panel, steps, config, seed) {
        lastPanel = panel;
        return steps.map((i) => ({ wRaw: panel.retA[i] > 0 ? 0.9 : 0.1, conf: 0 }));
      },
    });
    await expect(runConformance(sneaky, { panels })).rejects.toThrow(
      /no-look-ahead failed: returns from \d{4}-\d{2}-\d{2} on were changed/,
    );
  });

  it('catches non-determinism', async () => {
    const noisy = family({ decide: () => ({ wRaw: Math.random(), conf: 0 }) });
    await expect(runConformance(noisy, { panels })).rejects.toThrow(/determinism failed/);
  });

  it('catches invalid outputs (NaN weight, conf above 1)', async () => {
    await expect(
      runConformance(family({ decide: () => ({ wRaw: Number.NaN, conf: 0 }) }), { panels }),
    ).rejects.toThrow(/valid-outputs failed/);
    await expect(
      runConformance(family({ decide: () => ({ wRaw: 0.5, conf: 1.5 }) }), { panels }),
    ).rejects.toThrow(/valid-outputs failed/);
  });

  it('checks a decisionCost hint: a positive number for every candidate', async () => {
    await expect(runConformance(family({ decisionCost: () => 2.5 }), { panels })).resolves.toBeDefined();
    for (const bad of [() => Number.NaN, () => 0, () => -1, () => Number.POSITIVE_INFINITY]) {
      await expect(runConformance(family({ decisionCost: bad }), { panels })).rejects.toThrow(
        /valid-grid failed.*decisionCost gave (NaN|0|-1|Infinity) for 2 sleeves, not a positive number/,
      );
    }
    const throwing = family({
      decisionCost: () => {
        throw new Error('no estimate');
      },
    });
    await expect(runConformance(throwing, { panels })).rejects.toThrow(
      /decisionCost gave an error \(no estimate\)/,
    );
  });

  it('names family, candidate and month in its errors', async () => {
    const peeking = family({
      decidePath: (panel, steps) => steps.map((i) => ({ wRaw: panel.retA[i], conf: 0 })),
    });
    await expect(runConformance(peeking, { panels })).rejects.toThrow(/family probe, candidate x, panel #0/);
  });
});
