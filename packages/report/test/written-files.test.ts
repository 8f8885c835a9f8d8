import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FolderWriter } from '../src/folder-writer.js';
import { Semaphore } from '../src/semaphore.js';
import { type PathColumns, monthlyTable, parquetFromIpc, pathTable, readParquetTable } from '../src/tables.js';
import { random } from './random.js';

/** Random finite values with the awkward ones mixed in: -0, 0, tiny, huge, integers. */
function values(n: number, next: () => number, holes = false): Float64Array {
  const special = [-0, 0, 5e-324, -1e300, 1e300, 1, -1];
  return Float64Array.from({ length: n }, () => {
    const u = next();
    if (holes && u < 0.2) return Number.NaN;
    if (u < 0.3) return special[Math.floor(next() * special.length)];
    return (next() - 0.5) * 10 ** Math.floor(next() * 12 - 6);
  });
}

function monthEnds(n: number, next: () => number): string[] {
  const start = Math.floor(next() * 600);
  return Array.from({ length: n }, (_, i) =>
    new Date(Date.UTC(1980, start + i + 1, 0)).toISOString().slice(0, 10),
  );
}

function randomPath(sleeves: number, n: number, next: () => number): PathColumns {
  const per = () => Array.from({ length: sleeves }, () => values(n, next));
  return {
    monthEnds: monthEnds(n, next),
    sleeveReturns: per(),
    weights: per(),
    grossLeverage: values(n, next),
    retGross: values(n, next),
    cost: values(n, next),
    retNet: values(n, next),
    turnoverAbs: values(n, next),
    policyWRaw: per(),
    policyConf: values(n, next),
    ...(next() < 0.5 ? { financingCost: values(n, next) } : {}),
    ...(next() < 0.7 ? { extra: { mu_b: values(n, next, true), mu_a: values(n, next, true) } } : {}),
  };
}

describe('a written table read back from memory', () => {
  it('is what readParquetTable reads from its bytes: path tables of 2 to 5 sleeves', () => {
    const next = random(42);
    for (let k = 0; k < 24; k++) {
      const sleeves = 2 + (k % 4);
      const names = Array.from({ length: sleeves }, (_, s) => `s${s}`);
      const t = pathTable(randomPath(sleeves, 1 + Math.floor(next() * 150), next), names, 'p.parquet', parquetFromIpc);
      expect(t.readBack()).toStrictEqual(readParquetTable(t.bytes));
    }
  });

  it('is what readParquetTable reads from its bytes: monthly tables', () => {
    const next = random(7);
    for (let k = 0; k < 12; k++) {
      const n = 1 + Math.floor(next() * 150);
      const t = monthlyTable(
        {
          monthEnds: monthEnds(n, next),
          retNet: Float64Array.from({ length: n }, () => (next() - 0.5) * 0.2),
          weights: [values(n, next), values(n, next), values(n, next)],
          grossLeverage: values(n, next),
        },
        ['a', 'b', 'c'],
        10_000,
        'm.parquet',
        parquetFromIpc,
      );
      expect(t.readBack()).toStrictEqual(readParquetTable(t.bytes));
    }
  });

  it('keeps what was written when the caller changes its arrays afterwards', () => {
    const path = randomPath(2, 12, random(3));
    const t = pathTable(path, ['a', 'b'], 'p.parquet', parquetFromIpc);
    path.retNet.fill(123);
    expect(t.readBack()).toStrictEqual(readParquetTable(t.bytes));
  });
});

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'step4-folder-writer-'));
  roots.push(dir);
  return dir;
}
const filesIn = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
const later = <T>(ms: number, value: T) => new Promise<T>((r) => setTimeout(() => r(value), ms));

describe('FolderWriter', () => {
  it('writes every file, takes one step per file, and serves what it wrote (copies too)', async () => {
    const dir = scratch();
    let steps = 0;
    const out = new FolderWriter(async () => {
      steps++;
    });
    const table = pathTable(randomPath(2, 10, random(1)), ['a', 'b'], 'p.parquet', parquetFromIpc);
    await out.put(join(dir, 'a', 'x.json'), '{"x": "é"}\n');
    await out.put(join(dir, 'a', 'deep', 'p.parquet'), table.bytes, table);
    await out.put(join(dir, 'a', 'chart.png'), later(30, Uint8Array.from([1, 2, 3])));
    for (let i = 0; i < 20; i++) await out.put(join(dir, 'b', `${i}.txt`), `file ${i}`);
    await out.copy(join(dir, 'a'), join(dir, 'c'));
    await out.finish();
    expect(steps).toBe(26);
    expect(filesIn(dir)).toEqual(
      [
        'a/chart.png',
        'a/deep/p.parquet',
        'a/x.json',
        ...Array.from({ length: 20 }, (_, i) => `b/${i}.txt`),
        'c/chart.png',
        'c/deep/p.parquet',
        'c/x.json',
      ].sort(),
    );
    expect(readFileSync(join(dir, 'c', 'chart.png'))).toEqual(Buffer.from([1, 2, 3]));
    expect(await out.text(join(dir, 'c', 'x.json'))).toBe(readFileSync(join(dir, 'a', 'x.json'), 'utf8'));
    expect(await out.table(join(dir, 'c', 'deep', 'p.parquet'))).toStrictEqual(
      readParquetTable(readFileSync(join(dir, 'a', 'deep', 'p.parquet'))),
    );
    expect(await out.text(join(dir, 'a', 'missing.json'))).toBeUndefined();
    expect(await out.table(join(dir, 'a', 'missing.parquet'))).toBeUndefined();
  });

  it('stops at the first failed step and writes nothing once settled', async () => {
    const dir = scratch();
    let steps = 0;
    const out = new FolderWriter(async () => {
      if (++steps === 3) throw new Error('aborted');
    });
    const put = async () => {
      for (let i = 0; i < 50; i++) await out.put(join(dir, `${i}.txt`), 'x'.repeat(1000));
    };
    await expect(put()).rejects.toThrow('aborted');
    await out.settle();
    const after = filesIn(dir);
    expect(after.length).toBeLessThan(50);
    await later(50, null);
    expect(filesIn(dir)).toEqual(after);
    await expect(out.finish()).rejects.toThrow('aborted');
  });

  it('reports a content that fails to render from finish, never as an unhandled rejection', async () => {
    const dir = scratch();
    const out = new FolderWriter(async () => {});
    await out.put(
      join(dir, 'chart.png'),
      later(10, null).then(() => Promise.reject(new Error('chart failed'))),
    );
    await out.put(join(dir, 'ok.txt'), 'ok');
    await expect(out.finish()).rejects.toThrow('chart failed');
    expect(filesIn(dir)).toEqual(['ok.txt']);
  });
});

describe('Semaphore', () => {
  it('never lets more than its size run at once, and runs every task in order of asking', async () => {
    const next = random(5);
    const sem = new Semaphore(3);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        sem.run(async () => {
          started.push(i);
          most = Math.max(most, ++running);
          await later(Math.floor(next() * 5), null);
          running--;
        }),
      ),
    );
    expect(most).toBe(3);
    expect(started).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });
});
