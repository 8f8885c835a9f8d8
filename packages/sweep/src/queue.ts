import { readFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError, sha256Hex } from '@step4/core';
import type { FamilyReference } from '@step4/engine';
import { type Job, Queue, Worker } from 'bullmq';
import type { CellSpec } from './cells.js';
import { PROCESSOR_ENV, type ProcessorSetup, connectRedis, tableKey } from './redis.js';
import type { CellOutcome, ObjectiveRow } from './run-cell.js';

/** The BullMQ queue a sweep's cells go to, unless named otherwise. */
export const DEFAULT_QUEUE_NAME = 'step4-sweep';
/** BullMQ's key prefix (its default). */
export const DEFAULT_PREFIX = 'bull';

export interface QueueSettings {
  /** `redis://host:port`, `redis://:password@host:port` or `rediss://…`. */
  readonly url: string;
  readonly queueName?: string;
  readonly prefix?: string;
}

/**
 * Coordinator: put each sleeve table's bytes in Redis once (keyed by its
 * sha256), enqueue the cells (job id = cell hash, so adding a cell twice is
 * one job, and a cell another sweep finished is not run again), and wait
 * until every one has completed or failed. `onOutcome` gets each as it ends.
 */
export async function runCellsOnQueue(
  specs: readonly CellSpec[],
  tableFiles: ReadonlyMap<string, string>,
  settings: QueueSettings,
  onOutcome: (o: CellOutcome) => void | Promise<void>,
  options: { readonly pollMs?: number; readonly signal?: AbortSignal } = {},
): Promise<void> {
  const prefix = settings.prefix ?? DEFAULT_PREFIX;
  const redis = await connectRedis(settings.url);
  const queue = new Queue<CellSpec, ObjectiveRow[]>(settings.queueName ?? DEFAULT_QUEUE_NAME, {
    connection: redis,
    prefix,
  });
  try {
    const needed = new Set(specs.flatMap((s) => s.sleeves.map((t) => t.sha256)));
    for (const sha of needed) {
      const file = tableFiles.get(sha);
      if (!file) throw new Error(`no file for sleeve table ${sha}`);
      const bytes = await readFile(file);
      if (sha256Hex(bytes) !== sha)
        throw new InputError(`${file}: the table changed while the sweep ran (its hash is not ${sha})`);
      await redis.set(tableKey(prefix, sha), bytes, 'NX');
    }
    const pending = new Set<string>();
    for (const spec of specs) {
      const existing = await queue.getJob(spec.hash);
      if (existing && (await existing.getState()) === 'failed') await existing.retry('failed');
      else if (!existing)
        await queue.add('cell', spec, {
          jobId: spec.hash,
          removeOnComplete: false,
          removeOnFail: false,
          attempts: 1,
        });
      pending.add(spec.hash);
    }
    const pollMs = options.pollMs ?? 500;
    while (pending.size > 0) {
      options.signal?.throwIfAborted();
      const hashes = [...pending];
      // States only (a job's data holds its cell and grid): the job itself once it has ended.
      const states = await Promise.all(hashes.map((h) => queue.getJobState(h)));
      for (let i = 0; i < hashes.length; i++) {
        const state = states[i];
        if (state !== 'completed' && state !== 'failed' && state !== 'unknown') continue;
        const outcome = finished(
          hashes[i],
          state,
          state === 'unknown' ? undefined : await queue.getJob(hashes[i]),
        );
        if (!outcome) continue;
        pending.delete(hashes[i]);
        await onOutcome(outcome);
      }
      if (pending.size > 0) await new Promise((r) => setTimeout(r, pollMs));
    }
  } finally {
    await queue.close();
    redis.disconnect();
  }
}

/** A job's outcome, from the state the poll read, once it has completed or failed for good, else undefined. */
function finished(
  hash: string,
  state: 'completed' | 'failed' | 'unknown',
  job: Job<CellSpec, ObjectiveRow[]> | undefined,
): CellOutcome | undefined {
  if (!job) return { hash, error: 'the job was removed from the queue before it finished' };
  if (!job.finishedOn) return undefined;
  if (state === 'completed') return { hash, rows: job.returnvalue };
  if (state === 'failed') return { hash, error: job.failedReason || 'the job failed without a reason' };
  return undefined;
}

export interface WorkerSettings extends QueueSettings {
  /** The families this worker loads (its own config's); a cell needing any other is refused. */
  readonly families: readonly FamilyReference[];
  /** Cells at once (each in its own processor process). Default 1. */
  readonly concurrency?: number;
  /** How long a job's lock lasts without renewal (ms); a killed worker's job is recovered after it. Default 30 000. */
  readonly lockDuration?: number;
  /** How often stalled jobs are looked for (ms). Default 30 000. */
  readonly stalledInterval?: number;
  /** How often a job may stall before it fails. Default 1. */
  readonly maxStalledCount?: number;
  /** Where tables fetched from Redis are kept. Default a folder in the OS temp folder. */
  readonly cacheDir?: string;
  /** A line per finished or failed cell (default none). */
  readonly log?: (line: string) => void;
}

/** The sandboxed processor file BullMQ runs in child processes. */
export const PROCESSOR_FILE = fileURLToPath(new URL('./processor.js', import.meta.url));

export interface RunningWorker {
  readonly name: string;
  /** Stop taking jobs, let the current ones finish, and disconnect. */
  close(): Promise<void>;
}

/**
 * `step4 worker`: a BullMQ worker whose processor is the sandboxed file
 * above, so the lock is renewed while a cell computes. Killed, its jobs
 * stall; another worker's stalled-job check moves them back to the queue.
 * Nothing listens: the worker only connects to Redis.
 */
export async function startWorker(settings: WorkerSettings): Promise<RunningWorker> {
  const redis = await connectRedis(settings.url);
  const prefix = settings.prefix ?? DEFAULT_PREFIX;
  const setup: ProcessorSetup = {
    url: settings.url,
    prefix,
    families: settings.families,
    cacheDir: settings.cacheDir ?? join(tmpdir(), `step4-sweep-tables-${process.getuid?.() ?? 'user'}`),
  };
  const name = `step4-worker@${hostname()}:${process.pid}`;
  const worker = new Worker<CellSpec, ObjectiveRow[]>(
    settings.queueName ?? DEFAULT_QUEUE_NAME,
    PROCESSOR_FILE,
    {
      connection: redis,
      prefix,
      name,
      concurrency: settings.concurrency ?? 1,
      lockDuration: settings.lockDuration ?? 30_000,
      stalledInterval: settings.stalledInterval ?? 30_000,
      maxStalledCount: settings.maxStalledCount ?? 1,
      useWorkerThreads: false,
      workerForkOptions: { env: { ...process.env, [PROCESSOR_ENV]: JSON.stringify(setup) } },
    },
  );
  const log = settings.log;
  worker.on('active', (job) => log?.(`cell ${job.id?.slice(0, 12)} started`));
  worker.on('completed', (job) => log?.(`cell ${job.id?.slice(0, 12)} done`));
  worker.on('failed', (job, err) => log?.(`cell ${job?.id?.slice(0, 12)} failed: ${err.message}`));
  worker.on('error', (err) => log?.(`worker error: ${err.message}`));
  await worker.waitUntilReady();
  return {
    name,
    async close() {
      await worker.close();
      redis.disconnect();
    },
  };
}
