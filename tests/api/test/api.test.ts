/**
 * The public API surface of every published package, recorded in
 * api/<package>.api.txt: each exported name of each entry point of the
 * `exports` map with its declaration as the .d.ts files give it. A change
 * here is a change users see; if it is intended, record it with
 * `pnpm --filter @step4/api-tests api:update` and add a changeset
 * (a removed or changed export is a breaking change: a major bump).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const apiDir = fileURLToPath(new URL('../api/', import.meta.url));

function surface(pkgDir: string): string {
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const lines: string[] = [`# ${pkg.name}`];
  for (const [subpath, target] of Object.entries(pkg.exports as Record<string, unknown>)) {
    const types = typeof target === 'object' && target ? (target as { types?: string }).types : undefined;
    if (!types) continue;
    const entry = join(pkgDir, types);
    const program = ts.createProgram([entry], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, skipLibCheck: true, noEmit: true });
    const checker = program.getTypeChecker();
    const source = program.getSourceFile(entry);
    if (!source) throw new Error(`no declarations at ${entry} (build first)`);
    const moduleSymbol = checker.getSymbolAtLocation(source);
    lines.push('', `## ${subpath}`);
    const exported = moduleSymbol ? checker.getExportsOfModule(moduleSymbol) : [];
    for (const sym of [...exported].sort((a, b) => a.name.localeCompare(b.name))) {
      const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
      for (const decl of target.declarations ?? []) {
        const text = decl.getText().replace(/\/\*\*[\s\S]*?\*\//g, '').replace(/\s+/g, ' ').trim();
        lines.push(`${sym.name}: ${text}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

const packages = readdirSync(join(repo, 'packages')).filter((d) => existsSync(join(repo, 'packages', d, 'package.json')));

describe('public API surface', () => {
  it.each(packages)('%s matches its recorded API', (dir) => {
    const actual = surface(join(repo, 'packages', dir));
    const file = join(apiDir, `${dir}.api.txt`);
    if (process.env.UPDATE_API) {
      mkdirSync(apiDir, { recursive: true });
      writeFileSync(file, actual);
    }
    expect(existsSync(file), `no recorded API for ${dir}: run pnpm --filter @step4/api-tests api:update`).toBe(true);
    expect(actual).toBe(readFileSync(file, 'utf8'));
  });
});
