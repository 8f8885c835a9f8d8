import { createRequire } from 'node:module';
import type { RandomForestClassifier as Classifier } from 'ml-random-forest';
import type { ForestEngine } from './forest.js';

// Loaded when this engine first fits, not with the package: the default forest is the typed one,
// and every thread that simulates loads this package.
let classifier: typeof Classifier | undefined;
const randomForestClassifier = (): typeof Classifier =>
  (classifier ??= (
    createRequire(import.meta.url)('ml-random-forest') as { RandomForestClassifier: typeof Classifier }
  ).RandomForestClassifier);

/**
 * `ml-random-forest` behind the same interface, as close to the spec as its
 * options allow. Its deviations from scikit-learn's forest (and so from the
 * reference), documented because they change the numbers:
 * - no class or sample weights: "balanced_subsample" is ignored;
 * - features are sampled once per tree (maxFeatures = sqrt(f) / f of them),
 *   not at each split;
 * - its tree option `minNumSamples` is the fewest samples needed to split a
 *   node, not a minimum leaf size: we pass 2 * minSamplesLeaf, the closest
 *   equivalent;
 * - hard voting: each tree votes for one class. Its own `predictProbability`
 *   also drops the first tree's vote (a `reduce` without a start value), so
 *   we count the votes from `predictionValues` ourselves.
 * Seeded runs are deterministic.
 */
export const mlRandomForest: ForestEngine = {
  name: 'ml-random-forest',
  fitPredictProba(X, n, f, y, nClasses, xNew, params) {
    const rows = Array.from({ length: n }, (_, i) => Array.from(X.subarray(i * f, (i + 1) * f)));
    const m = xNew.length / f;
    const newRows = Array.from({ length: m }, (_, i) => Array.from(xNew.subarray(i * f, (i + 1) * f)));
    const maxFeatures =
      params.maxFeatures === 'sqrt' ? Math.max(1, Math.floor(Math.sqrt(f))) : params.maxFeatures;
    const RandomForestClassifier = randomForestClassifier();
    const forest = new RandomForestClassifier({
      seed: params.seed,
      nEstimators: params.nTrees,
      maxFeatures: maxFeatures / f,
      replacement: true,
      useSampleBagging: true,
      noOOB: true,
      treeOptions: { maxDepth: params.maxDepth, minNumSamples: 2 * params.minSamplesLeaf },
    });
    forest.train(rows, Array.from(y));
    const votes = forest.predictionValues(newRows);
    const out = new Float64Array(m * nClasses);
    for (let i = 0; i < m; i++) {
      const row = votes.getRow(i);
      for (const v of row) out[i * nClasses + Math.round(v)] += 1 / row.length;
    }
    return out;
  },
};
