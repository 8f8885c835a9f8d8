/**
 * Data-snooping tests of many candidates against one benchmark: Hansen's test
 * of superior predictive ability (SPA), White's Reality Check and the
 * Romano-Wolf StepM set, on the stationary bootstrap.
 *
 * The algorithm follows the Python `arch` package (`arch.bootstrap.SPA` and
 * `StepM`, 8.0.0) line by line, so that our p-values and arch's differ only by
 * Monte Carlo error (different random generators):
 * - losses are minus returns and d_{k,t} = L_{bench,t} - L_{k,t}, so a
 *   positive mean d_k means candidate k beat the benchmark;
 * - omega_k^2 is the stationary-bootstrap kernel estimate of the long-run
 *   variance of d_k (Politis and Romano 1994, the weights used by Hansen 2005
 *   and by arch's non-nested SPA);
 * - the three recenterings of the bootstrap means: upper (always recentre,
 *   White's Reality Check), consistent (recentre unless the mean is below
 *   -sqrt(omega_k^2 / T * 2 log log T), in which case the model is treated as
 *   irrelevant and not recentred), lower (recentre only the models that beat
 *   the benchmark in sample);
 * - p-value = share of replications whose largest recentred bootstrap mean is
 *   strictly above the largest observed mean (arch compares the raw maxima; it
 *   does not floor them at zero as Hansen's T^SPA = max(0, ...) does; the two
 *   only differ when no candidate beats the benchmark in sample).
 *
 * Studentization: arch accepts `studentize=True` (its default) but, up to and
 * including 8.0.0, never divides by omega_k: its statistic is the largest raw
 * mean loss differential, and the variance estimate only enters the
 * consistent threshold. `studentize: false` here reproduces arch's numbers
 * (with or without its flag). `studentize: true` (the default) is Hansen's
 * studentized statistic max_k d_k / sqrt(omega_k^2 / T), with the same
 * recenterings and the same bootstrap draws, which weighs a noisy candidate's
 * mean by its noise and so gives a more powerful test when candidates differ
 * in volatility (Hansen 2005, section 2.3).
 */
import { SeededRandom } from '@step4/core';
import { stationaryIndices } from './bootstrap.js';

/**
 * Stationary bootstrap indices of one resample (Politis and Romano 1994, "The
 * Stationary Bootstrap", JASA 89(428)): the first month is uniform; each next
 * month continues the block (previous + 1, wrapping around to 0 after n - 1)
 * with probability 1 - 1/meanBlock, or starts a new block at a uniform month.
 * Block lengths are geometric with mean `meanBlock`.
 *
 * This is `stationaryIndices` of the block bootstrap (same draws from `rng`),
 * with an optional output buffer; the same as arch's `StationaryBootstrap`
 * in distribution, not in draws (arch uses NumPy's generator).
 */
export function stationaryBootstrapIndices(
  n: number,
  meanBlock: number,
  rng: SeededRandom,
  out: Int32Array = new Int32Array(n),
): Int32Array {
  if (!(Number.isInteger(n) && n >= 1))
    throw new RangeError(`stationaryBootstrapIndices: n must be a positive integer, got ${n}`);
  if (!(meanBlock >= 1 && Number.isFinite(meanBlock)))
    throw new RangeError(`stationaryBootstrapIndices: meanBlock must be finite and >= 1, got ${meanBlock}`);
  if (out.length < n)
    throw new RangeError(`stationaryBootstrapIndices: out has length ${out.length} < n = ${n}`);
  return stationaryIndices(n, meanBlock, rng, out);
}

export interface SpaOptions {
  /** Mean block length of the stationary bootstrap, in months (arch's `block_size`), >= 1. */
  readonly meanBlock: number;
  /** Bootstrap replications (arch's `reps`), a positive integer. */
  readonly reps: number;
  /** Seed of the `SeededRandom` that draws the bootstrap indices. */
  readonly seed: number;
  /**
   * Divide each mean loss differential by its standard error (Hansen's
   * studentized statistic); default true. `false` gives arch 8.0.0's numbers
   * (which are unstudentized whatever its `studentize` flag says).
   */
  readonly studentize?: boolean;
  /** Size of the critical values reported in `criticalValues` (arch's `critical_values(pvalue)`); default 0.05. */
  readonly alpha?: number;
}

