// Hashes of every file of a step4 output folder, one line each ("sha256  path"),
// with the generation timestamp and package versions blanked in JSON and HTML, so that two
// identical runs hash the same and a release (a version bump) changes nothing.
// Used as a guard when the engine changes: record before, compare after.
//   node scripts/output-hashes.mjs <out-dir>            prints the hashes
//   node scripts/output-hashes.mjs <out-dir> <file>     compares with a recorded list
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const [dir, recorded] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node scripts/output-hashes.mjs <out-dir> [recorded-hashes]');
  process.exit(2);
}
// The only field that differs between two identical runs (see @step4/report documents.ts).
const TIMESTAMP = /"generated_at_utc": ?"[^"]*"/g;
// The tear sheet's manifest table shows the same time as a cell.
const TIMESTAMP_CELL = /<td>generated_at_utc<\/td><td>[^<]*<\/td>/g;
const VERSION = /"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?"/g;

function* files(d) {
  for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(d, e.name);
    if (e.isDirectory()) yield* files(p);
    else yield p;
  }
}
const lines = [];
for (const f of files(dir)) {
  let bytes = readFileSync(f);
  if (/\.(json|html)$/.test(f))
    bytes = Buffer.from(
      bytes
        .toString('utf8')
        .replace(TIMESTAMP, '"generated_at_utc":""')
        .replace(TIMESTAMP_CELL, '<td>generated_at_utc</td><td></td>')
        .replace(VERSION, '"<version>"'),
    );
  lines.push(`${createHash('sha256').update(bytes).digest('hex')}  ${relative(dir, f)}`);
}
if (!recorded) {
  console.log(lines.join('\n'));
  process.exit(0);
}
const before = new Map(
  readFileSync(recorded, 'utf8')
    .trim()
    .split('\n')
    .map((l) => [l.slice(66), l.slice(0, 64)]),
);
const after = new Map(lines.map((l) => [l.slice(66), l.slice(0, 64)]));
let changed = 0;
for (const [p, h] of before) {
  if (!after.has(p)) console.log(`missing  ${p}`), changed++;
  else if (after.get(p) !== h) console.log(`changed  ${p}`), changed++;
}
for (const p of after.keys()) if (!before.has(p)) console.log(`new      ${p}`), changed++;
console.log(`${after.size} files, ${changed} differ from ${recorded}`);
process.exit(changed ? 1 : 0);
