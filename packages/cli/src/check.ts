import { type CandidateConfig, type FamilyRegistry, InputError } from '@step4/core';
import {
  CONFORMANCE_CHECKS,
  type ConformanceOptions,
  type ConformanceResult,
  type OtherCandidate,
  checkConformance,
  referencePanel,
  syntheticPanel,
  truncatePanel,
} from '@step4/core/testing';
import type { PluginCheckRecord } from '@step4/report';
import { builtinRegistry } from './builtin.js';
import { type LoadedConfig, gridFromConfig, loadConfig, registryFromConfig } from './config.js';

/**
 * `step4 check` and the quick plugin check of `run-all` / `optimize`: the
 * conformance kit of @step4/core on every configured family. Plugins are
 * trusted code; the kit catches the usual contract breaks (writes to inputs or
 * config, state kept between candidates, look-ahead), not deliberate deceit.
 */

export interface FamilyCheck {
  readonly family: string;
  readonly source: string;
  readonly builtin: boolean;
  readonly result: ConformanceResult;
}

/**
 * The full check: the family's configured candidates on the embedded data, a
 * seeded synthetic panel, and a four-sleeve one (skipped for two-sleeve families).
 * Built when a check runs, not when a command loads this module.
 */
const full = (): ConformanceOptions => ({
  panels: [
    referencePanel(),
    syntheticPanel({ months: 96, seed: 7 }),
    syntheticPanel({ months: 72, seed: 7, sleeves: 4 }),
  ],
  // A spread of the grid (first and last included): the checks are per candidate, and ML grids are costly.
  maxCandidates: 4,
});

/** The quick check before a run: a few candidates, shorter panels, fewer cuts (a few seconds at most). */
const quick = (): ConformanceOptions => ({
  panels: [truncatePanel(referencePanel(), 72), syntheticPanel({ months: 60, seed: 7 })],
  maxCandidates: 2,
  cuts: 2,
  stepwiseMonths: 4,
});

function builtinKeys(loaded: LoadedConfig): Set<string> {
  if (!loaded.config.builtins) return new Set();
  return new Set(
    builtinRegistry()
      .list()
      .map((r) => `${r.family.meta.name}\0${r.source}`),
  );
}

/** Run the kit on the registered families (all, or those `include` keeps), in registration order. */
export async function checkFamilies(
  registry: FamilyRegistry,
  loaded: LoadedConfig,
  opts: { quick?: boolean; seed?: number; include?: (c: { builtin: boolean }) => boolean } = {},
): Promise<FamilyCheck[]> {
  const builtins = builtinKeys(loaded);
  const grid = gridFromConfig(registry, loaded);
  const out: FamilyCheck[] = [];
  const list = registry.list();
  for (const { family, source } of list) {
    const builtin = builtins.has(`${family.meta.name}\0${source}`);
    if (opts.include && !opts.include({ builtin })) continue;
    const configured = grid.filter((c) => c.method === family.meta.name);
    // Families from the same module share its top-level state: run them before this one's candidates.
    const others: OtherCandidate[] = list
      .filter((r) => r.source === source && r.family !== family)
      .slice(0, 2)
      .flatMap((r) => {
        const first: CandidateConfig | undefined = grid.find((c) => c.method === r.family.meta.name);
        return first ? [{ family: r.family, config: first }] : [];
      });
    const result = await checkConformance(family, {
      ...(opts.quick ? quick() : full()),
      configs: configured.length > 0 ? configured : undefined,
      seed: opts.seed,
      others: others.length > 0 ? others : undefined,
    });
    out.push({ family: family.meta.name, source, builtin, result });
  }
  return out;
}

function failureWhere(r: ConformanceResult): string {
  const f = r.failure;
  if (!f) return '';
  return [f.candidate, f.month].filter(Boolean).join(' / ');
}

/** One line naming a failed family, its check and why. */
export function failureLine(c: FamilyCheck): string {
  const f = c.result.failure!;
  const where = failureWhere(c.result);
  return `family ${c.family} (${c.source}) failed the ${f.check} check${where ? ` at ${where}` : ''}: ${f.detail}`;
}

