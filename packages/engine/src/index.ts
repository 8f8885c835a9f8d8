export * from './families.js';
export * from './options.js';
export * from './run.js';
export type { WorkerSetup } from './simulate.js';
