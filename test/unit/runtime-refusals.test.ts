// Models the analysis accepted but TensorFlow.js cannot run (found by the randomised parity test): each is now an
// error with a clear range, instead of a failure at predict or build time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';

test('an input without an axis (`[]`, `int[]`) is an error on its shape, with the fix to one value per example', () => {
  for (const [shape, one, layer] of [
    ['[]', '[1]', 'dense(2)'],
    ['int[]', 'int[1]', 'embedding(10, 4)'],
  ]) {
    const text = `model M {\n  input t: ${shape}\n  output t -> ${layer}\n}\n`;
    const a = analyze(text);
    assert.deepEqual(a.diagnostics.map((d) => d.code), ['shape.empty'], shape);
    const [d] = a.diagnostics;
    assert.equal(text.slice(d.range.start.offset, d.range.end.offset), shape);
    assert.match(d.message, /^an input needs at least one axis: one (number|token id) per example is (int)?\[1\]\.$/);
    assert.deepEqual(d.fixes?.map((f) => [f.title, f.edits[0].newText]), [[`Change to ${one}`, one]]);
    const fixed = text.replace(`: ${shape}`, `: ${one}`);
    assert.deepEqual(analyze(fixed).diagnostics, [], fixed);
  }
});

test('a batchnorm object applied at two ranks is an error at the second use (tfjs builds it for the first rank)', () => {
  const text = 'model M {\n  input x: [8]\n  input z: [7, 8]\n  l = batchnorm()\n  a = x -> l\n  output z -> l -> flatten -> concat(a)\n}\n';
  const a = analyze(text);
  assert.deepEqual(a.diagnostics.map((d) => d.code), ['object.shape']);
  const [d] = a.diagnostics;
  assert.equal(d.range.start.line, 5);
  assert.match(d.message, /layer object 'l' was first applied to an input of rank 1; here it gets \[7, 8\], of rank 2\. A shared batchnorm keeps the rank/);
  // The same rank twice shares it; other layer objects may change rank (dense reads the last axis only).
  assert.deepEqual(analyze(text.replace('input x: [8]', 'input x: [3, 8]').replace('a = x -> l', 'a = x -> l -> flatten')).diagnostics, []);
  assert.deepEqual(analyze(text.replace('batchnorm()', 'dense(8)')).diagnostics, []);
});

test("a layer object passed into a block and applied there at another size names it as the body does, and the call it came through", () => {
  const block = 'block b(norm) {\n  input x\n  output x -> norm\n}\n';
  const check = (body: string, message: RegExp) => {
    const text = `${block}model M {\n  input image: [8, 8, 3]\n  bn = batchnorm()\n${body}}\n`;
    const a = analyze(text);
    assert.deepEqual(a.diagnostics.map((d) => d.code), ['object.shape'], text);
    const [d] = a.diagnostics;
    // At the body's `norm`: the related location is the call that passed `bn` in.
    assert.equal(text.slice(d.range.start.offset, d.range.end.offset), 'norm');
    assert.match(d.message, message);
    assert.deepEqual(d.related?.map((r) => [r.message, text.slice(r.range.start.offset, r.range.end.offset)]), [['reached through b(bn)', 'b(bn)']]);
  };
  check('  x = image -> bn\n  output image -> flatten -> b(bn) + x -> flatten\n', /^layer object 'bn' \(passed in as 'norm'\) was first applied to an input that gave weights gamma\[3\]/);
  check('  x = image -> bn\n  output image -> global_avgpool -> b(bn) + x -> global_avgpool\n', /^layer object 'bn' \(passed in as 'norm'\) was first applied to an input of rank 3; here it gets \[3\], of rank 1/);
});
