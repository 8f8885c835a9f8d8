/**
 * Plugins with options (issue "Plugin contract 2"): `["pkg", { options }]` in
 * JSON configs, family objects in JS configs (also inside worker threads),
 * paths with spaces, a family's own error named by family, candidate and
 * month, and `--fail-on-candidate-error`.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { step4Async } from './helpers.js';

const fixture = fileURLToPath(new URL('./fixtures/plugin options/', import.meta.url));

/** A project folder whose path has spaces (plugin paths must survive them), with the fixture family. */
function project(config?: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'step4 plugin options '));
  cpSync(fixture, dir, { recursive: true });
  // The plugin imports @step4/core like an installed package would.
  mkdirSync(join(dir, 'node_modules', '@step4'), { recursive: true });
  symlinkSync(
    fileURLToPath(new URL('../../core', import.meta.url)),
    join(dir, 'node_modules', '@step4', 'core'),
  );
  if (config !== undefined) writeFileSync(join(dir, 'step4.config.json'), JSON.stringify(config));
  return dir;
}

const staticOnly = Object.fromEntries(
  ['heuristic', 'regime_guard', 'ml_lr', 'ml_rf', 'ml_dual_ridge', 'regime_rf'].map((f) => [
    f,
    { disable: true },
  ]),
);
const quick = ['--quiet', '--no-chart', '--bootstrap-samples', '100'];

describe('plugin options', () => {
  it('passes [name, options] to the plugin factory', async () => {
    const dir = project({ builtins: false, plugins: [['./floor-family.mjs', { weight: 0.2 }]] });
    const r = await step4Async(['candidates', '--json', '--config', join(dir, 'step4.config.json')], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).map((c: { name: string }) => c.name)).toEqual(['floor_mix_w20']);
  });

  it("refuses options the factory rejects, naming the plugin's field", async () => {
    const dir = project({ plugins: [['./floor-family.mjs', { weight: 2 }]] });
    const r = await step4Async(['candidates', '--config', join(dir, 'step4.config.json')], dir);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /field plugins\.0: plugin \.\/floor-family\.mjs: its factory refused the options \(weight must be in \[0, 1\], got 2\)/,
    );
  });

  it('refuses options for a plugin that exports a family object, not a factory', async () => {
    const dir = project({ plugins: [['./object.mjs', { weight: 0.1 }]] });
    writeFileSync(join(dir, 'object.mjs'), "import f from './floor-family.mjs';\nexport default f();\n");
    const r = await step4Async(['candidates', '--config', join(dir, 'step4.config.json')], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('exports a family object, not a factory, so it takes no options');
  });

  it('runs a family object from a JS config, in worker threads too', async () => {
    const dir = project();
    const r = await step4Async(
      [
        'run-all',
        ...quick,
        '--jobs',
        '2',
        '--config',
        join(dir, 'step4.config.mjs'),
        '--out-dir',
        join(dir, 'out'),
      ],
      dir,
    );
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(
      readFileSync(join(dir, 'out', 'final', 'optimization', 'step4_optimization_report.json'), 'utf8'),
    );
    expect(JSON.stringify(report)).toContain('floor_mix_w30');
    const manifest = JSON.parse(readFileSync(join(dir, 'out', 'final', 'step4_run_report.json'), 'utf8'));
    expect(JSON.stringify(manifest.meta.manifest.families)).toContain('step4.config.mjs#plugins.0');
  });
});

describe('a failing candidate', () => {
  const config = {
    grids: staticOnly,
    plugins: [['./floor-family.mjs', { weight: 0.4, failIn: '2020-03' }]],
  };

  it('is reported with family, candidate, month and the original message; the run goes on', async () => {
    const dir = project(config);
    const r = await step4Async(
      [
        'run-all',
        ...quick,
        '--no-plugin-check',
        '--config',
        join(dir, 'step4.config.json'),
        '--out-dir',
        join(dir, 'out'),
      ],
      dir,
    );
    expect(r.code, r.stderr).toBe(0);
    const report = readFileSync(
      join(dir, 'out', 'final', 'optimization', 'step4_optimization_report.json'),
      'utf8',
    );
    expect(report).toContain(
      'family floor_mix, candidate floor_mix_w40, month 2020-03-31: no data feed this month',
    );
  });

  it('fails the run with exit 3 under --fail-on-candidate-error, after writing the outputs', async () => {
    const dir = project(config);
    const r = await step4Async(
      [
        'run-all',
        ...quick,
        '--no-plugin-check',
        '--fail-on-candidate-error',
        '--config',
        join(dir, 'step4.config.json'),
        '--out-dir',
        join(dir, 'out'),
      ],
      dir,
    );
    expect(r.code, r.stderr).toBe(3);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('1 of 6 candidates failed (--fail-on-candidate-error)');
    expect(lines[0]).toContain(
      'family floor_mix, candidate floor_mix_w40, month 2020-03-31: no data feed this month',
    );
    expect(readFileSync(join(dir, 'out', 'final', 'step4_run_report.json'), 'utf8')).toContain(
      '"promoted_objective"',
    );
  });
});
