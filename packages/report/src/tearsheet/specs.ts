import { dollars } from '@step4/core/format';
import { type TearSheetData, round6 } from './data.js';

/** A Vega-Lite specification (plain JSON). */
export type Spec = Record<string, unknown>;

/** Colours: the selected candidate, the selection-honest run, equal weight, then one per sleeve (as the PNG chart). */
export const SELECTED_COLOUR = '#0969da';
export const HONEST_COLOUR = '#e16f24';
export const EQUAL_COLOUR = '#6e7781';
export const GROSS_COLOUR = '#1f2328';
/** Sleeve colours (the same in every chart), cycled beyond 12 sleeves. */
export const SLEEVE_COLOURS = [
  '#8250df',
  '#bf8700',
  '#1a7f37',
  '#cf222e',
  '#17a2b8',
  '#bf3989',
  '#f28e2b',
  '#8c564b',
  '#9acd32',
  '#4e2a84',
  '#ff9da7',
  '#5a6e00',
];
const TRAIN_COLOUR = '#8c959f';
const LOSS_COLOUR = '#cf222e';

export const sleeveColour = (k: number) => SLEEVE_COLOURS[k % SLEEVE_COLOURS.length];

export const WIDE = 1040;
export const HALF = 430;
const FONT = 'system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif';

/** Vega-Lite config shared by every chart. */
export const CONFIG: Spec = {
  font: FONT,
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 'normal', gridColor: '#eaeef2' },
  legend: { labelFontSize: 11, titleFontSize: 11, symbolStrokeWidth: 3 },
  title: { fontSize: 13, anchor: 'start', fontWeight: 600 },
};

/** Escape a data field name for Vega-Lite (dots and brackets would be read as nested access). */
export const fieldName = (s: string) => s.replace(/[\\.[\]]/g, (c) => `\\${c}`);

const X_TIME: Spec = {
  field: 'month',
  type: 'temporal',
  title: null,
  scale: { type: 'utc' },
  axis: { format: '%Y', tickCount: { interval: 'year', step: 1 } },
};

/** Month end as an ISO timestamp at 00:00 UTC (what the data's `month` fields hold). */
const iso = (m: string) => `${m}T00:00:00Z`;

/** The train/test split as a dashed rule with a label, for a time chart. */
function splitLayers(split: string | null): Spec[] {
  if (split === null) return [];
  const data = { values: [{ month: iso(split) }] };
  return [
    {
      data,
      mark: { type: 'rule', color: '#57606a', strokeDash: [5, 4], strokeWidth: 1.2 },
      encoding: { x: X_TIME },
    },
    {
      data,
      mark: {
        type: 'text',
        align: 'left',
        baseline: 'top',
        dx: 5,
        y: 2,
        fontSize: 11,
        color: '#57606a',
        text: 'test →',
      },
      encoding: { x: X_TIME },
    },
    {
      data,
      mark: {
        type: 'text',
        align: 'right',
        baseline: 'top',
        dx: -5,
        y: 2,
        fontSize: 11,
        color: '#57606a',
        text: '← train',
      },
      encoding: { x: X_TIME },
    },
  ];
}

/** A hover rule at the nearest month with every series' value in the tooltip (data in long form: month, series, value). */
function hoverLayer(valueField: string, series: readonly string[], format: string, x: Spec = X_TIME): Spec {
  return {
    transform: [{ pivot: 'series', value: valueField, groupby: ['month'] }],
    mark: { type: 'rule', color: '#8c959f', strokeWidth: 6 },
    encoding: {
      x,
      opacity: { condition: { param: 'hover', empty: false, value: 0.35 }, value: 0 },
      tooltip: [
        {
          field: 'month',
          type: 'temporal',
          title: 'month',
          timeUnit: 'utcyearmonthdate',
          format: '%Y-%m-%d',
        },
        ...series.map((s) => ({ field: fieldName(s), type: 'quantitative', title: s, format })),
      ],
    },
    params: [
      {
        name: 'hover',
        select: { type: 'point', fields: ['month'], nearest: true, on: 'pointerover', clear: 'pointerout' },
      },
    ],
  };
}

