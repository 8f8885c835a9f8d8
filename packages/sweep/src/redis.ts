import { InputError, firstLineOf } from '@step4/core';
import type { FamilyReference } from '@step4/engine';
import { Redis } from 'ioredis';

/** What `step4 worker` passes to its processor processes (processor.ts), in this environment variable. */
export interface ProcessorSetup {
  readonly url: string;
  readonly prefix: string;
  readonly families: readonly FamilyReference[];
  /** Where tables fetched from Redis are kept, by hash. */
  readonly cacheDir: string;
}

export const PROCESSOR_ENV = 'STEP4_SWEEP_WORKER';

/** A Redis URL as messages show it: the password is never printed. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/)[^@/]*@/i, '$1***@');
}

/** Key of a sleeve table's bytes in Redis, by content hash. */
export function tableKey(prefix: string, sha256: string): string {
  return `${prefix}:step4-sweep:table:${sha256}`;
}

/**
 * Connect to Redis from a URL (`redis://host:port`, `redis://:password@host:port`,
 * `rediss://…` for TLS: ioredis parses all of them). BullMQ needs
 * `maxRetriesPerRequest: null`. A first connection that fails is bad input (exit 2).
 */
export async function connectRedis(url: string): Promise<Redis> {
  if (!/^rediss?:\/\//i.test(url))
    throw new InputError(
      `option --queue: expected a redis:// or rediss:// URL, got ${JSON.stringify(redactUrl(url))}`,
      {
        field: '--queue',
      },
    );
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    lazyConnect: true,
    // Reconnect after a lost connection (a Redis restart), but not forever before the first one.
    retryStrategy: (times) => Math.min(200 * times, 2000),
  });
  // Errors after the first connection are retried by ioredis. Before it, the socket's first error
  // says why: a refused TLS certificate reaches connect() only as "Connection is closed.".
  let firstError: Error | undefined;
  redis.on('error', (e: Error) => {
    firstError ??= e;
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    redis.disconnect();
    throw new InputError(
      `option --queue ${redactUrl(url)}: cannot connect to Redis (${firstLineOf(firstError ?? e).trim()})`,
      {
        field: '--queue',
      },
    );
  }
  return redis;
}
