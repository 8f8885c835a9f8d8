import { SeededRandom } from '@step4/core';

/**
 * Draws at or above this are rare (one in 4096), and any limit of n <= 2^20
 * is above it: a stream notes where they are (`below`).
 */
const HIGH_DRAW = 0x100000000 - 0x100000;

/**
 * The raw 32-bit draws of one seed, generated once and kept: bootstraps that
 * start from the same seed (one candidate's windows) read the same sequence
 * and only map it differently (`nextInt(n)` depends on n). (Internal: not
 * exported by the package.)
 */
export class DrawStream {
  readonly #rng: SeededRandom;
  #draws = new Uint32Array(0);
  #length = 0;

  constructor(seed: number) {
    this.#rng = new SeededRandom(seed);
  }

  /** Indices of the draws at or above HIGH_DRAW: the only ones a limit above it can reject. */
  readonly #high: number[] = [];
  /** The accepted draws of each rejection limit that rejected one (`below`). */
  readonly #below = new Map<number, { draws: Uint32Array; length: number; read: number }>();

  /**
   * The first `count` (or more) draws below `limit`, the others skipped: the
   * draws `nextInt(n)` keeps, with limit = the largest multiple of n up to
   * 2^32. Skipping here keeps the rejection, taken about once in 2^32 / n
   * draws, out of the bootstrap's loop (where, never taken when V8 optimised
   * the loop, it cost a deoptimisation when first taken). Nearly always no
   * draw is rejected and the draws themselves are returned.
   */
  below(limit: number, count: number): Uint32Array {
    const raw = this.upTo(count);
    if (limit >= HIGH_DRAW && !this.#high.some((i) => raw[i] >= limit)) return raw;
    let b = this.#below.get(limit);
    if (!b) {
      b = { draws: new Uint32Array(0), length: 0, read: 0 };
      this.#below.set(limit, b);
    }
    if (count > b.length) {
      const grown = new Uint32Array(Math.max(count, 2 * b.length));
      grown.set(b.draws.subarray(0, b.length));
      let j = b.length;
      let read = b.read;
      while (j < grown.length) {
        const more = this.upTo(read + (grown.length - j) + 16);
        for (; read < more.length && j < grown.length; read++) {
          grown[j] = more[read];
          if (more[read] < limit) j++;
        }
      }
      b.draws = grown;
      b.length = grown.length;
      b.read = read;
    }
    return b.draws;
  }

  /** The first `count` draws (or more). */
  upTo(count: number): Uint32Array {
    if (count > this.#length) {
      const grown = new Uint32Array(Math.max(count, 2 * this.#length));
      grown.set(this.#draws.subarray(0, this.#length));
      for (let i = this.#length; i < grown.length; i++) {
        const x = this.#rng.nextUint32();
        grown[i] = x;
        if (x >= HIGH_DRAW) this.#high.push(i);
      }
      this.#draws = grown;
      this.#length = grown.length;
    }
    return this.#draws;
  }
}