/** How a bootstrap test was run: shared by the SPA and StepM results. */
export interface BootstrapTestSettings {
  readonly alpha: number;
  readonly studentize: boolean;
  readonly reps: number;
  readonly meanBlock: number;
  readonly nModels: number;
  readonly nMonths: number;
}

export interface SpaResult extends BootstrapTestSettings {
  /** Hansen's lower p-value: only the candidates that beat the benchmark in sample are recentred (liberal). */
  readonly pvalueLower: number;
  /** Hansen's consistent SPA p-value: candidates far below the benchmark (log log T threshold) are not recentred. */
  readonly pvalueConsistent: number;
  /** Upper p-value: every candidate recentred, i.e. White's (2000) Reality Check (conservative). */
  readonly pvalueUpper: number;
  /**
   * The observed statistic: the largest mean loss differential over the
   * candidates (studentized or not); can be negative. NaN when no candidate
   * is usable (studentized, all with zero variance).
   */
  readonly statistic: number;
  /** Index of the candidate that attains `statistic` (-1 when none). */
  readonly bestModel: number;
  /** Critical values of the statistic at `alpha` for the three recenterings (the (1 - alpha) quantile of the bootstrap maxima). */
  readonly criticalValues: { readonly lower: number; readonly consistent: number; readonly upper: number };
  /** Monte Carlo standard error of the consistent p-value: sqrt(p (1 - p) / reps). */
  readonly monteCarloStdError: number;
}

export interface StepMOptions extends SpaOptions {
  /** Family-wise error rate of the StepM set (arch's `size`), in (0, 1); e.g. 0.1. */
  readonly alpha: number;
  /** Optional names of the candidates, in the order of `models`; the result then names the superior ones. */
  readonly names?: readonly string[];
}

export interface StepMResult extends BootstrapTestSettings {
  /** Indices (into `models`) of the candidates found superior to the benchmark, ascending. */
  readonly superior: number[];
  /** Their names, when `names` was given. */
  readonly superiorNames?: string[];
  /** Rounds of the stepdown (1 when the first round finds none or all). */
  readonly steps: number;
}

/** Which recentering: 0 lower, 1 consistent, 2 upper (arch's order). */
const LOWER = 0;
const CONSISTENT = 1;
const UPPER = 2;

/** The bootstrap of the loss differentials, shared by the SPA p-values and every StepM round. */
interface Simulation {
  readonly k: number;
  readonly t: number;
  readonly reps: number;
  /** Observed mean loss differential of each candidate. */
  readonly mean: Float64Array;
  /** Observed statistic of each candidate: mean / scale. */
  readonly stat: Float64Array;
  /** 1 / standard error (studentized) or 1. */
  readonly invScale: Float64Array;
  /** 1 when the candidate enters the maxima (studentized: its variance is not zero). */
  readonly usable: Uint8Array;
  /** The three recentering means (lower, consistent, upper), each of length k. */
  readonly centers: readonly [Float64Array, Float64Array, Float64Array];
  /** Bootstrap means of the loss differentials, replication-major: boot[r * k + j]. */
  readonly boot: Float64Array;
}

