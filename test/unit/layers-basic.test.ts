import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Sym, product, type Shape } from '../../extension/core/analysis/sym';
import { createLayerContext, withDefaults } from '../../extension/core/layers/context';
import { LAYERS, getLayer } from '../../extension/core/layers';
import { LayerError, type ArgValue, type LayerSpec, type TfjsContext, type WeightSpec } from '../../extension/core/layers/types';
import { ACTIVATIONS, convOutputLength } from '../../extension/core/layers/common';
import { rotationTransform, translationTransform, zoomTransform } from '../../extension/core/layers/augment';
import { useCpuBackend } from '../fixtures/tfjs';

// ------------------------------------------------------------------ helpers

const seq = Sym.atom('seq');
const shape = (...dims: (number | Sym)[]): Shape => ({ dims: dims.map((d) => Sym.from(d)) });
const spec = (name: string): LayerSpec => {
  const s = getLayer(name);
  assert.ok(s, `no layer ${name}`);
  return s;
};

interface Result {
  shape: Shape;
  dims: (number | string)[];
  weights: WeightSpec[];
  trainable: Sym;
  nonTrainable: Sym;
  macs: Sym;
}

function rankOk(s: LayerSpec, x: Shape): boolean {
  const r = s.inputRank;
  if (!r) return true;
  const k = x.dims.length;
  return Array.isArray(r) ? r.includes(k) : k >= (r as { min: number }).min && k <= ((r as { max?: number }).max ?? Infinity);
}

function run(name: string, given: Record<string, ArgValue>, ...inputs: Shape[]): Result {
  const s = spec(name);
  const args = withDefaults(s, given);
  const ctx = createLayerContext(args, inputs);
  const out = s.outputShape(ctx);
  const weights = s.weights(ctx, out);
  let trainable = Sym.ZERO;
  let nonTrainable = Sym.ZERO;
  for (const w of weights) {
    if (w.trainable) trainable = trainable.add(product(w.shape));
    else nonTrainable = nonTrainable.add(product(w.shape));
  }
  return {
    shape: out,
    dims: out.dims.map((d) => d.value ?? d.toString()),
    weights,
    trainable,
    nonTrainable,
    macs: s.macs(ctx, out),
  };
}

function fails(
  code: string,
  name: string,
  given: Record<string, ArgValue>,
  inputs: Shape[],
  message?: RegExp | string,
  arg?: string,
): void {
  assert.throws(
    () => run(name, given, ...inputs),
    (e: unknown) => {
      assert.ok(e instanceof LayerError, `expected a LayerError, got ${String(e)}`);
      assert.equal(e.code, code, e.message);
      if (typeof message === 'string') assert.equal(e.message, message);
      else if (message) assert.match(e.message, message);
      if (arg !== undefined) assert.equal(e.arg, arg);
      return true;
    },
  );
}

const v = (x: Sym): number => {
  assert.ok(x.isConst(), `expected a number, got ${x.toString()}`);
  return x.value!;
};

let uid = 0;

function build(name: string, given: Record<string, ArgValue>, inputs: Shape[], seed = 7): tf.layers.Layer {
  const s = spec(name);
  const args = withDefaults(s, given);
  const ctx: TfjsContext = {
    tf,
    args,
    inputs,
    tensors: {},
    name: `${name}_${++uid}`,
    seed,
    layerObject: () => {
      throw new Error('no layer objects here');
    },
  };
  return s.tfjs(ctx);
}

const tfDims = (s: Shape): (number | null)[] => s.dims.map((d) => d.value ?? null);
const count = (ws: tf.LayerVariable[]) => ws.reduce((a, w) => a + w.shape.reduce<number>((p, d) => p * (d ?? NaN), 1), 0);

/**
 * Builds the tfjs layer, applies it to symbolic inputs (symbolic dims as
 * null) and checks the output shape and the parameter counts against the spec.
 */
function parity(name: string, given: Record<string, ArgValue>, ...inputs: Shape[]): tf.layers.Layer {
  const s = spec(name);
  for (const x of inputs.slice(0, 1)) assert.ok(rankOk(s, x), `${name}: rank of ${x.dims.length} not in inputRank`);
  const r = run(name, given, ...inputs);
  const layer = build(name, given, inputs);
  const xs = inputs.map((x) => tf.input({ shape: tfDims(x) }));
  const y = layer.apply(xs.length === 1 ? xs[0] : xs) as tf.SymbolicTensor;
  assert.deepEqual(y.shape, [null, ...tfDims(r.shape)], `${name}: tfjs output shape`);
  assert.equal(count(layer.trainableWeights), v(r.trainable), `${name}: trainable params`);
  assert.equal(count(layer.nonTrainableWeights), v(r.nonTrainable), `${name}: non-trainable params`);
  assert.equal(layer.countParams(), v(r.trainable) + v(r.nonTrainable), `${name}: countParams`);
  // Weight names and shapes as the spec says (tfjs prefixes the layer name).
  const tfWeights = layer.weights.map((w) => [w.name.split('/').pop(), w.shape]);
  const specWeights = r.weights.map((w) => [w.name, w.shape.map(v)]);
  assert.deepEqual(
    [...tfWeights].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    [...specWeights].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    `${name}: weights`,
  );
  return layer;
}

/** Applies a built layer to concrete tensors. */
function forward(layer: tf.layers.Layer, x: tf.Tensor | tf.Tensor[], training = false): number[] {
  const y = layer.apply(x, { training }) as tf.Tensor;
  return Array.from(y.dataSync());
}

function close(actual: number[], expected: number[], tol = 1e-5): void {
  assert.equal(actual.length, expected.length, `length ${actual.length} ≠ ${expected.length}`);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) <= tol, `[${i}] ${a} ≠ ${expected[i]}`));
}

useCpuBackend();

// ------------------------------------------------------------------ registry

test('registry holds every layer of this half with docs and argument docs', () => {
  const names = [
    'conv1d', 'conv2d', 'conv2d_transpose', 'maxpool', 'avgpool', 'global_avgpool', 'global_maxpool', 'upsample',
    'dense', 'relu', 'relu6', 'leaky_relu', 'elu', 'gelu', 'sigmoid', 'tanh', 'silu', 'softmax',
    'batchnorm', 'layernorm', 'groupnorm', 'flatten', 'reshape', 'transpose', 'dropout',
    'random_flip', 'random_rotation', 'random_crop', 'random_translation', 'random_zoom', 'cutout', 'gaussian_noise', 'concat', 'add', 'multiply',
    'mean', 'max', 'take',
  ];
  for (const n of names) {
    const s = LAYERS.get(n);
    assert.ok(s, `missing ${n}`);
    assert.ok(s.summary.length > 10 && s.doc.length > 40, `${n}: docs`);
    for (const a of s.args) assert.ok(a.doc.length > 5, `${n}.${a.name}: doc`);
  }
  for (const n of ['random_flip', 'random_rotation', 'random_crop', 'random_translation', 'random_zoom', 'cutout', 'gaussian_noise', 'dropout']) {
    assert.equal(spec(n).trainingOnly, true, n);
  }
  const act = spec('dense').args.find((a) => a.name === 'activation')!;
  assert.equal(act.type, 'activation');
  assert.deepEqual(act.enum, [...ACTIVATIONS]);
  // Every activation layer is also an activation= value.
  for (const a of ACTIVATIONS.filter((x) => x !== 'none')) assert.equal(spec(a).category, 'activation');
  assert.deepEqual(spec('conv1d').args.find((a) => a.name === 'padding')!.enum, ['valid', 'same', 'causal']);
  assert.deepEqual(spec('conv2d').args.find((a) => a.name === 'kernel')!.length, 2);
});

// ------------------------------------------------------------------ LeNet-5

