import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '@step4/core';

const embedded = (file: string) => fileURLToPath(new URL(`../data/${file}`, import.meta.url));

/** The embedded real sleeves of the reference run (shipped in the package's `data/`): SPY+QQQ and BTC+ETH. */
export const EMBEDDED_SLEEVES = [
  { name: 'spyqqq', file: embedded('sleeve_spyqqq_monthly.csv') },
  { name: 'btceth', file: embedded('sleeve_btceth_monthly.csv') },
] as const;

/**
 * Every embedded sleeve table by name (data/SOURCES.md), the four single-asset
 * ones included: use one as `--sleeve spy=embedded:spy` or as a config path.
 */
export const EMBEDDED_SLEEVE_TABLES: Readonly<Record<string, string>> = {
  spy: embedded('sleeve_spy_monthly.csv'),
  qqq: embedded('sleeve_qqq_monthly.csv'),
  btc: embedded('sleeve_btc_monthly.csv'),
  eth: embedded('sleeve_eth_monthly.csv'),
  spyqqq: embedded('sleeve_spyqqq_monthly.csv'),
  btceth: embedded('sleeve_btceth_monthly.csv'),
};

/** `embedded:<name>` -> the shipped table's path; anything else is a path as given. */
function embeddedPath(path: string, field: string): { file: string; embedded: boolean } {
  if (!path.startsWith('embedded:')) return { file: path, embedded: false };
  const name = path.slice('embedded:'.length);
  const file = EMBEDDED_SLEEVE_TABLES[name];
  if (!file) {
    throw new InputError(
      `${field}: no embedded sleeve ${JSON.stringify(name)} (embedded: ${Object.keys(EMBEDDED_SLEEVE_TABLES).join(', ')})`,
      { field },
    );
  }
  return { file, embedded: true };
}

/** The shipped table of an `embedded:<name>` path; an unknown name is bad input naming `field`. */
export function embeddedSleeveFile(path: string, field: string): string {
  return embeddedPath(path, field).file;
}

/** The sleeve options of the command line. */
export interface SleeveOptions {
  sleeve?: string[];
  spyqqqMonthly?: string;
  btcethMonthly?: string;
}

/** The sleeves from --sleeve / the reference aliases, else the config's, else the two embedded ones. */
export function sleeveInputs(
  o: SleeveOptions,
  configSleeves?: readonly { name: string; path: string }[],
  configDir = process.cwd(),
): { name: string; file: string; embedded: boolean }[] {
  const given: { name: string; file: string; embedded: boolean }[] = [];
  for (const spec of o.sleeve ?? []) {
    const m = /^([a-z][a-z0-9_]*)=(.+)$/.exec(spec);
    if (!m)
      throw new InputError(
        `option --sleeve: expected <name>=<path> with a lower-case name, got ${JSON.stringify(spec)}`,
        { field: '--sleeve' },
      );
    given.push({ name: m[1], ...embeddedPath(m[2], 'option --sleeve') });
  }
  if (o.spyqqqMonthly) given.push({ name: 'spyqqq', file: o.spyqqqMonthly, embedded: false });
  if (o.btcethMonthly) given.push({ name: 'btceth', file: o.btcethMonthly, embedded: false });
  let out = given;
  if (given.length === 0 && configSleeves)
    out = configSleeves.map((s, i) => {
      const e = embeddedPath(s.path, `config field options.sleeves.${i}.path`);
      return { name: s.name, file: e.embedded ? e.file : resolve(configDir, s.path), embedded: e.embedded };
    });
  else if (given.length === 0) return EMBEDDED_SLEEVES.map((s) => ({ ...s, embedded: true }));
  if (out.length < 2) {
    throw new InputError(`expected at least two sleeves (--sleeve name=path, repeated), got ${out.length}`, {
      field: '--sleeve',
    });
  }
  const seen = new Set<string>();
  for (const s of out) {
    if (seen.has(s.name))
      throw new InputError(`two sleeves are named ${s.name}; sleeve names must be unique`, {
        field: '--sleeve',
      });
    seen.add(s.name);
  }
  return out;
}
