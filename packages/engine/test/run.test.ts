/**
 * `runStep4` on the embedded sleeves with the static and heuristic families:
 * worker threads change nothing (same paths, bit for bit, and the same
 * selection), four sleeves run every candidate on the simplex, and a family
 * written for two sleeves is refused in a four-sleeve run.
 *
 * The run is imported from the build (`dist`): with `jobs` > 1 the engine
 * starts `worker.js` next to its own module, which only the build has.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CandidateConfig,
  DEFAULT_RUN_OPTIONS,
  type EvaluatedCandidate,
  InputError,
  prepareRun,
  runInWorkers,
} from '@step4/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type FamilyReference,
  loadFamilies,
  loadPanel,
  type RunResult,
  runStep4,
  type SleeveSource,
  startSimulationWorkers,
  stopSimulationWorkers,
} from '../dist/index.js';

const require = createRequire(import.meta.url);

/** An installed package's ES-module entry (`exports["."].import`) as an absolute path, as the CLI finds it. */
function entry(name: string): string {
  const manifest = require.resolve(`${name}/package.json`);
  const exports = JSON.parse(readFileSync(manifest, 'utf8')).exports as { '.': { import: string } };
  return join(dirname(manifest), exports['.'].import);
}

const FAMILIES: readonly FamilyReference[] = [
  { module: entry('@step4/candidates-static'), export: 'staticFamily', source: '@step4/candidates-static' },
  {
    module: entry('@step4/candidates-heuristic'),
    export: 'heuristicFamily',
    source: '@step4/candidates-heuristic',
  },
];

const sleeve = (name: string, file: string): SleeveSource => ({
  name,
  path: fileURLToPath(new URL(`../../cli/data/${file}`, import.meta.url)),
});

const TWO = [sleeve('spyqqq', 'sleeve_spyqqq_monthly.csv'), sleeve('btceth', 'sleeve_btceth_monthly.csv')];
const FOUR = [
  sleeve('spy', 'sleeve_spy_monthly.csv'),
  sleeve('qqq', 'sleeve_qqq_monthly.csv'),
  sleeve('btc', 'sleeve_btc_monthly.csv'),
  sleeve('eth', 'sleeve_eth_monthly.csv'),
];

const OPTIONS = { bootstrapSamples: 200 };

/** What a run selected and promoted, per objective. */
function selection(r: RunResult) {
  return {
    runs: r.runs.map((run) => ({
      objective: run.objective,
      selected: run.selected.candidate.config.name,
      score: run.selected.score,
      withoutGate: run.selectedWithoutGate,
      passing: run.scored.filter((s) => s.failedGates.length === 0).map((s) => s.candidate.config.name),
    })),
    promotion: r.promotion,
  };
}

/** Bytes of a path column, for an exact comparison (NaN and -0 included). */
const bytes = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

const serial: { two?: RunResult } = {};
const parallel: { two?: RunResult } = {};

beforeAll(async () => {
  serial.two = await runStep4({ sleeves: TWO, families: FAMILIES, options: OPTIONS, jobs: 1 });
  parallel.two = await runStep4({ sleeves: TWO, families: FAMILIES, options: OPTIONS, jobs: 2 });
}, 120_000);

describe('jobs change nothing', () => {
  it('both runs simulate the same candidates, without failures', () => {
    const names = (r: RunResult) => r.evaluated.map((c) => c.config.name);
    expect(names(parallel.two!)).toEqual(names(serial.two!));
    expect(serial.two!.evaluated.length).toBeGreaterThan(5);
    for (const r of [serial.two!, parallel.two!])
      expect(r.evaluated.filter((c) => c.error).map((c) => `${c.config.name}: ${c.error}`)).toEqual([]);
    const methods = new Set(serial.two!.evaluated.map((c) => c.config.method));
    expect([...methods].sort()).toEqual(['heuristic', 'static']);
  });

  it('every candidate has the same path, bit for bit', () => {
    const b = new Map(parallel.two!.evaluated.map((c) => [c.config.name, c]));
    for (const a of serial.two!.evaluated) {
      const other = b.get(a.config.name)!;
      expect(bytes(other.path!.retNet), a.config.name).toBe(bytes(a.path!.retNet));
      expect(other.path!.weights.map(bytes), a.config.name).toEqual(a.path!.weights.map(bytes));
      expect(other.metrics, a.config.name).toEqual(a.metrics);
    }
  });

  it('the selection and promotion are the same', () => {
    expect(selection(parallel.two!)).toEqual(selection(serial.two!));
    expect(serial.two!.runs.map((r) => r.objective)).toEqual(['return', 'balanced', 'calmar', 'robust']);
  });

  it('the result records the options and the sleeves', () => {
    expect(serial.two!.options.bootstrapSamples).toBe(200);
    expect(serial.two!.options.seed).toBe(42);
    expect(serial.two!.manifest.sleeves.map((s) => s.name)).toEqual(['spyqqq', 'btceth']);
    expect(serial.two!.manifest.families.map((f) => f.source)).toEqual([
      '@step4/candidates-static',
      '@step4/candidates-heuristic',
    ]);
  });
});

