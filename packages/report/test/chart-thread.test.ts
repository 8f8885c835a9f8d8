/**
 * The chart thread renders the bytes this thread renders, reports a failed
 * chart with its error, and early charts (`startRunCharts`) need it started.
 * Imported from the build (`dist`): the thread runs `chart-worker.js`, which
 * only the build has.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { chartBatch, chartThread } from '../dist/chart-thread.js';
import { startChartThread, startRunCharts, stopChartThread, stopChartThreadWhenIdle } from '../dist/index.js';
import { portfolioChartRenderer } from '../dist/portfolio-chart.js';
import { input } from './chart-input.js';

const two = input(['spyqqq', 'btceth']);
const four = input(['spyqqq', 'btceth', 'gold', 'bonds']);
const twoOther = { ...two, objective: 'calmar', score: 12.5 };

afterAll(() => stopChartThread());

describe('the chart thread', () => {
  it('is needed for early charts', () => {
    expect(() => startRunCharts({ prepared: {} as never, runs: [] })).toThrow(
      'startRunCharts: start the chart thread first (startChartThread)',
    );
  });

  it('renders the same bytes as this thread, charts of one write sharing their panels', async () => {
    const inputs = [two, four, twoOther, two];
    const here = await Promise.all(inputs.map(portfolioChartRenderer()));
    startChartThread();
    const batch = chartBatch();
    const there = await Promise.all(inputs.map(batch.render));
    batch.end();
    for (const [i, png] of there.entries())
      expect(Buffer.from(png).equals(Buffer.from(here[i])), `chart ${i}`).toBe(true);
    // Not a copy of one answer: the two objectives' headers differ.
    expect(Buffer.from(there[0]).equals(Buffer.from(there[2]))).toBe(false);
  });

  it('reports a chart that cannot be rendered with its error, and goes on rendering', async () => {
    startChartThread();
    const batch = chartBatch();
    // The thread's error, by name and message (an Error made here: errors do not cross threads).
    await expect(batch.render({ ...two, equity: undefined as never })).rejects.toMatchObject({
      name: 'TypeError',
      message: expect.stringContaining('Cannot read properties of undefined'),
    });
    const png = await batch.render(two);
    expect(Buffer.from(png).equals(Buffer.from(await portfolioChartRenderer()(two)))).toBe(true);
    batch.end();
  });

  it('stops when idle: answers the charts asked before, then renders in this thread', async () => {
    startChartThread();
    const batch = chartBatch();
    const asked = [two, four].map(batch.render);
    stopChartThreadWhenIdle();
    // Still running while charts are awaited.
    expect(chartThread()).toBeDefined();
    const there = await Promise.all(asked);
    const here = await Promise.all([two, four].map(portfolioChartRenderer()));
    for (const [i, png] of there.entries())
      expect(Buffer.from(png).equals(Buffer.from(here[i])), `chart ${i}`).toBe(true);
    // Stopped once idle: a later chart of the same batch, or of a new one, is rendered here.
    expect(chartThread()).toBeUndefined();
    const later = await batch.render(twoOther);
    expect(Buffer.from(later).equals(Buffer.from(await portfolioChartRenderer()(twoOther)))).toBe(true);
    batch.end();
    const fresh = chartBatch();
    expect(Buffer.from(await fresh.render(two)).equals(Buffer.from(here[0]))).toBe(true);
    // With nothing awaited, it stops at once.
    startChartThread();
    stopChartThreadWhenIdle();
    expect(chartThread()).toBeUndefined();
  });

  it('once stopped, charts are rendered in this thread again', async () => {
    await stopChartThread();
    const batch = chartBatch();
    expect(
      Buffer.from(await batch.render(four)).equals(Buffer.from(await portfolioChartRenderer()(four))),
    ).toBe(true);
  });
});
