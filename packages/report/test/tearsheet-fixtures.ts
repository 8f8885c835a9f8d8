import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Output folders of real runs for the tear sheet tests: the built CLI's
 * `run-all` on the embedded two-sleeve data and on the four single-asset
 * sleeves. The runs take a while, so they are made once per build of the
 * packages (keyed by a hash of every package's dist/) in the system temp
 * folder and shared between test files (a lock folder makes the other test
 * file wait). Tests get copies (`copyRuns`), never the shared folders.
 */

const PACKAGES = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(PACKAGES, 'cli', 'dist', 'bin.js');

const FOUR_SLEEVES = ['spy', 'qqq', 'btc', 'eth'].flatMap((s) => ['--sleeve', `${s}=embedded:${s}`]);

export interface Runs {
  /** `run-all` output folder, two sleeves (spyqqq, btceth). */
  readonly two: string;
  /** `run-all` output folder, four sleeves (spy, qqq, btc, eth). */
  readonly four: string;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else if (name.endsWith('.js')) out.push(p);
  }
  return out;
}

/** Hash of every package's built JavaScript: a new build makes new runs. */
function buildKey(): string {
  const h = createHash('sha256');
  for (const pkg of readdirSync(PACKAGES).sort()) {
    const dist = join(PACKAGES, pkg, 'dist');
    if (!existsSync(dist)) continue;
    // Every package shapes the folders, the tear sheet module too: run-all writes the pages.
    for (const f of filesUnder(dist)) h.update(f.slice(PACKAGES.length)).update(readFileSync(f));
  }
  return h.digest('hex').slice(0, 16);
}

function runCli(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, FORCE_COLOR: '0' } });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`step4 ${args.join(' ')} exited with ${code}: ${stderr}`)),
    );
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The shared run folders, made by the first caller. */
export async function fixtureRuns(): Promise<Runs> {
  if (!existsSync(CLI))
    throw new Error(
      `${CLI} is missing: build the workspace first (pnpm build); the tear sheet tests read real runs`,
    );
  const root = join(tmpdir(), 'step4-tearsheet-fixtures');
  await mkdir(root, { recursive: true });
  const key = buildKey();
  const dir = join(root, key);
  const runs = { two: join(dir, 'two'), four: join(dir, 'four') };
  const done = join(dir, 'done');
  const lock = join(root, `${key}.lock`);
  const deadline = Date.now() + 10 * 60_000;
  while (!existsSync(done)) {
    try {
      await mkdir(lock);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // Another test file is making them; a lock older than 10 minutes is left from a killed run.
      const age = Date.now() - (await stat(lock)).mtimeMs;
      if (age > 10 * 60_000) await rm(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      await sleep(500);
      continue;
    }
    try {
      if (existsSync(done)) break;
      const temp = await mkdtemp(join(root, `${key}.tmp-`));
      await Promise.all([
        runCli(['run-all', '--out-dir', join(temp, 'two'), '--quiet', '--no-chart']),
        runCli(['run-all', '--out-dir', join(temp, 'four'), '--quiet', '--no-chart', ...FOUR_SLEEVES]),
      ]);
      await writeFile(join(temp, 'done'), '');
      await rm(dir, { recursive: true, force: true });
      await rename(temp, dir);
      // Runs of earlier builds: removed once nobody can still be reading them (a day old).
      for (const old of await readdir(root)) {
        const p = join(root, old);
        if (old !== key && Date.now() - (await stat(p)).mtimeMs > 86_400_000)
          await rm(p, { recursive: true, force: true });
      }
    } finally {
      await rm(lock, { recursive: true, force: true });
    }
  }
  return runs;
}

/** Private copies of the run folders (the tests write reports into them and edit their JSON). */
export async function copyRuns(runs: Runs): Promise<Runs & { readonly root: string }> {
  const root = await mkdtemp(join(tmpdir(), 'step4-tearsheet-'));
  await cp(runs.two, join(root, 'two'), { recursive: true });
  await cp(runs.four, join(root, 'four'), { recursive: true });
  return { root, two: join(root, 'two'), four: join(root, 'four') };
}
