/**
 * Bad input (DEVELOPERS.md list): one fixture folder per case with its input
 * files and `case.json` (arguments and the words the error must contain).
 * Every case must exit with code 2, print exactly one line on stderr that
 * names the problem, create no output folder, and leave an earlier output
 * folder untouched.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EMBEDDED_A, EMBEDDED_B, step4Async } from './helpers.js';

const casesDir = fileURLToPath(new URL('./fixtures/bad-input/', import.meta.url));
const cases = readdirSync(casesDir).sort();

describe('bad input gives exit code 2, one line, and no half-written outputs', () => {
  it('has a fixture for every case of the list', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  it("matches the README's bad-input list, case for case", () => {
    const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
    const list = readme.slice(
      readme.indexOf('<!-- bad-input-list:start -->'),
      readme.indexOf('<!-- bad-input-list:end -->'),
    );
    const listed = [...list.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((m) => m[1]).sort();
    expect(listed).toEqual(cases);
  });

  it.each(cases)('%s', async (name) => {
    const dir = join(casesDir, name);
    const spec = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as {
      args: string[];
      expectedError: string[];
    };
    const work = mkdtempSync(join(tmpdir(), 'step4-bad-'));
    const out = join(work, 'out');
    const args = spec.args.map((a) =>
      a.replace('{CASE}', dir).replace('{EMBEDDED_A}', EMBEDDED_A).replace('{EMBEDDED_B}', EMBEDDED_B),
    );
    const r = await step4Async(['run-all', '--quiet', '--no-chart', '--out-dir', out, ...args], work);
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    for (const word of spec.expectedError) expect(lines[0]).toContain(word);
    expect(r.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(work)).toEqual([]);
  });

  it('leaves an existing output folder byte-identical', async () => {
    const work = mkdtempSync(join(tmpdir(), 'step4-bad-'));
    const out = join(work, 'out');
    mkdirSync(join(out, 'final'), { recursive: true });
    writeFileSync(join(out, 'final', 'step4_run_report.json'), '{"earlier": true}\n');
    // An earlier step4 output (its marker lists its files), so only the bad table can stop the run.
    writeFileSync(
      join(out, '.step4-output.json'),
      JSON.stringify({
        tool: 'step4',
        format: 1,
        command: 'run-all',
        files: ['final/step4_run_report.json'],
      }),
    );
    const r = await step4Async([
      'run-all',
      '--quiet',
      '--out-dir',
      out,
      '--sleeve',
      `spyqqq=${join(casesDir, 'nan-return', 'a.csv')}`,
      '--sleeve',
      `btceth=${EMBEDDED_B}`,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('a.csv');
    expect(readFileSync(join(out, 'final', 'step4_run_report.json'), 'utf8')).toBe('{"earlier": true}\n');
    expect(readdirSync(work)).toEqual(['out']);
  });
});
