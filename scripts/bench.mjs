// Benchmarks (pnpm bench): figures and ratios, never a pass/fail.
// - decisions per second of each registered family on the embedded data;
// - the in-process run-all (simulate + score, no files);
// - the wall time of `step4 run-all` with every output written.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { builtinGrid, builtinRegistry } from '../packages/cli/dist/index.js';
import { DEFAULT_RUN_OPTIONS, familyDecisions, prepareRun, runAll } from '../packages/core/dist/index.js';
import { referencePanel } from '../packages/core/dist/testing/index.js';
import { referenceRobustness } from '../packages/robustness/dist/index.js';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(fn, repeat = 5) {
  const ts = [];
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
const prepared = prepareRun(referencePanel(), DEFAULT_RUN_OPTIONS);
const registry = builtinRegistry();
const grid = builtinGrid(registry);
const opts = { minHistory: 24, seed: 42 };

console.log('\nfamily            candidates  decisions/s   ms per candidate path');
for (const { family } of registry.list()) {
  const configs = grid.filter((c) => c.method === family.meta.name);
  let decisions = 0;
  const ms = await time(async () => {
    decisions = 0;
    for (const c of configs) decisions += (await familyDecisions(family, c, prepared.table, opts)).length;
  });
  console.log(
    `${family.meta.name.padEnd(18)}${String(configs.length).padStart(10)}  ${((decisions / ms) * 1000).toFixed(0).padStart(11)}   ${(ms / configs.length).toFixed(2).padStart(8)}`,
  );
}

const probe = referenceRobustness({ samples: 1200, blockMonths: 6, seed: 42 });
const inProcess = await time(() => runAll(grid, registry, prepared, probe), 3);
console.log(
  `\nrun-all in process (${grid.length} candidates, 4 objectives, 1200 bootstrap samples): ${inProcess.toFixed(0)} ms`,
);

const out = mkdtempSync(join(tmpdir(), 'step4-bench-'));
const bin = new URL('../packages/cli/dist/bin.js', import.meta.url).pathname;
const wall = [];
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, 'run-all', '--quiet', '--out-dir', join(out, `run${i}`)], {
    encoding: 'utf8',
  });
  wall.push(performance.now() - t0);
  if (r.status !== 0) throw new Error(r.stderr);
}
rmSync(out, { recursive: true, force: true });
const w = median(wall);
console.log(`step4 run-all wall time with all outputs (median of 3): ${(w / 1000).toFixed(2)} s`);
console.log(`share of wall time spent simulating and scoring: ${((inProcess / w) * 100).toFixed(0)}%`);
console.log(
  `reference Python implementation on a 2-core machine: ~26 min for all 59 candidates (parity README / issue 3)`,
);