test('LeNet-5: shapes, parameters and MACs of the contract, layer by layer', () => {
  const chain: [string, Record<string, ArgValue>][] = [
    ['conv2d', { filters: 6, kernel: [5] }],
    ['tanh', {}],
    ['avgpool', { size: [2] }],
    ['conv2d', { filters: 16, kernel: [5] }],
    ['tanh', {}],
    ['avgpool', { size: [2] }],
    ['flatten', {}],
    ['dense', { units: 120 }],
    ['tanh', {}],
    ['dense', { units: 84 }],
    ['tanh', {}],
    ['dense', { units: 10 }],
    ['softmax', {}],
  ];
  let x = shape(32, 32, 1);
  const shapes: (number | string)[][] = [];
  const params: number[] = [];
  const macs: number[] = [];
  for (const [name, args] of chain) {
    const r = run(name, args, x);
    x = r.shape;
    if (name !== 'tanh' && name !== 'softmax') shapes.push(r.dims);
    if (v(r.trainable) > 0) params.push(v(r.trainable));
    if (v(r.macs) > 0) macs.push(v(r.macs));
    assert.equal(v(r.nonTrainable), 0);
  }
  assert.deepEqual(shapes, [[28, 28, 6], [14, 14, 6], [10, 10, 16], [5, 5, 16], [400], [120], [84], [10]]);
  assert.deepEqual(params, [156, 2416, 48120, 10164, 850]);
  assert.equal(params.reduce((a, b) => a + b), 61706);
  assert.deepEqual(macs, [117600, 240000, 48000, 10080, 840]);
  assert.equal(macs.reduce((a, b) => a + b), 416520);
});

test('LeNet-5 layers match tfjs (output shapes and counts)', () => {
  parity('conv2d', { filters: 6, kernel: [5] }, shape(32, 32, 1));
  parity('avgpool', { size: [2] }, shape(28, 28, 6));
  parity('conv2d', { filters: 16, kernel: [5] }, shape(14, 14, 6));
  parity('flatten', {}, shape(5, 5, 16));
  parity('dense', { units: 120 }, shape(400));
  parity('tanh', {}, shape(120));
  parity('softmax', {}, shape(10));
});

// ------------------------------------------------------------------ conv

test('conv output-length rule: valid, same, causal, stride, dilation, symbolic', () => {
  const ctx = createLayerContext({}, []);
  const w = { layer: 't', axis: 'length', arg: 'kernel' };
  const L = (n: number | Sym, k: number, s: number, d: number, p: 'valid' | 'same' | 'causal') =>
    convOutputLength(ctx, Sym.from(n), k, s, d, p, w).toString();
  assert.equal(L(10, 3, 1, 1, 'valid'), '8');
  assert.equal(L(10, 3, 2, 1, 'valid'), '4'); // floor(7/2)+1
  assert.equal(L(11, 3, 2, 1, 'valid'), '5');
  assert.equal(L(10, 3, 1, 2, 'valid'), '6'); // dilated span 5
  assert.equal(L(10, 3, 3, 1, 'same'), '4');
  assert.equal(L(10, 4, 3, 1, 'causal'), '4');
  assert.equal(L(seq, 3, 1, 1, 'valid'), 'seq - 2');
  assert.equal(L(seq, 3, 1, 1, 'same'), 'seq');
  assert.equal(L(seq, 3, 2, 1, 'valid'), '⌊(seq - 3)/2⌋ + 1');
  assert.equal(L(seq, 3, 2, 1, 'same'), '⌈(seq)/2⌉');
  assert.equal(L(seq.mul(2), 3, 2, 1, 'same'), 'seq');
});

test('conv1d: valid, same, causal, strided and symbolic shapes and counts', () => {
  const same = run('conv1d', { filters: 64, kernel: 3, padding: 'same' }, shape(seq, 32));
  assert.deepEqual(same.dims, ['seq', 64]);
  assert.equal(v(same.trainable), 3 * 32 * 64 + 64);
  assert.equal(same.macs.toString(), `${3 * 32 * 64}*seq`);
  assert.deepEqual(run('conv1d', { filters: 8, kernel: 3 }, shape(seq, 4)).dims, ['seq - 2', 8]);
  assert.deepEqual(run('conv1d', { filters: 8, kernel: 3, padding: 'causal' }, shape(seq, 4)).dims, ['seq', 8]);
  const strided = run('conv1d', { filters: 8, kernel: 3, stride: 2 }, shape(seq, 4));
  assert.equal(strided.dims[0], '⌊(seq - 3)/2⌋ + 1');
  const grouped = run('conv1d', { filters: 8, kernel: 3, groups: 2, bias: false }, shape(10, 4));
  assert.deepEqual(grouped.dims, [8, 8]);
  assert.deepEqual(grouped.weights.map((w) => [w.name, w.shape.map(v)]), [['kernel', [3, 2, 8]]]);
  assert.equal(v(grouped.macs), 3 * 2 * 8 * 8);
});

test('conv1d matches tfjs: built-in, causal, grouped, dilated, symbolic', () => {
  parity('conv1d', { filters: 5, kernel: 3 }, shape(9, 2));
  parity('conv1d', { filters: 5, kernel: 3, padding: 'same', stride: 2 }, shape(9, 2));
  parity('conv1d', { filters: 5, kernel: 3, padding: 'same' }, shape(seq, 2));
  parity('conv1d', { filters: 4, kernel: 2, padding: 'causal', dilation: 2 }, shape(seq, 3));
  parity('conv1d', { filters: 4, kernel: 3, padding: 'causal', stride: 2 }, shape(9, 3));
  parity('conv1d', { filters: 4, kernel: 3, groups: 2, dilation: 2 }, shape(9, 6));
});

test('conv1d causal forward: output t sees inputs up to t only', () => {
  const layer = build('conv1d', { filters: 1, kernel: 2, padding: 'causal' }, [shape(4, 1)]);
  layer.apply(tf.input({ shape: [4, 1] }));
  layer.setWeights([tf.tensor3d([1, 10], [2, 1, 1]), tf.tensor1d([0.5])]);
  // y_t = 1·x_{t−1} + 10·x_t + 0.5, with x_{−1} = 0
  close(forward(layer, tf.tensor3d([1, 2, 3, 4], [1, 4, 1])), [10.5, 21.5, 32.5, 43.5]);
  const dil = build('conv1d', { filters: 1, kernel: 2, padding: 'causal', dilation: 2, bias: false }, [shape(4, 1)]);
  dil.apply(tf.input({ shape: [4, 1] }));
  dil.setWeights([tf.tensor3d([1, 10], [2, 1, 1])]);
  close(forward(dil, tf.tensor3d([1, 2, 3, 4], [1, 4, 1])), [10, 20, 31, 42]);
});

test('conv2d: same, strided, rectangular kernels, groups; MACs convention', () => {
  const r = run('conv2d', { filters: 8, kernel: [3, 5], padding: 'same', stride: [2] }, shape(9, 10, 4));
  assert.deepEqual(r.dims, [5, 5, 8]);
  assert.equal(v(r.trainable), 3 * 5 * 4 * 8 + 8);
  assert.equal(v(r.macs), 3 * 5 * 4 * 8 * 5 * 5);
  const g = run('conv2d', { filters: 6, kernel: 3, groups: 3 }, shape(6, 6, 9));
  assert.deepEqual(g.dims, [4, 4, 6]);
  assert.deepEqual(g.weights[0].shape.map(v), [3, 3, 3, 6]);
  assert.equal(v(g.macs), 3 * 3 * 3 * 6 * 4 * 4);
  const sym = run('conv2d', { filters: 4, kernel: 3, padding: 'same' }, shape(Sym.atom('h'), Sym.atom('w'), 3));
  assert.deepEqual(sym.dims, ['h', 'w', 4]);
  assert.equal(sym.macs.toString(), '108*h*w');
  parity('conv2d', { filters: 8, kernel: [3, 5], padding: 'same', stride: [2] }, shape(9, 10, 4));
  parity('conv2d', { filters: 3, kernel: 2, dilation: [2, 1] }, shape(6, 5, 2));
  parity('conv2d', { filters: 6, kernel: 3, groups: 3, activation: 'relu' }, shape(6, 6, 9));
  parity('conv2d', { filters: 4, kernel: 3, padding: 'same', activation: 'leaky_relu' }, shape(Sym.atom('h'), 5, 3));
});

