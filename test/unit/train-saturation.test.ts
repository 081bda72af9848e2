// Predictions stuck at the loss's clip (extension/core/runtime/saturation.ts, train.ts clippedSum): counted in
// the training loop, and a hint that says why a softmax classifier's loss stopped at 16.1181 or 5.37.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { analyze } from '../../extension/core/analysis/analyze';
import { buildModel } from '../../extension/core/runtime/build';
import { startTrainingBackend } from '../../extension/core/runtime/kernels';
import { clippedSum, lossValue, trainModel, type TrainData } from '../../extension/core/runtime/train';
import { CLIPPED_LOSS, SaturationNotice, saturationHint } from '../../extension/core/runtime/saturation';

before(() => startTrainingBackend(tf, 'wasm'));

test('clippedSum counts the predictions whose right answer has a probability of 1e-7 or less; none for logits and soft targets', () => {
  const probs = tf.tensor2d([
    [1, 0, 0],
    [0.5, 0.5, 0],
    [0, 0, 1],
    [1e-8, 1 - 1e-8, 0],
  ]);
  const ids = tf.tensor1d([0, 1, 0, 0], 'int32');
  assert.equal(clippedSum(tf, 'crossentropy', 'probabilities', ids, probs)!.dataSync()[0], 2, 'the third and the fourth');
  // Each clipped prediction adds −ln 1e-7 to the sum the mean loss is taken of.
  const loss = lossValue(tf, 'crossentropy', 'probabilities', ids, probs).dataSync()[0];
  assert.ok(Math.abs(loss - (2 * CLIPPED_LOSS + Math.log(2)) / 4) < 1e-3, `loss ${loss}`);
  assert.equal(clippedSum(tf, 'crossentropy', 'logits', ids, probs), undefined, 'logits are not clipped');
  assert.equal(clippedSum(tf, 'crossentropy', 'probabilities', tf.oneHot(ids, 3).toFloat(), probs), undefined, 'soft targets');
  assert.equal(clippedSum(tf, 'mse', 'probabilities', ids, probs), undefined);
  // binary_crossentropy: p for a 1, 1 − p for a 0.
  const p = tf.tensor2d([[0], [1], [0.3], [1]]);
  const y = tf.tensor2d([[1], [0], [1], [1]]);
  assert.equal(clippedSum(tf, 'binary_crossentropy', 'probabilities', y, p)!.dataSync()[0], 2);
});

test('the hint: when the clipped predictions make up at least half of the loss, with the share and what to change', () => {
  // A third of the predictions at the clip and the rest right: the loss is a third of 16.1 (QA's Iris at sgd(lr = 10)).
  const hint = saturationHint({ epoch: 3, loss: CLIPPED_LOSS / 3, clipped: 1 / 3 });
  assert.ok(hint);
  assert.match(hint, /^epoch 3: on 33 % of the training predictions the model gives the right answer a probability of 1e-7 or less/);
  assert.match(hint, /100 % of the loss 5\.3727/);
  assert.match(hint, /Lower the learning rate, or end the model without its softmax/);
  assert.match(saturationHint({ epoch: 1, loss: 16.1181, clipped: 1 })!, /on 100 % of the training predictions/);
  // A few clipped among a large loss of other causes, a share under 1 %, and no figure: no hint.
  assert.equal(saturationHint({ epoch: 1, loss: 2, clipped: 0.05 }), undefined);
  assert.equal(saturationHint({ epoch: 1, loss: 0.1, clipped: 0.005 }), undefined);
  assert.equal(saturationHint({ epoch: 1, loss: 5, clipped: 0 }), undefined);
  assert.equal(saturationHint({ epoch: 1, loss: 5 }), undefined);
});

test('the notice says it once, at the second epoch in a row it holds', () => {
  const n = new SaturationNotice();
  const stuck = (epoch: number) => ({ epoch, loss: CLIPPED_LOSS / 3, clipped: 1 / 3 });
  assert.equal(n.next(stuck(1)), undefined, 'one epoch can recover');
  assert.equal(n.next({ epoch: 2, loss: 0.5, clipped: 0 }), undefined);
  assert.equal(n.next(stuck(3)), undefined);
  assert.match(n.next(stuck(4)) ?? '', /^epoch 4: /);
  assert.equal(n.next(stuck(5)), undefined, 'said once');
});

test('the training loop logs the share of clipped predictions per epoch for a softmax classifier, none for logits', async () => {
  // Four examples, two classes; the last layer's weights start huge, so the softmax saturates at once.
  const run = async (head: string) => {
    const a = analyze(`model M {
  input x: [2]
  output x -> dense(2)${head}
}
train M {
  data: csv("none.csv")
  optimizer: sgd(lr = 1e-9)
  epochs: 2
  batch: 4
  validation: 0
}`);
    const info = a.models[0];
    const config = a.trains[0].config;
    const built = buildModel(tf, info, { seed: 1 });
    const dense = built.model.layers.find((l) => l.getWeights().length === 2)!;
    dense.setWeights([tf.tensor2d([[1e4, -1e4], [-1e4, 1e4]]), tf.zeros([2])]);
    const data: TrainData = { source: 't', count: 4, xs: new Float32Array([1, 0, 0, 1, 1, 0, 0, 1]), xDtype: 'float32', exampleShape: [2], ys: new Int32Array([0, 1, 1, 0]), targetShape: [], classes: ['a', 'b'] };
    const h = await trainModel(tf, built.model, info, data, { config, seed: 1 });
    return h.epochs;
  };
  const soft = await run(' -> softmax');
  assert.equal(soft.length, 2);
  assert.equal(soft[0].clipped, 0.5, 'the two examples labelled against the weights');
  assert.ok(Math.abs(soft[0].loss - CLIPPED_LOSS / 2) < 1e-3);
  const logits = await run('');
  assert.equal(logits[0].clipped, undefined);
});