function validate(
  models: readonly Float64Array[],
  benchmark: Float64Array,
  opts: SpaOptions,
  fn: string,
): void {
  const t = benchmark.length;
  if (models.length === 0) throw new RangeError(`${fn}: no models`);
  if (t < 3) throw new RangeError(`${fn}: need at least 3 months (log log T), got ${t}`);
  for (let i = 0; i < t; i++)
    if (!Number.isFinite(benchmark[i])) throw new RangeError(`${fn}: benchmark[${i}] is not finite`);
  models.forEach((m, j) => {
    if (m.length !== t) throw new RangeError(`${fn}: model ${j} has ${m.length} months, the benchmark ${t}`);
    for (let i = 0; i < t; i++)
      if (!Number.isFinite(m[i])) throw new RangeError(`${fn}: model ${j} month ${i} is not finite`);
  });
  if (!(opts.meanBlock >= 1 && Number.isFinite(opts.meanBlock)))
    throw new RangeError(`${fn}: meanBlock must be finite and >= 1, got ${opts.meanBlock}`);
  if (!(Number.isInteger(opts.reps) && opts.reps >= 1))
    throw new RangeError(`${fn}: reps must be a positive integer, got ${opts.reps}`);
  if (opts.alpha !== undefined && !(opts.alpha > 0 && opts.alpha < 1))
    throw new RangeError(`${fn}: alpha must be in (0, 1), got ${opts.alpha}`);
}

/**
 * Long-run variance of each column of the demeaned differentials with the
 * stationary bootstrap's kernel (Politis and Romano 1994; Hansen 2005, eq. for
 * omega-hat; arch `SPA._compute_variance`, non-nested):
 * gamma_0 + 2 sum_{i=1}^{T-1} kappa_i gamma_i, with
 * kappa_i = (1 - i/T)(1 - p)^i + (i/T)(1 - p)^(T - i), p = 1 / meanBlock.
 * `demeaned` is time-major: demeaned[t * k + j].
 */
function kernelVariance(demeaned: Float64Array, t: number, k: number, meanBlock: number): Float64Array {
  const p = 1 / meanBlock;
  const v = new Float64Array(k);
  for (let s = 0; s < t; s++) {
    const base = s * k;
    for (let j = 0; j < k; j++) v[j] += demeaned[base + j] * demeaned[base + j];
  }
  for (let j = 0; j < k; j++) v[j] /= t;
  const acc = new Float64Array(k);
  for (let i = 1; i < t; i++) {
    const kappa = (1 - i / t) * (1 - p) ** i + (i / t) * (1 - p) ** (t - i);
    acc.fill(0);
    for (let s = 0; s < t - i; s++) {
      const a = s * k;
      const b = (s + i) * k;
      for (let j = 0; j < k; j++) acc[j] += demeaned[a + j] * demeaned[b + j];
    }
    for (let j = 0; j < k; j++) v[j] += (2 * kappa * acc[j]) / t;
  }
  return v;
}

/** The part of the simulation that does not depend on studentization: one bootstrap for both. */
interface Bootstrapped {
  readonly k: number;
  readonly t: number;
  readonly reps: number;
  readonly mean: Float64Array;
  readonly variance: Float64Array;
  readonly meanSquare: Float64Array;
  readonly boot: Float64Array;
}

function simulate(
  models: readonly Float64Array[],
  benchmark: Float64Array,
  opts: SpaOptions,
  studentize: boolean,
): Simulation {
  return studentized(bootstrapDifferentials(models, benchmark, opts), studentize);
}

