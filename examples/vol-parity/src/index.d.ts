import type { CandidateFamily } from '@step4/core/contract';
export declare const volParityFamily: () => CandidateFamily;
export default volParityFamily;
