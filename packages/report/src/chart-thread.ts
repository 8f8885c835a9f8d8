import { Worker } from 'node:worker_threads';
import { handOverWorker } from '@step4/core';
import { type ChartInput, portfolioChartRenderer } from './portfolio-chart.js';
import { type ParquetEncoder, parquetFromIpc } from './tables.js';

/**
 * The portfolio charts rendered on a thread of their own. Vega, vega-lite and
 * sharp take about 0.4 s to load and a run's charts about 0.6 s to render:
 * started while a run computes its statistics (one thread busy, the other idle
 * on a small machine), the thread loads the libraries and renders the selected
 * runs' charts beside them. Same code, same libraries: the same bytes as
 * rendering them here. The thread also encodes the Parquet tables of the
 * writes that follow (`parquetEncoder`): its charts are mostly done when a
 * run's write starts, and the writing thread makes the other files
 * meanwhile (an embedded run-all: about 0.07 s less). Same function, same
 * bytes.
 */

/**
 * To the thread: a chart of a batch (one write, or the charts started before
 * it), the end of a batch, or a table to encode (its Arrow IPC stream).
 */
export type ChartRequest =
  | { readonly kind: 'chart'; readonly id: number; readonly batch: number; readonly input: ChartInput }
  | { readonly kind: 'end'; readonly batch: number }
  | { readonly kind: 'parquet'; readonly id: number; readonly ipc: Uint8Array };

/** From the thread: a chart's PNG or a table's Parquet bytes, or why it could not be made. */
export type ChartReply =
  | { readonly id: number; readonly bytes: Uint8Array; readonly error?: undefined }
  | { readonly id: number; readonly error: { readonly name: string; readonly message: string } };

/** The buffer to hand over with `bytes` rather than copy: its own, when `bytes` views all of it. */
export const transferable = (bytes: Uint8Array): ArrayBuffer[] =>
  bytes.buffer instanceof ArrayBuffer &&
  bytes.byteOffset === 0 &&
  bytes.byteLength === bytes.buffer.byteLength
    ? [bytes.buffer]
    : [];

/** A chart renderer for one batch (`portfolioChartRenderer`'s contract), and the batch's end. */
export interface ChartBatch {
  readonly render: (input: ChartInput) => Promise<Uint8Array>;
  readonly end: () => void;
}

class ChartThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve(bytes: Uint8Array): void; reject(e: Error): void }>();
  #nextId = 0;
  #nextBatch = 0;
  #failure: Error | undefined;
  /** Stop once no answer is awaited (`stopChartThreadWhenIdle`); stopped: the asking thread makes its own. */
  #stopWhenIdle = false;
  #stopped = false;

  constructor(reuse?: Worker) {
    const url = new URL('./chart-worker.js', import.meta.url);
    this.#worker = reuse && handOverWorker(reuse, url) ? reuse : new Worker(url);
    // Idle, the thread never keeps the process alive; it is referenced while an answer is awaited.
    this.#worker.unref();
    this.#worker.on('message', (m: ChartReply) => {
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#settled(m.id);
      if (m.error) {
        const e = new Error(m.error.message);
        e.name = m.error.name;
        p.reject(e);
      } else p.resolve(m.bytes);
    });
    const fail = (e: Error) => {
      this.#failure ??= e;
      for (const [id, p] of this.#pending) {
        this.#settled(id);
        p.reject(e);
      }
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) => {
      if (!this.#stopped) fail(new Error(`the chart thread stopped (exit code ${code})`));
    });
  }

  #settled(id: number): void {
    this.#pending.delete(id);
    if (this.#pending.size > 0) return;
    this.#worker.unref();
    if (this.#stopWhenIdle) this.#stop();
  }

  /** Stop now if no answer is awaited, else once the last one comes. */
  stopWhenIdle(): void {
    this.#stopWhenIdle = true;
    if (this.#pending.size === 0) this.#stop();
  }

  #stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (shared === this) shared = undefined;
    // The thread frees its heap and sharp's as it ends, beside the asking thread's remaining work.
    void this.#worker.terminate();
  }

  charts(): ChartBatch {
    const batch = this.#nextBatch++;
    let here: ((input: ChartInput) => Promise<Uint8Array>) | undefined;
    return {
      render: (input) => {
        if (this.#stopped) {
          here ??= portfolioChartRenderer();
          return here(input);
        }
        return this.#ask((id) => ({ kind: 'chart', id, batch, input }));
      },
      end: () => {
        if (!this.#failure && !this.#stopped)
          this.#worker.postMessage({ kind: 'end', batch } satisfies ChartRequest);
      },
    };
  }

  /** A table's Parquet bytes, encoded on the thread (here once it has stopped); `ipc` is handed over. */
  parquet(ipc: Uint8Array): Promise<Uint8Array> | Uint8Array {
    if (this.#stopped) return parquetFromIpc(ipc);
    return this.#ask((id) => ({ kind: 'parquet', id, ipc }), transferable(ipc));
  }

  /** Send a request and await its reply; the thread is referenced while any reply is awaited. */
  #ask(request: (id: number) => ChartRequest, transfer: ArrayBuffer[] = []): Promise<Uint8Array> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise<Uint8Array>((resolve, reject) => {
      if (this.#pending.size === 0) this.#worker.ref();
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage(request(id), transfer);
    });
  }

  async close(): Promise<void> {
    await this.#worker.terminate();
  }
}

let shared: ChartThread | undefined;

/**
 * Start the chart thread of this process now (it loads the chart libraries at
 * once): on `reuse`, a worker started ahead by @step4/core's `startWorkers`
 * and idle after its run (`handOverWorker`; about 0.1 s sooner than a new
 * thread), else on a new thread. Charts started with `startRunCharts`, and
 * the charts and Parquet tables of the writes that follow, are then made
 * there; without it, in the thread that writes. Start it when another
 * thread's worth of CPU is free, e.g. while a run computes its statistics.
 * Idle, it does not keep the process alive.
 */
export function startChartThread(options: { readonly reuse?: Worker } = {}): void {
  shared ??= new ChartThread(options.reuse);
}

/**
 * Stop the chart thread once the charts and tables it was asked for are
 * answered (at once if none is awaited): e.g. after a run's write when the
 * process will ask for no other. It then ends, and frees its memory, instead
 * of at the process's exit. Charts and tables asked later are made in the
 * asking thread.
 */
export function stopChartThreadWhenIdle(): void {
  shared?.stopWhenIdle();
}

/** Stop the chart thread; the next charts are rendered in the writing thread until it is started again. */
export async function stopChartThread(): Promise<void> {
  const t = shared;
  shared = undefined;
  await t?.close();
}

/** The chart thread when it was started. */
export function chartThread(): ChartThread | undefined {
  return shared;
}

/** The chart renderer of one write: on the chart thread when it was started, else here. */
export function chartBatch(): ChartBatch {
  return shared ? shared.charts() : { render: portfolioChartRenderer(), end: () => {} };
}

/** The Parquet encoder of one write: on the chart thread when it was started, else here. */
export function parquetEncoder(): ParquetEncoder {
  const thread = shared;
  return thread ? (ipc) => thread.parquet(ipc) : parquetFromIpc;
}