describe('workers started ahead (startSimulationWorkers)', () => {
  const alive = (w: { threads: readonly { threadId: number }[] }) =>
    w.threads.filter((t) => t.threadId > 0).length;

  it('change nothing, and the run ends them', async () => {
    const workers = startSimulationWorkers(3, FAMILIES);
    expect(alive(workers)).toBe(2);
    const r = await runStep4({ sleeves: TWO, families: FAMILIES, options: OPTIONS, jobs: 3, workers });
    expect(alive(workers)).toBe(0);
    const b = new Map(r.evaluated.map((c) => [c.config.name, c]));
    for (const a of serial.two!.evaluated) {
      expect(bytes(b.get(a.config.name)!.path!.retNet), a.config.name).toBe(bytes(a.path!.retNet));
      expect(b.get(a.config.name)!.metrics, a.config.name).toEqual(a.metrics);
    }
    expect(selection(r)).toEqual(selection(serial.two!));
  }, 120_000);

  it('started with other families, they load those of the run', async () => {
    // Only the static family ahead; the worker is handed heuristic candidates only (no `local`:
    // every task goes to it), which it can simulate only with the families of the run's setup.
    const workers = startSimulationWorkers(2, FAMILIES.slice(0, 1));
    const panel = await loadPanel(TWO);
    const registry = await loadFamilies(FAMILIES);
    const prepared = prepareRun(panel, DEFAULT_RUN_OPTIONS);
    const bootstrap = { samples: 200, blockMonths: 6, seed: 42 };
    const heuristic = registry.defaultGrid({ names: panel.names }).filter((c) => c.method === 'heuristic');
    const groups = await runInWorkers<CandidateConfig[], { evaluated: EvaluatedCandidate[] }>({
      workerUrl: new URL('../dist/worker.js', import.meta.url),
      workerData: { panel, options: prepared.options, bootstrap, families: FAMILIES },
      workers: workers.threads,
      tasks: heuristic.map((c) => [c]),
      jobs: 1,
    });
    const evaluated = groups.flatMap((g) => g.evaluated);
    expect(evaluated.map((c) => c.config.name)).toEqual(heuristic.map((c) => c.name));
    expect(evaluated.filter((c) => c.error).map((c) => `${c.config.name}: ${c.error}`)).toEqual([]);
    // The pool leaves the worker it took to its owner (runStep4 ends it; here the test does).
    expect(alive(workers)).toBe(1);
    await stopSimulationWorkers(workers);
    expect(alive(workers)).toBe(0);
  }, 120_000);

  it('a run that fails before it simulates ends them too', async () => {
    const workers = startSimulationWorkers(2, FAMILIES);
    const missing = { name: 'gone', path: join(tmpdir(), 'step4-no-such-sleeve.csv') };
    await expect(
      runStep4({ sleeves: [TWO[0], missing], families: FAMILIES, options: OPTIONS, jobs: 2, workers }),
    ).rejects.toThrow('step4-no-such-sleeve.csv');
    expect(alive(workers)).toBe(0);
  });
});

