// TensorFlow's 'same' padding with a stride above 1 in the PyTorch export.
// TensorFlow pads (out − 1)·s + (k − 1)·d + 1 − n in all, the odd pixel at the
// end; PyTorch's constructors pad both sides alike. Where the total is even on
// every axis (a 3×3 stride-2 convolution on an odd size: MobileNet's 97 → 49,
// VGG's 15 → 8), the two agree, and the export writes what a PyTorch user
// writes, `nn.Conv2d(..., stride=2, padding=1)`, not an `F.pad` whose comment
// ("pads more at the end") was false there. Where they disagree (ResNet's stem
// on 224: 2 before, 3 after) the explicit F.pad stays. The values are checked
// against TensorFlow.js by the numeric parity test of export.test.ts (its
// COVERAGE model `SamePads` takes both paths).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { exportPyTorch } from '../../extension/core/export/pytorch';

function exported(text: string): string {
  const a = analyze(text, { uri: 'm.nnmodel' });
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  const r = exportPyTorch(a, { sourceName: 'm.nnmodel' });
  if (!r.ok) assert.fail(r.errors.map((e) => e.message).join('\n'));
  return r.code;
}

test('a stride-2 same convolution that pads evenly is nn.Conv2d(..., stride=2, padding=1), with no F.pad', () => {
  const code = exported(`block dw_sep(filters, stride = 1) {
  input x: [h, w, c]
  output x -> conv2d(c, 3, stride = stride, padding = same, groups = c, bias = false) -> batchnorm -> relu6
           -> conv2d(filters, 1, bias = false) -> batchnorm -> relu6
}
model MobileNetTiny {
  input image: [97, 97, 3]
  output image -> conv2d(32, 3, stride = 2, padding = same, bias = false) -> dw_sep(64) -> dw_sep(128, 2)
               -> global_avgpool -> dense(10)
}
`);
  assert.match(code, /self\.conv1 = nn\.Conv2d\(3, 32, 3, stride=2, padding=1, bias=False\)/);
  assert.match(code, /nn\.Conv2d\(64, 64, 3, stride=2, padding=1, groups=64, bias=False\)/);
  // Stride 1 keeps PyTorch's own 'same'.
  assert.match(code, /nn\.Conv2d\(32, 32, 3, padding="same", groups=32, bias=False\)/);
  assert.doesNotMatch(code, /F\.pad/);
});

test('per axis: [kh, kw] kernels and strides, dilation, conv1d; an uneven axis keeps the explicit F.pad', () => {
  const code = exported(`model M {
  input image: [33, 31, 3]
  input signal: [17, 4]
  a = image -> conv2d(8, [3, 5], stride = [2, 3], padding = same)
  b = image -> conv2d(8, 5, stride = 3, padding = same)
  c = signal -> conv1d(4, 5, stride = 2, padding = same)
  d = image -> conv2d(8, 3, stride = [2, 1], dilation = 1, padding = same)
  e = image -> conv2d(8, 4, stride = 2, padding = same)
  output a, b, c, d, e
}
`);
  // 33 → 17: 16·2 + 3 − 33 = 2 (1 each side); 31 → 11 with k 5, s 3: 10·3 + 5 − 31 = 4 (2 each side).
  assert.match(code, /nn\.Conv2d\(3, 8, \(3, 5\), stride=\(2, 3\), padding=\(1, 2\)\)/);
  // 33 → 11: 10·3 + 5 − 33 = 2; 31 → 11: 30 + 5 − 31 = 4.
  assert.match(code, /nn\.Conv2d\(3, 8, 5, stride=3, padding=\(1, 2\)\)/);
  // 17 → 9: 8·2 + 5 − 17 = 4.
  assert.match(code, /nn\.Conv1d\(4, 4, 5, stride=2, padding=2\)/);
  assert.match(code, /nn\.Conv2d\(3, 8, 3, stride=\(2, 1\), padding=1\)/);
  // k 4, s 2 on 33: 16·2 + 4 − 33 = 3, odd: TensorFlow's extra pixel at the end, written out.
  assert.match(code, /nn\.Conv2d\(3, 8, 4, stride=2\)/);
  assert.match(code, /F\.pad\(image, \(1, 2, 1, 2\)\)  # TensorFlow's 'same' with stride > 1 pads more at the end/);
  assert.equal(code.match(/F\.pad\(/g)?.length, 1);
});

test('same pooling that pads evenly uses the pooling padding; average pooling leaves the padding out of the mean', () => {
  const code = exported(`model P {
  input image: [17, 13, 3]
  a = image -> maxpool(3, stride = 2, padding = same)
  b = image -> avgpool(3, stride = 1, padding = same)
  c = image -> avgpool(2, padding = same)
  output a, b, c
}
`);
  assert.match(code, /F\.max_pool2d\(image, 3, stride=2, padding=1\)/);
  // TensorFlow divides by the real values in the window: count_include_pad=False.
  assert.match(code, /F\.avg_pool2d\(image, 3, stride=1, padding=1, count_include_pad=False\)/);
  // 17 → 9 by 2: one pixel at the end only, still written out.
  assert.match(code, /F\.avg_pool2d\(F\.pad\(image, \(0, 1, 0, 1\)\), 2\) \/ F\.avg_pool2d\(F\.pad\(torch\.ones_like/);
});

test('a symbolic size keeps tf_same_padding: whether it pads evenly depends on the size', () => {
  const code = exported(`model S {
  input signal: [seq, 4]
  output signal -> conv1d(4, 3, stride = 2, padding = same)
}
`);
  assert.match(code, /F\.pad\(\w+, tf_same_padding\(\w+, \(3,\), \(2,\), \(1,\)\)\)/);
  assert.match(code, /nn\.Conv1d\(4, 4, 3, stride=2\)/);
});

test('a block called with kernels 3 and 5 at stride 2 is one class that takes its padding, as a PyTorch user writes it', () => {
  const code = exported(`block down(f, k) {
  input x
  output x -> conv2d(f, k, stride = 2, padding = same) -> relu
}
model B {
  input image: [33, 33, 3]
  output image -> down(8, 3) -> down(16, 5)
}
`);
  assert.equal(code.match(/^class Down/gm)?.length, 1, code);
  assert.match(code, /def __init__\(self, in_channels, out_channels, kernel_size, padding\):/);
  assert.match(code, /nn\.Conv2d\(in_channels, out_channels, kernel_size, stride=2, padding=padding\)/);
  assert.deepEqual(code.match(/Down\([\d, ]+\)/g), ['Down(3, 8, 3, 1)', 'Down(8, 16, 5, 2)']);
});
