/**
 * Shared by the consumer tests: where the workspace is, running a command
 * without blocking the worker, and packing the published packages.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const repo = fileURLToPath(new URL('../../../', import.meta.url));

const execFileAsync = promisify(execFile);

/**
 * Run a command without blocking this thread (a long synchronous child would
 * starve vitest's worker RPC); fail with its output. `env` replaces the
 * default environment (this process's, without colour, fund and audit noise).
 */
export async function run(cmd: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await execFileAsync(cmd, args, {
      cwd,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: env ?? { ...process.env, FORCE_COLOR: '0', npm_config_fund: 'false', npm_config_audit: 'false' },
    });
    return stdout;
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} in ${cwd} failed (${err.code}):\n${err.stdout}\n${err.stderr}`);
  }
}

/**
 * `pnpm pack` every package under packages/ into `dest` (`workspace:^`
 * becomes a real version range); returns the tarball file names.
 */
export async function packPackages(dest: string): Promise<string[]> {
  await Promise.all(readdirSync(join(repo, 'packages')).map((dir) => run('pnpm', ['pack', '--pack-destination', dest], join(repo, 'packages', dir))));
  return readdirSync(dest).filter((f) => f.endsWith('.tgz'));
}
