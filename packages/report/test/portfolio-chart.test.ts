import sharp from 'sharp';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import {
  type ChartInput,
  PNG_COMPRESSION_LEVEL,
  type Raster,
  chartHeaderSvg,
  chartSpec,
  composeChart,
  portfolioChartRenderer,
  renderPortfolioChart,
} from '../src/portfolio-chart.js';
import { input, monthEnds, n } from './chart-input.js';
import { random } from './random.js';

const two = input(['spyqqq', 'btceth']);
const four = input(['spyqqq', 'btceth', 'gold', 'bonds']);

interface Layer {
  data?: { values: Record<string, unknown>[] };
  mark: { type: string };
  encoding?: Record<string, Record<string, unknown>>;
}
interface Panel {
  title: string;
  layer: Layer[];
}
const panels = (x: ChartInput) => (chartSpec(x) as unknown as { vconcat: Panel[] }).vconcat;
/** Distinct values of `series` in a data layer, in first-seen order. */
const seriesOf = (layer: Layer) => [...new Set(layer.data!.values.map((r) => r.series))];
/** Texts of the header SVG, in document order. */
const texts = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

async function decode(png: Uint8Array) {
  const meta = await sharp(png).metadata();
  expect(meta.format).toBe('png');
  return { width: meta.width ?? 0, height: meta.height ?? 0 };
}

describe('portfolio chart spec', () => {
  it('draws two sleeves as the reference does: one weight line each, 50/50 benchmark', () => {
    const [equity, weights] = panels(two);
    expect(seriesOf(equity.layer[0])).toEqual([
      'selected: heuristic_lb6_g1_0',
      'spyqqq alone',
      'btceth alone',
      '50/50 monthly',
    ]);
    expect(weights.title).toBe('Weights and gross leverage');
    expect(weights.layer[0].mark.type).toBe('line');
    expect(seriesOf(weights.layer[0])).toEqual(['weight spyqqq', 'weight btceth', 'gross leverage']);
  });

  it('draws N = 4 sleeves with one equity series each and stacked weight areas beside a gross leverage line', () => {
    const [equity, weights] = panels(four);
    expect(seriesOf(equity.layer[0])).toEqual([
      'selected: heuristic_lb6_g1_0',
      'spyqqq alone',
      'btceth alone',
      'gold alone',
      'bonds alone',
      'equal weight monthly',
    ]);
    const range = (equity.layer[0].encoding!.color.scale as { range: string[] }).range;
    expect(new Set(range).size).toBe(6);

    const [areas, gross] = weights.layer;
    expect(areas.mark.type).toBe('area');
    expect(areas.encoding!.y.stack).toBe('zero');
    expect(areas.encoding!.order).toBeDefined();
    expect(seriesOf(areas)).toEqual(['weight spyqqq', 'weight btceth', 'weight gold', 'weight bonds']);
    // The stacked areas reach 1 every month (the weights of the synthetic input sum to 1).
    const stackTop = new Map<unknown, number>();
    for (const r of areas.data!.values)
      stackTop.set(r.month, (stackTop.get(r.month) ?? 0) + (r.value as number));
    for (const total of stackTop.values()) expect(total).toBeCloseTo(1, 12);
    expect(gross.mark.type).toBe('line');
    expect(seriesOf(gross)).toEqual(['gross leverage']);
    expect(gross.data!.values).toHaveLength(n);
  });

  it('rejects inputs whose per-sleeve fields do not match the sleeve names', () => {
    expect(() => chartSpec({ ...four, weights: four.weights.slice(0, 3) })).toThrow(/weights has 3 entries/);
    expect(() =>
      chartSpec({ ...four, stats: { ...four.stats, correlation: two.stats.correlation } }),
    ).toThrow(/correlation/);
    expect(() => chartSpec(input(['only']))).toThrow(/at least two sleeves/);
  });
});

/** `x` with one huge gain, one huge loss, a gross leverage spike and an equity peak at the last month. */
function extreme(x: ChartInput): ChartInput {
  const pnl = Float64Array.from(x.pnl);
  pnl[50] = 30_000;
  pnl[20] = -20_000;
  const grossLeverage = Float64Array.from(x.grossLeverage);
  grossLeverage[30] = 1.6;
  const equity = Float64Array.from(x.equity);
  equity[n - 1] = 100_000;
  return { ...x, pnl, grossLeverage, equity };
}

