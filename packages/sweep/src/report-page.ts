import { scriptJson } from '@step4/report';
import { LEADERBOARD_COLUMNS, type LeaderboardRow } from './leaderboard.js';

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const SHOWN = [
  'cell',
  'universe',
  'options',
  'objective',
  'status',
  'selected_candidate',
  'score',
  'robust_pass',
  'promoted',
  'test_end_equity',
  'test_cagr',
  'test_max_drawdown',
  'test_calmar',
  'honest_test_cagr',
  'honest_test_calmar',
  'pbo',
  'dsr',
  'spa_pvalue_consistent',
  'error',
];

export interface SweepReportInput {
  /** How the sweep file is named on the page. */
  readonly sweepFile: string;
  readonly rows: readonly LeaderboardRow[];
  readonly cells: number;
  readonly failedCells: number;
}

/**
 * `sweep_report.html`: one self-contained page in the style of the run's tear
 * sheet: the headline (cells, failures, the best universe per objective by
 * test Calmar beside its selection-honest Calmar, PBO and DSR) and the whole
 * leaderboard, sortable and filterable by objective and status. No network, no time stamp.
 */
export function renderSweepReport(input: SweepReportInput): string {
  const best = new Map<string, LeaderboardRow>();
  for (const r of input.rows) {
    if (r.status !== 'ok' || typeof r.test_calmar !== 'number') continue;
    const cur = best.get(String(r.objective));
    if (!cur || (r.test_calmar as number) > (cur.test_calmar as number)) best.set(String(r.objective), r);
  }
  const fmt = (v: unknown) =>
    typeof v === 'number'
      ? Number.isInteger(v)
        ? String(v)
        : v.toFixed(4)
      : v === null || v === undefined
        ? ''
        : String(v);
  const bestRows = [...best.entries()]
    .map(
      ([objective, r]) =>
        `<tr><td>${escapeHtml(objective)}</td><td>${escapeHtml(String(r.universe))}</td><td><code>${escapeHtml(String(r.options))}</code></td><td>${escapeHtml(String(r.selected_candidate))}</td><td>${fmt(r.test_calmar)}</td><td>${fmt(r.honest_test_calmar)}</td><td>${fmt(r.pbo)}</td><td>${fmt(r.dsr)}</td></tr>`,
    )
    .join('');
  const columns = SHOWN.filter((c) => LEADERBOARD_COLUMNS.some(([n]) => n === c));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>step4 sweep: ${escapeHtml(input.sweepFile)}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2933;background:#f7f8fa}
header{background:#1f2933;color:#fff;padding:18px 28px}header h1{margin:0;font-size:20px}header p{margin:6px 0 0;color:#cbd2d9}
main{padding:18px 28px}section{background:#fff;border:1px solid #e4e7eb;border-radius:8px;padding:16px;margin-bottom:18px}
h2{font-size:16px;margin:0 0 4px}.how{color:#616e7c;font-size:13px;margin:0 0 10px}
.kpis{display:flex;gap:14px;flex-wrap:wrap}.kpi{border:1px solid #e4e7eb;border-radius:6px;padding:8px 14px}.kpi b{display:block;font-size:20px}
table{border-collapse:collapse;font-size:12px;width:100%}th,td{border-bottom:1px solid #eef0f2;padding:4px 6px;text-align:left;white-space:nowrap}
th{cursor:pointer;background:#f0f2f5;position:sticky;top:0}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.failed td{color:#b42318}.scroll{max-height:70vh;overflow:auto}code{font-size:11px}
</style></head><body>
<header><h1>step4 sweep</h1><p>${escapeHtml(input.sweepFile)}: ${input.cells} cells, ${input.rows.length} leaderboard rows</p></header>
<main>
<section><h2>Headline</h2><p class="how">How many cells ran, and which failed (their error is in the leaderboard).</p>
<div class="kpis"><div class="kpi">cells<b>${input.cells}</b></div><div class="kpi">finished<b>${input.cells - input.failedCells}</b></div><div class="kpi">failed<b>${input.failedCells}</b></div></div></section>
<section><h2>Best cell per objective</h2><p class="how">The cell whose selected candidate has the highest test Calmar ratio, beside what running the search live would have earned (selection-honest Calmar), the PBO and the DSR: a large gap, a PBO above 0.5 or a low DSR mean the best cell is likely luck.</p>
<table><thead><tr><th>objective</th><th>universe</th><th>options</th><th>selected</th><th>test Calmar</th><th>honest Calmar</th><th>PBO</th><th>DSR</th></tr></thead><tbody>${bestRows}</tbody></table></section>
<section><h2>Leaderboard</h2><p class="how">One row per cell and objective (leaderboard.parquet has every column). Click a header to sort; filter by objective and status.</p>
<p><label>objective <select id="fo"><option value="">all</option></select></label> <label>status <select id="fs"><option value="">all</option><option>ok</option><option>failed</option></select></label></p>
<div class="scroll"><table id="lb"><thead><tr></tr></thead><tbody></tbody></table></div></section>
</main>
<script>
const rows=${scriptJson(input.rows)};const cols=${scriptJson(columns)};
const fo=document.getElementById('fo');for(const o of [...new Set(rows.map(r=>r.objective))]){const e=document.createElement('option');e.textContent=o;fo.append(e);}
let key='cell',dir=1;const head=document.querySelector('#lb thead tr');
for(const c of cols){const th=document.createElement('th');th.textContent=c;th.onclick=()=>{dir=key===c?-dir:1;key=c;draw();};head.append(th);}
function fmt(v){return typeof v==='number'?(Number.isInteger(v)?String(v):v.toFixed(4)):v===null?'':String(v);}
function draw(){const body=document.querySelector('#lb tbody');body.textContent='';
const sel=rows.filter(r=>(!fo.value||r.objective===fo.value)&&(!fs.value||r.status===document.getElementById('fs').value));
sel.sort((a,b)=>{const x=a[key],y=b[key];if(x===y)return 0;if(x===null)return 1;if(y===null)return -1;return (x<y?-1:1)*dir;});
for(const r of sel){const tr=document.createElement('tr');if(r.status==='failed')tr.className='failed';
for(const c of cols){const td=document.createElement('td');td.textContent=fmt(r[c]);if(typeof r[c]==='number')td.className='num';tr.append(td);}body.append(tr);}}
const fs=document.getElementById('fs');fo.onchange=draw;fs.onchange=draw;draw();
</script></body></html>
`;
}
