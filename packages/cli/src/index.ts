export { builtinGrid, builtinRegistry } from './builtin.js';
export { EMBEDDED_SLEEVES, buildProgram, main } from './main.js';