describe('a risk-free table', () => {
  it('is recorded in the manifest with the SHA-256 of its bytes, like the sleeve tables', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'step4-rf-'));
    try {
      // A monthly return for every month of the embedded sleeves.
      const months = readFileSync(TWO[0].path, 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.split(',')[0]);
      const file = join(dir, 'rf.csv');
      writeFileSync(file, `month_end,ret\n${months.map((m) => `${m},0.002`).join('\n')}\n`);
      const run = await runStep4({
        sleeves: TWO,
        families: FAMILIES,
        options: { ...OPTIONS, riskFreeTable: file },
      });
      const expected = createHash('sha256').update(readFileSync(file)).digest('hex');
      expect(run.manifest.options?.risk_free_table).toBe(file);
      expect(run.manifest.options?.risk_free_table_sha256).toBe(expected);
      // A constant rate has no table to hash.
      expect(serial.two!.manifest.options).not.toHaveProperty('risk_free_table_sha256');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('four sleeves', () => {
  let four: RunResult;

  beforeAll(async () => {
    four = await runStep4({ sleeves: FOUR, families: FAMILIES, options: OPTIONS, jobs: 2 });
  }, 120_000);

  it('runs every candidate of both families', () => {
    expect(four.prepared.panel.names).toEqual(['spy', 'qqq', 'btc', 'eth']);
    expect(four.evaluated.filter((c) => c.error).map((c) => `${c.config.name}: ${c.error}`)).toEqual([]);
    const methods = new Set(four.evaluated.map((c) => c.config.method));
    expect([...methods].sort()).toEqual(['heuristic', 'static']);
    expect(four.evaluated.map((c) => c.config.name)).toEqual(
      expect.arrayContaining(['baseline_spy_only', 'baseline_eth_only', 'baseline_equal']),
    );
  });

  it('keeps the weights on the simplex every month', () => {
    const off: string[] = [];
    const check = (c: EvaluatedCandidate) => {
      const p = c.path!;
      expect(p.sleeveNames).toEqual(['spy', 'qqq', 'btc', 'eth']);
      expect(p.weights.length).toBe(4);
      for (let k = 0; k < p.retNet.length; k++) {
        let sum = 0;
        for (const w of p.weights) {
          if (!(w[k] >= -1e-12 && w[k] <= 1 + 1e-12)) off.push(`${c.config.name} ${p.monthEnds[k]}: ${w[k]}`);
          sum += w[k];
        }
        if (Math.abs(sum - 1) > 1e-9) off.push(`${c.config.name} ${p.monthEnds[k]}: sum ${sum}`);
      }
    };
    for (const c of four.evaluated) check(c);
    expect(off).toEqual([]);
  });
});

describe('a family written for two sleeves', () => {
  it('is refused in a four-sleeve run, naming the family', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'step4-engine-run-'));
    const module = join(dir, 'pair-only.mjs');
    // No `sleeves` declaration: a two-sleeve family.
    writeFileSync(
      module,
      `export default {
  meta: { name: 'pair_only', version: '1.0.0', coreApi: 2 },
  params: {},
  defaultGrid: () => [{ name: 'pair_only_a', method: 'pair_only', min_w: 0, max_w: 1, smoothing: 0, max_step: 1,
    gross_base: 1, gross_conf_scale: 0, max_gross: 1, target_vol: 0, vol_lb: 12, turn_cost_bps: 0, gross_cost_bps: 0 }],
  decide: () => ({ wRaw: 0.5, conf: 0 }),
};\n`,
    );
    const families = [FAMILIES[0]!, { module, source: './pair-only.mjs' }];
    const err = await runStep4({
      sleeves: FOUR,
      families,
      // The default grid leaves out families that cannot run this many sleeves; a grid naming one is refused.
      grid: (registry, sleeves) => [
        ...registry.defaultGrid(sleeves),
        ...registry.require('pair_only').defaultGrid(sleeves),
      ],
      options: OPTIONS,
      jobs: 2,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain('pair_only');
    expect((err as Error).message).toContain('./pair-only.mjs');
    expect((err as Error).message).toMatch(/two-sleeve family/);
  });
});

describe('onSelected', () => {
  it('gives the selection before the statistics, the very runs of the result', async () => {
    const seen: { runs: readonly unknown[]; stage: string[] }[] = [];
    const stages: string[] = [];
    const r = await runStep4({
      sleeves: TWO,
      families: FAMILIES,
      options: OPTIONS,
      onStage: (stage) => stages.push(stage),
      onSelected: (s) => seen.push({ runs: s.runs, stage: [...stages] }),
    });
    expect(seen).toHaveLength(1);
    // Called after the simulation, before the overfitting statistics.
    expect(seen[0].stage).toEqual(['load', 'simulate']);
    expect(seen[0].runs).toHaveLength(4);
    for (const [i, run] of seen[0].runs.entries()) expect(run).toBe(r.runs[i]);
  });

  it('waits for the statistics when a DSR gate selects, and is still called once', async () => {
    const seen: { runs: readonly unknown[]; stage: string[] }[] = [];
    const stages: string[] = [];
    const r = await runStep4({
      sleeves: TWO,
      families: FAMILIES,
      options: { ...OPTIONS, minDsr: 0.5 },
      onStage: (stage) => stages.push(stage),
      onSelected: (s) => seen.push({ runs: s.runs, stage: [...stages] }),
    });
    expect(seen).toHaveLength(1);
    expect(seen[0].stage).toEqual(['load', 'simulate', 'analyse']);
    for (const [i, run] of seen[0].runs.entries()) expect(run).toBe(r.runs[i]);
  });
});
