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

test("an input's shape with the batch written first ([batch_size, 784], [batch, 28, 28, 1]): a warning on it, with the fix that removes it", () => {
  const input = (shape: string, chain = 'dense(10)') => `model M {\n  input x: ${shape}\n  output x -> ${chain}\n}\n`;
  const text = input('[batch_size, 784]');
  const [d, ...more] = analyze(text).diagnostics;
  assert.equal(more.length, 0);
  assert.equal(d.code, 'input.batch_axis');
  assert.equal(d.severity, 'warning');
  assert.equal(text.slice(d.range.start.offset, d.range.end.offset), 'batch_size');
  assert.match(d.message, /^'batch_size' reads as the batch axis, which an input's shape does not include: .* Did you mean \[784\]\?$/);
  const fixed = applyFix(text, d);
  assert.match(fixed, /input x: \[784\]\n/);
  assert.deepEqual(analyze(fixed).diagnostics, []);
  // Other names of the batch, into a convolution; token ids keep their int.
  const conv = input('[batch, 28, 28, 1]', 'conv2d(8, 3) -> flatten -> dense(10)');
  const [c] = analyze(conv).diagnostics.filter((x) => x.code === 'input.batch_axis');
  assert.deepEqual(c.fixes?.map((f) => f.title), ["Remove 'batch': [28, 28, 1]"]);
  assert.deepEqual(analyze(applyFix(conv, c)).diagnostics, []);
  const ids = input('int[bs, seq]', 'embedding(100, 8)');
  const [i] = analyze(ids).diagnostics;
  assert.deepEqual(i.fixes?.map((f) => f.title), ["Remove 'bs': int[seq]"]);
  // A symbolic size that is not the batch, and the batch alone (no fix: nothing would be left).
  assert.deepEqual(analyze(input('[seq, 8]')).diagnostics, []);
  const [alone] = analyze(input('[batch]')).diagnostics;
  assert.equal(alone.code, 'input.batch_axis');
  assert.equal(alone.fixes, undefined);
  // Keras's None is a length of any size (Input(shape=(None, 40)) has no batch in it): not flagged.
  assert.deepEqual(analyze(input('[None, 40]', 'lstm(16, return_sequences = true) -> dense(3)')).diagnostics, []);
  assert.deepEqual(analyze(input('int[None]', 'embedding(100, 8) -> lstm(8) -> dense(1)')).diagnostics, []);
});
