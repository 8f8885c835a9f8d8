/** The module of the engine's worker threads (./worker.ts), for the pool and for workers started ahead. */
export const SIMULATION_WORKER_URL = new URL('./worker.js', import.meta.url);