test('conv2d grouped forward: each group sees only its own channels', () => {
  const layer = build('conv2d', { filters: 4, kernel: 1, groups: 2, bias: false }, [shape(1, 1, 4)]);
  layer.apply(tf.input({ shape: [1, 1, 4] }));
  // kernel [1, 1, 2 (channels per group), 4 (filters)]: filters 0-1 read channels 0-1, filters 2-3 read 2-3.
  const k = [
    [1, 2, 3, 4],
    [5, 6, 7, 8],
  ];
  layer.setWeights([tf.tensor4d(k.flat(), [1, 1, 2, 4])]);
  const x = [1, 10, 100, 1000];
  close(forward(layer, tf.tensor4d(x, [1, 1, 1, 4])), [
    1 * 1 + 10 * 5,
    1 * 2 + 10 * 6,
    100 * 3 + 1000 * 7,
    100 * 4 + 1000 * 8,
  ]);
});

test('dense and conv with activation=leaky_relu use slope 0.2; gelu is the erf form', () => {
  const layer = build('dense', { units: 1, activation: 'leaky_relu' }, [shape(1)]);
  layer.apply(tf.input({ shape: [1] }));
  layer.setWeights([tf.tensor2d([1], [1, 1]), tf.tensor1d([0])]);
  close(forward(layer, tf.tensor2d([-5, 3], [2, 1])), [-1, 3]);
  const g = build('gelu', {}, [shape(3)]);
  const xs = [-1, 0, 2];
  const erf = (z: number) => {
    // Abramowitz–Stegun 7.1.26, |error| < 1.5e-7
    const t = 1 / (1 + 0.3275911 * Math.abs(z));
    const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
    return z >= 0 ? y : -y;
  };
  close(forward(g, tf.tensor2d(xs, [1, 3])), xs.map((z) => 0.5 * z * (1 + erf(z / Math.SQRT2))), 1e-4);
});

test('conv2d_transpose: Keras output size, weight layout and MACs', () => {
  const r = run('conv2d_transpose', { filters: 16, kernel: 2, stride: 2 }, shape(7, 7, 32));
  assert.deepEqual(r.dims, [14, 14, 16]);
  assert.deepEqual(r.weights.map((w) => [w.name, w.shape.map(v)]), [['kernel', [2, 2, 16, 32]], ['bias', [16]]]);
  assert.equal(v(r.macs), 2 * 2 * 32 * 16 * 7 * 7);
  assert.deepEqual(run('conv2d_transpose', { filters: 3, kernel: 3, stride: 2 }, shape(4, 5, 2)).dims, [9, 11, 3]);
  assert.deepEqual(run('conv2d_transpose', { filters: 3, kernel: 3, stride: 2, padding: 'same' }, shape(4, 5, 2)).dims, [8, 10, 3]);
  assert.deepEqual(run('conv2d_transpose', { filters: 3, kernel: 1, stride: 3 }, shape(seq, 2, 2)).dims, ['3*seq', 6, 3]);
  parity('conv2d_transpose', { filters: 16, kernel: 2, stride: 2 }, shape(7, 7, 32));
  parity('conv2d_transpose', { filters: 3, kernel: 3, stride: 2 }, shape(4, 5, 2));
  parity('conv2d_transpose', { filters: 3, kernel: [3, 2], stride: 2, padding: 'same' }, shape(4, 5, 2));
});

test('conv errors: rank, kernel too large, output below 1, groups, stride with dilation', () => {
  fails('shape.rank', 'conv2d', { filters: 6, kernel: 5 }, [shape(784)], 'conv2d expects [h, w, channels], got [784]; a flatten goes after the convolutions, not before; a vector of pixels is reshaped first: add reshape([28, 28, 1]) first');
  fails('shape.rank', 'conv2d', { filters: 6, kernel: 5 }, [shape(28, 28)], /add reshape\(\[28, 28, 1\]\) first/);
  fails('shape.rank', 'conv1d', { filters: 6, kernel: 5 }, [shape(28, 28, 3)], /conv1d expects \[length, channels\], got \[28, 28, 3\]; use the 2-D layer/);
  fails(
    'shape.kernel_too_large',
    'conv2d',
    { filters: 6, kernel: 5 },
    [shape(3, 8, 1)],
    "conv2d: kernel 5 is larger than the input's 3 (height) with padding=valid; use padding=same or a smaller kernel",
    'kernel',
  );
  fails('shape.kernel_too_large', 'conv1d', { filters: 2, kernel: 3, dilation: 3 }, [shape(6, 1)], /kernel 3 with dilation 3 spans 7/);
  fails('shape.output_below_1', 'conv1d', { filters: 2, kernel: 1, padding: 'same' }, [shape(0, 1)]);
  fails('arg.range', 'conv2d', { filters: 8, kernel: 3, groups: 4 }, [shape(8, 8, 6)], "conv2d: groups=4 must divide the input's 6 channels", 'groups');
  fails('arg.range', 'conv2d', { filters: 6, kernel: 3, groups: 4 }, [shape(8, 8, 8)], /filters=6 must be divisible by groups=4/, 'filters');
  fails('arg.range', 'conv1d', { filters: 6, kernel: 3, stride: 2, dilation: 2 }, [shape(20, 1)], /stride > 1 cannot be combined with dilation > 1/);
  fails('arg.range', 'conv2d', { filters: 6, kernel: [3, 3, 3] }, [shape(8, 8, 1)], /kernel must be one number or a list of 2/, 'kernel');
});

// ------------------------------------------------------------------ pooling

