import { SeededRandom } from '@step4/core';
import type { ForestEngine, ForestParams } from '../src/forest.js';

/**
 * The typed forest before its speed-ups (insertion sort of every node for every
 * candidate feature, every node of every tree grown), kept verbatim as the
 * reference for forest.test.ts. Same draws, same sums in the same order.
 */

/** Reusable buffers for growing trees on one problem size. */
interface Work {
  readonly n: number;
  readonly f: number;
  readonly k: number;
  /** Sample weight per row (bootstrap count x class weight). */
  readonly w: Float64Array;
  /** Bootstrap count per row. */
  readonly count: Int32Array;
  /** Rows of the current tree with count > 0, partitioned in place per node. */
  readonly rows: Int32Array;
  /** Sort buffer: rows of a node ordered by one feature. */
  readonly order: Int32Array;
  readonly features: Int32Array;
  readonly leftW: Float64Array;
  readonly totalW: Float64Array;
  /** Leaf class distributions accumulated for the new rows. */
  readonly proba: Float64Array;
}

interface NodeSplit {
  feature: number;
  threshold: number;
  /** Position in rows[] where the right child starts. */
  mid: number;
}

function gini(classW: Float64Array, off: number, k: number, total: number): number {
  if (total <= 0) return 0;
  let s = 0;
  for (let c = 0; c < k; c++) {
    const p = classW[off + c] / total;
    s += p * p;
  }
  return 1 - s;
}

/**
 * Best split of rows[from, to) over up to `maxFeatures` features drawn
 * without replacement (features constant in the node do not count, as in
 * scikit-learn), or null when no split keeps `minLeaf` samples on each side
 * and lowers the impurity.
 */
function bestSplit(
  X: Float64Array,
  y: Int32Array,
  wk: Work,
  from: number,
  to: number,
  maxFeatures: number,
  minLeaf: number,
  rng: SeededRandom,
): NodeSplit | null {
  const { f, k, w, order, features, leftW, totalW } = wk;
  totalW.fill(0);
  let total = 0;
  const samples = to - from;
  for (let p = from; p < to; p++) {
    const r = wk.rows[p];
    totalW[y[r]] += w[r];
    total += w[r];
  }
  const parent = gini(totalW, 0, k, total);
  if (parent <= 0 || samples < 2 * minLeaf) return null;
  let best: NodeSplit | null = null;
  let bestImpurity = parent - 1e-12;
  for (let j = 0; j < f; j++) features[j] = j;
  let drawn = 0;
  let remaining = f;
  while (remaining > 0 && drawn < maxFeatures) {
    const pick = rng.nextInt(remaining);
    const feat = features[pick];
    features[pick] = features[remaining - 1];
    features[remaining - 1] = feat;
    remaining--;
    // Rows of the node sorted by this feature (insertion sort: nodes hold <= ~48 rows).
    const m = to - from;
    for (let p = 0; p < m; p++) {
      const r = wk.rows[from + p];
      const v = X[r * f + feat];
      let q = p - 1;
      while (q >= 0 && X[order[q] * f + feat] > v) {
        order[q + 1] = order[q];
        q--;
      }
      order[q + 1] = r;
    }
    if (X[order[0] * f + feat] === X[order[m - 1] * f + feat]) continue; // constant here: draw another
    drawn++;
    leftW.fill(0);
    let wl = 0;
    let nl = 0;
    for (let p = 0; p < m - 1; p++) {
      const r = order[p];
      leftW[y[r]] += w[r];
      wl += w[r];
      nl++;
      const v = X[r * f + feat];
      const vNext = X[order[p + 1] * f + feat];
      if (v === vNext) continue;
      const nr = samples - nl;
      if (nl < minLeaf || nr < minLeaf) continue;
      const wr = total - wl;
      let gl = 0;
      let gr = 0;
      for (let c = 0; c < k; c++) {
        const pl = leftW[c] / wl;
        const pr = (totalW[c] - leftW[c]) / wr;
        gl += pl * pl;
        gr += pr * pr;
      }
      const impurity = (wl * (1 - gl) + wr * (1 - gr)) / total;
      if (impurity < bestImpurity) {
        bestImpurity = impurity;
        let threshold = v / 2 + vNext / 2;
        if (threshold === vNext) threshold = v;
        best = { feature: feat, threshold, mid: 0 };
      }
    }
  }
  if (!best) return null;
  // Partition rows[from, to) in place: <= threshold to the left.
  let lo = from;
  let hi = to - 1;
  while (lo <= hi) {
    if (X[wk.rows[lo] * f + best.feature] <= best.threshold) lo++;
    else {
      const t = wk.rows[lo];
      wk.rows[lo] = wk.rows[hi];
      wk.rows[hi] = t;
      hi--;
    }
  }
  best.mid = lo;
  return best;
}

