import { pathToFileURL } from 'node:url';
import { type CandidateFamily, FamilyRegistry, InputError, assertFamily, firstLineOf } from '@step4/core';

/**
 * A family by reference: where its module is and what to take from it, so
 * that worker threads (and other machines) can load the same family. Only
 * plain data: it crosses thread boundaries by structured clone.
 */
export interface FamilyReference {
  /** Absolute path or `file:` URL of the module (resolve package names before, e.g. with `require.resolve`). */
  readonly module: string;
  /**
   * What to take from the module: a named export, or a path into it (e.g.
   * `['default', 'plugins', 3]` for a family object inside a config file).
   * Default: the default export, else `families`, else `family`.
   */
  readonly export?: string | readonly (string | number)[];
  /** Options for a factory export (a family object takes none). */
  readonly options?: unknown;
  /** Where the family came from, as outputs show it (a package name or a path). Default: `module`. */
  readonly source?: string;
}

/**
 * A module's default export. A TypeScript file in a CommonJS project is
 * compiled to `exports.default = ...`, which Node's ESM import nests once
 * more (`{ default: { default: family } }`); unwrap that.
 */
export function exportedDefault(mod: unknown): unknown {
  const m = mod as Record<string, unknown> | null;
  const first = m && typeof m === 'object' && 'default' in m ? m.default : m;
  const f = first as Record<string, unknown> | null;
  if (
    f &&
    typeof f === 'object' &&
    'default' in f &&
    Object.keys(f).every((k) => k === 'default' || k === '__esModule')
  )
    return f.default;
  return first;
}

/**
 * The families a module exports, each a family, a factory or an array of
 * them. Factories get `options`; a plain family object cannot take options.
 */
export async function familiesOf(
  mod: Record<string, unknown>,
  ref: FamilyReference,
): Promise<CandidateFamily[]> {
  const source = ref.source ?? ref.module;
  let exported: unknown;
  if (ref.export === undefined) {
    exported = mod.default !== undefined ? exportedDefault(mod) : (mod.families ?? mod.family);
  } else {
    const path = typeof ref.export === 'string' ? [ref.export] : ref.export;
    exported = path.reduce<unknown>(
      (v, key, i) =>
        i === 0 && key === 'default' ? exportedDefault(mod) : (v as Record<string | number, unknown>)?.[key],
      mod,
    );
  }
  if (exported === undefined) {
    throw new InputError(
      `plugin ${source}: exports no family (expected a default export made by defineFamily, a factory, or an array of them)`,
    );
  }
  const list = Array.isArray(exported) ? exported : [exported];
  const out: CandidateFamily[] = [];
  for (const f of list) {
    let made: unknown = f;
    if (typeof f === 'function') {
      try {
        // A factory may be async (e.g. a loader that imports a TypeScript file) and may make several families.
        made = await (f as (options?: unknown) => unknown)(ref.options);
      } catch (e) {
        if (e instanceof InputError) throw e;
        throw new InputError(`plugin ${source}: its factory refused the options (${firstLineOf(e)})`);
      }
    } else if (ref.options !== undefined) {
      throw new InputError(
        `plugin ${source}: exports a family object, not a factory, so it takes no options`,
      );
    }
    for (const family of Array.isArray(made) ? made : [made]) {
      assertFamily(family, `plugin ${source}`);
      out.push(family);
    }
  }
  return out;
}

/** Import a module by path or `file:` URL. */
export async function importModule(module: string): Promise<Record<string, unknown>> {
  const url = /^[a-z]+:/i.test(module) && !/^[a-z]:[\\/]/i.test(module) ? module : pathToFileURL(module).href;
  return (await import(url)) as Record<string, unknown>;
}

/** Load every referenced family into a new registry, in order (the same in every thread). */
export async function loadFamilies(refs: readonly FamilyReference[]): Promise<FamilyRegistry> {
  const registry = new FamilyRegistry();
  for (const ref of refs) {
    let mod: Record<string, unknown>;
    try {
      mod = await importModule(ref.module);
    } catch (e) {
      throw new InputError(`plugin ${ref.source ?? ref.module}: cannot be loaded (${firstLineOf(e)})`);
    }
    for (const family of await familiesOf(mod, ref)) registry.register(family, ref.source ?? ref.module);
  }
  return registry;
}
