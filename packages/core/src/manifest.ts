import type { ObjectiveRun } from './results.js';

/** Everything about a run that is not a result: options, inputs, versions. */
export interface RunManifest {
  readonly tool: { readonly name: string; readonly version: string };
  readonly startCapital: number;
  readonly trainRatio: number;
  readonly minHistoryMonths: number;
  readonly seed: number;
  readonly bootstrap: { readonly samples: number; readonly blockMonths: number; readonly method: string };
  readonly promoteDdCap: number;
  readonly sleeves: readonly { readonly name: string; readonly source: string; readonly sha256: string }[];
  readonly families: readonly { readonly name: string; readonly version: string; readonly source: string }[];
  readonly packages: Readonly<Record<string, string>>;
  /** ISO timestamp; the only field that differs between two identical runs. */
  readonly generatedAt: string;
  /** Options beyond the reference's (financing rate, optional gates, bootstrap method, ...). */
  readonly options?: Readonly<Record<string, unknown>>;
  /** Sections added beside the reference's keys (e.g. overfitting statistics). */
  readonly extras?: ReportExtras;
  /** The quick conformance check of each plugin family before the run (built-ins are checked by tests). */
  readonly pluginChecks?: readonly PluginCheckRecord[];
}

/** One plugin family's quick conformance check. */
export interface PluginCheckRecord {
  readonly family: string;
  readonly source: string;
  /** null when the check was skipped (`--no-plugin-check`). */
  readonly passed: boolean | null;
  readonly failedCheck?: string;
  readonly reason?: string;
}

/** Extra JSON sections; the reference's keys are never renamed, only added to. */
export interface ReportExtras {
  /** Added to an objective run's summary at the top level. */
  summary?(run: ObjectiveRun): Record<string, unknown>;
  /** Added to a candidate's entry (summary's selected_candidate and the optimization report). */
  candidate?(name: string): Record<string, unknown> | undefined;
  /** Added to the run report at the top level. */
  runReport?: Record<string, unknown>;
}
