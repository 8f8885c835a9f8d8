import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { CandidateConfig, FamilyRegistry, SleeveUniverse } from '@step4/core';
import { DEFAULT_ENGINE_OPTIONS } from '@step4/engine';
import type { SweepFile, SweepOptionSet } from './config.js';

/** One sleeve of a cell: its name and its table's content hash (tables travel by hash, not by path). */
export interface CellSleeve {
  readonly name: string;
  readonly sha256: string;
  /** How outputs name the table (its path or `embedded:<file>`); not part of the cell's hash. */
  readonly label: string;
}

/**
 * One cell as data (what a queue job carries): one universe, one option set,
 * the resolved grid, the families and package versions it was hashed with.
 */
export interface CellSpec {
  readonly hash: string;
  readonly sleeves: readonly CellSleeve[];
  /** The options as given (base options merged with the variant), costs included. */
  readonly options: SweepOptionSet;
  /** The resolved grid, costs applied to every candidate. */
  readonly grid: readonly CandidateConfig[];
  /** Families the grid uses, with their versions. */
  readonly families: readonly { readonly name: string; readonly version: string }[];
  /** Versions of the packages that compute a cell. */
  readonly packages: Readonly<Record<string, string>>;
}

/** A cell in a sweep: its spec and where it sits in the sweep file's expansion. */
export interface SweepCell {
  /** Position in the expansion (universe-major, then variants). */
  readonly index: number;
  readonly variantIndex: number;
  readonly spec: CellSpec;
}

/** JSON with object keys sorted at every level: one text for one value. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v as object)
            .sort()
            .map((k) => [k, (v as Record<string, unknown>)[k]]),
        )
      : v,
  );
}

export function sha256Text(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Every option with the engine's defaults filled in, so `{}` and `{ seed: 42 }` are one cell. */
export function resolvedOptions(options: SweepOptionSet): Record<string, unknown> {
  const out: Record<string, unknown> = { ...DEFAULT_ENGINE_OPTIONS };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) out[k] = v;
  return out;
}

/**
 * The cell's content address: sha256 of the canonical JSON of the sleeve
 * tables' content hashes with their names (in universe order), the resolved
 * options, the resolved grid, the families and the package versions.
 */
export function cellHash(spec: Omit<CellSpec, 'hash'>): string {
  return sha256Text(
    canonicalJson({
      format: 'step4-sweep-cell/1',
      sleeves: spec.sleeves.map((s) => ({ name: s.name, sha256: s.sha256 })),
      options: resolvedOptions(spec.options),
      grid: spec.grid,
      families: spec.families,
      packages: spec.packages,
    }),
  );
}

const require = createRequire(import.meta.url);

function versionOf(name: string, from = require): string {
  try {
    return (JSON.parse(readFileSync(from.resolve(`${name}/package.json`), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
}

let cachedVersions: Record<string, string> | undefined;

/** Versions of the packages that compute a cell (this one, the engine and what it runs on). */
export function packageVersions(): Record<string, string> {
  if (cachedVersions) return cachedVersions;
  const own = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    name: string;
    version: string;
  };
  const engine = createRequire(require.resolve('@step4/engine/package.json'));
  cachedVersions = {
    [own.name]: own.version,
    '@step4/core': versionOf('@step4/core'),
    '@step4/engine': versionOf('@step4/engine'),
    '@step4/report': versionOf('@step4/report'),
    '@step4/robustness': versionOf('@step4/robustness', engine),
  };
  return cachedVersions;
}

/** Every subset of `names` of `k` elements, in library order (lexicographic by position). */
export function subsets<T>(names: readonly T[], k: number): T[][] {
  const out: T[][] = [];
  const pick: number[] = [];
  const rec = (start: number) => {
    if (pick.length === k) {
      out.push(pick.map((i) => names[i]));
      return;
    }
    for (let i = start; i <= names.length - (k - pick.length); i++) {
      pick.push(i);
      rec(i + 1);
      pick.pop();
    }
  };
  rec(0);
  return out;
}

/** The universes of a sweep, in order: explicit lists as given, or subsets by size, smallest first. */
export function expandUniverses(sweep: Pick<SweepFile, 'sleeves' | 'universes'>): string[][] {
  const u = sweep.universes;
  if (Array.isArray(u)) return u.map((l) => [...l]);
  const names = Object.keys(sweep.sleeves);
  const out: string[][] = [];
  for (let k = u.minSize; k <= (u.maxSize ?? u.minSize); k++) out.push(...subsets(names, k));
  return out;
}

/** The option sets of a sweep: the base options merged with each element of the product of the axes (first axis slowest). */
export function expandVariants(sweep: Pick<SweepFile, 'options' | 'variants'>): SweepOptionSet[] {
  let sets: SweepOptionSet[] = [{ ...sweep.options }];
  for (const axis of sweep.variants) {
    let values: SweepOptionSet[];
    if (Array.isArray(axis)) values = axis;
    else {
      // A product over the axis's keys, in their order.
      values = [{}];
      for (const [key, list] of Object.entries(axis))
        values = values.flatMap((v) => (list as unknown[]).map((x) => ({ ...v, [key]: x })));
    }
    sets = sets.flatMap((s) => values.map((v) => ({ ...s, ...v })));
  }
  return sets;
}

/** The engine options of an option set (the costs removed: they go into the grid). */
export function engineOptionsOf(options: SweepOptionSet): Record<string, unknown> {
  const { turn_cost_bps: _t, gross_cost_bps: _g, ...engine } = options;
  return engine;
}

/** The grid with a cost variant applied to every candidate. */
export function withCosts(grid: readonly CandidateConfig[], options: SweepOptionSet): CandidateConfig[] {
  const costs: Record<string, number> = {};
  if (options.turn_cost_bps !== undefined) costs.turn_cost_bps = options.turn_cost_bps;
  if (options.gross_cost_bps !== undefined) costs.gross_cost_bps = options.gross_cost_bps;
  return grid.map((c) => ({ ...c, ...costs }) as CandidateConfig);
}

/** Builds each universe's grid (the run config's, with its changes). */
export type GridFor = (registry: FamilyRegistry, universe: SleeveUniverse) => CandidateConfig[];

/**
 * The cells of a sweep, in the order of its expansion (universe-major, then
 * variants). `tables` gives each library sleeve's content hash and label.
 */
export function expandCells(
  sweep: SweepFile,
  tables: ReadonlyMap<string, { sha256: string; label: string }>,
  registry: FamilyRegistry,
  gridFor: GridFor,
  packages: Readonly<Record<string, string>> = packageVersions(),
): SweepCell[] {
  const universes = expandUniverses(sweep);
  const variants = expandVariants(sweep);
  const versions = new Map(registry.list().map(({ family }) => [family.meta.name, family.meta.version]));
  const cells: SweepCell[] = [];
  for (const universe of universes) {
    const baseGrid = gridFor(registry, { names: universe });
    const methods = [...new Set(baseGrid.map((c) => c.method))];
    const families = methods.map((name) => ({ name, version: versions.get(name) ?? 'unknown' }));
    const sleeves = universe.map((name) => ({ name, ...tables.get(name)! }));
    variants.forEach((options, variantIndex) => {
      const body = { sleeves, options, grid: withCosts(baseGrid, options), families, packages };
      cells.push({
        index: cells.length,
        variantIndex,
        spec: { hash: cellHash(body), ...body },
      });
    });
  }
  return cells;
}
