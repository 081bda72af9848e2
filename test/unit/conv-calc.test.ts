// "How this value is computed" for a convolution's feature map (webview/probes/convCalc.ts): the
// patch, kernel, products, per-channel sums, bias and activation of one output value, checked against
// TensorFlow.js's own convolution on random data (padding same/valid, stride 2, dilation 2, several
// channels, groups, 1-D causal), and read from a built model (webview/probes/convCalcRead.ts), explicit
// padding (`padding = 1`, `[2, 0]`) included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import { buildActivationModel, buildModel } from '../../extension/core/runtime/build';
import { activate, agrees, convCalc, padBefore, showsEveryTerm, type ConvCalcLayer, type ConvPaddingMode } from '../../webview/probes/convCalc';
import { convInputSource, readConvLayer } from '../../webview/probes/convCalcRead';
import { randomizeWeights, useCpuBackend } from '../fixtures/tfjs';

useCpuBackend();

/** Deterministic values in [-1, 1). */
function random(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

interface Case {
  name: string;
  h: number;
  w: number;
  cin: number;
  cout: number;
  k: [number, number];
  stride: [number, number];
  dilation: [number, number];
  padding: 'valid' | 'same';
  activation?: string;
}

const CASES: Case[] = [
  { name: 'valid, 1 channel (LeNet-5 first conv)', h: 12, w: 11, cin: 1, cout: 3, k: [5, 5], stride: [1, 1], dilation: [1, 1], padding: 'valid' },
  { name: 'same, 3 channels', h: 9, w: 8, cin: 3, cout: 4, k: [3, 3], stride: [1, 1], dilation: [1, 1], padding: 'same' },
  { name: 'same, stride 2, even sizes', h: 10, w: 8, cin: 4, cout: 2, k: [3, 4], stride: [2, 2], dilation: [1, 1], padding: 'same' },
  { name: 'same, stride 2, odd sizes', h: 9, w: 7, cin: 2, cout: 3, k: [4, 3], stride: [2, 2], dilation: [1, 1], padding: 'same' },
  { name: 'valid, stride 2', h: 11, w: 10, cin: 5, cout: 2, k: [3, 3], stride: [2, 2], dilation: [1, 1], padding: 'valid' },
  { name: 'same, dilation 2', h: 9, w: 10, cin: 3, cout: 2, k: [3, 3], stride: [1, 1], dilation: [2, 2], padding: 'same' },
  { name: 'valid, dilation 2, 8 channels', h: 10, w: 9, cin: 8, cout: 3, k: [3, 2], stride: [1, 1], dilation: [2, 2], padding: 'valid' },
];

for (const c of CASES) {
  test(`every value equals tf.conv2d + bias: ${c.name}`, () => {
    const x = random(c.h * c.w * c.cin, 1);
    const kernel = random(c.k[0] * c.k[1] * c.cin * c.cout, 2);
    const bias = random(c.cout, 3);
    const expected = tf.tidy(() => {
      const y = tf.conv2d(tf.tensor4d(x, [1, c.h, c.w, c.cin]), tf.tensor4d(kernel, [c.k[0], c.k[1], c.cin, c.cout]), c.stride, c.padding, 'NHWC', c.dilation);
      return { shape: y.shape, data: tf.add(y, tf.tensor1d(bias)).dataSync() };
    });
    const [, oh, ow] = expected.shape;
    const layer: ConvCalcLayer = { rank: 2, kernelSize: c.k, strides: c.stride, dilation: c.dilation, padding: c.padding, groups: 1, filters: c.cout, kernel, bias, activation: 'none' };
    const input = { size: [c.h, c.w], channels: c.cin, data: x };
    let padded = 0;
    for (let r = 0; r < oh; r++) {
      for (let q = 0; q < ow; q++) {
        for (let f = 0; f < c.cout; f++) {
          const calc = convCalc(layer, input, [r, q], f);
          const want = expected.data[(r * ow + q) * c.cout + f];
          assert.ok(Math.abs(calc.pre - want) < 1e-5, `${c.name} (${r}, ${q}) filter ${f}: ${calc.pre} vs tfjs ${want}`);
          assert.ok(agrees(calc, want));
          // The breakdown adds up: products → per-channel sums → sum → + bias.
          assert.equal(calc.channels.length, c.cin);
          const perChannel = calc.channels.map((ch) => ch.products.reduce((a, v) => a + v, 0));
          calc.channels.forEach((ch, i) => assert.ok(Math.abs(ch.sum - perChannel[i]) < 1e-12));
          assert.ok(Math.abs(calc.sum - perChannel.reduce((a, v) => a + v, 0)) < 1e-12);
          assert.equal(calc.pre, calc.sum + bias[f]);
          assert.equal(calc.value, calc.pre);
          padded += calc.paddedTaps;
        }
      }
    }
    if (c.padding === 'same') assert.ok(padded > 0, 'some windows reach into the padding');
    else assert.equal(padded, 0, 'valid windows never reach into padding');
  });
}

test('the patch is the input under the dilated, strided window, with zeros in the padding', () => {
  // 5 × 5 input of 0..24, one channel, kernel 3 × 3 of ones, stride 2, same: output 3 × 3, padding 1 before.
  const x = Float32Array.from({ length: 25 }, (_, i) => i);
  const layer: ConvCalcLayer = { rank: 2, kernelSize: [3, 3], strides: [2, 2], dilation: [1, 1], padding: 'same', groups: 1, filters: 1, kernel: new Float32Array(9).fill(1), activation: 'none' };
  const calc = convCalc(layer, { size: [5, 5], channels: 1, data: x }, [0, 1], 0);
  assert.deepEqual(calc.rows, [-1, 0, 1]);
  assert.deepEqual(calc.cols, [1, 2, 3]);
  assert.deepEqual([...calc.channels[0].x], [0, 0, 0, 1, 2, 3, 6, 7, 8]);
  assert.equal(calc.paddedTaps, 3);
  assert.equal(calc.sum, 27);
  assert.equal(calc.hasBias, false);
  // Dilation 2, valid: taps 2 apart.
  const dilated = convCalc({ ...layer, strides: [1, 1], dilation: [2, 2], padding: 'valid' }, { size: [5, 5], channels: 1, data: x }, [0, 0], 0);
  assert.deepEqual(dilated.rows, [0, 2, 4]);
  assert.deepEqual(dilated.cols, [0, 2, 4]);
  assert.equal(dilated.sum, 0 + 2 + 4 + 10 + 12 + 14 + 20 + 22 + 24);
  assert.equal(padBefore(10, 5, 3, 2, 1, 'same'), 0, 'TensorFlow pads the smaller half before');
  assert.equal(padBefore(9, 5, 3, 2, 1, 'same'), 1);
});

test('groups: each filter sees only its group of input channels', () => {
  const [h, w, cin, cout, groups] = [6, 6, 4, 6, 2];
  const x = random(h * w * cin, 4);
  const kernel = random(3 * 3 * (cin / groups) * cout, 5);
  const expected = tf.tidy(() => {
    const xs = tf.split(tf.tensor4d(x, [1, h, w, cin]), groups, 3);
    const ks = tf.split(tf.tensor4d(kernel, [3, 3, cin / groups, cout]), groups, 3);
    return tf.concat(xs.map((xi, g) => tf.conv2d(xi as tf.Tensor4D, ks[g] as tf.Tensor4D, 1, 'same')), 3).dataSync();
  });
  const layer: ConvCalcLayer = { rank: 2, kernelSize: [3, 3], strides: [1, 1], dilation: [1, 1], padding: 'same', groups, filters: cout, kernel, activation: 'none' };
  for (let f = 0; f < cout; f++) {
    const calc = convCalc(layer, { size: [h, w], channels: cin, data: x }, [2, 3], f);
    assert.deepEqual(calc.channels.map((c) => c.channel), f < 3 ? [0, 1] : [2, 3]);
    assert.ok(Math.abs(calc.value - expected[(2 * w + 3) * cout + f]) < 1e-5);
  }
});

test('conv1d: valid, same with stride 2, dilation 2 and causal padding against tf.conv1d', () => {
  const [len, cin, cout, k] = [13, 3, 2, 3];
  const x = random(len * cin, 6);
  const kernel = random(k * cin * cout, 7);
  const cases: { padding: ConvPaddingMode; stride: number; dilation: number }[] = [
    { padding: 'valid', stride: 1, dilation: 1 },
    { padding: 'same', stride: 2, dilation: 1 },
    { padding: 'same', stride: 1, dilation: 2 },
    { padding: 'causal', stride: 1, dilation: 2 },
  ];
  for (const c of cases) {
    const expected = tf.tidy(() => {
      let xt = tf.tensor3d(x, [1, len, cin]);
      if (c.padding === 'causal') xt = tf.pad(xt, [[0, 0], [c.dilation * (k - 1), 0], [0, 0]]);
      const y = tf.conv1d(xt, tf.tensor3d(kernel, [k, cin, cout]), c.stride, c.padding === 'causal' ? 'valid' : c.padding, 'NWC', c.dilation);
      return { length: y.shape[1], data: y.dataSync() };
    });
    const layer: ConvCalcLayer = { rank: 1, kernelSize: [k], strides: [c.stride], dilation: [c.dilation], padding: c.padding, groups: 1, filters: cout, kernel, activation: 'none' };
    for (let t = 0; t < expected.length; t++) {
      for (let f = 0; f < cout; f++) {
        const calc = convCalc(layer, { size: [len], channels: cin, data: x }, [t], f);
        assert.ok(Math.abs(calc.value - expected.data[t * cout + f]) < 1e-5, `${JSON.stringify(c)} step ${t} filter ${f}`);
      }
    }
    if (c.padding === 'causal') assert.ok(convCalc(layer, { size: [len], channels: cin, data: x }, [0], 0).cols.every((col, i) => col === (i - (k - 1)) * c.dilation), 'causal: the window ends at the step');
  }
});

test('activations: the value after the activation is what tfjs computes from the pre-activation', () => {
  const pre = [-3, -0.7, -0.01, 0, 0.3, 2.5, 7];
  const ops: Record<string, (t: tf.Tensor) => tf.Tensor> = {
    none: (t) => t,
    relu: (t) => tf.relu(t),
    relu6: (t) => tf.relu6(t),
    leaky_relu: (t) => tf.leakyRelu(t, 0.2),
    elu: (t) => tf.elu(t),
    gelu: (t) => tf.mul(t, tf.mul(0.5, tf.add(1, tf.erf(tf.div(t, Math.SQRT2))))),
    sigmoid: (t) => tf.sigmoid(t),
    tanh: (t) => tf.tanh(t),
    silu: (t) => tf.mul(t, tf.sigmoid(t)),
  };
  for (const [name, op] of Object.entries(ops)) {
    const want = tf.tidy(() => op(tf.tensor1d(pre)).dataSync());
    pre.forEach((p, i) => assert.ok(Math.abs(activate(name, p) - want[i]) < 1e-5, `${name}(${p}): ${activate(name, p)} vs ${want[i]}`));
  }
  assert.throws(() => activate('softmax', 1));
});

test('a built model: every value of its convolutions (fused activation, softmax over filters, groups, stride 2, dilation 2) is explained from its input layer and weights', () => {
  const a = analyze(`model Net {
  input image: [12, 12, 3]
  output image -> conv2d(4, 3, padding = same, activation = tanh) -> relu -> conv2d(4, 3, stride = 2, groups = 2, activation = gelu)
               -> conv2d(3, 2, dilation = 2, padding = same, activation = softmax) -> conv2d(2, 1, bias = false)
}`);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  const built = buildModel(tf, a.models[0], { seed: 3 });
  const acts = buildActivationModel(tf, built);
  const x = random(12 * 12 * 3, 8);
  const outs = tf.tidy(() => (acts.model.predict(tf.tensor4d(x, [1, 12, 12, 3])) as tf.Tensor[]).map((t) => ({ shape: t.shape, data: t.dataSync() })));
  const convs = built.layerPaths.filter((p) => built.nodeOf.get(p)!.op === 'conv2d');
  assert.equal(convs.length, 4);
  const sources = convs.map((p) => convInputSource(built, acts.paths, p));
  assert.deepEqual(sources[0], { kind: 'input', port: 0 });
  assert.deepEqual(sources.slice(1).map((s) => s?.kind === 'layer' && built.nodeOf.get(s.path)!.op), ['relu', 'conv2d', 'conv2d']);
  let checked = 0;
  convs.forEach((path, i) => {
    const layer = readConvLayer(tf, built, path)!;
    assert.ok(layer, path);
    const src = sources[i]!;
    const from = src.kind === 'input' ? { shape: [1, 12, 12, 3], data: x } : outs[acts.paths.indexOf(src.path)];
    const out = outs[acts.paths.indexOf(path)];
    const [, oh, ow, oc] = out.shape;
    const input = { size: [from.shape[1]!, from.shape[2]!], channels: from.shape[3]!, data: from.data };
    for (let r = 0; r < oh!; r++) {
      for (let q = 0; q < ow!; q++) {
        for (let f = 0; f < oc!; f++) {
          const calc = convCalc(layer, input, [r, q], f);
          const shown = out.data[(r * ow! + q) * oc! + f];
          assert.ok(agrees(calc, shown), `${built.nodeOf.get(path)!.label} (${r}, ${q}) filter ${f}: ${calc.value} vs ${shown}`);
          checked++;
        }
      }
    }
  });
  assert.equal(readConvLayer(tf, built, convs[3])!.bias, undefined, 'bias = false: no bias');
  assert.ok(checked > 500);
});

/** The model's activations for one input: each layer's output, by path (the activation model's). */
function activations(src: string, size: number[], seed: number) {
  const a = analyze(src);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  const built = buildModel(tf, a.models[0], { seed });
  randomizeWeights(built.model, seed);
  const acts = buildActivationModel(tf, built);
  const x = random(size.reduce((p, d) => p * d, 1), seed + 1);
  // One layer's activation model returns a tensor, not a list.
  const outs = tf.tidy(() => ([] as tf.Tensor[]).concat(acts.model.predict(tf.tensor(x, [1, ...size]))).map((t) => ({ shape: t.shape.slice(1) as number[], data: t.dataSync() })));
  const convs = built.layerPaths.filter((p) => /^conv[12]d$/.test(built.nodeOf.get(p)!.op));
  const inputOf = (path: string) => {
    const src = convInputSource(built, acts.paths, path)!;
    const from = src.kind === 'input' ? { shape: size, data: x } : outs[acts.paths.indexOf(src.path)];
    return { size: from.shape.slice(0, -1), channels: from.shape[from.shape.length - 1], data: from.data };
  };
  return { built, convs, inputOf, outputOf: (path: string) => outs[acts.paths.indexOf(path)] };
}

/** Every tap of a breakdown: the input value it reads, or 0 where its row or column lies outside the input (padding). */
function checkPatch(calc: ReturnType<typeof convCalc>, input: { size: number[]; channels: number; data: ArrayLike<number> }): void {
  const [h, w] = input.size.length === 2 ? input.size : [1, input.size[0]];
  let padded = 0;
  calc.channels.forEach((ch) => {
    calc.rows.forEach((r, i) =>
      calc.cols.forEach((c, j) => {
        const inside = r >= 0 && r < h && c >= 0 && c < w;
        if (!inside && ch.channel === 0) padded++;
        assert.equal(ch.x[i * calc.kw + j], inside ? Math.fround(input.data[(r * w + c) * input.channels + ch.channel]) : 0, `tap (${r}, ${c}) channel ${ch.channel}`);
      }),
    );
  });
  assert.equal(calc.paddedTaps, padded);
}

test('explicit padding (padding = 1; padding = [2, 0] with stride 2): the patch at the border holds the padding zeros, and every value is the model\'s', () => {
  const { built, convs, inputOf, outputOf } = activations(
    `model Net {
  input image: [7, 6, 2]
  output image -> conv2d(3, 3, padding = 1, activation = tanh) -> conv2d(2, 3, stride = 2, padding = [2, 0])
}`,
    [7, 6, 2],
    11,
  );
  assert.equal(convs.length, 2);
  const [one, twoZero] = convs.map((p) => readConvLayer(tf, built, p)!);
  assert.deepEqual(one.padding, [1]);
  assert.deepEqual(twoZero.padding, [2, 0]);
  // padding = 1, 3 × 3, stride 1: 7 × 6 stays 7 × 6; a corner's window has 5 padding taps (a row and a column), an edge's 3.
  const in1 = inputOf(convs[0]);
  assert.deepEqual(in1.size, [7, 6]);
  assert.deepEqual(outputOf(convs[0]).shape, [7, 6, 3]);
  const corner = convCalc(one, in1, [0, 0], 1);
  assert.deepEqual(corner.rows, [-1, 0, 1]);
  assert.deepEqual(corner.cols, [-1, 0, 1]);
  assert.equal(corner.paddedTaps, 5);
  checkPatch(corner, in1);
  const far = convCalc(one, in1, [6, 5], 2);
  assert.deepEqual(far.rows, [5, 6, 7]);
  assert.deepEqual(far.cols, [4, 5, 6]);
  assert.equal(far.paddedTaps, 5);
  checkPatch(far, in1);
  const edge = convCalc(one, in1, [0, 3], 0);
  assert.deepEqual(edge.cols, [2, 3, 4]);
  assert.equal(edge.paddedTaps, 3);
  checkPatch(edge, in1);
  // padding = [2, 0], 3 × 3, stride 2 on 7 × 6: ⌊(7 + 4 − 3)/2⌋ + 1 = 5 rows, ⌊(6 − 3)/2⌋ + 1 = 2 columns; the first and
  // last rows' windows each have two rows of padding (6 taps); no column is padded.
  const in2 = inputOf(convs[1]);
  assert.deepEqual(outputOf(convs[1]).shape, [5, 2, 2]);
  const top = convCalc(twoZero, in2, [0, 1], 0);
  assert.deepEqual(top.rows, [-2, -1, 0]);
  assert.deepEqual(top.cols, [2, 3, 4]);
  assert.equal(top.paddedTaps, 6);
  assert.equal(top.channels.length, 3);
  checkPatch(top, in2);
  const bottom = convCalc(twoZero, in2, [4, 0], 1);
  assert.deepEqual(bottom.rows, [6, 7, 8]);
  assert.deepEqual(bottom.cols, [0, 1, 2]);
  assert.equal(bottom.paddedTaps, 6);
  checkPatch(bottom, in2);
  const middle = convCalc(twoZero, in2, [2, 1], 1);
  assert.deepEqual(middle.rows, [2, 3, 4]);
  assert.equal(middle.paddedTaps, 0);
  // Every value of both layers, the border ones included, is the one TensorFlow.js's model computed.
  for (const [i, path] of convs.entries()) {
    const layer = [one, twoZero][i];
    const input = inputOf(path);
    const out = outputOf(path);
    const [oh, ow, oc] = out.shape;
    for (let r = 0; r < oh; r++) {
      for (let q = 0; q < ow; q++) {
        for (let f = 0; f < oc; f++) {
          const calc = convCalc(layer, input, [r, q], f);
          const shown = out.data[(r * ow + q) * oc + f];
          assert.ok(agrees(calc, shown) && Math.abs(calc.value - shown) < 1e-5, `${built.nodeOf.get(path)!.label} (${r}, ${q}) filter ${f}: ${calc.value} vs ${shown}`);
        }
      }
    }
  }
});

test('explicit padding on conv1d (padding = 2, stride 2): the first and last windows reach 2 steps beyond the sequence, and every value is the model\'s', () => {
  const { built, convs, inputOf, outputOf } = activations(
    `model Net {
  input signal: [9, 2]
  output signal -> conv1d(3, 5, stride = 2, padding = 2)
}`,
    [9, 2],
    12,
  );
  const layer = readConvLayer(tf, built, convs[0])!;
  const input = inputOf(convs[0]);
  const out = outputOf(convs[0]);
  // ⌊(9 + 4 − 5)/2⌋ + 1 = 5 steps.
  assert.deepEqual(out.shape, [5, 3]);
  const first = convCalc(layer, input, [0], 0);
  assert.deepEqual(first.cols, [-2, -1, 0, 1, 2]);
  assert.equal(first.paddedTaps, 2);
  checkPatch(first, input);
  const last = convCalc(layer, input, [4], 2);
  assert.deepEqual(last.cols, [6, 7, 8, 9, 10]);
  assert.equal(last.paddedTaps, 2);
  checkPatch(last, input);
  for (let t = 0; t < 5; t++) {
    for (let f = 0; f < 3; f++) {
      const calc = convCalc(layer, input, [t], f);
      assert.ok(agrees(calc, out.data[t * 3 + f]) && Math.abs(calc.value - out.data[t * 3 + f]) < 1e-5, `step ${t} filter ${f}: ${calc.value} vs ${out.data[t * 3 + f]}`);
    }
  }
});

test('agrees: a wrong value is caught; every term is shown for LeNet-5\'s first conv, partial sums for its second', () => {
  const layer: ConvCalcLayer = { rank: 2, kernelSize: [5, 5], strides: [1, 1], dilation: [1, 1], padding: 'valid', groups: 1, filters: 1, kernel: random(25, 9), bias: [0.1], activation: 'none' };
  const calc = convCalc(layer, { size: [5, 5], channels: 1, data: random(25, 10) }, [0, 0], 0);
  assert.ok(agrees(calc, Math.fround(calc.value)));
  assert.ok(!agrees(calc, calc.value + 0.01));
  assert.ok(!agrees(calc, calc.value - calc.bias - 0.01 * Math.sign(calc.bias)), 'forgetting the bias is caught');
  assert.equal(showsEveryTerm(calc), true);
  assert.equal(showsEveryTerm({ kh: 5, kw: 5, channels: new Array(6).fill(calc.channels[0]) }), false);
  assert.equal(showsEveryTerm({ kh: 7, kw: 7, channels: new Array(3).fill(calc.channels[0]) }), true, 'an RGB 7 × 7 stem');
  assert.equal(showsEveryTerm({ kh: 1, kw: 3, channels: new Array(32).fill(calc.channels[0]) }), false, 'a TCN conv1d over 32 channels');
  assert.throws(() => convCalc(layer, { size: [5, 5], channels: 1, data: random(25, 10) }, [1, 0], 0), /outside/);
});