const colourScale = (domain: readonly string[], range: readonly string[], field = 'series') => ({
  field,
  type: 'nominal',
  title: null,
  scale: { domain, range },
  legend: { orient: 'top', direction: 'horizontal', columns: 0, labelLimit: 320 },
  sort: domain,
});

/** Dashes: the honest run dashed, equal weight dotted, everything else solid. */
const dashOf = (series: string) =>
  series === 'selection-honest' ? [6, 3] : series === 'equal weight' ? [2, 2] : [1, 0];

/** Line dashes by series, sharing the colour legend (so the legend shows the dashes too). */
const dashScale = (domain: readonly string[], dashes: readonly number[][]) => ({
  ...colourScale(domain, []),
  scale: { domain, range: dashes },
});

/** Series of the equity chart, in legend order, with their colours. */
export function equitySeries(data: TearSheetData): { names: string[]; colours: string[] } {
  const names = ['selected'];
  const colours = [SELECTED_COLOUR];
  if (data.honest?.equity) {
    names.push('selection-honest');
    colours.push(HONEST_COLOUR);
  }
  if (data.equalEquity) {
    names.push('equal weight');
    colours.push(EQUAL_COLOUR);
  }
  if (data.sleeveEquity)
    data.sleeves.forEach((s, k) => {
      names.push(s);
      colours.push(sleeveColour(k));
    });
  return { names, colours };
}

/** 2. Equity curves of the selected candidate, the honest run, equal weight and every sleeve; `scale` is the y scale type. */
export function equitySpec(data: TearSheetData, scale: 'log' | 'linear' = 'log'): Spec {
  const { names, colours } = equitySeries(data);
  const rows: Spec[] = [];
  const push = (series: string, months: readonly string[], values: readonly number[]) => {
    months.forEach((m, i) => {
      rows.push({ month: iso(m), series, equity: round6(values[i]) });
    });
  };
  push('selected', data.months, data.selectedPath.equity);
  if (data.honest?.equity) {
    const first = data.months.indexOf(data.honest.chosenByMonth[0].month);
    const months = data.months.slice(first - 1, first + data.honest.equity.length);
    push('selection-honest', months, [data.selectedPath.equity[first - 1], ...data.honest.equity]);
  }
  if (data.equalEquity) push('equal weight', data.months, data.equalEquity);
  if (data.sleeveEquity)
    for (const [k, s] of data.sleeves.entries()) push(s, data.months, data.sleeveEquity[k]);
  const y = {
    field: 'equity',
    type: 'quantitative',
    title: 'equity ($)',
    scale: scale === 'log' ? { type: 'log', nice: false } : { type: 'linear', zero: false, nice: false },
    axis: { format: '$,.0f', tickCount: 8 },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    width: WIDE,
    height: 380,
    data: { values: rows },
    layer: [
      {
        transform: [{ filter: "datum.series !== 'selected'" }],
        mark: { type: 'line', strokeWidth: 1.6, interpolate: 'linear' },
        encoding: {
          x: X_TIME,
          y,
          color: colourScale(names, colours),
          strokeDash: dashScale(names, names.map(dashOf)),
        },
      },
      {
        transform: [{ filter: "datum.series === 'selected'" }],
        mark: { type: 'line', strokeWidth: 2.8 },
        encoding: {
          x: X_TIME,
          y,
          color: colourScale(names, colours),
          strokeDash: dashScale(names, names.map(dashOf)),
        },
      },
      hoverLayer('equity', names, '$,.0f'),
      ...splitLayers(data.splitMonthEnd),
    ],
  };
}

