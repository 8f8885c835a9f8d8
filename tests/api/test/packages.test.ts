/**
 * What would be published: scripts/check-packages.mjs (`pnpm check:packages`)
 * packs every published package with `pnpm pack` and runs publint (strict)
 * and attw (ESM-only profile) on the tarball, plus the repository's packaging
 * rules (LICENSE, no build info, no dangling source maps, engines, repository).
 * This test fails when any of them reports a problem; a second test feeds the
 * script a broken package to show that it does. Also the release policy:
 * every published package is in the one `fixed` group of .changeset/config.json.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const script = join(repo, 'scripts', 'check-packages.mjs');
const tempDir = mkdtempSync(join(tmpdir(), 'step4-packages-test-'));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

async function checkPackages(...dirs: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [script, ...dirs], { cwd: repo, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, out: `${stdout}${stderr}` };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

const published = readdirSync(join(repo, 'packages'))
  .map((d) => ({ dir: d, pkg: JSON.parse(readFileSync(join(repo, 'packages', d, 'package.json'), 'utf8')) }))
  .filter((p) => !p.pkg.private);

describe('published packages (pnpm check:packages)', () => {
  it('every tarball passes publint, attw and the packaging rules', async () => {
    const { code, out } = await checkPackages();
    expect(out).toContain(`${published.length} of ${published.length} packages pass`);
    expect(code, out).toBe(0);
  }, 600_000);

  it('fails on a broken package (an export to missing files, no LICENSE, build info, dangling map)', async () => {
    const dir = join(tempDir, 'broken');
    mkdirSync(join(dir, 'dist'), { recursive: true });
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({
        name: 'step4-broken-fixture',
        version: '1.0.0',
        type: 'module',
        license: 'MIT',
        exports: {
          '.': { types: './dist/index.d.ts', import: './dist/index.js' },
          './sub': { types: './dist/missing.d.ts', import: './dist/missing.js' },
        },
        files: ['dist'],
      }),
    );
    writeFileSync(join(dir, 'dist', 'index.js'), 'export const x = 1;\n//# sourceMappingURL=index.js.map\n');
    writeFileSync(join(dir, 'dist', 'index.d.ts'), 'export declare const x = 1;\n');
    writeFileSync(join(dir, 'dist', 'index.js.map'), JSON.stringify({ version: 3, file: 'index.js', sources: ['../src/index.ts'], mappings: '' }));
    writeFileSync(join(dir, 'dist', '.tsbuildinfo'), '{}');
    const { code, out } = await checkPackages(dir);
    expect(code, out).toBe(1);
    expect(out).toContain('FAIL step4-broken-fixture');
    expect(out).toMatch(/publint: exit [1-9]/);
    expect(out).toMatch(/attw: exit [1-9]/);
    expect(out).toContain('no LICENSE in the tarball');
    expect(out).toContain('TypeScript build info shipped: dist/.tsbuildinfo');
    expect(out).toContain('points at ../src/index.ts, which is neither shipped nor inlined');
    expect(out).toContain('no engines.node');
  }, 120_000);

  it('releases every published package together (one changesets fixed group)', () => {
    const config = JSON.parse(readFileSync(join(repo, '.changeset', 'config.json'), 'utf8'));
    expect(config.fixed).toHaveLength(1);
    expect([...config.fixed[0]].sort()).toEqual(published.map((p) => p.pkg.name).sort());
  });

  it('built-in families take @step4/core as a peer, like a third-party family; the CLI depends on it', () => {
    for (const { dir, pkg } of published.filter((p) => p.dir.startsWith('candidates-'))) {
      // Any 0.x core: the family's literal coreApi, not the version range, decides compatibility
      // (a ^0.1.0 peer would turn every minor of core into a major of the fixed group).
      expect(pkg.peerDependencies?.['@step4/core'], dir).toBe('workspace:>=0.1.0 <1');
      expect(pkg.dependencies?.['@step4/core'], dir).toBeUndefined();
      expect(pkg.devDependencies?.['@step4/core'], dir).toBe('workspace:^');
    }
    const cli = published.find((p) => p.dir === 'cli');
    expect(cli?.pkg.dependencies?.['@step4/core']).toBe('workspace:^');
  });
});
