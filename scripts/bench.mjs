// Benchmarks (pnpm bench): figures and ratios, never a pass/fail.
// - fits (decisions) per second of every family on the embedded data, fresh family objects
//   so no decision is reused from a cache;
// - the two random-forest engines side by side: fit+predict time of one 220-tree forest on
//   48 x 17 and agreement of ml_rf_lb24 with the reference's policy outputs;
// - the targets of issue #14 (Performance 2), each measured and set against its target in
//   one table at the end: the `step4` commands as a user runs them (child processes, every
//   output written), growth with months and candidates, peak memory, and the speed-up of
//   the ML paths over the figures measured before the issue's work.
// `node scripts/bench.mjs [--root <repo>] [--before <repo>]`: --root benchmarks another built
// checkout (e.g. a copy of the starting point) with this script; --before measures the speed-up
// rows against a built checkout of the starting point (1eb8f78) in this run, alternating between
// the two, instead of the recorded figures (a shared machine's speed drifts between runs).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The figures before the issue's work, measured on this 2-core machine at commit 1eb8f78
 * with this script's per-family and forest sections (ms per candidate path of 90 months,
 * ms per 220-tree forest on 48 x 17): the mean of two runs (ml_lr 637 and 495, ml_rf 308
 * and 338, regime_rf 379 and 383, forest 3.54 and 3.73; `--root` on a checkout of 1eb8f78
 * repeats them). The speed-up rows divide them by today's figures.
 */
const BEFORE_ISSUE_14 = {
  ml_lr_lb48_g1_3: 566,
  ml_rf_lb48_g1_3: 323,
  regime_rf_lb48_g1_3: 381,
  typedForest220: 3.64,
};

/** Bound of the slowest run (the eight-sleeve panel took minutes before the issue's work). */
const TIMEOUT_MS = 300_000;

const rootArg = process.argv.indexOf('--root');
const root =
  rootArg === -1
    ? new URL('..', import.meta.url)
    : pathToFileURL(`${process.argv[rootArg + 1].replace(/\/$/, '')}/`);
const load = (path) => import(new URL(path, root).href);
const rootArgs = rootArg === -1 ? [] : ['--root', process.argv[rootArg + 1]];
const { mlRfFamily } = await load('packages/candidates-ml/dist/index.js');
const { builtinGrid, builtinRegistry } = await load('packages/cli/dist/index.js');
const { DEFAULT_RUN_OPTIONS, evaluateCandidates, familyDecisions, prepareRun } = await load(
  'packages/core/dist/index.js',
);
const { referencePanel, syntheticPanel } = await load('packages/core/dist/testing/index.js');
const { referenceRobustness } = await load('packages/robustness/dist/index.js');
const { forestEngine, tfReady } = await load('packages/models/dist/index.js');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/**
 * Medians of `repeat` timings of a and b taken alternately, after one untimed run of each, and
 * the median of the pairs' ratios b / a (each pair timed in the same minute, so a drift of the
 * machine's speed weighs on both of its timings alike).
 */
