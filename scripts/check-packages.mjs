#!/usr/bin/env node
// Checks what would be published: packs every published package with
// `pnpm pack` into a temporary folder and checks the tarball, not the
// workspace folder:
//   - publint --strict (package.json fields, exports, files; warnings fail too)
//   - attw --profile esm-only (are the types right for every entry point of
//     the exports map; the packages are ESM-only, so CommonJS `require` and
//     node10 resolution are out of scope)
//   - the repository's own rules: LICENSE (the root one, byte for byte),
//     no TypeScript build info, no source map whose sources are neither in
//     the tarball nor inlined, `engines.node` and `repository` set, no
//     `workspace:` ranges left.
// Build first (`pnpm build`). Usage:
//   node scripts/check-packages.mjs                  every package under packages/
//   node scripts/check-packages.mjs <dir> [<dir>...]  only these package folders
// Exits 1 when any package has a problem (each one is printed).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => join(repo, 'node_modules', '.bin', name);
const rootLicense = readFileSync(join(repo, 'LICENSE'), 'utf8');

async function exec(cmd, args, cwd) {
  try {
    const { stdout, stderr } = await run(cmd, args, {
      cwd,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
    });
    return { code: 0, out: `${stdout}${stderr}` };
  } catch (e) {
    if (typeof e.code !== 'number') throw e;
    return { code: e.code, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

function listFiles(dir, prefix = '') {
  const out = [];
  for (const name of readdirSync(dir)) {
    const rel = prefix ? `${prefix}/${name}` : name;
    if (statSync(join(dir, name)).isDirectory()) out.push(...listFiles(join(dir, name), rel));
    else out.push(rel);
  }
  return out;
}

/** The repository's own rules, on the unpacked tarball. */
function ownChecks(unpacked) {
  const problems = [];
  const files = new Set(listFiles(unpacked));
  const pkg = JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8'));
  if (!files.has('LICENSE')) problems.push('no LICENSE in the tarball');
  else if (readFileSync(join(unpacked, 'LICENSE'), 'utf8') !== rootLicense)
    problems.push('LICENSE differs from the root LICENSE');
  if (pkg.license !== 'MIT') problems.push(`license is ${JSON.stringify(pkg.license)}, not "MIT"`);
  for (const f of files)
    if (/\.tsbuildinfo$|(^|\/)tsconfig\.tsbuildinfo$/.test(f))
      problems.push(`TypeScript build info shipped: ${f}`);
  for (const f of files) {
    if (!f.endsWith('.map')) continue;
    const map = JSON.parse(readFileSync(join(unpacked, f), 'utf8'));
    const base = posix.join(posix.dirname(f), map.sourceRoot ?? '');
    (map.sources ?? []).forEach((source, i) => {
      if (map.sourcesContent?.[i] != null) return;
      const target = posix.normalize(posix.join(base, source));
      if (!files.has(target))
        problems.push(`source map ${f} points at ${source}, which is neither shipped nor inlined`);
    });
  }
  if (!pkg.engines?.node) problems.push('no engines.node');
  const r = pkg.repository;
  if (!r || r.type !== 'git' || !r.url || !r.directory)
    problems.push('repository must be { type: "git", url, directory }');
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [name, range] of Object.entries(pkg[field] ?? {})) {
      if (/^(workspace|catalog):/.test(range)) problems.push(`${field}.${name} is still ${range}`);
    }
  }
  return problems;
}

async function checkPackage(pkgDir, dest) {
  const name = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).name;
  const packed = await exec('pnpm', ['pack', '--json', '--pack-destination', dest], pkgDir);
  if (packed.code !== 0) return { name, ok: false, report: `pnpm pack failed:\n${packed.out}` };
  const tarball = JSON.parse(packed.out.slice(packed.out.indexOf('{'))).filename;
  const unpacked = mkdtempSync(join(dest, 'unpacked-'));
  await run('tar', ['-xzf', tarball, '-C', unpacked]);
  const own = ownChecks(join(unpacked, 'package'));
  const publint = await exec(bin('publint'), ['--strict', tarball], repo);
  const attw = await exec(
    bin('attw'),
    [
      tarball,
      '--profile',
      'esm-only',
      '--format',
      'ascii',
      '--no-definitely-typed',
      '--no-emoji',
      '--no-color',
    ],
    repo,
  );
  const ok = own.length === 0 && publint.code === 0 && attw.code === 0;
  const report = [
    `own checks: ${own.length === 0 ? 'ok' : `\n  - ${own.join('\n  - ')}`}`,
    `publint: ${publint.code === 0 ? 'ok' : `exit ${publint.code}\n${publint.out.trim()}`}`,
    `attw: ${attw.code === 0 ? 'ok' : `exit ${attw.code}\n${attw.out.trim()}`}`,
  ].join('\n');
  return { name, ok, report };
}

const args = process.argv.slice(2);
const dirs = args.length
  ? args.map((a) => resolve(a))
  : readdirSync(join(repo, 'packages'))
      .map((d) => join(repo, 'packages', d))
      .filter(
        (d) =>
          existsSync(join(d, 'package.json')) &&
          !JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')).private,
      );
const dest = mkdtempSync(join(tmpdir(), 'step4-check-packages-'));
try {
  const results = [];
  const queue = [...dirs];
  const workers = Array.from({ length: Math.min(4, queue.length) }, async () => {
    for (let d = queue.shift(); d; d = queue.shift()) results.push(await checkPackage(d, dest));
  });
  await Promise.all(workers);
  results.sort((a, b) => a.name.localeCompare(b.name));
  for (const r of results) console.log(`${r.ok ? 'PASS' : 'FAIL'} ${r.name}\n${r.ok ? '' : `${r.report}\n`}`);
  const failed = results.filter((r) => !r.ok);
  console.log(
    `check-packages: ${results.length - failed.length} of ${results.length} packages pass publint, attw and the packaging rules`,
  );
  process.exitCode = failed.length ? 1 : 0;
} finally {
  rmSync(dest, { recursive: true, force: true });
}