/** 2b. Test months only: the selected candidate against the selection-honest run and equal weight, all from the selected curve's value at the split. */
export function honestSpec(data: TearSheetData): Spec | null {
  const h = data.honest;
  if (!h?.equity || h.chosenByMonth.length === 0) return null;
  const first = data.months.indexOf(h.chosenByMonth[0].month);
  if (first < 1) return null;
  const base = data.selectedPath.equity[first - 1];
  const months = data.months.slice(first - 1, first + h.equity.length);
  const rows: Spec[] = [];
  const push = (series: string, values: readonly number[]) => {
    months.forEach((m, i) => {
      rows.push({ month: iso(m), series, equity: round6(values[i]) });
    });
  };
  push('selected', data.selectedPath.equity.slice(first - 1, first + h.equity.length));
  push('selection-honest', [base, ...h.equity]);
  const names = ['selected', 'selection-honest'];
  const colours = [SELECTED_COLOUR, HONEST_COLOUR];
  if (data.equalReturns) {
    const eq = [base];
    for (let i = first; i < first + h.equity.length; i++)
      eq.push(eq[eq.length - 1] * (1 + data.equalReturns[i]));
    push('equal weight', eq);
    names.push('equal weight');
    colours.push(EQUAL_COLOUR);
  }
  const xMonths = { ...X_TIME, axis: { format: '%b %Y' } };
  // Which candidate the honest run held, as ticks under the curves.
  const chosen = h.chosenByMonth.map((c) => ({ month: iso(c.month), candidate: c.candidate }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    vconcat: [
      {
        width: WIDE,
        height: 260,
        data: { values: rows },
        layer: [
          {
            mark: { type: 'line', strokeWidth: 2 },
            encoding: {
              x: xMonths,
              y: {
                field: 'equity',
                type: 'quantitative',
                title: 'equity ($)',
                scale: { zero: false },
                axis: { format: '$,.0f' },
              },
              color: colourScale(names, colours),
              strokeDash: dashScale(names, names.map(dashOf)),
            },
          },
          hoverLayer('equity', names, '$,.0f', xMonths),
        ],
      },
      {
        width: WIDE,
        height: 30,
        title: {
          text: 'candidate the honest run held',
          fontSize: 11,
          fontWeight: 'normal',
          color: '#57606a',
        },
        data: { values: chosen },
        mark: { type: 'tick', thickness: 3, size: 22 },
        encoding: {
          x: { ...X_TIME, axis: null },
          fill: {
            field: 'candidate',
            type: 'nominal',
            title: null,
            scale: { scheme: 'tableau10' },
            legend: { orient: 'bottom', labelLimit: 320 },
          },
          tooltip: [
            { field: 'month', type: 'temporal', timeUnit: 'utcyearmonthdate', format: '%Y-%m-%d' },
            { field: 'candidate', type: 'nominal' },
          ],
        },
      },
    ],
  };
}

/** 3. Underwater curve of the selected candidate (and equal weight, thin). */
export function drawdownSpec(data: TearSheetData): Spec {
  const rows: Spec[] = data.months.map((m, i) => ({
    month: iso(m),
    series: 'selected',
    drawdown: round6(data.drawdown[i]),
  }));
  if (data.equalReturns) {
    let value = 1;
    let peak = Number.NEGATIVE_INFINITY;
    data.equalReturns.forEach((r, i) => {
      value *= 1 + r;
      peak = Math.max(peak, value);
      rows.push({ month: iso(data.months[i]), series: 'equal weight', drawdown: round6(value / peak - 1) });
    });
  }
  const names = data.equalReturns ? ['selected', 'equal weight'] : ['selected'];
  const y = { field: 'drawdown', type: 'quantitative', title: 'below the peak', axis: { format: '.0%' } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    width: WIDE,
    height: 220,
    data: { values: rows },
    layer: [
      {
        transform: [{ filter: "datum.series === 'selected'" }],
        mark: {
          type: 'area',
          color: LOSS_COLOUR,
          opacity: 0.35,
          line: { color: LOSS_COLOUR, strokeWidth: 1.5 },
        },
        encoding: { x: X_TIME, y },
      },
      {
        transform: [{ filter: "datum.series === 'equal weight'" }],
        mark: { type: 'line', color: EQUAL_COLOUR, strokeWidth: 1.2, strokeDash: [2, 2] },
        encoding: { x: X_TIME, y },
      },
      hoverLayer('drawdown', names, '.1%'),
      ...splitLayers(data.splitMonthEnd),
    ],
  };
}

/** 4. Weights as stacked areas, one band per sleeve. */
export function weightsSpec(data: TearSheetData): Spec {
  const rows: Spec[] = [];
  for (const [i, m] of data.months.entries())
    for (const [k, s] of data.sleeves.entries())
      rows.push({ month: iso(m), series: s, k, weight: round6(data.selectedPath.weights[k][i]) });
  const colours = data.sleeves.map((_, k) => sleeveColour(k));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    width: WIDE,
    height: 220,
    data: { values: rows },
    layer: [
      weightsArea(data.sleeves, colours),
      hoverLayer('weight', data.sleeves, '.1%'),
      ...splitLayers(data.splitMonthEnd),
    ],
  };
}

