import { spawnSync } from 'node:child_process';
import { type Worker, threadId } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { handOverWorker, runInWorkers, startWorkers, stopWorkers } from '../src/parallel.js';

const workerUrl = new URL('./fixtures/pool-worker.mjs', import.meta.url);
interface Task {
  value: number;
  delayMs: number;
  fail?: boolean;
}
interface Answer {
  value: number;
  thread: number;
  log?: string[];
  early?: unknown;
}
const tasks: Task[] = Array.from({ length: 12 }, (_, i) => ({ value: i + 1, delayMs: (i * 7) % 5 }));
const local = async (t: Task): Promise<Answer> => {
  await new Promise((r) => setTimeout(r, t.delayMs));
  return { value: t.value * 3, thread: threadId };
};

describe('runInWorkers', () => {
  for (const jobs of [1, 2, 3]) {
    for (const withLocal of [false, true]) {
      it(`returns every result in task order (${jobs} jobs, ${withLocal ? 'this thread included' : 'workers only'})`, async () => {
        const seen: number[] = [];
        const out = await runInWorkers<Task, Answer>({
          workerUrl,
          workerData: { factor: 3 },
          tasks,
          jobs,
          ...(withLocal ? { local } : {}),
          onResult: (i) => seen.push(i),
        });
        expect(out.map((a) => a.value)).toEqual(tasks.map((t) => t.value * 3));
        expect([...seen].sort((a, b) => a - b)).toEqual(tasks.map((_, i) => i));
        const threads = new Set(out.map((a) => a.thread));
        // With this thread counted as a job, jobs - 1 workers are started.
        expect(threads.size).toBeLessThanOrEqual(jobs);
        if (withLocal && jobs === 1) expect([...threads]).toEqual([threadId]);
        if (!withLocal) expect(threads.has(threadId)).toBe(false);
      });
    }
  }

  for (const costliestFirst of [true, false]) {
    it(`hands the workers the front tasks and runs ${costliestFirst ? 'the back ones here (costliest first)' : 'the next ones here'}`, async () => {
      const ranHere: number[] = [];
      // Long enough for the worker to start while this thread runs its first tasks, even on a busy
      // machine (12 x 50 ms here; a worker starts in about 0.1 s).
      const slow = tasks.map((t) => ({ ...t, delayMs: 50 }));
      const out = await runInWorkers<Task, Answer>({
        workerUrl,
        workerData: { factor: 3 },
        tasks: slow,
        jobs: 2,
        costliestFirst,
        local: async (t) => {
          ranHere.push(t.value);
          return local(t);
        },
      });
      expect(out.map((a) => a.value)).toEqual(tasks.map((t) => t.value * 3));
      const byWorker = out.filter((a) => a.thread !== threadId).map((a) => a.value / 3);
      expect(byWorker[0]).toBe(1);
      // Each task ran once, here or in the worker.
      expect([...ranHere, ...byWorker].sort((a, b) => a - b)).toEqual(tasks.map((t) => t.value));
      if (costliestFirst) {
        // This thread starts from the end; the worker takes the front ones in order.
        expect(ranHere.slice(0, 2)).toEqual([12, 11]);
        expect(byWorker).toEqual([...byWorker].sort((a, b) => a - b));
      } else {
        // In task order, after the two tasks the worker was handed first.
        expect(ranHere.slice(0, 2)).toEqual([3, 4]);
      }
    });
  }

  it('takes back a task a worker holds but has not started, when this thread is out of tasks', async () => {
    // The worker is handed tasks 0 (long) and 1; this thread runs the short ones from the back, then
    // takes task 1 rather than wait for the worker to finish task 0.
    const long = tasks.map((t, i) => ({ ...t, delayMs: i === 0 ? 400 : 1 }));
    const out = await runInWorkers<Task, Answer>({
      workerUrl,
      workerData: { factor: 3 },
      tasks: long,
      jobs: 2,
      costliestFirst: true,
      local,
    });
    expect(out.map((a) => a.value)).toEqual(tasks.map((t) => t.value * 3));
    expect(out[1].thread).toBe(threadId);
    // Whatever the worker ran, it ran once: its log never starts a task this thread ran.
    const ranByWorker = new Set(out.filter((a) => a.thread !== threadId).map((a) => a.value / 3));
    for (const a of out)
      for (const entry of a.log ?? [])
        if (entry.startsWith('start ')) expect(ranByWorker.has(Number(entry.slice(6)))).toBe(true);
  });

  it('never interleaves two tasks in one worker, although it holds more than one', async () => {
    const out = await runInWorkers<Task, Answer>({
      workerUrl,
      workerData: { factor: 1 },
      tasks: tasks.map((t) => ({ ...t, delayMs: 3 })),
      jobs: 2,
    });
    for (const a of out) {
      const log = a.log!;
      // Every start is followed by its own end before the next start.
      for (let i = 0; i < log.length; i += 2) {
        expect(log[i]).toMatch(/^start /);
        expect(log[i + 1]).toBe(log[i].replace('start', 'end'));
      }
    }
  });

  it("rejects with a worker task's error, keeping its name", async () => {
    const failing = tasks.map((t, i) => (i === 5 ? { ...t, fail: true } : t));
    await expect(
      runInWorkers<Task, Answer>({ workerUrl, workerData: { factor: 1 }, tasks: failing, jobs: 2 }),
    ).rejects.toMatchObject({ name: 'InputError', message: 'task 6 failed' });
  });

  it("rejects with this thread's task error", async () => {
    const failingHere = async (t: Task): Promise<Answer> => {
      throw new RangeError(`local task ${t.value} failed`);
    };
    await expect(
      runInWorkers<Task, Answer>({
        workerUrl,
        workerData: { factor: 1 },
        tasks,
        jobs: 2,
        local: failingHere,
      }),
    ).rejects.toThrow(/^local task \d+ failed$/);
  });
});

