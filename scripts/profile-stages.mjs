// Where the time of an embedded run-all goes, stage by stage (wall time, in this process):
// loading the modules, then runStep4's stages (load, simulate, analyse, score), then writing
// every output (with --jobs above 1, as the CLI, the workers start ahead and the charts are
// rendered on the simulation's worker, handed over to the chart thread, during the statistics, so
// "write" is what is left of it). Run it as the step4 command runs (its shebang's V8 flags:
// `node --no-concurrent-recompilation --single-threaded-gc scripts/profile-stages.mjs`). Prints a Markdown table (median of
// --repeat runs, default 3), the table in the README's speed section. For the functions inside a stage, profile the CLI itself:
//   node --cpu-prof packages/cli/dist/bin.js run-all --jobs 1 --quiet
//   node scripts/profile-stages.mjs [--repeat 3] [--jobs 2] [--sleeves spy,qqq,btc,eth]
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    repeat: { type: 'string', default: '3' },
    jobs: { type: 'string', default: String(Math.min(8, availableParallelism())) },
    sleeves: { type: 'string', default: 'spyqqq,btceth' },
  },
});
// As the step4 command does before loading anything (packages/core/src/v8-tuning.ts).
(await import('../packages/core/dist/v8-tuning.js')).tuneV8ForShortRuns();
const t0 = performance.now();
const [{ runStep4, startSimulationWorkers }, { BUILTIN_FAMILIES }, cli, report] = await Promise.all([
  import('../packages/engine/dist/index.js'),
  import('../packages/cli/dist/builtin.js'),
  import('../packages/cli/dist/index.js'),
  import('../packages/report/dist/index.js'),
]);
const importMs = performance.now() - t0;
const data = (n) => new URL(`../packages/cli/data/sleeve_${n}_monthly.csv`, import.meta.url).pathname;
const sleeves = values.sleeves.split(',').map((name) => ({ name, path: data(name) }));
const out = mkdtempSync(join(tmpdir(), 'step4-stages-'));
const runs = [];
for (let i = 0; i < Number(values.repeat); i++) {
  const stages = {};
  const start = performance.now();
  const jobs = Number(values.jobs);
  const workers = jobs > 1 ? startSimulationWorkers(jobs, BUILTIN_FAMILIES) : undefined;
  const result = await runStep4({
    sleeves,
    families: BUILTIN_FAMILIES,
    grid: (registry, universe) => cli.builtinGrid(registry, universe),
    jobs,
    ...(workers ? { workers } : {}),
    onStage: (stage, ms) => {
      stages[stage] = ms;
    },
    // As the CLI does with a second thread: the charts are rendered beside the statistics.
    ...(workers
      ? {
          onSelected: (selection) => {
            report.startChartThread({ reuse: workers.threads[0] });
            report.startRunCharts(selection);
          },
        }
      : {}),
  });
  const w = performance.now();
  await report.writeRunAllOutputs(join(out, `run${i}`), result, result.manifest, { chart: true });
  stages.write = performance.now() - w;
  stages.total = performance.now() - start;
  runs.push(stages);
  // Each run starts its threads cold, as each CLI process does.
  await report.stopChartThread();
}
rmSync(out, { recursive: true, force: true });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [['modules (first import)', importMs]];
for (const k of ['load', 'simulate', 'analyse', 'score', 'write', 'total'])
  rows.push([k, median(runs.map((r) => r[k]))]);
console.log(
  `stages of an embedded run-all (${values.sleeves}), --jobs ${values.jobs}, median of ${values.repeat}`,
);
console.log('| stage | wall s |\n| --- | --- |');
for (const [k, ms] of rows) console.log(`| ${k} | ${(ms / 1000).toFixed(2)} |`);
