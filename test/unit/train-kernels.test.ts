import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerTrainingKernels } from '../../extension/core/runtime/kernels';
import { createRng } from '../../extension/core/runtime/data/random';

before(async () => {
  const warn = console.warn;
  console.warn = () => undefined;
  await tf.setBackend('cpu');
  console.warn = warn;
  registerTrainingKernels(tf);
});

function randn(shape: number[], seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
}

/** Max |a - b| / (max |b| + tiny): the relative error over the whole tensor. */
function relErr(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / (scale + 1e-12);
}

interface Case {
  name: string;
  x: number[];
  k: number[];
  strides: number;
  pad: 'valid' | 'same';
  dilation: number;
}

const CASES: Case[] = [
  { name: '5×5 valid stride 1 (LeNet)', x: [3, 12, 12, 2], k: [5, 5, 2, 4], strides: 1, pad: 'valid', dilation: 1 },
  { name: '3×3 same stride 1', x: [2, 9, 7, 3], k: [3, 3, 3, 5], strides: 1, pad: 'same', dilation: 1 },
  { name: '3×3 same stride 2 (odd size)', x: [2, 9, 9, 3], k: [3, 3, 3, 4], strides: 2, pad: 'same', dilation: 1 },
  { name: '4×4 same stride 2 (even kernel)', x: [2, 10, 8, 2], k: [4, 4, 2, 3], strides: 2, pad: 'same', dilation: 1 },
  { name: '3×3 valid stride 3', x: [2, 11, 10, 2], k: [3, 3, 2, 3], strides: 3, pad: 'valid', dilation: 1 },
  { name: '1×1 valid stride 2', x: [2, 6, 6, 4], k: [1, 1, 4, 3], strides: 2, pad: 'valid', dilation: 1 },
  { name: '3×3 valid stride 2, a row and column left over', x: [2, 10, 8, 2], k: [3, 3, 2, 3], strides: 2, pad: 'valid', dilation: 1 },
  { name: '5×5 same stride 1, more channels', x: [2, 7, 7, 6], k: [5, 5, 6, 8], strides: 1, pad: 'same', dilation: 1 },
];

/** x and filter gradients of sum(conv2d(x, w) * r) on the current backend. */
function convGrads(c: Case, dilation = c.dilation): { dx: Float32Array; dw: Float32Array } {
  return tf.tidy(() => {
    const x = tf.tensor4d(randn(c.x, 1), c.x as [number, number, number, number]);
    const w = tf.tensor4d(randn(c.k, 2), c.k as [number, number, number, number]);
    const f = (xx: tf.Tensor4D, ww: tf.Tensor4D) => {
      const y = tf.conv2d(xx, ww, c.strides, c.pad, 'NHWC', dilation);
      return tf.sum(tf.mul(y, tf.tensor(randn(y.shape, 3), y.shape)));
    };
    const [dx, dw] = tf.grads(f as (...a: tf.Tensor[]) => tf.Tensor)([x, w]);
    return { dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array };
  });
}

async function on<T>(backend: string, f: () => T): Promise<T> {
  await tf.setBackend(backend);
  return f();
}

for (const c of CASES) {
  test(`wasm Conv2DBackpropFilter and Conv2DBackpropInput match the cpu backend: ${c.name}`, async () => {
    const cpu = await on('cpu', () => convGrads(c));
    const wasm = await on('wasm', () => convGrads(c));
    assert.ok(relErr(wasm.dw, cpu.dw) < 1e-3, `filter gradient off by ${relErr(wasm.dw, cpu.dw)}`);
    assert.ok(relErr(wasm.dx, cpu.dx) < 1e-3, `input gradient off by ${relErr(wasm.dx, cpu.dx)}`);
  });
}

/**
 * Reference for a dilated convolution: the same convolution with the
 * filter spread out with zeros (dilation 1), whose gradients tfjs computes
 * itself; the filter gradient is then read at the taps.
 */
function dilatedReference(c: Case): { dx: Float32Array; dw: Float32Array } {
  const d = c.dilation;
  const [kh, kw, ci, co] = c.k;
  const eh = (kh - 1) * d + 1;
  const ew = (kw - 1) * d + 1;
  const w = randn(c.k, 2);
  const spread = new Float32Array(eh * ew * ci * co);
  for (let p = 0; p < kh; p++)
    for (let q = 0; q < kw; q++)
      for (let i = 0; i < ci * co; i++) spread[((p * d) * ew + q * d) * ci * co + i] = w[(p * kw + q) * ci * co + i];
  const out = tf.tidy(() => {
    const x = tf.tensor4d(randn(c.x, 1), c.x as [number, number, number, number]);
    const ws = tf.tensor4d(spread, [eh, ew, ci, co]);
    const f = (xx: tf.Tensor4D, ww: tf.Tensor4D) => {
      const y = tf.conv2d(xx, ww, 1, c.pad);
      return tf.sum(tf.mul(y, tf.tensor(randn(y.shape, 3), y.shape)));
    };
    const [dx, dws] = tf.grads(f as (...a: tf.Tensor[]) => tf.Tensor)([x, ws]);
    return { dx: dx.dataSync() as Float32Array, dws: dws.dataSync() as Float32Array };
  });
  const dw = new Float32Array(w.length);
  for (let p = 0; p < kh; p++)
    for (let q = 0; q < kw; q++)
      for (let i = 0; i < ci * co; i++) dw[(p * kw + q) * ci * co + i] = out.dws[((p * d) * ew + q * d) * ci * co + i];
  return { dx: out.dx, dw };
}

