// Models the language allows but TensorFlow.js cannot build (a chain of layers
// deeper than its recursive graph walk survives) are refused up front, and a
// build that fails part-way keeps none of the weights it made.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import type { ModelInfo } from '../../extension/core/analysis/types';
import { MAX_LAYER_DEPTH, buildModel, layerDepth } from '../../extension/core/runtime/build';
import { ModelSession } from '../../webview/host/session';
import { useCpuBackend } from '../fixtures/tfjs';

useCpuBackend();

function only(src: string): ModelInfo {
  const a = analyze(src);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return a.models[0];
}

const repeated = (n: number) => `block b(d) {\n  input x\n  output x -> dense(d)\n}\nmodel Deep {\n  input x: [64]\n  output x -> b(64) * ${n}\n}\n`;

test('layerDepth counts the longest chain, repeats expanded and branches not added up', () => {
  assert.equal(layerDepth(only(repeated(10_000)).graph), 10_000);
  const branchy = only(`block res(d) {\n  input x\n  h = x -> dense(d) -> relu -> dense(d)\n  output add(x, h)\n}\nmodel R {\n  input x: [8]\n  output x -> res(8) * 3 -> dense(2)\n}\n`);
  // Each repetition: dense, relu, dense, add = 4 on the longest path; then the last dense.
  assert.equal(layerDepth(branchy.graph), 3 * 4 + 1);
});

test('a model deeper than tfjs can build is refused up front, naming the limit, with no tensor made', () => {
  for (const n of [10_000, 5_000]) {
    const info = only(repeated(n));
    const tensors = tf.memory().numTensors;
    assert.throws(
      () => buildModel(tf, info, { initializer: 'zeros' }),
      (e: Error) => {
        assert.match(e.message, new RegExp(`'Deep': it is ${n.toLocaleString('en-US')} layers deep, more than the ${MAX_LAYER_DEPTH.toLocaleString('en-US')} that TensorFlow\\.js can build`));
        assert.doesNotMatch(e.message, /call stack size exceeded/);
        return true;
      },
    );
    assert.equal(tf.memory().numTensors, tensors);
  }
});

test('a model at the depth limit builds and runs', () => {
  const built = buildModel(tf, only(repeated(MAX_LAYER_DEPTH)), { initializer: 'zeros' });
  const y = tf.tidy(() => built.model.predict(tf.ones([1, 64])) as tf.Tensor);
  assert.deepEqual(y.shape, [1, 64]);
  y.dispose();
  for (const w of built.model.weights) w.dispose();
});

test('a build that tfjs rejects part-way disposes every weight it made', () => {
  const info = only(`model M {\n  input x: [16]\n  output x -> dense(32) -> dense(32) -> dense(4)\n}\n`);
  const tensors = tf.memory().numTensors;
  // Sabotage the last layer's application, after the first two made their weights.
  const original = tf.layers.Layer.prototype.apply;
  let calls = 0;
  tf.layers.Layer.prototype.apply = function (this: tf.layers.Layer, ...args: Parameters<typeof original>) {
    if (++calls === 3) throw new Error('rejected by tfjs');
    return original.apply(this, args);
  } as typeof original;
  try {
    assert.throws(() => buildModel(tf, info), /rejected by tfjs/);
  } finally {
    tf.layers.Layer.prototype.apply = original;
  }
  assert.ok(calls >= 3);
  assert.equal(tf.memory().numTensors, tensors, 'the weights of the layers built before the failure are gone');
  // The same model then builds normally.
  const built = buildModel(tf, info);
  assert.equal(tf.memory().numTensors, tensors + 6);
  for (const w of built.model.weights) w.dispose();
  assert.equal(tf.memory().numTensors, tensors);
});

test('the inspector session refuses a too-deep model without leaking', () => {
  const tensors = tf.memory().numTensors;
  assert.throws(() => ModelSession.create(tf, only(repeated(5_000)), { seed: 1 }), /5,000 layers deep/);
  assert.equal(tf.memory().numTensors, tensors);
});
