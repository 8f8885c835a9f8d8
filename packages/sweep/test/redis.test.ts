import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runCli, smallSweep, startCli, tempDir, writeSweep } from './helpers.js';

/**
 * The distributed sweep against a real Redis (Debian's redis-server, on a
 * free loopback port, no persistence): a coordinator and two `step4 worker`
 * processes; one worker is SIGKILLed while it holds a job, stalled-job
 * recovery hands the job to the other, and the leaderboard is byte-identical
 * to the local sweep's.
 */

const started: ChildProcess[] = [];

function stopAll(): void {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
}

async function startRedis(
  extra: string[] = [],
): Promise<{ url: (password?: string) => string; port: number }> {
  const port = await freePort();
  const dir = tempDir('redis');
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      ...extra,
    ],
    { stdio: 'ignore' },
  );
  started.push(child);
  const password = extra[extra.indexOf('--requirepass') + 1];
  const probe = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    ...(extra.includes('--requirepass') ? { password } : {}),
  });
  probe.on('error', () => {});
  for (let i = 0; ; i++) {
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch (e) {
      if (i > 100) throw e;
      probe.disconnect();
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  probe.disconnect();
  return { port, url: (pw?: string) => `redis://${pw ? `:${pw}@` : ''}127.0.0.1:${port}` };
}

const WORKER_FLAGS = ['--lock-duration', '2000', '--stalled-interval', '1000', '--quiet'];

describe('a sweep through BullMQ on Redis', () => {
  const dir = tempDir('queue');
  let local: Buffer;

  beforeAll(async () => {
    writeSweep(dir, smallSweep());
    const r = await runCli(['sweep', 'sweep.json', '--out-dir', 'local', '--workers', '2', '--quiet'], dir);
    expect(r.code).toBe(0);
    local = readFileSync(join(dir, 'local', 'leaderboard.parquet'));
  }, 600_000);

  afterAll(stopAll);

  it('two workers, one killed during a job: the same leaderboard bytes as the local sweep', async () => {
    const redis = await startRedis();
    const url = redis.url();
    const a = startCli(['worker', '--queue', url, ...WORKER_FLAGS], dir);
    const b = startCli(['worker', '--queue', url, ...WORKER_FLAGS], dir);
    started.push(a.child, b.child);
    const coordinator = startCli(
      ['sweep', 'sweep.json', '--out-dir', 'queued', '--queue', url, '--quiet'],
      dir,
    );
    started.push(coordinator.child);
    // Kill worker a while it holds a job (the queue says which worker processes an active job).
    const connection = new Redis(url, { maxRetriesPerRequest: null });
    const queue = new Queue('step4-sweep', { connection });
    let killedJob: string | undefined;
    for (let i = 0; i < 6000 && !killedJob; i++) {
      const active = await queue.getActive();
      const held = active.find((j) => j.processedBy?.endsWith(`:${a.child.pid}`));
      if (held) {
        a.child.kill('SIGKILL');
        killedJob = held.id;
      } else await new Promise((r) => setTimeout(r, 50));
    }
    expect(killedJob).toBeDefined();
    const killed = await a.done;
    expect(killed.signal).toBe('SIGKILL');
    const end = await coordinator.done;
    expect(end.stderr).toBe('');
    expect(end.code).toBe(0);
    expect(end.stdout).toContain('8 cells (8 computed, 0 from earlier runs), 0 failed');
    // The killed worker's job was taken over by the other one and finished once.
    const job = await queue.getJob(killedJob!);
    expect(await job!.getState()).toBe('completed');
    expect(job!.processedBy).toMatch(new RegExp(`:${b.child.pid}$`));
    expect(job!.attemptsStarted).toBeGreaterThanOrEqual(2);
    expect(readFileSync(join(dir, 'queued', 'leaderboard.parquet')).equals(local)).toBe(true);
    // Sweeping again takes every cell from the finished output.
    const again = await runCli(
      ['sweep', 'sweep.json', '--out-dir', 'queued', '--queue', url, '--quiet'],
      dir,
    );
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('0 computed, 8 from earlier runs');
    // ... and a new output folder takes them from the queue's finished jobs (job id = cell hash).
    const fresh = await runCli(['sweep', 'sweep.json', '--out-dir', 'fresh', '--queue', url, '--quiet'], dir);
    expect(fresh.code).toBe(0);
    expect(readFileSync(join(dir, 'fresh', 'leaderboard.parquet')).equals(local)).toBe(true);
    expect(await queue.count()).toBe(0);
    expect(await queue.getCompletedCount()).toBe(8);
    await queue.close();
    connection.disconnect();
    b.child.kill('SIGTERM');
    const stopped = await b.done;
    expect(stopped.code).toBe(0);
  }, 600_000);

  it('a password-protected Redis: the password in the URL works, a wrong one is one line and exit 2', async () => {
    const redis = await startRedis(['--requirepass', 's3cret']);
    const wrong = await runCli(
      ['sweep', 'sweep.json', '--out-dir', 'pw', '--queue', redis.url('nope'), '--quiet'],
      dir,
    );
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(
      /^step4: error: option --queue redis:\/\/\*\*\*@127\.0\.0\.1:\d+: cannot connect/,
    );
    expect(wrong.stderr).not.toContain('nope');
    const url = redis.url('s3cret');
    writeSweep(dir, smallSweep({ universes: [['spy', 'btc']] }), 'small.json');
    const w = startCli(['worker', '--queue', url, '--concurrency', '2', ...WORKER_FLAGS], dir);
    started.push(w.child);
    const r = await runCli(['sweep', 'small.json', '--out-dir', 'pw', '--queue', url, '--quiet'], dir);
    expect(r.code).toBe(0);
    const l = await runCli(
      ['sweep', 'small.json', '--out-dir', 'pw-local', '--workers', '1', '--quiet'],
      dir,
    );
    expect(l.code).toBe(0);
    expect(
      readFileSync(join(dir, 'pw', 'leaderboard.parquet')).equals(
        readFileSync(join(dir, 'pw-local', 'leaderboard.parquet')),
      ),
    ).toBe(true);
    w.child.kill('SIGTERM');
    expect((await w.done).code).toBe(0);
  }, 600_000);

  it('a worker refuses a cell whose families its own config does not load; the error reaches the leaderboard', async () => {
    const redis = await startRedis();
    const url = redis.url();
    // This worker's config loads no family at all (no built-ins, no plugins).
    writeFileSync(join(dir, 'bare.config.json'), JSON.stringify({ builtins: false }));
    const w = startCli(['worker', '--queue', url, '--config', 'bare.config.json', ...WORKER_FLAGS], dir);
    started.push(w.child);
    const r = await runCli(['sweep', 'small.json', '--out-dir', 'refused', '--queue', url, '--quiet'], dir);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain("which this worker's config does not load");
    w.child.kill('SIGTERM');
    await w.done;
  }, 600_000);
  it('a TLS Redis (rediss://): a worker and coordinator that trust its CA give the same leaderboard; an untrusted certificate is one line and exit 2', async () => {
    // A throw-away CA and a server certificate for 127.0.0.1 (Debian's redis-server is built with TLS).
    const certs = tempDir('tls');
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: certs, stdio: 'ignore' });
    ssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      '/CN=step4 test CA',
    );
    ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=127.0.0.1',
    );
    writeFileSync(join(certs, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
    ssl(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      '2',
      '-extfile',
      'ext.cnf',
    );
    const port = await freePort();
    const server = spawn(
      'redis-server',
      [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--tls-cert-file',
        join(certs, 'server.crt'),
        '--tls-key-file',
        join(certs, 'server.key'),
        '--tls-ca-cert-file',
        join(certs, 'ca.crt'),
        '--tls-auth-clients',
        'no',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        certs,
      ],
      { stdio: 'ignore' },
    );
    started.push(server);
    const ca = readFileSync(join(certs, 'ca.crt'));
    for (let i = 0; ; i++) {
      const probe = new Redis({
        port,
        host: '127.0.0.1',
        tls: { ca },
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      probe.on('error', () => {});
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        break;
      } catch (e) {
        probe.disconnect();
        if (i > 100) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const url = `rediss://127.0.0.1:${port}`;
    writeSweep(dir, smallSweep({ universes: [['qqq', 'btc']] }), 'tls.json');
    const { NODE_EXTRA_CA_CERTS: _, ...withoutCa } = process.env;
    const untrusted = await runCli(
      ['sweep', 'tls.json', '--out-dir', 'tls-untrusted', '--queue', url, '--quiet'],
      dir,
      withoutCa,
    );
    expect(untrusted.code).toBe(2);
    expect(untrusted.stderr).toMatch(
      /^step4: error: option --queue rediss:\/\/127\.0\.0\.1:\d+: cannot connect[^\n]*\n$/,
    );
    // Says why: the certificate (not ioredis's "Connection is closed.").
    expect(untrusted.stderr).toMatch(/certificate/i);
    const trusting = { ...withoutCa, NODE_EXTRA_CA_CERTS: join(certs, 'ca.crt') };
    const w = startCli(['worker', '--queue', url, ...WORKER_FLAGS], dir, trusting);
    started.push(w.child);
    const r = await runCli(
      ['sweep', 'tls.json', '--out-dir', 'tls', '--queue', url, '--quiet'],
      dir,
      trusting,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const l = await runCli(['sweep', 'tls.json', '--out-dir', 'tls-local', '--workers', '1', '--quiet'], dir);
    expect(l.code).toBe(0);
    expect(
      readFileSync(join(dir, 'tls', 'leaderboard.parquet')).equals(
        readFileSync(join(dir, 'tls-local', 'leaderboard.parquet')),
      ),
    ).toBe(true);
    w.child.kill('SIGTERM');
    expect((await w.done).code).toBe(0);
  }, 600_000);
});
