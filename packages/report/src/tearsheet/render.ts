import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { dollars } from '@step4/core/format';
import { scriptJson } from '../stable-json.js';
import { CLIENT_SCRIPT } from './client.js';
import { type PerfNumbers, type TearSheetData, round6 } from './data.js';
import {
  EQUAL_COLOUR,
  HONEST_COLOUR,
  SELECTED_COLOUR,
  type Spec,
  equitySeries,
  sleeveColour,
  tearSheetSpecs,
} from './specs.js';

// ---------------------------------------------------------------- browser builds

let libraries: { readonly text: string; readonly bytes: Buffer } | undefined;

/**
 * vega, vega-lite and vega-embed's browser builds (`build/*.min.js`, UMD),
 * resolved from this package's dependencies and inlined in the page, in the
 * order they need each other. Read on first use; kept as text and as UTF-8
 * (most of every page's bytes, encoded once).
 */
function browserLibraries(): { readonly text: string; readonly bytes: Buffer } {
  if (libraries !== undefined) return libraries;
  const require = createRequire(import.meta.url);
  const build = (pkg: string, file: string) => {
    const code = readFileSync(join(dirname(require.resolve(pkg)), file), 'utf8');
    // A literal "</script" inside the code would end the element early.
    return `<script>/* ${pkg} */\n${code.replace(/<\/script/gi, '<\\/script')}\n</script>`;
  };
  const text = [
    build('vega', 'vega.min.js'),
    build('vega-lite', 'vega-lite.min.js'),
    build('vega-embed', 'vega-embed.min.js'),
  ].join('\n');
  libraries = { text, bytes: Buffer.from(text, 'utf8') };
  return libraries;
}

// ---------------------------------------------------------------- formatting

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const NA = '–';
const money = (x: number | null) => (x === null ? NA : dollars(x));
const pct = (x: number | null, d = 1) => (x === null ? NA : `${(x * 100).toFixed(d)}%`);
const num = (x: number | null, d = 2) => (x === null || !Number.isFinite(x) ? NA : x.toFixed(d));
const pvalue = (x: number | null) => (x === null ? 'not computed' : x < 0.001 ? '< 0.001' : x.toFixed(3));

interface Cell {
  readonly html: string;
  /** Sort value (numbers as text); omitted: the cell's text. */
  readonly value?: string | number | null;
  readonly numeric?: boolean;
  readonly cls?: string;
}
const text = (s: string): Cell => ({ html: esc(s) });
const numCell = (html: string, value: number | null): Cell => ({
  html,
  value: value === null ? '' : round6(value),
  numeric: true,
});