/** 4b. Gross leverage over time. */
export function leverageSpec(data: TearSheetData): Spec {
  const rows = data.months.map((m, i) => ({
    month: iso(m),
    series: 'gross leverage',
    gross: round6(data.selectedPath.grossLeverage[i]),
  }));
  const max = Math.max(1.05, ...data.selectedPath.grossLeverage.map((g) => g * 1.05));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    width: WIDE,
    height: 120,
    data: { values: rows },
    layer: [
      {
        data: { values: [{ one: 1 }] },
        mark: { type: 'rule', color: '#d0d7de' },
        encoding: { y: { field: 'one', type: 'quantitative' } },
      },
      {
        mark: { type: 'line', color: GROSS_COLOUR, strokeWidth: 1.8, interpolate: 'step-before' },
        encoding: {
          x: X_TIME,
          y: {
            field: 'gross',
            type: 'quantitative',
            title: 'gross leverage',
            scale: { domain: [0, round6(max)] },
            axis: { format: '.2f', tickCount: 4 },
          },
        },
      },
      hoverLayer('gross', ['gross leverage'], '.3f'),
      ...splitLayers(data.splitMonthEnd),
    ],
  };
}

const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** 5. Monthly returns heatmap, year by month. */
export function heatmapSpec(data: TearSheetData): Spec {
  const rows = data.months.map((m, i) => ({
    year: m.slice(0, 4),
    month: MONTH_NAMES[Number(m.slice(5, 7)) - 1],
    ret: round6(data.selectedPath.ret[i]),
    period: i < data.nTrain ? 'train' : 'test',
  }));
  const extent = Math.max(0.01, ...data.selectedPath.ret.map(Math.abs));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    width: 480,
    data: { values: rows },
    encoding: {
      x: {
        field: 'month',
        type: 'ordinal',
        sort: MONTH_NAMES,
        title: null,
        axis: { orient: 'top', labelAngle: 0 },
      },
      y: { field: 'year', type: 'ordinal', title: null },
    },
    layer: [
      {
        mark: { type: 'rect', stroke: '#ffffff', strokeWidth: 1 },
        encoding: {
          color: {
            field: 'ret',
            type: 'quantitative',
            title: 'return',
            scale: { scheme: 'redblue', domain: [-round6(extent), round6(extent)], domainMid: 0 },
            legend: { format: '.0%', orient: 'right', gradientLength: 160 },
          },
          tooltip: [
            { field: 'year', type: 'ordinal' },
            { field: 'month', type: 'ordinal' },
            { field: 'ret', type: 'quantitative', title: 'return', format: '.2%' },
            { field: 'period', type: 'nominal' },
          ],
        },
      },
      {
        mark: { type: 'text', fontSize: 10 },
        encoding: {
          text: { field: 'ret', type: 'quantitative', format: '.1%' },
          color: {
            condition: { test: `abs(datum.ret) > ${round6(extent * 0.55)}`, value: '#ffffff' },
            value: '#1f2328',
          },
        },
      },
    ],
  };
}

/** 5b. Calendar-year returns of the selected candidate and equal weight. */
export function yearlySpec(data: TearSheetData): Spec {
  const rows = data.yearly.map((y) => ({
    year: y.months < 12 ? `${y.year} (${y.months} mo)` : String(y.year),
    series: y.series,
    ret: round6(y.ret),
  }));
  const names = [...new Set(data.yearly.map((y) => y.series))];
  const colours = names.map((s) => (s === 'selected' ? SELECTED_COLOUR : EQUAL_COLOUR));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    width: 330,
    height: 250,
    data: { values: rows },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'year', type: 'ordinal', title: null, axis: { labelAngle: -40 } },
          xOffset: { field: 'series', sort: names },
          y: { field: 'ret', type: 'quantitative', title: 'return in the year', axis: { format: '.0%' } },
          color: colourScale(names, colours),
          tooltip: [
            { field: 'year', type: 'ordinal' },
            { field: 'series', type: 'nominal' },
            { field: 'ret', type: 'quantitative', title: 'return', format: '.1%' },
          ],
        },
      },
      {
        data: { values: [{ zero: 0 }] },
        mark: { type: 'rule', color: '#57606a' },
        encoding: { y: { field: 'zero', type: 'quantitative' } },
      },
    ],
  };
}

