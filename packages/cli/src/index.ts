export { builtinGrid, builtinRegistry } from './builtin.js';
export {
  CONFIG_FILE_NAMES,
  type LoadedConfig,
  gridFromConfig,
  loadConfig,
  registryFromConfig,
} from './config.js';
export {
  type Step4Config,
  type Step4ConfigInput,
  configJsonSchema,
  configSchema,
} from './config-schema.js';
export { defineConfig } from './define-config.js';
export { EMBEDDED_SLEEVES, buildProgram, main } from './main.js';
export { scaffoldFamily } from './scaffold.js';
