// The subpath, not the index: the chart thread, which formats the headers, loads no more of core.
import { dollars } from '@step4/core/format';
import type { TopLevelSpec } from 'vega-lite';
import { loadVega } from './chart-libraries.js';
import { Semaphore } from './semaphore.js';

// sharp, vega and vega-lite (./chart-libraries.ts) load on first render (or `loadChartLibraries`), not with the package.
type Sharp = typeof import('sharp');
let sharpModule: Promise<Sharp> | undefined;
const loadSharp = () => (sharpModule ??= import('sharp').then((m) => m.default));
/** Load the libraries that render charts (vega, vega-lite, sharp) now rather than at the first chart. */
export async function loadChartLibraries(): Promise<void> {
  await Promise.all([loadVega(), loadSharp()]);
}
/**
 * sharp's work runs on libuv's thread pool (four threads unless the process
 * says otherwise), which file reads and writes share: two images at a time
 * keep both cores of a small machine busy and leave threads for the files.
 */
const imageWork = new Semaphore(2);

/** Everything the four-panel chart shows (docs/model/outputs.md), for N >= 2 sleeves. */
export interface ChartInput {
  readonly candidate: string;
  readonly objective: string;
  readonly score: number;
  /** Sleeve names in user order (N >= 2). */
  readonly sleeveNames: readonly string[];
  readonly startCapital: number;
  readonly monthEnds: readonly string[];
  readonly splitMonthEnd: string;
  readonly equity: Float64Array;
  /** Equity of each sleeve alone, in sleeve order. */
  readonly sleeveEquity: readonly Float64Array[];
  /** Monthly-rebalanced equal weight (50/50 for two sleeves). */
  readonly equityEqual: Float64Array;
  /** Weight of each sleeve, in sleeve order. */
  readonly weights: readonly Float64Array[];
  readonly grossLeverage: Float64Array;
  readonly pnl: Float64Array;
  readonly stats: {
    readonly testEndEquity: number;
    readonly testAvgMonthlyPnl: number;
    readonly testMaxDrawdown: number;
    readonly testCalmar: number;
    /** Average weight of each sleeve over the path, sleeve order. */
    readonly avgWeights: readonly number[];
    /** Weight std of the first sleeve (the reference's number, N = 2) — shown as "weight std". */
    readonly weightStdA: number;
    /** Mean over sleeves of each sleeve's weight std (equals weightStdA for N = 2). */
    readonly weightStdMean: number;
    readonly avgTurnover: number;
    /** End equity of each sleeve alone (sleeve order) and of equal weight. */
    readonly benchEndEquity: { readonly sleeves: readonly number[]; readonly equal: number };
    /** Correlation matrix of the sleeves over all aligned months, row-major N x N. */
    readonly correlation: Float64Array;
  };
}

const WIDTH = 1400;
/** Header height with four rows per column (always the case for two sleeves). */
const HEADER_HEIGHT = 250;
const HEADER_ROW = 24;
/** Sleeve rows of a header column before the rest is summed up as "+k more". */
const MAX_SLEEVE_ROWS = 6;
const FONT = 'DejaVu Sans, Liberation Sans, Arial, sans-serif';

/** Colours of the selected candidate, the equal-weight benchmark and gross leverage (N > 2). */
const SELECTED_COLOUR = '#0969da';
const EQUAL_COLOUR = '#6e7781';
const GROSS_COLOUR = '#1f2328';
/** Sleeve colours for N > 2 (the same in the equity and the weights panel), cycled beyond 12. */
const SLEEVE_COLOURS = [
  '#8250df',
  '#bf8700',
  '#1a7f37',
  '#cf222e',
  '#f28e2b',
  '#bf3989',
  '#17a2b8',
  '#8c564b',
  '#9acd32',
  '#4e2a84',
  '#ff9da7',
  '#5a6e00',
];

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function escapeXml(s: string): string {
  return s.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  );
}

