// Every weight starts from draws of its own. Layers take seeds seed, seed + 1, … in build order, and a glorot
// kernel draws one stream per seed: a bidirectional layer's backward direction seeded `seed + 2` started as a
// scaled copy of the layer two places later (a review found every ratio exactly 1.620), and attention's key,
// value and output kernels (`seed + 1` … `+ 3`) as copies of the next three dense layers' kernels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import { buildModel } from '../../extension/core/runtime/build';
import { useCpuBackend } from '../fixtures/tfjs';

useCpuBackend();

/**
 * Whether two arrays start proportional (every ratio the same over the shorter): drawn from one seeded stream,
 * glorot-uniform kernels of different shapes share their first values up to the scale.
 */
function proportional(a: Float32Array, b: Float32Array): boolean {
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (Math.abs(b[i]) > 1e-6) ratios.push(a[i] / b[i]);
  if (ratios.length < 4) return false;
  return ratios.every((r) => Math.abs(r - ratios[0]) < 1e-4 * Math.abs(ratios[0]));
}

for (const [what, chain] of [
  ['bidirectional recurrent layers', 'lstm(4, bidirectional = true, return_sequences = true) -> gru(3, bidirectional = true, return_sequences = true) -> rnn(2, bidirectional = true) -> dense(7) -> dense(7) -> dense(7)'],
  ['attention', 'attention(2) -> dense(8) -> dense(8) -> dense(8) -> attention(2, context = x) -> dense(8)'],
] as const) {
  test(`no kernel of a model with ${what} starts as a scaled copy of another`, () => {
    const a = analyze(`model M {\n  input x: [seq, 8]\n  output x -> ${chain}\n}\n`);
    assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
    for (const seed of [1, 5, 17]) {
      const built = buildModel(tf, a.models[0], { seed, symbolicDims: { seq: 6 } });
      try {
        const weights = built.model.weights.map((w) => ({ name: w.name, values: w.read().dataSync() as Float32Array }));
        const kernels = weights.filter((w) => !/bias/.test(w.name));
        for (let i = 0; i < kernels.length; i++) {
          for (let j = i + 1; j < kernels.length; j++) {
            assert.ok(!proportional(kernels[i].values, kernels[j].values), `seed ${seed}: ${kernels[i].name} is a scaled copy of ${kernels[j].name}`);
          }
        }
      } finally {
        built.model.dispose();
      }
    }
  });
}
