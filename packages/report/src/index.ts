export * from './documents.js';
export * from './out-dir.js';
export * from './outputs.js';
export * from './portfolio-chart.js';
export * from './stable-json.js';
export * from './tables.js';
export * from './tearsheet/index.js';