describe('workers started ahead', () => {
  /** A worker's thread id while it runs (-1 once it has ended). */
  const idsOf = (ws: readonly Worker[]) => ws.map((w) => w.threadId);
  const ended = (w: Worker) => new Promise((r) => w.once('exit', r));

  it('run the tasks with the setup the run hands them, and have their early data meanwhile', async () => {
    const ahead = startWorkers(workerUrl, 2, { tag: 'early' });
    const ids = idsOf(ahead);
    const out = await runInWorkers<Task, Answer>({
      workerUrl,
      // The setup arrives by message: answers multiplied by 5 show it did.
      workerData: { factor: 5 },
      workers: ahead,
      tasks,
      jobs: 2,
    });
    expect(out.map((a) => a.value)).toEqual(tasks.map((t) => t.value * 5));
    for (const a of out) {
      expect(ids).toContain(a.thread);
      expect(a.early).toEqual({ tag: 'early' });
    }
    // The run leaves the threads it took to their owner, who ends them.
    expect(idsOf(ahead)).toEqual(ids);
    await stopWorkers(ahead);
    expect(idsOf(ahead)).toEqual([-1, -1]);
  });

  it('the run ends those it does not need, and stopWorkers those no run took', async () => {
    const ahead = startWorkers(workerUrl, 3);
    const ids = idsOf(ahead);
    await runInWorkers<Task, Answer>({
      workerUrl,
      workerData: { factor: 1 },
      workers: ahead,
      tasks: tasks.slice(0, 4),
      jobs: 2,
      local,
    });
    // jobs 2 with this thread: one worker ran tasks and is left; the two others ended.
    expect(idsOf(ahead)).toEqual([ids[0], -1, -1]);
    await stopWorkers(ahead);
    expect(idsOf(ahead)).toEqual([-1, -1, -1]);
    const unused = startWorkers(workerUrl, 2);
    expect(idsOf(unused).every((id) => id > 0)).toBe(true);
    await stopWorkers(unused);
    expect(idsOf(unused)).toEqual([-1, -1]);
  });

  it('a worker that ended before the run took it is replaced by a fresh one', async () => {
    const [gone] = startWorkers(workerUrl, 1, { exit: true });
    await ended(gone);
    const out = await runInWorkers<Task, Answer>({
      workerUrl,
      workerData: { factor: 7 },
      workers: [gone],
      tasks,
      jobs: 1,
    });
    expect(out.map((a) => a.value)).toEqual(tasks.map((t) => t.value * 7));
    // Started fresh, with its setup as workerData: no early data.
    expect(out.every((a) => a.early === undefined)).toBe(true);
  });

  it('are handed over, idle after their run, to another module, which gets every message in order', async () => {
    const ahead = startWorkers(workerUrl, 1);
    const [w] = ahead;
    const id = w.threadId;
    await runInWorkers<Task, Answer>({
      workerUrl,
      workerData: { factor: 2 },
      workers: ahead,
      tasks,
      jobs: 1,
    });
    const replies: { echo: unknown; thread: number; seen: unknown[] }[] = [];
    const three = new Promise<void>((resolve) =>
      w.on('message', (m) => {
        replies.push(m);
        if (replies.length === 3) resolve();
      }),
    );
    expect(handOverWorker(w, new URL('./fixtures/echo-module.mjs', import.meta.url))).toBe(true);
    // Sent before the module has loaded (a task among them, which the pool's listener would answer).
    w.postMessage('first');
    w.postMessage({ id: 0, task: { value: 1, delayMs: 0 } });
    w.postMessage('third');
    w.ref();
    await three;
    expect(replies.map((r) => r.echo)).toEqual(['first', { id: 0, task: { value: 1, delayMs: 0 } }, 'third']);
    expect(replies[2].seen).toHaveLength(3);
    expect(replies.every((r) => r.thread === id)).toBe(true);
    // Handed over once; no longer the pool's to end.
    expect(handOverWorker(w, new URL('./fixtures/echo-module.mjs', import.meta.url))).toBe(false);
    await stopWorkers(ahead);
    expect(w.threadId).toBe(id);
    await w.terminate();
    expect(handOverWorker(w, new URL('./fixtures/echo-module.mjs', import.meta.url))).toBe(false);
  });

  it('never keep the process alive', () => {
    // A process that starts workers ahead and does nothing else ends by itself.
    const script = `import('${new URL('../dist/parallel.js', import.meta.url).href}').then((m) => m.startWorkers(new URL('${workerUrl.href}'), 2))`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(0);
  });
});
