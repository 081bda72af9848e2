import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { fieldAt } from '../../extension/core/analysis/receptive';
import { kernelStackAt, type KernelStack } from '../../extension/core/analysis/stacking';
import type { ModelInfo } from '../../extension/core/analysis/types';
import { stackLine } from '../../extension/vscode/pure/text';

/** The stack ending at the `nth` call written as `call` in the model's text. */
function stackAt(src: string, call: string, nth = 0): { stack: KernelStack | undefined; model: ModelInfo; range: { start: { offset: number }; end: { offset: number } } } {
  const a = analyze(src);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error'), []);
  let at = -1;
  for (let i = 0; i <= nth; i++) at = src.indexOf(call, at + 1);
  assert.ok(at >= 0, call);
  const site = a.sites.find((s) => s.kind === 'layer' && s.range.start.offset === at);
  assert.ok(site, `site of ${call}`);
  const model = a.models.find((m) => m.name === site.model)!;
  return { stack: kernelStackAt(model, site.range), model, range: site.range };
}

const pair = `model M {
  input x: [32, 32, 64]
  output x -> conv2d(64, 3, padding = same) -> batchnorm -> relu -> conv2d(64, 3, padding = same)
}
`;

test("two 3×3 convolutions see 5×5, for 73,856 parameters against one 5×5's 102,464 (torch.nn.Conv2d(64, 64, 3) ×2 vs (64, 64, 5))", () => {
  const { stack, model, range } = stackAt(pair, 'conv2d(64, 3', 1);
  assert.ok(stack);
  assert.equal(stack.convs.length, 2);
  assert.deepEqual(stack.kernels, [[3, 3], [3, 3]]);
  assert.deepEqual(stack.window, [5, 5]);
  assert.equal(stack.params, 2 * (64 * 64 * 9 + 64));
  assert.equal(stack.singleParams, 64 * 64 * 25 + 64);
  assert.equal(stack.macsPerPosition, 2 * 64 * 64 * 9);
  assert.equal(stack.singleMacsPerPosition, 64 * 64 * 25);
  assert.deepEqual(stack.nonlinear, ['relu']);
  // The window is the receptive field the model reports for that output.
  const f = fieldAt(model, range)?.get('x');
  assert.ok(f && f.kind === 'local');
  assert.deepEqual(f.sizes, stack.window);
  assert.equal(
    stackLine(stack),
    'Stacked kernels: with the `conv2d(64, 3, padding = same)` on line 3, two 3×3 kernels see 5×5 input positions, as one `conv2d(64, 5)` would, ' +
      'with **73,856** parameters against 102,464 (0.72× as many) and 73,728 MACs per position against 102,400, with relu between them, which one convolution cannot have',
  );
  // The first of the run ends no stack.
  assert.equal(stackAt(pair, 'conv2d(64, 3').stack, undefined);
});

test("VGG's three 3×3 convolutions see 7×7 (27·C² against 49·C² weights); channels change along the run", () => {
  const src = `model Vgg {
  input image: [56, 56, 3]
  x = image -> conv2d(32, 3, padding = same, activation = relu)
    -> conv2d(64, 3, padding = same, activation = relu)
    -> conv2d(64, 3, padding = same)
  output x
}
`;
  const { stack } = stackAt(src, 'conv2d(64, 3', 1);
  assert.ok(stack);
  assert.deepEqual(stack.window, [7, 7]);
  assert.equal(stack.channelsIn, 3);
  assert.equal(stack.channelsOut, 64);
  assert.equal(stack.params, 3 * 32 * 9 + 32 + 32 * 64 * 9 + 64 + 64 * 64 * 9 + 64);
  assert.equal(stack.singleParams, 3 * 64 * 49 + 64);
  assert.deepEqual(stack.nonlinear, ['relu', 'relu']);
  assert.match(stackLine(stack), /^Stacked kernels: with the 2 convolutions before it \(from line 3\), three 3×3 kernels see 7×7 input positions, as one `conv2d\(64, 7\)` would/);
  assert.match(stackLine(stack), /with relu between them/);
});

