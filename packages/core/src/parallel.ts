import { Worker, parentPort, workerData } from 'node:worker_threads';

/**
 * A small worker-thread pool. Candidates are independent and seeded, so
 * handing them to workers in any order gives results identical to a serial
 * run; the pool returns them in task order.
 */

interface TaskMessage {
  readonly id: number;
  readonly task: unknown;
  /** Shared claim of every task (0 until a thread starts it), when the calling thread may take tasks back. */
  readonly claims?: Int32Array;
}

interface ResultMessage {
  readonly id: number;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: { message: string; name: string };
}

/** The first message to a worker started ahead (`startWorkers`): its `workerData`, once the run knows it. */
interface SetupMessage {
  readonly setup: unknown;
}

/** To a worker that serves tasks: stop, and run the module at `handOver` (a URL), which takes its messages. */
interface HandOverMessage {
  readonly handOver: string;
}

/** `workerData` of a worker started ahead: it waits for a `SetupMessage`, and may start on `early` meanwhile. */
interface AheadData {
  readonly step4StartedAhead: true;
  readonly early: unknown;
}

const isAhead = (d: unknown): d is AheadData =>
  typeof d === 'object' && d !== null && (d as Partial<AheadData>).step4StartedAhead === true;

/** Workers started ahead that ended before a run took them. */
const endedAhead = new WeakSet<Worker>();
/** Workers handed over to another module (`handOverWorker`): no run or `stopWorkers` ends them. */
const handedOver = new WeakSet<Worker>();

/**
 * Start `count` worker threads of `workerUrl` before their tasks and setup are
 * known (e.g. while the calling thread still loads its modules): each loads
 * its module at once, and `runInWorkers({ workers })` hands it the setup and
 * tasks later. `early` (structured clone) is what it may start on meanwhile
 * (`workerEarlyData`). The threads are unreferenced until a run takes them, so
 * they never keep the process alive. A run leaves them idle and unreferenced
 * when it is done; `stopWorkers` ends them (or `handOverWorker` gives one
 * another job first).
 */
export function startWorkers(workerUrl: URL, count: number, early?: unknown): Worker[] {
  return Array.from({ length: Math.max(0, count) }, () => {
    const w = new Worker(workerUrl, { workerData: { step4StartedAhead: true, early } satisfies AheadData });
    w.unref();
    // A thread that fails before a run takes it (e.g. a module that does not load) is replaced by a
    // fresh one, which reports the failure to that run.
    w.on('error', () => {});
    w.once('exit', () => endedAhead.add(w));
    return w;
  });
}

/** End workers started ahead, except those handed over to another module (`handOverWorker`). */
export async function stopWorkers(workers: readonly Worker[]): Promise<void> {
  await Promise.all(workers.filter((w) => !handedOver.has(w)).map((w) => w.terminate()));
}

/**
 * Give a worker started ahead (`startWorkers`), idle after its run, another
 * job: it stops serving tasks and imports `moduleUrl`, which takes the
 * worker's messages (`parentPort`) from then on. Starting a thread costs about
 * 0.1 s on a small machine, and a finished run's threads are ready. The
 * worker is then the caller's to end; `stopWorkers` leaves it. Messages sent
 * to it meanwhile reach the module once it is loaded (it listens on
 * `parentPort` as it loads). Returns false (and does nothing) when the worker
 * has ended or was handed over already.
 */
export function handOverWorker(worker: Worker, moduleUrl: URL): boolean {
  // Node sets threadId to -1 once a worker has stopped.
  if (handedOver.has(worker) || worker.threadId === -1) return false;
  handedOver.add(worker);
  worker.postMessage({ handOver: moduleUrl.href } satisfies HandOverMessage);
  return true;
}

/** In a worker thread started ahead (`startWorkers`): its `early` data; otherwise undefined. */
export function workerEarlyData(): unknown {
  return isAhead(workerData) ? workerData.early : undefined;
}

/** Claim task `id` for the thread that calls this; false when another thread has claimed it. */
const claim = (claims: Int32Array, id: number): boolean => Atomics.compareExchange(claims, id, 0, 1) === 0;