/** Grow one tree and add its leaf distributions for the new rows into proba. */
function growTree(
  X: Float64Array,
  y: Int32Array,
  wk: Work,
  nRows: number,
  xNew: Float64Array,
  m: number,
  params: ForestParams,
  maxFeatures: number,
  rng: SeededRandom,
): void {
  const { f, k } = wk;
  // The new rows descend with the node being grown, so no tree is stored.
  const grow = (from: number, to: number, depth: number, targets: number[]) => {
    const split =
      depth < params.maxDepth ? bestSplit(X, y, wk, from, to, maxFeatures, params.minSamplesLeaf, rng) : null;
    if (!split) {
      const dist = wk.totalW;
      dist.fill(0);
      let total = 0;
      for (let p = from; p < to; p++) {
        const r = wk.rows[p];
        dist[y[r]] += wk.w[r];
        total += wk.w[r];
      }
      for (const t of targets)
        for (let c = 0; c < k; c++) wk.proba[t * k + c] += total > 0 ? dist[c] / total : 1 / k;
      return;
    }
    const left: number[] = [];
    const right: number[] = [];
    for (const t of targets) (xNew[t * f + split.feature] <= split.threshold ? left : right).push(t);
    grow(from, split.mid, depth + 1, left);
    grow(split.mid, to, depth + 1, right);
  };
  const all: number[] = [];
  for (let t = 0; t < m; t++) all.push(t);
  grow(0, nRows, 0, all);
}

/** The forest as first written: the reference the presorted forest must match bit for bit. */
export const referenceForest: ForestEngine = {
  name: 'reference',
  fitPredictProba(X, n, f, y, nClasses, xNew, params) {
    const m = xNew.length / f;
    const k = nClasses;
    const wk: Work = {
      n,
      f,
      k,
      w: new Float64Array(n),
      count: new Int32Array(n),
      rows: new Int32Array(n),
      order: new Int32Array(n),
      features: new Int32Array(f),
      leftW: new Float64Array(k),
      totalW: new Float64Array(k),
      proba: new Float64Array(m * k),
    };
    const maxFeatures =
      params.maxFeatures === 'sqrt' ? Math.max(1, Math.floor(Math.sqrt(f))) : params.maxFeatures;
    const classCount = new Float64Array(k);
    const master = new SeededRandom(params.seed);
    for (let t = 0; t < params.nTrees; t++) {
      const rng = new SeededRandom(master.nextUint32());
      wk.count.fill(0);
      for (let i = 0; i < n; i++) wk.count[rng.nextInt(n)]++;
      // balanced_subsample: class weights from this tree's bootstrap sample.
      classCount.fill(0);
      for (let i = 0; i < n; i++) classCount[y[i]] += wk.count[i];
      let present = 0;
      for (let c = 0; c < k; c++) if (classCount[c] > 0) present++;
      let nRows = 0;
      for (let i = 0; i < n; i++) {
        let cw = 1;
        if (params.classWeight === 'balanced_subsample') cw = n / (present * classCount[y[i]] || 1);
        wk.w[i] = wk.count[i] * cw;
        if (wk.count[i] > 0) wk.rows[nRows++] = i;
      }
      growTree(X, y, wk, nRows, xNew, m, params, maxFeatures, rng);
    }
    for (let i = 0; i < wk.proba.length; i++) wk.proba[i] /= params.nTrees;
    return wk.proba;
  },
};
