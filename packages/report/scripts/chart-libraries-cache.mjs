// Child process of scripts/bundle-chart-libraries.mjs: V8's code cache of dist/chart-libraries.cjs,
// written to dist/chart-libraries.cache. Made under the V8 settings the `step4` command runs with
// (@step4/core's COMMAND_LINE_V8_FLAGS, given by the parent on this process's command line, and
// tuneV8ForShortRuns), since V8 refuses a code cache made under other flags; the
// panels of a two- and a four-sleeve chart are rendered first, so that the cache holds the
// functions a chart runs, not only the bundle's top level.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tuneV8ForShortRuns } from '@step4/core/v8-tuning';

tuneV8ForShortRuns();
const dist = new URL('../dist/', import.meta.url);
const { chartLibrariesCodeCache } = await import(new URL('chart-libraries.js', dist).href);
const { chartSpec, panelsSvg } = await import(new URL('portfolio-chart.js', dist).href);

/** A chart's input over `n` sleeves and 120 months: smooth made-up series (only the code paths matter). */
function sampleInput(n) {
  const months = 120;
  const monthEnds = Array.from({ length: months }, (_, i) => {
    const y = 2016 + Math.floor(i / 12);
    const m = (i % 12) + 1;
    return `${y}-${String(m).padStart(2, '0')}-${String(new Date(Date.UTC(y, m, 0)).getUTCDate())}`;
  });
  const series = (k, f) => Float64Array.from({ length: months }, (_, i) => f(i, k));
  const equity = (k) => series(k, (i) => 10_000 * (1 + 0.01 * (k + 1)) ** i);
  return {
    candidate: `sample_${n}`,
    objective: 'return',
    score: 1,
    sleeveNames: Array.from({ length: n }, (_, k) => `sleeve${k}`),
    startCapital: 10_000,
    monthEnds,
    splitMonthEnd: monthEnds[72],
    equity: equity(0),
    sleeveEquity: Array.from({ length: n }, (_, k) => equity(k + 1)),
    equityEqual: equity(2),
    weights: Array.from({ length: n }, (_, k) => series(k, (i) => (1 + Math.sin(i + k)) / (2 * n))),
    grossLeverage: series(0, (i) => 1 + 0.2 * Math.cos(i)),
    pnl: series(0, (i) => 300 * Math.sin(i / 3)),
    stats: {
      testEndEquity: 20_000,
      testAvgMonthlyPnl: 200,
      testMaxDrawdown: 0.2,
      testCalmar: 1,
      avgWeights: Array.from({ length: n }, () => 1 / n),
      weightStdA: 0.1,
      weightStdMean: 0.1,
      avgTurnover: 0.05,
      benchEndEquity: { sleeves: Array.from({ length: n }, () => 15_000), equal: 15_000 },
      correlation: Float64Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0.5)),
    },
  };
}

for (const n of [2, 4]) await panelsSvg(chartSpec(sampleInput(n)));
// Throws unless the libraries came from the bundle.
writeFileSync(fileURLToPath(new URL('chart-libraries.cache', dist)), chartLibrariesCodeCache());
