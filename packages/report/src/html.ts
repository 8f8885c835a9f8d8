import type { ObjectiveRun, PerfMetrics, RunAllResult } from '@step4/core';

/**
 * `final/step4_report.html`: one self-contained page (no scripts, no
 * network) a portfolio manager can open or mail: the promoted and dynamic
 * runs, every objective's selection with its test numbers, the chart, and
 * every candidate's scores and gate results. Extra sections (e.g. the
 * overfitting statistics) come from the caller as rows of label and value.
 */
export interface HtmlReportInput {
  readonly result: RunAllResult;
  /** PNG bytes of the promoted run's chart, embedded as a data URL. */
  readonly chartPng?: Uint8Array;
  /** Per objective, extra columns for the runs table (label -> formatted value). */
  readonly runExtras?: (run: ObjectiveRun) => Readonly<Record<string, string>>;
  readonly toolVersion: string;
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const money = (x: number) =>
  `${x < 0 ? '-' : ''}$${Math.abs(x).toLocaleString('en-US', { maximumFractionDigits: 0 })}`;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const num = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '–');

/** Numbers (money, percentages, scores) align right; words left. */
const numeric = (cell: string) => /^(-?\$|-?\d|–$)/.test(cell);

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const tr = rows
    .map((r) => `<tr>${r.map((c) => `<td${numeric(c) ? ' class="n"' : ''}>${c}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

function perfCells(p: PerfMetrics): string[] {
  return [money(p.end_equity), pct(p.cagr), pct(p.max_drawdown), num(p.calmar), money(p.avg_monthly_pnl)];
}

export function htmlReport(input: HtmlReportInput): string {
  const { result } = input;
  const { panel, split } = result.prepared;
  const [a, b] = panel.names;
  const two = panel.names.length === 2;
  const p = result.promotion;
  const runOf = (o: string) => result.runs.find((r) => r.objective === o)!;
  const promoted = runOf(p.promoted.objective);
  const extrasHead = Object.keys(input.runExtras?.(result.runs[0]) ?? {});
  const runs = table(
    [
      'objective',
      'selected',
      'score',
      'gate',
      'test end equity',
      'test CAGR',
      'test max DD',
      'test Calmar',
      'test avg PnL',
      ...extrasHead,
    ],
    result.runs.map((r) => [
      esc(r.objective),
      esc(r.selected.candidate.config.name),
      num(r.selected.score, 1),
      r.selected.robustPass ? 'pass' : `fail (${esc(r.selected.failedGates.join(', '))})`,
      ...perfCells(r.selected.candidate.metrics!.test),
      ...extrasHead.map((k) => esc(input.runExtras?.(r)[k] ?? '')),
    ]),
  );
  const candidates = table(
    [
      'candidate',
      'family',
      ...result.runs.map((r) => `${r.objective} score`),
      'gates failed (return)',
      'test end equity',
      'test Calmar',
      two ? `avg weight ${a}` : `avg weights (${panel.names.join(' / ')})`,
    ],
    result.evaluated.map((c) => {
      if (!c.metrics)
        return [
          esc(c.config.name),
          esc(c.family.name),
          ...result.runs.map(() => '–'),
          `error: ${esc(c.error ?? '')}`,
          '–',
          '–',
          '–',
        ];
      const scores = result.runs.map((r) => {
        const s = r.scored.find((x) => x.candidate.config.name === c.config.name);
        return s ? num(s.score, 1) : '–';
      });
      const gates =
        result.runs[0].scored.find((x) => x.candidate.config.name === c.config.name)?.failedGates ?? [];
      return [
        esc(c.config.name),
        esc(`${c.family.name} ${c.family.version}`),
        ...scores,
        esc(gates.join(', ') || 'none'),
        money(c.metrics.test.end_equity),
        num(c.metrics.test.calmar),
        two ? num(c.metrics.avg_weight_a) : c.metrics.avg_weights.map((w) => num(w)).join(' / '),
      ];
    }),
  );
  const dyn =
    'objective' in p.dynamic
      ? `${esc(runOf(p.dynamic.objective).selected.candidate.config.name)} (objective ${esc(p.dynamic.objective)}, score ${num(p.dynamic.score, 1)})`
      : `none: ${esc(p.dynamic.none)}`;
  const chart = input.chartPng
    ? `<img alt="portfolio chart of the promoted run" src="data:image/png;base64,${Buffer.from(input.chartPng).toString('base64')}">`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Step 4 run report</title>
<style>
body{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1500px;color:#1f2328;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}th,td{border-bottom:1px solid #d0d7de;padding:.25rem .6rem;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f6f8fa}
img{max-width:100%;border:1px solid #d0d7de}.box{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:.8rem 1rem}
</style></head><body>
<h1>Step 4 run report</h1>
<div class="box">
<p>${two ? `Sleeves <b>${esc(a)}</b> (A) and <b>${esc(b)}</b> (B)` : `${panel.names.length} sleeves ${panel.names.map((s) => `<b>${esc(s)}</b>`).join(', ')}`}: ${panel.monthEnds.length} aligned months ${esc(panel.monthEnds[0])} .. ${esc(panel.monthEnds[panel.monthEnds.length - 1])}; train to ${esc(split.monthEnd)}, test after. ${result.evaluated.length} candidates.</p>
<p>Promoted: <b>${esc(promoted.selected.candidate.config.name)}</b> (objective ${esc(promoted.objective)}, promotion score ${num(p.promoted.score, 1)}).<br>Dynamic run: ${dyn}.</p>
<p>step4 ${esc(input.toolVersion)}. Test numbers of a selected candidate are optimistic: the selection saw the same months. See the selection-honest columns where present.</p>
</div>
<h2>Runs by objective</h2>
${runs}
<h2>Promoted run</h2>
${chart}
<h2>All candidates</h2>
${candidates}
</body></html>
`;
}
