/**
 * Failed writes to stdout end readably: EPIPE (the reader left early, as in
 * `step4 families | head -1`) quietly with exit code 0; ENOSPC/EIO with one
 * line on stderr and exit code 1; never a stack trace.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { binArgs } from './helpers.js';

function run(args: string[], stdout: 'pipe' | number, closeReaderAtOnce = false) {
  return new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, binArgs(args), {
      stdio: ['ignore', stdout, 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    // The reader of a real pipe goes away before step4 writes anything: its write fails with EPIPE.
    if (closeReaderAtOnce) child.stdout?.destroy();
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

describe('stdout failures', () => {
  it.each([['families', '--json'], ['candidates', '--json'], ['config-schema']])(
    'EPIPE ends quietly with exit code 0: step4 %s',
    async (...args) => {
      const r = await run(args, 'pipe', true);
      expect(r.stderr).toBe('');
      expect(r.signal).toBeNull();
      expect(r.code).toBe(0);
    },
  );

  it('ENOSPC (stdout on /dev/full) gives one line on stderr and exit code 1', async () => {
    const fd = openSync('/dev/full', 'w');
    try {
      const r = await run(['families', '--json'], fd);
      expect(r.code, r.stderr).toBe(1);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toBe('step4: error: cannot write to stdout (ENOSPC: no space left on device, write)');
    } finally {
      closeSync(fd);
    }
  });
});
