/**
 * The output-folder rule (README "Where outputs go") with the real binary:
 * refusals before any work, crash safety under SIGKILL at many points of the
 * write phase, SIGINT/SIGTERM, concurrent runs and stale temporary folders.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { OUTPUT_MARKER, checkOutDir } from '@step4/report';
import { beforeAll, describe, expect, it } from 'vitest';
import { EMBEDDED_A, EMBEDDED_B, step4Async } from './helpers.js';

/** A quick run: the static family only, no chart, one thread. */
const FAST_CONFIG = {
  grids: Object.fromEntries(
    ['heuristic', 'regime_guard', 'ml_lr', 'ml_rf', 'ml_dual_ridge', 'regime_rf'].map((f) => [
      f,
      { disable: true },
    ]),
  ),
};

function fastArgs(work: string, seed: number): string[] {
  const config = join(work, 'fast.config.json');
  if (!existsSync(config)) writeFileSync(config, JSON.stringify(FAST_CONFIG));
  return [
    'run-all',
    '--quiet',
    '--no-chart',
    '--jobs',
    '1',
    '--bootstrap-samples',
    '200',
    '--seed',
    String(seed),
    '--config',
    config,
  ];
}

/** Every path below `dir` (hidden ones too) with a hash of its bytes: what a refusal must leave alone. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const p = join(d.parentPath, d.name);
    const rel = relative(dir, p);
    if (d.isFile()) out[rel] = createHash('sha256').update(readFileSync(p)).digest('hex');
    else out[rel] = d.isDirectory() ? 'dir' : d.isSymbolicLink() ? 'link' : 'special';
  }
  return out;
}

/** A complete output folder: the marker lists exactly the files present; returns the run's seed. */
function completeOutputSeed(out: string): number {
  const marker = JSON.parse(readFileSync(join(out, OUTPUT_MARKER), 'utf8')) as { files: string[] };
  const present = readdirSync(out, { recursive: true, withFileTypes: true })
    .filter((d) => !d.isDirectory())
    .map((d) => relative(out, join(d.parentPath, d.name)))
    .filter((f) => f !== OUTPUT_MARKER)
    .sort();
  expect(present).toEqual(marker.files);
  for (const f of present) expect(statSync(join(out, f)).size, f).toBeGreaterThan(0);
  const report = JSON.parse(readFileSync(join(out, 'final', 'step4_run_report.json'), 'utf8'));
  return report.meta.seed as number;
}

function expectRefused(r: { code: number | null; stderr: string; stdout: string }, words: string[]) {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  for (const w of words) expect(lines[0]).toContain(w);
  expect(r.stdout).toBe('');
}