function bootstrapDifferentials(
  models: readonly Float64Array[],
  benchmark: Float64Array,
  opts: SpaOptions,
): Bootstrapped {
  const k = models.length;
  const t = benchmark.length;
  const reps = opts.reps;
  // Loss differentials, time-major: d[s * k + j] = L_bench - L_j = (-bench) - (-model).
  const d = new Float64Array(t * k);
  const mean = new Float64Array(k);
  for (let s = 0; s < t; s++) {
    const lb = -benchmark[s];
    for (let j = 0; j < k; j++) {
      const v = lb - -models[j][s];
      d[s * k + j] = v;
      mean[j] += v;
    }
  }
  for (let j = 0; j < k; j++) mean[j] /= t;
  const demeaned = new Float64Array(t * k);
  const meanSquare = new Float64Array(k);
  for (let s = 0; s < t; s++)
    for (let j = 0; j < k; j++) {
      demeaned[s * k + j] = d[s * k + j] - mean[j];
      meanSquare[j] += (d[s * k + j] * d[s * k + j]) / t;
    }
  const variance = kernelVariance(demeaned, t, k, opts.meanBlock);

  // Bootstrap means: one index draw per replication, shared by every candidate. Each candidate's
  // sum runs over the months in draw order, four candidates at a time in registers (four
  // independent chains of additions, the same additions in the same order as one at a time).
  const rng = new SeededRandom(opts.seed);
  const idx = new Int32Array(t);
  const boot = new Float64Array(reps * k);
  for (let r = 0; r < reps; r++) {
    stationaryIndices(t, opts.meanBlock, rng, idx);
    const out = r * k;
    let j = 0;
    for (; j + 3 < k; j += 4) {
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      for (let s = 0; s < t; s++) {
        const b = idx[s] * k + j;
        a0 += d[b];
        a1 += d[b + 1];
        a2 += d[b + 2];
        a3 += d[b + 3];
      }
      boot[out + j] = a0 / t;
      boot[out + j + 1] = a1 / t;
      boot[out + j + 2] = a2 / t;
      boot[out + j + 3] = a3 / t;
    }
    for (; j < k; j++) {
      let a = 0;
      for (let s = 0; s < t; s++) a += d[idx[s] * k + j];
      boot[out + j] = a / t;
    }
  }
  return { k, t, reps, mean, variance, meanSquare, boot };
}

/** The statistics and recenterings of a bootstrap, studentized or not. */
function studentized(b: Bootstrapped, studentize: boolean): Simulation {
  const { k, t, reps, mean, variance, meanSquare, boot } = b;
  // Recenterings (arch `_simulate_values`, `_check_column_validity`).
  const loglog = 2 * Math.log(Math.log(t));
  const lower = new Float64Array(k);
  const consistent = new Float64Array(k);
  const upper = Float64Array.from(mean);
  const invScale = new Float64Array(k);
  const usable = new Uint8Array(k);
  const stat = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const threshold = -Math.sqrt((Math.max(0, variance[j]) / t) * loglog);
    consistent[j] = mean[j] >= threshold ? mean[j] : 0;
    lower[j] = Math.max(mean[j], 0);
    if (studentize) {
      // A differential with no variance (e.g. a candidate identical to the
      // benchmark) has no standard error: it cannot be studentized and is
      // left out of the maxima.
      usable[j] = variance[j] > 1e-20 * meanSquare[j] && variance[j] > 0 ? 1 : 0;
      invScale[j] = usable[j] ? 1 / Math.sqrt(variance[j] / t) : 0;
    } else {
      usable[j] = 1;
      invScale[j] = 1;
    }
    stat[j] = mean[j] * invScale[j];
  }
  return { k, t, reps, mean, stat, invScale, usable, centers: [lower, consistent, upper], boot };
}

/** Per replication, the largest recentred (scaled) bootstrap mean over the selected candidates. */
function simulatedMaxima(sim: Simulation, which: number, selected: Uint8Array): Float64Array {
  const { k, reps, boot, invScale } = sim;
  const center = sim.centers[which];
  const out = new Float64Array(reps);
  for (let r = 0; r < reps; r++) {
    const base = r * k;
    let m = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < k; j++) {
      if (!selected[j]) continue;
      const v = (boot[base + j] - center[j]) * invScale[j];
      if (v > m) m = v;
    }
    out[r] = m;
  }
  return out;
}

