import sharp from 'sharp';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Everything the four-panel chart shows (spec section 9). */
export interface ChartInput {
  readonly candidate: string;
  readonly objective: string;
  readonly score: number;
  readonly sleeveNames: readonly [string, string];
  readonly startCapital: number;
  readonly monthEnds: readonly string[];
  readonly splitMonthEnd: string;
  readonly equity: Float64Array;
  readonly equityA: Float64Array;
  readonly equityB: Float64Array;
  readonly equityEqual: Float64Array;
  readonly weightA: Float64Array;
  readonly weightB: Float64Array;
  readonly grossLeverage: Float64Array;
  readonly pnl: Float64Array;
  readonly stats: {
    readonly testEndEquity: number;
    readonly testAvgMonthlyPnl: number;
    readonly testMaxDrawdown: number;
    readonly testCalmar: number;
    readonly avgWeightA: number;
    readonly weightStdA: number;
    readonly avgTurnover: number;
    readonly benchEndEquity: { readonly a: number; readonly b: number; readonly equal: number };
    readonly correlation: number;
  };
}

const WIDTH = 1400;
const HEADER_HEIGHT = 250;
const FONT = 'DejaVu Sans, Liberation Sans, Arial, sans-serif';

const money = (x: number) =>
  `${x < 0 ? '-' : ''}$${Math.abs(x).toLocaleString('en-US', { maximumFractionDigits: 0 })}`;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function escapeXml(s: string): string {
  return s.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  );
}