/** Advance widths (em) of DejaVu Sans, the widest of the chart's fonts; other characters count 0.7 em. */
const CHAR_EM = new Map<string, number>([
  ...[..."ijl.,:;|!'` "].map((c) => [c, 0.34] as [string, number]),
  ...[...'ftI()[]-'].map((c) => [c, 0.4] as [string, number]),
  ...[...'rsz'].map((c) => [c, 0.53] as [string, number]),
  ...[...'abcdeghknopquvxy0123456789$_*+=<>?'].map((c) => [c, 0.64] as [string, number]),
  ...[...'mwMW%…'].map((c) => [c, 1] as [string, number]),
]);

/** A generous estimate of the rendered width of a header text. */
function textWidth(s: string, fontSize: number, bold = false): number {
  let em = 0;
  for (const c of s) em += CHAR_EM.get(c) ?? 0.7;
  return em * fontSize * (bold ? 1.1 : 1);
}

/** Shorten `name` to at most `chars` characters, marking the cut with an ellipsis. */
function clip(name: string, chars: number): string {
  const cs = [...name];
  return cs.length <= chars ? name : `${cs.slice(0, Math.max(1, chars - 1)).join('')}…`;
}

/** `text` cut at the end (marked with an ellipsis) until it fits `maxWidth`. */
function fitText(text: string, fontSize: number, maxWidth: number, bold = false): string {
  let chars = [...text].length;
  let out = text;
  while (chars > 1 && textWidth(out, fontSize, bold) > maxWidth) out = clip(text, --chars);
  return out;
}

/** A header label built from sleeve names, the names shortened (longest first) until it fits `maxWidth`. */
function fitLabel(names: readonly string[], build: (names: string[]) => string, maxWidth: number): string {
  const cut = [...names];
  let label = build(cut);
  while (textWidth(label, 16) > maxWidth) {
    let longest = 0;
    for (let i = 1; i < cut.length; i++) if ([...cut[i]].length > [...cut[longest]].length) longest = i;
    const chars = [...cut[longest]].length;
    if (chars <= 4) break;
    cut[longest] = clip(names[longest], chars - 1);
    label = build(cut);
  }
  return label;
}

type Row = readonly [
  label: string,
  value: string,
  names?: readonly string[],
  build?: (n: string[]) => string,
];
type Column = readonly [heading: string, rows: readonly Row[]];

/** Row from sleeve names: the label is shortened to fit when the names are long. */
const named = (names: readonly string[], build: (n: string[]) => string, value: string): Row => [
  build([...names]),
  value,
  names,
  build,
];

/**
 * Sleeve rows of one header column: all of them in sleeve order or, beyond
 * `MAX_SLEEVE_ROWS`, the largest `MAX_SLEEVE_ROWS - 1` by `value` and one row for the rest.
 */
function sleeveRows(
  input: ChartInput,
  value: (s: number) => number,
  label: (name: string) => string,
  format: (x: number) => string,
  rest: (count: number, values: number[]) => Row,
): Row[] {
  const names = input.sleeveNames;
  const order = names.map((_, s) => s);
  if (names.length > MAX_SLEEVE_ROWS) order.sort((i, j) => value(j) - value(i) || i - j);
  const shown = names.length > MAX_SLEEVE_ROWS ? order.slice(0, MAX_SLEEVE_ROWS - 1) : order;
  const rows = shown.map((s) => named([names[s]], ([n]) => label(n), format(value(s))));
  const hidden = order.slice(shown.length);
  if (hidden.length > 0) rows.push(rest(hidden.length, hidden.map(value)));
  return rows;
}

/** Mean, lowest and highest pairwise correlation of the sleeves (finite entries only). */
function correlationSummary(input: ChartInput) {
  const n = input.sleeveNames.length;
  let sum = 0;
  let count = 0;
  let min: [number, number, number] | undefined;
  let max: [number, number, number] | undefined;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const c = input.stats.correlation[i * n + j];
      if (!Number.isFinite(c)) continue;
      sum += c;
      count++;
      if (!min || c < min[0]) min = [c, i, j];
      if (!max || c > max[0]) max = [c, i, j];
    }
  }
  return { mean: count > 0 ? sum / count : Number.NaN, min, max };
}

