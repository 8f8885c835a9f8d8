import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

/**
 * vega and vega-lite, loaded on the first chart (not with the package) from
 * the build's one-file bundle of them, with V8's code cache of that file when
 * V8 takes it (scripts/bundle-chart-libraries.mjs says why each), or from the
 * packages when there is no bundle (the sources run by the tests).
 */
export type ChartLibraries = [typeof import('vega'), Pick<typeof import('vega-lite'), 'compile'>];

const BUNDLE = fileURLToPath(new URL('./chart-libraries.cjs', import.meta.url));
const CODE_CACHE = fileURLToPath(new URL('./chart-libraries.cache', import.meta.url));

/**
 * How this thread loaded the libraries: from the packages, or from the bundle
 * with its code cache `accepted`, `rejected` (made by another Node version or
 * under other V8 flags than the `step4` command's: the bundle is then compiled
 * as usual) or `absent`.
 */
export type ChartLibrariesSource =
  | 'packages'
  | 'bundle, code cache accepted'
  | 'bundle, code cache rejected'
  | 'bundle, code cache absent';

let loaded: Promise<ChartLibraries> | undefined;
let source: ChartLibrariesSource | undefined;
let bundleScript: Script | undefined;

/** The bundle run as a CommonJS module (Node's own wrapper), with the code cache when there is one. */
function runBundle(): ChartLibraries {
  const cachedData = existsSync(CODE_CACHE) ? readFileSync(CODE_CACHE) : undefined;
  const script = new Script(
    `(function (exports, require, module, __filename, __dirname) {${readFileSync(BUNDLE, 'utf8')}\n})`,
    { filename: BUNDLE, ...(cachedData ? { cachedData } : {}) },
  );
  const module: { exports: { vega?: ChartLibraries[0]; compile?: ChartLibraries[1]['compile'] } } = {
    exports: {},
  };
  script.runInThisContext()(module.exports, createRequire(BUNDLE), module, BUNDLE, dirname(BUNDLE));
  const { vega, compile } = module.exports;
  if (!vega || !compile) throw new Error(`${BUNDLE}: not the bundle of vega and vega-lite`);
  bundleScript = script;
  source = !cachedData
    ? 'bundle, code cache absent'
    : script.cachedDataRejected
      ? 'bundle, code cache rejected'
      : 'bundle, code cache accepted';
  return [vega, { compile }];
}

/** vega and vega-lite's `compile`, loaded once per thread. */
export function loadVega(): Promise<ChartLibraries> {
  loaded ??= existsSync(BUNDLE)
    ? Promise.resolve().then(runBundle)
    : Promise.all([import('vega'), import('vega-lite')]).then(([vega, vegaLite]) => {
        source = 'packages';
        return [vega, { compile: vegaLite.compile }];
      });
  return loaded;
}

/** Where this thread's libraries came from (undefined before they load). */
export function chartLibrariesSource(): ChartLibrariesSource | undefined {
  return source;
}

/**
 * V8's code cache of the bundle as loaded in this thread, with the functions
 * compiled so far (render charts first, so that it holds theirs): what the
 * build writes to dist/chart-libraries.cache.
 */
export function chartLibrariesCodeCache(): Buffer {
  if (!bundleScript) throw new Error('the chart libraries were not loaded from the bundle');
  return bundleScript.createCachedData();
}
