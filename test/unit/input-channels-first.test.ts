// `input image: [3, 32, 32]`, channels first as PyTorch writes images, fed
// to conv2d: the only error used to be a later maxpool's "pool size 2 is
// larger than the input's 1 (height)". A warning on the input's shape now
// says images are channels last, with a fix that rewrites the shape; real
// channels-last inputs and the examples get nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../../extension/core/analysis/analyze';
import { AnalysisSession } from '../../extension/core/analysis/session';
import type { Fix } from '../../extension/core/analysis/types';
import { nnmodelFiles } from '../fixtures/examples';

const model = (shape: string, chain: string) => `model M {\n  input image: ${shape}\n  output image -> ${chain}\n}\n`;
const channelsFirst = (text: string) => analyze(text).diagnostics.filter((d) => d.code === 'input.channels_first');
const apply = (text: string, fix: Fix) => {
  const e = fix.edits[0];
  return text.slice(0, e.range.start.offset) + e.newText + text.slice(e.range.end.offset);
};

test("the student's channels-first CNN: one diagnostic on the shape naming the layout (the error, since a later layer fails of it), and a fix that analyses clean", () => {
  const text = model('[3, 32, 32]', 'conv2d(32, 3) -> relu -> maxpool(2) -> flatten -> dense(10) -> softmax');
  const [d, ...more] = analyze(text).diagnostics;
  assert.equal(more.length, 0, more.map((x) => x.message).join('\n'));
  assert.equal(d.code, 'input.channels_first');
  assert.equal(d.severity, 'error');
  assert.equal(text.slice(d.range.start.offset, d.range.end.offset), '[3, 32, 32]');
  assert.equal(
    d.message,
    "'image' is [3, 32, 32], channels first as in PyTorch, but conv2d(32, 3) reads [height, width, channels] (channels last, as in Keras): it would see 3 × 32 pixels with 32 channels. Did you mean [32, 32, 3]? That is why line 3 fails (maxpool: pool size 2 is larger than the input's 1 (height) with padding=valid).",
  );
  assert.equal(d.related?.[0].message, 'conv2d(32, 3) reads [height, width, channels]');
  assert.equal(text.slice(d.related![1].range.start.offset, d.related![1].range.end.offset), '2');
  // Nothing fails after it: the warning alone.
  const [w, ...others] = analyze(model('[3, 32, 32]', 'conv2d(32, 3) -> flatten -> dense(10) -> softmax')).diagnostics;
  assert.equal(others.length, 0);
  assert.equal(w.severity, 'warning');
  assert.deepEqual(d.fixes?.map((f) => f.title), ['Change to [32, 32, 3]']);
  const fixed = apply(text, d.fixes![0]);
  assert.match(fixed, /input image: \[32, 32, 3\]/);
  assert.deepEqual(analyze(fixed).diagnostics, []);
});

test('through layers that keep the axes, into pooling; and a grey image whose first layer fails', () => {
  assert.equal(channelsFirst(model('[3, 64, 64]', 'batchnorm -> maxpool(2) -> flatten -> dense(2)')).length, 1);
  const grey = model('[1, 28, 28]', 'conv2d(8, 3) -> flatten -> dense(10)');
  const [d] = channelsFirst(grey);
  assert.deepEqual(d.fixes?.map((f) => f.title), ['Change to [28, 28, 1]']);
  assert.deepEqual(analyze(apply(grey, d.fixes![0])).diagnostics, []);
});

test('a failing convolution reached through layers that keep the axes is found in the source, as a working one is in the graph', () => {
  const text = model('[3, 32, 32]', 'dropout(0.1) -> relu -> conv2d(8, 5) -> flatten -> dense(10)');
  const [d, ...more] = channelsFirst(text);
  assert.equal(more.length, 0);
  assert.equal(text.slice(d.related![0].range.start.offset, d.related![0].range.end.offset), 'conv2d(8, 5)');
  assert.deepEqual(analyze(apply(text, d.fixes![0])).diagnostics, []);
  // A layer that changes the axes first (a dense on the last one) is not followed.
  assert.deepEqual(channelsFirst(model('[3, 32, 32]', 'dense(4) -> conv2d(8, 5)')), []);
});