/** The header box: the selected candidate and its test numbers beside the benchmarks. */
function headerSvg(input: ChartInput, WIDTH: number): string {
  const [a, b] = input.sleeveNames;
  const s = input.stats;
  const first = input.monthEnds[0];
  const last = input.monthEnds[input.monthEnds.length - 1];
  const title = `Step 4 allocator: ${input.candidate}`;
  const subtitle = `objective ${input.objective}, score ${input.score.toFixed(1)}; walk-forward ${first} .. ${last}, test after ${input.splitMonthEnd}`;
  const columns: [string, [string, string][]][] = [
    [
      'Test period (selected)',
      [
        ['end equity', money(s.testEndEquity)],
        ['avg monthly PnL', money(s.testAvgMonthlyPnl)],
        ['max drawdown', pct(s.testMaxDrawdown)],
        ['Calmar', s.testCalmar.toFixed(2)],
      ],
    ],
    [
      'Positioning (full path)',
      [
        [`avg weight ${a}`, pct(s.avgWeightA)],
        ['weight std', pct(s.weightStdA)],
        ['avg turnover / month', pct(s.avgTurnover)],
        ['start capital', money(input.startCapital)],
      ],
    ],
    [
      'Benchmarks (same window)',
      [
        [`${a} alone`, money(s.benchEndEquity.a)],
        [`${b} alone`, money(s.benchEndEquity.b)],
        ['50/50 monthly', money(s.benchEndEquity.equal)],
        [`corr(${a}, ${b}), all months`, s.correlation.toFixed(2)],
      ],
    ],
  ];
  const colWidth = (WIDTH - 80) / 3;
  const parts = [
    `<rect x="20" y="15" width="${WIDTH - 40}" height="${HEADER_HEIGHT - 25}" rx="8" fill="#f6f8fa" stroke="#c9d1d9"/>`,
    `<text x="40" y="52" font-size="26" font-weight="bold" fill="#1f2328">${escapeXml(title)}</text>`,
    `<text x="40" y="82" font-size="16" fill="#57606a">${escapeXml(subtitle)}</text>`,
  ];
  columns.forEach(([heading, rows], c) => {
    const x = 40 + c * colWidth;
    parts.push(
      `<text x="${x}" y="120" font-size="17" font-weight="bold" fill="#1f2328">${escapeXml(heading)}</text>`,
    );
    rows.forEach(([label, value], r) => {
      const y = 150 + r * 24;
      parts.push(`<text x="${x}" y="${y}" font-size="16" fill="#57606a">${escapeXml(label)}</text>`);
      parts.push(
        `<text x="${x + colWidth - 40}" y="${y}" font-size="16" font-weight="bold" fill="#1f2328" text-anchor="end">${escapeXml(value)}</text>`,
      );
    });
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEADER_HEIGHT}" font-family="${FONT}"><rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>`;
}

/** The three data panels as one Vega-Lite vertical concatenation. */
function panelsSpec(input: ChartInput): TopLevelSpec {
  const [a, b] = input.sleeveNames;
  const equityRows: Record<string, unknown>[] = [];
  const weightRows: Record<string, unknown>[] = [];
  const pnlRows: Record<string, unknown>[] = [];
  const series: [string, Float64Array][] = [
    [`selected: ${input.candidate}`, input.equity],
    [`${a} alone`, input.equityA],
    [`${b} alone`, input.equityB],
    ['50/50 monthly', input.equityEqual],
  ];
  input.monthEnds.forEach((month, i) => {
    for (const [name, values] of series) equityRows.push({ month, series: name, equity: values[i] });
    weightRows.push({ month, series: `weight ${a}`, value: input.weightA[i] });
    weightRows.push({ month, series: `weight ${b}`, value: input.weightB[i] });
    weightRows.push({ month, series: 'gross leverage', value: input.grossLeverage[i] });
    pnlRows.push({ month, pnl: input.pnl[i], sign: input.pnl[i] >= 0 ? 'gain' : 'loss' });
  });
  const width = WIDTH - 420;
  const x = {
    field: 'month',
    type: 'temporal' as const,
    title: null,
    axis: { format: '%Y', tickCount: 'year' as const, grid: true, labelFontSize: 13 },
  };
  const split = {
    data: { values: [{ month: input.splitMonthEnd, label: 'train | test' }] },
    layer: [
      {
        mark: { type: 'rule' as const, strokeDash: [6, 4], color: '#6e7781' },
        encoding: { x: { field: 'month', type: 'temporal' as const } },
      },
      {
        mark: {
          type: 'text' as const,
          align: 'left' as const,
          dx: 6,
          dy: -6,
          fontSize: 13,
          color: '#57606a',
        },
        encoding: {
          x: { field: 'month', type: 'temporal' as const },
          y: { value: 12 },
          text: { field: 'label' },
        },
      },
    ],
  };
  const legend = {
    orient: 'right' as const,
    title: null,
    labelFontSize: 14,
    labelLimit: 420,
    symbolStrokeWidth: 3,
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    padding: { left: 20, right: 20, top: 10, bottom: 20 },
    config: {
      font: FONT,
      axis: { titleFontSize: 14, labelFontSize: 13 },
      title: { fontSize: 18, anchor: 'start' },
      view: { stroke: '#d0d7de' },
    },
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
    vconcat: [
      {
        title: `Equity (log scale, start ${money(input.startCapital)})`,
        width,
        height: 420,
        layer: [
          {
            data: { values: equityRows },
            mark: { type: 'line', strokeWidth: 2 },
            encoding: {
              x,
              y: {
                field: 'equity',
                type: 'quantitative',
                scale: { type: 'log' },
                title: 'equity ($)',
                axis: { format: '$,.0f' },
              },
              color: {
                field: 'series',
                type: 'nominal',
                sort: series.map(([n]) => n),
                scale: { range: ['#0969da', '#8250df', '#bf8700', '#6e7781'] },
                legend,
              },
              strokeWidth: {
                condition: { test: `datum.series === 'selected: ${input.candidate}'`, value: 3.5 },
                value: 1.6,
              },
            },
          },
          split,
        ],
      },
      {
        title: 'Weights and gross leverage',
        width,
        height: 300,
        layer: [
          {
            data: { values: weightRows },
            mark: { type: 'line', strokeWidth: 2, interpolate: 'step-after' },
            encoding: {
              x,
              y: {
                field: 'value',
                type: 'quantitative',
                title: 'weight / gross',
                scale: { domain: [0, Math.max(1.1, ...input.grossLeverage) + 0.05] },
              },
              color: {
                field: 'series',
                type: 'nominal',
                sort: [`weight ${a}`, `weight ${b}`, 'gross leverage'],
                scale: { range: ['#0969da', '#bf8700', '#cf222e'] },
                legend,
              },
            },
          },
          split,
        ],
      },
      {
        title: 'Monthly PnL of the selected candidate',
        width,
        height: 300,
        layer: [
          {
            data: { values: pnlRows },
            mark: { type: 'bar', width: { band: 0.8 } },
            encoding: {
              x: { ...x, timeUnit: 'yearmonth' },
              y: { field: 'pnl', type: 'quantitative', title: 'PnL ($)', axis: { format: '$,.0f' } },
              color: {
                field: 'sign',
                type: 'nominal',
                scale: { domain: ['gain', 'loss'], range: ['#1a7f37', '#cf222e'] },
                legend: { ...legend, title: null },
              },
            },
          },
          split,
        ],
      },
    ],
  } as TopLevelSpec;
}

/**
 * Render the portfolio chart to PNG: a header box, equity curves, weights and
 * gross leverage, monthly PnL bars. Vega renders SVG without a browser; sharp
 * (librsvg) rasterises it with the system's fonts.
 */
export async function renderPortfolioChart(input: ChartInput): Promise<Uint8Array> {
  const view = new vega.View(vega.parse(compile(panelsSpec(input)).spec), {
    renderer: 'none',
    logLevel: vega.Warn,
  });
  const panelsSvg = await view.toSVG();
  view.finalize();
  const panels = sharp(Buffer.from(panelsSvg), { density: 72 });
  const meta = await panels.metadata();
  const panelsPng = await panels.png().toBuffer();
  const width = Math.max(WIDTH, meta.width ?? 0);
  const headerPng = await sharp(Buffer.from(headerSvg(input, width)))
    .png()
    .toBuffer();
  const height = HEADER_HEIGHT + (meta.height ?? 0);
  const png = await sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
    .composite([
      { input: headerPng, top: 0, left: 0 },
      { input: panelsPng, top: HEADER_HEIGHT, left: 0 },
    ])
    .png({ compressionLevel: 9 })
    .toBuffer();
  return new Uint8Array(png);
}
