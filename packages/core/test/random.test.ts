import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../src/random.js';

describe('SeededRandom.clone', () => {
  it('continues the same sequence as the original, independently of it', () => {
    for (const seed of [0, 1, 42, 0xffffffff]) {
      const a = new SeededRandom(seed);
      for (let i = 0; i < seed % 7; i++) a.nextUint32();
      const b = a.clone();
      const fromA = Array.from({ length: 50 }, (_, i) => a.nextInt(i + 1));
      // Drawing from a did not move b.
      const fromB = Array.from({ length: 50 }, (_, i) => b.nextInt(i + 1));
      expect(fromB).toEqual(fromA);
      expect(b.nextFloat()).toBe(a.nextFloat());
    }
  });
});