const DILATED: Case[] = [
  { name: '3×3 valid dilation 2', x: [2, 11, 10, 2], k: [3, 3, 2, 3], strides: 1, pad: 'valid', dilation: 2 },
  { name: '3×3 same dilation 3', x: [2, 12, 9, 2], k: [3, 3, 2, 2], strides: 1, pad: 'same', dilation: 3 },
  { name: '1×3 same dilation 4 (a conv1d)', x: [2, 1, 20, 3], k: [1, 3, 3, 2], strides: 1, pad: 'same', dilation: 4 },
];

for (const c of DILATED) {
  for (const backend of ['cpu', 'wasm']) {
    test(`dilated conv2d trains on ${backend} (tfjs refuses its gradient): ${c.name}`, async () => {
      const ref = await on('cpu', () => dilatedReference(c));
      const got = await on(backend, () => convGrads(c));
      assert.ok(relErr(got.dw, ref.dw) < 1e-3, `filter gradient off by ${relErr(got.dw, ref.dw)}`);
      assert.ok(relErr(got.dx, ref.dx) < 1e-3, `input gradient off by ${relErr(got.dx, ref.dx)}`);
    });
  }
}

test('wasm matMul with transposed operands gives the same product and gradients as cpu', async () => {
  const run = () =>
    tf.tidy(() => {
      const a = tf.tensor3d(randn([2, 5, 7], 4), [2, 5, 7]);
      const b = tf.tensor3d(randn([2, 6, 5], 5), [2, 6, 5]);
      const y = tf.matMul(a, b, true, true); // [2, 7, 6]
      const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.square(tf.matMul(p, q, true, true))))([a, b]);
      return [y, ga, gb].map((t) => t.dataSync() as Float32Array);
    });
  const cpu = await on('cpu', run);
  const before = tf.memory().numTensors;
  const wasm = await on('wasm', run);
  cpu.forEach((c, i) => assert.ok(relErr(wasm[i], c) < 1e-4, `output ${i} off by ${relErr(wasm[i], c)}`));
  assert.equal(tf.memory().numTensors, before, 'no tensor leaks from the wrapped kernel');
});

test('wasm embedding gradient (UnsortedSegmentSum) matches cpu, repeated and out-of-range ids included', async () => {
  const run = () =>
    tf.tidy(() => {
      const table = tf.tensor2d(randn([6, 3], 7), [6, 3]);
      const ids = tf.tensor2d([[0, 2, 2], [5, 0, 1]], [2, 3], 'int32');
      const [g] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), tf.tensor(randn([2, 3, 3], 8), [2, 3, 3]))))([table]);
      const direct = tf.unsortedSegmentSum(tf.tensor2d([[1, 2], [3, 4], [5, 6]]), tf.tensor1d([1, -1, 1], 'int32'), 3);
      return [g.dataSync() as Float32Array, direct.dataSync() as Float32Array];
    });
  const cpu = await on('cpu', run);
  const wasm = await on('wasm', run);
  assert.ok(relErr(wasm[0], cpu[0]) < 1e-6, `gradient off by ${relErr(wasm[0], cpu[0])}`);
  assert.deepEqual(Array.from(wasm[1]), [0, 0, 6, 8, 0, 0]);
});

test('the Tile gradient sums the repetitions (as tfjs computes it, without a slice per repetition)', async () => {
  // Reference by hand: d/dx sum(tile(x) * w) = the sum of w over the positions that copy each element.
  const x = tf.tensor3d(randn([2, 3, 1], 9), [2, 3, 1]);
  const reps = [2, 1, 4];
  const w = randn([4, 3, 4], 10);
  const [g] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(tf.tile(t, reps), tf.tensor(w, [4, 3, 4]))))([x]);
  const expected = new Float32Array(6);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) expected[(i % 2) * 3 + j] += w[(i * 3 + j) * 4 + k];
  assert.ok(relErr(g.dataSync() as Float32Array, expected) < 1e-6);
});

test('conv2d_transpose (whose forward pass is Conv2DBackpropInput) gives the same output and gradients on wasm as on cpu', async () => {
  const run = () =>
    tf.tidy(() => {
      const x = tf.tensor4d(randn([2, 5, 4, 3], 11), [2, 5, 4, 3]);
      const w = tf.tensor4d(randn([3, 3, 4, 3], 12), [3, 3, 4, 3]);
      const f = (xx: tf.Tensor4D, ww: tf.Tensor4D) => tf.conv2dTranspose(xx, ww, [2, 10, 8, 4], 2, 'same');
      const y = f(x, w);
      const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(f(a as tf.Tensor4D, b as tf.Tensor4D))))([x, w]);
      return [y, gx, gw].map((t) => t.dataSync() as Float32Array);
    });
  const cpu = await on('cpu', run);
  const wasm = await on('wasm', run);
  cpu.forEach((c, i) => assert.ok(relErr(wasm[i], c) < 1e-3, `output ${i} off by ${relErr(wasm[i], c)}`));
});

test('the kernels register once', () => {
  const again = registerTrainingKernels(tf);
  assert.deepEqual(again, { conv2dBackpropFilter: false, conv2dBackpropInput: false, dilatedConvGradient: false, plainBatchMatMul: false, unsortedSegmentSum: false, tileGradient: false });
});
