// `reshape([-1, 784])` ported from PyTorch's `x.view(-1, 784)`: the -1 stood
// for the batch, which shapes here leave out, so it took what was left, 1, and
// the model silently gained an axis of 1. Advice (info) with the fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { applyFix } from './sourceText';

const model = (chain: string) => `model M {\n  input x: [28, 28, 1]\n  output x -> ${chain}\n}\n`;

test("reshape([-1, 784]) where the -1 becomes 1: advice naming PyTorch's batch, and the fix that drops it", () => {
  const text = model('reshape([-1, 784]) -> dense(10)');
  const [d, ...more] = analyze(text).diagnostics;
  assert.equal(more.length, 0);
  assert.equal(d.code, 'layer.batch_axis');
  assert.equal(d.severity, 'info');
  assert.match(d.message, /^reshape\(\[-1, 784\]\) gives \[1, 784\]: .* Did you mean reshape\(\[784\]\)\?$/);
  const fixed = applyFix(text, d);
  assert.match(fixed, /x -> reshape\(\[784\]\) -> dense\(10\)/);
  assert.deepEqual(analyze(fixed).diagnostics, []);
  assert.deepEqual(analyze(fixed).models[0].outputs[0].shape.dims.map(String), ['10']);
  // A -1 that stands for a real size (28 rows of 28) is what reshape's -1 is for.
  assert.deepEqual(analyze(model('reshape([-1, 28]) -> dense(10)')).diagnostics, []);
});
