import type { CandidateConfig, CandidateFamily, Decision } from '../contract.js';
import { buildFeatureTable } from '../features.js';
import { decisionContext, familyDecisions, walkForwardSteps } from '../harness.js';
import type { SleevePanel } from '../panel.js';
import { validateCandidate } from '../registry.js';
import { referencePanel } from './reference-panel.js';
import { syntheticPanel } from './synthetic.js';

/** A conformance check failed; the message names family, candidate, check and month. */
export class ConformanceError extends Error {
  override readonly name = 'ConformanceError';
}

export interface ConformanceOptions {
  /** Candidates to check (default: the family's whole default grid). */
  readonly configs?: readonly CandidateConfig[];
  /** Panels to run on (default: the embedded real sleeves and two seeded synthetic panels). */
  readonly panels?: readonly SleevePanel[];
  /** Rows of Z before the first decision (default 24). */
  readonly minHistory?: number;
  /** Seed handed to the family (default 42). */
  readonly seed?: number;
  /** How many cut months to perturb at, spread over the walk-forward range (default 4). */
  readonly cuts?: number;
  /**
   * How many months (spread over the range, first and last included) to
   * re-decide one at a time with `decide` when the family also has
   * `decidePath` (default 12; Infinity checks every month).
   */
  readonly stepwiseMonths?: number;
}

export interface ConformanceCheck {
  readonly check:
    | 'valid-outputs'
    | 'determinism'
    | 'no-look-ahead'
    | 'prefix-invariance'
    | 'batched-equals-stepwise';
  readonly candidate: string;
  readonly panel: string;
}

export interface ConformanceReport {
  readonly family: string;
  readonly checks: readonly ConformanceCheck[];
}

interface Decided {
  readonly months: readonly string[];
  readonly decisions: readonly Decision[];
}

async function decide(
  family: CandidateFamily,
  config: CandidateConfig,
  panel: SleevePanel,
  minHistory: number,
  seed: number,
): Promise<Decided> {
  const table = buildFeatureTable(panel);
  const steps = walkForwardSteps(table, minHistory);
  return {
    months: steps.map((i) => table.monthEnds[i]),
    decisions: await familyDecisions(family, config, table, { minHistory, seed }),
  };
}

function same(a: Decision, b: Decision): boolean {
  return Object.is(a.wRaw, b.wRaw) && Object.is(a.conf, b.conf);
}

/** Panel whose returns from aligned index `cut` on are replaced by other (seeded, plausible) values. */
export function poisonFuture(panel: SleevePanel, cut: number, seed: number): SleevePanel {
  const retA = panel.retA.slice();
  const retB = panel.retB.slice();
  let x = (seed ^ 0x5bd1e995) >>> 0;
  const rand = () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 0x100000000;
  };
  for (let t = cut; t < retA.length; t++) {
    retA[t] = rand() * 1.6 - 0.6;
    retB[t] = rand() * 3 - 0.9;
  }
  return { ...panel, retA, retB };
}

/** The panel cut after aligned index `cut` (exclusive end). */
export function truncatePanel(panel: SleevePanel, end: number): SleevePanel {
  return {
    ...panel,
    monthEnds: panel.monthEnds.slice(0, end),
    retA: panel.retA.slice(0, end),
    retB: panel.retB.slice(0, end),
  };
}

function fail(family: string, config: string, panel: string, check: string, detail: string): never {
  throw new ConformanceError(
    `family ${family}, candidate ${config}, panel ${panel}: ${check} failed: ${detail}`,
  );
}

/**
 * Run the conformance kit on a family. Rejects with a `ConformanceError` at the
 * first violation; resolves to the list of checks that passed.
 *
 * - valid-outputs: every decision has a finite w_raw and conf in [0, 1].
 * - determinism: the same inputs and seed give bit-identical decisions.
 * - no-look-ahead (future poisoning): returns from month t on are replaced;
 *   every decision for months up to and including t must stay bit-identical
 *   (month t's decision may only read data before t).
 * - prefix-invariance: with the data ending at month t, the decisions up to t
 *   are bit-identical to those made with the full data.
 * - batched-equals-stepwise: a family with `decidePath` gives exactly what
 *   `decide` gives month by month.
 */
