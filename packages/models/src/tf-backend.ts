import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as TF from '@tensorflow/tfjs-core';

export type TfBackendName = 'tensorflow' | 'wasm' | 'cpu';

/**
 * TensorFlow.js (its core: ops, kernels and the engine), loaded on first use
 * (`tfReady` or `useTfBackend`): importing this package must not pay for
 * loading TensorFlow.js (the CLI's `--help` and `families` import it).
 * Undefined until one of them resolved. The core alone, not the
 * `@tensorflow/tfjs` bundle: that one also loads layers, the converter and
 * the data API (about 0.9 s per thread), none of which the models use.
 */
export let tf: typeof TF = undefined as unknown as typeof TF;

/**
 * TensorFlow.js's packages are CommonJS bundles of about 1 MB: `require`d,
 * not `import`ed, as an import first scans the whole source for its export
 * names (about 0.08 s per thread). The backends register with the same core.
 */
const requireHere = createRequire(import.meta.url);

/** Load TensorFlow.js once. */
function loadTf(): typeof TF {
  tf ??= requireHere('@tensorflow/tfjs-core') as typeof TF;
  return tf;
}

/** The plain JavaScript backend registers itself when loaded; only loaded when chosen. */
async function useCpu(): Promise<boolean> {
  requireHere('@tensorflow/tfjs-backend-cpu');
  return tf.setBackend('cpu');
}

let ready: Promise<TfBackendName> | undefined;

/**
 * Whether tfjs-node's native addon was built. The package can be linked with
 * its install script failed (it downloads libtensorflow), and importing it
 * then loads the whole TensorFlow.js bundle (about 0.5 s) before failing.
 */
function nativeAddonBuilt(): boolean {
  try {
    const lib = join(dirname(requireHere.resolve('@tensorflow/tfjs-node/package.json')), 'lib');
    return readdirSync(lib, { recursive: true }).some((f) => String(f).endsWith('tfjs_binding.node'));
  } catch {
    return false;
  }
}

async function tryNative(): Promise<boolean> {
  if (!nativeAddonBuilt()) return false;
  try {
    // Optional dependency: its install script downloads libtensorflow, so it is often absent.
    // A module name in a variable keeps bundlers and TypeScript from requiring it.
    const name = '@tensorflow/tfjs-node';
    requireHere(name);
    return await tf.setBackend('tensorflow');
  } catch {
    return false;
  }
}

async function tryWasm(): Promise<boolean> {
  try {
    const wasm = requireHere(
      '@tensorflow/tfjs-backend-wasm',
    ) as typeof import('@tensorflow/tfjs-backend-wasm');
    const dist = join(dirname(requireHere.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
    // One thread: the CLI already runs one worker per core, and results must not depend on threading.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    wasm.setWasmPaths(`${dist}/`);
    return await tf.setBackend('wasm');
  } catch {
    return false;
  }
}

/**
 * Load TensorFlow.js and pick its backend once: tfjs-node when it is
 * installed and built, else the WebAssembly backend, else the plain
 * JavaScript one. `STEP4_TF_BACKEND=cpu|wasm|tensorflow` forces one.
 */
export function tfReady(): Promise<TfBackendName> {
  ready ??= (async () => {
    loadTf();
    const forced = process.env.STEP4_TF_BACKEND as TfBackendName | undefined;
    if (forced === 'cpu') {
      await useCpu();
      return 'cpu';
    }
    if ((!forced || forced === 'tensorflow') && (await tryNative())) return 'tensorflow';
    if ((!forced || forced === 'wasm') && (await tryWasm())) return 'wasm';
    await useCpu();
    return 'cpu';
  })().then(async (name) => {
    await tf.ready();
    return name;
  });
  return ready;
}

/** Switch backends (tests and benchmarks); later calls of `tfReady` report it. */
export async function useTfBackend(name: TfBackendName): Promise<boolean> {
  loadTf();
  const ok = name === 'tensorflow' ? await tryNative() : name === 'wasm' ? await tryWasm() : await useCpu();
  if (ok) {
    await tf.ready();
    ready = Promise.resolve(name);
  }
  return ok;
}
