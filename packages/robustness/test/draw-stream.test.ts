import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../src/index.js';
import { DrawStream } from '../src/draw-stream.js';

/** The first `count` draws of a fresh generator below `limit`, as nextInt's rejection keeps them. */
function accepted(seed: number, limit: number, count: number): number[] {
  const rng = new SeededRandom(seed);
  const out: number[] = [];
  while (out.length < count) {
    const x = rng.nextUint32();
    if (x < limit) out.push(x);
  }
  return out;
}

describe('DrawStream.below: the draws nextInt keeps', () => {
  it('equals a fresh generator with rejection, for limits that reject often or never, asked in any order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        // Limits from half the range (half the draws rejected) up to 2^32 (none).
        fc.array(
          fc.tuple(
            fc.oneof(
              fc.integer({ min: 2 ** 31, max: 2 ** 32 }),
              fc.integer({ min: 2 ** 32 - 2 ** 20, max: 2 ** 32 }),
              fc.integer({ min: 1, max: 2 ** 20 }).map((n) => 2 ** 32 - (2 ** 32 % n)),
            ),
            fc.integer({ min: 0, max: 3000 }),
          ),
          { minLength: 1, maxLength: 8 },
        ),
        (seed, asks) => {
          const stream = new DrawStream(seed);
          for (const [limit, count] of asks) {
            const got = stream.below(limit, count);
            expect(got.length).toBeGreaterThanOrEqual(count);
            expect(Array.from(got.subarray(0, count))).toEqual(accepted(seed, limit, count));
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('skips the rare draws a limit near 2^32 rejects', () => {
    // Limits this close to 2^32 (those of n <= 2^20) reject about one draw in 4096 or fewer.
    for (const limit of [2 ** 32 - 2 ** 20, 2 ** 32 - 2 ** 20 + 12_345, 2 ** 32 - 2 ** 19]) {
      const stream = new DrawStream(11);
      const raw = Array.from(stream.upTo(20_000).subarray(0, 20_000));
      expect(raw.some((x) => x >= limit)).toBe(true);
      expect(Array.from(stream.below(limit, 20_000).subarray(0, 20_000))).toEqual(accepted(11, limit, 20_000));
    }
  });
});