async function alternately(a, b, repeat) {
  await a();
  await b();
  const ta = [];
  const tb = [];
  for (let i = 0; i < repeat; i++) {
    for (const [fn, ts] of [
      [a, ta],
      [b, tb],
    ]) {
      const t0 = performance.now();
      await fn();
      ts.push(performance.now() - t0);
    }
  }
  return { a: median(ta), b: median(tb), ratio: median(tb.map((t, i) => t / ta[i])) };
}

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
  `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, TensorFlow.js backend ${backend}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const prepared = prepareRun(referencePanel(), DEFAULT_RUN_OPTIONS);
const opts = { minHistory: 24, seed: 42 };
const grid = builtinGrid(builtinRegistry());

// `--candidate-growth` (run by this script in a child process): time ml_lr's grid and the grid
// doubled, alternately after one untimed run of each (the code is then compiled for both, and a
// drift of the machine's speed weighs on both alike); prints the medians and the median of the
// pairs' ratios, the figure checked against the target, as JSON.
const GROWTH_REPEAT = 15;
if (process.argv.includes('--candidate-growth')) {
  const baseGrid = grid.filter((c) => c.method === 'ml_lr');
  const doubled = [
    ...baseGrid,
    ...baseGrid.map((c) => ({ ...c, name: `${c.name}_x2`, lookback: c.lookback + 1 })),
  ];
  const probe = referenceRobustness({ samples: 1200, blockMonths: 6, seed: 42, method: 'circular' });
  const simulate = (g) => () => evaluateCandidates(g, builtinRegistry(), prepared, probe);
  const { a, b, ratio } = await alternately(simulate(baseGrid), simulate(doubled), GROWTH_REPEAT);
  console.log(JSON.stringify({ oneX: a, twoX: b, ratio, candidates: [baseGrid.length, doubled.length] }));
  process.exit(0);
}

/** ms per candidate path of the last candidate of each family (the per-family section). */
const pathMs = {};
console.log('\nfamily          candidate               fits/s   ms per candidate path (90 months)');
for (const { family } of builtinRegistry().list()) {
  const config = grid.filter((c) => c.method === family.meta.name).at(-1);
  let decisions = 0;
  const ms = await time(async () => {
    // A fresh registry each time: no cached decisions.
    const fresh = builtinRegistry().get(family.meta.name);
    decisions = (await familyDecisions(fresh, config, prepared.table, opts)).length;
    // Median of 7: a path takes 0.05-0.5 s, and on a shared 2-core machine three runs can all be slowed.
  }, 7);
  pathMs[config.name] = ms;
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
const ref = readFileSync(new URL('fixtures/parity/paths.csv', root), 'utf8').trim().split('\n');
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

// ---- The targets of issue #14, measured as a user meets them: `step4` in a child process.
const tmp = mkdtempSync(join(tmpdir(), 'step4-bench-'));
const bin = new URL('packages/cli/dist/bin.js', root).pathname;
/**
 * The Node flags of a bin's shebang (`#!/usr/bin/env -S node --flag ...`): `step4` runs with them
 * whether the kernel reads the line (an npm global install links the file) or a command shim does
 * (npm's and pnpm's read it), so each run below is this Node with them, as the command runs.
 */
function shebangNodeFlags(path) {
  const first = readFileSync(path, 'utf8').split('\n', 1)[0];
  const m = /^#!\s*(?:\/usr\/bin\/env(?:\s+-S)?\s+)?\S*node((?:[ \t]+\S+)*)[ \t]*$/.exec(first);
  if (!m) throw new Error(`${path}: the first line is not a node shebang: ${first}`);
  return m[1].trim().split(/\s+/).filter(Boolean);
}
const binNodeFlags = shebangNodeFlags(bin);
// Preloaded into measured runs: the process's peak resident memory (worker threads included,
// they share the process) on stderr at exit, in kilobytes.
const maxRssModule = join(tmp, 'max-rss.mjs');
writeFileSync(
  maxRssModule,
  "process.on('exit', () => process.stderr.write('\\nstep4-bench-max-rss-kb ' + process.resourceUsage().maxRSS + '\\n'));\n",
);
let outCount = 0;

/**
 * One `step4` run (outputs to a fresh folder under the temp dir): wall ms, peak RSS in MB,
 * or timedOut. A failed run stops the benchmark.
 */