test('a signal written [channels, steps] into conv1d (whose call fails on one step): a warning with [steps, channels]', () => {
  const text = model('[1, 100]', 'conv1d(8, 3) -> flatten -> dense(2)');
  const [d, ...more] = channelsFirst(text);
  assert.equal(more.length, 0);
  assert.match(d.message, /'image' is \[1, 100\], channels first as in PyTorch, but conv1d\(8, 3\) reads \[steps, channels\] .*it would see 1 step of 100 channels\. Did you mean \[100, 1\]\?/);
  assert.equal(text.slice(d.related![0].range.start.offset, d.related![0].range.end.offset), 'conv1d(8, 3)');
  const fixed = apply(text, d.fixes![0]);
  assert.match(fixed, /input image: \[100, 1\]/);
  assert.deepEqual(analyze(fixed).diagnostics, []);
});

test('channels-last inputs, and inputs no convolution reads, get nothing', () => {
  for (const [shape, chain] of [
    ['[32, 32, 3]', 'conv2d(8, 3)'],
    ['[28, 28, 1]', 'maxpool(2)'],
    ['[4, 4, 512]', 'conv2d(8, 3)'],
    ['[3, 32, 32]', 'flatten -> dense(4)'],
    ['[3, 32, 32]', 'dense(4)'],
    ['[100, 1]', 'conv1d(8, 3)'],
    ['[16, 4]', 'conv1d(8, 3)'],
  ]) {
    assert.deepEqual(channelsFirst(model(shape, chain)), [], `${shape} -> ${chain}`);
  }
});

test('no example gets the new diagnostics', () => {
  const dir = join(process.cwd(), 'examples');
  const files = nnmodelFiles(dir);
  assert.ok(files.length > 5);
  for (const f of files) {
    const uri = join(dir, f);
    const a = analyze(readFileSync(uri, 'utf8'), { uri, readImport: (_from, p) => ({ uri: join(dir, p), text: readFileSync(join(dir, p), 'utf8') }) });
    const got = a.diagnostics.filter((d) => d.code === 'input.channels_first' || d.code === 'train.output_positions');
    assert.deepEqual(got.map((d) => `${d.code} ${d.range.start.line + 1}: ${d.message}`), [], f);
  }
});

test("the diagnostics table's rows for the new codes: their examples give them", () => {
  const table = readFileSync(join(process.cwd(), 'docs/language.md'), 'utf8');
  assert.match(table, /^\| `input\.channels_first` \| warning; error when a later layer fails of it \| `input image: \[3, 32, 32\]` into `conv2d\(32, 3\)`; `\[1, 100\]` into `conv1d\(8, 3\)`/m);
  assert.equal(channelsFirst(model('[3, 32, 32]', 'conv2d(32, 3)'))[0]?.severity, 'warning');
  assert.equal(channelsFirst(model('[1, 100]', 'conv1d(8, 3)'))[0]?.severity, 'error');
  assert.match(table, /^\| `train\.output_positions` \| error \| `conv2d\(16, 3\) -> relu -> maxpool\(2\) -> dense\(3\) -> softmax` on `\[32, 32, 3\]` with `shapes\(\)`/m);
  const train = `model M {\n  input x: [32, 32, 3]\n  output x -> conv2d(16, 3) -> relu -> maxpool(2) -> dense(3) -> softmax\n}\ntrain M {\n  data: shapes()\n}\n`;
  assert.ok(analyze(train).diagnostics.some((d) => d.code === 'train.output_positions' && d.severity === 'error'));
});

test('an editor session gives the channels-first error the same way on every keystroke (the kept lint is not changed)', () => {
  const text = model('[3, 32, 32]', 'conv2d(32, 3) -> relu -> maxpool(2) -> flatten -> dense(10) -> softmax');
  const session = new AnalysisSession();
  const first = session.update(text).diagnostics;
  session.update(text.replace('softmax', 'softmax '));
  const third = session.update(text).diagnostics;
  assert.equal(first.length, 1);
  assert.deepEqual(third.map((d) => [d.code, d.severity, d.message]), first.map((d) => [d.code, d.severity, d.message]));
});

test("another branch's size error is its own: only errors in statements that read the channels-first input are folded into it", () => {
  const text = `model TwoInputs {
  input img: [3, 64, 64]
  input series: [10, 8]
  a = img -> conv2d(16, 3) -> flatten
  b = series -> conv1d(8, 3) -> conv1d(8, 3) -> conv1d(8, 7) -> flatten
  output concat(a, b) -> dense(2)
}
`;
  const ds = analyze(text).diagnostics;
  const codes = ds.map((d) => `${d.code}:${d.severity}`).sort();
  assert.deepEqual(codes, ['input.channels_first:warning', 'shape.kernel_too_large:error']);
  const k = ds.find((d) => d.code === 'shape.kernel_too_large')!;
  assert.equal(k.range.start.line, 4);
});
