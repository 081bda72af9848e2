/**
 * Layers and arguments of Keras and PyTorch that have no name here
 * (`DepthwiseConv2D`, `RepeatVector`, `LocalResponseNorm`, `ZeroPad2d`,
 * `AdaptiveAvgPool2d(7)`, a pool's `ceil_mode`, an LSTM's `initial_state`):
 * the message says what to write instead, with the fix where it is mechanical.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { applyFix } from './sourceText';

const errors = (text: string) => analyze(text).diagnostics.filter((d) => d.severity === 'error');
const model = (chain: string, input = '[28, 28, 16]') => `model M {\n  input x: ${input}\n  output x -> ${chain}\n}\n`;
const one = (text: string) => {
  const [d, ...more] = errors(text);
  assert.deepEqual(more.map((m) => m.message), []);
  return d;
};
const titles = (text: string) => one(text).fixes?.map((f) => f.title) ?? [];

test("Keras's DepthwiseConv2D is conv2d with groups = the input's channels; the fix writes it and the model is valid", () => {
  const text = model('depthwise_conv2d(3) -> flatten');
  const d = one(text);
  assert.equal(d.code, 'name.unknown_layer');
  assert.equal(d.message, "unknown layer or block 'depthwise_conv2d': a depthwise convolution is a conv2d with one group per channel (each channel filtered on its own): `conv2d(16, 3, groups = 16)`, 16 being the input's channels.");
  assert.deepEqual(titles(text), ['Change to conv2d(16, 3, groups = 16)']);
  assert.equal(d.fixes?.[0].preferred, true);
  assert.deepEqual(errors(applyFix(text, d)), []);
  // Keras's argument names and string values, and depth_multiplier.
  const keras = model('DepthwiseConv2D(kernel_size = 3, strides = 2, padding = "same", depth_multiplier = 2) -> flatten');
  assert.deepEqual(titles(keras), ['Change to conv2d(32, 3, stride = 2, padding = same, groups = 16)']);
  assert.deepEqual(errors(applyFix(keras, one(keras))), []);
  // Channels not known: the message says c, and there is no fix.
  const sym = one(model('DepthwiseConv2D(3)', '[28, 28, c]'));
  assert.match(sym.message, /`conv2d\(c, 3, groups = c\)`, c being the input's channels\.$/);
  assert.equal(sym.fixes, undefined);
  // An argument with no place in the rewrite: the message, no fix.
  assert.equal(one(model('DepthwiseConv2D(3, depthwise_initializer = "ones")')).fixes, undefined);
});

test("Keras's SeparableConv2D is the depthwise conv2d, then a 1-wide conv2d; the fix keeps Keras's parameter count", () => {
  const text = model('SeparableConv2D(32, 3, padding = "same", activation = "relu") -> flatten');
  const d = one(text);
  assert.equal(
    d.message,
    "unknown layer or block 'SeparableConv2D': a separable convolution is a depthwise conv2d (one group per channel, each channel filtered on its own) followed by a 1-wide conv2d that mixes the channels: `conv2d(16, 3, padding = same, groups = 16, bias = false) -> conv2d(32, 1, activation = relu)`, 16 being the input's channels.",
  );
  const fixed = applyFix(text, d);
  assert.deepEqual(errors(fixed), []);
  // Keras: 3·3·16 depthwise weights, 16·32 + 32 pointwise.
  assert.equal(analyze(fixed).models[0].params.trainable.value, 3 * 3 * 16 + 16 * 32 + 32);
  assert.match(one(model('separable_conv1d(8, 5)', '[100, 4]')).message, /`conv1d\(4, 5, groups = 4, bias = false\) -> conv1d\(8, 1\)`/);
});

test("Keras's RepeatVector(n) is reshape([1, -1]) -> upsample(n): [c] → [n, c]", () => {
  const text = model('RepeatVector(5) -> lstm(4, return_sequences = true)', '[8]');
  const d = one(text);
  assert.equal(d.message, "unknown layer or block 'RepeatVector': Keras's RepeatVector(n) gives the vector once per step, [c] → [n, c]: `reshape([1, -1]) -> upsample(5)` (a sequence of one step, each step repeated n times).");
  const fixed = applyFix(text, d);
  assert.deepEqual(errors(fixed), []);
  assert.equal(analyze(fixed).models[0].outputs[0].shape?.dims.map((s) => s.value).join(','), '5,4');
  assert.deepEqual(titles(model('repeat_vector(5)', '[8]')), ['Change to reshape([1, -1]) -> upsample(5)']);
});

test('local response normalisation is not in the catalogue: batchnorm replaced it', () => {
  for (const name of ['lrn(5)', 'LocalResponseNorm(5)', 'local_response_norm(size = 5)']) {
    const text = model(`${name} -> flatten`);
    const d = one(text);
    assert.match(d.message, /: local response normalisation \(AlexNet's, GoogLeNet's\) is not in the catalogue; batch normalisation replaced it in later networks: `batchnorm`/);
    assert.deepEqual(d.fixes?.map((f) => [f.title, f.preferred]), [['Change to batchnorm', false]]);
    assert.deepEqual(errors(applyFix(text, d)), []);
  }
});

test("a padding layer (ZeroPad2d, ZeroPadding2D, pad): a conv or pool pads itself with padding = p or padding = same", () => {
  for (const name of ['ZeroPad2d(1)', 'zero_padding2d(1)', 'ZeroPadding2D(padding = 1)', 'pad(1)']) {
    const d = one(model(`${name} -> conv2d(8, 3) -> flatten`));
    assert.match(d.message, /: there is no padding layer: a convolution or pool pads its own input, `padding = p` on each side as PyTorch's padding does .* or `padding = same` .* Remove this layer and give the conv or pool after it its padding\.$/);
  }
});

test('adaptive pooling to a size: global pooling for 1, a pool whose window divides the input, else not available', () => {
  const seven = model('AdaptiveAvgPool2d([7, 7]) -> flatten', '[14, 14, 8]');
  const d = one(seven);
  assert.equal(d.message, "unknown layer or block 'AdaptiveAvgPool2d': pooling 14×14 to 7×7 is `avgpool(2)` (a window and stride of 2×2: PyTorch's adaptive windows here neither overlap nor differ).");
  assert.deepEqual(titles(seven), ['Change to avgpool(2)']);
  assert.equal(analyze(applyFix(seven, d)).models[0].outputs[0].shape?.dims[0].value, 7 * 7 * 8);
  assert.deepEqual(titles(model('adaptive_max_pool2d(1) -> dense(2)')), ['Change to global_maxpool']);
  assert.deepEqual(errors(applyFix(model('adaptive_avgpool(1) -> dense(2)'), one(model('adaptive_avgpool(1) -> dense(2)')))), []);
  assert.deepEqual(titles(model('AdaptiveAvgPool2d([2, 4])', '[8, 8, 3]')), ['Change to avgpool([4, 2])']);
  // The size already: nothing to pool; a size that does not divide, or a symbolic input: not available.
  assert.match(one(model('adaptive_avgpool(7)', '[7, 7, 8]')).message, /the input is 7×7 already, the size this pools to, so it changes nothing .*: remove it\.$/);
  const five = one(model('adaptive_avgpool(5)', '[14, 14, 8]'));
  assert.match(five.message, /pooling 14×14 to 5×5 takes windows of differing sizes .*, which no layer here gives/);
  assert.equal(five.fixes, undefined);
  assert.match(one(model('adaptive_avgpool(7)', '[n, n, 8]')).message, /pooling to a fixed size is `avgpool` with a window and stride of the input's size over that size, where it divides/);
});

test("a pool's ceil_mode: padding = same gives the rounded-up size; the fix where the window is the stride", () => {
  const text = model('maxpool(2, ceil_mode = true) -> flatten', '[7, 7, 8]');
  const d = one(text);
  assert.equal(d.code, 'arg.unknown');
  assert.match(d.message, /^maxpool has no argument 'ceil_mode'\. PyTorch's ceil_mode = True rounds the output size up; here `padding = same` gives the rounded-up size, ⌈length \/ stride⌉/);
  assert.deepEqual(titles(text), ['Change to padding = same']);
  const fixed = applyFix(text, d);
  assert.deepEqual(errors(fixed), []);
  assert.equal(analyze(fixed).models[0].outputs[0].shape?.dims[0].value, 4 * 4 * 8);
  // A window wider than the stride: ceil_mode's size differs from same's, so no fix.
  assert.deepEqual(titles(model('avgpool(3, 2, ceil_mode = True) -> flatten')), []);
  // ceil_mode = False is the default.
  const off = model('maxpool(2, ceil_mode = false) -> flatten');
  assert.deepEqual(titles(off), ["Remove 'ceil_mode'"]);
  assert.deepEqual(errors(applyFix(off, one(off))), []);
});

test("a recurrent layer's initial_state and return_state: not available, what to do instead, and the fix that removes them", () => {
  const text = model('lstm(8, return_state = true) -> dense(2)', '[10, 8]');
  const d = one(text);
  assert.equal(d.message, "lstm has no argument 'return_state'. Keras's return_state (the final states as more outputs) is not available: a layer here gives one output. Without return_sequences it is the last step's hidden state (Keras's state_h); with it, `-> take(-1)` picks the last step from the sequence. The cell state is not available.");
  assert.deepEqual(titles(text), ["Remove 'return_state'"]);
  assert.deepEqual(errors(applyFix(text, d)), []);
  const init = 'model M {\n  input src: [10, 8]\n  input tgt: [6, 8]\n  enc = src -> lstm(8, return_sequences = true)\n  output tgt -> gru(8, return_sequences = true, initial_state = enc) -> dense(2)\n}\n';
  const i = one(init);
  assert.match(i.message, /^gru has no argument 'initial_state'\. Keras's initial_state \(PyTorch's \(h0, c0\)\) is not available: a recurrent layer here starts each sequence from zeros\. .*`-> attention\(heads, context = enc\)`/);
  assert.doesNotMatch(i.message, /cell state/);
  assert.deepEqual(i.fixes?.map((f) => f.title), ["Remove 'initial_state'"]);
  // What the message proposes works: the decoder attends to the encoder.
  const attended = applyFix(init, i).replace('-> dense(2)', '-> attention(2, context = enc) -> dense(2)');
  assert.deepEqual(errors(attended), []);
});
