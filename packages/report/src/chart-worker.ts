import { parentPort } from 'node:worker_threads';
import type { ChartReply, ChartRequest } from './chart-thread.js';
import { type ChartInput, loadChartLibraries, portfolioChartRenderer } from './portfolio-chart.js';

// The thread of `startChartThread`: it starts loading the chart libraries at once, then renders
// the charts it is sent, with one renderer per batch (a write, or the charts started before it),
// so equal panels are rendered once.
const port = parentPort;
if (!port) throw new Error('chart-worker.js runs in a worker thread');
// The renderer awaits the same loads; a failure to load is the first chart's error, not an unhandled rejection.
loadChartLibraries().catch(() => {});
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
  render(m.input).then(
    (png) => port.postMessage({ id: m.id, png } satisfies ChartReply),
    (e: unknown) => {
      const err = e instanceof Error ? e : new Error(String(e));
      port.postMessage({ id: m.id, error: { name: err.name, message: err.message } } satisfies ChartReply);
    },
  );
});
