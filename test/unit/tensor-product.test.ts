// `image * gate` (squeeze-and-excitation written as in PyTorch): `*` between two tensors is not a product here;
// the error says the product is the layer multiply, with the fix that writes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';

test("a tensor times a tensor: one error naming multiply, and the fix `a -> multiply(b)` gives a valid model", () => {
  const text = 'model M {\n  input image: [8, 8, 16]\n  s = image -> global_avgpool -> dense(16) -> sigmoid -> reshape([1, 1, 16])\n  output image * s\n}\n';
  const a = analyze(text);
  assert.deepEqual(a.diagnostics.map((d) => d.code), ['type.operands']);
  const [d] = a.diagnostics;
  assert.equal(text.slice(d.range.start.offset, d.range.end.offset), '*');
  assert.match(d.message, /the elementwise product of two tensors is the layer multiply: `a -> multiply\(b\)`\.$/);
  const edit = d.fixes![0].edits[0];
  assert.equal(text.slice(edit.range.start.offset, edit.range.end.offset), 'image * s');
  assert.equal(edit.newText, 'image -> multiply(s)');
  const fixed = text.slice(0, edit.range.start.offset) + edit.newText + text.slice(edit.range.end.offset);
  assert.deepEqual(analyze(fixed).diagnostics, []);
  // Other operands keep the plain message, and a tensor times a chain is explained without a fix.
  assert.doesNotMatch(analyze(text.replace('image * s', 'image - s')).diagnostics[0].message, /multiply/);
  const chained = analyze(text.replace('image * s', 'image * (s -> relu) -> flatten'));
  assert.deepEqual(chained.diagnostics.map((x) => [x.code, x.fixes?.length ?? 0]), [['type.operands', 0]]);
  assert.match(chained.diagnostics[0].message, /multiply/);
});

test('a function of numbers in an argument (`dense(max(1, c // 4))`, Python habit): one error on the name, saying arguments have no functions', () => {
  const text = 'block se(c) {\n  input x\n  output x -> dense(max(1, c // 4))\n}\nmodel M {\n  input x: [8]\n  output x -> se(8)\n}\n';
  const a = analyze(text);
  assert.deepEqual(a.diagnostics.map((d) => d.code), ['value.function']);
  const [d] = a.diagnostics;
  assert.equal(text.slice(d.range.start.offset, d.range.end.offset), 'max');
  assert.match(d.message, /^max\(…\) of numbers: an argument's value is numbers and arithmetic \(\+ - \* \/ \/\/\), with no functions; max here is a layer \(the maximum over an axis/);
  // In a block call's value, and a name that is no layer.
  const round = analyze('block b(n) {\n  input x\n  output x -> dense(n)\n}\nmodel M {\n  input x: [8]\n  output x -> b(round(8 / 3))\n}\n');
  assert.deepEqual(round.diagnostics.map((x) => x.code), ['value.function']);
  assert.doesNotMatch(round.diagnostics[0].message, /here is a layer/);
  // Outside an argument a layer call without an input keeps its own message; a layer object with numbers is fine.
  assert.deepEqual(analyze('model M {\n  input x: [8]\n  output dense(10)\n}\n').diagnostics.map((x) => x.code), ['call.no_input', 'input.unused']);
  assert.deepEqual(analyze('model M {\n  input x: [2, 8]\n  l = max(0)\n  output x -> l\n}\n').diagnostics, []);
});

test('a layer object whose argument has no value (`l = dense(round(3))`, an undefined name): its error only, none again where it is applied', () => {
  for (const [arg, code] of [
    ['round(3)', 'value.function'],
    ['width', 'name.unknown'],
  ]) {
    const text = `model M {\n  input x: [8]\n  l = dense(${arg})\n  y = x -> l -> relu -> l\n  output y\n}\n`;
    const a = analyze(text);
    assert.deepEqual(a.diagnostics.map((d) => [d.code, d.range.start.line]), [[code, 2]], arg);
  }
  // An object whose arguments are known still checks each application: a shared dense(4) on 8 and then on 4 values.
  const known = analyze('model M {\n  input x: [8]\n  l = dense(4)\n  y = x -> l -> relu -> l\n  output y\n}\n');
  assert.deepEqual(known.diagnostics.map((d) => [d.code, d.range.start.line]), [['object.shape', 3]]);
});

test('value.function only where a number is meant: not in a block body reached through an argument, a layer object given as an argument, or a model name', () => {
  const codes = (text: string) => analyze(text).diagnostics.map((d) => d.code);
  // `inner`'s body is not in `outer`'s argument: its `output dense(4)` needs an input, as when called directly.
  const inner = 'block inner {\n  input x\n  output dense(4)\n}\n';
  const outer = 'block outer(n) {\n  input x\n  output x -> dense(n)\n}\n';
  const direct = codes(`${inner}model M {\n  input x: [8]\n  output x -> inner\n}\n`);
  assert.deepEqual(direct, ['call.no_input', 'input.unused']);
  assert.deepEqual(codes(`${inner}${outer}model M {\n  input x: [8]\n  output x -> outer(x -> inner)\n}\n`), direct);
  assert.deepEqual(codes(`${inner}model M {\n  input x: [8]\n  output x -> dense(inner(3))\n}\n`).includes('value.function'), false);
  // A layer object meant as a block's or a layer's argument: bind it to a name (call.no_input says so).
  const app = 'block app(k, l) {\n  input x\n  output x -> l\n}\n';
  const f1 = analyze(`${app}model M {\n  input x: [8]\n  output x -> app(1, dense(4))\n}\n`).diagnostics;
  assert.deepEqual(f1.map((d) => d.code), ['call.no_input']);
  assert.match(f1[0].message, /layer object/);
  assert.deepEqual(codes('model M {\n  input t: int[16]\n  h = t -> embedding(100, 8)\n  output h -> unembed(embedding(100, 8))\n}\n'), ['call.no_input']);
  // A model's name where a number is meant: that a model is no layer.
  assert.deepEqual(codes('model Enc {\n  input x: [8]\n  output x -> dense(4)\n}\nmodel M {\n  input x: [8]\n  output x -> dense(Enc(3))\n}\n'), ['name.model_as_layer']);
  // Still a function of numbers: `max` and names that are no layer in a block's argument, any call in a numeric one.
  assert.deepEqual(codes(`${outer}model M {\n  input x: [8]\n  output x -> outer(max(2, 4))\n}\n`), ['value.function']);
  assert.deepEqual(codes('model M {\n  input x: [8]\n  output x -> dense(mean(2, 4))\n}\n'), ['value.function']);
});
