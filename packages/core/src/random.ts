/**
 * Seeded pseudo-random generator: xoshiro128** (Blackman & Vigna, 2018),
 * seeded from a 32-bit seed with splitmix32 so that nearby seeds give unrelated
 * streams. 32-bit state words keep it fast in JavaScript without BigInt.
 * The same seed always gives the same sequence on every platform.
 */
export class SeededRandom {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = () => {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#s0 = next() | 0;
    this.#s1 = next() | 0;
    this.#s2 = next() | 0;
    this.#s3 = next() | 0;
  }

  /** An independent generator at the same point of the same sequence (to replay draws made once). */
  clone(): SeededRandom {
    const c = new SeededRandom(0);
    c.#s0 = this.#s0;
    c.#s1 = this.#s1;
    c.#s2 = this.#s2;
    c.#s3 = this.#s3;
    return c;
  }

  /**
   * Next raw 32-bit unsigned integer. The state words are kept as signed
   * 32-bit integers (the same bits): V8 holds those unboxed (small integers on
   * 64-bit Node), while unsigned ones above 2^31 would be a new heap number
   * at every step of code not yet optimised.
   */
  nextUint32(): number {
    const s1 = this.#s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= this.#s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n) without modulo bias (rejection sampling). */
  nextInt(n: number): number {
    if (!(n >= 1 && n <= 0x100000000)) throw new RangeError(`nextInt: n must be in [1, 2^32], got ${n}`);
    const limit = 0x100000000 - (0x100000000 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }
}

/** x rotated left by k bits, as a signed 32-bit integer. */
function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * A seed of its own for one named stream of a run (e.g. one candidate's
 * bootstrap): FNV-1a of the label, mixed with the run seed by splitmix32.
 * It depends on the name, not on a position, so reordering a grid changes
 * no candidate's draws, and candidates never share resamples.
 */
export function streamSeed(seed: number, label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  let z = (h ^ Math.imul(seed >>> 0, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}
