import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closest, editDistance } from '@step4/core';
import { configJsonSchema } from '../src/config-schema.js';
import { step4Async } from './helpers.js';

const stableJson = (v: unknown) => `${JSON.stringify(v, null, 1)}\n`;

const inPackage: string[] = [];
/** A temporary folder inside this package, where Node resolves @step4/core for a plugin file. */
function packageTmp(): string {
  const dir = mkdtempSync(join(new URL('.', import.meta.url).pathname, '.tmp-config-'));
  inPackage.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of inPackage) rmSync(d, { recursive: true, force: true });
});

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'step4-config-'));
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  return dir;
}

const localFamily = `import { CORE_API_VERSION, candidate, defineFamily } from '@step4/core/contract';
export default () => defineFamily({
  meta: { name: 'tilt', version: '2.0.0', coreApi: CORE_API_VERSION },
  params: { lookback: { type: 'integer', default: 4, min: 1, max: 24, description: 'months' } },
  defaultGrid: () => [candidate('tilt_a', 'tilt', { lookback: 4 })],
  decide: (ctx, c) => ({ wRaw: ctx.history.retA[ctx.history.length - 1] > 0 ? 0.6 : 0.4, conf: 0.1 }),
});
`;

describe('step4.config (issue: plugins and configurable grids)', () => {
  it('ships a JSON Schema that matches the config validation', () => {
    const shipped = readFileSync(new URL('../step4.config.schema.json', import.meta.url), 'utf8');
    // Regenerate with: node packages/cli/dist/bin.js config-schema > packages/cli/step4.config.schema.json
    expect(shipped).toBe(stableJson(configJsonSchema()));
  });

  it('loads a plugin by relative path, extends and replaces grids, applies run options', async () => {
    // The plugin imports @step4/core, so it lives inside this package's folder tree where Node resolves it.
    const dir = packageTmp();
    writeFileSync(join(dir, 'tilt.mjs'), localFamily);
    writeFileSync(
      join(dir, 'step4.config.json'),
      JSON.stringify({
        plugins: ['./tilt.mjs'],
        grids: {
          tilt: { extend: [{ name: 'tilt_b', lookback: 8, max_gross: 1.1, gross_base: 1.1 }] },
          heuristic: { replace: [{ name: 'heuristic_custom', lookback: 5, dd_penalty: 0.5 }] },
          ml_rf: { disable: true },
        },
        options: { seed: 7, bootstrapSamples: 100 },
      }),
    );
    const c = await step4Async(['candidates', '--json'], dir);
    expect(c.code, c.stderr).toBe(0);
    const names = JSON.parse(c.stdout).map((x: { name: string }) => x.name);
    expect(names).toContain('tilt_b');
    expect(names).toContain('heuristic_custom');
    expect(names.filter((n: string) => n.startsWith('heuristic_'))).toEqual(['heuristic_custom']);
    expect(names.some((n: string) => n.startsWith('ml_rf'))).toBe(false);
    expect(names.slice(-2)).toEqual(['tilt_a', 'tilt_b']);
    const f = JSON.parse((await step4Async(['families', '--json'], dir)).stdout).find(
      (x: { name: string }) => x.name === 'tilt',
    );
    expect(f.source).toBe('./tilt.mjs');
    const out = join(dir, 'out');
    const r = await step4Async(
      ['optimize', '--objective', 'return', '--out-dir', out, '--quiet', '--no-chart', '--jobs', '2'],
      dir,
    );
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(readFileSync(join(out, 'optimization/step4_optimization_report.json'), 'utf8'));
    expect(s.meta.seed).toBe(7);
    expect(s.meta.bootstrap_samples).toBe(100);
    expect(s.candidates.find((x: { name: string }) => x.name === 'tilt_b').config.max_gross).toBe(1.1);
    // An explicit flag wins over the config.
    const r2 = await step4Async(
      ['optimize', '--objective', 'return', '--out-dir', out, '--quiet', '--no-chart', '--seed', '9'],
      dir,
    );
    expect(r2.code, r2.stderr).toBe(0);
    expect(
      JSON.parse(readFileSync(join(out, 'optimization/step4_optimization_report.json'), 'utf8')).meta.seed,
    ).toBe(9);
  });

  it.each([
    [{ plugins: 'x' }, /field plugins: .*expected array/i],
    [{ grids: { heuristic: { replace: [{ lookback: 3 }] } } }, /field grids\.heuristic\.replace\.0\.name/],
    [{ options: { trainRatio: 2 } }, /field options\.trainRatio/],
    [{ grids: { nope: {} } }, /field grids\.nope: no family named nope/],
    [{ plugins: ['./missing.mjs'] }, /plugin \.\/missing\.mjs: file not found/],
    [{ plugins: ['not-installed-anywhere-xyz'] }, /plugin not-installed-anywhere-xyz: cannot be found/],
    [{ unknownKey: 1 }, /unrecognized key/i],
    // The options share the flags' bounds (options.ts): the flag caps the block length at 120, so does the config.
    [
      { options: { bootstrapBlockMonths: 100000 } },
      /field options\.bootstrapBlockMonths: expected an integer >= 1 and <= 120, got 100000$/,
    ],
    [{ options: { bootstrapSamples: 0 } }, /field options\.bootstrapSamples: expected an integer >= 100/],
    [{ options: { pboBlocks: 15 } }, /field options\.pboBlocks: expected an even integer >= 2 and <= 24/],
    [{ options: { startCapital: 1e308 } }, /field options\.startCapital: .*<= 1000000000000, got 1e\+308/],
    [{ options: { financingBpsPerYear: 1e6 } }, /field options\.financingBpsPerYear: .*<= 10000/],
    // Candidate parameters the family does not declare are refused, with the closest valid name.
    [
      { grids: { heuristic: { extend: [{ name: 'h_typo', lookbak: 5 }] } } },
      /field grids\.heuristic\.extend\.0\.lookbak: candidate h_typo: family heuristic has no parameter lookbak \(did you mean lookback\?\)$/,
    ],
    [
      {
        grids: {
          heuristic: {
            replace: [
              { name: 'h_ok', lookback: 4 },
              { name: 'h_x', zzzzzz: 1 },
            ],
          },
        },
      },
      /field grids\.heuristic\.replace\.1\.zzzzzz: candidate h_x: family heuristic has no parameter zzzzzz \(valid: [a-z_, ]*lookback[a-z_, ]*min_w/,
    ],
    [
      { grids: { heuristic: { extend: [{ name: 'h_m', method: 'static' }] } } },
      /field grids\.heuristic\.extend\.0\.method: candidate h_m: method is not a parameter/,
    ],
    // Values are checked against the family's schema (heuristic: lookback an integer in [2, 600]) and the position ranges.
    [
      { grids: { heuristic: { extend: [{ name: 'h_lb', lookback: 1 }] } } },
      /field grids\.heuristic\.extend\.0\.lookback: candidate h_lb: lookback must be an integer in \[2, 600\], got 1$/,
    ],
    [
      { grids: { heuristic: { extend: [{ name: 'h_g', max_gross: 'high' }] } } },
      /field grids\.heuristic\.extend\.0\.max_gross: candidate h_g: max_gross must be a number/,
    ],
  ])('rejects a bad config with one line naming the field: %j', async (config, message) => {
    const dir = project({ 'step4.config.json': JSON.stringify(config) });
    const r = await step4Async(['candidates'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(message);
    expect(r.stderr).toContain('step4.config.json');
  });

  it('suggests the closest valid parameter for a typo, and nothing for a stranger', () => {
    const names = ['static_w', 'lookback', 'dd_penalty', 'max_gross', 'gross_base'];
    expect(editDistance('lookbak', 'lookback')).toBe(1);
    expect(editDistance('lookbcak', 'lookback')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(closest('lookbak', names)).toBe('lookback');
    expect(closest('ddpenalty', names)).toBe('dd_penalty');
    expect(closest('MAX_GROSS', names)).toBe('max_gross');
    expect(closest('zzzzzz', names)).toBeUndefined();
    expect(closest('x', names)).toBeUndefined();
  });

  it.each(['step4.config.ts', 'step4.config.mjs'])('reads %s from the working directory', async (file) => {
    const dir = packageTmp();
    const ts = file.endsWith('.ts') ? ': { plugins: string[]; options: { seed: number } }' : '';
    writeFileSync(
      join(dir, file),
      `const config${ts} = { plugins: [], options: { seed: 5 } };\nexport default config;\n`,
    );
    const out = join(dir, 'o');
    const r = await step4Async(
      ['optimize', '--objective', 'return', '--out-dir', out, '--quiet', '--no-chart', '--jobs', '1'],
      dir,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'backtest/step4_summary.json'), 'utf8')).meta.seed).toBe(5);
  });

  it('rejects a plugin built for another core API major', async () => {
    const dir = packageTmp();
    writeFileSync(join(dir, 'old.mjs'), localFamily.replace('coreApi: CORE_API_VERSION', 'coreApi: 0'));
    writeFileSync(join(dir, 'step4.config.json'), JSON.stringify({ plugins: ['./old.mjs'] }));
    const r = await step4Async(['families'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/family tilt targets core API 0; this @step4\/core [0-9.]+ supports API 2/);
  });

  it('never loads code a config does not name', async () => {
    const dir = project({
      'tilt.mjs': 'throw new Error("must not run")',
      'node_modules/evil/index.js': 'throw new Error("must not run")',
    });
    const r = await step4Async(['families', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).map((f: { name: string }) => f.name)).not.toContain('tilt');
  });

  it('new-family scaffolds a package that uses defineFamily and the conformance kit', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'step4-new-')), 'fam');
    const r = await step4Async(['new-family', 'carry_trade', '--dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(pkg.peerDependencies['@step4/core']).toMatch(/^\^\d+\.\d+\.\d+$/);
    expect(readFileSync(join(dir, 'src/index.js'), 'utf8')).toContain('defineFamily({');
    expect(readFileSync(join(dir, 'test/conformance.test.js'), 'utf8')).toContain(
      'runConformance(carryTradeFamily())',
    );
    expect((await step4Async(['new-family', 'Bad-Name', '--dir', join(dir, 'x')])).code).toBe(2);
  });
});
