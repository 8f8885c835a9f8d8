import { describe, expect, it } from 'vitest';
import { markNode, presortWindow, SMALL_NODE, sortNode } from '../src/forest-sort.js';
import { rand } from './helpers.js';

/** A plain insertion sort of `rows` by `value` (stable: ties keep their order), as the forest first sorted. */
function insertionSorted(rows: number[], value: (r: number) => number): number[] {
  const out: number[] = [];
  for (const r of rows) {
    let q = out.length;
    while (q > 0 && value(out[q - 1]) > value(r)) q--;
    out.splice(q, 0, r);
  }
  return out;
}

describe('sortNode (presorted window, filtered per node)', () => {
  it('orders a node like a stable sort of rows[from, to) on random windows with ties, signed zeros and NaN', () => {
    const r = rand(99);
    const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
    let filtered = 0;
    for (let s = 0; s < 500; s++) {
      const n = int(1, 64);
      const f = int(1, 6);
      const levels = r() < 0.6 ? int(1, 5) : 0;
      const special = r() < 0.3;
      const X = Float64Array.from({ length: n * f }, () => {
        if (special && r() < 0.1) return [0, -0, Number.NaN][int(0, 2)];
        return levels ? int(0, levels - 1) : r();
      });
      const ns = presortWindow(X, n, f);
      // A node: some distinct rows in a shuffled order, somewhere inside rows[].
      const perm = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = int(0, i);
        [perm[i], perm[j]] = [perm[j], perm[i]];
      }
      ns.rows.set(perm);
      const from = int(0, n - 1);
      const to = int(from + 1, n);
      const node = perm.slice(from, to);
      markNode(ns, from, to, 1);
      for (let feat = 0; feat < f; feat++) {
        const value = (row: number) => X[row * f + feat];
        sortNode(X, ns, from, to, feat);
        const want = insertionSorted(node, value);
        expect(Array.from(ns.order.subarray(0, node.length)), `case ${s} feature ${feat}`).toEqual(want);
        expect(
          Array.from(ns.vals.subarray(0, node.length), (v) => (Object.is(v, -0) ? '-0' : String(v))),
        ).toEqual(want.map((row) => (Object.is(value(row), -0) ? '-0' : String(value(row)))));
        if (node.length >= SMALL_NODE && ns.presorted[feat] === 1) filtered++;
      }
      markNode(ns, from, to, 0);
      expect(ns.inNode.every((v) => v === 0)).toBe(true);
    }
    // The filter path, not only the insertion sort, was exercised.
    expect(filtered).toBeGreaterThan(300);
  });

  it('presorts each feature by value, ties by row index, and flags ties and NaN', () => {
    // 4 rows x 2 features: feature 0 is 3, 1, 2, 1 (a tie), feature 1 is 1, NaN, 0, 5.
    const X = Float64Array.from([3, 1, 1, Number.NaN, 2, 0, 1, 5]);
    const ns = presortWindow(X, 4, 2);
    expect(Array.from(ns.sorted.subarray(0, 4))).toEqual([1, 3, 2, 0]);
    expect(Array.from(ns.presorted)).toEqual([1, 0]);
    expect(Array.from(ns.hasTies)).toEqual([1, 0]);
  });
});
