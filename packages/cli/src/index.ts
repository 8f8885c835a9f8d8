export { builtinGrid, builtinRegistry } from './builtin.js';
export {
  CONFIG_FILE_NAMES,
  type LoadedConfig,
  type Step4Config,
  type Step4ConfigInput,
  configJsonSchema,
  configSchema,
  defineConfig,
  gridFromConfig,
  loadConfig,
  registryFromConfig,
} from './config.js';
export { EMBEDDED_SLEEVES, buildProgram, main } from './main.js';
export { scaffoldFamily } from './scaffold.js';
