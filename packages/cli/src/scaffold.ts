import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CORE_API_VERSION, InputError } from '@step4/core';

/**
 * `step4 new-family <name>`: a family package that works as it is:
 * `npm install && npm test` runs the core conformance kit on it, and a
 * config naming the package adds its candidates to a run.
 */
export async function scaffoldFamily(
  name: string,
  dir: string,
  coreVersion: string,
  options: { typescript?: boolean } = {},
): Promise<void> {
  if (!/^[a-z][a-z0-9_]*$/.test(name)) {
    throw new InputError(
      `new-family: the name must be a lower-case identifier (a-z, 0-9, _), got ${JSON.stringify(name)}`,
    );
  }
  if (existsSync(dir)) throw new InputError(`new-family: ${dir} already exists`);
  const pkg = `step4-family-${name.replace(/_/g, '-')}`;
  const range = `^${coreVersion}`;
  await mkdir(join(dir, 'src'), { recursive: true });
  await mkdir(join(dir, 'test'), { recursive: true });
  const files: Record<string, string> = {
    'package.json': `${JSON.stringify(
      {
        name: pkg,
        version: '0.1.0',
        description: `A Step 4 candidate family: ${name}.`,
        type: 'module',
        exports: { '.': './src/index.js', './package.json': './package.json' },
        files: ['src', 'README.md'],
        scripts: { test: 'vitest run' },
        peerDependencies: { '@step4/core': range },
        devDependencies: { '@step4/core': range, vitest: '^3.2.0' },
      },
      null,
      2,
    )}\n`,
    'src/index.js': `// @ts-check
import { createRequire } from 'node:module';
import { defineFamily } from '@step4/core/contract';

// meta.version is this package's own version, never a second hand-written copy.
const { version } = createRequire(import.meta.url)('../package.json');

/**
 * ${name}: put A's weight on the sleeve with the better sum of returns over
 * the last \`lookback\` months. Replace decide() with your policy; it sees only
 * the history before the month being decided.
 */
export const ${camel(name)}Family = () =>
  defineFamily({
    // coreApi: the contract this family was written for; core refuses the family if it cannot run it.
    meta: { name: '${name}', version, coreApi: ${CORE_API_VERSION} },
    params: {
      lookback: { type: 'integer', default: 6, min: 1, max: 120, description: 'Months summed.' },
    },
    // Any number of sleeves from two on (ctx.history.returns has one series per sleeve).
    sleeves: { min: 2 },
    minHistoryMonths: 1,
    // candidate() applies the defaults and checks every key; config in decide() is typed from params.
    defaultGrid: (candidate) => [3, 6, 12].map((L) => candidate(\`${name}_lb\${L}\`, { lookback: L, smoothing: 0.25, max_step: 0.25 })),
    decide(ctx, config) {
      const h = ctx.history;
      const from = Math.max(0, h.length - config.lookback);
      // Momentum of every sleeve over the lookback; 70% to the best, the rest shared by the others.
      const mom = h.returns.map((r) => r.subarray(from).reduce((s, x) => s + x, 0));
      const best = mom.indexOf(Math.max(...mom));
      const n = mom.length;
      const sorted = [...mom].sort((x, y) => y - x);
      return {
        wRaw: mom.map((_, s) => (s === best ? 0.7 : 0.3 / (n - 1))),
        conf: Math.min(1, (sorted[0] - sorted[1]) * 5),
      };
    },
  });

export default ${camel(name)}Family;
`,
    'test/conformance.test.js': `import { runConformance } from '@step4/core/testing';
import { expect, it } from 'vitest';
import { ${camel(name)}Family } from '../src/index.js';

it('passes the Step 4 conformance kit (no look-ahead, determinism, valid outputs)', async () => {
  const report = await runConformance(${camel(name)}Family());
  expect(report.checks.length).toBeGreaterThan(0);
});
`,
    'README.md': `# ${pkg}

A [Step 4 allocator](https://www.npmjs.com/package/@step4/cli) candidate family: \`${name}\`
(targets core API ${CORE_API_VERSION}).

\`\`\`bash
npm install && npm test        # the conformance kit: no look-ahead, determinism, valid outputs
\`\`\`

Use it in a run: install this package beside \`@step4/cli\` and name it in \`step4.config.json\`:

\`\`\`json
{ "plugins": ["${pkg}"] }
\`\`\`

\`step4 families\` then lists \`${name}\`, and \`step4 run-all\` includes its candidates.
`,
  };
  const out = options.typescript ? typescriptFiles(files, range) : files;
  for (const [file, text] of Object.entries(out)) await writeFile(join(dir, file), text);
}

/**
 * The same family as a TypeScript package (`new-family --ts`): sources in
 * src/, built by tsc to dist/ with declarations, an `exports` map with types,
 * and the conformance test in TypeScript. `config` in decide() is typed from
 * the parameter schema, so a typo in a parameter name does not compile.
 */
function typescriptFiles(js: Record<string, string>, range: string): Record<string, string> {
  const manifest = JSON.parse(js['package.json']) as Record<string, unknown>;
  Object.assign(manifest, {
    exports: {
      '.': { types: './dist/index.d.ts', import: './dist/index.js' },
      './package.json': './package.json',
    },
    types: './dist/index.d.ts',
    files: ['dist', 'src', 'README.md'],
    scripts: {
      build: 'tsc -p tsconfig.json',
      prepack: 'npm run build',
      test: 'tsc -p tsconfig.json && vitest run',
    },
    devDependencies: {
      '@step4/core': range,
      '@types/node': '^20.19.0',
      typescript: '^5.9.0',
      vitest: '^3.2.0',
    },
  });
  const source = js['src/index.js']
    .replace('// @ts-check\n', '')
    .replace(
      "const { version } = createRequire(import.meta.url)('../package.json');",
      "const { version } = createRequire(import.meta.url)('../package.json') as { version: string };",
    );
  return {
    'package.json': `${JSON.stringify(manifest, null, 2)}\n`,
    'tsconfig.json': `${JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          declaration: true,
          sourceMap: true,
          outDir: 'dist',
          rootDir: 'src',
          types: ['node'],
          skipLibCheck: true,
        },
        include: ['src'],
      },
      null,
      2,
    )}\n`,
    'src/index.ts': source,
    'test/conformance.test.ts': js['test/conformance.test.js'],
    'README.md': js['README.md'].replace(
      'npm install && npm test        # the conformance kit: no look-ahead, determinism, valid outputs',
      'npm install && npm test        # type-checks, then the conformance kit\nnpm run build                  # dist/ with declarations (also run by npm pack)',
    ),
  };
}

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