function step4(args, { rss = false, timeout = TIMEOUT_MS } = {}) {
  const out = ['run-all', 'optimize'].includes(args[0])
    ? ['--quiet', '--out-dir', join(tmp, `out${outCount++}`)]
    : [];
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    [...binNodeFlags, ...(rss ? ['--import', pathToFileURL(maxRssModule).href] : []), bin, ...args, ...out],
    { encoding: 'utf8', timeout, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 },
  );
  const ms = performance.now() - t0;
  if (r.error?.code === 'ETIMEDOUT' || r.signal === 'SIGTERM') return { ms, timedOut: true };
  if (r.status !== 0) throw new Error(`step4 ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  const kb = /step4-bench-max-rss-kb (\d+)/.exec(r.stderr);
  if (out.length > 0) rmSync(out[2], { recursive: true, force: true });
  return { ms, rssMb: kb ? Number(kb[1]) / 1024 : undefined };
}

/** Up to `max` runs (at least one), fewer once `budgetMs` is spent: median wall, largest peak RSS. */
function runs(args, { max = 3, budgetMs = 60_000, rss = false } = {}) {
  const all = [];
  const t0 = performance.now();
  do {
    const r = step4(args, { rss });
    all.push(r);
    if (r.timedOut) return { ms: r.ms, timedOut: true, n: all.length };
  } while (all.length < max && performance.now() - t0 < budgetMs);
  const rssMb = all.map((r) => r.rssMb).filter((x) => x !== undefined);
  return {
    ms: median(all.map((r) => r.ms)),
    rssMb: rssMb.length > 0 ? Math.max(...rssMb) : undefined,
    n: all.length,
  };
}

/** A synthetic panel as sleeve CSV files; returns the --sleeve options naming them. */
function sleeveFiles(label, panel) {
  const dir = join(tmp, label);
  mkdirSync(dir);
  return panel.names.flatMap((name, s) => {
    const file = join(dir, `${name}.csv`);
    // String(x) prints the shortest text that reads back as the same double.
    const rows = panel.monthEnds.map((m, t) => `${m},${String(panel.returns[s][t])}`);
    writeFileSync(file, `month_end,ret\n${rows.join('\n')}\n`);
    return ['--sleeve', `${name}=${file}`];
  });
}

const FOUR = ['spy', 'qqq', 'btc', 'eth'].flatMap((s) => ['--sleeve', `${s}=embedded:${s}`]);
const results = [];
/** A row of the final table: measured value, target, and how far from it (ratio > 1 misses it). */
function row(name, value, unit, target, { atLeast = false, shown, note = '' } = {}) {
  results.push({ name, value, unit, target, atLeast, shown, note });
}
const runNote = (r) => `median of ${r.n}`;

console.log('\nissue #14 targets (child processes, every output written, --jobs default)');
console.log(
  `step4 runs as its bin's shebang says: node ${[...binNodeFlags, 'packages/cli/dist/bin.js'].join(' ')}`,
);
// What Node itself takes to start and stop, before any of step4 runs: part of every figure below.
// NODE_EXTRA_CA_CERTS (set on some machines for a proxy's certificate authority) makes Node 20 read
// and parse that file at every start; its share is shown when it is set.
const nodeStart = (env) => time(() => spawnSync(process.execPath, ['-e', '0'], { env }), 5);
const bareStart = await nodeStart(process.env);
const caFile = process.env.NODE_EXTRA_CA_CERTS;
const withoutCa = caFile ? await nodeStart({ ...process.env, NODE_EXTRA_CA_CERTS: '' }) : bareStart;
console.log(
  `node -e 0 (Node's own start, part of every figure below): ${(bareStart / 1000).toFixed(2)} s (median of 5)` +
    (caFile
      ? `; NODE_EXTRA_CA_CERTS is set (${caFile}): ${((bareStart - withoutCa) / 1000).toFixed(2)} s of it, ${(withoutCa / 1000).toFixed(2)} s without`
      : ''),
);
const help = runs(['--help'], { max: 5 });
console.log(`step4 --help: ${(help.ms / 1000).toFixed(2)} s (${runNote(help)})`);
const families = runs(['families'], { max: 5 });
console.log(`step4 families: ${(families.ms / 1000).toFixed(2)} s (${runNote(families)})`);
// The two headline targets: five runs each (the machine's speed drifts between runs by 10% or more).
const two = runs(['run-all'], { rss: true, max: 5 });
console.log(`step4 run-all, embedded two sleeves: ${(two.ms / 1000).toFixed(2)} s (${runNote(two)})`);
const optimize = runs(['optimize', '--objective', 'return'], { max: 5 });
console.log(`step4 optimize --objective return: ${(optimize.ms / 1000).toFixed(2)} s (${runNote(optimize)})`);
const four = runs(['run-all', ...FOUR], { budgetMs: 45_000 });
console.log(`step4 run-all, embedded four sleeves: ${(four.ms / 1000).toFixed(2)} s (${runNote(four)})`);
const eight = runs(
  ['run-all', ...sleeveFiles('eight', syntheticPanel({ months: 300, seed: 8, sleeves: 8 }))],
  {
    max: 1,
  },
);
console.log(
  `step4 run-all, synthetic 8 sleeves x 300 months: ${eight.timedOut ? `> ${TIMEOUT_MS / 1000}` : (eight.ms / 1000).toFixed(2)} s`,
);
// Months: the same seeded two-sleeve panel process at 150 and 300 months, same grid.
const months = {};
for (const m of [150, 300]) {
  months[m] = runs(
    ['run-all', ...sleeveFiles(`m${m}`, syntheticPanel({ months: m, seed: 14, sleeves: 2 }))],
    {
      budgetMs: 40_000,
    },
  );
  console.log(
    `step4 run-all, synthetic 2 sleeves x ${m} months: ${months[m].timedOut ? `> ${TIMEOUT_MS / 1000}` : (months[m].ms / 1000).toFixed(2)} s (${runNote(months[m])})`,
  );
}

