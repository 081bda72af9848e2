// layer.dense_on_positions: a CNN head that forgot flatten (the course notes: "Flattening transforms the output of
// convolutional layers into a one-dimensional vector, suitable for input to fully connected layers").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import type { Diagnostic } from '../../extension/core/analysis/types';

const CODE = 'layer.dense_on_positions';
const found = (text: string): Diagnostic[] => analyze(text).diagnostics.filter((d) => d.code === CODE);
const model = (chain: string, input = '[28, 28, 1]') => `model Digits {\n  input image: ${input}\n  output image -> ${chain}\n}\n`;

function applied(text: string, d: Diagnostic, i: number): string {
  const edits = [...d.fixes![i].edits].sort((a, b) => b.range.start.offset - a.range.start.offset);
  for (const e of edits) text = text.slice(0, e.range.start.offset) + e.newText + text.slice(e.range.end.offset);
  return text;
}

test('conv2d -> maxpool -> dense(10) -> softmax on 28 × 28 digits: info on the dense, the shapes and both fixes with their parameters', () => {
  const text = model('conv2d(32, 3) -> relu -> maxpool(2) -> dense(10) -> softmax');
  const all = analyze(text).diagnostics;
  assert.deepEqual(all.map((d) => d.code), [CODE]);
  const [d] = all;
  assert.equal(d.severity, 'info');
  assert.equal(text.slice(d.range.start.offset, d.range.end.offset), 'dense(10)');
  assert.equal(
    d.message,
    'dense(10) on [13, 13, 32] acts on the last axis only: it is applied at each of the 13 × 13 positions and gives [13, 13, 10], one output per position, not one per image. ' +
      'For one per image, flatten first (`-> flatten -> dense(10)`: [5,408] → [10], 54,090 parameters) or average the positions (`-> global_avgpool -> dense(10)`: 330 parameters).',
  );
  assert.deepEqual(d.fixes!.map((f) => f.title), ["Insert '-> flatten'", "Insert '-> global_avgpool'"]);
  const fixed = applied(text, d, 0);
  assert.match(fixed, /maxpool\(2\) -> flatten -> dense\(10\) -> softmax/);
  const a = analyze(fixed);
  assert.deepEqual(a.diagnostics, []);
  assert.equal(a.models[0].outputs[0].shape.dims.map((x) => x.value).join(','), '10');
  assert.equal(a.models[0].params.trainable.value, 320 + 54_090);
  assert.deepEqual(found(applied(text, d, 1)), []);
});

test('the head is walked back from the output: dense(128) -> relu -> dropout -> dense(10) reports the first dense of the head', () => {
  const text = model('conv2d(8, 3) -> dropout(0.25) -> dense(128) -> relu -> dropout(0.5) -> dense(10)');
  const [d] = found(text);
  assert.equal(text.slice(d.range.start.offset, d.range.end.offset), 'dense(128)');
});

test('no report where one output per position is meant or nothing is off', () => {
  // Flattened, pooled, or a 1×1 map: one per image.
  assert.deepEqual(found(model('conv2d(8, 3) -> flatten -> dense(10)')), []);
  assert.deepEqual(found(model('conv2d(8, 3) -> global_avgpool -> dense(10)')), []);
  assert.deepEqual(found(model('conv2d(8, 28) -> dense(10)')), []);
  // A sequence model: dense at each step is the usual head.
  assert.deepEqual(found(model('conv1d(8, 3, padding = causal) -> dense(1)', '[seq, 1]')), []);
  assert.deepEqual(found(model('conv1d(8, 3) -> dense(1)', '[100, 1]')), []);
  // A dense inside the network, not the output head (a ConvNeXt-like MLP on channels).
  assert.deepEqual(found(model('conv2d(8, 3, padding = same) -> dense(32) -> relu -> dense(8) -> conv2d(2, 1)')), []);
  // A train section decides (per-pixel data, or train.output_positions for per-image labels).
  const trained = `${model('conv2d(8, 3) -> dense(10) -> softmax')}\ntrain Digits {\n  data: digits()\n  loss: crossentropy\n}\n`;
  assert.deepEqual(found(trained), []);
  // An error earlier in the model: no advice on top of it.
  assert.deepEqual(found(model('conv2d(8, 30) -> dense(10)')), []);
  // A per-pixel head on a map of the input's own size (segmentation, which has no train section: the built-in data
  // label whole images): a U-Net's last `conv2d(1, 1)` written as the dense it is.
  const unet = [
    'block up(f) {',
    '  input x',
    '  output x -> conv2d_transpose(f, 2, stride = 2) -> conv2d(f, 3, padding = same) -> relu',
    '}',
    'model Seg {',
    '  input image: [32, 32, 3]',
    '  e1 = image -> conv2d(16, 3, padding = same) -> relu',
    '  d1 = e1 -> maxpool(2) -> conv2d(32, 3, padding = same) -> relu -> up(16)',
    '  output concat(d1, e1) -> dense(1) -> sigmoid',
    '}',
    '',
  ].join('\n');
  assert.deepEqual(analyze(unet).diagnostics, []);
  assert.deepEqual(found(model('conv2d(8, 3, padding = same) -> relu -> dense(2) -> softmax')), []);
});
