export { startChartThread, stopChartThread, stopChartThreadWhenIdle } from './chart-thread.js';
export * from './documents.js';
export * from './out-dir.js';
export * from './outputs.js';
export { type ChartInput, chartHeaderSvg, chartSpec, renderPortfolioChart } from './portfolio-chart.js';
export * from './stable-json.js';
export {
  type MonthlyColumns,
  type ParquetColumns,
  type PathColumns,
  type RecordColumnKind,
  monthlyTableToParquet,
  pathTableToParquet,
  readParquetTable,
  recordsToParquet,
} from './tables.js';
export * from './tearsheet/index.js';