test('maxpool/avgpool: 1-D and 2-D from the rank, stride defaults to size, padding', () => {
  assert.deepEqual(withDefaults(spec('maxpool'), { size: [3] }), { size: [3], stride: [3], padding: 'valid' });
  assert.deepEqual(run('maxpool', { size: [2] }, shape(28, 28, 6)).dims, [14, 14, 6]);
  assert.deepEqual(run('maxpool', { size: [3], stride: [2] }, shape(7, 8, 1)).dims, [3, 3, 1]);
  assert.deepEqual(run('avgpool', { size: [3], padding: 'same' }, shape(7, 8, 1)).dims, [3, 3, 1]);
  assert.deepEqual(run('avgpool', { size: [2, 1] }, shape(8, 5, 2)).dims, [4, 5, 2]);
  assert.deepEqual(run('maxpool', { size: [2] }, shape(9, 4)).dims, [4, 4]);
  assert.deepEqual(run('maxpool', { size: [2], padding: 'same' }, shape(seq, 4)).dims, ['⌈(seq)/2⌉', 4]);
  assert.deepEqual(run('avgpool', { size: [2] }, shape(seq.mul(2), 4)).dims, ['seq', 4]);
  for (const n of ['maxpool', 'avgpool']) {
    const r = run(n, { size: [2] }, shape(8, 8, 3));
    assert.equal(r.weights.length, 0);
    assert.equal(v(r.macs), 0);
    parity(n, { size: [2] }, shape(8, 8, 3));
    parity(n, { size: [3], stride: [2], padding: 'same' }, shape(7, 9, 2));
    parity(n, { size: [2] }, shape(9, 4));
    parity(n, { size: [3], padding: 'same' }, shape(seq, 4));
  }
  fails('shape.kernel_too_large', 'maxpool', { size: [3] }, [shape(2, 2, 1)], /pool size 3 is larger than the input's 2 \(height\).*a smaller size/, 'size');
  fails('arg.range', 'maxpool', { size: [2, 2] }, [shape(10, 4)], /size must be one number here, got \[2, 2\]/);
  fails('shape.rank', 'avgpool', { size: [2] }, [shape(10)], /avgpool expects \[length, channels\] or \[h, w, channels\], got \[10\]/);
});

test('global pooling and upsample: shapes, symbolic, parity and 1-D forward', () => {
  for (const n of ['global_avgpool', 'global_maxpool']) {
    assert.deepEqual(run(n, {}, shape(7, 7, 64)).dims, [64]);
    assert.deepEqual(run(n, {}, shape(seq, 16)).dims, [16]);
    parity(n, {}, shape(4, 4, 3));
    parity(n, {}, shape(seq, 3));
    parity(n, {}, shape(Sym.atom('h'), Sym.atom('w'), 3));
  }
  assert.deepEqual(run('upsample', {}, shape(14, 14, 8)).dims, [28, 28, 8]);
  assert.deepEqual(run('upsample', { factor: [2, 3] }, shape(4, 4, 1)).dims, [8, 12, 1]);
  assert.deepEqual(run('upsample', { factor: [3] }, shape(seq, 2)).dims, ['3*seq', 2]);
  fails('arg.range', 'upsample', { factor: [2, 3] }, [shape(4, 2)], /factor must be one number here/);
  parity('upsample', { factor: [2, 3] }, shape(4, 4, 1));
  parity('upsample', {}, shape(5, 2));
  const up = parity('upsample', { factor: [3] }, shape(seq, 1));
  close(forward(up, tf.tensor3d([1, 2, 3], [1, 3, 1])), [1, 1, 1, 2, 2, 2, 3, 3, 3]);
});

// ------------------------------------------------------------------ dense, activations

test('dense: on the last axis, symbolic positions, bias off', () => {
  const r = run('dense', { units: 256 }, shape(seq, 512));
  assert.deepEqual(r.dims, ['seq', 256]);
  assert.equal(v(r.trainable), 512 * 256 + 256);
  assert.equal(r.macs.toString(), `${512 * 256}*seq`);
  const nb = run('dense', { units: 3, bias: false }, shape(4, 5, 6));
  assert.deepEqual(nb.dims, [4, 5, 3]);
  assert.deepEqual(nb.weights.map((w) => w.name), ['kernel']);
  assert.equal(v(nb.macs), 4 * 5 * 6 * 3);
  parity('dense', { units: 3, bias: false }, shape(4, 5, 6));
  parity('dense', { units: 7, activation: 'gelu' }, shape(seq, 5));
  parity('dense', { units: 2, activation: 'silu' }, shape(5));
  fails('shape.rank', 'dense', { units: 3 }, [shape()]);
});

test('activations keep the shape, have no weights, and build in tfjs', () => {
  for (const a of ['relu', 'relu6', 'leaky_relu', 'elu', 'gelu', 'sigmoid', 'tanh', 'silu', 'softmax']) {
    const r = run(a, {}, shape(seq, 6));
    assert.deepEqual(r.dims, ['seq', 6], a);
    assert.equal(r.weights.length, 0);
    assert.equal(v(r.macs), 0);
    parity(a, {}, shape(seq, 6));
  }
  const x = tf.tensor2d([-3, -0.5, 0, 2, 8], [1, 5]);
  close(forward(build('relu', {}, [shape(5)]), x), [0, 0, 0, 2, 8]);
  close(forward(build('relu6', {}, [shape(5)]), x), [0, 0, 0, 2, 6]);
  close(forward(build('leaky_relu', {}, [shape(5)]), x), [-0.6, -0.1, 0, 2, 8]);
  close(forward(build('leaky_relu', { alpha: 0.5 }, [shape(5)]), x), [-1.5, -0.25, 0, 2, 8]);
  close(forward(build('elu', {}, [shape(5)]), x), [Math.exp(-3) - 1, Math.exp(-0.5) - 1, 0, 2, 8]);
  const sig = (z: number) => 1 / (1 + Math.exp(-z));
  close(forward(build('silu', {}, [shape(5)]), x), [-3, -0.5, 0, 2, 8].map((z) => z * sig(z)));
});

test('softmax over another axis uses the custom layer; axis errors', () => {
  assert.deepEqual(run('softmax', { axis: 0 }, shape(2, 3)).dims, [2, 3]);
  const layer = parity('softmax', { axis: 0 }, shape(2, 3));
  const x = [1, 2, 3, 1, 4, 0];
  const y = forward(layer, tf.tensor3d(x, [1, 2, 3]));
  const expected: number[] = new Array(6);
  for (let c = 0; c < 3; c++) {
    const a = Math.exp(x[c]);
    const b = Math.exp(x[3 + c]);
    expected[c] = a / (a + b);
    expected[3 + c] = b / (a + b);
  }
  close(y, expected);
  parity('softmax', { axis: -2 }, shape(seq, 3));
  parity('softmax', { axis: 1 }, shape(2, 3));
  fails('shape.axis', 'softmax', { axis: 2 }, [shape(10, 4)], 'softmax: axis 2 is out of range for [10, 4]; use 0..1 or -2..-1', 'axis');
  fails('shape.axis', 'softmax', { axis: -3 }, [shape(10, 4)]);
});

// ------------------------------------------------------------------ norms

test('batchnorm, layernorm, groupnorm: weights, trainable split, parity', () => {
  const bn = run('batchnorm', {}, shape(28, 28, 32));
  assert.deepEqual(bn.dims, [28, 28, 32]);
  assert.equal(v(bn.trainable), 64);
  assert.equal(v(bn.nonTrainable), 64);
  assert.deepEqual(bn.weights.map((w) => [w.name, w.trainable]), [
    ['gamma', true],
    ['beta', true],
    ['moving_mean', false],
    ['moving_variance', false],
  ]);
  assert.equal(v(bn.macs), 0);
  const ln = run('layernorm', {}, shape(seq, 768));
  assert.deepEqual(ln.dims, ['seq', 768]);
  assert.equal(v(ln.trainable), 1536);
  const gn = run('groupnorm', { groups: 4 }, shape(8, 8, 16));
  assert.equal(v(gn.trainable), 32);
  parity('batchnorm', {}, shape(4, 4, 3));
  parity('batchnorm', { momentum: 0.9 }, shape(seq, 5));
  parity('layernorm', {}, shape(seq, 6));
  parity('groupnorm', { groups: 2 }, shape(3, 3, 4));
  parity('groupnorm', { groups: 3 }, shape(seq, 6));
  fails('arg.range', 'groupnorm', { groups: 3 }, [shape(4, 4, 8)], 'groupnorm: groups=3 must divide the 8 channels; try 2', 'groups');
  fails('arg.range', 'layernorm', { epsilon: 0 }, [shape(4)], /epsilon must be greater than 0/);
  fails('shape.rank', 'batchnorm', {}, [shape()]);
});

test('batchnorm on a rank-4 example (rank 5 with the batch): runs, with statistics per channel over every position', () => {
  // tfjs's batchNorm kernel stops at rank 4 with the batch ("not implemented for array of rank 5").
  const layer = parity('batchnorm', { momentum: 0.5 }, shape(2, 3, 2, 2));
  const x = tf.tensor5d(Array.from({ length: 2 * 2 * 3 * 2 * 2 }, (_, i) => (i * 7) % 11), [2, 2, 3, 2, 2]);
  const { mean, variance } = tf.moments(x, [0, 1, 2, 3]);
  const expected = Array.from(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-3))).dataSync());
  close(forward(layer, x, true), expected, 1e-4);
  // Training moved the moving mean halfway from 0 to the batch mean; inference uses it.
  close(Array.from(layer.getWeights()[2].dataSync()), Array.from(tf.mul(mean, 0.5).dataSync()), 1e-4);
  assert.deepEqual((layer.apply(x) as tf.Tensor).shape, [2, 2, 3, 2, 2]);
  // Ranks tfjs takes as they are keep tfjs's own layer.
  assert.equal(parity('batchnorm', {}, shape(3, 2, 2)).getClassName(), 'BatchNormalization');
});

