import { SeededRandom } from '@step4/core';
import { markNode, type NodeSort, presortWindow, sortNode } from './forest-sort.js';

/**
 * A random forest classifier written for small walk-forward windows
 * (<= 48 rows x 17 features), on typed arrays, following scikit-learn's
 * RandomForestClassifier: bootstrap samples drawn as per-row counts, class
 * weights "balanced_subsample" computed on each tree's bootstrap sample,
 * weighted Gini impurity, `max_features` candidate features drawn afresh at
 * every split, a minimum number of bootstrap samples per leaf, a maximum
 * depth, and soft voting (the mean of the trees' leaf class distributions).
 * Seeded and deterministic; not numpy's generator, so it agrees with
 * scikit-learn statistically, not bit for bit.
 */

export interface ForestParams {
  readonly nTrees: number;
  readonly maxDepth: number;
  /** Minimum number of distinct training rows in a leaf (scikit-learn counts rows, not bootstrap copies). */
  readonly minSamplesLeaf: number;
  /** Features tried per split: 'sqrt' = floor(sqrt(n_features)), or a count. */
  readonly maxFeatures: 'sqrt' | number;
  /** 'balanced_subsample': n / (classes * count) on each tree's bootstrap sample; null: unweighted. */
  readonly classWeight: 'balanced_subsample' | null;
  readonly seed: number;
}

/** A forest's settings without its seed (a family's fixed forest). */
export type ForestSettings = Omit<ForestParams, 'seed'>;

/**
 * The parameters of one fit: `settings` with `seed`. Built as one literal so
 * that every fit's parameters share a hidden class: V8 (Node 20) gives
 * `{ ...settings, seed }` a new one on every call, and the forest's optimised
 * code then meets a new shape at each fit and is thrown away.
 */
export function forestParams(settings: ForestSettings, seed: number): ForestParams {
  return {
    nTrees: settings.nTrees,
    maxDepth: settings.maxDepth,
    minSamplesLeaf: settings.minSamplesLeaf,
    maxFeatures: settings.maxFeatures,
    classWeight: settings.classWeight,
    seed,
  };
}

/** Fits a forest and returns class probabilities for new rows. */
export interface ForestEngine {
  readonly name: string;
  /**
   * Fit on X (row-major n x f) with labels y in [0, nClasses) and return the
   * class probabilities of each row of xNew (row-major m x f), row-major m x nClasses.
   */
  fitPredictProba(
    X: Float64Array,
    n: number,
    f: number,
    y: Int32Array,
    nClasses: number,
    xNew: Float64Array,
    params: ForestParams,
  ): Float64Array;
}

/**
 * Rough milliseconds of one walk-forward decision of a forest of `nTrees` on
 * `lookback` rows (a family's `decisionCost`), measured on a 2-core machine:
 * linear in trees and rows, slowly growing with the sleeves.
 */
export function forestDecisionCost(
  nTrees: number,
  lookback: number,
  shape: { readonly sleeves: number },
): number {
  return 1.5e-4 * nTrees * lookback * (1 + shape.sleeves / 4);
}

