import { parentPort } from 'node:worker_threads';
import { type ChartReply, type ChartRequest, transferable } from './chart-thread.js';
import { type ChartInput, loadChartLibraries, portfolioChartRenderer } from './portfolio-chart.js';
import { parquetFromIpc } from './tables.js';

// The thread of `startChartThread`: it starts loading the chart libraries at once, then renders
// the charts it is sent, with one renderer per batch (a write, or the charts started before it),
// so equal panels are rendered once, and encodes the tables it is sent as Parquet.
const port = parentPort;
if (!port) throw new Error('chart-worker.js runs in a worker thread');
// The renderer awaits the same loads; a failure to load is the first chart's error, not an unhandled rejection.
loadChartLibraries().catch(() => {});
const renderers = new Map<number, (input: ChartInput) => Promise<Uint8Array>>();

/**
 * Answer request `id` with the bytes `make` makes, or with its error. A table's bytes (a plain
 * array) are handed over; a chart's (a buffer of sharp's) are copied.
 */
function answer(id: number, make: () => Uint8Array | Promise<Uint8Array>, handOver: boolean): void {
  const replyError = (e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    port?.postMessage({ id, error: { name: err.name, message: err.message } } satisfies ChartReply);
  };
  new Promise<Uint8Array>((resolve) => resolve(make())).then(
    (bytes) => port?.postMessage({ id, bytes } satisfies ChartReply, handOver ? transferable(bytes) : []),
    replyError,
  );
}

port.on('message', (m: ChartRequest) => {
  if (m.kind === 'end') {
    renderers.delete(m.batch);
    return;
  }
  if (m.kind === 'parquet') {
    answer(m.id, () => parquetFromIpc(m.ipc), true);
    return;
  }
  let render = renderers.get(m.batch);
  if (!render) {
    render = portfolioChartRenderer();
    renderers.set(m.batch, render);
  }
  answer(m.id, () => render(m.input), false);
});