/** 6. Rolling 12-month return, volatility and Sharpe ratio. */
export function rollingSpec(data: TearSheetData): Spec {
  const names = [...new Set(data.rolling.map((r) => r.series))];
  const colours = names.map((s) => (s === 'selected' ? SELECTED_COLOUR : EQUAL_COLOUR));
  const rows = data.rolling.map((r) => ({
    month: iso(r.month),
    series: r.series,
    ret12: round6(r.ret12),
    vol12: round6(r.vol12),
    sharpe12: r.sharpe12 === null ? null : round6(r.sharpe12),
  }));
  const panel = (field: string, title: string, format: string): Spec => ({
    width: WIDE,
    height: 130,
    layer: [
      {
        data: { values: [{ zero: 0 }] },
        mark: { type: 'rule', color: '#d0d7de' },
        encoding: { y: { field: 'zero', type: 'quantitative' } },
      },
      {
        mark: { type: 'line', strokeWidth: 1.8 },
        encoding: {
          x: X_TIME,
          y: { field, type: 'quantitative', title, axis: { format, tickCount: 5 } },
          color: colourScale(names, colours),
          strokeDash: dashScale(names, names.map(dashOf)),
        },
      },
      hoverLayer(field, names, format),
      ...splitLayers(data.splitMonthEnd),
    ],
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    data: { values: rows },
    vconcat: [
      panel('ret12', '12-month return', '.0%'),
      panel('vol12', '12-month volatility (ann.)', '.0%'),
      panel('sharpe12', '12-month Sharpe (ann.)', '.1f'),
    ],
  };
}

/** 7. Histogram of the selected candidate's monthly returns, train and test stacked. */
export function histogramSpec(data: TearSheetData): Spec {
  const rows = data.selectedPath.ret.map((r, i) => ({
    ret: round6(r),
    period: i < data.nTrain ? 'train' : 'test',
  }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    width: HALF,
    height: 240,
    data: { values: rows },
    layer: [
      {
        mark: { type: 'bar', binSpacing: 1 },
        encoding: {
          x: {
            field: 'ret',
            type: 'quantitative',
            bin: { maxbins: 30 },
            title: 'monthly net return',
            axis: { format: '.0%' },
          },
          y: { aggregate: 'count', type: 'quantitative', title: 'months', stack: 'zero' },
          color: colourScale(['train', 'test'], [TRAIN_COLOUR, SELECTED_COLOUR], 'period'),
          order: { field: 'period', sort: 'descending' },
          tooltip: [
            { field: 'ret', type: 'quantitative', bin: { maxbins: 30 }, title: 'return', format: '.1%' },
            { field: 'period', type: 'nominal' },
            { aggregate: 'count', type: 'quantitative', title: 'months' },
          ],
        },
      },
      {
        data: { values: [{ zero: 0 }] },
        mark: { type: 'rule', color: '#57606a', strokeDash: [3, 3] },
        encoding: { x: { field: 'zero', type: 'quantitative' } },
      },
    ],
  };
}

/** A vertical rule with a label at the top (e.g. the bootstrap p10). */
function labelledRule(value: number, label: string, colour: string, row: number): Spec[] {
  const d = { values: [{ v: round6(value), label }] };
  return [
    {
      data: d,
      mark: { type: 'rule', color: colour, strokeWidth: 2 },
      encoding: { x: { field: 'v', type: 'quantitative' } },
    },
    {
      data: d,
      mark: {
        type: 'text',
        align: 'left',
        dx: 4,
        y: 4 + row * 14,
        baseline: 'top',
        fontSize: 11,
        color: colour,
      },
      encoding: { x: { field: 'v', type: 'quantitative' }, text: { field: 'label' } },
    },
  ];
}

/**
 * 7b. The gated statistic: its bootstrap distribution with the p10 when the
 * summary carries the distribution; otherwise the test months' pnl with the
 * p10 of the bootstrapped average monthly pnl and the actual average as rules.
 */
export function bootstrapSpec(data: TearSheetData): Spec {
  const b = data.bootstrap;
  const rules: Spec[] = [];
  if (b.p10 !== null)
    rules.push(...labelledRule(b.p10, `bootstrap p10 of avg pnl: ${dollars(b.p10)}`, LOSS_COLOUR, 0));
  if (b.distribution) {
    return {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      config: CONFIG,
      width: HALF,
      height: 240,
      data: { values: b.distribution.map((v) => ({ v })) },
      layer: [
        {
          mark: { type: 'bar', color: SELECTED_COLOUR, opacity: 0.8, binSpacing: 0 },
          encoding: {
            x: {
              field: 'v',
              type: 'quantitative',
              bin: { maxbins: 40 },
              title: 'bootstrapped average monthly pnl (test)',
              axis: { format: '$,.0f' },
            },
            y: { aggregate: 'count', type: 'quantitative', title: 'resamples' },
          },
        },
        ...rules,
      ],
    };
  }
  if (b.testAvgMonthlyPnl !== null)
    rules.push(
      ...labelledRule(
        b.testAvgMonthlyPnl,
        `test avg pnl: ${dollars(b.testAvgMonthlyPnl)}`,
        SELECTED_COLOUR,
        1,
      ),
    );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    width: HALF,
    height: 240,
    data: { values: b.testPnl.map((p) => ({ pnl: round6(p.pnl), gain: p.pnl >= 0 ? 'gain' : 'loss' })) },
    layer: [
      {
        mark: { type: 'bar', binSpacing: 1 },
        encoding: {
          x: {
            field: 'pnl',
            type: 'quantitative',
            bin: { maxbins: 25 },
            title: 'monthly pnl in the test months ($)',
            axis: { format: '$,.0f' },
          },
          y: { aggregate: 'count', type: 'quantitative', title: 'months', stack: 'zero' },
          color: { ...colourScale(['gain', 'loss'], ['#1a7f37', LOSS_COLOUR], 'gain'), legend: null },
        },
      },
      ...rules,
    ],
  };
}

/** Dataset names the candidate chart reads; the page fills them for the clicked candidate. */
export const CANDIDATE_DATASETS = { equity: 'candidate_equity', weights: 'candidate_weights' } as const;

/** 8. One candidate's equity (against the selected candidate) and weights; its data are filled in the page. */
export function candidateSpec(data: TearSheetData): Spec {
  const colours = data.sleeves.map((_, k) => sleeveColour(k));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    datasets: { [CANDIDATE_DATASETS.equity]: [], [CANDIDATE_DATASETS.weights]: [] },
    vconcat: [
      {
        width: WIDE,
        height: 240,
        data: { name: CANDIDATE_DATASETS.equity },
        layer: [
          {
            mark: { type: 'line', strokeWidth: 2 },
            encoding: {
              x: X_TIME,
              y: {
                field: 'equity',
                type: 'quantitative',
                title: 'equity ($, log)',
                scale: { type: 'log', nice: false },
                axis: { format: '$,.0f', tickCount: 6 },
              },
              color: {
                field: 'series',
                type: 'nominal',
                title: null,
                scale: { range: ['#bf3989', SELECTED_COLOUR] },
                legend: { orient: 'top', labelLimit: 400 },
              },
              strokeDash: {
                field: 'role',
                type: 'nominal',
                scale: {
                  domain: ['candidate', 'selected'],
                  range: [
                    [1, 0],
                    [4, 3],
                  ],
                },
                legend: null,
              },
            },
          },
          ...splitLayers(data.splitMonthEnd),
        ],
      },
      {
        width: WIDE,
        height: 150,
        data: { name: CANDIDATE_DATASETS.weights },
        layer: [
          weightsArea(data.sleeves, colours, [
            { field: 'month', type: 'temporal', timeUnit: 'utcyearmonthdate', format: '%Y-%m-%d' },
            { field: 'series', type: 'nominal', title: 'sleeve' },
            { field: 'weight', type: 'quantitative', format: '.1%' },
            { field: 'gross', type: 'quantitative', title: 'gross leverage', format: '.2f' },
          ]),
          ...splitLayers(data.splitMonthEnd),
        ],
      },
    ],
    resolve: { scale: { color: 'independent' } },
  };
}

