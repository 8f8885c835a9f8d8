// Build step of @step4/report (after tsc): vega and vega-lite bundled by esbuild into one CommonJS
// file, dist/chart-libraries.cjs, then V8's code cache of it, dist/chart-libraries.cache (made in a
// child process under step4's V8 settings, scripts/chart-libraries-cache.mjs: the flags of the
// `step4` command's shebang on its command line, its budgets set in the child).
//
// Imported package by package, their ESM graph is about 270 modules (d3's among them), which cost
// about 0.2 s of CPU to resolve, read and link in each thread that renders charts; one file costs
// about 0.1 s, and about 0.07 s less with the code cache. CommonJS, because V8 makes and takes a code
// cache of a script (node:vm), not of an ES module. The code is the installed packages' own,
// unchanged (the charts' bytes are the same: tests/parity and report/test check it), and their
// licences ship with them, as they stay dependencies of this package. One substitution:
// vega-canvas's browser build for its Node build. The Node build awaits `import('canvas')` at load
// (top-level await, which CommonJS cannot hold) to measure text with node-canvas when it happens to
// be installed; this package never installs it, and without it both builds are the same code. So a
// chart never depends on whether some other package brought node-canvas along.
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { COMMAND_LINE_V8_FLAGS } from '@step4/core/v8-tuning';
import { build } from 'esbuild';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** vega-canvas resolved as usual, then its browser build beside the Node one. */
const vegaCanvasBrowserBuild = {
  name: 'vega-canvas-browser-build',
  setup(b) {
    b.onResolve({ filter: /^vega-canvas$/ }, async (args) => {
      // The inner resolve comes back here: esbuild's own resolution answers it.
      if (args.pluginData?.resolving) return undefined;
      const node = await b.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        pluginData: { resolving: true },
      });
      if (node.errors.length > 0) return undefined;
      const browser = node.path.replace(/vega-canvas\.node\.js$/, 'vega-canvas.browser.js');
      if (browser === node.path || !existsSync(browser))
        throw new Error(`vega-canvas: no browser build beside ${node.path}`);
      return { path: browser };
    });
  },
};

await build({
  stdin: {
    contents: "export * as vega from 'vega';\nexport { compile } from 'vega-lite';\n",
    resolveDir: packageDir,
    sourcefile: 'chart-libraries.cjs',
    loader: 'js',
  },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  outfile: `${packageDir}/dist/chart-libraries.cjs`,
  plugins: [vegaCanvasBrowserBuild],
  legalComments: 'eof',
  banner: {
    js: '// vega and vega-lite with their dependencies, bundled by esbuild for @step4/report (scripts/bundle-chart-libraries.mjs).',
  },
  logLevel: 'warning',
});

// The child loads the bundle with dist/chart-libraries.cache when there is one, and V8 checks a
// cache against its script's length only: an earlier bundle's cache is removed first.
rmSync(`${packageDir}/dist/chart-libraries.cache`, { force: true });
execFileSync(
  process.execPath,
  [...COMMAND_LINE_V8_FLAGS, fileURLToPath(new URL('./chart-libraries-cache.mjs', import.meta.url))],
  { stdio: 'inherit' },
);