// Candidates: ml_lr's grid on the embedded data, then the same grid plus as many again, each
// copy one month longer in lookback (a distinct fit, not a cached one), simulated and scored in
// a fresh process (one thread, a fresh registry each time: nothing is reused between
// repetitions), so the heap the benchmarks above leave behind weighs on neither.
const family = 'ml_lr';
const growth = spawnSync(
  process.execPath,
  [fileURLToPath(import.meta.url), ...rootArgs, '--candidate-growth'],
  {
    encoding: 'utf8',
  },
);
if (growth.status !== 0) throw new Error(`candidate growth: ${growth.stderr}`);
// The child prints the machine line first, then the figures.
const { oneX, twoX, ratio: candidateRatio, candidates } = JSON.parse(growth.stdout.trim().split('\n').at(-1));
console.log(
  `${family} simulation, ${candidates[0]} vs ${candidates[1]} candidates (median of ${GROWTH_REPEAT}, alternately, after a run of each): ${(oneX / 1000).toFixed(2)} s vs ${(twoX / 1000).toFixed(2)} s, median ratio of the pairs ${candidateRatio.toFixed(2)}x`,
);
rmSync(tmp, { recursive: true, force: true });

const seconds = (r) => (r.timedOut ? Number.POSITIVE_INFINITY : r.ms / 1000);
const secondsShown = (r) => (r.timedOut ? `> ${TIMEOUT_MS / 1000}` : undefined);
row('step4 run-all, embedded, all outputs (wall)', seconds(two), 's', 2.5, { note: runNote(two) });
row('step4 optimize --objective return (wall)', seconds(optimize), 's', 2, { note: runNote(optimize) });
row('step4 --help (wall)', seconds(help), 's', 0.3, { note: runNote(help) });
row('step4 families (wall)', seconds(families), 's', 0.3, { note: runNote(families) });
row('step4 run-all, four embedded sleeves (wall)', seconds(four), 's', 5, { note: runNote(four) });
row('step4 run-all, synthetic 8 x 300 months (wall)', seconds(eight), 's', 30, {
  shown: secondsShown(eight),
  note: '1 run',
});
row('run-all wall, 300 / 150 months', seconds(months[300]) / seconds(months[150]), 'x', 2.2, {
  note: 'synthetic 2 sleeves',
});
row(`${family} simulation, 2x / 1x candidates`, candidateRatio, 'x', 2.1, {
  note: `${candidates[0]} -> ${candidates[1]} candidates, median of ${GROWTH_REPEAT} pairs`,
});
row('peak memory, embedded run-all (max RSS)', two.rssMb ?? Number.NaN, 'MB', 400, {
  note: `max of ${two.n}`,
});
/** `fn` with console.warn and console.log silenced. */
async function quietly(fn) {
  const { warn, log } = console;
  console.warn = () => {};
  console.log = () => {};
  try {
    return await fn();
  } finally {
    Object.assign(console, { warn, log });
  }
}

