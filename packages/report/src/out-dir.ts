import { randomBytes } from 'node:crypto';
import { type Stats, constants as fsConstants } from 'node:fs';
import {
  access,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  realpath,
  rename,
  rm,
  rmdir,
  stat,
  writeFile,
} from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { InputError, quoteValue } from '@step4/core';

// Loaded on the first lock, not with the package (it patches fs through graceful-fs on load).
type Lockfile = typeof import('proper-lockfile');
let lockfileModule: Lockfile | undefined;
const lockfile = (): Lockfile => (lockfileModule ??= createRequire(import.meta.url)('proper-lockfile'));

/**
 * The output-folder rule. step4 replaces only
 *  - a path that does not exist,
 *  - an empty folder, or
 *  - a folder an earlier step4 run wrote, holding nothing but what that run
 *    listed in its marker file (`.step4-output.json`).
 * Everything else is refused before any work starts (exit 2, one line): the
 * working directory or an ancestor of it, a folder holding an input or the
 * config, a folder with foreign content, a file, a device, a symlink, a path
 * on a pseudo file system, an unwritable or over-long path.
 *
 * Writing is crash safe: the new output is filled in a hidden sibling
 * (`.<name>.step4-tmp-<pid>-<hex>`), marked complete by the marker file
 * written last, and swapped in with two renames under a lock file. A run
 * killed at any moment leaves either the previous output at the path, or a
 * complete output in a hidden sibling that the next step4 run on that path
 * moves into place before doing anything else (`recoverOutDir`).
 */

export const OUTPUT_MARKER = '.step4-output.json';
const MARKER_FORMAT = 1;
/** Linux NAME_MAX and a safe PATH_MAX: longer names fail only at the end of a run otherwise. */
const NAME_MAX_BYTES = 255;
/** Paths in messages are cut after this many characters (one readable line). */
const PATH_SHOWN = 160;
const PATH_MAX_BYTES = 4000;
/** The longest suffix step4 adds to the folder's name for its siblings (`.` + `.step4-lock` / `.step4-tmp-<pid>-<hex8>`). */
const SIBLING_EXTRA_BYTES = '.'.length + '.step4-tmp-4294967295-ffffffff'.length;
/** Pseudo file systems: writing there is never what a user meant, and some paths there hang. */
const PSEUDO_ROOTS = ['/proc', '/sys', '/dev'];
/** A lock untouched this long belongs to a dead run (proper-lockfile refreshes it every second). */
const LOCK_STALE_MS = 5000;
/** How long a run waits for another run writing the same folder before it gives up. */
const LOCK_WAIT_STEPS = 60;
const LOCK_WAIT_STEP_MS = 250;

interface OutputMarker {
  readonly tool: 'step4';
  readonly format: number;
  readonly command: string;
  /** Every file of the folder, relative, with `/` separators, sorted. */
  readonly files: readonly string[];
}

export interface OutDirCheckOptions {
  /** Files the run reads (sleeve tables, the config, plugins): a folder holding one of them is refused. */
  readonly protect?: readonly string[];
  /** The working directory (default `process.cwd()`). */
  readonly cwd?: string;
  /** How the folder was named, for messages (default `--out-dir`). */
  readonly option?: string;
}

export type OutDirState = 'absent' | 'empty' | 'step4';

function refuse(option: string, path: string, why: string): InputError {
  return new InputError(`${option} ${quoteValue(path, PATH_SHOWN)}: ${why}`, { field: option });
}

function errnoOf(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? String(e);
}

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return null;
    throw e;
  }
}

function isInside(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);
}

function kindOf(s: Stats): string {
  if (s.isSymbolicLink()) return 'a symbolic link';
  if (s.isFile()) return 'a file';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  if (s.isFIFO()) return 'a named pipe';
  if (s.isSocket()) return 'a socket';
  return 'not a folder';
}

/** The real path of `p` as far as it exists, with the missing rest appended. */
async function realPathOfPrefix(p: string): Promise<string> {
  const missing: string[] = [];
  let cur = p;
  for (;;) {
    try {
      return join(await realpath(cur), ...missing.reverse());
    } catch {
      const up = dirname(cur);
      if (up === cur) return p;
      missing.push(basename(cur));
      cur = up;
    }
  }
}

/** Every file below `dir`, relative with `/`, sorted; symlinks and special files count as files. */
async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const entry of await readdir(join(dir, rel), { withFileTypes: true })) {
      const r = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) await walk(r);
      else out.push(r);
    }
  };
  await walk('');
  return out.sort();
}

/** The command that wrote a step4 output folder (from its marker), or null when it is not one. */
export async function outputCommand(dir: string): Promise<string | null> {
  return (await readMarker(dir))?.command ?? null;
}

