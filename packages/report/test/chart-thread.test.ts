/**
 * The chart thread renders the bytes this thread renders and encodes the
 * Parquet bytes this thread encodes, reports a failed chart or table with its
 * error, and early charts (`startRunCharts`) need it started.
 * Imported from the build (`dist`): the thread runs `chart-worker.js`, which
 * only the build has.
 */
import { runInWorkers, startWorkers } from '@step4/core';
import { afterAll, describe, expect, it } from 'vitest';
import { ipcStream } from '../dist/arrow-ipc.js';
import { chartBatch, chartThread, parquetEncoder } from '../dist/chart-thread.js';
import { startChartThread, startRunCharts, stopChartThread, stopChartThreadWhenIdle } from '../dist/index.js';
import { portfolioChartRenderer } from '../dist/portfolio-chart.js';
import { parquetFromIpc, readParquetTable } from '../dist/tables.js';
import { input } from './chart-input.js';
import { random as seeded } from './random.js';

/** A table's Arrow IPC stream: month ends and `columns` Float64 columns of seeded values (one nullable). */
function tableIpc(seed: number, rows: number, columns: number): Uint8Array {
  const random = seeded(seed);
  return ipcStream([
    {
      name: 'month_end',
      kind: 'timestamp_ms_utc',
      values: Array.from({ length: rows }, (_, i) => i * 2.6e9),
    },
    ...Array.from({ length: columns }, (_, c) => ({
      name: `col_${c}`,
      kind: 'float64' as const,
      values: Float64Array.from({ length: rows }, () =>
        c === 0 && random() < 0.2 ? Number.NaN : random() - 0.5,
      ),
      nullable: c === 0,
    })),
  ]);
}

const two = input(['spyqqq', 'btceth']);
const four = input(['spyqqq', 'btceth', 'gold', 'bonds']);
const twoOther = { ...two, objective: 'calmar', score: 12.5 };

afterAll(() => stopChartThread());

describe('the chart thread', () => {
  it('is needed for early charts', () => {
    expect(() => startRunCharts({ prepared: {} as never, runs: [] })).toThrow(
      'startRunCharts: start the chart thread first (startChartThread)',
    );
  });

  it('renders the same bytes as this thread, charts of one write sharing their panels', async () => {
    const inputs = [two, four, twoOther, two];
    const here = await Promise.all(inputs.map(portfolioChartRenderer()));
    startChartThread();
    const batch = chartBatch();
    const there = await Promise.all(inputs.map(batch.render));
    batch.end();
    for (const [i, png] of there.entries())
      expect(Buffer.from(png).equals(Buffer.from(here[i])), `chart ${i}`).toBe(true);
    // Not a copy of one answer: the two objectives' headers differ.
    expect(Buffer.from(there[0]).equals(Buffer.from(there[2]))).toBe(false);
  });

  it('reports a chart that cannot be rendered with its error, and goes on rendering', async () => {
    startChartThread();
    const batch = chartBatch();
    // The thread's error, by name and message (an Error made here: errors do not cross threads).
    await expect(batch.render({ ...two, equity: undefined as never })).rejects.toMatchObject({
      name: 'TypeError',
      message: expect.stringContaining('Cannot read properties of undefined'),
    });
    const png = await batch.render(two);
    expect(Buffer.from(png).equals(Buffer.from(await portfolioChartRenderer()(two)))).toBe(true);
    batch.end();
  });

  it('stops when idle: answers the charts asked before, then renders in this thread', async () => {
    startChartThread();
    const batch = chartBatch();
    const asked = [two, four].map(batch.render);
    stopChartThreadWhenIdle();
    // Still running while charts are awaited.
    expect(chartThread()).toBeDefined();
    const there = await Promise.all(asked);
    const here = await Promise.all([two, four].map(portfolioChartRenderer()));
    for (const [i, png] of there.entries())
      expect(Buffer.from(png).equals(Buffer.from(here[i])), `chart ${i}`).toBe(true);
    // Stopped once idle: a later chart of the same batch, or of a new one, is rendered here.
    expect(chartThread()).toBeUndefined();
    const later = await batch.render(twoOther);
    expect(Buffer.from(later).equals(Buffer.from(await portfolioChartRenderer()(twoOther)))).toBe(true);
    batch.end();
    const fresh = chartBatch();
    expect(Buffer.from(await fresh.render(two)).equals(Buffer.from(here[0]))).toBe(true);
    // With nothing awaited, it stops at once.
    startChartThread();
    stopChartThreadWhenIdle();
    expect(chartThread()).toBeUndefined();
  });

  it('encodes the Parquet bytes this thread encodes, handing the table over', async () => {
    startChartThread();
    const encode = parquetEncoder();
    const tables = [tableIpc(1, 90, 12), tableIpc(2, 300, 30), tableIpc(3, 1, 2)];
    const here = tables.map(parquetFromIpc);
    const sent = tables.map((t) => t.slice());
    const there = await Promise.all(sent.map(encode));
    for (const [i, bytes] of there.entries()) {
      expect(Buffer.from(bytes).equals(Buffer.from(here[i])), `table ${i}`).toBe(true);
      // Handed over, not copied: the sent stream is gone from this thread.
      expect(sent[i].byteLength).toBe(0);
    }
    expect(readParquetTable(there[1]).numRows).toBe(300);
  });

  it('reports a table that cannot be encoded with its error, and goes on encoding', async () => {
    startChartThread();
    const encode = parquetEncoder();
    const broken = Uint8Array.from([255, 255, 255, 255, 8, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
    let hereError: Error | undefined;
    try {
      parquetFromIpc(broken.slice());
    } catch (e) {
      hereError = e as Error;
    }
    expect(hereError).toBeDefined();
    await expect(Promise.resolve().then(() => encode(broken))).rejects.toMatchObject({
      message: String(hereError?.message ?? hereError),
    });
    const table = tableIpc(4, 24, 3);
    expect(Buffer.from(await encode(table.slice())).equals(Buffer.from(parquetFromIpc(table)))).toBe(true);
  });

  it('runs on a worker handed over after its run, with the same bytes, and ends it', async () => {
    await stopChartThread();
    const workerUrl = new URL('./fixtures/task-worker.mjs', import.meta.url);
    const [w] = startWorkers(workerUrl, 1);
    const id = w.threadId;
    const doubled = await runInWorkers<number, number>({
      workerUrl,
      workerData: null,
      workers: [w],
      tasks: [1, 2, 3],
      jobs: 1,
    });
    expect(doubled).toEqual([2, 4, 6]);
    startChartThread({ reuse: w });
    const batch = chartBatch();
    const [png, table] = await Promise.all([batch.render(two), parquetEncoder()(tableIpc(5, 60, 4))]);
    batch.end();
    expect(Buffer.from(png).equals(Buffer.from(await portfolioChartRenderer()(two)))).toBe(true);
    expect(Buffer.from(table).equals(Buffer.from(parquetFromIpc(tableIpc(5, 60, 4))))).toBe(true);
    // That worker is the chart thread: stopping the thread ends it.
    expect(w.threadId).toBe(id);
    await stopChartThread();
    expect(w.threadId).toBe(-1);
  });

  it('once stopped, charts are rendered and tables encoded in this thread again', async () => {
    await stopChartThread();
    const batch = chartBatch();
    expect(
      Buffer.from(await batch.render(four)).equals(Buffer.from(await portfolioChartRenderer()(four))),
    ).toBe(true);
    expect(parquetEncoder()).toBe(parquetFromIpc);
  });
});
