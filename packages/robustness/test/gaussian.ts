import type { SeededRandom } from '@step4/core';

/** A standard normal draw (Box-Muller), for the tests' synthetic returns. */
export function gaussian(rng: SeededRandom): number {
  return Math.sqrt(-2 * Math.log(1 - rng.nextFloat())) * Math.cos(2 * Math.PI * rng.nextFloat());
}