test('groupnorm forward: statistics per example and group, then gamma and beta', () => {
  const layer = parity('groupnorm', { groups: 2, epsilon: 1e-5 }, shape(4));
  // group 1: [1, 3] mean 2 var 1; group 2: [10, 20] mean 15 var 25
  const x = tf.tensor2d([1, 3, 10, 20], [1, 4]);
  const e = 1e-5;
  close(forward(layer, x), [-1 / Math.sqrt(1 + e), 1 / Math.sqrt(1 + e), -5 / Math.sqrt(25 + e), 5 / Math.sqrt(25 + e)]);
  layer.setWeights([tf.tensor1d([1, 2, 3, 4]), tf.tensor1d([0, 0, 1, 1])]);
  close(forward(layer, x), [-1, 2, -2, 5], 1e-4);
  // Over positions too: [2 positions, 2 channels], one group: all four values together.
  const g1 = parity('groupnorm', { groups: 1 }, shape(2, 2));
  const vals = [0, 2, 4, 6];
  const m = 3;
  const sd = Math.sqrt(vals.reduce((a, z) => a + (z - m) ** 2, 0) / 4 + 1e-5);
  close(forward(g1, tf.tensor3d(vals, [1, 2, 2])), vals.map((z) => (z - m) / sd));
});

// ------------------------------------------------------------------ shape ops

test('flatten, reshape, transpose: shapes, symbolic dims, int kept, parity', () => {
  assert.deepEqual(run('flatten', {}, shape(5, 5, 16)).dims, [400]);
  assert.deepEqual(run('flatten', {}, shape(seq, 4)).dims, ['4*seq']);
  assert.equal(run('flatten', {}, { dims: [seq, Sym.of(2)], isInt: true }).shape.isInt, true);
  parity('flatten', {}, shape(2, 3, 4));
  parity('flatten', {}, shape(6));
  const f = parity('flatten', {}, shape(seq, 2));
  close(forward(f, tf.tensor3d([1, 2, 3, 4, 5, 6], [1, 3, 2])), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual((f.apply(tf.zeros([2, 3, 2])) as tf.Tensor).shape, [2, 6]);

  assert.deepEqual(run('reshape', { shape: [28, 28, 1] }, shape(784)).dims, [28, 28, 1]);
  assert.deepEqual(run('reshape', { shape: [-1, 64] }, shape(seq, 8, 8)).dims, ['seq', 64]);
  assert.deepEqual(run('reshape', { shape: [-1, 8, 8] }, shape(seq, 64)).dims, ['seq', 8, 8]);
  assert.deepEqual(run('reshape', { shape: [2, -1] }, shape(3, 4)).dims, [2, 6]);
  parity('reshape', { shape: [28, 28, 1] }, shape(784));
  parity('reshape', { shape: [2, -1] }, shape(3, 4));
  parity('reshape', { shape: [-1, 8, 8] }, shape(seq, 64));
  fails('arg.range', 'reshape', { shape: [28, 28, 1] }, [shape(10, 10)], 'reshape([28, 28, 1]) needs 784 values, the input [10, 10] has 100', 'shape');
  fails('arg.range', 'reshape', { shape: [-1, -1] }, [shape(4)], /only one size may be -1/);
  fails('arg.range', 'reshape', { shape: [-1, 4] }, [shape(seq, 6)], /6\*seq values, which do not divide into groups of 4/);
  fails('arg.range', 'reshape', { shape: [-1, 7] }, [shape(10)], /do not divide/);
  fails('arg.range', 'reshape', { shape: [4, 8] }, [shape(seq, 8)], /use -1 for the size that depends on the input/);
  fails('arg.range', 'reshape', { shape: [0, 4] }, [shape(4)], /sizes must be positive/);

  assert.deepEqual(run('transpose', { perm: [1, 0] }, shape(seq, 64)).dims, [64, 'seq']);
  assert.deepEqual(run('transpose', { perm: [2, 0, 1] }, shape(2, 3, 4)).dims, [4, 2, 3]);
  const t = parity('transpose', { perm: [2, 0, 1] }, shape(2, 3, 4));
  const x = tf.range(0, 24).reshape([1, 2, 3, 4]);
  assert.deepEqual(forward(t, x), Array.from(tf.transpose(x, [0, 3, 1, 2]).dataSync()));
  parity('transpose', { perm: [1, 0] }, shape(seq, 3));
  fails('arg.range', 'transpose', { perm: [1, 0] }, [shape(2, 3, 4)], 'transpose([1, 0]) needs one entry per axis of [2, 3, 4] (3)', 'perm');
  fails('arg.range', 'transpose', { perm: [0, 0] }, [shape(2, 3)], /each axis 0..1 exactly once/);
});

// ------------------------------------------------------------------ dropout, augmentation

test('dropout: identity shape, training only, rate range', () => {
  const r = run('dropout', { rate: 0.1 }, shape(seq, 768));
  assert.deepEqual(r.dims, ['seq', 768]);
  parity('dropout', { rate: 0.5 }, shape(seq, 4));
  const layer = build('dropout', { rate: 0.5 }, [shape(100)]);
  const x = tf.ones([1, 100]);
  assert.deepEqual(forward(layer, x, false), new Array(100).fill(1));
  const y = forward(layer, x, true);
  assert.ok(y.every((z) => z === 0 || Math.abs(z - 2) < 1e-6) && y.includes(0) && y.includes(2));
  fails('arg.range', 'dropout', { rate: 1 }, [shape(4)], /rate must be at least 0 and below 1/, 'rate');
});

test('random_flip: identity at inference, each image flipped or not in training', () => {
  parity('random_flip', {}, shape(3, 3, 1));
  parity('random_flip', { mode: 'horizontal' }, shape(Sym.atom('h'), Sym.atom('w'), 3));
  fails('shape.rank', 'random_flip', {}, [shape(9, 1)]);
  const img = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]);
  const batch = tf.concat(Array(8).fill(img), 0);
  const layer = build('random_flip', { mode: 'horizontal' }, [shape(2, 3, 1)]);
  assert.deepEqual(forward(layer, batch, false), Array.from(batch.dataSync()));
  const out = forward(layer, batch, true);
  const seen = new Set<string>();
  for (let i = 0; i < 8; i++) {
    const one = out.slice(i * 6, i * 6 + 6).join(',');
    assert.ok(one === '1,2,3,4,5,6' || one === '3,2,1,6,5,4', one);
    seen.add(one);
  }
  assert.equal(seen.size, 2, 'both flipped and unflipped images in a batch of 8');
  const both = build('random_flip', {}, [shape(2, 3, 1)]);
  const allowed = new Set(['1,2,3,4,5,6', '3,2,1,6,5,4', '4,5,6,1,2,3', '6,5,4,3,2,1']);
  const o2 = forward(both, batch, true);
  for (let i = 0; i < 8; i++) assert.ok(allowed.has(o2.slice(i * 6, i * 6 + 6).join(',')));
});

test('random_rotation: Keras transform rotates about the centre; identity at inference', () => {
  parity('random_rotation', { factor: 0.1 }, shape(5, 5, 2));
  const img = tf.range(0, 9).reshape([1, 3, 3, 1]);
  // A quarter turn with the Keras matrix (output pixel (x, y) reads input (2 − y, x)) is a
  // counter-clockwise 90° rotation: the right column becomes the top row.
  const rotated = tf.image.transform(img as tf.Tensor4D, tf.tensor2d([rotationTransform(Math.PI / 2, 3, 3)], [1, 8]), 'bilinear', 'reflect');
  assert.deepEqual(Array.from(rotated.dataSync()).map((z) => Math.round(z * 1e4) / 1e4), [2, 5, 8, 1, 4, 7, 0, 3, 6]);
  close(rotationTransform(0, 4, 6), [1, -0, 0, 0, 1, 0, 0, 0]);
  const layer = build('random_rotation', { factor: 0.2 }, [shape(3, 3, 1)]);
  assert.deepEqual(forward(layer, img, false), Array.from(img.dataSync()));
  const y = forward(layer, tf.concat([img, img], 0), true);
  assert.equal(y.length, 18);
  assert.ok(y.every((z) => Number.isFinite(z) && z >= -1e-4 && z <= 8 + 1e-4), 'reflect fill keeps values in range');
  assert.notDeepEqual(y.slice(0, 9), Array.from(img.dataSync()));  // Every image of a batch is rotated, not only the first (tfjs-backend-cpu's Transform kernel
  // fills the images after the first with zeros): a flat image stays flat whatever the angle.
  assert.ok(forward(layer, tf.fill([4, 3, 3, 1], 5), true).every((z) => Math.abs(z - 5) < 1e-4), 'all four images rotated');
});

