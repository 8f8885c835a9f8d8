/**
 * Sorting a tree node's rows by one feature for the typed forest's split
 * search (internal to forest.ts, not exported by the package). The search
 * needs the rows of rows[from, to) in the order a stable insertion sort by
 * value gives (ties in rows[] order): its sums run in that order and its
 * tie-breaks follow it. Each feature of the window is sorted once per forest;
 * a large node then filters that order instead of sorting its own rows.
 */

/**
 * Nodes with fewer rows than this sort them by insertion; larger ones filter
 * the window's presorted order (O(n) instead of O(m^2)). Both give the same
 * order, so the threshold only affects speed: with the branch-free filter, 8
 * beats 12 by about 3% on the embedded grid's forests (48-row windows; 4, 6,
 * 16 and 20 measured too).
 */
export const SMALL_NODE = 8;

export interface NodeSort {
  readonly n: number;
  readonly f: number;
  /** Rows of the current tree, partitioned in place per node. */
  readonly rows: Int32Array;
  /** Rows of a node ordered by one feature, and their values of that feature. */
  readonly order: Int32Array;
  readonly vals: Float64Array;
  /** Per feature (f x n): all rows of the window by value, ties by row index, and those values. */
  readonly sorted: Int32Array;
  readonly sortedV: Float64Array;
  /** Per feature: 1 when `sorted` is usable (no NaN in the column, so `>` is a total order). */
  readonly presorted: Uint8Array;
  /** Per feature: 1 when two rows of the window share a value. */
  readonly hasTies: Uint8Array;
  /** inNode[r] = 1 while row r is in the marked node; pos[r]: its position in rows[]. */
  readonly inNode: Uint8Array;
  readonly pos: Int32Array;
}

/** Buffers for a window X (row-major n x f) with every feature sorted (insertion sort: stable). */
export function presortWindow(X: Float64Array, n: number, f: number): NodeSort {
  const ns: NodeSort = {
    n,
    f,
    rows: new Int32Array(n),
    order: new Int32Array(n),
    vals: new Float64Array(n),
    sorted: new Int32Array(f * n),
    sortedV: new Float64Array(f * n),
    presorted: new Uint8Array(f),
    hasTies: new Uint8Array(f),
    inNode: new Uint8Array(n),
    pos: new Int32Array(n),
  };
  const { sorted, sortedV } = ns;
  for (let feat = 0; feat < f; feat++) {
    const base = feat * n;
    let nan = false;
    for (let i = 0; i < n; i++) {
      const v = X[i * f + feat];
      if (Number.isNaN(v)) nan = true;
      let q = i - 1;
      while (q >= 0 && sortedV[base + q] > v) {
        sorted[base + q + 1] = sorted[base + q];
        sortedV[base + q + 1] = sortedV[base + q];
        q--;
      }
      sorted[base + q + 1] = i;
      sortedV[base + q + 1] = v;
    }
    ns.presorted[feat] = nan ? 0 : 1;
    let ties = 0;
    for (let i = 1; i < n; i++) if (sortedV[base + i] === sortedV[base + i - 1]) ties = 1;
    ns.hasTies[feat] = ties;
  }
  return ns;
}

/**
 * Mark (on = 1) or unmark (on = 0) the rows of rows[from, to) for sortNode's
 * filter; a node of fewer than SMALL_NODE rows is sorted by insertion and
 * needs no marks.
 */
export function markNode(ns: NodeSort, from: number, to: number, on: 0 | 1): void {
  if (to - from < SMALL_NODE) return;
  const { rows, inNode, pos } = ns;
  for (let p = from; p < to; p++) inNode[rows[p]] = on;
  if (on === 1) for (let p = from; p < to; p++) pos[rows[p]] = p;
}

/**
 * order/vals[0, m) = rows[from, to) sorted by feature `feat`, stable (ties in
 * rows[] order). A node of SMALL_NODE rows or more must be marked (markNode).
 */
export function sortNode(X: Float64Array, ns: NodeSort, from: number, to: number, feat: number): void {
  const { f, n, rows, order, vals } = ns;
  const m = to - from;
  if (m < SMALL_NODE || ns.presorted[feat] === 0) {
    for (let p = 0; p < m; p++) {
      const r = rows[from + p];
      const v = X[r * f + feat];
      let q = p - 1;
      while (q >= 0 && vals[q] > v) {
        order[q + 1] = order[q];
        vals[q + 1] = vals[q];
        q--;
      }
      order[q + 1] = r;
      vals[q + 1] = v;
    }
    return;
  }
  const { sorted, sortedV, inNode, pos } = ns;
  const base = feat * n;
  let q = 0;
  for (let i = 0; i < n; i++) {
    // Branch-free (membership is a coin flip): write every row, advance past the node's own.
    const r = sorted[base + i];
    order[q] = r;
    vals[q] = sortedV[base + i];
    q += inNode[r];
  }
  if (ns.hasTies[feat] === 0) return;
  // The filter leaves tied rows in row-index order: put them back in rows[] order.
  for (let p = 1; p < m; p++) {
    const v = vals[p];
    if (v !== vals[p - 1]) continue;
    const r = order[p];
    const at = pos[r];
    let s = p - 1;
    // vals move too: -0 and 0 tie.
    while (s >= 0 && vals[s] === v && pos[order[s]] > at) {
      order[s + 1] = order[s];
      vals[s + 1] = vals[s];
      s--;
    }
    order[s + 1] = r;
    vals[s + 1] = v;
  }
}