async function readMarker(dir: string): Promise<OutputMarker | null> {
  let text: string;
  try {
    text = await readFile(join(dir, OUTPUT_MARKER), 'utf8');
  } catch {
    return null;
  }
  try {
    const m = JSON.parse(text) as Partial<OutputMarker>;
    if (m.tool !== 'step4' || !Array.isArray(m.files) || m.files.some((f) => typeof f !== 'string'))
      return null;
    return m as OutputMarker;
  } catch {
    return null;
  }
}

/**
 * Why `dir` (an existing folder) may not be replaced, or null when it may:
 * it is empty, or it holds only what its step4 marker lists.
 */
async function foreignContent(dir: string): Promise<string | null> {
  const files = await listFiles(dir);
  if (files.length === 0) return null;
  const marker = await readMarker(dir);
  if (!marker) {
    return `it holds files step4 did not write (${quoteValue(files[0])}${files.length > 1 ? ` and ${files.length - 1} more` : ''}, and no ${OUTPUT_MARKER}); choose a new or empty folder, or move them away yourself`;
  }
  const listed = new Set([...marker.files, OUTPUT_MARKER]);
  const extra = files.find((f) => !listed.has(f));
  if (extra !== undefined) {
    return `${quoteValue(extra)} in it was not written by step4 (it is not in ${OUTPUT_MARKER}); move it away first or choose another folder`;
  }
  return null;
}

/**
 * Check an output folder against the rule before any work starts; throws an
 * `InputError` saying why and what to do. Also finishes the recovery of a
 * run that was killed while swapping its output into this path.
 */
export async function checkOutDir(outDir: string, options: OutDirCheckOptions = {}): Promise<OutDirState> {
  const option = options.option ?? '--out-dir';
  const cwd = options.cwd ?? process.cwd();
  if (outDir.trim() === '')
    throw refuse(option, outDir, 'the path is empty; name a new folder such as step4_out');
  if (outDir.includes('\0')) throw refuse(option, outDir, 'the path contains a NUL byte');
  const abs = resolve(cwd, outDir);
  const parts = abs.split(sep).filter(Boolean);
  if (parts.length === 0)
    throw refuse(option, outDir, 'is the root folder; name a new folder such as step4_out');
  const longPart = parts.find((p) => Buffer.byteLength(p) > NAME_MAX_BYTES);
  const base = parts[parts.length - 1];
  if (longPart !== undefined || Buffer.byteLength(base) + SIBLING_EXTRA_BYTES > NAME_MAX_BYTES)
    throw refuse(
      option,
      outDir,
      `a folder name is too long (at most ${NAME_MAX_BYTES - SIBLING_EXTRA_BYTES} bytes for the output folder, ${NAME_MAX_BYTES} for its parents)`,
    );
  if (Buffer.byteLength(abs) + SIBLING_EXTRA_BYTES > PATH_MAX_BYTES)
    throw refuse(
      option,
      outDir,
      `the path is too long (at most ${PATH_MAX_BYTES - SIBLING_EXTRA_BYTES} bytes)`,
    );
  const real = await realPathOfPrefix(abs);
  for (const root of PSEUDO_ROOTS) {
    if (isInside(abs, root) || isInside(real, root))
      throw refuse(
        option,
        outDir,
        `is on the system's ${root} pseudo file system; choose a folder on a disk`,
      );
  }

  // Walk up to the nearest existing path: it must be a folder we can write in.
  let existing = abs;
  let st: Stats | null = null;
  for (;;) {
    try {
      st = await lstatOrNull(existing);
    } catch (e) {
      const code = errnoOf(e);
      if (code === 'ENOTDIR') {
        existing = dirname(existing);
        continue;
      }
      throw refuse(option, outDir, `cannot be inspected (${code})`);
    }
    if (st) break;
    const up = dirname(existing);
    if (up === existing) throw refuse(option, outDir, 'no part of the path exists');
    existing = up;
  }
  if (existing !== abs) {
    const parentStat = await stat(existing).catch(() => null);
    if (!parentStat?.isDirectory())
      throw refuse(option, outDir, `${quoteValue(existing, PATH_SHOWN)} is ${kindOf(st!)}, not a folder`);
    await probeWritable(existing, option, outDir);
    await recoverOutDir(abs);
    return (await lstatOrNull(abs)) ? checkOutDir(outDir, options) : 'absent';
  }

  // The path exists: only a folder, never a link or a special file.
  if (!st.isDirectory()) throw refuse(option, outDir, `is ${kindOf(st)}; step4 writes only into folders`);
  const realOut = await realpath(abs);
  const realCwd = await realPathOfPrefix(resolve(cwd));
  if (isInside(realCwd, realOut))
    throw refuse(
      option,
      outDir,
      realCwd === realOut
        ? 'is the working directory; name a new folder such as step4_out'
        : 'holds the working directory; name a new folder such as step4_out',
    );
  for (const p of options.protect ?? []) {
    const realP = await realPathOfPrefix(resolve(cwd, p));
    if (isInside(realP, realOut))
      throw refuse(option, outDir, `holds an input of this run (${realP}); choose another folder`);
  }
  await probeWritable(dirname(abs), option, outDir);
  await recoverOutDir(abs);
  const why = await foreignContent(abs);
  if (why) throw refuse(option, outDir, why);
  return (await readdir(abs)).length === 0 ? 'empty' : 'step4';
}

