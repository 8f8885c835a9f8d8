import { parentPort } from 'node:worker_threads';
import type { ChartReply, ChartRequest } from './chart-thread.js';
import { type ChartInput, loadChartLibraries, portfolioChartRenderer } from './portfolio-chart.js';

// The thread of `startChartThread`: it loads the chart libraries at once, then renders the
// charts it is sent, with one renderer per batch (a write), so equal panels are rendered once.
const port = parentPort;
if (!port) throw new Error('chart-worker.js runs in a worker thread');
const loaded = loadChartLibraries();
// A failure to load is the first chart's error, not an unhandled rejection.
loaded.catch(() => {});
const renderers = new Map<number, (input: ChartInput) => Promise<Uint8Array>>();

port.on('message', (m: ChartRequest) => {
  if (m.kind === 'end') {
    renderers.delete(m.batch);
    return;
  }
  let render = renderers.get(m.batch);
  if (!render) {
    render = portfolioChartRenderer();
    renderers.set(m.batch, render);
  }
  const r = render;
  loaded
    .then(() => r(m.input))
    .then(
      (png) => port.postMessage({ id: m.id, png } satisfies ChartReply),
      (e: unknown) => {
        const err = e instanceof Error ? e : new Error(String(e));
        port.postMessage({ id: m.id, error: { name: err.name, message: err.message } } satisfies ChartReply);
      },
    );
});
