import { candidate, type EvaluatedCandidate } from '@step4/core';

/** An evaluated candidate whose net (and gross) monthly returns are `ret`: a 50/50, 1x, cost-free path. */
export function fakeCandidate(
  name: string,
  ret: Float64Array,
  monthEnds: readonly string[],
): EvaluatedCandidate {
  const n = ret.length;
  const z = () => new Float64Array(n);
  return {
    config: candidate(name, 'x'),
    family: { name: 'x', version: '1' },
    path: {
      monthEnds: [...monthEnds],
      sleeveNames: ['a', 'b'],
      sleeveReturns: [z(), z()],
      weights: [new Float64Array(n).fill(0.5), new Float64Array(n).fill(0.5)],
      grossLeverage: new Float64Array(n).fill(1),
      retGross: ret,
      cost: z(),
      retNet: ret,
      turnoverAbs: new Float64Array(n).fill(0.05),
      policyWRaw: [z(), z()],
      policyConf: z(),
    },
  };
}
