/**
 * `step4 report <out-dir>`: rebuilds every run folder's tear sheet from an
 * existing output folder, by the output-folder rule, without simulating.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OUTPUT_MARKER } from '@step4/report';
import { beforeAll, describe, expect, it } from 'vitest';
import { step4Async } from './helpers.js';

const RUN_FOLDERS = ['balanced', 'calmar', 'final', 'final_dynamic', 'return', 'robust'];

let work: string;
let out: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'step4-report-'));
  out = join(work, 'out');
  const r = await step4Async(['run-all', '--quiet', '--no-chart', '--out-dir', out]);
  expect(r.code, r.stderr).toBe(0);
}, 240_000);

const pages = () =>
  Object.fromEntries(RUN_FOLDERS.map((f) => [f, readFileSync(join(out, f, 'step4_report.html'), 'utf8')]));

describe('step4 report', () => {
  it('rebuilds every run folder’s tear sheet to the bytes run-all wrote, and keeps the folder a step4 output', async () => {
    const before = pages();
    const marker = readFileSync(join(out, OUTPUT_MARKER), 'utf8');
    // A page lost or damaged since the run comes back.
    writeFileSync(join(out, 'calmar', 'step4_report.html'), 'damaged');
    const r = await step4Async(['report', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(RUN_FOLDERS.map((f) => join(out, f, 'step4_report.html')));
    expect(pages()).toEqual(before);
    expect(readFileSync(join(out, OUTPUT_MARKER), 'utf8')).toBe(marker);
    // Nothing left beside the folder (no temporary or old copies).
    expect(readdirSync(work)).toEqual(['out']);
    const json = await step4Async(['report', out, '--json']);
    expect(JSON.parse(json.stdout).pages).toEqual(RUN_FOLDERS.map((f) => `${f}/step4_report.html`));
  }, 240_000);

  it('refuses, with exit 2 and one line, a folder step4 did not write or that is not there', async () => {
    const foreign = join(work, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    for (const [dir, words] of [
      [foreign, ['notes.txt', 'step4 did not write']],
      [join(work, 'absent'), ['no step4 output folder']],
    ] as const) {
      const r = await step4Async(['report', dir]);
      expect(r.code, r.stderr).toBe(2);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      for (const w of words) expect(lines[0]).toContain(w);
      expect(r.stdout).toBe('');
    }
    expect(readFileSync(join(foreign, 'notes.txt'), 'utf8')).toBe('mine');
    expect(readdirSync(foreign)).toEqual(['notes.txt']);
  });
});
