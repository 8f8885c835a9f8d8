import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyRuns, fixtureRuns } from './tearsheet-fixtures.js';

/**
 * The tear sheet in a real browser: Debian's chromium driven by
 * playwright-core, the page opened from file://, as `step4 run-all` wrote
 * it. Set STEP4_CHROMIUM to use another executable.
 */
const EXECUTABLE = process.env.STEP4_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = fileURLToPath(new URL('../.screenshots/', import.meta.url));

interface Opened {
  readonly page: Page;
  /** Console errors, page errors and failed requests seen so far. */
  readonly problems: string[];
  /** Every URL the page requested. */
  readonly requests: string[];
}

let browser: Browser;
let root: string;
let pages: { two: string; four: string };

async function open(file: string): Promise<Opened> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) =>
    problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`),
  );
  page.on('request', (r) => requests.push(r.url()));
  // Nothing may leave the machine: a request to the network fails at once (and is reported above).
  await page.route(/^(https?|wss?|ftp):/i, (route) => route.abort('blockedbyclient'));
  await page.goto(pathToFileURL(file).href, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => document.body.getAttribute('data-charts') !== 'pending', null, {
    timeout: 60_000,
  });
  return { page, problems, requests };
}

/**
 * Data marks a chart drew: path, rect and line elements inside the SVG's
 * mark groups (`g.mark-<type>.role-mark`; not axes or legends), rules and
 * texts left out (the split rule, zero lines and labels are there even when
 * a chart has no data).
 */
function markCount(page: Page, chart: string): Promise<number> {
  return page.evaluate((name) => {
    const groups = Array.from(
      document.querySelectorAll(
        `.chart[data-chart="${name}"] svg g.role-mark:not(.mark-rule):not(.mark-text)`,
      ),
    );
    return groups.reduce(
      (n, g) => n + g.querySelectorAll(':scope > path, :scope > rect, :scope > line').length,
      0,
    );
  }, chart);
}

/** Text of one column of the leaderboard's visible rows. */
function column(page: Page, index: number): Promise<string[]> {
  return page.evaluate(
    (i) =>
      Array.from(document.querySelectorAll<HTMLTableRowElement>('#leaderboard tbody tr'))
        .filter((r) => !r.hidden)
        .map((r) => r.cells[i].getAttribute('data-value') ?? r.cells[i].textContent ?? ''),
    index,
  );
}

async function headerIndex(page: Page, label: string): Promise<number> {
  const heads = await page.$$eval('#leaderboard thead th', (ths) =>
    ths.map((th) => th.textContent?.trim() ?? ''),
  );
  const i = heads.findIndex((h) => h.replace(/[↕▲▼]/g, '').trim() === label);
  expect(i, `leaderboard column "${label}" in ${heads.join(' | ')}`).toBeGreaterThanOrEqual(0);
  return i;
}

/** The equity chart's y-axis: its ARIA description and tick labels. */
function yAxis(page: Page): Promise<{ label: string; ticks: string[] }> {
  return page.evaluate(() => {
    const axes = Array.from(document.querySelectorAll('.chart[data-chart="equity"] svg g.role-axis'));
    const y = axes.find((a) => (a.getAttribute('aria-label') ?? '').startsWith('Y-axis'));
    if (!y) return { label: '', ticks: [] };
    return {
      label: y.getAttribute('aria-label') ?? '',
      ticks: Array.from(y.querySelectorAll('g.role-axis-label text')).map((t) => t.textContent ?? ''),
    };
  });
}

describe('tear sheet in chromium (file://)', () => {
  beforeAll(async () => {
    if (!existsSync(EXECUTABLE))
      throw new Error(`no chromium at ${EXECUTABLE}: apt-get install -y chromium, or set STEP4_CHROMIUM`);
    const runs = await copyRuns(await fixtureRuns());
    root = runs.root;
    pages = {
      two: join(runs.two, 'final', 'step4_report.html'),
      four: join(runs.four, 'final', 'step4_report.html'),
    };
    // Root may not use chromium's sandbox (containers, CI).
    browser = await chromium.launch({ executablePath: EXECUTABLE, args: ['--no-sandbox'] });
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('renders every chart with marks, without errors or any network request, and saves a screenshot', async () => {
    const { page, problems, requests } = await open(pages.two);
    expect(await page.getAttribute('body', 'data-charts')).toBe('ready');
    const charts = await page.$$eval('.chart', (els) => els.map((e) => e.getAttribute('data-chart') ?? ''));
    expect(charts.length).toBeGreaterThanOrEqual(13);
    for (const chart of charts) {
      expect(await page.getAttribute(`.chart[data-chart="${chart}"]`, 'data-state'), chart).toBe('rendered');
      expect(await markCount(page, chart), `${chart}: marks drawn`).toBeGreaterThan(0);
    }
    // The equity chart draws a line per series: selected, honest, equal weight and each sleeve.
    const lines = await page.$$eval(
      '.chart[data-chart="equity"] svg g.mark-line.role-mark path',
      (p) => p.length,
    );
    expect(lines).toBeGreaterThanOrEqual(5);
    await page.screenshot({ path: join(SCREENSHOTS, 'tearsheet-two-sleeves.png'), fullPage: true });
    expect(problems).toEqual([]);
    expect(requests.filter((u) => /^https?:/i.test(u))).toEqual([]);
    expect(requests.every((u) => /^(file|data|blob):/i.test(u))).toBe(true);
    await page.close();
  });

  it('sorts the leaderboard by a clicked header, both ways', async () => {
    const { page, problems } = await open(pages.two);
    const calmar = await headerIndex(page, 'test Calmar');
    const before = await column(page, 1);
    await page.click(`#leaderboard thead th:nth-child(${calmar + 1}) button`);
    const desc = (await column(page, calmar)).map(Number);
    expect(desc.length).toBe(before.length);
    for (let i = 1; i < desc.length; i++) expect(desc[i]).toBeLessThanOrEqual(desc[i - 1]);
    expect(await column(page, 1)).not.toEqual(before);
    expect(await page.getAttribute(`#leaderboard thead th:nth-child(${calmar + 1})`, 'aria-sort')).toBe(
      'descending',
    );
    await page.click(`#leaderboard thead th:nth-child(${calmar + 1}) button`);
    const asc = (await column(page, calmar)).map(Number);
    for (let i = 1; i < asc.length; i++) expect(asc[i]).toBeGreaterThanOrEqual(asc[i - 1]);
    // A text column sorts alphabetically.
    const cand = await headerIndex(page, 'candidate');
    await page.click(`#leaderboard thead th:nth-child(${cand + 1}) button`);
    const names = await column(page, cand);
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
    expect(problems).toEqual([]);
    await page.close();
  });

  it('filters the leaderboard by family and by gate result', async () => {
    const { page, problems } = await open(pages.two);
    const total = (await column(page, 0)).length;
    const familyCol = await headerIndex(page, 'family');
    const gateCol = await headerIndex(page, 'gate');
    const families = await page.$$eval('#family-filter option', (o) =>
      o.map((x) => (x as HTMLOptionElement).value),
    );
    expect(families[0]).toBe('all');
    const family = families.includes('heuristic') ? 'heuristic' : families[1];
    await page.selectOption('#family-filter', family);
    const shown = await column(page, familyCol);
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.length).toBeLessThan(total);
    expect(new Set(shown)).toEqual(new Set([family]));
    expect(await page.textContent('#leaderboard-count')).toBe(`${shown.length} of ${total} rows shown`);

    await page.selectOption('#family-filter', 'all');
    await page.selectOption('#gate-filter', 'fail');
    const failed = await page.$$eval(
      '#leaderboard tbody tr:not([hidden])',
      (rows, i) => rows.map((r) => (r as HTMLTableRowElement).cells[i].textContent ?? ''),
      gateCol,
    );
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBeLessThan(total);
    // Failed rows name their failed gates.
    for (const g of failed) expect(g).toMatch(/^fail\s+\S+/);
    await page.selectOption('#gate-filter', 'pass');
    const passed = await page.$$eval(
      '#leaderboard tbody tr:not([hidden])',
      (rows, i) => rows.map((r) => (r as HTMLTableRowElement).cells[i].textContent ?? ''),
      gateCol,
    );
    expect(passed.length).toBeGreaterThan(0);
    expect(passed.length + failed.length).toBe(total);
    for (const g of passed) expect(g).toMatch(/^pass/);
    // Both filters at once.
    await page.selectOption('#family-filter', family);
    const both = await column(page, familyCol);
    expect(both.length).toBeLessThanOrEqual(Math.min(passed.length, shown.length));
    expect(new Set(both).size).toBeLessThanOrEqual(1);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows a clicked candidate’s own equity and weights', async () => {
    const { page, problems } = await open(pages.two);
    const selected = await page.getAttribute('.chart[data-chart="candidate"]', 'data-candidate');
    expect(selected).toBeTruthy();
    const other = await page.$eval(
      '#leaderboard tbody tr:not(.is-selected)',
      (r) => r.getAttribute('data-candidate') ?? '',
    );
    expect(other).not.toBe(selected);
    await page.click(`#leaderboard tbody tr[data-candidate="${other}"] a.show-candidate`);
    await page.waitForFunction((name) => {
      const c = document.querySelector('.chart[data-chart="candidate"]');
      return c?.getAttribute('data-candidate') === name && c.getAttribute('data-state') === 'rendered';
    }, other);
    expect(await page.textContent('#candidate-title')).toBe(other);
    expect(await markCount(page, 'candidate')).toBeGreaterThan(0);
    // Its equity against the selected candidate's: two lines, and the legend names both.
    const legend = await page.$$eval('.chart[data-chart="candidate"] svg g.role-legend text', (t) =>
      t.map((x) => x.textContent ?? ''),
    );
    expect(legend).toContain(other);
    expect(legend.some((t) => t.includes('(selected)'))).toBe(true);
    expect(
      await page.$$eval(`#leaderboard tbody tr.current`, (r) =>
        r.map((x) => x.getAttribute('data-candidate')),
      ),
    ).toEqual(expect.arrayContaining([other]));
    expect(problems).toEqual([]);
    await page.close();
  });

  it('switches the equity chart between log and linear y axes', async () => {
    const { page, problems } = await open(pages.two);
    expect(await page.isChecked('#log-toggle')).toBe(true);
    const log = await yAxis(page);
    expect(log.label).toMatch(/log scale/);
    expect(log.ticks.length).toBeGreaterThan(2);
    await page.click('#log-toggle');
    await page.waitForFunction(() => {
      const y = Array.from(document.querySelectorAll('.chart[data-chart="equity"] svg g.role-axis')).find(
        (a) => (a.getAttribute('aria-label') ?? '').startsWith('Y-axis'),
      );
      return /linear scale/.test(y?.getAttribute('aria-label') ?? '');
    });
    const linear = await yAxis(page);
    expect(linear.ticks).not.toEqual(log.ticks);
    // Linear ticks are evenly spaced in value; log ticks are not.
    const values = linear.ticks.map((t) => Number(t.replace(/[$,]/g, '')));
    const steps = new Set(values.slice(1).map((v, i) => Math.round(v - values[i])));
    expect(steps.size).toBe(1);
    expect(await markCount(page, 'equity')).toBeGreaterThan(0);
    await page.click('#log-toggle');
    await page.waitForFunction(() => {
      const y = Array.from(document.querySelectorAll('.chart[data-chart="equity"] svg g.role-axis')).find(
        (a) => (a.getAttribute('aria-label') ?? '').startsWith('Y-axis'),
      );
      return /log scale/.test(y?.getAttribute('aria-label') ?? '');
    });
    expect((await yAxis(page)).ticks).toEqual(log.ticks);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('renders the four-sleeve run the same way and saves a screenshot', async () => {
    const { page, problems, requests } = await open(pages.four);
    expect(await page.getAttribute('body', 'data-charts')).toBe('ready');
    const charts = await page.$$eval('.chart', (els) => els.map((e) => e.getAttribute('data-chart') ?? ''));
    for (const chart of charts)
      expect(await markCount(page, chart), `${chart}: marks drawn`).toBeGreaterThan(0);
    // One weight band per sleeve, each sleeve in the equity legend.
    const bands = await page.$$eval(
      '.chart[data-chart="weights"] svg g.mark-area.role-mark path',
      (p) => p.length,
    );
    expect(bands).toBe(4);
    const legend = await page.$$eval('.chart[data-chart="equity"] svg g.role-legend text', (t) =>
      t.map((x) => x.textContent ?? ''),
    );
    expect(legend).toEqual(expect.arrayContaining(['spy', 'qqq', 'btc', 'eth', 'selected', 'equal weight']));
    await page.screenshot({ path: join(SCREENSHOTS, 'tearsheet-four-sleeves.png'), fullPage: true });
    await page
      .locator('#leaderboard-section')
      .screenshot({ path: join(SCREENSHOTS, 'tearsheet-four-sleeves-leaderboard.png') });
    expect(problems).toEqual([]);
    expect(requests.filter((u) => /^https?:/i.test(u))).toEqual([]);
    await page.close();
  });
});
