// The feature maps' augmentation preview (webview/views/augmentModel.ts): which layers an image
// input goes through first, and copies of one image through them in training mode, seeded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import type { ModelInfo } from '../../extension/core/analysis/types';
import { AUGMENT_VIEWS, augmentationChain, augmentedViews, chainLabel, viewPixels } from '../../webview/views/augmentModel';
import { useCpuBackend } from '../fixtures/tfjs';

useCpuBackend();

function model(text: string): ModelInfo {
  const a = analyze(text);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`), []);
  return a.models[0];
}

const NET = `model Net {
  input image: [8, 10, 1]
  input extra: [4]
  x = image -> random_flip(horizontal) -> cutout(3, 4) -> random_crop(6, 8) -> conv2d(2, 3) -> random_zoom(0.1)
  output x -> flatten -> dense(2), extra -> dense(2)
}`;

test('the chain: the augmentation layers right after the image input, in order, and none for other inputs', () => {
  const m = model(NET);
  const chain = augmentationChain(m.graph, 'image');
  assert.deepEqual(chain.map((n) => n.op), ['random_flip', 'cutout', 'random_crop'], 'random_zoom after the conv is not on the image');
  assert.equal(chainLabel(chain), 'random_flip(horizontal) → cutout(3, 4) → random_crop(6, 8)');
  assert.deepEqual(augmentationChain(m.graph, 'extra'), []);
  assert.deepEqual(augmentationChain(m.graph, 'nothing'), []);
  assert.deepEqual(augmentationChain(model('model A {\n  input image: [8, 8, 1]\n  output image -> conv2d(2, 3) -> random_flip -> flatten\n}').graph, 'image'), []);
});

test('the views: copies of the image as training sees them, seeded', () => {
  const m = model(NET);
  const chain = augmentationChain(m.graph, 'image');
  const image = tf.add(tf.range(0, 80).reshape([1, 8, 10, 1]), 1);
  const input = m.inputs[0].shape;
  const views = augmentedViews(tf, chain, input, image, AUGMENT_VIEWS, 3);
  assert.deepEqual(views.shape, [AUGMENT_VIEWS, 6, 8, 1], 'cropped to 6 × 8');
  const values = Array.from(views.dataSync());
  const rows = (i: number) => Array.from({ length: 6 }, (_, r) => values.slice(i * 48 + r * 8, i * 48 + r * 8 + 8));
  const looks = new Set<string>();
  for (let i = 0; i < AUGMENT_VIEWS; i++) {
    const one = values.slice(i * 48, (i + 1) * 48);
    // Each copy is a 6 × 8 window of the image, maybe mirrored, with at most one 3 × 4 hole (before the crop).
    const zeros = one.filter((v) => v === 0).length;
    assert.ok(zeros <= 12, `at most the 3 × 4 cutout is zero: ${zeros}`);
    for (const row of rows(i)) {
      const kept = row.filter((v) => v !== 0);
      const line = Math.floor((kept[0] - 1) / 10);
      for (const v of kept) assert.equal(Math.floor((v - 1) / 10), line, 'a row of the image stays one row');
      const step = kept.length > 1 ? Math.sign(kept[1] - kept[0]) : 0;
      for (let k = 1; k < kept.length; k++) assert.equal(Math.sign(kept[k] - kept[k - 1]), step, 'mirrored or not, never scrambled');
    }
    looks.add(one.join(','));
  }
  assert.ok(looks.size > 1, 'the copies differ');
  // The same seed draws the same copies; another seed others.
  assert.deepEqual(Array.from(augmentedViews(tf, chain, input, image, AUGMENT_VIEWS, 3).dataSync()), values);
  assert.notDeepEqual(Array.from(augmentedViews(tf, chain, input, image, AUGMENT_VIEWS, 4).dataSync()), values);
  tf.dispose([views, image]);
});

test('viewPixels: clamps to 0..1, grey for one channel, colour for three', () => {
  assert.deepEqual(Array.from(viewPixels([0.5, -1, 2], 0, 1, 3, 1)), [128, 128, 128, 255, 0, 0, 0, 255, 255, 255, 255, 255]);
  // The second of two 1 × 1 colour images.
  assert.deepEqual(Array.from(viewPixels([0, 0, 0, 1, 0.2, 1.5], 1, 1, 1, 3)), [255, 51, 255, 255]);
});