test('random_crop: shape, random windows in training, Keras resize at inference', () => {
  assert.deepEqual(run('random_crop', { h: 28, w: 28 }, shape(32, 32, 3)).dims, [28, 28, 3]);
  parity('random_crop', { h: 2, w: 3 }, shape(4, 5, 2));
  fails('arg.range', 'random_crop', { h: 40, w: 20 }, [shape(32, 32, 3)], /random_crop\(40, 20\) is larger than the input \[32, 32, 3\]; crop at most 32 × 32/, 'h');
  const x = tf.range(0, 16).reshape([1, 4, 4, 1]);
  const layer = build('random_crop', { h: 2, w: 2 }, [shape(4, 4, 1)]);
  const batch = tf.concat([x, x, x, x, x], 0);
  const y = forward(layer, batch, true);
  const windows = new Set<string>();
  for (let t = 0; t <= 2; t++) for (let l = 0; l <= 2; l++) windows.add([4 * t + l, 4 * t + l + 1, 4 * t + l + 4, 4 * t + l + 5].join(','));
  const picked = new Set<string>();
  for (let i = 0; i < 5; i++) {
    const one = y.slice(i * 4, i * 4 + 4).join(',');
    assert.ok(windows.has(one), `not a window: ${one}`);
    picked.add(one);
  }
  assert.ok(picked.size > 1, 'different windows across the batch');
  // Inference: whole 4×4 image (same aspect) resized to 2×2 with half-pixel centres = 2×2 block means.
  close(forward(layer, x, false), [2.5, 4.5, 10.5, 12.5]);
});

test('random_translation: Keras shift transform, identity at inference, seeded shifts of at most factor × size in training', () => {
  parity('random_translation', { height_factor: 0.1 }, shape(5, 6, 2));
  parity('random_translation', { height_factor: 0.2, width_factor: 0 }, shape(Sym.atom('h'), Sym.atom('w'), 3));
  fails('shape.rank', 'random_translation', { height_factor: 0.1 }, [shape(9, 1)]);
  // width_factor defaults to height_factor, fill_mode to Keras's reflect.
  const r = withDefaults(spec('random_translation'), { height_factor: 0.3 });
  assert.deepEqual([r.width_factor, r.fill_mode], [0.3, 'reflect']);
  const z = run('random_translation', { height_factor: 0.3 }, shape(8, 8, 3));
  assert.deepEqual([z.dims, v(z.trainable) + v(z.nonTrainable), v(z.macs)], [[8, 8, 3], 0, 0]);
  // A shift by one pixel right moves every pixel right; the column it uncovers is the fill.
  const img = tf.range(1, 13).reshape([1, 3, 4, 1]) as tf.Tensor4D;
  const moved = (dx: number, dy: number, fill: 'constant' | 'nearest' | 'reflect') =>
    Array.from(tf.image.transform(img, tf.tensor2d([translationTransform(dx, dy)], [1, 8]), 'bilinear', fill).dataSync());
  assert.deepEqual(moved(1, 0, 'constant'), [0, 1, 2, 3, 0, 5, 6, 7, 0, 9, 10, 11]);
  assert.deepEqual(moved(0, -1, 'nearest'), [5, 6, 7, 8, 9, 10, 11, 12, 9, 10, 11, 12]);
  assert.deepEqual(moved(2, 0, 'reflect'), [2, 1, 1, 2, 6, 5, 5, 6, 10, 9, 9, 10]);

  // Training: a ramp (value = column) shifted by dx with edge repeat reads x − dx where it stays inside,
  // and no row moves (height_factor 0): the shift of each image can be read off its middle pixel.
  const W = 10;
  const ramp = tf.tile(tf.range(0, W).reshape([1, 1, W, 1]), [8, 3, 1, 1]);
  const shifts = (layer: tf.layers.Layer) => {
    const y = forward(layer, ramp, true);
    return Array.from({ length: 8 }, (_, i) => {
      const one = y.slice(i * 3 * W, (i + 1) * 3 * W);
      for (let row = 1; row < 3; row++) close(one.slice(row * W, row * W + W), one.slice(0, W));
      return 5 - one[5];
    });
  };
  const layer = build('random_translation', { height_factor: 0, width_factor: 0.3, fill_mode: 'nearest' }, [shape(3, W, 1)], 11);
  assert.deepEqual(forward(layer, ramp, false), Array.from(ramp.dataSync()), 'identity at inference');
  const first = shifts(layer);
  assert.ok(first.every((d) => Math.abs(d) <= 0.3 * W + 1e-4), `shifts up to ±3 pixels: ${first}`);
  assert.ok(new Set(first.map((d) => d.toFixed(3))).size > 1, 'each image shifts by its own amount');
  assert.notDeepEqual(shifts(layer), first, 'the next call draws other shifts');
  const again = build('random_translation', { height_factor: 0, width_factor: 0.3, fill_mode: 'nearest' }, [shape(3, W, 1)], 11);
  close(shifts(again), first, 1e-4);
  (again as unknown as { reseedForEpoch(e: number): void }).reseedForEpoch(0);
  close(shifts(again), first, 1e-4);
  const other = build('random_translation', { height_factor: 0, width_factor: 0.3, fill_mode: 'nearest' }, [shape(3, W, 1)], 12);
  assert.notDeepEqual(shifts(other), first, 'another seed, other shifts');
});

test('random_zoom: Keras zoom about the centre, one zoom for both axes unless width_factor, identity at inference', () => {
  parity('random_zoom', { height_factor: 0.2 }, shape(6, 6, 3));
  parity('random_zoom', { height_factor: 0.2, width_factor: 0.1 }, shape(Sym.atom('h'), Sym.atom('w'), 1));
  assert.equal(withDefaults(spec('random_zoom'), { height_factor: 0.2 }).width_factor, null);
  // Zooming in 2× on a 1×5 ramp reads 2 + (x − 2)/2 (about the centre pixel).
  close(zoomTransform(0.5, 1, 1, 5), [0.5, 0, 1, 0, 1, 0, 0, 0]);
  const row = tf.range(0, 5).reshape([1, 1, 5, 1]) as tf.Tensor4D;
  close(Array.from(tf.image.transform(row, tf.tensor2d([zoomTransform(0.5, 1, 1, 5)], [1, 8]), 'bilinear', 'reflect').dataSync()), [1, 1.5, 2, 2.5, 3]);
  // Training: channel 0 is the column, channel 1 the row; the slope of each across the centre is the zoom.
  const H = 6;
  const W = 8;
  const cols = tf.tile(tf.range(0, W).reshape([1, 1, W, 1]), [1, H, 1, 1]);
  const rows = tf.tile(tf.range(0, H).reshape([1, H, 1, 1]), [1, 1, W, 1]);
  const img = tf.tile(tf.concat([cols, rows], 3), [6, 1, 1, 1]);
  const zooms = (layer: tf.layers.Layer): [number, number][] => {
    const y = forward(layer, img, true);
    const at = (i: number, r: number, c: number, ch: number) => y[((i * H + r) * W + c) * 2 + ch];
    return Array.from({ length: 6 }, (_, i) => [at(i, 3, 4, 0) - at(i, 3, 3, 0), at(i, 3, 4, 1) - at(i, 2, 4, 1)]);
  };
  const same = build('random_zoom', { height_factor: 0.3 }, [shape(H, W, 2)]);
  assert.deepEqual(forward(same, img, false), Array.from(img.dataSync()), 'identity at inference');
  const z = zooms(same);
  for (const [zx, zy] of z) {
    assert.ok(Math.abs(zx - zy) < 1e-4, `aspect kept: ${zx} vs ${zy}`);
    assert.ok(Math.abs(zy - 1) <= 0.3 + 1e-4, `zoom within 1 ± 0.3: ${zy}`);
  }
  assert.ok(new Set(z.map(([, zy]) => zy.toFixed(3))).size > 1, 'each image zooms by its own amount');
  close(zooms(build('random_zoom', { height_factor: 0.3 }, [shape(H, W, 2)])).flat(), z.flat(), 1e-4);
  const apart = zooms(build('random_zoom', { height_factor: 0.3, width_factor: 0.3 }, [shape(H, W, 2)]));
  assert.ok(apart.some(([zx, zy]) => Math.abs(zx - zy) > 1e-3), 'with width_factor the width draws its own zoom');
  fails('shape.rank', 'random_zoom', { height_factor: 0.1 }, [shape(4, 4)]);
});

