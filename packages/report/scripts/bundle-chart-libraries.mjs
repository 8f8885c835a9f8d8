// Build step of @step4/report (after tsc): vega and vega-lite bundled by esbuild into one file,
// dist/chart-libraries.js. Imported package by package, their ESM graph is about 270
// modules (d3's among them), which cost about 0.2 s of CPU to resolve, read and link in each
// thread that renders charts; one file costs about 0.1 s. The code is the installed packages'
// own, unchanged (the charts' bytes are the same: tests/parity and report/test check it), and
// their licences ship with them, as they stay dependencies of this package.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
await build({
  stdin: {
    contents: "export * as vega from 'vega';\nexport { compile } from 'vega-lite';\n",
    resolveDir: packageDir,
    sourcefile: 'chart-libraries.js',
    loader: 'js',
  },
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outfile: `${packageDir}/dist/chart-libraries.js`,
  legalComments: 'eof',
  banner: {
    js: '// vega and vega-lite with their dependencies, bundled by esbuild for @step4/report (scripts/bundle-chart-libraries.mjs).',
  },
  logLevel: 'warning',
});