describe('refused before any work: exit 2, one line, nothing touched', () => {
  let work: string;
  let cfgDir: string;
  let before: Record<string, string>;
  const sleeves = ['--sleeve', 'spyqqq=data/a.csv', '--sleeve', 'btceth=data/b.csv'];

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'step4-outdir-'));
    cfgDir = mkdtempSync(join(tmpdir(), 'step4-outdir-config-'));
    mkdirSync(join(work, 'data'));
    cpSync(EMBEDDED_A, join(work, 'data', 'a.csv'));
    cpSync(EMBEDDED_B, join(work, 'data', 'b.csv'));
    writeFileSync(join(work, 'notes.csv'), 'my notes\n');
    mkdirSync(join(work, 'mine'));
    writeFileSync(join(work, 'mine', 'report.txt'), 'keep me\n');
    mkdirSync(join(work, 'sub'));
    mkdirSync(join(work, 'empty'));
    symlinkSync(join(work, 'empty'), join(work, 'link'));
    expect(spawnSync('mkfifo', [join(work, 'pipe')]).status).toBe(0);
    before = snapshot(work);
  });

  const cases: [string, string[], string[], string?][] = [
    ['the working directory', ['--out-dir', '.'], ['is the working directory']],
    ['an empty path', ['--out-dir', ''], ['--out-dir', 'empty']],
    ['the folder holding the inputs', ['--out-dir', 'data'], ['holds an input of this run', 'a.csv']],
    ['a file', ['--out-dir', 'notes.csv'], ['is a file']],
    ['a named pipe (a special file)', ['--out-dir', 'pipe'], ['is a named pipe']],
    ['a symbolic link', ['--out-dir', 'link'], ['is a symbolic link']],
    ['a path below a file', ['--out-dir', 'notes.csv/out'], ['is a file, not a folder']],
    ['a folder with files step4 did not write', ['--out-dir', 'mine'], ['report.txt', 'did not write']],
    ['an ancestor of the working directory', ['--out-dir', '..'], ['holds the working directory'], 'sub'],
    ['a path on /proc', ['--out-dir', '/proc/step4-never-written'], ['/proc pseudo file system']],
    ['a path on /dev', ['--out-dir', '/dev/step4-never-written'], ['/dev pseudo file system']],
    ['an over-long folder name', ['--out-dir', 'x'.repeat(240)], ['too long']],
  ];

  it.each(cases)('%s', async (_name, args, words, sub) => {
    const r = await step4Async([...fastArgs(cfgDir, 1), ...sleeves, ...args], sub ? join(work, sub) : work);
    expectRefused(r, words);
    expect(snapshot(work)).toEqual(before);
  });

  it('refuses before reading any input (the check comes first)', async () => {
    const r = await step4Async(
      ['run-all', '--quiet', '--sleeve', 'a=missing.csv', '--sleeve', 'b=missing2.csv', '--out-dir', '.'],
      work,
    );
    expectRefused(r, ['is the working directory']);
  });

  it('refuses a config whose outDir is its own folder', async () => {
    const project = mkdtempSync(join(tmpdir(), 'step4-project-'));
    writeFileSync(
      join(project, 'step4.config.json'),
      JSON.stringify({ ...FAST_CONFIG, options: { outDir: '.' } }),
    );
    const r = await step4Async(['run-all', '--quiet', '--config', join(project, 'step4.config.json')], work);
    expectRefused(r, ['holds an input of this run', 'step4.config.json']);
    expect(readdirSync(project)).toEqual(['step4.config.json']);
  });
});

