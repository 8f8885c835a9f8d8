import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { LEADERBOARD_COLUMNS } from '../src/index.js';
import { runCli, smallSweep, tempDir, writeSweep } from './helpers.js';

function readLeaderboard(file: string) {
  return tableFromIPC(readParquet(readFileSync(file)).intoIPCStream());
}

describe('a local sweep', () => {
  const dir = tempDir('local');
  let first: Buffer;

  beforeAll(async () => {
    writeSweep(dir, smallSweep());
    const r = await runCli(['sweep', 'sweep.json', '--out-dir', 'out', '--workers', '2', '--quiet'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('8 cells (8 computed, 0 from earlier runs), 0 failed');
    first = readFileSync(join(dir, 'out', 'leaderboard.parquet'));
  }, 600_000);

  it('writes one row per cell and objective, in the order of the expansion', () => {
    const t = readLeaderboard(join(dir, 'out', 'leaderboard.parquet'));
    expect(t.schema.fields.map((f) => f.name)).toEqual(LEADERBOARD_COLUMNS.map(([n]) => n));
    expect(t.numRows).toBe(8 * 4);
    const rows = t.toArray().map((r) => r.toJSON());
    expect(rows.map((r) => r.cell)).toEqual(Array.from({ length: 32 }, (_, i) => Math.floor(i / 4)));
    expect(rows.slice(0, 4).map((r) => r.objective)).toEqual(['return', 'balanced', 'calmar', 'robust']);
    expect(rows[0].universe).toBe('spy+qqq');
    expect(rows[31].universe).toBe('spy+qqq+btc');
    expect(rows[4].turn_cost_bps).toBe(24);
    for (const r of rows) {
      expect(r.status).toBe('ok');
      expect(typeof r.selected_candidate).toBe('string');
      expect(Number.isFinite(r.test_end_equity)).toBe(true);
      expect(r.pbo).toBeGreaterThanOrEqual(0);
      expect(r.dsr).toBeGreaterThanOrEqual(0);
    }
    const html = readFileSync(join(dir, 'out', 'sweep_report.html'), 'utf8');
    expect(html).toContain('Best cell per objective');
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
  });

  it('run again, skips every cell and writes the same bytes; one worker gives the same bytes', async () => {
    const again = await runCli(['sweep', 'sweep.json', '--out-dir', 'out', '--quiet'], dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('8 cells (0 computed, 8 from earlier runs), 0 failed');
    expect(readFileSync(join(dir, 'out', 'leaderboard.parquet')).equals(first)).toBe(true);
    const one = await runCli(['sweep', 'sweep.json', '--out-dir', 'one', '--workers', '1', '--quiet'], dir);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('8 computed');
    expect(readFileSync(join(dir, 'one', 'leaderboard.parquet')).equals(first)).toBe(true);
  }, 600_000);

  it('resumes: cells finished before an interruption are not computed again', async () => {
    // The cache of an interrupted sweep is the hidden sibling; take two finished cells from the first run.
    const { readdirSync, mkdirSync, copyFileSync } = await import('node:fs');
    const cache = join(dir, '.resumed.step4-sweep-cells');
    mkdirSync(cache);
    for (const f of readdirSync(join(dir, 'out', 'cells')).slice(0, 2))
      copyFileSync(join(dir, 'out', 'cells', f), join(cache, f));
    const r = await runCli(['sweep', 'sweep.json', '--out-dir', 'resumed', '--quiet', '--json'], dir);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ cells: 8, cached: 2, computed: 6, failed: [] });
    expect(readFileSync(join(dir, 'resumed', 'leaderboard.parquet')).equals(first)).toBe(true);
  }, 600_000);

  it("with --cell-outputs, writes each cell's run-all folder under cells/<hash>/, kept when the sweep runs again", async () => {
    writeSweep(dir, smallSweep({ universes: [['spy', 'qqq']] }), 'outputs.json');
    const args = ['sweep', 'outputs.json', '--out-dir', 'with-outputs', '--cell-outputs', '--quiet'];
    const r = await runCli(args, dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = join(dir, 'with-outputs');
    const rows = readLeaderboard(join(out, 'leaderboard.parquet'))
      .toArray()
      .map((x) => x.toJSON());
    expect(rows).toHaveLength(2 * 4);
    const reports = new Map<string, string>();
    for (const row of rows) {
      // The cell's own folder: each objective's summary names the candidate its leaderboard row does.
      const summary = JSON.parse(
        readFileSync(
          join(out, 'cells', row.cell_hash, row.objective, 'backtest', 'step4_summary.json'),
          'utf8',
        ),
      );
      expect(summary.selected_candidate.name).toBe(row.selected_candidate);
      expect(summary.meta.sleeves).toEqual(['spy', 'qqq']);
      // The variant's costs: the two cells differ only there.
      expect(summary.selected_candidate.config.turn_cost_bps).toBe(row.turn_cost_bps);
      const report = join(out, 'cells', row.cell_hash, 'final', 'step4_run_report.json');
      reports.set(row.cell_hash, readFileSync(report, 'utf8'));
    }
    expect(reports.size).toBe(2);
    // Run again: every cell comes from the earlier run, and its folder is carried over unchanged.
    const again = await runCli(args, dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('2 cells (0 computed, 2 from earlier runs), 0 failed');
    for (const [hash, report] of reports)
      expect(readFileSync(join(out, 'cells', hash, 'final', 'step4_run_report.json'), 'utf8')).toBe(report);
  }, 600_000);

  it('bad input is one line and exit code 2; a folder step4 did not write is refused', async () => {
    writeSweep(dir, smallSweep({ options: { trainRatio: 2 } }), 'bad.json');
    const bad = await runCli(['sweep', 'bad.json', '--quiet'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^step4: error: bad\.json: field options\.trainRatio: expected a number/);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    writeSweep(
      dir,
      smallSweep({ sleeves: { spy: 'embedded:spy', gold: 'gold.csv' }, universes: { minSize: 2 } }),
      'missing.json',
    );
    const missing = await runCli(['sweep', 'missing.json', '--quiet'], dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('field sleeves.gold: file not found');
    const foreign = join(dir, 'foreign');
    (await import('node:fs')).mkdirSync(foreign);
    writeFileSync(join(foreign, 'mine.txt'), 'mine');
    const refused = await runCli(['sweep', 'sweep.json', '--out-dir', 'foreign', '--quiet'], dir);
    expect(refused.code).toBe(2);
    expect(readFileSync(join(foreign, 'mine.txt'), 'utf8')).toBe('mine');
  }, 120_000);

  it('a failing cell is reported with its error, exit code 3, never dropped', async () => {
    // 60 months of overlap are too few for train ratio 0.2 with 24 months of history: each cell fails.
    writeSweep(
      dir,
      smallSweep({
        universes: [['spy', 'qqq']],
        options: { bootstrapSamples: 100, spaReplications: 0, minHistoryMonths: 600 },
      }),
      'fail.json',
    );
    const r = await runCli(['sweep', 'fail.json', '--out-dir', 'failed', '--quiet'], dir);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('2 failed');
    const rows = readLeaderboard(join(dir, 'failed', 'leaderboard.parquet'))
      .toArray()
      .map((x) => x.toJSON());
    expect(rows).toHaveLength(8);
    for (const row of rows) {
      expect(row.status).toBe('failed');
      expect(String(row.error).length).toBeGreaterThan(0);
    }
  }, 120_000);
});
