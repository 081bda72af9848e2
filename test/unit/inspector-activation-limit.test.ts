// The inspector refuses, before building anything, a model whose activations for one example cannot fit in the
// page (webview/host/session.ts): an input of [100000, 100000, 3] used to get as far as the forward pass and fail
// inside tfjs with "Invalid typed array length: 30000000000", while the header still said "fix the errors in the
// model first" with no error in the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import type { ModelInfo } from '../../extension/core/analysis/types';
import { MAX_INSPECT_ACTIVATION_BYTES, ModelSession } from '../../webview/host/session';
import { useCpuBackend } from '../fixtures/tfjs';

useCpuBackend();

const model = (side: number) => `model Big {\n  input image: [${side}, ${side}, 3]\n  output image -> conv2d(8, 3) -> global_avgpool -> dense(10) -> softmax\n}\n`;

function only(src: string): ModelInfo {
  const a = analyze(src);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return a.models[0];
}

test('a model whose activations for one example exceed the limit is refused up front, saying how large they are, with no tensor made', () => {
  const tensors = tf.memory().numTensors;
  // 99998² × 8 × 4 B of conv output (298.0 GiB) and 100000² × 3 × 4 B of input (111.8 GiB).
  assert.throws(
    () => ModelSession.create(tf, only(model(100_000)), { seed: 1 }),
    (e: Error) => {
      assert.equal(
        e.message,
        "Cannot run model 'Big' here: one example's input and activations take 409.8 GiB, more than the inspector's limit of 1.0 GiB. Use smaller inputs to run it; the summary, hovers and export still work.",
      );
      return true;
    },
  );
  // The input alone is too large, whatever follows it.
  const inputOnly = only('model In {\n  input image: [100000, 100000, 3]\n  output image -> global_avgpool -> dense(2)\n}\n');
  assert.throws(() => ModelSession.create(tf, inputOnly, { seed: 1 }), /one example's input and activations take 111\.8 GiB/);
  assert.equal(tf.memory().numTensors, tensors, 'nothing was built');
});

test('a model with large but allowed activations still builds (the limit is on the bytes, not on the input size)', () => {
  // 4096 × 4096 × 3 input: its conv output alone is 4094² × 8 × 4 B ≈ 511 MiB, under the limit.
  const info = only(model(4096));
  const bytes = info.memory.activationBytes.evaluate({})!;
  assert.ok(bytes > 256 * 2 ** 20 && bytes <= MAX_INSPECT_ACTIVATION_BYTES, `${bytes}`);
  const s = ModelSession.create(tf, info, { seed: 1 });
  s.dispose();
});