/** The three columns of the header box. Two sleeves: the reference's rows; more: one row per sleeve. */
function headerColumns(input: ChartInput): Column[] {
  const names = input.sleeveNames;
  const s = input.stats;
  const test: Column = [
    'Test period (selected)',
    [
      ['end equity', dollars(s.testEndEquity)],
      ['avg monthly PnL', dollars(s.testAvgMonthlyPnl)],
      ['max drawdown', pct(s.testMaxDrawdown)],
      ['Calmar', s.testCalmar.toFixed(2)],
    ],
  ];
  if (names.length === 2) {
    return [
      test,
      [
        'Positioning (full path)',
        [
          named([names[0]], ([a]) => `avg weight ${a}`, pct(s.avgWeights[0])),
          ['weight std', pct(s.weightStdA)],
          ['avg turnover / month', pct(s.avgTurnover)],
          ['start capital', dollars(input.startCapital)],
        ],
      ],
      [
        'Benchmarks (same window)',
        [
          named([names[0]], ([a]) => `${a} alone`, dollars(s.benchEndEquity.sleeves[0])),
          named([names[1]], ([b]) => `${b} alone`, dollars(s.benchEndEquity.sleeves[1])),
          ['50/50 monthly', dollars(s.benchEndEquity.equal)],
          named(names, ([a, b]) => `corr(${a}, ${b}), all months`, s.correlation[1].toFixed(2)),
        ],
      ],
    ];
  }
  const corr = correlationSummary(input);
  const pair = (p: [number, number, number] | undefined, word: string): Row =>
    p
      ? named([names[p[1]], names[p[2]]], ([a, b]) => `${word} corr(${a}, ${b})`, p[0].toFixed(2))
      : [`${word} pairwise corr`, 'n/a'];
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return [
    test,
    [
      'Positioning (full path)',
      [
        ...sleeveRows(
          input,
          (i) => s.avgWeights[i],
          (n) => `avg weight ${n}`,
          pct,
          (k, rest) => [`+${k} more sleeves, together`, pct(sum(rest))],
        ),
        ['weight std (mean of sleeves)', pct(s.weightStdMean)],
        ['avg turnover / month', pct(s.avgTurnover)],
        ['start capital', dollars(input.startCapital)],
      ],
    ],
    [
      'Benchmarks (same window)',
      [
        ...sleeveRows(
          input,
          (i) => s.benchEndEquity.sleeves[i],
          (n) => `${n} alone`,
          dollars,
          (k, rest) => [`+${k} more sleeves, up to`, dollars(Math.max(...rest))],
        ),
        ['equal weight monthly', dollars(s.benchEndEquity.equal)],
        ['mean pairwise corr, all months', Number.isFinite(corr.mean) ? corr.mean.toFixed(2) : 'n/a'],
        pair(corr.min, 'lowest'),
        pair(corr.max, 'highest'),
      ],
    ],
  ];
}

/** Height of the header box: 250 px for four rows per column, one row height more per further row. */
function headerHeight(input: ChartInput): number {
  const rows = Math.max(...headerColumns(input).map(([, r]) => r.length));
  return HEADER_HEIGHT + Math.max(0, rows - 4) * HEADER_ROW;
}

/**
 * The header box as SVG, `WIDTH` px wide: the selected candidate and its test
 * numbers beside the benchmarks. Exported for tests.
 */
