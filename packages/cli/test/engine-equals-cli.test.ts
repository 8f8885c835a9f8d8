/**
 * One pipeline: `runStep4` from @step4/engine, written by @step4/report, gives
 * byte-identical outputs (generation timestamp aside) to `step4 run-all`,
 * with one worker and with three, with every built-in family and a third-party family that the worker
 * threads load too.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { CandidateConfig } from '@step4/core';
import { loadFamilies, runStep4 } from '@step4/engine';
import { writeRunAllOutputs } from '@step4/report';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_FAMILIES } from '../src/builtin.js';
import { EMBEDDED_A, EMBEDDED_B, step4Async, withoutGenerationTime } from './helpers.js';

// A plain family object (no imports), so it loads from a bare temporary folder. It keeps
// module-level state on purpose: every worker thread must load its own copy and get the same numbers.
const PLUGIN = `
let calls = 0;
const position = { min_w: 0, max_w: 1, smoothing: 0.2, max_step: 0.5, gross_base: 1, gross_conf_scale: 0,
  max_gross: 1, target_vol: 0, vol_lb: 12, turn_cost_bps: 12, gross_cost_bps: 6 };
export default {
  meta: { name: 'tilt', version: '1.0.0', coreApi: 2 },
  params: { lookback: { type: 'integer', default: 6, min: 1, max: 60, description: 'months' } },
  sleeves: { min: 2 },
  defaultGrid: () => [3, 9].map((L) => ({ name: 'tilt_lb' + L, method: 'tilt', lookback: L, ...position })),
  decide(ctx, config) {
    calls++;
    const h = ctx.history;
    const from = Math.max(0, h.length - config.lookback);
    const mom = h.returns.map((r) => r.subarray(from).reduce((s, x) => s + x, 0));
    const best = mom.indexOf(Math.max(...mom));
    return { wRaw: mom.map((_, s) => (s === best ? 0.8 : 0.2 / (mom.length - 1))), conf: 0.5 };
  },
};
`;

const version = (file: string): string =>
  JSON.parse(readFileSync(new URL(file, import.meta.url), 'utf8')).version;

let work: string;
const outputs: Record<string, string> = {};

/** Every file's hash with the generation timestamp blanked (the only field that may differ). */
function hashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!d.isFile()) continue;
    const file = join(d.parentPath, d.name);
    let bytes: Buffer = readFileSync(file);
    if (/\.(json|html)$/.test(file)) bytes = Buffer.from(withoutGenerationTime(bytes.toString('utf8')));
    out[relative(dir, file)] = createHash('sha256').update(bytes).digest('hex');
  }
  return out;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'step4-engine-cli-'));
  const plugin = join(work, 'tilt.mjs');
  writeFileSync(plugin, PLUGIN);
  // Every built-in family and the plugin; fewer bootstrap samples keep the four runs quick.
  const config = join(work, 'step4.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      plugins: ['./tilt.mjs'],
      grids: {
        heuristic: { disable: true },
        regime_guard: { disable: true },
        ml_dual_ridge: { disable: true },
      },
      options: { bootstrapSamples: 200 },
    }),
  );
  const sleeveArgs = ['--sleeve', `spyqqq=${EMBEDDED_A}`, '--sleeve', `btceth=${EMBEDDED_B}`];
  for (const jobs of [1, 3]) {
    outputs[`cli-${jobs}`] = join(work, `cli-${jobs}`);
    const r = await step4Async([
      'run-all',
      '--config',
      config,
      ...sleeveArgs,
      '--out-dir',
      outputs[`cli-${jobs}`],
      '--jobs',
      String(jobs),
      '--no-plugin-check',
      '--quiet',
    ]);
    expect(r.code, r.stderr).toBe(0);
  }
  const listed = await step4Async(['candidates', '--config', config, '--json']);
  expect(listed.code, listed.stderr).toBe(0);
  const grid = JSON.parse(listed.stdout) as CandidateConfig[];
  expect(grid.some((c) => c.method === 'tilt')).toBe(true);
  const families = [...BUILTIN_FAMILIES, { module: plugin, source: './tilt.mjs' }];
  const registry = await loadFamilies(families);
  for (const jobs of [1, 3]) {
    const result = await runStep4({
      sleeves: [
        { name: 'spyqqq', path: EMBEDDED_A },
        { name: 'btceth', path: EMBEDDED_B },
      ],
      families,
      registry,
      grid,
      options: { bootstrapSamples: 200 },
      jobs,
      tool: { name: 'step4', version: version('../package.json') },
      // The CLI records its own and the writer's versions beside the engine's.
      packages: {
        '@step4/cli': version('../package.json'),
        '@step4/report': version('../../report/package.json'),
      },
      // What the CLI records for a plugin it was told not to check.
      pluginChecks: [
        { family: 'tilt', source: './tilt.mjs', passed: null, reason: 'not checked (--no-plugin-check)' },
      ],
    });
    outputs[`lib-${jobs}`] = join(work, `lib-${jobs}`);
    await writeRunAllOutputs(outputs[`lib-${jobs}`], result, result.manifest);
  }
}, 600_000);

describe('the library call and the CLI are one pipeline', () => {
  it('the third-party family ran in every run', () => {
    const report = JSON.parse(
      readFileSync(
        join(outputs['lib-3'], 'return', 'optimization', 'step4_optimization_report.json'),
        'utf8',
      ),
    ) as { candidates: { name: string; metrics?: unknown }[] };
    const tilt = report.candidates.filter((c) => c.name.startsWith('tilt_'));
    expect(tilt.map((c) => c.name)).toEqual(['tilt_lb3', 'tilt_lb9']);
    for (const c of tilt) expect(c.metrics).toBeDefined();
  });

  it.each(['cli-3', 'lib-1', 'lib-3'])(
    '%s writes the same files and bytes as the CLI with one worker',
    (name) => {
      const expected = hashes(outputs['cli-1']);
      const got = hashes(outputs[name]);
      expect(Object.keys(got).sort()).toEqual(Object.keys(expected).sort());
      const differing = Object.keys(expected).filter((f) => got[f] !== expected[f]);
      expect(differing).toEqual([]);
    },
  );
});
