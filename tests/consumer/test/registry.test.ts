/**
 * Consumption by version through a real registry: a private registry
 * (verdaccio) started on loopback, the packed @step4 packages published to
 * it, and a fresh project outside the workspace that installs `@step4/cli` by
 * a version range, scaffolds a family with `step4 new-family`, runs the
 * family's own `npm install && npm test`, publishes the family, installs it by
 * range and runs `step4 run-all` with it.
 *
 * `@step4/*` and `step4-family-*` are served only from the local storage (no
 * uplink for them); everything else (the packages' third-party dependencies)
 * is proxied to the registry npm is configured with on this machine, read at
 * run time and written only into the temporary registry config.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packPackages, repo, run } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'step4-registry-'));
const tarballs = join(work, 'tarballs');
const project = join(work, 'project');
const familyDir = join(work, 'families', 'step4-family-my-family');
const familyPkg = 'step4-family-my-family';
const version = JSON.parse(readFileSync(join(repo, 'packages/cli/package.json'), 'utf8')).version as string;

interface Registry {
  url: string;
  token: string;
  logs: () => string;
  stop: () => Promise<void>;
}

let registry: Registry | undefined;
/** name -> { file, integrity } of every packed @step4 package. */
const packed = new Map<string, { file: string; version: string; integrity: string }>();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Start verdaccio as a child process on 127.0.0.1 with storage in `dir`; create a user and return its token. */
async function startRegistry(dir: string, upstream: string): Promise<Registry> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = {
    storage: join(dir, 'storage'),
    auth: { htpasswd: { file: join(dir, 'htpasswd'), max_users: 1 } },
    uplinks: { upstream: { url: upstream, timeout: '120s', maxage: '30m', max_fails: 100, fail_timeout: '2s', cache: false } },
    packages: {
      // Ours: only what was published here, never looked up elsewhere.
      '@step4/*': { access: '$all', publish: '$authenticated', unpublish: '$authenticated' },
      'step4-family-*': { access: '$all', publish: '$authenticated', unpublish: '$authenticated' },
      // Everything else (third-party dependencies): from the configured registry.
      '**': { access: '$all', publish: '$authenticated', proxy: 'upstream' },
    },
    // Signed tokens: a legacy token costs a password hash on every request.
    security: { api: { legacy: false, jwt: { sign: { expiresIn: '1d' } } } },
    web: { enable: false },
    max_body_size: '200mb',
    server: { keepAliveTimeout: 60 },
    log: { type: 'stdout', format: 'pretty', level: 'warn' },
  };
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, JSON.stringify(config, null, 2)); // JSON is YAML
  const bin = join(dirname(createRequire(import.meta.url).resolve('verdaccio/package.json')), 'bin', 'verdaccio');
  const child: ChildProcess = spawn(process.execPath, [bin, '--config', configFile, '--listen', `127.0.0.1:${port}`], {
    cwd: dir,
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout?.on('data', (d) => (log += d));
  child.stderr?.on('data', (d) => (log += d));
  let exited = false;
  child.once('exit', () => (exited = true));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.off('exit', killOnExit);
    if (exited) return;
    const done = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([done, sleep(5000)]);
    if (!exited) child.kill('SIGKILL');
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`verdaccio exited before it was ready:\n${log}`);
    const ok = await fetch(`${url}/-/ping`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`verdaccio did not answer on ${url}:\n${log}`);
    }
    await sleep(200);
  }
  const name = 'step4-test';
  const res = await fetch(`${url}/-/user/org.couchdb.user:${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ _id: `org.couchdb.user:${name}`, name, password: 'step4-test-password', type: 'user', roles: [], date: new Date().toISOString() }),
  });
  const body = (await res.json()) as { token?: string };
  if (!res.ok || !body.token) {
    await stop();
    throw new Error(`adduser failed (${res.status}): ${JSON.stringify(body)}\n${log}`);
  }
  return { url, token: body.token, logs: () => log, stop };
}

/**
 * The environment of every npm command here: a temporary user config and
 * cache, the local registry, none of the npm/pnpm/vitest variables this
 * process was started with, and no workspace `node_modules/.bin` on PATH (so
 * a binary that did not install from the registry is not found elsewhere).
 */
function npmEnv(reg: Registry): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|pnpm_|vitest|tinypool)/i.test(k) && k !== 'NODE_ENV') env[k] = v;
  env.PATH = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((p) => p && !p.startsWith(repo) && !p.includes(`${'node_modules'}/.bin`))
    .join(delimiter);
  return {
    ...env,
    FORCE_COLOR: '0',
    NO_COLOR: '1',
    npm_config_userconfig: join(work, 'npmrc'),
    npm_config_cache: join(work, 'npm-cache'),
    npm_config_registry: `${reg.url}/`,
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    npm_config_update_notifier: 'false',
  };
}

function npm(args: string[], cwd: string): Promise<string> {
  if (!registry) throw new Error('registry not started');
  const reg = registry;
  return run('npm', args, cwd, npmEnv(reg)).catch((e: Error) => {
    throw new Error(`${e.message}\n--- registry log ---\n${reg.logs().slice(-4000)}`);
  });
}

const sri = (file: string) => `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;

beforeAll(async () => {
  // The registry npm is configured with here (only ever written to the temp config).
  const upstream = (await run('npm', ['config', 'get', 'registry'], tmpdir())).trim();
  expect(upstream).toMatch(/^https?:\/\//);
  expect(upstream).not.toMatch(/\/\/(127\.0\.0\.1|localhost)[:/]/);

  mkdirSync(tarballs, { recursive: true });
  const [files] = await Promise.all([packPackages(tarballs), startRegistry(join(work, 'registry'), upstream).then((r) => (registry = r))]);
  if (!registry) throw new Error('registry not started');
  const host = registry.url.replace(/^https?:/, '');
  writeFileSync(join(work, 'npmrc'), `registry=${registry.url}/\n${host}/:_authToken=${registry.token}\n`);

  for (const file of files) {
    const path = join(tarballs, file);
    const manifest = JSON.parse(await run('tar', ['-xzOf', path, 'package/package.json'], work)) as { name: string; version: string };
    packed.set(manifest.name, { file: path, version: manifest.version, integrity: sri(path) });
  }
  expect([...packed.keys()]).toContain('@step4/cli');
  expect([...packed.keys()]).toContain('@step4/core');
  const url = registry.url;
  await Promise.all([...packed.values()].map(({ file }) => npm(['publish', file, '--access', 'public', '--registry', `${url}/`], work)));
}, 300_000);

afterAll(async () => {
  await registry?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('consumption by version through a registry (verdaccio on loopback)', () => {
  it('the registry serves each @step4 package exactly as packed, from its own storage', async () => {
    if (!registry) throw new Error('registry not started');
    for (const [name, p] of packed) {
      const res = await fetch(`${registry.url}/${name.replace('/', '%2f')}`);
      expect(res.status, name).toBe(200);
      const doc = (await res.json()) as { versions: Record<string, { dist: { integrity: string; tarball: string } }>; 'dist-tags': Record<string, string> };
      expect(Object.keys(doc.versions), name).toEqual([p.version]);
      expect(doc['dist-tags'].latest).toBe(p.version);
      expect(doc.versions[p.version].dist.integrity, name).toBe(p.integrity);
      expect(doc.versions[p.version].dist.tarball.startsWith(`${registry.url}/`), name).toBe(true);
    }
    // Not proxied: a @step4 name that was not published here is unknown.
    expect((await fetch(`${registry.url}/@step4%2fno-such-package`)).status).toBe(404);
  });

  it('a fresh project installs @step4/cli by a version range, all @step4 packages from the local registry', async () => {
    if (!registry) throw new Error('registry not started');
    mkdirSync(project, { recursive: true });
    await npm(['init', '-y'], project);
    const range = `^${version}`;
    // Third-party dependencies come through the uplink, which can stumble on a loaded machine:
    // up to three tries, a pause between them (the @step4 packages are local either way).
    const install = ['install', `@step4/cli@${range}`, '--no-audit', '--no-fund'];
    for (let attempt = 1; ; attempt++) {
      try {
        await npm(install, project);
        break;
      } catch (e) {
        if (attempt >= 3) throw e;
        await new Promise((r) => setTimeout(r, 10_000));
      }
    }

    const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
    expect(pkg.dependencies['@step4/cli']).toBe(range);
    const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string; resolved?: string; integrity?: string; link?: boolean }>;
    };
    const ours = Object.entries(lock.packages).filter(([path]) => /(^|\/)node_modules\/@step4\//.test(path));
    expect(ours.map(([path]) => path)).toContain('node_modules/@step4/cli');
    expect(ours.map(([path]) => path)).toContain('node_modules/@step4/core');
    for (const [path, entry] of ours) {
      const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
      const p = packed.get(name);
      expect(p, `${name} was packed`).toBeDefined();
      expect(entry.link, path).toBeUndefined();
      expect(entry.version, path).toBe(p?.version);
      expect(entry.resolved, path).toBe(`${registry.url}/${name}/-/${name.split('/')[1]}-${p?.version}.tgz`);
      expect(entry.integrity, path).toBe(p?.integrity);
    }
    const cli = JSON.parse(readFileSync(join(project, 'node_modules/@step4/cli/package.json'), 'utf8'));
    expect(JSON.stringify(cli.dependencies)).not.toContain('workspace:');
    expect(await npm(['exec', '--no', '--', 'step4', '--version'], project)).toContain(version);
  });

  it('step4 new-family scaffolds a family that passes its own npm install && npm test against the registry', async () => {
    await npm(['exec', '--no', '--', 'step4', 'new-family', 'my_family', '--dir', familyDir], project);
    const fam = JSON.parse(readFileSync(join(familyDir, 'package.json'), 'utf8'));
    expect(fam.name).toBe(familyPkg);
    // By version range, so it installs from a registry.
    expect(fam.devDependencies['@step4/core']).toBe(`^${version}`);
    expect(fam.peerDependencies['@step4/core']).toBe(`^${version}`);
    const install = ['install', '--no-audit', '--no-fund'];
    await npm(install, familyDir).catch(() => npm(install, familyDir));
    const lock = JSON.parse(readFileSync(join(familyDir, 'package-lock.json'), 'utf8'));
    expect(lock.packages['node_modules/@step4/core'].integrity).toBe(packed.get('@step4/core')?.integrity);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: strips colour codes
    const out = (await npm(['test'], familyDir)).replace(/\u001b\[[0-9;]*m/g, '');
    expect(out).toContain('test/conformance.test.js');
    expect(out).toMatch(/Tests\s+1 passed \(1\)/);
  });

  it('the family, published and installed by range, is in a step4 run-all', async () => {
    if (!registry) throw new Error('registry not started');
    await npm(['publish', '--registry', `${registry.url}/`], familyDir);
    await npm(['install', `${familyPkg}@^0.1.0`, '--no-audit', '--no-fund'], project);
    const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8'));
    expect(lock.packages[`node_modules/${familyPkg}`].resolved).toBe(`${registry.url}/${familyPkg}/-/${familyPkg}-0.1.0.tgz`);
    expect(JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')).dependencies[familyPkg]).toBe('^0.1.0');

    writeFileSync(join(project, 'step4.config.json'), JSON.stringify({ plugins: [familyPkg] }, null, 2));
    const fams = JSON.parse(await npm(['exec', '--no', '--', 'step4', 'families', '--json'], project)) as { name: string; source: string }[];
    expect(fams.find((f) => f.name === 'my_family')).toMatchObject({ source: familyPkg });

    await npm(['exec', '--no', '--', 'step4', 'run-all', '--quiet', '--no-chart', '--out-dir', 'out', '--jobs', '1', '--bootstrap-samples', '200'], project);
    const report = JSON.parse(readFileSync(join(project, 'out/return/optimization/step4_optimization_report.json'), 'utf8'));
    const names = report.candidates.map((c: { name: string }) => c.name);
    expect(names).toEqual(expect.arrayContaining(['my_family_lb3', 'my_family_lb6', 'my_family_lb12']));
    const mine = report.candidates.find((c: { name: string }) => c.name === 'my_family_lb6');
    expect(mine.error).toBeUndefined();
    expect(mine.family).toEqual({ name: 'my_family', version: '0.1.0' });
    const runReport = readFileSync(join(project, 'out/final/step4_run_report.json'), 'utf8');
    expect(runReport).toContain('my_family');
  });
});