export function chartHeaderSvg(input: ChartInput, WIDTH: number): string {
  const height = headerHeight(input);
  const first = input.monthEnds[0];
  const last = input.monthEnds[input.monthEnds.length - 1];
  const title = `Step 4 allocator: ${input.candidate}`;
  const sleeves = input.sleeveNames.length > 2 ? `; ${input.sleeveNames.length} sleeves` : '';
  const subtitle = `objective ${input.objective}, score ${input.score.toFixed(1)}; walk-forward ${first} .. ${last}, test after ${input.splitMonthEnd}${sleeves}`;
  const columns = headerColumns(input);
  const colWidth = (WIDTH - 80) / 3;
  const parts = [
    `<rect x="20" y="15" width="${WIDTH - 40}" height="${height - 25}" rx="8" fill="#f6f8fa" stroke="#c9d1d9"/>`,
    `<text x="40" y="52" font-size="26" font-weight="bold" fill="#1f2328">${escapeXml(fitText(title, 26, WIDTH - 80, true))}</text>`,
    `<text x="40" y="82" font-size="16" fill="#57606a">${escapeXml(fitText(subtitle, 16, WIDTH - 80))}</text>`,
  ];
  columns.forEach(([heading, rows], c) => {
    const x = 40 + c * colWidth;
    parts.push(
      `<text x="${x}" y="120" font-size="17" font-weight="bold" fill="#1f2328">${escapeXml(heading)}</text>`,
    );
    rows.forEach(([text, value, names, build], r) => {
      const y = 150 + r * HEADER_ROW;
      // Room for the label: the column less the value and a gap of 16 px.
      const room = colWidth - 40 - textWidth(value, 16, true) - 16;
      const label = names && build ? fitLabel(names, build, room) : text;
      parts.push(`<text x="${x}" y="${y}" font-size="16" fill="#57606a">${escapeXml(label)}</text>`);
      parts.push(
        `<text x="${x + colWidth - 40}" y="${y}" font-size="16" font-weight="bold" fill="#1f2328" text-anchor="end">${escapeXml(value)}</text>`,
      );
    });
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="${FONT}"><rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>`;
}

/**
 * A linear y domain holding zero, `ceil` and every finite value, widened
 * by `pad` of its span on each side that has data, so the largest bar or line
 * keeps clear of the panel frame (and of the "train | test" label). Vega then
 * rounds it outward (`nice`), which only widens it.
 */
function linearDomain(values: Iterable<number>, pad: number, ceil = 0): [number, number] {
  let lo = 0;
  let hi = ceil;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === hi) return [lo, lo + 1];
  const span = hi - lo;
  return [lo < 0 ? lo - pad * span : lo, hi > 0 ? hi + pad * span : hi];
}

/** A log y domain holding every finite positive value, widened by `pad` of its span (in log space) on both sides. */
function logDomain(values: Iterable<number>, pad: number): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (!(Number.isFinite(v) && v > 0)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(lo <= hi)) return [1, 10];
  const ratio = (hi / lo) ** pad * 1.05;
  return [lo / ratio, hi * ratio];
}

/** Per month, the top and the bottom of the stacked weights (positive and negative weights stack apart). */
function stackExtents(weights: readonly Float64Array[], months: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < months; i++) {
    let up = 0;
    let down = 0;
    for (const w of weights) {
      const v = w[i];
      if (!Number.isFinite(v)) continue;
      if (v > 0) up += v;
      else down += v;
    }
    out.push(up, down);
  }
  return out;
}

/**
 * The three data panels of the chart as one Vega-Lite vertical concatenation:
 * equity (log scale) of the selected candidate, every sleeve alone and equal
 * weight; the weights (two sleeves: one line each; more: stacked areas) with
 * gross leverage; the monthly PnL bars. Exported for tests.
 */
export function chartSpec(input: ChartInput): TopLevelSpec {
  const names = input.sleeveNames;
  const n = names.length;
  if (n < 2) throw new Error(`portfolio chart: needs at least two sleeves, got ${n}`);
  const lengths: [string, number][] = [
    ['sleeveEquity', input.sleeveEquity.length],
    ['weights', input.weights.length],
    ['stats.avgWeights', input.stats.avgWeights.length],
    ['stats.benchEndEquity.sleeves', input.stats.benchEndEquity.sleeves.length],
  ];
  for (const [field, length] of lengths) {
    if (length !== n) throw new Error(`portfolio chart: ${field} has ${length} entries for ${n} sleeves`);
  }
  if (input.stats.correlation.length !== n * n) {
    throw new Error(
      `portfolio chart: correlation has ${input.stats.correlation.length} entries, not ${n} x ${n}`,
    );
  }
  const two = n === 2;
  const equityRows: Record<string, unknown>[] = [];
  const weightRows: Record<string, unknown>[] = [];
  const grossRows: Record<string, unknown>[] = [];
  const pnlRows: Record<string, unknown>[] = [];
  const selected = `selected: ${input.candidate}`;
  const series: [string, Float64Array][] = [
    [selected, input.equity],
    ...names.map((name, s): [string, Float64Array] => [`${name} alone`, input.sleeveEquity[s]]),
    [two ? '50/50 monthly' : 'equal weight monthly', input.equityEqual],
  ];
  const weightSeries = names.map((name) => `weight ${name}`);
  input.monthEnds.forEach((month, i) => {
    for (const [name, values] of series) equityRows.push({ month, series: name, equity: values[i] });
    names.forEach((_, s) => {
      weightRows.push(
        two
          ? { month, series: weightSeries[s], value: input.weights[s][i] }
          : { month, series: weightSeries[s], value: input.weights[s][i], stack: s },
      );
    });
    (two ? weightRows : grossRows).push({ month, series: 'gross leverage', value: input.grossLeverage[i] });
    pnlRows.push({ month, pnl: input.pnl[i], sign: input.pnl[i] >= 0 ? 'gain' : 'loss' });
  });
  const sleeveColours = names.map((_, s) => SLEEVE_COLOURS[s % SLEEVE_COLOURS.length]);
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
    // Vega estimates 0.8 em per character: two sleeves keep the reference width, more allow longer names.
    labelLimit: two ? 420 : 560,
    symbolStrokeWidth: 3,
  };
  const weightY = {
    field: 'value',
    type: 'quantitative' as const,
    title: two ? 'weight / gross' : 'weight (stacked) / gross',
    axis: { tickCount: 6 },
    // From the data: every weight (or the stacked total) and gross leverage, with room above.
    scale: {
      domain: linearDomain(
        [
          ...(two
            ? input.weights.flatMap((w) => [...w])
            : stackExtents(input.weights, input.monthEnds.length)),
          ...input.grossLeverage,
        ],
        0.08,
        1,
      ),
      zero: true,
      nice: true,
    },
  };
  const weightsPanel = two
    ? {
        title: 'Weights and gross leverage',
        width,
        height: 300,
        layer: [
          {
            data: { values: weightRows },
            mark: { type: 'line', strokeWidth: 2, interpolate: 'step-after' },
            encoding: {
              x,
              y: weightY,
              color: {
                field: 'series',
                type: 'nominal',
                sort: [...weightSeries, 'gross leverage'],
                scale: { range: ['#0969da', '#bf8700', '#cf222e'] },
                legend,
              },
            },
          },
          split,
        ],
      }
    : {
        title: 'Weights (stacked, first sleeve on top) and gross leverage',
        width,
        height: 300,
        resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
        layer: [
          {
            data: { values: weightRows },
            mark: {
              type: 'area',
              interpolate: 'step-after',
              opacity: 0.8,
              stroke: 'white',
              strokeWidth: 0.5,
            },
            encoding: {
              x,
              y: { ...weightY, stack: 'zero' },
              order: { field: 'stack', type: 'quantitative', sort: 'descending' },
              color: {
                field: 'series',
                type: 'nominal',
                sort: weightSeries,
                scale: { domain: weightSeries, range: sleeveColours },
                legend: { ...legend, symbolType: 'square', symbolStrokeWidth: 0 },
              },
            },
          },
          {
            data: { values: grossRows },
            mark: { type: 'line', strokeWidth: 2.5, interpolate: 'step-after' },
            encoding: {
              x,
              y: weightY,
              color: {
                field: 'series',
                type: 'nominal',
                scale: { domain: ['gross leverage'], range: [GROSS_COLOUR] },
                legend,
              },
            },
          },
          split,
        ],
      };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    padding: { left: 20, right: 20, top: 10, bottom: 20 },
    config: {
      font: FONT,
      axis: { titleFontSize: 14, labelFontSize: 13 },
      // Tick labels stay within the panel (flush at its edges, hidden when they would stick out): the
      // panels' heights do not depend on the data.
      axisY: { labelFlush: true, labelBound: true },
      title: { fontSize: 18, anchor: 'start' },
      view: { stroke: '#d0d7de' },
    },
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
    vconcat: [
      {
        title: `Equity (log scale, start ${dollars(input.startCapital)})`,
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
                scale: {
                  type: 'log',
                  domain: logDomain(
                    series.flatMap(([, values]) => [...values]),
                    0.04,
                  ),
                  nice: false,
                },
                title: 'equity ($)',
                axis: { format: '$,.0f' },
              },
              color: {
                field: 'series',
                type: 'nominal',
                sort: series.map(([name]) => name),
                scale: {
                  range: two
                    ? ['#0969da', '#8250df', '#bf8700', '#6e7781']
                    : [SELECTED_COLOUR, ...sleeveColours, EQUAL_COLOUR],
                },
                legend,
              },
              strokeWidth: {
                condition: { test: `datum.series === ${JSON.stringify(selected)}`, value: 3.5 },
                value: 1.6,
              },
            },
          },
          split,
        ],
      },
      weightsPanel,
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
              y: {
                field: 'pnl',
                type: 'quantitative',
                title: 'PnL ($)',
                axis: { format: '$,.0f' },
                // From the data with room above the largest gain and below the largest loss:
                // Vega's nice rounding alone can end the panel exactly at the largest bar.
                scale: { domain: linearDomain(input.pnl, 0.1), zero: true, nice: true },
              },
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

/** An image as 8-bit pixels, row-major (sharp's raw output). */
export interface Raster {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 2 | 3 | 4;
}

async function rasterize(svg: string, options?: { density: number }): Promise<Raster> {
  const sharp = await loadSharp();
  const { data, info } = await imageWork.run(() =>
    sharp(Buffer.from(svg), options).raw().toBuffer({ resolveWithObject: true }),
  );
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** The bytes of a Buffer as a plain Uint8Array (no copy). */
const plain = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/**
 * zlib level 6 (zlib's own default): a two-sleeve chart (1539 x 1472 pixels) compresses in about 25 ms
 * and is 7% larger than at level 9, which takes about 200 ms (sharp's zlib-ng, this project's
 * machine). A run renders four distinct charts; at level 9 their compression ended the run.
 */
export const PNG_COMPRESSION_LEVEL = 6;

/** A chart's pixels encoded as PNG, the one way every chart is encoded. */
const encodePng = async (image: import('sharp').Sharp): Promise<Uint8Array> =>
  plain(await image.png({ compressionLevel: PNG_COMPRESSION_LEVEL }).toBuffer());

/** Whether this machine stores the low byte of a 32-bit word first (alpha, an RGBA pixel's last byte, is then its high byte). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** `opaque` of rasters already checked: a run's charts share their panels (millions of pixels each). */
const checkedOpaque = new WeakMap<Raster, boolean>();

/** Every pixel has alpha 255 (RGBA); a raster is checked once (rasters are never written to). */
function opaque(r: Raster): boolean {
  let known = checkedOpaque.get(r);
  if (known === undefined) {
    known = allAlpha255(r);
    checkedOpaque.set(r, known);
  }
  return known;
}

function allAlpha255(r: Raster): boolean {
  if (r.channels !== 4) return false;
  const d = r.data;
  if (LITTLE_ENDIAN && d.byteOffset % 4 === 0) {
    // A pixel at a time: alpha 255 makes its word at least 0xff000000 (a chart has millions of pixels).
    const pixels = new Uint32Array(d.buffer, d.byteOffset, d.length >> 2);
    for (let i = 0; i < pixels.length; i++) if (pixels[i] < 0xff000000) return false;
    return true;
  }
  for (let i = 3; i < d.length; i += 4) if (d[i] !== 255) return false;
  return true;
}

/** The three data panels as SVG, rendered by Vega without a browser (also what the build's code cache is made from). */
export async function panelsSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, { compile }] = await loadVega();
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none', logLevel: vega.Warn });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** The three data panels rendered: Vega's SVG, rasterised by sharp (librsvg). */
async function renderPanels(spec: TopLevelSpec): Promise<Raster> {
  return rasterize(await panelsSvg(spec), { density: 72 });
}

/**
 * The header above the panels, encoded as PNG. Both images are opaque (each
 * SVG starts with a white rectangle over all of it), and `over` with an opaque
 * image is a copy of its pixels, so the rows are stacked directly; anything
 * else goes through sharp's composite onto white.
 */
export async function composeChart(
  header: Raster,
  top: number,
  panels: Raster,
  width: number,
  buffers: Buffer[] = [],
): Promise<Uint8Array> {
  const sharp = await loadSharp();
  const height = top + panels.height;
  const stack = header.height === top && header.width === width && panels.width === width;
  if (!(stack && opaque(header) && opaque(panels))) {
    const image = sharp({ create: { width, height, channels: 3, background: '#ffffff' } }).composite([
      { input: header.data, raw: header, top: 0, left: 0 },
      { input: panels.data, raw: panels, top, left: 0 },
    ]);
    return imageWork.run(() => encodePng(image));
  }
  return imageWork.run(async () => {
    // The smallest free buffer of an earlier chart that holds these rows is reused (charts of a run
    // differ by a few columns): a fresh one costs page faults, not copying. The rows fill its start.
    const size = header.data.length + panels.data.length;
    let i = -1;
    for (let k = 0; k < buffers.length; k++)
      if (buffers[k].length >= size && (i < 0 || buffers[k].length < buffers[i].length)) i = k;
    const buffer = i < 0 ? Buffer.allocUnsafe(size) : buffers.splice(i, 1)[0];
    const rows = buffer.subarray(0, size);
    rows.set(header.data, 0);
    rows.set(panels.data, header.data.length);
    try {
      return await encodePng(sharp(rows, { raw: { width, height, channels: 4 } }));
    } finally {
      buffers.push(buffer);
    }
  });
}

/**
 * Render the portfolio chart to PNG: a header box, equity curves, weights and
 * gross leverage, monthly PnL bars. Vega renders SVG without a browser; sharp
 * (librsvg) rasterises it with the system's fonts. Two sleeves give the
 * reference's chart; more sleeves get one row per sleeve in the header (the
 * header grows) and stacked weight areas.
 */
export function renderPortfolioChart(input: ChartInput): Promise<Uint8Array> {
  return portfolioChartRenderer()(input);
}

/**
 * `renderPortfolioChart` that renders the panels of equal specs once: the
 * objectives that select the same candidate differ only in the header.
 */
export function portfolioChartRenderer(): (input: ChartInput) => Promise<Uint8Array> {
  const panelsBySpec = new Map<string, Promise<Raster>>();
  const buffers: Buffer[] = [];
  return async (input) => {
    const spec = chartSpec(input);
    const key = JSON.stringify(spec);
    let panels = panelsBySpec.get(key);
    if (!panels) {
      panels = renderPanels(spec);
      panelsBySpec.set(key, panels);
    }
    const p = await panels;
    const width = Math.max(WIDTH, p.width);
    return composeChart(
      await rasterize(chartHeaderSvg(input, width)),
      headerHeight(input),
      p,
      width,
      buffers,
    );
  };
}