function table(
  head: readonly string[],
  rows: readonly (readonly Cell[])[],
  attrs = '',
  rowAttrs?: (i: number) => string,
): string {
  const th = head.map((h) => `<th scope="col">${esc(h)}</th>`).join('');
  const tr = rows
    .map(
      (r, i) =>
        `<tr${rowAttrs ? ` ${rowAttrs(i)}` : ''}>${r
          .map((c) => {
            const cls = [c.numeric ? 'n' : '', c.cls ?? ''].filter(Boolean).join(' ');
            return `<td${cls ? ` class="${cls}"` : ''}>${c.html}</td>`;
          })
          .join('')}</tr>`,
    )
    .join('\n');
  return `<table${attrs ? ` ${attrs}` : ''}><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

const swatch = (colour: string, dashed = false) =>
  `<span class="swatch${dashed ? ' dashed' : ''}" style="--c:${colour}"></span>`;

function figure(name: string, how: string, title?: string): string {
  return `<figure class="figure" id="figure-${name}">${title ? `<figcaption class="title">${esc(title)}</figcaption>` : ''}
<div class="chart" data-chart="${name}" data-state="pending"></div>
<p class="how"><b>How to read this:</b> ${how}</p></figure>`;
}

/** A `figure`, or a note saying why it is not there. */
const maybeFigure = (
  specs: Record<string, Spec>,
  name: string,
  how: string,
  missing: string,
  title?: string,
) => (specs[name] ? figure(name, how, title) : `<p class="missing">${esc(missing)}</p>`);

// ---------------------------------------------------------------- sections

function perfCells(p: PerfNumbers | null): Cell[] {
  if (!p) return [0, 1, 2, 3, 4].map(() => ({ html: NA, value: '', numeric: true }));
  return [
    numCell(money(p.endEquity), p.endEquity),
    numCell(pct(p.cagr), p.cagr),
    numCell(pct(p.maxDrawdown), p.maxDrawdown),
    numCell(num(p.calmar), p.calmar),
    numCell(num(p.sharpe), p.sharpe),
  ];
}

function card(label: string, optimistic: string, honest: string, note: string): string {
  return `<div class="card"><div class="card-label">${esc(label)}</div>
<div class="card-values"><span class="optimistic" title="selected candidate, test months (optimistic)">${optimistic}</span>${
    honest
      ? `<span class="arrow">→</span><span class="honest" title="the honest number">${honest}</span>`
      : ''
  }</div><div class="card-note">${note}</div></div>`;
}

function headline(data: TearSheetData): string {
  const s = data.selected;
  const h = data.honesty;
  const role =
    data.kind === 'final'
      ? 'Promoted run'
      : data.kind === 'final_dynamic'
        ? 'Best dynamic run'
        : `Objective run`;
  const testMonths = data.months.length - data.nTrain;
  const near =
    s.gatesNearThreshold.length > 0
      ? ` (within two Monte Carlo standard errors of the threshold: ${esc(s.gatesNearThreshold.join(', '))})`
      : '';
  const gate =
    s.pass === null
      ? NA
      : s.pass
        ? `passes the gate${near}`
        : `fails the gate: ${esc(s.failedGates.join(', '))}${near}`;
  const spa = h.spa;
  const cards = [
    card(
      'Test Calmar',
      num(h.selectedTest?.calmar ?? null),
      h.honestTest ? num(h.honestTest.calmar) : '',
      'selected (optimistic) → selection-honest',
    ),
    card(
      'Test end equity',
      money(h.selectedTest?.endEquity ?? null),
      h.honestTest ? money(h.honestTest.endEquity) : '',
      'selected (optimistic) → selection-honest',
    ),
    card(
      'PBO',
      h.pbo === null ? 'not computed' : num(h.pbo),
      '',
      'probability that the search picked an overfit candidate (lower is better)',
    ),
    card(
      'DSR',
      h.dsr === null ? 'not computed' : num(h.dsr),
      '',
      'probability that the selected Sharpe ratio is real after all trials (higher is better)',
    ),
    card(
      'SPA p-values',
      spa
        ? `<span class="spa">${pvalue(spa.lower)} / ${pvalue(spa.consistent)} / ${pvalue(spa.upper)}</span>`
        : 'not computed',
      '',
      'Hansen’s test that no candidate beats the benchmark: lower / consistent / upper (small = real skill)',
    ),
  ].join('\n');

  const swatchOf = (kind: string, k: number) =>
    kind === 'selected'
      ? swatch(SELECTED_COLOUR)
      : kind === 'honest'
        ? swatch(HONEST_COLOUR, true)
        : kind === 'equal'
          ? swatch(EQUAL_COLOUR, true)
          : swatch(sleeveColour(k));
  let sleeveK = 0;
  const perf = table(
    [
      '',
      'test end equity',
      'test CAGR',
      'test max DD',
      'test Calmar',
      'test Sharpe',
      'full end equity',
      'full CAGR',
      'full max DD',
      'full Calmar',
      'full Sharpe',
    ],
    data.performance.map((r) => [
      {
        html: `${swatchOf(r.kind, r.kind === 'sleeve' ? sleeveK++ : 0)}${esc(r.label)}`,
        cls: `row-${r.kind}`,
      },
      ...perfCells(r.test),
      ...perfCells(r.full),
    ]),
    'id="performance" class="perf"',
    (i) => `data-kind="${data.performance[i].kind}"`,
  );

  const runs =
    data.objectiveRuns.length > 1 || data.kind !== 'objective'
      ? `<h3>Runs by objective</h3>
${table(
  [
    'objective',
    'selected',
    'score',
    'gate',
    'test end equity',
    'test max DD',
    'test Calmar',
    'honest Calmar',
    'honest end equity',
    'PBO',
    'DSR',
    'SPA p (consistent)',
  ],
  data.objectiveRuns.map((r) => [
    text(r.objective + (r.folderMissing ? ' (folder missing)' : '')),
    text(r.candidate ?? NA),
    numCell(num(r.score, 1), r.score),
    text(r.pass === null ? NA : r.pass ? 'pass' : `fail: ${r.failedGates.join(', ')}`),
    numCell(money(r.testEndEquity), r.testEndEquity),
    numCell(pct(r.testMaxDrawdown), r.testMaxDrawdown),
    numCell(num(r.testCalmar), r.testCalmar),
    numCell(num(r.honestCalmar), r.honestCalmar),
    numCell(money(r.honestEndEquity), r.honestEndEquity),
    numCell(num(r.pbo), r.pbo),
    numCell(num(r.dsr), r.dsr),
    { html: pvalue(r.spaConsistent), numeric: true },
  ]),
  'id="objective-runs"',
)}`
      : '';
  const p = data.promotion;
  const promotion = p
    ? `<p>Promoted: <b>${esc(p.promotedCandidate ?? NA)}</b> (objective ${esc(p.promotedObjective ?? NA)}, promotion score ${num(p.promotedScore, 1)}). Dynamic run: ${
        p.dynamicObjective
          ? `<b>${esc(p.dynamicCandidate ?? NA)}</b> (objective ${esc(p.dynamicObjective)}, dynamic score ${num(p.dynamicScore, 1)})`
          : `none${p.dynamicReason ? `: ${esc(p.dynamicReason)}` : ''}`
      }.</p>`
    : '';
  const notes =
    data.notes.length > 0
      ? `<ul class="notes">${data.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`
      : '';
  const config = table(
    ['key', 'value'],
    s.config.map(([k, v]) => [text(k), text(v)]),
  );
  return `<section id="headline">
<p class="kicker">Step 4 tear sheet · folder <code>${esc(data.folder)}</code> · ${esc(role)}</p>
<h1>${esc(s.name)}</h1>
<p class="sub">Family <b>${esc(s.family)}</b>${s.familyVersion ? ` ${esc(s.familyVersion)}` : ''}, objective <b>${esc(data.objective)}</b>, score ${num(s.score, 1)}, ${gate}.
${data.sleeves.length} sleeves (${data.sleeves.map((x, k) => `${swatch(sleeveColour(k))}<b>${esc(x)}</b>`).join(', ')}), ${data.months.length} months ${esc(data.months[0] ?? NA)} .. ${esc(data.months[data.months.length - 1] ?? NA)};
train to ${esc(data.splitMonthEnd ?? NA)}, test ${testMonths} months after. Start capital ${money(data.startCapital)}.</p>
<div class="cards">${cards}</div>
<p class="how"><b>How to read this:</b> the selected candidate’s test numbers are optimistic, because the selection saw the same months. The selection-honest run picks, each test month, the best candidate by the months before it only: its numbers are the ones to believe. PBO, DSR and SPA say how much of the selected result the search itself explains.</p>
<h3>Test and full-path numbers beside the benchmarks</h3>
${perf}
<p class="how"><b>How to read this:</b> “test” columns start again from ${money(data.startCapital)} at the split, as the metrics do; “full” is the whole walk-forward path. Every sleeve alone and equal weight (rebalanced monthly) are the benchmarks a candidate must beat. Sharpe: annualised, monthly returns, no risk-free rate.</p>
${runs}
${promotion}
${notes}
<details><summary>Configuration of ${esc(s.name)}</summary>${config}</details>
</section>`;
}

function equitySection(data: TearSheetData, specs: Record<string, Spec>): string {
  const { names } = equitySeries(data);
  return `<section id="equity-section"><h2>2. Equity</h2>
<div class="controls"><label><input type="checkbox" id="log-toggle" checked> log scale</label></div>
${figure(
  'equity',
  `each line is what ${money(data.startCapital)} became, month by month: the selected candidate (thick blue)${names.includes('selection-honest') ? ', the selection-honest run from the split on (orange dashes)' : ''}, equal weight (grey dots) and every sleeve alone. On the log scale equal slopes are equal growth rates; the dashed rule is the train/test split. Hover for each month’s values.`,
)}
${maybeFigure(
  specs,
  'honest',
  `the test months only, every line starting from the selected curve’s value at the split. The gap between the selected candidate and the selection-honest run is what picking the winner with hindsight adds; the strip below shows which candidate the honest run held each month${
    data.honest?.switches !== null && data.honest?.switches !== undefined
      ? ` (${data.honest.switches} switches`
      : ''
  }${data.honest?.switchingCostSum !== null && data.honest?.switchingCostSum !== undefined ? `, switching costs ${pct(data.honest.switchingCostSum, 3)} of capital in all, charged` : ''}${
    data.honest?.switches !== null && data.honest?.switches !== undefined ? ')' : ''
  }.`,
  'No selection-honest run in this folder (overfitting.selection_honest is missing).',
  'Selected vs selection-honest, test months',
)}
</section>`;
}

function drawdownSection(data: TearSheetData): string {
  const rows = data.worstDrawdowns.map((d, i) => [
    numCell(String(i + 1), i + 1),
    numCell(pct(d.depth), d.depth),
    text(d.start),
    text(d.trough),
    text(d.recovery ?? 'not recovered'),
    numCell(String(d.lengthMonths), d.lengthMonths),
  ]);
  return `<section id="drawdown-section"><h2>3. Drawdowns</h2>
${figure(
  'drawdown',
  'how far the selected candidate’s equity is below its highest month-end so far (0 % = at a new high); the grey dotted line is equal weight. The deepest point is the maximum drawdown.',
)}
<h3>Worst ${data.worstDrawdowns.length} drawdowns</h3>
${table(['#', 'depth', 'start (peak)', 'trough', 'recovery', 'length (months)'], rows, 'id="worst-drawdowns"')}
<p class="how"><b>How to read this:</b> each drawdown runs from a month-end peak to the first month back at or above it; the length counts months from the peak to the recovery (to the last month when not recovered).</p>
</section>`;
}

function weightsSection(data: TearSheetData): string {
  return `<section id="weights-section"><h2>4. Weights and leverage</h2>
${figure(
  'weights',
  `the share of capital in each sleeve each month after the mechanics (bounds, smoothing, step limit); the bands add up to 100 %. ${data.sleeves.length} sleeves, colours as in the equity chart.`,
)}
${figure('leverage', 'gross leverage g: exposure as a multiple of equity (1 = unlevered), the grey rule marks 1.')}
</section>`;
}

function calendarSection(): string {
  return `<section id="calendar-section"><h2>5. Monthly and yearly returns</h2>
<div class="row">
${figure('heatmap', 'each cell is the selected candidate’s net return in that month: blue gains, red losses, the stronger the colour the larger.')}
${figure('yearly', 'compounded return in each calendar year, selected (blue) beside equal weight (grey); partial years show their months.')}
</div></section>`;
}

function rollingSection(specs: Record<string, Spec>): string {
  return `<section id="rolling-section"><h2>6. Rolling 12 months</h2>
${maybeFigure(
  specs,
  'rolling',
  'each point summarises the 12 months ending there: compounded return, annualised volatility and Sharpe ratio (no risk-free rate), selected (blue) against equal weight (grey dots). Stable lines mean a steady policy; swings show regimes.',
  'Fewer than 12 months: no rolling statistics.',
)}
</section>`;
}

function distributionSection(data: TearSheetData): string {
  const b = data.bootstrap;
  const how = b.distribution
    ? `the bootstrap distribution of the selected candidate’s average monthly pnl over the test months (${esc(b.distributionKey ?? '')}); the red rule is its 10th percentile ${money(b.p10)}, the statistic the bootstrap gate checks.`
    : `the selected candidate’s pnl in each test month (from ${money(data.startCapital)} at the split). The red rule is the gated statistic, the 10th percentile of the block-bootstrapped <i>average</i> monthly pnl (${money(b.p10)}${b.mcStdError !== null ? `, Monte Carlo s.e. ${money(b.mcStdError)}` : ''}); the blue rule is the actual average. The bootstrap distribution itself is not in this run’s summary.`;
  return `<section id="distribution-section"><h2>7. Distribution of returns</h2>
<div class="row">
${figure('histogram', 'how many months fell in each return bin, train months grey and test months blue; the dashed rule is 0. A long left tail means rare large losses.')}
${figure('bootstrap', how)}
</div></section>`;
}

function leaderboardSection(data: TearSheetData, specs: Record<string, Spec>): string {
  const families = [...new Set(data.leaderboard.map((r) => r.family))].sort();
  const objectives = [...new Set(data.leaderboard.map((r) => r.objective))];
  const head: [string, 'number' | 'text'][] = [
    ['objective', 'text'],
    ['candidate', 'text'],
    ['family', 'text'],
    ['score', 'number'],
    ['test Calmar', 'number'],
    ['test end equity', 'number'],
    ['test max DD', 'number'],
    ['train Calmar', 'number'],
    ['DSR', 'number'],
    ['gate', 'text'],
  ];
  const hasPath = (name: string) => name in data.candidatePaths;
  const rows = data.leaderboard
    .map((r) => {
      const gate = r.error !== null ? 'error' : r.pass ? 'pass' : 'fail';
      const gateHtml =
        r.error !== null
          ? `<span class="gate error">error</span> ${esc(r.error)}`
          : r.pass
            ? '<span class="gate pass">pass</span>'
            : `<span class="gate fail">fail</span> <span class="failed-gates">${esc(r.failedGates.join(', '))}</span>`;
      const cells = [
        esc(r.objective),
        `${hasPath(r.candidate) ? `<a href="#candidate-view" class="show-candidate">${esc(r.candidate)}</a>` : esc(r.candidate)}${r.selected ? ' <span class="badge">selected</span>' : ''}`,
        esc(r.family),
      ];
      const nums: [string, number | null][] = [
        [num(r.score, 1), r.score],
        [num(r.testCalmar), r.testCalmar],
        [money(r.testEndEquity), r.testEndEquity],
        [pct(r.testMaxDrawdown), r.testMaxDrawdown],
        [num(r.trainCalmar), r.trainCalmar],
        [num(r.dsr), r.dsr],
      ];
      const nearHtml =
        r.gatesNearThreshold.length > 0
          ? ` <span class="near-gates" title="within two Monte Carlo standard errors of the threshold: another seed could flip them">≈ ${esc(r.gatesNearThreshold.join(', '))}</span>`
          : '';
      const gateValue = gate === 'pass' ? '0' : gate === 'fail' ? `1 ${r.failedGates.join(',')}` : '2';
      return `<tr data-objective="${esc(r.objective)}" data-candidate="${esc(r.candidate)}" data-family="${esc(r.family)}" data-gate="${gate}"${r.selected ? ' class="is-selected"' : ''}>${cells
        .map((c) => `<td>${c}</td>`)
        .join('')}${nums
        .map(([h, v]) => `<td class="n" data-value="${v === null ? '' : round6(v)}">${h}</td>`)
        .join('')}<td data-value="${esc(gateValue)}">${gateHtml}${nearHtml}</td></tr>`;
    })
    .join('\n');
  const select = (id: string, label: string, options: readonly [string, string][]) =>
    `<label>${esc(label)} <select id="${id}">${options
      .map(([v, t]) => `<option value="${esc(v)}">${esc(t)}</option>`)
      .join('')}</select></label>`;
  return `<section id="leaderboard-section"><h2>8. Leaderboard: every candidate${objectives.length > 1 ? ' across objectives' : ''}</h2>
<div class="controls">
${select('family-filter', 'family', [['all', 'all families'], ...families.map((f): [string, string] => [f, f])])}
${select('gate-filter', 'gate', [
  ['all', 'all'],
  ['pass', 'passed'],
  ['fail', 'failed'],
  ...(data.leaderboard.some((r) => r.error !== null) ? [['error', 'error'] as [string, string]] : []),
])}
${objectives.length > 1 ? select('objective-filter', 'objective', [['all', 'all objectives'], ...objectives.map((o): [string, string] => [o, o])]) : ''}
<span id="leaderboard-count"></span>
</div>
<div class="table-scroll">
<table id="leaderboard" class="leaderboard"><thead><tr>${head
    .map(([h, t]) => `<th scope="col" data-type="${t}"><button type="button">${esc(h)}</button></th>`)
    .join('')}</tr></thead><tbody>
${rows}
</tbody></table></div>
<p class="how"><b>How to read this:</b> one row per candidate and objective (the score depends on the objective; the other numbers do not). Click a header to sort, again to reverse; filter by family, gate result${objectives.length > 1 ? ' and objective' : ''}. Failed gates are named in the last column. Click a row to see that candidate’s equity and weights below.</p>
<div id="candidate-view">
<h3>Candidate: <span id="candidate-title">${esc(data.selected.name)}</span></h3>
${maybeFigure(
  specs,
  'candidate',
  'the chosen candidate’s equity (log scale) against the selected candidate’s (blue dashes) and its weights per sleeve; the dashed rule is the split.',
  'No candidate path tables in this folder.',
)}
</div></section>`;
}

const DSR_LABELS: Record<string, string> = {
  sharpe_monthly: 'Sharpe ratio (monthly, test)',
  skewness: 'skewness',
  kurtosis: 'kurtosis (not excess)',
  n_returns: 'test months',
  n_trials: 'trials (as the DSR counts them)',
  deflated_sharpe_ratio_raw_trials: 'DSR counting every candidate',
  deflated_sharpe_ratio_distinct_trials: 'DSR counting distinct paths',
  sharpe_variance_across_trials: 'variance of Sharpe across trials',
  expected_max_sharpe: 'expected max Sharpe under no skill',
  probabilistic_sharpe_ratio_0: 'PSR (vs 0)',
  deflated_sharpe_ratio: 'deflated Sharpe ratio (DSR)',
};

function overfittingSection(data: TearSheetData, specs: Record<string, Spec>): string {
  const o = data.overfitting;
  const d = o.degradation;
  const splits = o.splitPoints !== null && o.splitPoints.length > 0;
  const degradationNote = d
    ? `<p class="note">Fitted degradation over the CSCV splits (out-of-sample = ${num(d.intercept, 2)} ${d.slope < 0 ? '−' : '+'} ${num(Math.abs(d.slope), 4)} × in-sample${d.r2 !== null ? `, R² ${num(d.r2)}` : ''}, in the PBO metric’s units): ${d.slope < 0 ? 'a negative slope: the better a candidate looked in sample, the worse it did out of sample.' : 'a non-negative slope: in-sample rank carried over.'}</p>`
    : '';
  const dsr = table(
    ['input', 'value'],
    o.dsrInputs.map(([k, v]) => [
      text(DSR_LABELS[k] ?? k),
      numCell(Number.isInteger(v) ? String(v) : num(v, 4), v),
    ]),
    'id="dsr-inputs"',
  );
  const pboFacts = table(
    ['key', 'value'],
    o.pboFacts.map(([k, v]) => [text(k), text(v)]),
    'id="pbo-facts"',
  );
  const spa = data.honesty.spa;
  const spaTable = spa
    ? table(
        ['key', 'value'],
        [
          [text('p-value (lower)'), text(pvalue(spa.lower))],
          [text('p-value (consistent)'), text(pvalue(spa.consistent))],
          [text('p-value (upper)'), text(pvalue(spa.upper))],
          ...spa.extra.map(([k, v]) => [text(k), text(v)]),
        ],
        'id="spa"',
      )
    : '<p id="spa" class="missing">SPA test: not computed in this run.</p>';
  const otherFacts =
    o.otherFacts.length > 0
      ? `<h3>More from the run’s overfitting analysis</h3>
<div class="facts">${o.otherFacts
          .map(
            (f) =>
              `<div class="fact" data-key="${esc(f.key)}"><h4>${esc(f.key)}</h4>${f.meaning ? `<p class="how">${esc(f.meaning)}</p>` : ''}${table(
                ['key', 'value'],
                f.rows.map(([k, v]) => [text(k || f.key), text(v)]),
              )}</div>`,
          )
          .join('\n')}</div>`
      : '';
  return `<section id="overfitting-section"><h2>9. Overfitting</h2>
<div class="row">
${maybeFigure(
  specs,
  'pbo',
  `CSCV splits the months into halves many ways; for each split the best in-sample candidate’s out-of-sample rank is turned into a logit. Mass left of 0 (red) means the in-sample winner came out below the median out of sample: PBO = ${num(o.pbo)} is that share.`,
  'PBO not computed (no logit histogram in overfitting.pbo).',
)}
${maybeFigure(
  specs,
  'degradation',
  splits
    ? 'each point is one CSCV split: the in-sample best candidate’s in-sample score against its out-of-sample score; the red line is the fitted degradation.'
    : 'each point is a candidate: train Calmar against test Calmar (colour = family, triangle = failed gate, ring = selected). Points below the dashed diagonal did worse out of sample than in sample.',
  'No candidate metrics to compare in sample and out of sample.',
)}
</div>
${degradationNote}
<div class="row tables">
<div><h3>Deflated Sharpe ratio inputs</h3>${o.dsrInputs.length > 0 ? dsr : '<p class="missing">DSR not computed.</p>'}
<p class="how"><b>How to read this:</b> the DSR is the probability that the selected test Sharpe ratio beats the best one expected from this many trials by luck alone, given skew and kurtosis.</p></div>
<div><h3>PBO</h3>${o.pboFacts.length > 0 ? pboFacts : '<p class="missing">PBO not computed.</p>'}</div>
<div><h3>SPA test</h3>${spaTable}</div>
</div>
${otherFacts}
</section>`;
}

function manifestSection(data: TearSheetData): string {
  const m = data.manifest;
  const inputs = table(
    ['sleeve', 'source', 'sha256'],
    m.inputs.map((x) => [text(x.name), text(x.source), { html: `<code>${esc(x.sha256)}</code>` }]),
    'id="manifest-inputs"',
  );
  const families = table(
    ['family', 'version', 'source'],
    m.families.map((x) => [text(x.name), text(x.version), text(x.source)]),
    'id="manifest-families"',
  );
  const packages = table(
    ['package', 'version'],
    m.packages.map(([k, v]) => [text(k), text(v)]),
    'id="manifest-packages"',
  );
  const options = table(
    ['option', 'value'],
    m.options.map(([k, v]) => [text(k), text(v)]),
    'id="manifest-options"',
  );
  const checks =
    m.pluginChecks.length > 0
      ? `<h3>Plugin checks</h3>${table(
          Object.keys(m.pluginChecks[0]),
          m.pluginChecks.map((c) => Object.keys(m.pluginChecks[0]).map((k) => text(c[k] ?? ''))),
          'id="manifest-plugin-checks"',
        )}`
      : '';
  return `<section id="manifest-section"><h2>10. Run manifest</h2>
<p class="how"><b>How to read this:</b> everything needed to reproduce the run: each input’s SHA-256, the families and package versions, and every option including the seed. Two runs with the same manifest give the same numbers.</p>
<h3>Inputs</h3>${inputs}
<div class="row tables"><div><h3>Families</h3>${families}</div><div><h3>Packages</h3>${packages}</div></div>
<h3>Options</h3>${options}
${checks}
</section>`;
}

const STYLE = `
:root{--fg:#1f2328;--muted:#57606a;--line:#d0d7de;--bg2:#f6f8fa;--blue:${SELECTED_COLOUR};--orange:${HONEST_COLOUR}}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI","DejaVu Sans",Helvetica,Arial,sans-serif;margin:0;color:var(--fg);background:#fff;line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:1.5rem 1.2rem 4rem}
nav.toc{position:sticky;top:0;z-index:5;background:rgba(255,255,255,.96);border-bottom:1px solid var(--line);padding:.45rem 1.2rem;font-size:.82rem;display:flex;gap:.9rem;flex-wrap:wrap;justify-content:center}
nav.toc a{color:var(--muted);text-decoration:none}nav.toc a:hover{color:var(--blue)}
h1{font-size:1.55rem;margin:.1rem 0 .3rem}h2{font-size:1.2rem;margin:2.4rem 0 .6rem;padding-top:.6rem;border-top:1px solid var(--line)}h3{font-size:1rem;margin:1.2rem 0 .4rem}
.kicker{color:var(--muted);font-size:.85rem;margin:0}.sub{margin:.2rem 0 1rem;color:var(--fg)}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.8rem}
.cards{display:grid;grid-template-columns:repeat(5,1fr);gap:.7rem;margin:.8rem 0}
.card{border:1px solid var(--line);border-radius:8px;padding:.6rem .75rem;background:var(--bg2)}
.card-label{font-size:.78rem;color:var(--muted);text-transform:uppercase;letter-spacing:.03em}
.card-values{font-size:1.35rem;font-weight:600;margin:.15rem 0;font-variant-numeric:tabular-nums;white-space:nowrap}
.card-values .arrow{color:var(--muted);font-weight:400;margin:0 .3rem;font-size:1rem}.card-values .honest{color:var(--orange)}
.card-values .spa{font-size:1rem}.card-note{font-size:.74rem;color:var(--muted)}
table{border-collapse:collapse;font-size:.8rem;margin:.4rem 0}th,td{border-bottom:1px solid var(--line);padding:.22rem .55rem;text-align:left;vertical-align:top}
th{background:var(--bg2);font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.perf td:first-child{white-space:nowrap}tr[data-kind=selected] td{font-weight:600}tr[data-kind=honest] td{color:#9a4b12}
.swatch{display:inline-block;width:14px;height:0;border-top:3px solid var(--c);margin-right:.4rem;vertical-align:middle}.swatch.dashed{border-top-style:dashed}
.how{font-size:.8rem;color:var(--muted);margin:.3rem 0 .8rem;max-width:1040px}.note{font-size:.85rem}
.missing{color:var(--muted);font-style:italic}
.notes{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:.5rem 1.6rem;font-size:.85rem}
figure.figure{margin:0 0 .8rem}figure .title{font-weight:600;font-size:.9rem;margin:.6rem 0 .2rem}
.chart{min-height:60px}
.row{display:flex;gap:1.5rem;flex-wrap:wrap;align-items:flex-start}.row>figure{flex:0 1 auto;min-width:0;max-width:100%}.row>figure .how{width:0;min-width:100%}.row>div{flex:1 1 0;min-width:0}
.row.tables>div{flex:1 1 300px}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:.4rem 1.5rem}.fact h4{margin:.6rem 0 .1rem;font-size:.88rem}.fact .how{margin:.1rem 0}
.controls{display:flex;gap:1.2rem;align-items:center;margin:.4rem 0;font-size:.85rem;flex-wrap:wrap}
.controls select{font:inherit;padding:.1rem .3rem}#leaderboard-count{color:var(--muted)}
.table-scroll{max-height:560px;overflow:auto;border:1px solid var(--line);border-radius:6px}
table.leaderboard{margin:0;width:100%}table.leaderboard thead th{position:sticky;top:0;z-index:1}
table.leaderboard th button{all:unset;cursor:pointer}
table.leaderboard th button::after{content:" ↕";color:#8c959f;font-size:.75em}
table.leaderboard th[aria-sort=ascending] button::after{content:" ▲";color:var(--blue)}
table.leaderboard th[aria-sort=descending] button::after{content:" ▼";color:var(--blue)}
table.leaderboard tbody tr{cursor:pointer}table.leaderboard tbody tr:hover{background:#f3f8ff}
table.leaderboard tr.current{background:#ddf4ff!important}table.leaderboard tr.is-selected td:nth-child(2){font-weight:600}
table.leaderboard a{color:var(--blue);text-decoration:none}
.gate{display:inline-block;padding:0 .35rem;border-radius:4px;font-size:.72rem;font-weight:600}
.gate.pass{background:#dafbe1;color:#116329}.gate.fail{background:#ffebe9;color:#a40e26}.gate.error{background:#fff8c5;color:#7d4e00}
.failed-gates{color:#a40e26;font-size:.75rem}.near-gates{color:#7d4e00;font-size:.72rem}
table.leaderboard{font-size:.76rem}table.leaderboard td:last-child{min-width:12rem}
.badge{background:#ddf4ff;color:#0550ae;border-radius:4px;padding:0 .3rem;font-size:.7rem}
details{margin:.8rem 0;font-size:.85rem}summary{cursor:pointer;color:var(--muted)}
.vega-embed{max-width:100%}
@media print{nav.toc{display:none}.table-scroll{max-height:none}}
`;

/**
 * The tear sheet of one run folder as ONE self-contained HTML page: the data
 * and Vega-Lite specs inlined as JSON, vega, vega-lite and vega-embed's
 * browser builds inlined as scripts; no network, works from file://. The
 * same data give the same bytes.
 */
export function renderTearSheet(data: TearSheetData): string {
  const [before, after] = pageAround(data);
  return before + browserLibraries().text + after;
}

/** `renderTearSheet` as UTF-8 bytes. */
export function renderTearSheetBytes(data: TearSheetData): Buffer {
  const [before, after] = pageAround(data);
  // Each part ends or starts at an ASCII character: the parts' encodings concatenated are the page's.
  return Buffer.concat([Buffer.from(before, 'utf8'), browserLibraries().bytes, Buffer.from(after, 'utf8')]);
}

/** The page before and after the inlined libraries. */
function pageAround(data: TearSheetData): [string, string] {
  const specs = tearSheetSpecs(data);
  const candidates = {
    months: data.months,
    sleeves: data.sleeves,
    selected: data.selected.name,
    paths: data.candidatePaths,
  };
  const toc = [
    ['headline', 'Headline'],
    ['equity-section', 'Equity'],
    ['drawdown-section', 'Drawdowns'],
    ['weights-section', 'Weights'],
    ['calendar-section', 'Calendar'],
    ['rolling-section', 'Rolling'],
    ['distribution-section', 'Distribution'],
    ['leaderboard-section', 'Leaderboard'],
    ['overfitting-section', 'Overfitting'],
    ['manifest-section', 'Manifest'],
  ]
    .map(([id, t]) => `<a href="#${id}">${t}</a>`)
    .join('');
  return [
    `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Step 4 tear sheet: ${esc(data.selected.name)} (${esc(data.folder)})</title>
<style>${STYLE}</style>
</head><body data-charts="pending">
<nav class="toc">${toc}</nav>
<main>
${headline(data)}
${equitySection(data, specs)}
${drawdownSection(data)}
${weightsSection(data)}
${calendarSection()}
${rollingSection(specs)}
${distributionSection(data)}
${leaderboardSection(data, specs)}
${overfittingSection(data, specs)}
${manifestSection(data)}
</main>
<script type="application/json" id="tearsheet-specs">${scriptJson(specs)}</script>
<script type="application/json" id="tearsheet-candidates">${scriptJson(candidates)}</script>
`,
    `
<script>
${CLIENT_SCRIPT}</script>
</body></html>
`,
  ];
}
