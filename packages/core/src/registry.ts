import { CORE_API_VERSION, type CandidateConfig, type CandidateFamily, type ParamSpec } from './contract.js';
import { InputError } from './errors.js';

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
  if (f.meta.coreApi !== CORE_API_VERSION) {
    throw new InputError(
      `${where}: family ${name} targets core API ${JSON.stringify(f.meta.coreApi)}, this @step4/core provides API ${CORE_API_VERSION}`,
    );
  }
  if (typeof f.decide !== 'function')
    throw new InputError(`${where}: family ${name}: decide must be a function`);
  if (typeof f.defaultGrid !== 'function')
    throw new InputError(`${where}: family ${name}: defaultGrid must be a function`);
  if (!f.params || typeof f.params !== 'object')
    throw new InputError(`${where}: family ${name}: params must be an object`);
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

  /** All families' default grids, in registration order. */
  defaultGrid(): CandidateConfig[] {
    return this.list().flatMap(({ family }) => family.defaultGrid());
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

interface Range {
  min: number;
  max: number;
  integer?: boolean;
  minExclusive?: boolean;
  maxExclusive?: boolean;
}

const POSITION_RANGES: Record<string, Range> = {
  static_w: { min: 0, max: 1 },
  lookback: { min: 1, max: 1200, integer: true },
  dd_penalty: { min: 0, max: 1e6 },
  min_w: { min: 0, max: 1 },
  max_w: { min: 0, max: 1 },
  smoothing: { min: 0, max: 1, maxExclusive: true },
  max_step: { min: 0, max: 1, minExclusive: true },
  gross_base: { min: 0, max: 10 },
  gross_conf_scale: { min: 0, max: 10 },
  max_gross: { min: 0.85, max: 10 },
  target_vol: { min: 0, max: 10 },
  vol_lb: { min: 0, max: 1200, integer: true },
  turn_cost_bps: { min: 0, max: 10_000 },
  gross_cost_bps: { min: 0, max: 10_000 },
};

function checkNumber(candidate: string, field: string, v: unknown, r: Range): void {
  const ok =
    typeof v === 'number' &&
    Number.isFinite(v) &&
    (r.minExclusive ? v > r.min : v >= r.min) &&
    (r.maxExclusive ? v < r.max : v <= r.max) &&
    (!r.integer || Number.isInteger(v));
  if (!ok) {
    const lo = r.minExclusive ? '(' : '[';
    const hi = r.maxExclusive ? ')' : ']';
    throw new InputError(
      `candidate ${candidate}: ${field} must be ${r.integer ? 'an integer' : 'a number'} in ${lo}${r.min}, ${r.max}${hi}, got ${JSON.stringify(v)}`,
      { field },
    );
  }
}

function specRange(spec: ParamSpec): Range {
  return {
    min: spec.min ?? Number.NEGATIVE_INFINITY,
    max: spec.max ?? Number.POSITIVE_INFINITY,
    integer: spec.type === 'integer',
  };
}

/** Validate a candidate against the position mechanics and its family's schema. */
export function validateCandidate(config: CandidateConfig, family: CandidateFamily): void {
  const name = typeof config.name === 'string' && config.name.length > 0 ? config.name : '(unnamed)';
  if (name === '(unnamed)') throw new InputError('a candidate has no name', { field: 'name' });
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
    throw new InputError(
      `candidate ${JSON.stringify(name)}: names may only use letters, digits, _, . and - (they become file names)`,
      { field: 'name' },
    );
  }
  for (const [field, range] of Object.entries(POSITION_RANGES))
    checkNumber(name, field, config[field], range);
  if (config.min_w > config.max_w) {
    throw new InputError(
      `candidate ${name}: min_w (${config.min_w}) must not exceed max_w (${config.max_w})`,
      { field: 'min_w' },
    );
  }
  for (const [field, spec] of Object.entries(family.params)) {
    if (field in POSITION_RANGES && config[field] === undefined) continue;
    checkNumber(name, field, config[field] ?? spec.default, specRange(spec));
  }
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

const POSITION_KEYS = new Set([
  'min_w',
  'max_w',
  'smoothing',
  'max_step',
  'gross_base',
  'gross_conf_scale',
  'max_gross',
  'target_vol',
  'vol_lb',
  'turn_cost_bps',
  'gross_cost_bps',
]);

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