export interface PoolOptions<T, R> {
  /** Module the workers run; it calls `serveWorkerTasks`. */
  readonly workerUrl: URL;
  /** Handed to every worker as `workerData` (structured clone), or in a message to those started ahead. */
  readonly workerData: unknown;
  /**
   * Workers of `workerUrl` started ahead (`startWorkers`), used before new
   * ones are started. Those the run does not need end at once; the others
   * are left idle and unreferenced when the run is done, for their owner to
   * end (`stopWorkers`) or hand over (`handOverWorker`).
   */
  readonly workers?: readonly Worker[];
  readonly tasks: readonly T[];
  /** Threads that run tasks (at least 1, at most the number of tasks), this one included when `local` is given. */
  readonly jobs: number;
  /**
   * Runs a task in this thread, which then counts as one of the `jobs`: a
   * thread that has everything loaded already starts at once, and one worker
   * fewer is started (on a machine with few cores, starting a worker costs as
   * much as a good share of the tasks). Out of tasks of its own, this
   * thread takes back those a worker holds but has not started.
   */
  readonly local?: (task: T) => Promise<R> | R;
  /**
   * The tasks are sorted costliest first: workers take them from the front
   * and `local` from the back. This thread hands the workers their next
   * tasks only between its own, so running the short ones here keeps a
   * worker from waiting behind a long local task, and the run ends on short
   * tasks on every thread.
   */
  readonly costliestFirst?: boolean;
  /** Called as each task finishes (in completion order). */
  readonly onResult?: (index: number, result: R) => void;
}

/**
 * Tasks a worker holds at once, so it never waits for this thread to hand it
 * the next one (with `local`, the one it has not started can be taken back).
 */
const WORKER_QUEUE_DEPTH = 2;

/** Run every task on a pool of threads; resolves to the results in task order. */
export async function runInWorkers<T, R>(opts: PoolOptions<T, R>): Promise<R[]> {
  const n = opts.tasks.length;
  const results = new Array<R>(n);
  if (n === 0) {
    await stopWorkers(opts.workers ?? []);
    return results;
  }
  const jobs = Math.max(1, Math.min(opts.jobs, n));
  const local = opts.local;
  const workerCount = local ? jobs - 1 : jobs;
  // Workers started ahead beyond those the run needs end now.
  const spare = stopWorkers(opts.workers?.slice(workerCount) ?? []);
  // Tasks not handed out yet: next..last.
  let next = 0;
  let last = n - 1;
  let done = 0;
  const workers: Worker[] = [];
  /** This run's listeners on its workers: removed from those it leaves running. */
  type Listener = (arg: never) => void;
  const listeners: [Worker, string, (arg: unknown) => void][] = [];
  const listen = (w: Worker, event: 'message' | 'error' | 'exit', fn: Listener) => {
    const listener = fn as (arg: unknown) => void;
    w.on(event, listener);
    listeners.push([w, event, listener]);
  };
  // A worker holds a task it has not started while it runs another. This thread, out of tasks of its
  // own, takes such tasks back rather than wait: whichever thread claims a task first runs it.
  const claims = local && workerCount > 0 ? new Int32Array(new SharedArrayBuffer(4 * n)) : undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const fail = (e: Error) => {
        if (!failed) {
          failed = true;
          reject(e);
        }
      };
      const finished = (id: number, result: R) => {
        results[id] = result;
        opts.onResult?.(id, result);
        done++;
        if (done === n) resolve();
      };
      const feed = (w: Worker) => {
        if (next <= last && !failed) {
          const id = next++;
          w.postMessage({ id, task: opts.tasks[id], ...(claims ? { claims } : {}) } satisfies TaskMessage);
        }
      };
      for (let k = 0; k < workerCount; k++) {
        const given = opts.workers?.[k];
        const ahead = given && !endedAhead.has(given) ? given : undefined;
        const w = ahead ?? new Worker(opts.workerUrl, { workerData: opts.workerData });
        if (ahead) {
          ahead.ref();
          ahead.postMessage({ setup: opts.workerData } satisfies SetupMessage);
        }
        workers.push(w);
        listen(w, 'message', (m: ResultMessage) => {
          if (!m.ok) {
            const e = new Error(m.error?.message ?? 'worker task failed');
            e.name = m.error?.name ?? 'Error';
            fail(e);
            return;
          }
          finished(m.id, m.result as R);
          feed(w);
        });
        listen(w, 'error', fail);
        listen(w, 'exit', (code: number) => {
          if (done < n) fail(new Error(`a worker stopped with exit code ${code} before its tasks were done`));
        });
        for (let q = 0; q < WORKER_QUEUE_DEPTH; q++) feed(w);
      }
      if (local) {
        void (async () => {
          const fromBack = opts.costliestFirst === true && workerCount > 0;
          const runHere = async (id: number) => {
            finished(id, await local(opts.tasks[id]));
            // Let the workers' results and requests for more in between tasks.
            await new Promise<void>((r) => setImmediate(r));
          };
          while (next <= last && !failed) {
            const id = fromBack ? last-- : next++;
            // Given to no worker: the claim always succeeds, and marks it for the take-back below.
            if (claims) claim(claims, id);
            await runHere(id);
          }
          // Then the tasks workers hold but have not started (every task is handed out now, and
          // this thread's own are claimed), the last handed out first.
          for (let id = n - 1; id >= 0 && claims && !failed; id--) if (claim(claims, id)) await runHere(id);
        })().catch((e) => fail(e instanceof Error ? e : new Error(String(e))));
      }
    });
  } finally {
    const ahead = new Set(opts.workers ?? []);
    for (const [w, event, fn] of listeners) if (ahead.has(w)) w.off(event, fn);
    for (const w of workers) if (ahead.has(w)) w.unref();
    await Promise.all([spare, ...workers.filter((w) => !ahead.has(w)).map((w) => w.terminate())]);
  }
  return results;
}

