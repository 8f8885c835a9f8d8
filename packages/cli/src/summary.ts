import {
  type CandidateConfig,
  type FamilyRegistry,
  type ObjectiveRun,
  type RunAllResult,
  describeSleeveCounts,
  dollars,
  supportedSleeves,
} from '@step4/core';
import type { OverfittingAnalysis } from '@step4/robustness';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const fixed = (x: number, d = 2) => x.toFixed(d);

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '))
    .join('\n');
}

function header(result: RunAllResult): string {
  const { panel, split } = result.prepared;
  const n = panel.monthEnds.length;
  const ok = result.evaluated.filter((c) => c.metrics).length;
  const failed = result.evaluated.length - ok;
  return (
    `${panel.names.length === 2 ? `Sleeves ${panel.names[0]} (A) and ${panel.names[1]} (B)` : `${panel.names.length} sleeves ${panel.names.join(', ')}`}: ${n} aligned months ${panel.monthEnds[0]} .. ${panel.monthEnds[n - 1]}, ` +
    `train to ${split.monthEnd}\n` +
    `${ok} candidates simulated${failed ? `, ${failed} failed (see the optimization report)` : ''}\n`
  );
}

function runRow(run: ObjectiveRun, analysis?: OverfittingAnalysis): string[] {
  const m = run.selected.candidate.metrics!;
  const a = analysis?.perObjective[run.objective];
  const dsr = analysis?.dsr.get(run.selected.candidate.config.name)?.deflatedSharpeRatio;
  return [
    run.objective,
    run.selected.candidate.config.name,
    fixed(run.selected.score, 1),
    run.selected.robustPass ? 'pass' : 'FAIL',
    dollars(m.test.end_equity),
    dollars(m.test.avg_monthly_pnl),
    pct(m.test.max_drawdown),
    fixed(m.test.calmar),
    // Two sleeves: the first sleeve's average weight; more: the sleeve with the largest one.
    m.avg_weights.length === 2 ? fixed(m.avg_weight_a) : topWeight(run),
    a ? fixed(a.honest.test.calmar) : '-',
    a ? fixed(a.pbo.pbo) : '-',
    dsr === undefined ? '-' : fixed(dsr),
  ];
}

/** `btc 0.41`: the sleeve the selected candidate holds most on average. */
function topWeight(run: ObjectiveRun): string {
  const m = run.selected.candidate.metrics!;
  const names = run.selected.candidate.path?.sleeveNames ?? [];
  let best = 0;
  m.avg_weights.forEach((w, s) => {
    if (w > m.avg_weights[best]) best = s;
  });
  return `${names[best] ?? best} ${fixed(m.avg_weights[best])}`;
}

const RUN_HEADER = [
  'objective',
  'selected',
  'score',
  'gate',
  'test end equity',
  'test avg pnl',
  'test maxDD',
  'test Calmar',
  'avg w A',
  'honest Calmar',
  'PBO',
  'DSR',
];

const HONEST_NOTE =
  'honest Calmar: test Calmar of choosing, each month, the best candidate by the months before it only, switching costs paid (the number to believe);\n' +
  "PBO: probability that the objective's own choice was overfit (test months); DSR: probability that the selected Sharpe ratio is real after the effective number of trials.";

/** The run-wide honest numbers under the table: trials, the SPA test, the risk-free rate. */
function honestLines(analysis?: OverfittingAnalysis): string[] {
  if (!analysis) return [];
  const t = analysis.trials;
  const lines = [
    `Trials:        ${t.raw} candidates, ${t.distinct} distinct paths, ${fixed(t.effective, 1)} effective (average correlation ${fixed(t.averageCorrelation)}; the DSR uses the effective count)`,
  ];
  const s = analysis.spa;
  if (s)
    lines.push(
      `SPA test:      p = ${fixed(s.pvalueConsistent)} (lower ${fixed(s.pvalueLower)}, Reality Check ${fixed(s.pvalueUpper)}) against equal weight on the test months; below 0.05 would mean some candidate really beats it`,
      `StepM (10%):   ${s.stepMSuperior.length === 0 ? 'no candidate can be shown to beat equal weight' : s.stepMSuperior.join(', ')}`,
    );
  const rf = analysis.riskFree;
  lines.push(
    `Risk-free:     ${rf.kind === 'constant' ? `${fixed(rf.annual * 100)}% a year` : `table ${rf.source}`} (Sharpe ratios, PSR and DSR are in excess of it)`,
  );
  return lines;
}