/**
 * The speed-up rows' figures measured now against a built checkout of the starting point,
 * alternating (before, now, before, ...) so that both see the same machine: the median of
 * 7 paths and of 41 forests each, fresh families every time.
 */
async function sideBySide(beforeRoot) {
  const from = (r) => (path) => import(new URL(path, r).href);
  const sides = [];
  for (const r of [beforeRoot, root]) {
    const get = from(r);
    // A second copy of TensorFlow.js warns about every kernel it registers again: not news here.
    const [cli, core, testing, models] = await quietly(async () => {
      const loaded = await Promise.all(
        [
          'packages/cli/dist/index.js',
          'packages/core/dist/index.js',
          'packages/core/dist/testing/index.js',
          'packages/models/dist/index.js',
        ].map(get),
      );
      await loaded[3].tfReady();
      return loaded;
    });
    const prep = core.prepareRun(testing.referencePanel(), core.DEFAULT_RUN_OPTIONS);
    const g = cli.builtinGrid(cli.builtinRegistry());
    const paths = Object.fromEntries(
      ['ml_lr', 'ml_rf', 'regime_rf'].map((family) => {
        const config = g.filter((c) => c.method === family).at(-1);
        return [
          config.name,
          () => core.familyDecisions(cli.builtinRegistry().get(family), config, prep.table, opts),
        ];
      }),
    );
    const engine = models.forestEngine('typed');
    paths.typedForest220 = () => engine.fitPredictProba(X, n, f, y, 2, xNew, params);
    sides.push(paths);
  }
  const ms = [{}, {}];
  for (const name of Object.keys(sides[1])) {
    const ts = [[], []];
    const rounds = name === 'typedForest220' ? 41 : 7;
    for (let i = 0; i < rounds; i++)
      for (const side of [0, 1]) {
        const t0 = performance.now();
        await sides[side][name]();
        ts[side].push(performance.now() - t0);
      }
    ms[0][name] = median(ts[0]);
    ms[1][name] = median(ts[1]);
  }
  return ms;
}

const beforeArg = process.argv.indexOf('--before');
const [before, now] =
  beforeArg === -1
    ? [BEFORE_ISSUE_14, { ...pathMs, typedForest220: forestMs.typed }]
    : await sideBySide(pathToFileURL(`${process.argv[beforeArg + 1].replace(/\/$/, '')}/`));
const how = beforeArg === -1 ? 'recorded' : 'measured beside';
const speedUp = (name, target) =>
  row(`${name} speed-up (before / now)`, before[name] / now[name], 'x', target, {
    atLeast: true,
    note: `${before[name].toFixed(2)} ms (${how}) -> ${now[name].toFixed(2)} ms`,
  });
speedUp('ml_lr_lb48_g1_3', 5);
speedUp('ml_rf_lb48_g1_3', 2);
speedUp('regime_rf_lb48_g1_3', 2);
speedUp('typedForest220', 2);

// The table: "of target" is value / target for a bound from above and target / value for one
// from below, so 1.00 or less meets the target either way.
console.log('\nissue #14 targets: measured value against target ("of target" <= 1.00 meets it)');
console.log(
  `${'target'.padEnd(50)}${'measured'.padStart(12)}${'target'.padStart(12)}${'of target'.padStart(11)}  note`,
);
for (const r of results) {
  const of = r.atLeast ? r.target / r.value : r.value / r.target;
  const digits = r.unit === 'MB' ? 0 : 2;
  const value = r.shown ?? r.value.toFixed(digits);
  const target = `${r.atLeast ? '>=' : '<='} ${r.target}`;
  console.log(
    `${r.name.padEnd(50)}${`${value} ${r.unit}`.padStart(12)}${`${target} ${r.unit}`.padStart(12)}${(Number.isFinite(of) ? of.toFixed(2) : '> 1').padStart(11)}  ${r.note}${Number.isFinite(of) && of <= 1 ? '' : '  (missed)'}`,
  );
}
