export * from './conformance.js';
export * from './synthetic.js';
export * from './reference-panel.js';
