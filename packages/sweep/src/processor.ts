import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { firstLineOf, sha256Hex } from '@step4/core';
import { loadFamilies } from '@step4/engine';
import type { Redis } from 'ioredis';
import type { CellSpec } from './cells.js';
import { PROCESSOR_ENV, type ProcessorSetup, connectRedis, tableKey } from './redis.js';
import { type CellEnvironment, type ObjectiveRow, computeCell } from './run-cell.js';

/**
 * BullMQ's sandboxed processor: `step4 worker` hands this file to
 * `new Worker(queue, file)`, which runs it in a child process, so a
 * CPU-heavy cell never blocks the worker's lock renewal. The job carries
 * data only (names, hashes, options, grid); the families are the worker's
 * own (its config, passed in STEP4_SWEEP_WORKER), the tables come from Redis
 * by content hash and are checked against it.
 */

let env: Promise<CellEnvironment> | undefined;

async function setup(): Promise<CellEnvironment> {
  const raw = process.env[PROCESSOR_ENV];
  if (!raw) throw new Error(`${PROCESSOR_ENV} is not set: this file is run by step4 worker`);
  const s = JSON.parse(raw) as ProcessorSetup;
  const registry = await loadFamilies(s.families);
  let redis: Promise<Redis> | undefined;
  const files = new Map<string, Promise<string>>();
  const fetchTable = async (sha256: string): Promise<string> => {
    const file = join(s.cacheDir, sha256);
    const here = await readFile(file).catch(() => null);
    if (here && sha256Hex(here) === sha256) return file;
    redis ??= connectRedis(s.url);
    const bytes = await (await redis).getBuffer(tableKey(s.prefix, sha256));
    if (!bytes)
      throw new Error(`sleeve table ${sha256} is not in Redis (was the sweep's coordinator started?)`);
    if (sha256Hex(bytes) !== sha256)
      throw new Error(`sleeve table ${sha256}: the bytes in Redis do not match the hash`);
    await mkdir(s.cacheDir, { recursive: true });
    const part = `${file}.part-${process.pid}`;
    await writeFile(part, bytes);
    await rename(part, file);
    return file;
  };
  return {
    families: s.families,
    registry,
    tablePath: (sleeve) => {
      let f = files.get(sleeve.sha256);
      if (!f) {
        f = fetchTable(sleeve.sha256);
        files.set(sleeve.sha256, f);
        f.catch(() => files.delete(sleeve.sha256));
      }
      return f;
    },
  };
}

// The worker that started this process is gone (e.g. killed): stop too, its job is recovered elsewhere.
process.on('disconnect', () => process.exit(0));

/** One cell; a failure fails the job with the cell's error as its `failedReason`. */
export default async function processCell(job: { data: CellSpec }): Promise<ObjectiveRow[]> {
  env ??= setup();
  env.catch(() => {
    env = undefined;
  });
  try {
    return await computeCell(job.data, await env);
  } catch (e) {
    throw new Error(firstLineOf(e));
  }
}
