/**
 * `step4.config.ts` and `.ts` plugins work in CommonJS projects (a default
 * `npm init -y`) and in ES module projects: `defineConfig` comes from
 * `@step4/cli/config`, `defineFamily` from `@step4/core/contract`.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { step4Async } from './helpers.js';

const off = '{ disable: true } as const';
const CONFIG = `import { defineConfig } from '@step4/cli/config';
import tilt from './tilt.ts';
const off = ${off};
export default defineConfig({
  plugins: [tilt({ weight: 0.25 })],
  grids: { heuristic: off, regime_guard: off, ml_lr: off, ml_rf: off, ml_dual_ridge: off, regime_rf: off },
});
`;
const PLUGIN = `import { defineFamily } from '@step4/core/contract';
export default function tilt(options: { weight: number }) {
  return defineFamily({
    meta: { name: 'ts_tilt', version: '1.0.0', coreApi: 2 },
    params: { lookback: { type: 'integer', default: 6, min: 1, max: 60, description: 'months' } },
    defaultGrid: (candidate) => [candidate('ts_tilt_lb3', { lookback: 3 })],
    decide: (ctx, config) => {
      const n = Math.min(config.lookback, ctx.history.length);
      return { wRaw: n > 0 ? options.weight : 0.5, conf: 0 };
    },
  });
}
`;

function project(type: 'commonjs' | 'module'): string {
  const dir = mkdtempSync(join(tmpdir(), `step4-ts-${type}-`));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'p', version: '1.0.0', type }));
  writeFileSync(join(dir, 'step4.config.ts'), CONFIG);
  writeFileSync(join(dir, 'tilt.ts'), PLUGIN);
  mkdirSync(join(dir, 'node_modules', '@step4'), { recursive: true });
  for (const pkg of ['cli', 'core'])
    symlinkSync(
      fileURLToPath(new URL(`../../${pkg}`, import.meta.url)),
      join(dir, 'node_modules', '@step4', pkg),
    );
  return dir;
}

describe('TypeScript configs and plugins', () => {
  it.each(['commonjs', 'module'] as const)('load in a %s project', async (type) => {
    const dir = project(type);
    const r = await step4Async(['candidates', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).map((c: { name: string }) => c.name)).toContain('ts_tilt_lb3');
  });

  it('run in worker threads from a CommonJS project', async () => {
    const dir = project('commonjs');
    const r = await step4Async(
      ['run-all', '--quiet', '--no-chart', '--bootstrap-samples', '100', '--jobs', '2', '--out-dir', 'out'],
      dir,
    );
    expect(r.code, r.stderr).toBe(0);
  });
});
