/**
 * `step4 new-family --ts` scaffolds a TypeScript family package that builds
 * to dist/ with declarations, passes its conformance test, is typed from its
 * parameter schema (a typo does not compile) and loads as a plugin.
 * Its tools (typescript, vitest, @types/node, @step4/core) are linked from
 * this workspace; the registry consumer test installs the JS scaffold from npm.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { step4Async } from './helpers.js';

const cliModules = fileURLToPath(new URL('../node_modules/', import.meta.url));

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, FORCE_COLOR: '0' } });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe('step4 new-family --ts', () => {
  it('builds, passes its conformance test, is typed from its schema, and runs as a plugin', async () => {
    const work = mkdtempSync(join(tmpdir(), 'step4-newfamily-ts-'));
    const dir = join(work, 'fam');
    const made = await step4Async(['new-family', 'my_tilt', '--ts', '--dir', dir], work);
    expect(made.code, made.stderr).toBe(0);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(pkg.exports['.']).toEqual({ types: './dist/index.d.ts', import: './dist/index.js' });
    mkdirSync(join(dir, 'node_modules', '@step4'), { recursive: true });
    mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
    symlinkSync(
      fileURLToPath(new URL('../../core', import.meta.url)),
      join(dir, 'node_modules', '@step4', 'core'),
    );
    for (const m of ['typescript', 'vitest', '@types/node'])
      symlinkSync(realpathSync(join(cliModules, m)), join(dir, 'node_modules', m));
    const tsc = join(dir, 'node_modules', 'typescript', 'bin', 'tsc');

    const build = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], dir);
    expect(build.code, build.out).toBe(0);
    expect(readFileSync(join(dir, 'dist', 'index.d.ts'), 'utf8')).toContain('myTiltFamily');
    const test = await run(process.execPath, [join(dir, 'node_modules', 'vitest', 'vitest.mjs'), 'run'], dir);
    expect(test.code, test.out).toBe(0);

    writeFileSync(join(work, 'step4.config.json'), JSON.stringify({ plugins: ['./fam'] }));
    const families = await step4Async(['families', '--json'], work);
    expect(families.code, families.stderr).toBe(0);
    expect(JSON.parse(families.stdout).map((f: { name: string }) => f.name)).toContain('my_tilt');

    // Installed under its name (ESM-only exports: no "require" condition), it loads by name too.
    mkdirSync(join(work, 'node_modules'));
    symlinkSync(dir, join(work, 'node_modules', pkg.name));
    writeFileSync(join(work, 'step4.config.json'), JSON.stringify({ plugins: [pkg.name] }));
    const byName = await step4Async(['families', '--json'], work);
    expect(byName.code, byName.stderr).toBe(0);
    expect(JSON.parse(byName.stdout).map((f: { name: string }) => f.name)).toContain('my_tilt');

    // config is typed from the parameter schema: a misspelt parameter is a compile error.
    const src = join(dir, 'src', 'index.ts');
    writeFileSync(src, readFileSync(src, 'utf8').replace('config.lookback', 'config.lookbak'));
    const typo = await run(process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit'], dir);
    expect(typo.code).not.toBe(0);
    expect(typo.out).toContain("'lookbak' does not exist");
  }, 120_000);
});
