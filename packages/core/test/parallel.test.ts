import { threadId } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { runInWorkers } from '../src/parallel.js';

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
      const out = await runInWorkers<Task, Answer>({
        workerUrl,
        workerData: { factor: 3 },
        tasks,
        jobs: 2,
        costliestFirst,
        local: async (t) => {
          ranHere.push(t.value);
          return local(t);
        },
      });
      expect(out.map((a) => a.value)).toEqual(tasks.map((t) => t.value * 3));
      const byWorker = out.filter((a) => a.thread !== threadId).map((a) => a.value / 3);
      // The worker started while this thread ran its first task, so both took some.
      expect(ranHere.length).toBeGreaterThan(0);
      expect(byWorker.length).toBeGreaterThan(0);
      expect(byWorker[0]).toBe(1);
      if (costliestFirst) {
        // This thread: the last tasks, from the end on; the workers: the first ones, in order.
        expect(ranHere).toEqual(tasks.map((t) => t.value).slice(-ranHere.length).reverse());
        expect(byWorker).toEqual(tasks.map((t) => t.value).slice(0, byWorker.length));
      } else {
        // In task order, after the tasks the worker was handed first.
        expect(ranHere[0]).toBeGreaterThan(1);
        expect(ranHere).toEqual([...ranHere].sort((a, b) => a - b));
      }
    });
  }

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