/** Reusable buffers for growing trees on one problem size. */
interface Work {
  /** The window presorted, the tree's rows, the node sort buffers. */
  readonly ns: NodeSort;
  readonly f: number;
  readonly k: number;
  /** Sample weight per row (bootstrap count x class weight), set for the rows of the tree being grown. */
  readonly w: Float64Array;
  /**
   * Two classes: the row's weight when its label is 0 (1), else 0, so that the scan adds each
   * row to both class sums without a branch on its label (random, so mispredicted half the
   * time). Adding 0 leaves a sum's bits as they are.
   */
  readonly w0: Float64Array;
  readonly w1: Float64Array;
  readonly features: Int32Array;
  readonly leftW: Float64Array;
  readonly totalW: Float64Array;
  /** Leaf class distributions accumulated for the new rows. */
  readonly proba: Float64Array;
  /** New rows, partitioned in place as they descend with the node being grown. */
  readonly targets: Int32Array;
  /** New rows of the current tree not yet in a leaf. */
  pending: number;
  /** The split found by the last successful bestSplit. */
  splitFeature: number;
  splitThreshold: number;
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

/** Draw the next candidate feature without replacement from features[0, remaining). */
function drawFeature(features: Int32Array, remaining: number, rng: SeededRandom): number {
  const pick = rng.nextInt(remaining);
  const feat = features[pick];
  features[pick] = features[remaining - 1];
  features[remaining - 1] = feat;
  return feat;
}

/** Whether feature `feat` takes one value on rows[from, to) (the sorted first === last of the search). */
function constantIn(X: Float64Array, wk: Work, from: number, to: number, feat: number): boolean {
  const { ns, f } = wk;
  if (ns.presorted[feat] === 0) {
    // NaN: `>` is no order, so ask the sort the search uses.
    sortNode(X, ns, from, to, feat);
    return ns.vals[0] === ns.vals[to - from - 1];
  }
  const { rows } = ns;
  const v = X[rows[from] * f + feat];
  for (let p = from + 1; p < to; p++) if (X[rows[p] * f + feat] !== v) return false;
  return true;
}

/**
 * The positions p of order/vals[0, m) after which a threshold keeps `minLeaf`
 * rows on each side (p + 1 on the left, m - p - 1 on the right): first..last.
 * The sums of the rows before `first` are all a scan needs of them, and none
 * after `last`.
 */
function thresholdPositions(m: number, minLeaf: number): [first: number, last: number] {
  return [Math.max(0, minLeaf - 1), Math.min(m - 2, m - 1 - minLeaf)];
}

/**
 * Lowest weighted Gini impurity below `bound` over the thresholds between
 * distinct values of order/vals[0, m) that keep `minLeaf` rows on each side
 * (the first such threshold wins ties); its threshold in wk.splitThreshold.
 * Returns `bound` when none is lower.
 */
function scanClasses(
  wk: Work,
  y: Int32Array,
  m: number,
  total: number,
  minLeaf: number,
  bound: number,
): number {
  const { k, w, leftW, totalW } = wk;
  const { order, vals } = wk.ns;
  let best = bound;
  leftW.fill(0);
  let wl = 0;
  const [first, last] = thresholdPositions(m, minLeaf);
  for (let p = 0; p < first; p++) {
    const r = order[p];
    leftW[y[r]] += w[r];
    wl += w[r];
  }
  for (let p = first; p <= last; p++) {
    const r = order[p];
    leftW[y[r]] += w[r];
    wl += w[r];
    const v = vals[p];
    const vNext = vals[p + 1];
    if (v === vNext) continue;
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
    if (impurity < best) {
      best = impurity;
      wk.splitThreshold = threshold(v, vNext);
    }
  }
  return best;
}

/**
 * `scanClasses` for two classes (labels 0 and 1: ml_rf's and regime_rf's), unrolled:
 * every sum and ratio is the same operation in the same order, so the same bits.
 */
function scanTwoClasses(
  wk: Work,
  m: number,
  total: number,
  minLeaf: number,
  bound: number,
): number {
  const { w, w0, w1, totalW } = wk;
  const { order, vals } = wk.ns;
  const t0 = totalW[0];
  const t1 = totalW[1];
  let best = bound;
  let l0 = 0;
  let l1 = 0;
  let wl = 0;
  const [first, last] = thresholdPositions(m, minLeaf);
  for (let p = 0; p < first; p++) {
    const r = order[p];
    l0 += w0[r];
    l1 += w1[r];
    wl += w[r];
  }
  for (let p = first; p <= last; p++) {
    const r = order[p];
    l0 += w0[r];
    l1 += w1[r];
    wl += w[r];
    const v = vals[p];
    const vNext = vals[p + 1];
    if (v === vNext) continue;
    const wr = total - wl;
    const pl0 = l0 / wl;
    const pr0 = (t0 - l0) / wr;
    const pl1 = l1 / wl;
    const pr1 = (t1 - l1) / wr;
    // scanClasses' sums start at 0: 0 + x is x for a square.
    const gl = pl0 * pl0 + pl1 * pl1;
    const gr = pr0 * pr0 + pr1 * pr1;
    const impurity = (wl * (1 - gl) + wr * (1 - gr)) / total;
    if (impurity < best) {
      best = impurity;
      wk.splitThreshold = threshold(v, vNext);
    }
  }
  return best;
}

/** Midpoint threshold between two consecutive distinct values (v itself if the midpoint rounds up to vNext). */
function threshold(v: number, vNext: number): number {
  const t = v / 2 + vNext / 2;
  return t === vNext ? v : t;
}

/**
 * Best split of rows[from, to) over up to `maxFeatures` features drawn
 * without replacement (features constant in the node do not count, as in
 * scikit-learn). Returns where the right child starts in rows[] (partitioned
 * in place, split in wk.splitFeature / wk.splitThreshold), or -1 when no split
 * keeps `minLeaf` samples on each side and lowers the impurity.
 * With `search` false the node's children would be leaves no new row reaches:
 * only the random draws of the search are made (they depend on which features
 * are constant here, not on the split), and -1 is returned.
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
  search: boolean,
): number {
  const { ns, f, k, w, features, totalW } = wk;
  const { rows, vals } = ns;
  totalW.fill(0);
  let total = 0;
  const samples = to - from;
  for (let p = from; p < to; p++) {
    const r = rows[p];
    totalW[y[r]] += w[r];
    total += w[r];
  }
  const parent = gini(totalW, 0, k, total);
  if (parent <= 0 || samples < 2 * minLeaf) return -1;
  for (let j = 0; j < f; j++) features[j] = j;
  let drawn = 0;
  let remaining = f;
  if (!search) {
    while (remaining > 0 && drawn < maxFeatures) {
      const feat = drawFeature(features, remaining--, rng);
      if (!constantIn(X, wk, from, to, feat)) drawn++;
    }
    return -1;
  }
  markNode(ns, from, to, 1);
  let bestFeature = -1;
  let bestImpurity = parent - 1e-12;
  const m = samples;
  while (remaining > 0 && drawn < maxFeatures) {
    const feat = drawFeature(features, remaining--, rng);
    sortNode(X, ns, from, to, feat);
    if (vals[0] === vals[m - 1]) continue; // constant here: draw another
    drawn++;
    const impurity =
      k === 2
        ? scanTwoClasses(wk, m, total, minLeaf, bestImpurity)
        : scanClasses(wk, y, m, total, minLeaf, bestImpurity);
    // A scan writes wk.splitThreshold only when it beats bestImpurity: it holds the best feature's.
    if (impurity < bestImpurity) {
      bestImpurity = impurity;
      bestFeature = feat;
    }
  }
  markNode(ns, from, to, 0);
  if (bestFeature < 0) return -1;
  wk.splitFeature = bestFeature;
  return partition(X, f, rows, from, to, bestFeature, wk.splitThreshold);
}

/**
 * Partition idx[from, to) in place, rows of X (row-major, f columns) with
 * feature <= threshold first; returns where the others start. The children's
 * row order (and so their sums) is this swap order's.
 */
function partition(
  X: Float64Array,
  f: number,
  idx: Int32Array,
  from: number,
  to: number,
  feature: number,
  threshold: number,
): number {
  let lo = from;
  let hi = to - 1;
  while (lo <= hi) {
    if (X[idx[lo] * f + feature] <= threshold) lo++;
    else {
      const t = idx[lo];
      idx[lo] = idx[hi];
      idx[hi] = t;
      hi--;
    }
  }
  return lo;
}

/**
 * Grow the node rows[from, to) reached by the new rows targets[tFrom, tTo) and
 * add its leaf distribution to theirs. The new rows descend with the node being
 * grown, so no tree is stored; once every new row has its leaf, the rest of the
 * tree is not grown (it could only consume this tree's own random draws).
 */
function grow(
  X: Float64Array,
  y: Int32Array,
  wk: Work,
  from: number,
  to: number,
  depth: number,
  xNew: Float64Array,
  tFrom: number,
  tTo: number,
  params: ForestParams,
  maxFeatures: number,
  rng: SeededRandom,
): void {
  if (wk.pending === 0) return;
  const { f, k, targets } = wk;
  const { rows } = wk.ns;
  // Children at maxDepth are leaves: without new rows here only the node's random draws matter.
  const search = tTo > tFrom || depth + 1 < params.maxDepth;
  const mid =
    depth < params.maxDepth
      ? bestSplit(X, y, wk, from, to, maxFeatures, params.minSamplesLeaf, rng, search)
      : -1;
  if (mid < 0) {
    if (tTo === tFrom) return;
    const dist = wk.totalW;
    dist.fill(0);
    let total = 0;
    for (let p = from; p < to; p++) {
      const r = rows[p];
      dist[y[r]] += wk.w[r];
      total += wk.w[r];
    }
    for (let i = tFrom; i < tTo; i++) {
      const t = targets[i];
      for (let c = 0; c < k; c++) wk.proba[t * k + c] += total > 0 ? dist[c] / total : 1 / k;
    }
    wk.pending -= tTo - tFrom;
    return;
  }
  // New rows <= threshold go left (their order within a node does not matter).
  const lo = partition(xNew, f, targets, tFrom, tTo, wk.splitFeature, wk.splitThreshold);
  grow(X, y, wk, from, mid, depth + 1, xNew, tFrom, lo, params, maxFeatures, rng);
  grow(X, y, wk, mid, to, depth + 1, xNew, lo, tTo, params, maxFeatures, rng);
}

/**
 * The bootstrap draws of the first trees of every forest seeded `seed` on n
 * rows: each tree's per-row counts (tree t at t * n) and its generator after
 * them. They depend on nothing else and a run fits hundreds of forests with one
 * seed, so they are drawn once; the generators are cloned, never advanced.
 */
interface Bootstraps {
  /** The forest-level generator, advanced one draw per tree added. */
  readonly master: SeededRandom;
  counts: Int32Array;
  /**
   * Each tree's distinct rows (a count above 0), in row order: tree t's are
   * rows[rowStart[t], rowStart[t + 1]). Only these rows are read while it grows.
   */
  rows: Int32Array;
  rowStart: Int32Array;
  readonly after: SeededRandom[];
}

/** Bootstraps by `${seed}|${n}`, oldest first; a run uses one seed and a few dozen n. */
const bootstrapCache = new Map<string, Bootstraps>();
const BOOTSTRAP_CACHE_SIZE = 64;

function bootstraps(seed: number, n: number, nTrees: number): Bootstraps {
  const key = `${seed >>> 0}|${n}`;
  let b = bootstrapCache.get(key);
  if (!b) {
    if (bootstrapCache.size >= BOOTSTRAP_CACHE_SIZE)
      bootstrapCache.delete(bootstrapCache.keys().next().value!);
    b = {
      master: new SeededRandom(seed),
      counts: new Int32Array(0),
      rows: new Int32Array(0),
      rowStart: new Int32Array(1),
      after: [],
    };
    bootstrapCache.set(key, b);
  }
  const have = b.after.length;
  if (have < nTrees) {
    const counts = new Int32Array(nTrees * n);
    counts.set(b.counts);
    const rows = new Int32Array(nTrees * n);
    rows.set(b.rows);
    const rowStart = new Int32Array(nTrees + 1);
    rowStart.set(b.rowStart);
    for (let t = have; t < nTrees; t++) {
      const rng = new SeededRandom(b.master.nextUint32());
      for (let i = 0; i < n; i++) counts[t * n + rng.nextInt(n)]++;
      b.after.push(rng);
      let r = rowStart[t];
      for (let i = 0; i < n; i++) if (counts[t * n + i] > 0) rows[r++] = i;
      rowStart[t + 1] = r;
    }
    b.counts = counts;
    b.rows = rows;
    b.rowStart = rowStart;
  }
  return b;
}

/** The forest written for this job (default engine). */
export const typedForest: ForestEngine = {
  name: 'typed',
  fitPredictProba(X, n, f, y, nClasses, xNew, given) {
    // Read once into one shape: the trees read the parameters at every node, and a caller's own
    // object (e.g. a spread copy, a new hidden class each) would make those reads polymorphic.
    const params = forestParams(given, given.seed);
    const m = xNew.length / f;
    const k = nClasses;
    const wk: Work = {
      ns: presortWindow(X, n, f),
      f,
      k,
      w: new Float64Array(n),
      w0: new Float64Array(k === 2 ? n : 0),
      w1: new Float64Array(k === 2 ? n : 0),
      features: new Int32Array(f),
      leftW: new Float64Array(k),
      totalW: new Float64Array(k),
      proba: new Float64Array(m * k),
      targets: new Int32Array(m),
      pending: 0,
      splitFeature: -1,
      splitThreshold: 0,
    };
    const maxFeatures =
      params.maxFeatures === 'sqrt' ? Math.max(1, Math.floor(Math.sqrt(f))) : params.maxFeatures;
    const classCount = new Float64Array(k);
    const classWeight = new Float64Array(k);
    const boot = bootstraps(params.seed, n, params.nTrees);
    const { counts, rows, rowStart } = boot;
    for (let t = 0; t < params.nTrees; t++) {
      const rng = boot.after[t].clone();
      const o = t * n;
      const first = rowStart[t];
      const nRows = rowStart[t + 1] - first;
      // The tree's rows, partitioned in place as it grows; rows it does not hold are never read.
      wk.ns.rows.set(rows.subarray(first, first + nRows));
      // balanced_subsample: class weights from this tree's bootstrap sample (whole counts: exact sums).
      classCount.fill(0);
      for (let p = 0; p < nRows; p++) {
        const i = rows[first + p];
        classCount[y[i]] += counts[o + i];
      }
      let present = 0;
      for (let c = 0; c < k; c++) if (classCount[c] > 0) present++;
      for (let c = 0; c < k; c++)
        classWeight[c] = params.classWeight === 'balanced_subsample' ? n / (present * classCount[c] || 1) : 1;
      for (let p = 0; p < nRows; p++) {
        const i = rows[first + p];
        const wi = counts[o + i] * classWeight[y[i]];
        wk.w[i] = wi;
        if (k === 2) {
          wk.w0[i] = y[i] === 0 ? wi : 0;
          wk.w1[i] = y[i] === 0 ? 0 : wi;
        }
      }
      for (let i = 0; i < m; i++) wk.targets[i] = i;
      wk.pending = m;
      grow(X, y, wk, 0, nRows, 0, xNew, 0, m, params, maxFeatures, rng);
    }
    for (let i = 0; i < wk.proba.length; i++) wk.proba[i] /= params.nTrees;
    return wk.proba;
  },
};