/** The y scales (domain, pixel function, plot height) of the three panels after Vega has run the spec. */
async function yScales(x: ChartInput) {
  const view = new vega.View(vega.parse(compile(chartSpec(x)).spec), { renderer: 'none' });
  await view.runAsync();
  const scales = ['concat_0_y', 'concat_1_y', 'concat_2_y'].map((name) => {
    const scale = view.scale(name) as ((v: number) => number) & {
      domain(): number[];
      range(): number[];
    };
    return { scale, domain: scale.domain(), height: Math.max(...scale.range()) };
  });
  view.finalize();
  return { equity: scales[0], weights: scales[1], pnl: scales[2] };
}

/**
 * Every value lies inside its panel's y domain and its mark ends at least
 * `room` px from the panel's top and bottom edges (y pixels run from 0 at the top).
 */
function expectInside(
  panel: { scale: (v: number) => number; domain: number[]; height: number },
  values: Iterable<number>,
  room: number,
) {
  const [lo, hi] = [Math.min(...panel.domain), Math.max(...panel.domain)];
  for (const v of values) {
    expect(v).toBeGreaterThanOrEqual(lo);
    expect(v).toBeLessThanOrEqual(hi);
    expect(panel.scale(v)).toBeGreaterThanOrEqual(room);
    expect(panel.scale(v)).toBeLessThanOrEqual(panel.height - room);
  }
}

describe('portfolio chart scales', () => {
  it.each([
    ['two', two],
    ['four', four],
  ])(
    'fits every value of %s sleeves in its panel, clear of the frame, even a huge gain and loss month',
    async (_, base) => {
      const x = extreme(base);
      const { equity, weights, pnl } = await yScales(x);
      // Monthly PnL: the domain holds the largest gain and loss with room to spare
      // (nice rounding alone ended the panel exactly at the +$30,000 bar).
      expect(Math.max(...pnl.domain)).toBeGreaterThan(30_000);
      expect(Math.min(...pnl.domain)).toBeLessThan(-20_000);
      expectInside(pnl, x.pnl, 12);
      // Weights: every weight (two sleeves) or stacked total (more) and gross leverage, with its spike.
      const stackTops = monthEnds.map((_, i) => x.weights.reduce((t, w) => t + w[i], 0));
      expectInside(weights, [...(x.weights.length === 2 ? x.weights.flatMap((w) => [...w]) : stackTops)], 0);
      expectInside(weights, [Math.max(...stackTops), ...x.grossLeverage], 12);
      // Equity (log): every series, the top one clear of the frame.
      expectInside(
        equity,
        [x.equity, ...x.sleeveEquity, x.equityEqual].flatMap((e) => [...e]),
        12,
      );
    },
  );

  it('still draws a panel when every month has zero PnL', async () => {
    const { pnl } = await yScales({ ...two, pnl: new Float64Array(n) });
    expect(pnl.domain[0]).toBeLessThan(pnl.domain[1]);
    expectInside(pnl, [0], 0);
  });
});