/** Prove that step4 can create its siblings in `dir` (read-only file systems, permissions). */
async function probeWritable(dir: string, option: string, outDir: string): Promise<void> {
  try {
    await access(dir, fsConstants.W_OK | fsConstants.X_OK);
    const probe = await mkdtemp(join(dir, '.step4-probe-'));
    await rmdir(probe);
  } catch (e) {
    throw refuse(option, outDir, `cannot write in ${quoteValue(dir, PATH_SHOWN)} (${errnoOf(e)})`);
  }
}

const SIBLING_RE = /^\.(.+)\.step4-(tmp|old)-(\d+)-([0-9a-f]{8})$/;

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoOf(e) === 'EPERM';
  }
}

/** Hidden siblings left by dead runs for this output folder. */
async function staleSiblings(abs: string): Promise<{ path: string; kind: 'tmp' | 'old' }[]> {
  const parent = dirname(abs);
  const base = basename(abs);
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return [];
  }
  const out: { path: string; kind: 'tmp' | 'old' }[] = [];
  for (const name of names.sort()) {
    const m = SIBLING_RE.exec(name);
    if (!m || m[1] !== base || pidAlive(Number(m[3]))) continue;
    const s = await lstatOrNull(join(parent, name)).catch(() => null);
    if (s?.isDirectory()) out.push({ path: join(parent, name), kind: m[2] as 'tmp' | 'old' });
  }
  return out;
}

function lockPathOf(abs: string): string {
  return join(dirname(abs), `.${basename(abs)}.step4-lock`);
}

/** Take the folder's lock, waiting for another run's write phase; refuse after about 15 s. */
async function acquireLock(abs: string, onCompromised: (e: Error) => void): Promise<() => Promise<void>> {
  const lockfilePath = lockPathOf(abs);
  try {
    return await lockfile().lock(abs, {
      realpath: false,
      lockfilePath,
      stale: LOCK_STALE_MS,
      update: 1000,
      retries: {
        retries: LOCK_WAIT_STEPS,
        factor: 1,
        minTimeout: LOCK_WAIT_STEP_MS,
        maxTimeout: LOCK_WAIT_STEP_MS,
      },
      onCompromised,
    });
  } catch (e) {
    if (errnoOf(e) === 'ELOCKED')
      throw new InputError(
        `--out-dir ${quoteValue(abs, PATH_SHOWN)}: another step4 run is writing this folder (lock ${lockfilePath}); try again when it has finished`,
        { field: '--out-dir' },
      );
    throw e;
  }
}

/**
 * Finish what a killed run left for `outDir` (call under its lock): when the
 * folder is missing, move a complete new output (or else the previous one)
 * into place; then remove the dead runs' temporary siblings.
 */
async function recoverLocked(abs: string): Promise<void> {
  const stale = await staleSiblings(abs);
  if (stale.length === 0) return;
  if (!(await lstatOrNull(abs))) {
    // A run died between its two renames: its new output is complete (the marker is written last).
    const complete = [];
    for (const s of stale) if (await readMarker(s.path)) complete.push(s);
    const pick = complete.find((s) => s.kind === 'tmp') ?? complete.find((s) => s.kind === 'old');
    if (pick) await rename(pick.path, abs);
  }
  for (const s of stale) if (await lstatOrNull(s.path)) await rm(s.path, { recursive: true, force: true });
}

/** Recover `outDir` from a killed run, if one left anything behind (takes the lock only then). */
export async function recoverOutDir(outDir: string): Promise<void> {
  const abs = resolve(outDir);
  // A lock left by a killed run is taken over once stale; a live run's lock is waited for.
  if ((await staleSiblings(abs)).length === 0 && !(await lstatOrNull(lockPathOf(abs)))) return;
  const release = await acquireLock(abs, () => {});
  try {
    await recoverLocked(abs);
  } finally {
    await release();
  }
}