/** The stacked weights (first sleeve at the bottom), as the weights chart and a candidate's chart draw them. */
function weightsArea(sleeves: readonly string[], colours: readonly string[], tooltip?: unknown[]) {
  return {
    mark: { type: 'area', interpolate: 'step-before', opacity: 0.85 },
    encoding: {
      x: X_TIME,
      y: {
        field: 'weight',
        type: 'quantitative',
        stack: 'zero',
        title: 'weight',
        scale: { domain: [0, 1] },
        axis: { format: '.0%' },
      },
      color: colourScale(sleeves, colours),
      order: { field: 'k', type: 'quantitative' },
      ...(tooltip ? { tooltip } : {}),
    },
  };
}

/** 9. Histogram of the PBO's logits (left of 0: the in-sample best was below the out-of-sample median). */
const PBO_SIDES: [string, string] = ['overfit (logit < 0)', 'not overfit (logit ≥ 0)'];

export function pboSpec(data: TearSheetData): Spec | null {
  const h = data.overfitting.logitHistogram;
  if (!h) return null;
  const rows = h.counts.map((c, i) => ({
    lo: round6(h.edges[i]),
    hi: round6(h.edges[i + 1]),
    count: c,
    // The PBO counts logits below 0 (the paper's convention); a bin is coloured by its middle.
    side: (h.edges[i] + h.edges[i + 1]) / 2 < 0 ? PBO_SIDES[0] : PBO_SIDES[1],
  }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    width: HALF,
    height: 240,
    data: { values: rows },
    layer: [
      {
        mark: { type: 'bar', stroke: '#ffffff', strokeWidth: 0.5 },
        encoding: {
          x: {
            field: 'lo',
            type: 'quantitative',
            title: 'logit of the in-sample best’s out-of-sample rank',
            bin: { binned: true },
          },
          x2: { field: 'hi' },
          y: { field: 'count', type: 'quantitative', title: 'train/test splits' },
          color: colourScale(PBO_SIDES, [LOSS_COLOUR, SELECTED_COLOUR], 'side'),
          tooltip: [
            { field: 'lo', type: 'quantitative', format: '.2f', title: 'from' },
            { field: 'hi', type: 'quantitative', format: '.2f', title: 'to' },
            { field: 'count', type: 'quantitative', title: 'splits' },
          ],
        },
      },
      {
        data: { values: [{ zero: 0 }] },
        mark: { type: 'rule', color: '#1f2328', strokeDash: [4, 3] },
        encoding: { x: { field: 'zero', type: 'quantitative' } },
      },
    ],
  };
}

/**
 * 9b. In-sample vs out-of-sample: the PBO's own split points with the fitted
 * degradation line when the run wrote them, else every candidate's train vs
 * test Calmar ratio with the diagonal (no degradation) for reference.
 */
export function degradationSpec(data: TearSheetData): Spec | null {
  const o = data.overfitting;
  if (o.splitPoints && o.splitPoints.length > 0) {
    const xs = o.splitPoints.map((p) => p.inSample);
    const lo = Math.min(...xs);
    const hi = Math.max(...xs);
    const line = o.degradation
      ? [
          { x: round6(lo), y: round6(o.degradation.intercept + o.degradation.slope * lo) },
          { x: round6(hi), y: round6(o.degradation.intercept + o.degradation.slope * hi) },
        ]
      : [];
    return {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      config: CONFIG,
      width: HALF,
      height: 300,
      layer: [
        {
          data: { values: o.splitPoints.map((p) => ({ x: round6(p.inSample), y: round6(p.outOfSample) })) },
          mark: { type: 'point', filled: true, opacity: 0.35, size: 14, color: SELECTED_COLOUR },
          encoding: {
            x: {
              field: 'x',
              type: 'quantitative',
              title: 'in-sample (best candidate of the split)',
              scale: { zero: false },
            },
            y: {
              field: 'y',
              type: 'quantitative',
              title: 'out-of-sample (same candidate)',
              scale: { zero: false },
            },
          },
        },
        ...(line.length > 0
          ? [
              {
                data: { values: line },
                mark: { type: 'line', color: LOSS_COLOUR, strokeWidth: 2 },
                encoding: {
                  x: { field: 'x', type: 'quantitative' },
                  y: { field: 'y', type: 'quantitative' },
                },
              },
            ]
          : []),
      ],
    };
  }
  if (o.calmarPoints.length === 0) return null;
  const all = o.calmarPoints.flatMap((p) => [p.train, p.test]);
  const lo = Math.min(0, ...all);
  const hi = Math.max(...all);
  const rows = o.calmarPoints.map((p) => ({
    candidate: p.candidate,
    family: p.family,
    train: round6(p.train),
    test: round6(p.test),
    gate: p.pass ? 'pass' : 'fail',
    selected: p.selected,
  }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    width: HALF,
    height: 300,
    layer: [
      {
        data: {
          values: [
            { x: round6(lo), y: round6(lo) },
            { x: round6(hi), y: round6(hi) },
          ],
        },
        mark: { type: 'line', color: '#8c959f', strokeDash: [4, 3] },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { values: rows },
        mark: { type: 'point', filled: true, size: 60, opacity: 0.85 },
        encoding: {
          x: { field: 'train', type: 'quantitative', title: 'train Calmar (in sample)' },
          y: { field: 'test', type: 'quantitative', title: 'test Calmar (out of sample)' },
          color: {
            field: 'family',
            type: 'nominal',
            scale: { scheme: 'tableau10' },
            legend: { orient: 'right', title: 'family' },
          },
          shape: {
            field: 'gate',
            type: 'nominal',
            scale: { domain: ['pass', 'fail'], range: ['circle', 'triangle-down'] },
            legend: { orient: 'right', title: 'gate' },
          },
          tooltip: [
            { field: 'candidate', type: 'nominal' },
            { field: 'family', type: 'nominal' },
            { field: 'train', type: 'quantitative', format: '.2f', title: 'train Calmar' },
            { field: 'test', type: 'quantitative', format: '.2f', title: 'test Calmar' },
            { field: 'gate', type: 'nominal' },
          ],
        },
      },
      {
        data: { values: rows.filter((r) => r.selected) },
        mark: { type: 'point', size: 260, strokeWidth: 2, color: '#1f2328', filled: false },
        encoding: { x: { field: 'train', type: 'quantitative' }, y: { field: 'test', type: 'quantitative' } },
      },
      {
        data: { values: rows.filter((r) => r.selected) },
        mark: { type: 'text', align: 'left', dx: 12, dy: -8, fontSize: 11, fontWeight: 600 },
        encoding: {
          x: { field: 'train', type: 'quantitative' },
          y: { field: 'test', type: 'quantitative' },
          text: { value: 'selected' },
        },
      },
    ],
  };
}

/** Every chart of the page by its `data-chart` name (charts without data are left out). */
export function tearSheetSpecs(data: TearSheetData): Record<string, Spec> {
  const specs: Record<string, Spec | null> = {
    equity: equitySpec(data, 'log'),
    honest: honestSpec(data),
    drawdown: drawdownSpec(data),
    weights: weightsSpec(data),
    leverage: leverageSpec(data),
    heatmap: heatmapSpec(data),
    yearly: yearlySpec(data),
    rolling: data.rolling.length > 0 ? rollingSpec(data) : null,
    histogram: histogramSpec(data),
    bootstrap: data.bootstrap.distribution || data.bootstrap.testPnl.length > 0 ? bootstrapSpec(data) : null,
    candidate: Object.keys(data.candidatePaths).length > 0 ? candidateSpec(data) : null,
    pbo: pboSpec(data),
    degradation: degradationSpec(data),
  };
  return Object.fromEntries(Object.entries(specs).filter((e): e is [string, Spec] => e[1] !== null));
}