describe('replacing an output folder', () => {
  it('replaces an earlier step4 output, and refuses once a foreign file is added to it', async () => {
    const work = mkdtempSync(join(tmpdir(), 'step4-outdir-'));
    const out = join(work, 'out');
    expect((await step4Async([...fastArgs(work, 1), '--out-dir', out])).code).toBe(0);
    expect(completeOutputSeed(out)).toBe(1);
    const r = await step4Async([...fastArgs(work, 2), '--out-dir', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(completeOutputSeed(out)).toBe(2);
    writeFileSync(join(out, 'final', 'my-notes.md'), 'mine\n');
    const before = snapshot(work);
    expectRefused(await step4Async([...fastArgs(work, 3), '--out-dir', out]), ['final/my-notes.md']);
    expect(snapshot(work)).toEqual(before);
  });
});

describe('crash safety: SIGKILL at any checkpoint of the write phase', () => {
  let work: string;
  let template: string;
  let checkpoints: number;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'step4-kill-'));
    template = join(work, 'template');
    const old = await step4Async([...fastArgs(work, 1), '--out-dir', template]);
    expect(old.code, old.stderr).toBe(0);
    // One traced run replacing a copy of the old output counts the checkpoints of a full write.
    cpSync(template, join(work, 'traced'), { recursive: true });
    const traced = await step4Async([...fastArgs(work, 2), '--out-dir', join(work, 'traced')], undefined, {
      STEP4_TEST_TRACE_CHECKPOINTS: '1',
    });
    expect(traced.code, traced.stderr).toBe(0);
    checkpoints = Math.max(...[...traced.stderr.matchAll(/test checkpoint (\d+)/g)].map((m) => Number(m[1])));
  }, 120_000);

  it('keeps the complete previous or the complete new output at every kill point', async () => {
    const n = checkpoints;
    expect(n).toBeGreaterThanOrEqual(20);
    // The last three checkpoints follow the two renames and the clean-up; the one before them follows the marker.
    const points = [...new Set([1, 2, 3, 5, 8, Math.floor(n / 2), n - 5, n - 4, n - 3, n - 2, n - 1, n])];
    expect(points.length).toBeGreaterThanOrEqual(10);
    // Four runs at a time: enough to keep the test short, few enough not to starve the machine.
    const runs: { k: number; dir: string; r: Awaited<ReturnType<typeof step4Async>> }[] = [];
    for (let i = 0; i < points.length; i += 4) {
      runs.push(
        ...(await Promise.all(
          points.slice(i, i + 4).map(async (k) => {
            const dir = join(work, `kill-${k}`);
            cpSync(template, join(dir, 'out'), { recursive: true });
            const r = await step4Async([...fastArgs(work, 2), '--out-dir', join(dir, 'out')], undefined, {
              STEP4_TEST_KILL_AT_CHECKPOINT: String(k),
            });
            return { k, dir, r };
          }),
        )),
      );
    }
    for (const { k, dir, r } of runs) {
      expect(r.signal, `kill point ${k}: ${r.stderr}`).toBe('SIGKILL');
      const out = join(dir, 'out');
      // Right after the kill: either the path holds a complete output, or (between the two renames) it is
      // missing and a complete output waits in a hidden sibling.
      if (existsSync(out)) expect([1, 2]).toContain(completeOutputSeed(out));
      else expect(k, `only a kill between the two renames may leave the path empty`).toBe(n - 2);
      // Every later run first finishes the recovery (this is the check it makes before any work).
      await checkOutDir(out);
      const seed = completeOutputSeed(out);
      expect(seed, `kill point ${k}`).toBe(k <= n - 3 ? 1 : 2);
      expect(readdirSync(dir), `kill point ${k}: nothing left beside the output`).toEqual(['out']);
    }
  }, 180_000);

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    '%s while writing removes the unfinished output, keeps the old one, exits %i',
    async (sig, code) => {
      const dir = join(work, `signal-${sig}`);
      cpSync(template, join(dir, 'out'), { recursive: true });
      const before = snapshot(dir);
      const r = await step4Async(
        [...fastArgs(work, 2), '--out-dir', join(dir, 'out')],
        undefined,
        { STEP4_TEST_PAUSE_AT_CHECKPOINT: String(Math.floor(checkpoints / 2)) },
        (chunk, child) => {
          if (chunk.includes('test pause at checkpoint')) child.kill(sig);
        },
      );
      expect(r.code, r.stderr).toBe(code);
      expect(r.stderr).toContain(`interrupted by ${sig}`);
      expect(snapshot(dir)).toEqual(before);
    },
  );
});

describe('concurrent runs and stale temporary folders', () => {
  it('serialises two runs into one folder: both succeed, one complete output, nothing else left', async () => {
    const work = mkdtempSync(join(tmpdir(), 'step4-concurrent-'));
    const out = join(work, 'out');
    const [a, b] = await Promise.all([
      step4Async([...fastArgs(work, 1), '--out-dir', out]),
      step4Async([...fastArgs(work, 2), '--out-dir', out]),
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect([1, 2]).toContain(completeOutputSeed(out));
    expect(readdirSync(work).sort()).toEqual(['fast.config.json', 'out']);
  });

  it("removes a dead run's temporary folder, but not one whose process is alive", async () => {
    const work = mkdtempSync(join(tmpdir(), 'step4-stale-'));
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;
    const dead = join(work, `.out.step4-tmp-${deadPid}-deadbeef`);
    const alive = join(work, `.out.step4-tmp-${process.pid}-0badf00d`);
    for (const d of [dead, alive]) {
      mkdirSync(join(d, 'final'), { recursive: true });
      writeFileSync(join(d, 'final', 'half.json'), '{');
    }
    const r = await step4Async([...fastArgs(work, 1), '--out-dir', join(work, 'out')]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(alive)).toBe(true);
    expect(completeOutputSeed(join(work, 'out'))).toBe(1);
  });
});
