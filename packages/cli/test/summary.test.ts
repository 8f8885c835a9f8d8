/**
 * The summary table writes dollar amounts as the tear sheets and charts do
 * (core's `dollars`: `-$678`, never `$-678`). Two sleeves that lose every
 * month make every candidate's test amounts negative.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dollars } from '@step4/core';
import { describe, expect, it } from 'vitest';
import { step4Async, writeMonthlySleeve } from './helpers.js';

/** A sleeve losing about `drift` a month, with a little noise so that no two months are equal. */
function losingSleeve(dir: string, name: string, drift: number): string {
  const returns = Array.from({ length: 96 }, (_, i) =>
    (drift + 0.004 * Math.sin(1.7 * i + drift * 100)).toFixed(6),
  );
  return writeMonthlySleeve(join(dir, `${name}.csv`), 2016, returns);
}

describe('step4 optimize summary', () => {
  it('writes negative dollar amounts with the sign before the dollar, as core dollars() does', async () => {
    const work = mkdtempSync(join(tmpdir(), 'step4-summary-'));
    const out = join(work, 'out');
    try {
      await check(work, out);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);
});

async function check(work: string, out: string): Promise<void> {
  const r = await step4Async([
    'optimize',
    '--objective',
    'return',
    '--quiet',
    '--no-chart',
    '--bootstrap-samples',
    '200',
    '--out-dir',
    out,
    '--sleeve',
    `down=${losingSleeve(work, 'down', -0.02)}`,
    '--sleeve',
    `worse=${losingSleeve(work, 'worse', -0.03)}`,
  ]);
  expect(r.code, r.stderr).toBe(0);
  const metrics = JSON.parse(readFileSync(join(out, 'backtest/step4_summary.json'), 'utf8'))
    .selected_candidate.metrics.test;
  expect(metrics.avg_monthly_pnl).toBeLessThan(-0.5);
  const row = r.stdout.split('\n').find((l) => l.startsWith('return '));
  expect(row, r.stdout).toBeDefined();
  expect(row).toContain(`  ${dollars(metrics.avg_monthly_pnl)}  `);
  expect(row).toContain(`  ${dollars(metrics.end_equity)}  `);
  expect(dollars(metrics.avg_monthly_pnl)).toMatch(/^-\$\d/);
  expect(r.stdout).not.toMatch(/\$-/);
}
