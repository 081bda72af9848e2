// Hovering an argument's name in a layer call shows the value this call gives it (not the declaration's default),
// and for a window argument of a convolution or pooling, the output size it makes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { argumentHover } from '../../extension/vscode/pure/nameHover';

const URI = 'file:///w/digits.nnmodel';
const hoverOn = (text: string, needle: string, plus = 1): string => {
  const a = analyze(text, { uri: URI });
  const md = argumentHover(a, text.indexOf(needle) + plus, URI)?.markdown;
  assert.ok(md, `no argument hover on ${needle}`);
  return md;
};

const DIGITS = `model Digits {
  input image: [28, 28, 1]
  output image -> conv2d(32, 3, padding = same) -> relu -> maxpool(2)
               -> conv2d(64, 3, stride = 2, padding = same) -> relu
               -> maxpool(size = 3) -> flatten -> dense(10)
}
`;

test("the name of a layer's argument given a number shows that number and what it makes, not the default", () => {
  const stride = hoverOn(DIGITS, 'stride = 2');
  assert.doesNotMatch(stride, /conv2d\.stride: ints ≥ 1 = 1/, stride);
  assert.match(stride, /At this call: `stride = 2` \(default 1\) {2}\n/);
  assert.match(stride, /Output size with `padding = same` — height and width ⌈14 \/ 2⌉ = 7; pads 1 row and column of zeros at the bottom and right only/);
  assert.match(stride, /Stride 2 computes 903,168 MACs; at stride 1 the same conv2d would compute 3,612,672 \(4× as many\)\./);
  // A pooling whose size does not divide its input: what is dropped.
  const size = hoverOn(DIGITS, 'size = 3');
  assert.match(size, /At this call: `size = 3`/);
  assert.match(size, /Output size with `padding = valid` — height and width ⌊\(7 − 3\) \/ 3⌋ \+ 1 = 2; the last row and column fit no window and are dropped\./);
  // The stride note is the stride's: not on the padding's name.
  const padding = hoverOn(DIGITS, 'padding = same', 2);
  assert.match(padding, /conv2d\.padding/);
});

test('in a block body, the value of a parameter given to an argument is its first call\'s', () => {
  const text = `block down(f, k) {
  input x
  output x -> conv2d(f, kernel = k, stride = 2) -> relu
}
model M {
  input image: [28, 28, 1]
  output image -> down(8, 5) -> flatten -> dense(10)
}
`;
  const md = hoverOn(text, 'kernel = k');
  assert.match(md, /At this call: `kernel = k`, which is 5 {2}\n/);
  assert.match(md, /Output size with `padding = valid` — height and width ⌊\(28 − 5\) \/ 2⌋ \+ 1 = 12; the last row and column fit no window and are dropped\./);
  // An argument of a layer that is not a window: the value, no output size.
  const dense = hoverOn(`model N {\n  input x: [4]\n  output x -> dense(units = 3, bias = false)\n}\n`, 'units = 3');
  assert.match(dense, /At this call: `units = 3`/);
  assert.doesNotMatch(dense, /Output size/);
});
