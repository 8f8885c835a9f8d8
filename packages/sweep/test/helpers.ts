import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The step4 command line of this workspace (built before these tests: turbo's @step4/sweep#test). */
export const CLI = fileURLToPath(new URL('../../cli/dist/bin.js', import.meta.url));

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `step4-sweep-${prefix}-`));
}

/** A small, fast sweep: three embedded sleeves, 2- and 3-sleeve universes, two cost variants (8 cells). */
export function smallSweep(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sleeves: { spy: 'embedded:spy', qqq: 'embedded:qqq', btc: 'embedded:btc' },
    universes: { minSize: 2, maxSize: 3 },
    options: { bootstrapSamples: 100, spaReplications: 100, pboBlocks: 8 },
    variants: [
      [
        { turn_cost_bps: 12, gross_cost_bps: 6 },
        { turn_cost_bps: 24, gross_cost_bps: 12 },
      ],
    ],
    grids: Object.fromEntries(
      ['regime_guard', 'ml_lr', 'ml_rf', 'regime_rf', 'ml_dual_ridge'].map((f) => [f, { disable: true }]),
    ),
    ...overrides,
  };
}

export function writeSweep(dir: string, sweep: unknown, name = 'sweep.json'): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(sweep, null, 2));
  return file;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Start the CLI (with this process's environment unless `env` is given); `done` resolves when it exits. */
export function startCli(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): { child: ChildProcess; done: Promise<Exit> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const done = new Promise<Exit>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

export function runCli(args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<Exit> {
  return startCli(args, cwd, env).done;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
