import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEADERBOARD_COLUMNS, type LeaderboardRow, renderSweepReport } from '../src/index.js';

/**
 * `sweep_report.html` in a real browser: Debian's chromium driven by
 * playwright-core, the page opened from file:// as `step4 sweep` writes it.
 * Set STEP4_CHROMIUM to use another executable.
 */
const EXECUTABLE = process.env.STEP4_CHROMIUM ?? '/usr/bin/chromium';

/** A value that would end the page's script, or add markup, if it were not escaped. */
const HOSTILE_ERROR = 'boom </script><script>window.injected = 1</script><b>bold</b>';

/** A leaderboard row: every column null, then the given values (as `leaderboardRows` completes them). */
function row(values: Record<string, string | number | boolean | null>): LeaderboardRow {
  const out: Record<string, string | number | boolean | null> = {};
  for (const [name] of LEADERBOARD_COLUMNS) out[name] = values[name] ?? null;
  return out;
}

// Three cells x two objectives; cell 2 failed. Calmar ratios chosen so that the best cell differs per objective.
const CALMAR: Record<string, readonly [number, number]> = {
  return: [0.91, 1.37],
  balanced: [1.12, 0.48],
};
const ROWS: LeaderboardRow[] = [0, 1, 2].flatMap((cell) =>
  ['return', 'balanced'].map((objective) =>
    cell === 2
      ? row({
          cell,
          universe: 'spy+qqq+btc',
          options: '{}',
          status: 'failed',
          error: HOSTILE_ERROR,
          objective,
        })
      : row({
          cell,
          universe: cell === 0 ? 'spy+qqq' : 'spy+btc',
          options: `{"seed":${cell}}`,
          status: 'ok',
          objective,
          selected_candidate: `cand_${objective}_${cell}`,
          test_calmar: CALMAR[objective][cell],
          honest_test_calmar: CALMAR[objective][cell] / 2,
          pbo: 0.25 + cell / 10,
          dsr: 0.9,
          robust_pass: cell === 1,
        }),
  ),
);

let browser: Browser;
let dir: string;
let file: string;

interface Opened {
  readonly page: Page;
  readonly problems: string[];
  readonly requests: string[];
}

async function open(): Promise<Opened> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.route(/^(https?|wss?|ftp):/i, (route) => route.abort('blockedbyclient'));
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, problems, requests };
}

/** The visible leaderboard: one array of cell texts per row, and each row's class. */
function leaderboard(page: Page): Promise<{ cells: string[]; failed: boolean }[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLTableRowElement>('#lb tbody tr')).map((r) => ({
      cells: Array.from(r.cells, (c) => c.textContent ?? ''),
      failed: r.classList.contains('failed'),
    })),
  );
}

async function columnIndex(page: Page, name: string): Promise<number> {
  const heads = await page.locator('#lb thead th').allTextContents();
  const i = heads.indexOf(name);
  expect(i, `leaderboard column ${name}`).toBeGreaterThanOrEqual(0);
  return i;
}

describe('the sweep report page in chromium', () => {
  beforeAll(async () => {
    if (!existsSync(EXECUTABLE))
      throw new Error(`no chromium at ${EXECUTABLE}: apt-get install -y chromium, or set STEP4_CHROMIUM`);
    dir = mkdtempSync(join(tmpdir(), 'step4-sweep-page-'));
    file = join(dir, 'sweep_report.html');
    writeFileSync(file, renderSweepReport({ sweepFile: 'sweep.json', rows: ROWS, cells: 3, failedCells: 1 }));
    browser = await chromium.launch({ executablePath: EXECUTABLE, args: ['--no-sandbox'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens without errors and requests nothing but itself', async () => {
    const { page, problems, requests } = await open();
    expect(problems).toEqual([]);
    expect(requests).toEqual([pathToFileURL(file).href]);
    expect(await page.evaluate(() => (window as { injected?: number }).injected)).toBeUndefined();
    await page.close();
  });

  it('shows the headline counts and the best cell of each objective by test Calmar', async () => {
    const { page } = await open();
    expect(await page.locator('.kpi b').allTextContents()).toEqual(['3', '2', '1']);
    const best = await page.evaluate(() =>
      Array.from(document.querySelectorAll('section:nth-of-type(2) tbody tr'), (r) =>
        Array.from((r as HTMLTableRowElement).cells, (c) => c.textContent),
      ),
    );
    // return: cell 1 (1.37 > 0.91); balanced: cell 0 (1.12 > 0.48). The failed cell never counts.
    expect(best).toEqual([
      ['return', 'spy+btc', '{"seed":1}', 'cand_return_1', '1.3700', '0.6850', '0.3500', '0.9000'],
      ['balanced', 'spy+qqq', '{"seed":0}', 'cand_balanced_0', '1.1200', '0.5600', '0.2500', '0.9000'],
    ]);
    await page.close();
  });

  it('lists every row by cell, failed rows marked, empty values blank and markup shown as text', async () => {
    const { page } = await open();
    const rows = await leaderboard(page);
    expect(rows).toHaveLength(ROWS.length);
    const cell = await columnIndex(page, 'cell');
    const error = await columnIndex(page, 'error');
    const calmar = await columnIndex(page, 'test_calmar');
    expect(rows.map((r) => r.cells[cell])).toEqual(['0', '0', '1', '1', '2', '2']);
    expect(rows.map((r) => r.failed)).toEqual([false, false, false, false, true, true]);
    expect(rows[4].cells[error]).toBe(HOSTILE_ERROR);
    expect(rows[4].cells[calmar]).toBe('');
    expect(rows[0].cells[calmar]).toBe('0.9100');
    expect(rows.flatMap((r) => r.cells).some((t) => /undefined|NaN/.test(t))).toBe(false);
    expect(await page.locator('#lb b').count()).toBe(0);
    await page.close();
  });

  it('sorts by a clicked column, empty values last, and reverses on a second click', async () => {
    const { page } = await open();
    const calmar = await columnIndex(page, 'test_calmar');
    const header = page.locator('#lb thead th', { hasText: /^test_calmar$/ });
    await header.click();
    const up = (await leaderboard(page)).map((r) => r.cells[calmar]);
    expect(up).toEqual(['0.4800', '0.9100', '1.1200', '1.3700', '', '']);
    await header.click();
    const down = (await leaderboard(page)).map((r) => r.cells[calmar]);
    expect(down).toEqual(['1.3700', '1.1200', '0.9100', '0.4800', '', '']);
    await page.close();
  });

  it('filters by objective and by status', async () => {
    const { page } = await open();
    const objective = await columnIndex(page, 'objective');
    const status = await columnIndex(page, 'status');
    expect(await page.locator('#fo option').allTextContents()).toEqual(['all', 'return', 'balanced']);
    await page.selectOption('#fo', 'balanced');
    let rows = await leaderboard(page);
    expect(rows.map((r) => r.cells[objective])).toEqual(['balanced', 'balanced', 'balanced']);
    await page.selectOption('#fs', 'failed');
    rows = await leaderboard(page);
    expect(rows.map((r) => [r.cells[objective], r.cells[status]])).toEqual([['balanced', 'failed']]);
    await page.selectOption('#fo', '');
    rows = await leaderboard(page);
    expect(rows.map((r) => r.cells[status])).toEqual(['failed', 'failed']);
    await page.close();
  });
});