test('cutout: zeroes exactly an h × w rectangle of each image (every channel), seeded; identity at inference', () => {
  parity('cutout', { h: 2 }, shape(5, 5, 3));
  parity('cutout', { h: 3, w: 1 }, shape(Sym.atom('h'), Sym.atom('w'), 2));
  assert.equal(withDefaults(spec('cutout'), { h: 4 }).w, 4, 'w defaults to h');
  const r = run('cutout', { h: 8 }, shape(32, 32, 3));
  assert.deepEqual([r.dims, v(r.trainable) + v(r.nonTrainable), v(r.macs)], [[32, 32, 3], 0, 0]);
  fails('arg.range', 'cutout', { h: 4, w: 40 }, [shape(32, 32, 3)], 'cutout(4, 40) is larger than the input [32, 32, 3]; cut out at most 32 × 32', 'w');
  fails('shape.rank', 'cutout', { h: 2 }, [shape(8, 8)]);
  const [B, H, W, C] = [8, 6, 7, 2];
  const x = tf.add(tf.range(0, B * H * W * C).reshape([B, H, W, C]), 1);
  const layer = build('cutout', { h: 2, w: 3 }, [shape(H, W, C)], 5);
  assert.deepEqual(forward(layer, x, false), Array.from(x.dataSync()), 'identity at inference');
  const holes = (y: number[]) =>
    Array.from({ length: B }, (_, i) => {
      const zero: string[] = [];
      for (let rr = 0; rr < H; rr++) {
        for (let c = 0; c < W; c++) {
          const at = ((i * H + rr) * W + c) * C;
          assert.equal(y[at] === 0, y[at + 1] === 0, 'the same pixels in every channel');
          if (y[at] === 0) zero.push(`${rr},${c}`);
          else assert.equal(y[at], at + 1, 'the rest unchanged');
        }
      }
      return zero;
    });
  const xs = Array.from(x.dataSync());
  const y = forward(layer, x, true);
  const found = holes(y);
  for (const zero of found) {
    assert.equal(zero.length, 6, `exactly 2 × 3 pixels zeroed: ${zero}`);
    const [top, left] = zero[0].split(',').map(Number);
    assert.deepEqual(zero, [0, 1].flatMap((dr) => [0, 1, 2].map((dc) => `${top + dr},${left + dc}`)), 'one 2 × 3 rectangle');
  }
  assert.ok(new Set(found.map((z) => z[0])).size > 1, 'each image has its own rectangle');
  assert.equal(xs.length, y.length);
  assert.notDeepEqual(holes(forward(layer, x, true)), found, 'the next call draws other places');
  assert.deepEqual(holes(forward(build('cutout', { h: 2, w: 3 }, [shape(H, W, C)], 5), x, true)), found, 'same seed, same rectangles');
  (layer as unknown as { reseedForEpoch(e: number): void }).reseedForEpoch(0);
  assert.deepEqual(holes(forward(layer, x, true)), found, 'restarting epoch 0 repeats the draws');
  // The whole image when the rectangle is as large as it.
  assert.ok(forward(build('cutout', { h: H, w: W }, [shape(H, W, C)]), x, true).every((z) => z === 0));
});

test('gaussian_noise: shape, parity, noise only in training', () => {
  parity('gaussian_noise', { stddev: 0.1 }, shape(seq, 3));
  // 20 000 draws: the mean's own spread is 1/√20000 ≈ 0.007 and the sd's ≈ 0.005, so the
  // bounds below sit at 7 and 10 of those spreads: the test fails on a wrong distribution,
  // not by chance (with 2 000 draws and 0.1 it failed once on CI at 4.7 spreads).
  const n = 20000;
  const layer = build('gaussian_noise', { stddev: 1 }, [shape(n)]);
  const x = tf.zeros([1, n]);
  assert.ok(forward(layer, x, false).every((z) => z === 0));
  const y = forward(layer, x, true);
  const m = y.reduce((a, b) => a + b, 0) / y.length;
  const sd = Math.sqrt(y.reduce((a, b) => a + (b - m) ** 2, 0) / y.length);
  assert.ok(Math.abs(m) < 0.05 && Math.abs(sd - 1) < 0.05, `mean ${m}, sd ${sd}`);
  fails('arg.range', 'gaussian_noise', { stddev: -1 }, [shape(3)]);
});

// ------------------------------------------------------------------ merge

test('concat: sums the axis, checks the others, tfjs axis offset', () => {
  assert.deepEqual(run('concat', { axis: -1 }, shape(28, 28, 16), shape(28, 28, 32)).dims, [28, 28, 48]);
  assert.deepEqual(run('concat', { axis: 0 }, shape(seq, 8), shape(1, 8)).dims, ['seq + 1', 8]);
  assert.deepEqual(run('concat', {}, shape(seq, 8), shape(seq, 4), shape(seq, 2)).dims, ['seq', 14]);
  parity('concat', {}, shape(4, 4, 2), shape(4, 4, 3));
  parity('concat', { axis: 0 }, shape(3, 8), shape(1, 8));
  parity('concat', { axis: 1 }, shape(seq, 2, 3), shape(seq, 5, 3));
  // Every differing axis (it named only the first), and the padding hint of `+` when positions were lost.
  fails('shape.mismatch', 'concat', {}, [shape(28, 28, 16), shape(14, 14, 32)], /^cannot concat \[28, 28, 16\] and \[14, 14, 32\] along the channel axis: height 28 ≠ 14, width 28 ≠ 14; the branch with fewer positions lost them .*`padding = same` keeps them/);
  fails('shape.mismatch', 'concat', { axis: 0 }, [shape(seq, 8), shape(1, 4)], 'cannot concat [seq, 8] and [1, 4] along the length axis: channel 8 ≠ 4');
  fails('shape.mismatch', 'concat', {}, [shape(2, 3, 4, 5), shape(2, 3, 6, 5)], 'cannot concat [2, 3, 4, 5] and [2, 3, 6, 5] along axis 3: axis 2 (4 ≠ 6); the branch with fewer positions lost them to a kernel without padding or to a stride: `padding = same` keeps them, and a stride needs the same on the other branch');
  fails('shape.mismatch', 'concat', {}, [shape(28, 16), shape(28, 28, 16)], /2 axes ≠ 3 axes/);
  fails('shape.axis', 'concat', { axis: 3 }, [shape(2, 2, 1), shape(2, 2, 1)]);
  fails('arg.range', 'concat', {}, [shape(2, 2)], /concat needs at least two values, got 1/, 'values');
});