/**
 * Worker side: set up once from `workerData`, then answer tasks one after
 * another, in the order they came (a family may keep state between calls, so
 * two tasks never interleave). Errors are sent back with their name so an
 * `InputError` stays one.
 */
export function serveWorkerTasks<S, T, R>(
  setup: (data: unknown) => Promise<S> | S,
  handle: (state: S, task: T) => Promise<R> | R,
): void {
  const port = parentPort;
  if (!port) throw new Error('serveWorkerTasks must run in a worker thread');
  // Started ahead, the worker gets its setup in the first message; otherwise as its workerData.
  let setupArrived: ((data: unknown) => void) | undefined;
  const ready: Promise<S> = isAhead(workerData)
    ? new Promise<unknown>((resolve) => {
        setupArrived = resolve;
      }).then(setup)
    : Promise.resolve(setup(workerData));
  // Failing setup is answered in each task's message, not as an unhandled rejection.
  ready.catch(() => {});
  // The chain never rejects: each task's failure is answered in its own message.
  let queue: Promise<unknown> = Promise.resolve();
  const onMessage = (m: TaskMessage | SetupMessage | HandOverMessage) => {
    if ('handOver' in m) {
      // Handed over (`handOverWorker`): the module takes the messages once the tasks are answered
      // and it is loaded; those that come meanwhile are kept for it, in order.
      port.off('message', onMessage);
      const meanwhile: unknown[] = [];
      const keep = (message: unknown) => meanwhile.push(message);
      port.on('message', keep);
      void queue
        .then(() => import(m.handOver))
        .then(() => {
          port.off('message', keep);
          for (const message of meanwhile) port.emit('message', message);
        });
      return;
    }
    if ('setup' in m) {
      setupArrived?.(m.setup);
      return;
    }
    queue = queue.then(async () => {
      try {
        const state = await ready;
        // Claimed once this worker can start it: until then, the calling thread may take it back
        // (and then reports it: nothing to answer).
        if (m.claims && !claim(m.claims, m.id)) return;
        const result = await handle(state, m.task as T);
        port.postMessage({ id: m.id, ok: true, result } satisfies ResultMessage);
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        port.postMessage({
          id: m.id,
          ok: false,
          error: { message: err.message, name: err.name },
        } satisfies ResultMessage);
      }
    });
  };
  port.on('message', onMessage);
}
