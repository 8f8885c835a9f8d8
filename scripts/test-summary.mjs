// Sums the vitest JSON results of every workspace package into one closing line
// ("N passed, N failed"), so CI can read the outcome of the whole suite.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

let passed = 0;
let failed = 0;
let skipped = 0;
const perPackage = [];
for (const root of ['packages', 'tests']) {
  for (const name of readdirSync(root)) {
    const file = join(root, name, '.vitest-result.json');
    if (!existsSync(file)) continue;
    const r = JSON.parse(readFileSync(file, 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += r.numPendingTests + (r.numTodoTests ?? 0);
    perPackage.push(`${root}/${name}: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
  }
}
console.log(perPackage.join('\n'));
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
if (failed > 0 || passed === 0) process.exit(1);