export function formatRunAllSummary(
  result: RunAllResult,
  outDir: string,
  analysis?: OverfittingAnalysis,
): string {
  const { promotion } = result;
  const runOf = (o: string) => result.runs.find((r) => r.objective === o)!;
  const promoted = runOf(promotion.promoted.objective);
  const lines = [
    header(result),
    table([RUN_HEADER, ...result.runs.map((r) => runRow(r, analysis))]),
    HONEST_NOTE,
    '',
    ...honestLines(analysis),
  ];
  lines.push(
    `Promoted:      ${promoted.selected.candidate.config.name} (objective ${promoted.objective}, promotion score ${fixed(promotion.promoted.score, 1)})`,
  );
  if ('objective' in promotion.dynamic) {
    const dyn = runOf(promotion.dynamic.objective);
    lines.push(
      `Dynamic run:   ${dyn.selected.candidate.config.name} (objective ${dyn.objective}, dynamic score ${fixed(promotion.dynamic.score, 1)})`,
    );
  } else {
    lines.push(`Dynamic run:   none: ${promotion.dynamic.none}`);
  }
  lines.push(`Outputs:       ${outDir}/final/ (run report: final/step4_run_report.json)`, '');
  return lines.join('\n');
}

export function formatOptimizeSummary(
  run: ObjectiveRun,
  result: RunAllResult,
  outDir: string,
  analysis?: OverfittingAnalysis,
): string {
  return [
    header(result),
    table([RUN_HEADER, runRow(run, analysis)]),
    HONEST_NOTE,
    '',
    ...honestLines(analysis),
    `Outputs:       ${outDir}/backtest/ and ${outDir}/optimization/`,
    '',
  ].join('\n');
}

export function formatFamilies(registry: FamilyRegistry, grid: readonly CandidateConfig[]): string {
  const lines: string[] = [];
  for (const { family, source } of registry.list()) {
    const mine = grid.filter((c) => c.method === family.meta.name);
    const sleeves = describeSleeveCounts(supportedSleeves(family));
    lines.push(
      `${family.meta.name} ${family.meta.version}  (${source}, ${mine.length} candidates, ${sleeves})`,
    );
    if (family.meta.description) lines.push(`  ${family.meta.description}`);
    for (const [k, p] of Object.entries(family.params)) {
      const range = `${p.min ?? '-inf'}..${p.max ?? 'inf'}`;
      const shown = p.type === 'string' ? JSON.stringify(p.default) : p.default;
      lines.push(
        `  param ${k} = ${shown} (${p.type}${p.type === 'string' ? '' : ` ${range}`}${p.optional ? ', optional' : ''}): ${p.description}`,
      );
    }
    lines.push(`  grid: ${mine.map((c) => c.name).join(', ')}`, '');
  }
  lines.push(`${grid.length} candidates in all`, '');
  return lines.join('\n');
}

export function formatCandidates(grid: readonly CandidateConfig[]): string {
  const keys = [
    'lookback',
    'dd_penalty',
    'static_w',
    'min_w',
    'max_w',
    'smoothing',
    'max_step',
    'gross_conf_scale',
    'max_gross',
    'target_vol',
  ];
  const rows = [
    ['candidate', 'family', ...keys],
    // Family parameters a family does not declare show as '-'.
    ...grid.map((c) => [c.name, c.method, ...keys.map((k) => (c[k] === undefined ? '-' : String(c[k])))]),
  ];
  return `${table(rows)}\n${grid.length} candidates\n`;
}