test('add and multiply: equal shapes, tfjs broadcasting, mismatch messages', () => {
  assert.deepEqual(run('add', {}, shape(28, 28, 16), shape(28, 28, 16)).dims, [28, 28, 16]);
  assert.deepEqual(run('add', {}, shape(seq, 64), shape(64)).dims, ['seq', 64]);
  assert.deepEqual(run('multiply', {}, shape(seq, 1), shape(1, 64)).dims, ['seq', 64]);
  assert.deepEqual(run('add', {}, shape(4, 1, 3), shape(5, 1), shape(4, 5, 3)).dims, [4, 5, 3]);
  for (const n of ['add', 'multiply']) {
    const r = run(n, {}, shape(seq, 4), shape(seq, 4));
    assert.equal(r.weights.length, 0);
    assert.equal(v(r.macs), 0);
    parity(n, {}, shape(3, 4), shape(3, 4));
    parity(n, {}, shape(seq, 4), shape(seq, 4));
    parity(n, {}, shape(3, 4), shape(4));
    parity(n, {}, shape(3, 1), shape(1, 4));
  }
  const mul = build('multiply', {}, [shape(2), shape(2)]);
  close(forward(mul, [tf.tensor2d([2, 3], [1, 2]), tf.tensor2d([5, 7], [1, 2])]), [10, 21]);
  fails('shape.mismatch', 'add', {}, [shape(28, 28, 16), shape(28, 28, 32)], "cannot add [28, 28, 16] and [28, 28, 32]: channel 16 ≠ 32; to add them, bring the one with 16 channels to 32: `-> conv2d(32, 1)` on it (a projection shortcut, as in ResNet's downsampling blocks)");
  fails('shape.mismatch', 'multiply', {}, [shape(seq, 8), shape(Sym.atom('n'), 8)], 'cannot multiply [seq, 8] and [n, 8]: length seq ≠ n');
  fails('shape.mismatch', 'add', {}, [shape(10), shape(3, 4)], /cannot add \[10\] and \[3, 4\]: channel 10 ≠ 4/);
  fails('arg.range', 'add', {}, [shape(3)], /add needs at least two values/);
});

// ------------------------------------------------------------------ reduce

test('mean, max, take: shapes, symbolic, errors, forward values', () => {
  assert.deepEqual(run('mean', { axis: [0] }, shape(seq, 64)).dims, [64]);
  assert.deepEqual(run('max', { axis: [-1] }, shape(seq, 64)).dims, ['seq']);
  assert.deepEqual(run('mean', { axis: [0, 1] }, shape(7, 7, 32)).dims, [32]);
  assert.deepEqual(run('take', { index: 0 }, shape(Sym.atom('seq').add(1), 64)).dims, [64]);
  assert.deepEqual(run('take', { index: -1, axis: 1 }, shape(3, seq, 8)).dims, [3, 8]);
  assert.equal(run('take', { index: 2 }, { dims: [Sym.of(4), Sym.of(3)], isInt: true }).shape.isInt, true);
  fails('shape.axis', 'mean', { axis: [3] }, [shape(28, 28, 1)], 'mean: axis 3 is out of range for [28, 28, 1]; use 0..2 or -3..-1', 'axis');
  fails('arg.range', 'max', { axis: [0, -2] }, [shape(4, 4)], /listed twice/);
  fails('arg.range', 'take', { index: 5 }, [shape(3, 8)], 'take(5): axis 0 of [3, 8] has 3 positions; use 0..2 or -3..-1', 'index');
  fails('arg.range', 'take', { index: -4 }, [shape(3, 8)]);
  fails('shape.axis', 'take', { index: 0, axis: 2 }, [shape(3, 8)]);

  const x = tf.tensor3d([1, 5, 3, 4, 2, 6], [1, 2, 3]);
  close(forward(parity('mean', { axis: [0] }, shape(2, 3)), x), [2.5, 3.5, 4.5]);
  close(forward(parity('max', { axis: [-1] }, shape(2, 3)), x), [5, 6]);
  close(forward(parity('max', { axis: [0, 1] }, shape(2, 3)), x), [6]);
  parity('mean', { axis: [0] }, shape(seq, 3));
  close(forward(parity('take', { index: -1 }, shape(2, 3)), x), [4, 2, 6]);
  close(forward(parity('take', { index: 1, axis: 1 }, shape(2, 3)), x), [5, 2]);
  const last = parity('take', { index: -1 }, shape(seq, 3));
  close(forward(last, tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3])), [7, 8, 9]);
});

test('custom layers serialise with their config', () => {
  for (const [name, args, input] of [
    ['conv1d', { filters: 2, kernel: 2, padding: 'causal' }, shape(5, 1)],
    ['groupnorm', { groups: 2 }, shape(4)],
    ['take', { index: -1 }, shape(3, 2)],
    ['random_crop', { h: 2, w: 2 }, shape(3, 3, 1)],
    ['random_translation', { height_factor: 0.1, width_factor: 0.2, fill_mode: 'constant' }, shape(3, 3, 1)],
    ['random_zoom', { height_factor: 0.1 }, shape(3, 3, 1)],
    ['cutout', { h: 2 }, shape(3, 3, 1)],
  ] as [string, Record<string, ArgValue>, Shape][]) {
    const layer = build(name, args, [input]);
    const cls = tf.serialization.SerializationMap.getMap().classNameMap[layer.getClassName()];
    assert.ok(cls, `${name}: ${layer.getClassName()} registered`);
    const copy = (cls[1] as (c: unknown, cfg: unknown) => tf.layers.Layer)(cls[0], layer.getConfig());
    assert.deepEqual(copy.getConfig(), layer.getConfig());
  }
});

test('custom layers train: gradients reach the weights through them (one fit step)', async () => {
  // Builds a chain from the specs, as the runtime does, and fits one batch.
  const chain = (input: Shape, layers: [string, Record<string, ArgValue>][]) => {
    const x = tf.input({ shape: tfDims(input) });
    let y: tf.SymbolicTensor = x;
    let s = input;
    for (const [name, args] of layers) {
      y = build(name, args, [s]).apply(y) as tf.SymbolicTensor;
      s = run(name, args, s).shape;
    }
    return tf.model({ inputs: x, outputs: y });
  };
  const seqModel = chain(shape(6, 4), [
    ['conv1d', { filters: 4, kernel: 3, padding: 'causal', groups: 2 }],
    ['groupnorm', { groups: 2 }],
    ['upsample', { factor: [2] }],
    ['softmax', { axis: 0 }],
    ['take', { index: -1 }],
    ['dense', { units: 2, activation: 'leaky_relu' }],
  ]);
  const imgModel = chain(shape(6, 6, 1), [
    ['random_flip', {}],
    ['random_rotation', { factor: 0.1 }],
    ['random_crop', { h: 4, w: 4 }],
    ['random_translation', { height_factor: 0.1 }],
    ['random_zoom', { height_factor: 0.1 }],
    ['cutout', { h: 2 }],
    ['conv2d', { filters: 2, kernel: 3, groups: 1 }],
    ['mean', { axis: [0, 1] }],
  ]);
  for (const [model, xs] of [
    [seqModel, tf.randomNormal([4, 6, 4], 0, 1, 'float32', 1)],
    [imgModel, tf.randomNormal([4, 6, 6, 1], 0, 1, 'float32', 2)],
  ] as [tf.LayersModel, tf.Tensor][]) {
    model.compile({ optimizer: tf.train.sgd(0.5), loss: 'meanSquaredError' });
    const before = model.trainableWeights.map((w) => Array.from(w.read().dataSync()));
    const ys = tf.ones([4, ...(model.outputs[0].shape.slice(1) as number[])]);
    await model.fit(xs, ys, { epochs: 1, batchSize: 4, verbose: 0 });
    const after = model.trainableWeights.map((w) => Array.from(w.read().dataSync()));
    const kernels = model.trainableWeights.map((w, i) => [w.name, before[i].some((b, j) => b !== after[i][j])]);
    assert.ok(kernels.filter(([n]) => String(n).endsWith('kernel')).every(([, changed]) => changed), JSON.stringify(kernels));
  }
});