/**
 * Fault-injection hooks for the kill tests (never set in normal use): every
 * step of a write is a numbered checkpoint; `STEP4_TEST_KILL_AT_CHECKPOINT=n`
 * SIGKILLs the process at the n-th, `STEP4_TEST_PAUSE_AT_CHECKPOINT=n` waits
 * there until the write is aborted, `STEP4_TEST_TRACE_CHECKPOINTS=1` prints each.
 */
let checkpoints = 0;
async function checkpoint(signal: AbortSignal | undefined): Promise<void> {
  const n = ++checkpoints;
  const env = process.env;
  if (env.STEP4_TEST_TRACE_CHECKPOINTS === '1') process.stderr.write(`step4: test checkpoint ${n}\n`);
  if (env.STEP4_TEST_KILL_AT_CHECKPOINT === String(n)) process.kill(process.pid, 'SIGKILL');
  if (env.STEP4_TEST_PAUSE_AT_CHECKPOINT === String(n) && signal && !signal.aborted) {
    process.stderr.write(`step4: test pause at checkpoint ${n}\n`);
    // A timer keeps the event loop (and so the process) alive while it waits.
    const alive = setInterval(() => {}, 1000);
    await new Promise<void>((done) => signal.addEventListener('abort', () => done(), { once: true }));
    clearInterval(alive);
  }
}

export interface WriteOutputOptions {
  /** Stops the write between files; the temporary folder is removed and the previous output kept. */
  readonly signal?: AbortSignal;
  /** The command that wrote the folder, recorded in the marker. */
  readonly command?: string;
}

/** What a folder's filler gets: the folder to fill, and a step to call between files. */
export interface OutputFolder {
  readonly dir: string;
  /** Call after each file: honours the abort signal (and the kill-test checkpoints). */
  step(): Promise<void>;
}

/** mkdir -p that returns the folders it created, outermost first. */
async function mkdirTracked(dir: string): Promise<string[]> {
  const created: string[] = [];
  let cur = dir;
  while (!(await lstatOrNull(cur))) {
    created.unshift(cur);
    cur = dirname(cur);
  }
  await mkdir(dir, { recursive: true });
  return created;
}

/**
 * Write an output folder by the rule: fill a temporary sibling, mark it
 * complete, and swap it into place under the folder's lock. On failure or
 * abort nothing is left but what was there before (the parent folders it
 * created are removed again when empty).
 */
export async function writeOutputFolder(
  outDir: string,
  fill: (folder: OutputFolder) => Promise<void>,
  options: WriteOutputOptions = {},
): Promise<void> {
  const { signal } = options;
  const abs = resolve(outDir);
  const parent = dirname(abs);
  const base = basename(abs);
  const created = await mkdirTracked(parent);
  let compromised: Error | undefined;
  let release: (() => Promise<void>) | undefined;
  try {
    signal?.throwIfAborted();
    release = await acquireLock(abs, (e) => {
      compromised = e;
    });
    await checkpoint(signal);
    await recoverLocked(abs);
    // Another run may have written here since the check at the start: the rule holds at the swap too.
    const st = await lstatOrNull(abs);
    if (st) {
      if (!st.isDirectory())
        throw refuse('--out-dir', outDir, `is ${kindOf(st)}; step4 writes only into folders`);
      const why = await foreignContent(abs);
      if (why) throw refuse('--out-dir', outDir, why);
    }
    const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
    const tmp = join(parent, `.${base}.step4-tmp-${tag}`);
    await mkdir(tmp);
    try {
      const step = async () => {
        await checkpoint(signal);
        signal?.throwIfAborted();
      };
      await step();
      await fill({ dir: tmp, step });
      const marker: OutputMarker = {
        tool: 'step4',
        format: MARKER_FORMAT,
        command: options.command ?? 'step4',
        files: await listFiles(tmp),
      };
      // Written last, through a rename: its presence means the folder is complete.
      await writeFile(join(tmp, `${OUTPUT_MARKER}.part`), `${JSON.stringify(marker, null, 1)}\n`);
      await rename(join(tmp, `${OUTPUT_MARKER}.part`), join(tmp, OUTPUT_MARKER));
      await step();
      if (compromised) throw new Error(`lost the lock on ${abs} (${compromised.message})`);
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      throw e;
    }
    // From here on the swap always completes: an interrupt waits for it.
    if (st) {
      const old = join(parent, `.${base}.step4-old-${tag}`);
      await rename(abs, old);
      await checkpoint(undefined);
      await rename(tmp, abs);
      await checkpoint(undefined);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(tmp, abs);
    }
    await checkpoint(undefined);
  } catch (e) {
    await release?.().catch(() => {});
    release = undefined;
    // Remove only the parents this call created, and only while they are empty.
    for (const dir of [...created].reverse()) await rmdir(dir).catch(() => {});
    throw e;
  } finally {
    await release?.().catch(() => {});
  }
}
