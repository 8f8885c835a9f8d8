/**
 * `step4 check` and the quick plugin check of run-all (issue "Plugin contract 2"):
 * misbehaving plugins are named with the check they fail and refused with exit
 * code 2; with --no-plugin-check they run, and the honest built-in candidates'
 * numbers equal a run without the plugin, for --jobs 1 and 2.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { step4Async } from './helpers.js';

const PLUGINS = fileURLToPath(new URL('./fixtures/plugins/', import.meta.url));
const VOL_PARITY = fileURLToPath(new URL('../../../examples/vol-parity/', import.meta.url));
// Inside this package, where Node resolves @step4/core for the plugin files.
const dir = mkdtempSync(join(PLUGINS, '.tmp-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The example package (its source and package.json) copied where @step4/core resolves. */
function volParity(): string {
  mkdirSync(join(dir, 'vol-parity', 'src'), { recursive: true });
  for (const f of ['package.json', 'src/index.js'])
    copyFileSync(join(VOL_PARITY, f), join(dir, 'vol-parity', f));
  return './vol-parity/src/index.js';
}

function config(name: string, body: Record<string, unknown>): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(body));
  return file;
}

const BAD: [string, string, string][] = [
  ['../rewriter.mjs', 'rewriter', 'inputs-unchanged'],
  ['../config-mutator.mjs', 'config_mutator', 'config-unchanged'],
  ['../memory.mjs', 'memory', 'order-independence'],
];

// Built-in families that are quick to simulate; the others are checked by their own test suites.
const FAST_GRIDS = Object.fromEntries(
  ['ml_lr', 'ml_rf', 'regime_rf', 'ml_dual_ridge'].map((f) => [f, { disable: true }]),
);

describe('step4 check', () => {
  it('exits 2 and names every failing family with its check', async () => {
    const cfg = config('bad.json', { builtins: false, plugins: BAD.map(([p]) => p) });
    const r = await step4Async(['check', '--config', cfg]);
    expect(r.code).toBe(2);
    for (const [, family, check] of BAD) {
      expect(r.stdout).toMatch(new RegExp(`^${family}\\s+${check}\\s+FAIL\\s+${family}_lb`, 'm'));
      expect(r.stderr).toContain(
        `family ${family} (../${family === 'config_mutator' ? 'config-mutator' : family}.mjs) failed the ${check} check`,
      );
    }
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--json reports each family, the failed check and the candidate', async () => {
    const cfg = config('bad-json.json', { builtins: false, plugins: BAD.map(([p]) => p) });
    const r = await step4Async(['check', '--config', cfg, '--json']);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout);
    expect(doc.passed).toBe(false);
    for (const [, family, check] of BAD) {
      const f = doc.families.find((x: { family: string }) => x.family === family);
      expect(f.passed).toBe(false);
      expect(f.failure.check).toBe(check);
      expect(f.failure.candidate).toMatch(new RegExp(`^${family}_lb`));
    }
  });

  it('passes the example plugin examples/vol-parity (exit 0)', async () => {
    const cfg = config('good.json', { builtins: false, plugins: [volParity()] });
    const r = await step4Async(['check', '--config', cfg]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^vol_parity\s+order-independence\s+pass/m);
    expect(r.stdout).toContain('all 1 families pass');
  });
});

/** The honest built-in candidates' config and metrics, and the bytes of their path tables. */
function honestNumbers(out: string): Record<string, string> {
  const report = JSON.parse(
    readFileSync(join(out, 'return', 'optimization', 'step4_optimization_report.json'), 'utf8'),
  );
  const numbers: Record<string, string> = {};
  for (const c of report.candidates as { name: string; config: { method: string }; metrics: unknown }[]) {
    if (BAD.some(([, family]) => family === c.config.method)) continue;
    const path = readFileSync(join(out, 'return', 'optimization', `${c.name}_path.parquet`)).toString('hex');
    numbers[c.name] = JSON.stringify({ config: c.config, metrics: c.metrics, path });
  }
  return numbers;
}

describe('run-all checks plugins first', () => {
  const run = (cfg: string, out: string, ...extra: string[]) =>
    step4Async([
      'run-all',
      '--config',
      cfg,
      '--out-dir',
      join(dir, out),
      '--quiet',
      '--no-chart',
      '--bootstrap-samples',
      '100',
      ...extra,
    ]);

  it('refuses a failing plugin with exit 2 and one line naming the family and the check', async () => {
    const cfg = config('run-memory.json', { plugins: ['../memory.mjs'], grids: FAST_GRIDS });
    const r = await run(cfg, 'refused', '--jobs', '1');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/family memory .*failed the order-independence check/);
  });

  it.each(['1', '2'])(
    'with --no-plugin-check the honest candidates equal a run without the plugin (--jobs %s)',
    async (jobs) => {
      const withPlugin = config(`run-rewriter-${jobs}.json`, {
        plugins: ['../rewriter.mjs', '../config-mutator.mjs'],
        grids: FAST_GRIDS,
      });
      const without = config(`run-none-${jobs}.json`, { grids: FAST_GRIDS });
      const a = await run(withPlugin, `with-${jobs}`, '--jobs', jobs, '--no-plugin-check');
      expect(a.code, a.stderr).toBe(0);
      const b = await run(without, `without-${jobs}`, '--jobs', jobs);
      expect(b.code, b.stderr).toBe(0);
      const numbersWith = honestNumbers(join(dir, `with-${jobs}`));
      expect(Object.keys(numbersWith).length).toBeGreaterThan(10);
      expect(numbersWith).toEqual(honestNumbers(join(dir, `without-${jobs}`)));
      const manifest = JSON.parse(
        readFileSync(join(dir, `with-${jobs}`, 'final', 'step4_run_report.json'), 'utf8'),
      ).meta.manifest;
      expect(manifest.plugin_checks).toEqual([
        {
          family: 'rewriter',
          source: '../rewriter.mjs',
          passed: null,
          failed_check: null,
          reason: 'not checked (--no-plugin-check)',
        },
        {
          family: 'config_mutator',
          source: '../config-mutator.mjs',
          passed: null,
          failed_check: null,
          reason: 'not checked (--no-plugin-check)',
        },
      ]);
    },
  );

  it('records a passing plugin in the manifest', async () => {
    const cfg = config('run-good.json', { plugins: [volParity()], grids: FAST_GRIDS });
    const r = await run(cfg, 'good', '--jobs', '1');
    expect(r.code, r.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dir, 'good', 'final', 'step4_run_report.json'), 'utf8'))
      .meta.manifest;
    expect(manifest.plugin_checks).toEqual([
      {
        family: 'vol_parity',
        source: './vol-parity/src/index.js',
        passed: true,
        failed_check: null,
        reason: null,
      },
    ]);
  });
});
