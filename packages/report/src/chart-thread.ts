import { Worker } from 'node:worker_threads';
import { type ChartInput, portfolioChartRenderer } from './portfolio-chart.js';

/**
 * The portfolio charts rendered on a thread of their own. Vega, vega-lite and
 * sharp take about 0.4 s to load and a run's charts about 0.6 s to render:
 * started while a run computes its statistics (one thread busy, the other idle
 * on a small machine), the thread loads the libraries and renders the selected
 * runs' charts beside them. Same code, same libraries: the same bytes as
 * rendering them here. (The run's Parquet tables stay in the writing thread:
 * sent here too, they made the run slower, this thread being the busier one.)
 */

/** To the thread: a chart of a batch (one write, or the charts started before it), or the end of a batch. */
export type ChartRequest =
  | { readonly kind: 'chart'; readonly id: number; readonly batch: number; readonly input: ChartInput }
  | { readonly kind: 'end'; readonly batch: number };

/** From the thread: a chart's PNG, or why it could not be made. */
export type ChartReply =
  | { readonly id: number; readonly png: Uint8Array; readonly error?: undefined }
  | { readonly id: number; readonly error: { readonly name: string; readonly message: string } };

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
  /** Stop once no chart is awaited (`stopChartThreadWhenIdle`); stopped: charts render in the asking thread. */
  #stopWhenIdle = false;
  #stopped = false;

  constructor() {
    this.#worker = new Worker(new URL('./chart-worker.js', import.meta.url));
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
      } else p.resolve(m.png);
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

  /** Stop now if no chart is awaited, else once the last one is answered. */
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
        if (this.#failure) return Promise.reject(this.#failure);
        const id = this.#nextId++;
        return new Promise<Uint8Array>((resolve, reject) => {
          if (this.#pending.size === 0) this.#worker.ref();
          this.#pending.set(id, { resolve, reject });
          this.#worker.postMessage({ kind: 'chart', id, batch, input } satisfies ChartRequest);
        });
      },
      end: () => {
        if (!this.#failure && !this.#stopped)
          this.#worker.postMessage({ kind: 'end', batch } satisfies ChartRequest);
      },
    };
  }

  async close(): Promise<void> {
    await this.#worker.terminate();
  }
}

let shared: ChartThread | undefined;

/**
 * Start the chart thread of this process now (it loads the chart libraries at
 * once). Charts started with `startRunCharts`, and those of the writes that
 * follow, are then rendered there; without it, in the thread that writes.
 * Start it when another thread's worth of CPU is free, e.g. while a run
 * computes its statistics. Idle, it does not keep the process alive.
 */
export function startChartThread(): void {
  shared ??= new ChartThread();
}

/**
 * Stop the chart thread once the charts it was asked for are answered (at
 * once if none is awaited): e.g. after `startRunCharts` when the process
 * will ask for no other chart. It then ends, and frees its memory, beside the
 * rest of the write instead of at the process's exit. Charts asked later are
 * rendered in the asking thread.
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
