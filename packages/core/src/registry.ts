import { createRequire } from 'node:module';
import {
  type CandidateConfig,
  type CandidateFamily,
  DEFAULT_DECISION_COST,
  DEFAULT_POSITION,
  type DecisionShape,
  isDecisionCostHint,
  SUPPORTED_CORE_APIS,
  type SleeveUniverse,
  checkParamValue,
  describeSleeveCounts,
  supportedSleeves,
  supportsSleeveCount,
  validateCandidate,
} from './contract.js';
import { InputError } from './errors.js';

export { validateCandidate };

// Named in the refusal of an incompatible family, so the user sees which core they have.
const CORE_PACKAGE_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string })
  .version;

/** A registered family and where it came from (package name or path). */
export interface RegisteredFamily {
  readonly family: CandidateFamily;
  readonly source: string;
}

/** Checks that a value has the shape of a `CandidateFamily`; throws naming what is wrong. */
export function assertFamily(value: unknown, source: string): asserts value is CandidateFamily {
  const f = value as Partial<CandidateFamily> | null;
  const where = `family from ${source}`;
  if (!f || typeof f !== 'object')
    throw new InputError(`${where}: expected an object made by defineFamily(), got ${typeof value}`);
  if (!f.meta || typeof f.meta.name !== 'string' || !/^[a-z][a-z0-9_]*$/.test(f.meta.name)) {
    throw new InputError(
      `${where}: meta.name must be a lower-case identifier (a-z, 0-9, _), got ${JSON.stringify(f.meta?.name)}`,
    );
  }
  const name = f.meta.name;
  if (typeof f.meta.version !== 'string' || f.meta.version.length === 0) {
    throw new InputError(`${where}: family ${name}: meta.version must be a non-empty string`);
  }
  if (!SUPPORTED_CORE_APIS.includes(f.meta.coreApi as number)) {
    throw new InputError(
      `${where}: family ${name} targets core API ${JSON.stringify(f.meta.coreApi)}; this @step4/core ${CORE_PACKAGE_VERSION} supports API ${SUPPORTED_CORE_APIS.join(', ')}`,
    );
  }
  if (typeof f.decide !== 'function')
    throw new InputError(`${where}: family ${name}: decide must be a function`);
  if (typeof f.defaultGrid !== 'function')
    throw new InputError(`${where}: family ${name}: defaultGrid must be a function`);
  if (!f.params || typeof f.params !== 'object')
    throw new InputError(`${where}: family ${name}: params must be an object`);
  if (f.sleeves !== undefined) {
    const c = f.sleeves as { min?: unknown; max?: unknown };
    const ok =
      c !== null &&
      typeof c === 'object' &&
      Number.isInteger(c.min) &&
      (c.min as number) >= 2 &&
      (c.max === undefined || (Number.isInteger(c.max) && (c.max as number) >= (c.min as number)));
    if (!ok) {
      throw new InputError(
        `${where}: family ${name}: sleeves must be { min, max? } with integers 2 <= min <= max, got ${JSON.stringify(f.sleeves)}`,
      );
    }
  }
  for (const [key, spec] of Object.entries(f.params)) {
    const at = `${where}: family ${name}: params.${key}`;
    if (key === 'name' || key === 'method' || key in DEFAULT_POSITION)
      throw new InputError(`${at}: ${key} is a field of every candidate, not a family parameter`);
    if (!spec || !['number', 'integer', 'enum', 'boolean', 'string'].includes(spec.type))
      throw new InputError(`${at}: type must be number, integer, enum, boolean or string`);
    if (spec.type === 'string' && spec.pattern !== undefined) {
      try {
        new RegExp(spec.pattern);
      } catch {
        throw new InputError(`${at}: pattern is not a regular expression: ${JSON.stringify(spec.pattern)}`);
      }
    }
    if (spec.type === 'enum' && (!Array.isArray(spec.values) || spec.values.length === 0))
      throw new InputError(`${at}: an enum needs a non-empty values list`);
    // A default outside its own spec would make every default candidate invalid.
    checkParamValue(`${at} default`, key, spec.default, spec);
  }
}

/** The families a run can use. Filled by the CLI or a library user; core never lists families itself. */
export class FamilyRegistry {
  readonly #families = new Map<string, RegisteredFamily>();

  register(family: CandidateFamily, source = family.meta?.name ?? 'unknown'): this {
    assertFamily(family, source);
    const existing = this.#families.get(family.meta.name);
    if (existing) {
      throw new InputError(
        `family ${family.meta.name} from ${source} is already registered (from ${existing.source})`,
      );
    }
    this.#families.set(family.meta.name, { family, source });
    return this;
  }

  get(name: string): CandidateFamily | undefined {
    return this.#families.get(name)?.family;
  }