test('conv1d runs count dilation: kernels of 3 taps at dilation 1 and 2 span 3 and 5, so the pair sees 7 steps', () => {
  const src = `model Tcn {
  input wave: [128, 1]
  output wave -> conv1d(16, 3, padding = causal) -> conv1d(16, 3, padding = causal, dilation = 2, bias = false)
}
`;
  const { stack } = stackAt(src, 'conv1d(16, 3, padding = causal, dilation');
  assert.ok(stack);
  assert.deepEqual(stack.kernels, [[3], [5]]);
  assert.deepEqual(stack.window, [7]);
  assert.equal(stack.params, 1 * 16 * 3 + 16 + 16 * 16 * 3);
  assert.equal(stack.singleParams, 1 * 16 * 7);
  assert.match(stackLine(stack), /kernels spanning 3 and 5 steps see 7 steps, as one `conv1d\(16, 7\)` would/);
  // Equal kernels along steps: "two 3-step kernels".
  const plain = stackAt(src.replace(', dilation = 2', ''), 'conv1d(16, 3, padding = causal, bias').stack;
  assert.ok(plain);
  assert.match(stackLine(plain), /two 3-step kernels see 5 steps, as one `conv1d\(16, 5\)` would/);
  assert.match(stackLine(stack), /with nothing nonlinear between them, the run computes no more than that one convolution could$/);
});

test('a stride, a pooling, a residual sum or a group breaks the run; a block body has its own', () => {
  assert.equal(stackAt(`model M {
  input x: [32, 32, 8]
  output x -> conv2d(8, 3, padding = same, stride = 2) -> conv2d(8, 3, padding = same)
}
`, 'conv2d(8, 3', 1).stack, undefined);
  assert.equal(stackAt(`model M {
  input x: [32, 32, 8]
  output x -> conv2d(8, 3, padding = same) -> maxpool(2) -> conv2d(8, 3, padding = same)
}
`, 'conv2d(8, 3', 1).stack, undefined);
  assert.equal(stackAt(`model M {
  input x: [32, 32, 8]
  y = x -> conv2d(8, 3, padding = same)
  output (y + x) -> conv2d(8, 3, padding = same)
}
`, 'conv2d(8, 3', 1).stack, undefined);
  assert.equal(stackAt(`model M {
  input x: [32, 32, 8]
  output x -> conv2d(8, 3, padding = same) -> conv2d(8, 3, padding = same, groups = 2)
}
`, 'conv2d(8, 3', 1).stack, undefined);
  const block = `block double(f) {
  input x
  output x -> conv2d(f, 3, padding = same) -> relu -> conv2d(f, 3, padding = same) -> relu
}

model M {
  input x: [32, 32, 3]
  output x -> double(16) -> double(32)
}
`;
  const { stack } = stackAt(block, 'conv2d(f, 3', 1);
  assert.ok(stack);
  // In the first instantiation: from the image's 3 channels to 16.
  assert.equal(stack.channelsIn, 3);
  assert.equal(stack.singleParams, 3 * 16 * 25 + 16);
  assert.match(stackLine(stack), /with the `conv2d\(16, 3, padding = same\)` on line 3/);
});

test('the nonlinearities between the convolutions are listed in the order they are applied (cold review)', () => {
  const src = `model M {
  input x: [32, 32, 8]
  output x -> conv2d(8, 3, activation = relu) -> gelu -> conv2d(8, 3) -> sigmoid -> tanh -> conv2d(8, 3)
}
`;
  const { stack } = stackAt(src, 'conv2d(8, 3)', 1);
  assert.ok(stack);
  assert.equal(stack.convs.length, 3);
  // relu (fused in the first), then gelu; then sigmoid, then tanh.
  assert.deepEqual(stack.nonlinear, ['relu', 'gelu', 'sigmoid', 'tanh']);
  assert.match(stackLine(stack), /with relu and gelu and sigmoid and tanh between them/);
});
