// Cold review of the GAN diversity figure (runtime/diversity.ts): images
// that are not numbers have no distance to anything. A generator whose
// weights blew up in an epoch's last step (the step's loss, taken before the
// update, was still finite, so the loop did not stop) makes NaN pixels after
// the epoch; each NaN image kept an "infinitely far" nearest neighbour and
// the epoch logged diversity Infinity: "more varied than the real images",
// the opposite of what happened. Now the measure is NaN and the epoch logs
// no diversity (as when there is no reference), with no tensor left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import { buildModel } from '../../extension/core/runtime/build';
import { epochImages, sampleNoise, type GanPart } from '../../extension/core/runtime/gan';
import { collapseHint, diversity, meanNearestDistance, realSpread } from '../../extension/core/runtime/diversity';
import { digits } from '../../extension/core/runtime/data/synthetic';
import { useCpuBackend } from '../fixtures/tfjs';

useCpuBackend();

test('meanNearestDistance: an image of NaN pixels makes the measure NaN, not Infinity; finite sets are unchanged', () => {
  // a = (0, 0), b = (0.2, 0.2), c = NaN: before, c's nearest stayed Infinity and the mean was Infinity.
  const px = Float32Array.from([0, 0, 0.2, 0.2, NaN, NaN]);
  assert.ok(Number.isNaN(meanNearestDistance(px, 3, 2)), `got ${meanNearestDistance(px, 3, 2)}`);
  // One NaN value in one image is enough.
  assert.ok(Number.isNaN(meanNearestDistance(Float32Array.from([0, 0, 0.2, NaN, 1, 1]), 3, 2)));
  assert.ok(Number.isNaN(diversity(px, 3, 2, 0.5)));
  assert.equal(collapseHint([{ epoch: 1, metrics: { diversity: NaN } }]), undefined);
  // Real images with a NaN among them give no reference (before: an Infinity one, and every generator scored 0, "collapsing").
  assert.equal(realSpread({ xs: Float32Array.from([0, 0, 0.2, 0.2, NaN, NaN]), count: 3, exampleShape: [1, 2, 1] }, 1), undefined);
  // Unchanged: the hand-computed finite case, identical images, and ties (a and c both 0.2 from b).
  assert.ok(Math.abs(meanNearestDistance(Float32Array.from([0, 0, 0.2, 0.2, 1, 1]), 3, 2) - (0.2 + 0.2 + 0.8) / 3) < 1e-6);
  assert.equal(meanNearestDistance(new Float32Array(6).fill(0.3), 3, 2), 0);
  assert.ok(Math.abs(meanNearestDistance(Float32Array.from([0, 0.2, 0.4]), 3, 1) - 0.2) < 1e-6);
});

test('epochImages: a generator with NaN weights gives no diversity (rather than Infinity) and frees its tensors', async () => {
  const info = analyze(`model G {
  input z: [4]
  output z -> dense(64) -> tanh -> reshape([8, 8, 1])
}
`).models[0];
  const G: GanPart = { model: buildModel(tf, info, { seed: 1 }).model, info };
  const data = { ...digits({ samples: 64, size: 8, seed: 1 }), source: 'digits' };
  const real = realSpread(data, 1)!;
  const noise = sampleNoise(64, [4], 1);
  const before = tf.memory().numTensors;
  const healthy = await epochImages(tf, G, noise, 64, 1, real);
  assert.ok(Number.isFinite(healthy.diversity) && healthy.diversity! > 0);
  const dense = G.model.layers.find((l) => l.getWeights().length === 2)!;
  const [k, b] = dense.getWeights();
  const nan = tf.fill(k.shape, NaN);
  dense.setWeights([nan, b]);
  nan.dispose();
  const blown = await epochImages(tf, G, noise, 64, 2, real);
  assert.equal(blown.diversity, undefined, `diversity ${blown.diversity}`);
  assert.equal(blown.strip.count, 64, 'the strip is still made');
  assert.equal(tf.memory().numTensors, before);
  G.model.dispose();
});