describe('portfolio chart header', () => {
  it('keeps the reference rows for two sleeves', () => {
    const t = texts(chartHeaderSvg(two, 1400));
    for (const label of [
      'avg weight spyqqq',
      'weight std',
      'spyqqq alone',
      'btceth alone',
      '50/50 monthly',
      'corr(spyqqq, btceth), all months',
    ]) {
      expect(t).toContain(label);
    }
    expect(t[t.indexOf('weight std') + 1]).toBe('12.0%'); // weightStdA
    expect(t[t.indexOf('corr(spyqqq, btceth), all months') + 1]).toBe('-0.42');
    expect(chartHeaderSvg(two, 1400)).toContain('height="250"');
  });

  it('lists every sleeve, the mean weight std and a correlation summary for N = 4', () => {
    const t = texts(chartHeaderSvg(four, 1400));
    for (const name of four.sleeveNames) {
      expect(t).toContain(`avg weight ${name}`);
      expect(t).toContain(`${name} alone`);
    }
    expect(t[t.indexOf('weight std (mean of sleeves)') + 1]).toBe('9.0%'); // weightStdMean
    expect(t[t.indexOf('equal weight monthly') + 1]).toBe('$14,000');
    // Pairs: (0,1) -0.42, (0,2) 0.2, (0,3) 0.3, (1,2) 0.3, (1,3) 0.4, (2,3) 0.5.
    expect(t[t.indexOf('mean pairwise corr, all months') + 1]).toBe(
      ((-0.42 + 0.2 + 0.3 + 0.3 + 0.4 + 0.5) / 6).toFixed(2),
    );
    expect(t[t.indexOf('lowest corr(spyqqq, btceth)') + 1]).toBe('-0.42');
    expect(t[t.indexOf('highest corr(gold, bonds)') + 1]).toBe('0.50');
    expect(t.some((x) => x.startsWith('corr('))).toBe(false);
  });

  it('caps the sleeve rows at six and shortens long names', () => {
    const names = Array.from({ length: 10 }, (_, i) => `sleeve_${i}_with_a_rather_long_descriptive_name`);
    const svg = chartHeaderSvg(input(names), 1400);
    const t = texts(svg);
    expect(t.filter((x) => x.startsWith('avg weight '))).toHaveLength(5);
    expect(t).toContain('+5 more sleeves, together');
    expect(t).toContain('+5 more sleeves, up to');
    expect(t.filter((x) => x.endsWith('…') || x.includes('…'))).not.toHaveLength(0);
    // Ten rows in the benchmarks column: six more than the reference's four.
    expect(svg).toContain(`height="${250 + 6 * 24}"`);
  });

  it('shortens a title and subtitle too long for the box', () => {
    const long = { ...four, candidate: `plugin_${'x'.repeat(150)}`, objective: 'o'.repeat(150) };
    const [title, subtitle] = texts(chartHeaderSvg(long, 1400));
    expect(title.startsWith('Step 4 allocator: plugin_x')).toBe(true);
    expect(title.endsWith('…')).toBe(true);
    // DejaVu Sans Bold 26 px: 'x' is about 17 px wide; the box has 1320 px.
    expect([...title].length).toBeLessThan(1320 / 15);
    expect(subtitle.endsWith('…')).toBe(true);
    expect([...subtitle].length).toBeLessThan(1320 / 8);
  });
});

describe('portfolio chart PNG', () => {
  it('renders two and four sleeves as PNGs; the header grows by one row per extra row', async () => {
    const png2 = await renderPortfolioChart(two);
    const png4 = await renderPortfolioChart(four);
    const size2 = await decode(png2);
    const size4 = await decode(png4);
    expect(size2.width).toBeGreaterThanOrEqual(1400);
    expect(size4.width).toBeGreaterThanOrEqual(1400);
    expect(size2.height).toBeGreaterThan(250 + 1000);
    // N = 4: eight rows in the benchmarks column (four sleeves, equal weight, three correlation rows).
    expect(size4.height - size2.height).toBe(4 * 24);
    expect(Buffer.from(png4).equals(Buffer.from(png2))).toBe(false);
    expect(Buffer.from(await renderPortfolioChart(four)).equals(Buffer.from(png4))).toBe(true);
  });
});

/**
 * The chart as it was first made, step by step: panels and header each
 * encoded to PNG, composited onto white, encoded again. The fast path (raw
 * pixels, stacked rows, panels shared between charts) must give its bytes.
 */
async function referenceChart(x: ChartInput): Promise<Buffer> {
  const view = new vega.View(vega.parse(compile(chartSpec(x)).spec), {
    renderer: 'none',
    logLevel: vega.Warn,
  });
  const panelsSvg = await view.toSVG();
  view.finalize();
  const panels = sharp(Buffer.from(panelsSvg), { density: 72 });
  const meta = await panels.metadata();
  const panelsPng = await panels.png().toBuffer();
  const width = Math.max(1400, meta.width ?? 0);
  // The header's own height (headerHeight of the chart code).
  const top = Number(chartHeaderSvg(x, width).match(/<svg[^>]* height="(\d+)"/)![1]);
  const headerPng = await sharp(Buffer.from(chartHeaderSvg(x, width)))
    .png()
    .toBuffer();
  return sharp({ create: { width, height: top + (meta.height ?? 0), channels: 3, background: '#ffffff' } })
    .composite([
      { input: headerPng, top: 0, left: 0 },
      { input: panelsPng, top, left: 0 },
    ])
    .png({ compressionLevel: PNG_COMPRESSION_LEVEL })
    .toBuffer();
}

/** Random RGBA pixels; alpha 255 everywhere when `opaque`. Every byte value 0..255 appears in each channel. */
function raster(width: number, height: number, opaque: boolean, next: () => number): Raster {
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0; i < data.length; i++) data[i] = i < 1024 ? (i >> 2) & 255 : Math.floor(next() * 256);
  if (opaque) for (let i = 3; i < data.length; i += 4) data[i] = 255;
  return { data, width, height, channels: 4 };
}

