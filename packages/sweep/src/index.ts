export {
  type CellSleeve,
  type CellSpec,
  type GridFor,
  type SweepCell,
  canonicalJson,
  cellHash,
  expandCells,
  expandUniverses,
  expandVariants,
  packageVersions,
  resolvedOptions,
  subsets,
  withCosts,
} from './cells.js';
export {
  type LoadedSweep,
  type SweepFile,
  type SweepOptionSet,
  loadSweep,
  parseSweep,
  sweepSchema,
} from './config.js';
export {
  LEADERBOARD_COLUMNS,
  type LeaderboardRow,
  leaderboardRows,
  leaderboardToParquet,
} from './leaderboard.js';
export { sweepProgressBar } from './progress.js';
export {
  DEFAULT_PREFIX,
  DEFAULT_QUEUE_NAME,
  PROCESSOR_FILE,
  type QueueSettings,
  type RunningWorker,
  type WorkerSettings,
  runCellsOnQueue,
  startWorker,
} from './queue.js';
export { redactUrl } from './redis.js';
export { renderSweepReport } from './report-page.js';
export {
  type CellEnvironment,
  type CellOutcome,
  METRIC_COLUMNS,
  type ObjectiveRow,
  computeCell,
  rowsOf,
  runCell,
} from './run-cell.js';
export {
  SWEEP_FILES,
  type SweepGrid,
  type SweepHost,
  type SweepProgress,
  type SweepResult,
  type SweepRunOptions,
  cellCacheDir,
  formatSweepSummary,
  runSweep,
} from './sweep.js';