/** NumPy's default (linear) percentile of a sorted sample, q in [0, 1]. */
function quantileSorted(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

function observedMax(sim: Simulation, selected: Uint8Array): { value: number; index: number } {
  let value = Number.NEGATIVE_INFINITY;
  let index = -1;
  for (let j = 0; j < sim.k; j++)
    if (selected[j] && sim.stat[j] > value) {
      value = sim.stat[j];
      index = j;
    }
  return { value, index };
}

function anySelected(selected: Uint8Array): boolean {
  for (let j = 0; j < selected.length; j++) if (selected[j]) return true;
  return false;
}

/**
 * Hansen's (2005) test for superior predictive ability of the best of many
 * candidates over a benchmark, with White's (2000) Reality Check as its upper
 * p-value. H0: no candidate has a higher expected return than the benchmark.
 *
 * Losses are minus returns; d_{k,t} = L_{bench,t} - L_{k,t}. The stationary
 * bootstrap (Politis and Romano 1994) resamples the months of all candidates
 * jointly (one index vector per replication, which does not depend on the
 * candidates, so reordering them changes no p-value). Algorithm as
 * `arch.bootstrap.SPA` (see the module comment, including how `studentize`
 * differs from arch's flag).
 *
 * References: Hansen, P. R. (2005), "A Test for Superior Predictive Ability",
 * Journal of Business & Economic Statistics 23(4), 365-380. White, H. (2000),
 * "A Reality Check for Data Snooping", Econometrica 68(5), 1097-1126.
 * Politis, D. N. and Romano, J. P. (1994), "The Stationary Bootstrap", JASA
 * 89(428), 1303-1313.
 *
 * @param models - each candidate's returns over the same T months (T >= 3)
 * @param benchmark - the benchmark's returns over those months
 * @param opts - bootstrap mean block, replications, seed, studentization, size of the critical values
 */
export function superiorPredictiveAbility(
  models: readonly Float64Array[],
  benchmark: Float64Array,
  opts: SpaOptions,
): SpaResult {
  validate(models, benchmark, opts, 'superiorPredictiveAbility');
  const studentize = opts.studentize ?? true;
  return spaResult(simulate(models, benchmark, opts, studentize), opts, studentize);
}

/**
 * The SPA test unstudentized and studentized, and StepM (studentized as
 * `opts.studentize`, default true) at `stepMAlpha`, on one shared
 * bootstrap: the same results as `superiorPredictiveAbility` twice and
 * `stepM` with these options, for the price of one simulation (the index
 * draws and the bootstrap means do not depend on studentization).
 */
export function spaTests(
  models: readonly Float64Array[],
  benchmark: Float64Array,
  opts: SpaOptions & { readonly stepMAlpha: number },
): { readonly unstudentized: SpaResult; readonly studentized: SpaResult; readonly stepM: StepMResult } {
  validate(models, benchmark, opts, 'spaTests');
  if (!(opts.stepMAlpha > 0 && opts.stepMAlpha < 1))
    throw new RangeError(`spaTests: stepMAlpha must be in (0, 1), got ${opts.stepMAlpha}`);
  const b = bootstrapDifferentials(models, benchmark, opts);
  const plain = studentized(b, false);
  const student = studentized(b, true);
  const stepMStudentize = opts.studentize ?? true;
  return {
    unstudentized: spaResult(plain, opts, false),
    studentized: spaResult(student, opts, true),
    stepM: stepMResult(
      stepMStudentize ? student : plain,
      { ...opts, alpha: opts.stepMAlpha },
      stepMStudentize,
    ),
  };
}

function spaResult(sim: Simulation, opts: SpaOptions, studentize: boolean): SpaResult {
  const alpha = opts.alpha ?? 0.05;
  const p = spaPvalues(sim, sim.usable, alpha);
  const mc = Math.sqrt((p.consistent * (1 - p.consistent)) / sim.reps);
  return {
    pvalueLower: p.lower,
    pvalueConsistent: p.consistent,
    pvalueUpper: p.upper,
    statistic: p.statistic,
    bestModel: p.bestModel,
    criticalValues: p.criticalValues,
    alpha,
    studentize,
    reps: sim.reps,
    meanBlock: opts.meanBlock,
    nModels: sim.k,
    nMonths: sim.t,
    monteCarloStdError: mc,
  };
}

function spaPvalues(sim: Simulation, selected: Uint8Array, alpha: number) {
  if (!anySelected(selected)) {
    const nan = Number.NaN;
    return {
      lower: 1,
      consistent: 1,
      upper: 1,
      statistic: nan,
      bestModel: -1,
      criticalValues: { lower: nan, consistent: nan, upper: nan },
    };
  }
  const observed = observedMax(sim, selected);
  const pv = [0, 0, 0];
  const crit = [0, 0, 0];
  for (const which of [LOWER, CONSISTENT, UPPER]) {
    const maxima = simulatedMaxima(sim, which, selected);
    let above = 0;
    for (let r = 0; r < sim.reps; r++) if (maxima[r] > observed.value) above++;
    pv[which] = above / sim.reps;
    crit[which] = quantileSorted(maxima.sort(), 1 - alpha);
  }
  return {
    lower: pv[LOWER],
    consistent: pv[CONSISTENT],
    upper: pv[UPPER],
    statistic: observed.value,
    bestModel: observed.index,
    criticalValues: { lower: crit[LOWER], consistent: crit[CONSISTENT], upper: crit[UPPER] },
  };
}

/**
 * Romano and Wolf's (2005) StepM: the set of candidates that beat the
 * benchmark, controlling the family-wise error rate at `alpha`. As
 * `arch.bootstrap.StepM`: each round takes the (1 - alpha) quantile of the
 * bootstrap maxima (consistent recentering, Hansen 2005) over the candidates
 * not yet found superior, adds those whose statistic exceeds it, and stops
 * when a round adds none (or all remaining). The bootstrap is drawn once and
 * shared by all rounds (same draws as `superiorPredictiveAbility` with the
 * same options).
 *
 * References: Romano, J. P. and Wolf, M. (2005), "Stepwise Multiple Testing as
 * Formalized Data Snooping", Econometrica 73(4), 1237-1282. Hansen (2005) and
 * Politis and Romano (1994) as for `superiorPredictiveAbility`.
 *
 * @param models - each candidate's returns over the same T months
 * @param benchmark - the benchmark's returns over those months
 * @param opts - as `superiorPredictiveAbility`, with the family-wise `alpha` and optional `names`
 */
export function stepM(
  models: readonly Float64Array[],
  benchmark: Float64Array,
  opts: StepMOptions,
): StepMResult {
  validate(models, benchmark, opts, 'stepM');
  if (opts.names !== undefined && opts.names.length !== models.length)
    throw new RangeError(`stepM: ${opts.names.length} names for ${models.length} models`);
  const studentize = opts.studentize ?? true;
  return stepMResult(simulate(models, benchmark, opts, studentize), opts, studentize);
}

function stepMResult(sim: Simulation, opts: StepMOptions, studentize: boolean): StepMResult {
  const selected = Uint8Array.from(sim.usable);
  const superior: number[] = [];
  let steps = 0;
  let remaining = countSelected(selected);
  while (remaining > 0) {
    steps++;
    const maxima = simulatedMaxima(sim, CONSISTENT, selected).sort();
    const crit = quantileSorted(maxima, 1 - opts.alpha);
    const found: number[] = [];
    for (let j = 0; j < sim.k; j++) if (selected[j] && sim.stat[j] > crit) found.push(j);
    if (found.length === 0) break;
    for (const j of found) {
      superior.push(j);
      selected[j] = 0;
    }
    remaining -= found.length;
  }
  superior.sort((a, b) => a - b);
  return {
    superior,
    ...(opts.names ? { superiorNames: superior.map((j) => opts.names![j]) } : {}),
    steps,
    alpha: opts.alpha,
    studentize,
    reps: sim.reps,
    meanBlock: opts.meanBlock,
    nModels: sim.k,
    nMonths: sim.t,
  };
}

function countSelected(selected: Uint8Array): number {
  let n = 0;
  for (let j = 0; j < selected.length; j++) n += selected[j];
  return n;
}
