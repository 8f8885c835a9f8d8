// Benchmarks (pnpm bench): figures and ratios, never a pass/fail.
// - fits (decisions) per second of every family on the embedded data, fresh family objects
//   so no decision is reused from a cache;
// - the two random-forest engines side by side: fit+predict time of one 220-tree forest on
//   48 x 17 and agreement of ml_rf_lb24 with the reference's policy outputs;
// - run-all in process and the wall time of `step4 run-all` with every output written.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { mlRfFamily } from '../packages/candidates-ml/dist/index.js';
import { builtinGrid, builtinRegistry } from '../packages/cli/dist/index.js';
import { DEFAULT_RUN_OPTIONS, familyDecisions, prepareRun } from '../packages/core/dist/index.js';
import { referencePanel, syntheticPanel } from '../packages/core/dist/testing/index.js';
import { runStep4 } from '../packages/engine/dist/index.js';
import { BUILTIN_FAMILIES } from '../packages/cli/dist/builtin.js';
import { forestEngine, tfReady } from '../packages/models/dist/index.js';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(fn, repeat = 3) {
  const ts = [];
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

const backend = await tfReady();
console.log(
  `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, TensorFlow.js backend ${backend}`,
);
const prepared = prepareRun(referencePanel(), DEFAULT_RUN_OPTIONS);
const opts = { minHistory: 24, seed: 42 };
const grid = builtinGrid(builtinRegistry());

console.log('\nfamily          candidate               fits/s   ms per candidate path (90 months)');
for (const { family } of builtinRegistry().list()) {
  const config = grid.filter((c) => c.method === family.meta.name).at(-1);
  let decisions = 0;
  const ms = await time(async () => {
    // A fresh registry each time: no cached decisions.
    const fresh = builtinRegistry().get(family.meta.name);
    decisions = (await familyDecisions(fresh, config, prepared.table, opts)).length;
  });
  console.log(
    `${family.meta.name.padEnd(16)}${config.name.padEnd(24)}${((decisions / ms) * 1000).toFixed(0).padStart(6)}   ${ms.toFixed(1).padStart(8)}`,
  );
}

// Forest engines on one 48 x 17 window with the ml_rf settings.
const f = 17;
const n = 48;
const X = prepared.table.features.slice(0, n * f);
const y = Int32Array.from({ length: n }, (_, i) =>
  prepared.table.returns[0][i + 1] > prepared.table.returns[1][i + 1] ? 1 : 0,
);
const xNew = prepared.table.features.slice(n * f, (n + 1) * f);
const params = {
  nTrees: 220,
  maxDepth: 4,
  minSamplesLeaf: 4,
  maxFeatures: 'sqrt',
  classWeight: 'balanced_subsample',
  seed: 42,
};
const forestMs = {};
for (const name of ['typed', 'ml-random-forest']) {
  forestMs[name] = await time(
    () => forestEngine(name).fitPredictProba(X, n, f, y, 2, xNew, params),
    name === 'typed' ? 15 : 5,
  );
}
const ref = readFileSync(new URL('../fixtures/parity/paths.csv', import.meta.url), 'utf8')
  .trim()
  .split('\n');
const cols = ref[0].split(',');
const refW = ref
  .slice(1)
  .map((l) => l.split(','))
  .filter((c) => c[0] === 'ml_rf_lb24_g1_0')
  .map((c) => Number(c[cols.indexOf('policy_w_raw')]));
function agreement(a, b) {
  const k = b.length;
  const ma = a.reduce((s, v) => s + v, 0) / k;
  const mb = b.reduce((s, v) => s + v, 0) / k;
  let sab = 0,
    saa = 0,
    sbb = 0,
    mad = 0;
  for (let i = 0; i < k; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
    mad += Math.abs(a[i] - b[i]);
  }
  return { corr: sab / Math.sqrt(saa * sbb), mad: mad / k };
}
console.log(
  '\nforest engine      ms per 220-tree forest (48 x 17)   ml_rf_lb24 vs reference: correlation, mean abs diff',
);
const config = grid.find((c) => c.name === 'ml_rf_lb24_g1_0');
for (const name of ['typed', 'ml-random-forest']) {
  const decisions = await familyDecisions(mlRfFamily({ engine: name }), config, prepared.table, opts);
  const a = agreement(
    decisions.map((d) => d.wRaw),
    refW,
  );
  console.log(
    `${name.padEnd(19)}${forestMs[name].toFixed(2).padStart(10)}                          ${a.corr.toFixed(3)}, ${a.mad.toFixed(3)}`,
  );
}
console.log(
  `typed forest speed-up over ml-random-forest: ${(forestMs['ml-random-forest'] / forestMs.typed).toFixed(1)}x`,
);
console.log('(scikit-learn re-seeded reaches correlation 0.955-0.967, mean abs diff 0.026-0.029)');

// N sleeves: the whole pipeline in process (runStep4, no files), built-in grid for the sleeves.
const data = (f) => new URL(`../packages/cli/data/${f}`, import.meta.url).pathname;
const tableOf = (panel, s) => ({
  name: panel.names[s],
  source: `synthetic:${panel.names[s]}`,
  sha256: '',
  months: panel.monthEnds.map((m) => m.slice(0, 7)),
  ret: panel.returns[s],
});
const synthetic8 = syntheticPanel({ months: 300, seed: 8, sleeves: 8 });
const universes = [
  [
    'N = 2 embedded (spyqqq, btceth)',
    ['spyqqq', 'btceth'].map((n) => ({ name: n, path: data(`sleeve_${n}_monthly.csv`) })),
  ],
  [
    'N = 4 embedded (spy, qqq, btc, eth)',
    ['spy', 'qqq', 'btc', 'eth'].map((n) => ({ name: n, path: data(`sleeve_${n}_monthly.csv`) })),
  ],
  [
    'N = 8 synthetic, 300 months',
    synthetic8.names.map((n, s) => ({ name: n, table: tableOf(synthetic8, s) })),
  ],
];
console.log(
  `\nrun-all in process (runStep4, --jobs ${cpus().length}, 1200 bootstrap samples, no files written)`,
);
console.log(
  'universe                               candidates  path months  wall s   us per candidate-month   ratio to N = 2   N / 2',
);
let base;
for (const [label, sleeves] of universes) {
  let result;
  const ms = await time(async () => {
    result = await runStep4({
      sleeves,
      families: BUILTIN_FAMILIES,
      grid: (registry, universe) => builtinGrid(registry, universe),
      jobs: cpus().length,
    });
  }, 1);
  const months = result.evaluated[0].path.monthEnds.length;
  const perCandidateMonth = (ms * 1000) / (result.evaluated.length * months);
  base ??= perCandidateMonth;
  const n = sleeves.length;
  console.log(
    `${label.padEnd(39)}${String(result.evaluated.length).padStart(10)}${String(months).padStart(13)}${(ms / 1000).toFixed(2).padStart(8)}${perCandidateMonth.toFixed(1).padStart(25)}${(perCandidateMonth / base).toFixed(2).padStart(17)}${(n / 2).toFixed(1).padStart(8)}`,
  );
}

const out = mkdtempSync(join(tmpdir(), 'step4-bench-'));
const bin = new URL('../packages/cli/dist/bin.js', import.meta.url).pathname;
for (const jobs of [1, cpus().length]) {
  const wall = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = spawnSync(
      process.execPath,
      [bin, 'run-all', '--quiet', '--jobs', String(jobs), '--out-dir', join(out, `run${jobs}-${i}`)],
      { encoding: 'utf8' },
    );
    wall.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(r.stderr);
  }
  console.log(
    `step4 run-all wall time with all outputs, --jobs ${jobs} (median of 3): ${(median(wall) / 1000).toFixed(2)} s`,
  );
}
rmSync(out, { recursive: true, force: true });
console.log(
  'target: under 15 s on a 2-core machine; the reference Python implementation takes ~26 min there',
);