/** The table of `step4 check`: one row per family and check. */
export function formatCheckTable(checks: readonly FamilyCheck[]): string {
  const rows: string[][] = [['family', 'check', 'result', 'first failure (candidate / month)']];
  for (const c of checks) {
    const failed = c.result.failure?.check;
    const ran = new Set(c.result.checks.map((x) => x.check));
    for (const check of CONFORMANCE_CHECKS) {
      // The kit stops at the first failure; a check that does not apply (stepwise for a
      // family without decidePath) never runs.
      const result =
        check === failed ? 'FAIL' : ran.has(check) ? 'pass' : c.result.passed ? 'n/a' : 'not run';
      rows.push([c.family, check, result, check === failed ? failureWhere(c.result) : '']);
    }
  }
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  const lines = rows.map((r) =>
    r
      .map((cell, j) => cell.padEnd(widths[j]))
      .join('  ')
      .trimEnd(),
  );
  const failed = checks.filter((c) => !c.result.passed);
  const summary =
    failed.length === 0
      ? `all ${checks.length} families pass`
      : failed.map((c) => `FAILED: ${failureLine(c)}`).join('\n');
  return `${lines.join('\n')}\n\n${summary}\n`;
}

/** Machine output of `step4 check --json` (snake_case keys like every other document). */
export function checkJson(checks: readonly FamilyCheck[]): Record<string, unknown> {
  return {
    passed: checks.every((c) => c.result.passed),
    families: checks.map((c) => ({
      family: c.family,
      source: c.source,
      builtin: c.builtin,
      passed: c.result.passed,
      checks_passed: [...new Set(c.result.checks.map((x) => x.check))],
      failure: c.result.failure
        ? {
            check: c.result.failure.check,
            candidate: c.result.failure.candidate ?? null,
            month: c.result.failure.month ?? null,
            panel: c.result.failure.panel ?? null,
            reason: c.result.failure.detail,
          }
        : null,
    })),
  };
}

/** Thrown when a family fails: the CLI prints the message (one line) and exits with code 2. */
export function checkFailure(checks: readonly FamilyCheck[], hint = ''): InputError | undefined {
  const failed = checks.filter((c) => !c.result.passed);
  if (failed.length === 0) return undefined;
  return new InputError(`conformance check failed: ${failed.map(failureLine).join('; ')}${hint}`);
}

/**
 * The quick check of every plugin family before a run: refuses a failing
 * family (InputError, exit code 2) and returns the manifest's records.
 * `enabled: false` (`--no-plugin-check`) records the plugins as not checked.
 */
export async function quickPluginCheck(
  registry: FamilyRegistry,
  loaded: LoadedConfig,
  enabled: boolean,
  seed?: number,
): Promise<PluginCheckRecord[]> {
  // Only plugin families are checked: a config without plugins has none (and nothing to record).
  if (loaded.config.plugins.length === 0) return [];
  if (!enabled) {
    const builtins = builtinKeys(loaded);
    return registry
      .list()
      .filter((r) => !builtins.has(`${r.family.meta.name}\0${r.source}`))
      .map((r) => ({
        family: r.family.meta.name,
        source: r.source,
        passed: null,
        reason: 'not checked (--no-plugin-check)',
      }));
  }
  const checks = await checkFamilies(registry, loaded, { quick: true, seed, include: (c) => !c.builtin });
  const failure = checkFailure(
    checks,
    ' (run `step4 check` for details; --no-plugin-check skips this check)',
  );
  if (failure) throw failure;
  return checks.map((c) => ({ family: c.family, source: c.source, passed: true }));
}

/** `step4 check`: the table (or JSON) on stdout; a failure is one line on stderr and exit code 2. */
export async function checkCommand(o: { config?: string; json?: boolean; quick?: boolean }): Promise<void> {
  const loaded = await loadConfig(o.config);
  const registry = await registryFromConfig(loaded);
  const checks = await checkFamilies(registry, loaded, { quick: o.quick === true });
  const { stableJson } = await import('@step4/report');
  process.stdout.write(o.json ? stableJson(checkJson(checks)) : formatCheckTable(checks));
  const failure = checkFailure(checks);
  if (failure) throw failure;
}