export async function runConformance(
  family: CandidateFamily,
  options: ConformanceOptions = {},
): Promise<ConformanceReport> {
  const name = family.meta.name;
  const minHistory = options.minHistory ?? 24;
  const seed = options.seed ?? 42;
  const cuts = options.cuts ?? 4;
  const configs = options.configs ?? family.defaultGrid();
  const panels = options.panels ?? [
    referencePanel(),
    syntheticPanel({ months: 96, seed: 7 }),
    syntheticPanel({ months: 72, seed: 1234, crashMonths: 3 }),
  ];
  if (configs.length === 0)
    throw new ConformanceError(`family ${name}: no candidates to check (empty default grid)`);
  const checks: ConformanceCheck[] = [];

  for (const [p, panel] of panels.entries()) {
    const panelName = `#${p} (${panel.monthEnds.length} months from ${panel.monthEnds[0]})`;
    for (const config of configs) {
      validateCandidate(config, family);
      const c = config.name;
      const base = await decide(family, config, panel, minHistory, seed);
      base.decisions.forEach((d, k) => {
        if (!Number.isFinite(d?.wRaw) || !(d.conf >= 0 && d.conf <= 1)) {
          fail(
            name,
            c,
            panelName,
            'valid-outputs',
            `month ${base.months[k]}: w_raw ${d?.wRaw}, conf ${d?.conf}`,
          );
        }
      });
      checks.push({ check: 'valid-outputs', candidate: c, panel: panelName });

      const again = await decide(family, config, panel, minHistory, seed);
      base.decisions.forEach((d, k) => {
        if (!same(d, again.decisions[k])) {
          fail(
            name,
            c,
            panelName,
            'determinism',
            `month ${base.months[k]}: ${JSON.stringify(d)} then ${JSON.stringify(again.decisions[k])}`,
          );
        }
      });
      checks.push({ check: 'determinism', candidate: c, panel: panelName });

      if (family.decidePath) {
        const table = buildFeatureTable(panel);
        const allSteps = walkForwardSteps(table, minHistory);
        for (const k of spread(allSteps.length, options.stepwiseMonths ?? 12)) {
          const i = allSteps[k];
          const stepwise = await family.decide(decisionContext(table, i, seed), config);
          if (!same(stepwise, base.decisions[k])) {
            fail(
              name,
              c,
              panelName,
              'batched-equals-stepwise',
              `month ${table.monthEnds[i]}: decidePath ${JSON.stringify(base.decisions[k])}, decide ${JSON.stringify(stepwise)}`,
            );
          }
        }
        checks.push({ check: 'batched-equals-stepwise', candidate: c, panel: panelName });
      }

      // Cut months spread over the walk-forward range (by aligned index).
      const firstIdx = panel.monthEnds.indexOf(base.months[0]);
      const lastIdx = panel.monthEnds.length - 1;
      for (let j = 0; j < cuts && base.months.length > 1; j++) {
        const cut = firstIdx + Math.floor(((j + 0.5) * (lastIdx - firstIdx)) / cuts);
        const cutMonth = panel.monthEnds[cut];
        const poisoned = await decide(family, config, poisonFuture(panel, cut, seed + j), minHistory, seed);
        compareUpTo(base, poisoned, cutMonth, (month, a, b) =>
          fail(
            name,
            c,
            panelName,
            'no-look-ahead',
            `returns from ${cutMonth} on were changed and the decision for ${month} moved: ${JSON.stringify(a)} -> ${JSON.stringify(b)}`,
          ),
        );
        const prefix = await decide(family, config, truncatePanel(panel, cut + 1), minHistory, seed);
        compareUpTo(base, prefix, cutMonth, (month, a, b) =>
          fail(
            name,
            c,
            panelName,
            'prefix-invariance',
            `with data ending ${cutMonth} the decision for ${month} is ${JSON.stringify(b)}, with full data ${JSON.stringify(a)}`,
          ),
        );
      }
      checks.push({ check: 'no-look-ahead', candidate: c, panel: panelName });
      checks.push({ check: 'prefix-invariance', candidate: c, panel: panelName });
    }
  }
  return { family: name, checks };
}

function compareUpTo(
  base: Decided,
  other: Decided,
  lastMonth: string,
  onDiff: (month: string, a: Decision, b: Decision | undefined) => void,
): void {
  for (let k = 0; k < base.months.length && base.months[k] <= lastMonth; k++) {
    const b = other.months[k] === base.months[k] ? other.decisions[k] : undefined;
    if (!b || !same(base.decisions[k], b)) onDiff(base.months[k], base.decisions[k], b);
  }
}

/** Up to `count` indices in [0, n), evenly spread, first and last included. */
function spread(n: number, count: number): number[] {
  if (count >= n) return Array.from({ length: n }, (_, k) => k);
  if (count <= 1) return n > 0 ? [n - 1] : [];
  const out = new Set<number>();
  for (let j = 0; j < count; j++) out.add(Math.round((j * (n - 1)) / (count - 1)));
  return [...out];
}
