import type { DefinedFamily } from '@step4/core/contract';
export declare const volParityFamily: () => DefinedFamily<{
  readonly lookback: {
    readonly type: 'integer';
    readonly default: 12;
    readonly min: 3;
    readonly max: 120;
    readonly description: string;
  };
}>;
export default volParityFamily;
