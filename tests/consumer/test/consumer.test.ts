/**
 * A new user's path, end to end, outside the workspace: the @step4 packages
 * packed (`pnpm pack`), the example family packed (`npm pack`), both installed
 * into a fresh project with a plain `npm install` (no workspace links), a
 * config that adds the family, `step4 run-all` there, and a TypeScript file
 * using the library API type-checked against the installed packages. Then the
 * release flow: `changeset version` on a copy of the workspace manifests.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packPackages, repo, run } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'step4-consumer-'));
const tarballs = join(work, 'tarballs');
const project = join(work, 'project');

beforeAll(async () => {
  mkdirSync(tarballs, { recursive: true });
  await packPackages(tarballs);
  await run('npm', ['pack', '--pack-destination', tarballs], join(repo, 'examples', 'vol-parity'));
  mkdirSync(project);
  const deps: Record<string, string> = {};
  for (const file of readdirSync(tarballs)) {
    const name = file.startsWith('step4-') && !file.startsWith('step4-family') ? `@step4/${file.replace(/^step4-/, '').replace(/-\d+\.\d+\.\d+\.tgz$/, '')}` : file.replace(/-\d+\.\d+\.\d+\.tgz$/, '');
    deps[name] = `file:../tarballs/${file}`;
  }
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-desk', private: true, type: 'module', dependencies: deps }, null, 2));
  // One retry: the install fetches the packages' dependencies from the registry.
  await run('npm', ['install', '--no-audit', '--no-fund'], project).catch(() => run('npm', ['install', '--no-audit', '--no-fund'], project));
  writeFileSync(join(project, 'step4.config.json'), JSON.stringify({ $schema: './node_modules/@step4/cli/step4.config.schema.json', plugins: ['step4-family-vol-parity'] }, null, 2));
}, 900_000);

describe('consumption by version (packed tarballs, plain npm install)', () => {
  it('installs real copies, not workspace links', async () => {
    const core = JSON.parse(readFileSync(join(project, 'node_modules/@step4/core/package.json'), 'utf8'));
    expect(core.version).toMatch(/^\d+\.\d+\.\d+$/);
    const cli = JSON.parse(readFileSync(join(project, 'node_modules/@step4/cli/package.json'), 'utf8'));
    expect(JSON.stringify(cli.dependencies)).not.toContain('workspace:');
    expect(existsSync(join(project, 'node_modules/step4-family-vol-parity/src/index.js'))).toBe(true);
    // The engine is a package of its own, installed from its tarball like the others.
    const engine = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')).dependencies['@step4/engine'];
    expect(engine).toMatch(/^file:\.\.\/tarballs\/step4-engine-\d+\.\d+\.\d+\.tgz$/);
    expect(existsSync(join(project, 'node_modules/@step4/engine/dist/index.js'))).toBe(true);
  });

  it('step4 families shows the plugin and the package it came from', async () => {
    const out = await run(process.execPath, ['node_modules/@step4/cli/dist/bin.js', 'families', '--json'], project);
    const fam = JSON.parse(out).find((f: { name: string }) => f.name === 'vol_parity');
    expect(fam.source).toBe('step4-family-vol-parity');
    expect(fam.grid_size).toBe(3);
  });

  it('step4 run-all includes the family\'s candidates (worker threads load the plugin too)', async () => {
    await run(process.execPath, ['node_modules/@step4/cli/dist/bin.js', 'run-all', '--out-dir', 'out', '--quiet', '--no-chart', '--jobs', '2'], project);
    const report = JSON.parse(readFileSync(join(project, 'out/return/optimization/step4_optimization_report.json'), 'utf8'));
    const names = report.candidates.map((c: { name: string }) => c.name);
    expect(names).toEqual(expect.arrayContaining(['vol_parity_lb6', 'vol_parity_lb12', 'vol_parity_lb24']));
    expect(names.length).toBe(62);
    const vp = report.candidates.find((c: { name: string }) => c.name === 'vol_parity_lb12');
    expect(vp.error).toBeUndefined();
    expect(vp.family).toEqual({ name: 'vol_parity', version: '0.1.0' });
  });

  it('the example family passes the conformance kit from the installed packages', async () => {
    writeFileSync(
      join(project, 'conformance.mjs'),
      "import { runConformance } from '@step4/core/testing';\nimport family from 'step4-family-vol-parity';\nconst r = await runConformance(family());\nconsole.log(r.checks.length);\n",
    );
    expect(Number(await run(process.execPath, ['conformance.mjs'], project))).toBeGreaterThan(0);
  });

  it('the library API type-checks from a TypeScript file', async () => {
    writeFileSync(
      join(project, 'use-api.ts'),
      `import { FamilyRegistry, prepareRun, candidate, alignSleeves, loadSleeveTable, type RunAllResult } from '@step4/core';
import { CORE_API_VERSION, defineFamily } from '@step4/core/contract';
import { runConformance, referencePanel } from '@step4/core/testing';
import { referenceRobustness } from '@step4/robustness';
import { staticFamily } from '@step4/candidates-static';
import { DEFAULT_ENGINE_OPTIONS, type FamilyReference, type RunResult, loadFamilies, runStep4 } from '@step4/engine';
import { writeRunAllOutputs } from '@step4/report';
import { builtinRegistry, defineConfig } from '@step4/cli';
import volParity from 'step4-family-vol-parity';

const mine = defineFamily({
  meta: { name: 'mine', version: '1.0.0', coreApi: CORE_API_VERSION },
  params: {},
  defaultGrid: () => [candidate('mine_a', 'mine', { static_w: 0.6 })],
  decide: () => ({ wRaw: 0.6, conf: 0 }),
});
const registry: FamilyRegistry = new FamilyRegistry().register(staticFamily()).register(mine).register(volParity());
// Families by reference (plain data: the worker threads load them too).
const families: FamilyReference[] = [
  { module: '/abs/node_modules/@step4/candidates-static/dist/index.js', export: 'staticFamily', source: '@step4/candidates-static' },
  { module: 'file:///abs/node_modules/step4-family-vol-parity/src/index.js', export: ['default'], options: undefined, source: 'step4-family-vol-parity' },
];
const result: Promise<RunResult> = runStep4({
  sleeves: [{ name: 'spyqqq', path: 'spyqqq.csv' }, { name: 'btceth', path: 'btceth.csv', label: 'embedded:btceth' }],
  families,
  grid: (r, sleeves) => r.defaultGrid(sleeves),
  options: { bootstrapSamples: 100, seed: DEFAULT_ENGINE_OPTIONS.seed, maxPbo: undefined },
  objectives: ['calmar', 'robust'],
  jobs: 2,
});
const core: Promise<RunAllResult> = result;
void core;
void result.then((r) => writeRunAllOutputs('out', r, r.manifest, { chart: false }));
void loadFamilies(families).then((r: FamilyRegistry) => r.list());
void prepareRun(referencePanel()).split;
void referenceRobustness({ samples: 100 });
void runConformance(mine);
void builtinRegistry();
void alignSleeves;
void loadSleeveTable;
export default defineConfig({ plugins: ['step4-family-vol-parity'], options: { seed: 7 } });
`,
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['use-api.ts'] }),
    );
    await run(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', project], project);
  });
});

describe('the README walkthrough: new-family to a run that includes it', () => {
  it('scaffolds, installs and runs a new family with the installed CLI', async () => {
    const cli = ['node_modules/@step4/cli/dist/bin.js'];
    await run(process.execPath, [...cli, 'new-family', 'carry_tilt'], project);
    await run('npm', ['install', './step4-family-carry-tilt', '--no-audit', '--no-fund'], project);
    writeFileSync(join(project, 'walkthrough.config.json'), JSON.stringify({ plugins: ['step4-family-carry-tilt'] }));
    const fams = JSON.parse(await run(process.execPath, [...cli, 'families', '--json', '--config', 'walkthrough.config.json'], project));
    expect(fams.find((f: { name: string }) => f.name === 'carry_tilt')).toMatchObject({ source: 'step4-family-carry-tilt', grid_size: 3 });
    await run(process.execPath, [...cli, 'optimize', '--objective', 'calmar', '--config', 'walkthrough.config.json', '--out-dir', 'walk', '--quiet', '--no-chart'], project);
    const report = JSON.parse(readFileSync(join(project, 'walk/optimization/step4_optimization_report.json'), 'utf8'));
    expect(report.candidates.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(['carry_tilt_lb3', 'carry_tilt_lb6', 'carry_tilt_lb12']));
    // The scaffold's own test, the conformance kit, passes on the scaffold as generated.
    writeFileSync(
      join(project, 'scaffold-conformance.mjs'),
      "import { runConformance } from '@step4/core/testing';\nimport family from 'step4-family-carry-tilt';\nconsole.log((await runConformance(family())).checks.length);\n",
    );
    expect(Number(await run(process.execPath, ['scaffold-conformance.mjs'], project))).toBeGreaterThan(0);
  });
});

describe('docs that run', () => {
  it('the README family example type-checks and passes the conformance kit', async () => {
    const readme = readFileSync(join(repo, 'README.md'), 'utf8');
    const block = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => b.includes('export const momentumTilt'));
    expect(block, 'the README has the momentumTilt example').toBeDefined();
    writeFileSync(
      join(project, 'readme-family.ts'),
      `${block}\nimport { runConformance } from '@step4/core/testing';\nconsole.log((await runConformance(momentumTilt())).checks.length);\n`,
    );
    writeFileSync(
      join(project, 'tsconfig.readme.json'),
      JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['readme-family.ts'] }),
    );
    await run(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', join(project, 'tsconfig.readme.json')], project);
    expect(Number(await run(process.execPath, ['--import', 'tsx', 'readme-family.ts'], project))).toBeGreaterThan(0);
  });
});

describe('release flow (changesets)', () => {
  it('changeset version bumps the packages and writes their changelogs', async () => {
    const copy = join(work, 'release');
    mkdirSync(copy);
    for (const f of ['package.json', 'pnpm-workspace.yaml']) cpSync(join(repo, f), join(copy, f));
    cpSync(join(repo, '.changeset'), join(copy, '.changeset'), { recursive: true });
    for (const dir of readdirSync(join(repo, 'packages'))) {
      mkdirSync(join(copy, 'packages', dir), { recursive: true });
      cpSync(join(repo, 'packages', dir, 'package.json'), join(copy, 'packages', dir, 'package.json'));
    }
    symlinkSync(join(repo, 'node_modules'), join(copy, 'node_modules'));
    const pending = readdirSync(join(copy, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');
    expect(pending.length).toBeGreaterThan(0);
    const before = JSON.parse(readFileSync(join(copy, 'packages/core/package.json'), 'utf8')).version;
    await run(process.execPath, [join(repo, 'node_modules/@changesets/cli/bin.js'), 'version'], copy);
    const after = JSON.parse(readFileSync(join(copy, 'packages/core/package.json'), 'utf8')).version;
    expect(after).not.toBe(before);
    expect(readFileSync(join(copy, 'packages/core/CHANGELOG.md'), 'utf8')).toContain(after);
    expect(readdirSync(join(copy, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md')).toEqual([]);
  });
});
