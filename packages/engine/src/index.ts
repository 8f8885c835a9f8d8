export * from './families.js';
export * from './options.js';
export * from './run.js';
export * from './workers.js';
export type { WorkerSetup } from './simulate.js';
