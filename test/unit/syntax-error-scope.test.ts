// One syntax error hides no independent mistake: a block header read in part hides no unknown layer of its body (a
// parameter is never a layer), and one broken setting of a train section hides no other setting's own mistake.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';

const at = (text: string) => analyze(text).diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}@${d.range.start.line}:${d.range.start.character}`);
const M = 'model M {\n  input x: [28, 28, 1]\n  output x -> flatten -> dense(10) -> softmax\n}\n';

test('a header read in part hides no unknown layer of its body: a parameter is never a layer', () => {
  assert.deepEqual(at('block b(n h = 2) {\n  input x\n  output x -> dnese(n)\n}\nmodel M {\n  input x: [8]\n  output x -> b(4)\n}\n'), ['syntax.expected@0:10', 'name.unknown_layer@2:14']);
  assert.deepEqual(at('N {\n  input x: [8]\n  output x -> dens(4)\n}\n'), ['syntax.expected@0:0', 'name.unknown_layer@2:14']);
  // A dropped line still may define the layer object the body applies.
  assert.deepEqual(at('model M {\n  input x: [8]\n  = dense(4)\n  output x -> proj\n}\n'), ['syntax.expected@2:2']);
});

test('a parameter lost from a header read in part may be a layer object the body applies: its use is not a second error', () => {
  // `app(1, dense(4))`-style blocks take a layer object as a parameter and apply it with `-> l`.
  assert.deepEqual(at('block app(k l) {\n  input x\n  output x -> l\n}\n'), ['syntax.expected@0:12']);
  assert.deepEqual(at('block app(k, = 2, l) {\n  input x\n  output x -> l\n}\n'), ['syntax.expected@0:13']);
  // A misspelt layer the header does not name is still reported.
  assert.deepEqual(at('block app(k l) {\n  input x\n  output x -> l -> rleu\n}\n'), ['syntax.expected@0:12', 'name.unknown_layer@2:19']);
});

test('a parameter lost from a header read in part may be a word the body passes on (`padding = pad`): its use is not a second error', () => {
  const model = 'model M {\n  input x: [8, 8, 3]\n  output x -> bn(4)\n}\n';
  assert.deepEqual(at(`block bn, pad = same) {\n  input x: [8, 8, 3]\n  output x -> conv2d(4, 3, padding = pad)\n}\n${model}`), ['syntax.expected@0:8']);
  assert.deepEqual(at(`block bn(k act = relu) {\n  input x\n  output x -> dense(k, activation = act)\n}\n${model}`), ['syntax.expected@0:11']);
  // A misspelt word the header does not name is still reported.
  assert.deepEqual(at(`block bn, pad = same) {\n  input x: [8, 8, 3]\n  output x -> conv2d(4, 3, padding = smae)\n}\n${model}`), ['syntax.expected@0:8', 'arg.enum@2:37']);
});

test("a syntax error in one setting of a train section hides no other setting's own mistake", () => {
  assert.deepEqual(at(`${M}train M {\n  data: digits())\n  epochs: 0\n}\n`), ['syntax.unexpected@5:16', 'train.bad_value@6:10']);
  assert.deepEqual(at(`${M}train M {\n  data: digits()\n  loss crossentropy\n  batch: 0\n}\n`), ['syntax.expected@6:7', 'train.bad_value@7:9']);
  // What weighs the section as a whole is not reported: the broken line may be what sets it.
  assert.deepEqual(at(`${M}train M {\n  data digits()\n  loss: crossentropy\n}\n`), ['syntax.expected@5:7']);
  assert.deepEqual(at(`${M.replace('dense(10)', 'dense(7)')}train M {\n  data: digits()\n  loss crossentropy\n}\n`), ['syntax.expected@6:7']);
  // Left open at the body's end: its own error only.
  assert.deepEqual(at(`${M}train M {\n  batch: (\n}\n`), ['syntax.expected@6:0']);
});