/** The raster with pixel i's alpha set to 254. */
function translucentAt(r: Raster, i: number): Raster {
  r.data[i * 4 + 3] = 254;
  return r;
}

/** The same pixels, in memory one byte past a 4-byte boundary. */
function unaligned(r: Raster): Raster {
  const data = Buffer.alloc(r.data.length + 1).subarray(1);
  r.data.copy(data);
  return { ...r, data };
}

/** The composite of the first chart code, on PNG-encoded inputs. */
async function referenceCompose(header: Raster, top: number, panels: Raster, width: number): Promise<Buffer> {
  const png = (r: Raster) => sharp(r.data, { raw: r }).png().toBuffer();
  return sharp({ create: { width, height: top + panels.height, channels: 3, background: '#ffffff' } })
    .composite([
      { input: await png(header), top: 0, left: 0 },
      { input: await png(panels), top, left: 0 },
    ])
    .png({ compressionLevel: PNG_COMPRESSION_LEVEL })
    .toBuffer();
}

describe('portfolio chart fast path', () => {
  it('stacks opaque pixels that do not start on a 4-byte boundary', async () => {
    const next = random(5);
    const header = unaligned(raster(310, 12, true, next));
    const panels = unaligned(raster(310, 20, true, next));
    const fast = await composeChart(header, 12, panels, 310);
    expect(Buffer.from(fast).equals(await referenceCompose(header, 12, panels, 310))).toBe(true);
  });

  it('stacking opaque header and panels gives the bytes of the composite, for random pixels', async () => {
    const next = random(7);
    // Shared like the renderer's: charts of one size reuse a buffer, which must not leak pixels between them.
    const buffers: Buffer[] = [];
    for (let k = 0; k < 8; k++) {
      const width = k < 4 ? 310 : 300 + Math.floor(next() * 40);
      const header = raster(width, k < 4 ? 12 : 5 + Math.floor(next() * 20), true, next);
      const panels = raster(width, k < 4 ? 20 : 10 + Math.floor(next() * 30), true, next);
      const fast = await composeChart(header, header.height, panels, width, buffers);
      expect(Buffer.from(fast).equals(await referenceCompose(header, header.height, panels, width))).toBe(
        true,
      );
    }
  });

  it('falls back to the composite for translucent pixels, a narrower image or a header of another height', async () => {
    const next = random(11);
    const cases = [
      { header: raster(320, 12, false, next), top: 12, panels: raster(320, 20, true, next), width: 320 },
      { header: raster(320, 12, true, next), top: 12, panels: raster(320, 20, false, next), width: 320 },
      { header: raster(340, 12, true, next), top: 12, panels: raster(320, 20, true, next), width: 340 },
      { header: raster(320, 12, true, next), top: 16, panels: raster(320, 20, true, next), width: 320 },
      // One pixel not quite opaque, in the header's last pixel or in the middle of the panels.
      {
        header: translucentAt(raster(320, 12, true, next), 320 * 12 - 1),
        top: 12,
        panels: raster(320, 20, true, next),
        width: 320,
      },
      {
        header: raster(320, 12, true, next),
        top: 12,
        panels: translucentAt(raster(320, 20, true, next), 3205),
        width: 320,
      },
      // The same in pixels that do not start on a 4-byte boundary of their memory.
      {
        header: unaligned(translucentAt(raster(320, 12, true, next), 77)),
        top: 12,
        panels: raster(320, 20, true, next),
        width: 320,
      },
    ];
    for (const c of cases) {
      const fast = await composeChart(c.header, c.top, c.panels, c.width);
      expect(Buffer.from(fast).equals(await referenceCompose(c.header, c.top, c.panels, c.width))).toBe(true);
    }
  });

  it('renders the bytes of the first chart code; charts sharing panels differ only where their headers do', async () => {
    const render = portfolioChartRenderer();
    const twoOther = { ...two, objective: 'calmar', score: 12.5 };
    const inputs = [two, four, twoOther, two];
    const fast = await Promise.all(inputs.map(render));
    for (const [i, x] of inputs.entries())
      expect(Buffer.from(fast[i]).equals(await referenceChart(x)), `chart ${i}`).toBe(true);
    expect(Buffer.from(fast[0]).equals(Buffer.from(fast[2]))).toBe(false);
    expect(Buffer.from(fast[0]).equals(Buffer.from(fast[3]))).toBe(true);
  });
});
