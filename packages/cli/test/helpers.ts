import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { COMMAND_LINE_V8_FLAGS } from '@step4/core/v8-tuning';

export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
export const EMBEDDED_A = fileURLToPath(new URL('../data/sleeve_spyqqq_monthly.csv', import.meta.url));
export const EMBEDDED_B = fileURLToPath(new URL('../data/sleeve_btceth_monthly.csv', import.meta.url));

export interface CliResult {
  code: number | null;
  /** The signal that ended the process, if one did. */
  signal?: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Write a sleeve table (`month_end,ret`) to `file`: one row per return, on the
 * calendar month ends from January of `firstYear` on. Returns `file`.
 */
export function writeMonthlySleeve(file: string, firstYear: number, returns: readonly string[]): string {
  const rows = returns.map(
    (r, i) => `${new Date(Date.UTC(firstYear, i + 1, 0)).toISOString().slice(0, 10)},${r}`,
  );
  writeFileSync(file, `month_end,ret\n${rows.join('\n')}\n`);
  return file;
}

/** Node's arguments for the built `step4` binary, as its shebang gives them (bin.test.ts checks it). */
export const binArgs = (args: readonly string[]): string[] => [...COMMAND_LINE_V8_FLAGS, BIN, ...args];

/** Run the built `step4` binary as a user would. */
export function step4(args: string[], cwd?: string): CliResult {
  const r = spawnSync(process.execPath, binArgs(args), {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same, without blocking the test thread (for long runs: vitest's worker RPC must stay answered). */
export function step4Async(
  args: string[],
  cwd?: string,
  env: Record<string, string> = {},
  onStderr?: (chunk: string, child: ChildProcess) => void,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, binArgs(args), {
      cwd,
      env: { ...process.env, FORCE_COLOR: '0', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      onStderr?.(String(d), child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/**
 * An output file's text without its generation time: the JSON key
 * `generated_at_utc` and its row in the tear sheet's manifest table. Outputs
 * must be byte-identical apart from it.
 */
export function withoutGenerationTime(text: string): string {
  return text
    .replace(/"generated_at_utc": "[^"]*"/g, '"generated_at_utc": ""')
    .replace(/<td>generated_at_utc<\/td><td>[^<]*<\/td>/g, '');
}