  require(name: string, candidate?: string): CandidateFamily {
    const f = this.get(name);
    if (!f) {
      const known = [...this.#families.keys()].join(', ');
      throw new InputError(
        `${candidate ? `candidate ${candidate}: ` : ''}no family named ${name} is registered (known: ${known})`,
      );
    }
    return f;
  }

  list(): RegisteredFamily[] {
    return [...this.#families.values()];
  }

  /**
   * All families' default grids for these sleeves, in registration order.
   * A family that cannot allocate between that many sleeves contributes none
   * (`checkSleeveSupport` refuses it if a grid names it).
   */
  defaultGrid(sleeves?: SleeveUniverse): CandidateConfig[] {
    return this.list()
      .filter(({ family }) => !sleeves || supportsSleeveCount(family, sleeves.names.length))
      .flatMap(({ family }) => family.defaultGrid(sleeves));
  }
}

/**
 * Round-robin merge of equally long grids (the reference interleaves
 * heuristic and regime_guard candidates per lookback and leverage).
 */
export function interleave(...grids: CandidateConfig[][]): CandidateConfig[] {
  const out: CandidateConfig[] = [];
  const longest = Math.max(0, ...grids.map((g) => g.length));
  for (let i = 0; i < longest; i++) for (const g of grids) if (i < g.length) out.push(g[i]);
  return out;
}

/** Validate a whole grid: known families, valid params, unique names. */
export function validateGrid(grid: readonly CandidateConfig[], registry: FamilyRegistry): void {
  if (grid.length === 0) throw new InputError('the candidate grid is empty');
  const seen = new Set<string>();
  for (const c of grid) {
    const family = registry.require(String(c.method), c.name);
    validateCandidate(c, family);
    if (seen.has(c.name))
      throw new InputError(`candidate name ${c.name} appears twice in the grid`, { field: 'name' });
    seen.add(c.name);
  }
}

const POSITION_KEYS = new Set(Object.keys(DEFAULT_POSITION));

/**
 * Candidates whose decisions are the same (same family, same non-position
 * parameters), in grid order of first appearance. Families may reuse decisions
 * within a group (e.g. an ML fit shared by every leverage cap), so a group is
 * best simulated in one place.
 */
export function decisionGroups(grid: readonly CandidateConfig[]): CandidateConfig[][] {
  const groups = new Map<string, CandidateConfig[]>();
  for (const c of grid) {
    const key = JSON.stringify(
      Object.keys(c)
        .filter((k) => k !== 'name' && !POSITION_KEYS.has(k))
        .sort()
        .map((k) => [k, c[k]]),
    );
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(c);
  }
  return [...groups.values()];
}

/**
 * `decisionGroups`, costliest first by their family's `decisionCost` (a group
 * shares its decisions, so it costs one candidate's); equal costs keep grid
 * order (the sort is stable). How a pool should hand out the groups: the long
 * ones start early.
 */
export function decisionGroupsCostliestFirst(
  grid: readonly CandidateConfig[],
  registry: FamilyRegistry,
  shape: DecisionShape,
): CandidateConfig[][] {
  return decisionGroups(grid)
    .map((group) => ({ group, cost: statedDecisionCost(registry, group[0], shape) }))
    .sort((a, b) => b.cost - a.cost)
    .map((g) => g.group);
}

/**
 * The family's `decisionCost` of a candidate; `DEFAULT_DECISION_COST` when it
 * states none or no usable hint, or when asking throws: a hint only orders the
 * work, so it never stops a run (the conformance kit reports a bad one).
 */
function statedDecisionCost(registry: FamilyRegistry, c: CandidateConfig, shape: DecisionShape): number {
  let stated: unknown;
  try {
    stated = registry.require(String(c.method), c.name).decisionCost?.(c, shape);
  } catch {
    return DEFAULT_DECISION_COST;
  }
  return isDecisionCostHint(stated) ? stated : DEFAULT_DECISION_COST;
}

/**
 * Refuse a grid naming a family that cannot allocate between this many
 * sleeves (e.g. a family written for two sleeves in a four-sleeve run).
 */
export function checkSleeveSupport(
  grid: readonly CandidateConfig[],
  registry: FamilyRegistry,
  sleeves: SleeveUniverse,
): void {
  const n = sleeves.names.length;
  for (const c of grid) {
    const family = registry.require(String(c.method), c.name);
    if (supportsSleeveCount(family, n)) continue;
    const source = registry.list().find((r) => r.family === family)?.source ?? family.meta.name;
    const declared = family.sleeves
      ? `it declares sleeves ${JSON.stringify(family.sleeves)}`
      : 'it declares no `sleeves`, so it is a two-sleeve family';
    throw new InputError(
      `candidate ${c.name}: family ${family.meta.name} (from ${source}) supports ${describeSleeveCounts(supportedSleeves(family))} (${declared}); this run has ${n} (${sleeves.names.join(', ')}): drop its candidates or run it with ${describeSleeveCounts(supportedSleeves(family))}`,
      { field: 'sleeves' },
    );
  }
}
