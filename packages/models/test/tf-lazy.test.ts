/**
 * TensorFlow.js is loaded on the first fit, not when the package is imported
 * (the CLI's --help and families import it), and the solver's direct kernel
 * calls compute the same float32 bits as the same conjugate gradients written
 * with TensorFlow.js ops.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type * as TF from '@tensorflow/tfjs-core';
import { solveSpdBatchMixed, tf, tfReady } from '../src/index.js';
import { rand } from './helpers.js';

describe('lazy TensorFlow.js', () => {
  it('is not loaded by importing the package, and is by tfReady', async () => {
    const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    expect(existsSync(dist), 'build @step4/models first (pnpm --filter @step4/models build)').toBe(true);
    const script = `import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const loaded = () => Object.keys(require.cache).some((k) => k.includes('@tensorflow'));
      const m = await import(${JSON.stringify(new URL(`file://${dist}`).href)});
      const before = [loaded(), m.tf === undefined];
      await m.tfReady();
      console.log(JSON.stringify([...before, loaded(), typeof m.tf.matMul]));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]);
    expect(JSON.parse(stdout)).toEqual([false, true, true, 'function']);
  });
});

/** The solver as it was written with TensorFlow.js ops (tf.tidy, tf.matMul, ...): the reference. */
function referenceSolve(count: number, m: number, A: Float64Array, b: Float64Array): Float64Array {
  const W = count === 1 ? 2 : count;
  const A32 = new Float32Array(W * m * m);
  A32.set(Float32Array.from(A));
  for (let k = count; k < W; k++) for (let i = 0; i < m; i++) A32[k * m * m + i * m + i] = 1;
  const At = tf.tensor3d(A32, [W, m, m]);
  const x = new Float64Array(count * m);
  const scaled = new Float32Array(W * m);
  const norms = new Float64Array(count);
  for (let round = 0; round < 3; round++) {
    for (let k = 0; k < count; k++) {
      let nrm = 0;
      const r = new Float64Array(m);
      for (let i = 0; i < m; i++) {
        let s = b[k * m + i];
        for (let j = 0; j < m; j++) s -= A[(k * m + i) * m + j] * x[k * m + j];
        r[i] = s;
        nrm += s * s;
      }
      norms[k] = Math.sqrt(nrm);
      for (let i = 0; i < m; i++) scaled[k * m + i] = norms[k] > 0 ? r[i] / norms[k] : 0;
    }
    const d32 = tf
      .tidy(() => {
        const rhs = tf.tensor3d(scaled, [W, m, 1]);
        const tiny = tf.scalar(1e-30);
        let xs = tf.zerosLike(rhs);
        let res: TF.Tensor = rhs;
        let p = tf.add(rhs, tf.scalar(0));
        let rr = tf.sum(tf.mul(res, res), 1, true);
        for (let it = 0; it < m + 2; it++) {
          const Ap = tf.matMul(At, p as TF.Tensor3D);
          const alpha = tf.div(rr, tf.add(tf.sum(tf.mul(p, Ap), 1, true), tiny));
          xs = tf.add(xs, tf.mul(alpha, p));
          res = tf.sub(res, tf.mul(alpha, Ap));
          const rrNew = tf.sum(tf.mul(res, res), 1, true);
          p = tf.add(res, tf.mul(tf.div(rrNew, tf.add(rr, tiny)), p));
          rr = rrNew;
        }
        return xs;
      })
      .dataSync();
    for (let k = 0; k < count; k++) for (let i = 0; i < m; i++) x[k * m + i] += d32[k * m + i] * norms[k];
  }
  At.dispose();
  return x;
}

describe('direct kernel calls', () => {
  it('give the bits of the same conjugate gradients written with TensorFlow.js ops', async () => {
    await tfReady();
    for (let seed = 1; seed <= 40; seed++) {
      const r = rand(seed);
      const count = 1 + Math.floor(r() * 6);
      const m = 1 + Math.floor(r() * 20);
      // SPD: G'G + I, of a random G.
      const A = new Float64Array(count * m * m);
      for (let k = 0; k < count; k++) {
        const G = Float64Array.from({ length: m * m }, () => r() - 0.5);
        for (let i = 0; i < m; i++)
          for (let j = 0; j < m; j++) {
            let v = i === j ? 1 : 0;
            for (let l = 0; l < m; l++) v += G[l * m + i] * G[l * m + j];
            A[(k * m + i) * m + j] = v;
          }
      }
      const b = Float64Array.from({ length: count * m }, () => r() - 0.5);
      const fast = solveSpdBatchMixed({ count, size: m, A, b });
      expect(Array.from(fast), `seed ${seed}`).toEqual(Array.from(referenceSolve(count, m, A, b)));
    }
  });
});
