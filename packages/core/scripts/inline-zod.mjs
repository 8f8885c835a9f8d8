// Build step of @step4/core (after tsc): dist/run-option-schemas.js made again by esbuild from its
// source with the zod builders it imports bundled in; every other import stays as it is.
//
// zod's entry re-exports all of zod, its sixty locales among them: about 95 ES modules, which cost
// about 0.1 s of CPU to resolve, link and run before a command can read its first option (measured
// with `import()` in a fresh node: 95-105 ms; this module bundled, 16 ms). Bundling the builders by
// name lets esbuild leave the rest out (zod's package marks its modules free of side effects). The
// code is zod's own, unchanged; zod stays a dependency of this package, for its types (the schemas'
// .d.ts name them) and the schemas other packages build with it. zod keeps its registry and
// configuration on globalThis, so schemas of this copy and of the installed package mix (the CLI's
// config schema holds the run options' schemas; the tests parse configs through both).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const zodDir = dirname(createRequire(join(packageDir, 'package.json')).resolve('zod/package.json'));
const zodVersion = JSON.parse(readFileSync(join(zodDir, 'package.json'), 'utf8')).version;
const zodLicense = readFileSync(join(zodDir, 'LICENSE'), 'utf8').trim();

/** Only zod (and the modules inside it) is bundled; this package's own modules stay imports. */
const onlyZod = {
  name: 'only-zod',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      const insideZod = args.importer.startsWith(zodDir);
      if (insideZod || args.path === 'zod') return undefined;
      // tsc's output names the .js file of each source module.
      return { path: args.path, external: true };
    });
  },
};

await build({
  entryPoints: [join(packageDir, 'src/run-option-schemas.ts')],
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outfile: join(packageDir, 'dist/run-option-schemas.js'),
  allowOverwrite: true,
  sourcemap: true,
  plugins: [onlyZod],
  banner: {
    js: `// Built by esbuild for @step4/core (scripts/inline-zod.mjs): holds the builders of zod ${zodVersion} it uses.\n/*\nzod ${zodVersion}: ${zodLicense.replace(/\*\//g, '* /')}\n*/`,
  },
  logLevel: 'warning',
});
