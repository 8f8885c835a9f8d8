/**
 * The whole reference run (docs/model/objectives.md) on all 59 candidates: grid
 * names and order, the selected candidate per objective and the promotion.
 * The reference selects ml_dual_ridge candidates (deterministic), so the
 * selections must equal the reference's exactly (parity README).
 */
import { builtinGrid, builtinRegistry } from '@step4/cli';
import {
  DEFAULT_RUN_OPTIONS,
  OBJECTIVES,
  RUN_ALL_DD_CAPS,
  dynamicScore,
  evaluateCandidates,
  prepareRun,
  scoreRunAll,
  selectRuns,
} from '@step4/core';
import { referenceRobustness } from '@step4/robustness';
import { describe, expect, it } from 'vitest';
import { embeddedPanel, reference } from './fixtures.js';

const registry = builtinRegistry();
const grid = builtinGrid(registry);
// run-all without workers (core's runAll was this pair; the whole run is @step4/engine's runStep4).
const prepared = prepareRun(embeddedPanel(), DEFAULT_RUN_OPTIONS);
const evaluated = await evaluateCandidates(grid, registry, prepared, referenceRobustness({ samples: 1200, blockMonths: 6, seed: 42 }));
const result = scoreRunAll(evaluated, registry, prepared, { promoteDdCap: 0.3 });

describe('run-all on all 59 candidates (docs/model/families.md, objectives.md)', () => {
  it('has the reference grid, names and order', () => {
    expect(grid.map((c) => c.name)).toEqual(Object.keys(reference.candidates));
    for (const c of grid) expect({ ...c }).toEqual(reference.candidates[c.name].config);
  });

  it('simulates every candidate', () => {
    expect(result.evaluated.filter((c) => c.error)).toEqual([]);
  });

  it.each(OBJECTIVES)('%s selects the reference candidate with the reference dd cap', (objective) => {
    const run = result.runs.find((r) => r.objective === objective)!;
    expect(run.ddCap).toBe(reference.objectives[objective].dd_cap);
    expect(RUN_ALL_DD_CAPS[objective]).toBe(reference.objectives[objective].dd_cap);
    expect(run.selected.candidate.config.name).toBe(reference.objectives[objective].selected);
    // The selected candidate's gate result is a deterministic candidate's: it must match too.
    expect(run.selected.robustPass).toBe(reference.candidates[run.selected.candidate.config.name].robust_pass[objective]);
  });

  it('promotes the reference objectives; the dynamic score matches to 1e-6', () => {
    const p = result.promotion;
    expect(p.promoted.objective).toBe(reference.run_all.promoted_objective);
    expect('objective' in p.dynamic && p.dynamic.objective).toBe(reference.run_all.promoted_dynamic_objective);
    const dyn = p.dynamic as { objective: string; score: number };
    const expected = reference.run_all.promoted_dynamic_score as number;
    expect(Math.abs(dyn.score - expected) / expected).toBeLessThan(1e-6);
    const run = result.runs.find((r) => r.objective === dyn.objective)!;
    expect(dynamicScore(run.selected.candidate.metrics!)).toBe(dyn.score);
  });
});

describe('the selection made first (selectRuns), as the engine does while its statistics run', () => {
  it('selects and promotes as the whole scoring does, with the very runs given', () => {
    const runs = selectRuns(evaluated);
    expect(runs.map((r) => [r.objective, r.selected.candidate.config.name])).toEqual(
      OBJECTIVES.map((o) => [o, reference.objectives[o].selected]),
    );
    const later = scoreRunAll(evaluated, registry, prepared, { promoteDdCap: 0.3 }, runs);
    for (const [i, run] of later.runs.entries()) expect(run).toBe(runs[i]);
    expect(later.promotion).toEqual(result.promotion);
  });
});
