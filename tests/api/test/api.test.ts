/**
 * The public API of every published package, recorded by API Extractor in
 * api/<package>.api.md (the `.` entry point) and api/<package>-<subpath>.api.md
 * (every other entry point of the `exports` map, e.g. core-contract.api.md):
 * one API Extractor run per entry point, with the shared settings of
 * test/api-extractor.base.json, in check mode (`localBuild: false`). A change
 * here is a change users see; if it is intended, record it with
 * `pnpm --filter @step4/api-tests api:update` (API Extractor in local mode)
 * and add a changeset (a removed or changed export is a breaking change).
 * Build first: the reports are made from the packages' dist/*.d.ts.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Extractor, ExtractorConfig, type ExtractorMessage } from '@microsoft/api-extractor';
import { afterAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const apiDir = fileURLToPath(new URL('../api/', import.meta.url));
const baseConfigFile = fileURLToPath(new URL('./api-extractor.base.json', import.meta.url));
const update = Boolean(process.env.UPDATE_API);
const tempDir = mkdtempSync(join(tmpdir(), 'step4-api-'));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

interface Entry {
  /** report name: api/<report>.api.md */
  report: string;
  pkgDir: string;
  subpath: string;
  types: string;
}

/** Every entry point with types of every published package under packages/. */
function entries(): Entry[] {
  const out: Entry[] = [];
  for (const dir of readdirSync(join(repo, 'packages')).sort()) {
    const pkgDir = join(repo, 'packages', dir);
    if (!existsSync(join(pkgDir, 'package.json'))) continue;
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    if (pkg.private) continue;
    for (const [subpath, target] of Object.entries(pkg.exports as Record<string, unknown>)) {
      const types = typeof target === 'object' && target ? (target as { types?: string }).types : undefined;
      if (!types) continue;
      const suffix = subpath === '.' ? '' : `-${subpath.replace(/^\.\//, '').replace(/\//g, '-')}`;
      out.push({ report: `${dir}${suffix}`, pkgDir, subpath, types });
    }
  }
  return out;
}

function extract(entry: Entry, localBuild: boolean) {
  const configObject = ExtractorConfig.loadFile(baseConfigFile);
  configObject.projectFolder = entry.pkgDir;
  configObject.mainEntryPointFilePath = join(entry.pkgDir, entry.types);
  configObject.apiReport = {
    ...configObject.apiReport,
    enabled: true,
    reportFileName: entry.report,
    reportFolder: apiDir,
    reportTempFolder: join(tempDir, entry.report),
  };
  const config = ExtractorConfig.prepare({
    configObject,
    configObjectFullPath: baseConfigFile,
    packageJsonFullPath: join(entry.pkgDir, 'package.json'),
  });
  const messages: string[] = [];
  const result = Extractor.invoke(config, {
    localBuild,
    messageCallback: (m: ExtractorMessage) => {
      // console-* messages only say that the report was written or differs (checked below)
      if (m.category !== 'console' && (m.logLevel === 'error' || m.logLevel === 'warning')) {
        messages.push(m.formatMessageWithLocation(repo));
      }
      m.handled = true;
    },
  });
  return { result, messages, config };
}

const all = entries();

describe('public API (API Extractor reports in tests/api/api)', () => {
  it('finds the entry points of every published package', () => {
    expect(all.map((e) => e.report)).toEqual(expect.arrayContaining(['core', 'core-contract', 'core-testing', 'cli']));
  });

  it.each(all.map((e) => [`${e.report} (${e.subpath})`, e] as const))('%s matches its recorded API report', (_, entry) => {
    const file = join(apiDir, `${entry.report}.api.md`);
    if (update) mkdirSync(apiDir, { recursive: true });
    else expect(existsSync(file), `no API report ${file}: run pnpm --filter @step4/api-tests api:update`).toBe(true);
    const { result, messages, config } = extract(entry, update);
    expect(messages, 'API Extractor errors or warnings').toEqual([]);
    if (!update && result.apiReportChanged) {
      // Show the difference: API Extractor wrote the current API to its temp folder.
      expect(readFileSync(config.reportTempFilePath, 'utf8'), `${entry.report}: the public API changed (api:update)`).toBe(
        readFileSync(file, 'utf8'),
      );
    }
    expect(result.apiReportChanged && !update).toBe(false);
    expect(result.succeeded).toBe(true);
  });

  it('has no API report for an entry point that no longer exists', () => {
    const expected = new Set(all.map((e) => `${e.report}.api.md`));
    const stale = readdirSync(apiDir).filter((f) => !expected.has(f));
    if (update) for (const f of stale) rmSync(join(apiDir, f));
    else expect(stale, 'stale reports: run pnpm --filter @step4/api-tests api:update').toEqual([]);
  });
});
