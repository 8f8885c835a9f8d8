/**
 * The k-subsets of {0..n-1} in lexicographic order (the order of the CSCV's
 * splits), each as its elements ascending.
 */

/** All k-subsets of {0..n-1} in lexicographic order (one array, refilled for each). */
export function* combinations(n: number, k: number): Generator<Int32Array> {
  const c = Int32Array.from({ length: k }, (_, i) => i);
  do yield c;
  while (nextCombination(c, n) >= 0);
}

/**
 * The subset after `c` (ascending, out of {0..n-1}) in lexicographic order,
 * in place; returns the first position that changed, or -1 when `c` was the
 * last (it is then left as it was).
 */
export function nextCombination(c: Int32Array, n: number): number {
  const k = c.length;
  let i = k - 1;
  while (i >= 0 && c[i] === n - k + i) i--;
  if (i < 0) return -1;
  c[i]++;
  for (let j = i + 1; j < k; j++) c[j] = c[j - 1] + 1;
  return i;
}

/**
 * The subset before `c` (ascending, out of {0..n-1}) in lexicographic order,
 * in place; returns the first position that changed. `c` must not be the first.
 */
export function previousCombination(c: Int32Array, n: number): number {
  const k = c.length;
  let i = k - 1;
  // The last element that can move down: past 0, or past its predecessor with a gap.
  while (c[i] === (i === 0 ? 0 : c[i - 1] + 1)) i--;
  c[i]--;
  // The largest elements after it.
  for (let j = i + 1; j < k; j++) c[j] = n - k + j;
  return i;
}

/** C(n, k), exactly for the block counts of a CSCV (n <= 50). */
export function binomial(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return Math.round(c);
}
