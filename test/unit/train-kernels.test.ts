import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { convGeometry, createAdam, filterGradIm2col, inputGradIm2col, registerTrainingKernels } from '../../extension/core/runtime/kernels';
import { analyze } from '../../extension/core/analysis/analyze';
import { buildModel } from '../../extension/core/runtime/build';
import { createRng } from '../../extension/core/runtime/data/random';
import { useCpuBackend } from '../fixtures/tfjs';

useCpuBackend();
before(() => {
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
  { name: '4×4 same stride 1 (even kernel: more padding after than before)', x: [2, 8, 7, 2], k: [4, 4, 2, 3], strides: 1, pad: 'same', dilation: 1 },
  { name: '2×3 same stride 1 (non-square kernel)', x: [2, 6, 9, 3], k: [2, 3, 3, 2], strides: 1, pad: 'same', dilation: 1 },
  { name: '1×1 valid stride 1', x: [2, 5, 5, 4], k: [1, 1, 4, 3], strides: 1, pad: 'valid', dilation: 1 },
  { name: '3×3 same stride 2, 6 channels (filter gradient as a forward conv, input gradient by im2col)', x: [2, 9, 8, 6], k: [3, 3, 6, 4], strides: 2, pad: 'same', dilation: 1 },
  { name: '5×5 valid stride 1, 6 channels (LeNet\'s second conv: both as forward convs)', x: [2, 14, 14, 6], k: [5, 5, 6, 16], strides: 1, pad: 'valid', dilation: 1 },
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

test('wasm tanh and its gradient match cpu over the whole range (large, tiny and zero inputs included)', async () => {
  const values = Float32Array.from({ length: 4001 }, (_, i) => (i - 2000) / 100); // −20 … 20
  values.set([0, 1e-8, -1e-8, 7.9, -7.9, 8.5, 50, -50], 0);
  const weights = randn([values.length], 13);
  const run = () =>
    tf.tidy(() => {
      const x = tf.tensor1d(values);
      const [g] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(tf.tanh(t), tf.tensor1d(weights))))([x]);
      return [tf.tanh(x).dataSync() as Float32Array, g.dataSync() as Float32Array];
    });
  const cpu = await on('cpu', run);
  const before = tf.memory().numTensors;
  const wasm = await on('wasm', run);
  let worst = 0;
  for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(wasm[0][i] - cpu[0][i]));
  assert.ok(worst < 1e-6, `tanh off by ${worst}`);
  assert.ok(relErr(wasm[1], cpu[1]) < 1e-5, `gradient off by ${relErr(wasm[1], cpu[1])}`);
  assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
  assert.ok(Number.isNaN(tf.tidy(() => tf.tanh(tf.scalar(NaN)).dataSync()[0])), 'tanh(NaN) is NaN');
});

const POOLS: { name: string; x: number[]; size: [number, number]; stride: [number, number]; pad: 'valid' | 'same' }[] = [
  { name: '2×2 stride 2 valid (LeNet)', x: [3, 8, 8, 2], size: [2, 2], stride: [2, 2], pad: 'valid' },
  { name: '2×2 stride 2 valid, odd size (a row and column left over)', x: [2, 7, 9, 3], size: [2, 2], stride: [2, 2], pad: 'valid' },
  { name: '3×3 stride 2 same (overlapping windows, padded border)', x: [2, 9, 8, 2], size: [3, 3], stride: [2, 2], pad: 'same' },
  { name: '3×3 stride 1 same', x: [1, 6, 5, 4], size: [3, 3], stride: [1, 1], pad: 'same' },
  { name: '2×3 stride 1×2 valid (non-square)', x: [2, 7, 8, 1], size: [2, 3], stride: [1, 2], pad: 'valid' },
  { name: '4×4 stride 3 same', x: [2, 10, 11, 2], size: [4, 4], stride: [3, 3], pad: 'same' },
  { name: '1×3 stride 1×3 (an avgpool1d)', x: [2, 1, 12, 5], size: [1, 3], stride: [1, 3], pad: 'valid' },
];

for (const c of POOLS) {
  test(`wasm AvgPoolGrad matches the cpu backend: ${c.name}`, async () => {
    const run = () =>
      tf.tidy(() => {
        const x = tf.tensor4d(randn(c.x, 14), c.x as [number, number, number, number]);
        const f = (t: tf.Tensor) => {
          const y = tf.avgPool(t as tf.Tensor4D, c.size, c.stride, c.pad);
          return tf.sum(tf.mul(y, tf.tensor(randn(y.shape, 15), y.shape)));
        };
        return tf.grads(f)([x])[0].dataSync() as Float32Array;
      });
    const cpu = await on('cpu', run);
    const wasm = await on('wasm', run);
    assert.ok(relErr(wasm, cpu) < 1e-5, `gradient off by ${relErr(wasm, cpu)}`);
  });
}

test('the im2col gradients give the same result when the batch is cut into chunks', async () => {
  await tf.setBackend('wasm');
  const c = { x: [5, 9, 8, 3], k: [3, 3, 3, 4] };
  const x = tf.tensor4d(randn(c.x, 18), c.x as [number, number, number, number]);
  const w = tf.tensor4d(randn(c.k, 19), c.k as [number, number, number, number]);
  const dy = tf.tensor4d(randn([5, 5, 4, 4], 20), [5, 5, 4, 4]);
  const g = convGeometry(c.x, c.k, [2, 2], 'same', [1, 1], dy.shape);
  const be = tf.backend() as unknown as Parameters<typeof filterGradIm2col>[1];
  const perItem = 3 * 3 * 3 * 5 * 4;
  const whole = [filterGradIm2col(tf, be, x, dy, g), inputGradIm2col(tf, be, dy, w, g)];
  for (const maxCols of [perItem, 2 * perItem + 1, 1]) {
    const parts = [filterGradIm2col(tf, be, x, dy, g, maxCols), inputGradIm2col(tf, be, dy, w, g, maxCols)];
    parts.forEach((p, i) => {
      assert.deepEqual(p.shape, whole[i].shape);
      assert.ok(relErr(p.dataSync() as Float32Array, whole[i].dataSync() as Float32Array) < 1e-6, `chunks of ${maxCols}: output ${i} differs`);
    });
    tf.dispose(parts);
  }
  tf.dispose([...whole, x, w, dy]);
});

const CONV_NET = `model ConvNet {
  input image: [9, 8, 2]
  output image -> conv2d(3, 3) -> tanh -> conv2d(4, 2, stride = 2, padding = same, activation = relu) -> flatten -> dense(3)
}`;

test('conv2d layers train through separate ops: same output and weight gradients as the fused kernel, no input gradient for the data', async () => {
  await tf.setBackend('wasm');
  const info = analyze(CONV_NET, { uri: 'mem:conv.nnmodel' }).models[0];
  const built = buildModel(tf, info, { seed: 3 });
  const convs = built.model.layers.filter((l) => l.getClassName() === 'Conv2D');
  assert.equal(convs.length, 2);
  const x = tf.tensor4d(randn([4, 9, 8, 2], 16), [4, 9, 8, 2]);
  const r = tf.tensor2d(randn([4, 3], 17), [4, 3]);
  const vars = built.model.trainableWeights.map((w) => w.read() as tf.Variable);
  const loss = () => tf.sum(tf.mul(built.model.apply(x, { training: true }) as tf.Tensor, r)) as tf.Scalar;
  // Reference: the same network from tfjs's fused conv op (what inference runs), gradients by tf.grads.
  const reference = (...ws: tf.Tensor[]) => {
    const [k1, b1, k2, b2, kd, bd] = ws;
    let y = tf.tanh(tf.fused.conv2d({ x, filter: k1 as tf.Tensor4D, strides: 1, pad: 'valid', bias: b1 }));
    y = tf.fused.conv2d({ x: y as tf.Tensor4D, filter: k2 as tf.Tensor4D, strides: 2, pad: 'same', bias: b2, activation: 'relu' });
    const out = tf.add(tf.matMul(tf.reshape(y, [4, -1]), kd), bd);
    return tf.sum(tf.mul(out, r));
  };
  const { value, grads } = tf.variableGrads(loss, vars);
  const refGrads = tf.grads(reference)(vars);
  const refValue = reference(...vars);
  assert.ok(Math.abs(value.dataSync()[0] - refValue.dataSync()[0]) < 1e-4 * Math.max(1, Math.abs(refValue.dataSync()[0])));
  vars.forEach((v, i) => {
    const e = relErr(grads[v.name].dataSync() as Float32Array, refGrads[i].dataSync() as Float32Array);
    assert.ok(e < 1e-4, `gradient of ${v.name} off by ${e}`);
  });
  // Inference still gives the same output as the training path.
  const inf = built.model.predict(x) as tf.Tensor;
  const train = tf.tidy(() => {
    let out: tf.Tensor | undefined;
    tf.variableGrads(() => {
      out = tf.keep(built.model.apply(x, { training: true }) as tf.Tensor);
      return tf.sum(out);
    }, vars);
    return out!;
  });
  assert.ok(relErr(train.dataSync() as Float32Array, inf.dataSync() as Float32Array) < 1e-5);
  // The first convolution's input is data: its gradient is never computed (one Conv2DBackpropInput, for the second).
  const profile = await tf.profile(() => {
    tf.dispose(tf.variableGrads(loss, vars).grads);
  });
  assert.equal(profile.kernels.filter((k) => k.name === 'Conv2DBackpropInput').length, 1);
  assert.equal(profile.kernels.filter((k) => k.name === 'Conv2DBackpropFilter').length, 2);
});

// All but the last two are at or above PER_PRODUCT_MIN_MACS multiply-adds per product (one fast call per product).
const MATMULS: { name: string; a: number[]; b: number[]; ta: boolean; tb: boolean; broadcast?: boolean }[] = [
  { name: 'attention scores: [2, 3, 32, 16] · [2, 3, 32, 16]ᵀ', a: [2, 3, 32, 16], b: [2, 3, 32, 16], ta: false, tb: true },
  { name: 'attention values: [2, 3, 32, 32] · [2, 3, 32, 16]', a: [2, 3, 32, 32], b: [2, 3, 32, 16], ta: false, tb: false },
  { name: 'left operand transposed, batched', a: [4, 32, 32], b: [4, 32, 24], ta: true, tb: false },
  { name: 'right operand shared by the batch (broadcast)', a: [5, 40, 30], b: [1, 30, 24], ta: false, tb: false, broadcast: true },
  { name: 'left operand shared by the batch (broadcast), both transposed', a: [30, 40], b: [3, 24, 30], ta: true, tb: true, broadcast: true },
  { name: 'small products (under the per-product threshold)', a: [6, 4, 4], b: [6, 4, 4], ta: false, tb: false },
  { name: 'broadcast in two directions ([2, 1] against [1, 3])', a: [2, 1, 16, 16], b: [1, 3, 16, 16], ta: false, tb: false, broadcast: true },
];

for (const c of MATMULS) {
  test(`wasm batched matMul matches cpu, gradients included: ${c.name}`, async () => {
    const run = () =>
      tf.tidy(() => {
        const a = tf.tensor(randn(c.a, 21), c.a);
        const b = tf.tensor(randn(c.b, 22), c.b);
        const y = tf.matMul(a, b, c.ta, c.tb);
        // tfjs's BatchMatMul gradient does not reduce over broadcast batch dimensions (on any backend): forward only there.
        if (c.broadcast) return [y.dataSync() as Float32Array];
        const r = tf.tensor(randn(y.shape, 23), y.shape);
        const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.matMul(p, q, c.ta, c.tb), r)))([a, b]);
        return [y, ga, gb].map((t) => t.dataSync() as Float32Array);
      });
    const cpu = await on('cpu', run);
    const before = tf.memory().numTensors;
    const wasm = await on('wasm', run);
    cpu.forEach((v, i) => assert.ok(relErr(wasm[i], v) < 1e-4, `output ${i} off by ${relErr(wasm[i], v)}`));
    assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
  });
}

test('layernorm: the fused op gives the output and gradients of tfjs-layers\' LayerNormalization (cpu and wasm)', async () => {
  const model = `model LN {
  input x: [6, 24]
  output x -> layernorm(epsilon = 1e-5)
}`;
  for (const backend of ['cpu', 'wasm']) {
    await tf.setBackend(backend);
    const info = analyze(model, { uri: 'mem:ln.nnmodel' }).models[0];
    const built = buildModel(tf, info, { seed: 4 });
    const ours = built.model.layers.find((l) => l.getClassName() === 'LayerNormalization')!;
    const stock = tf.layers.layerNormalization({ axis: -1, epsilon: 1e-5 });
    const x = tf.tensor3d(randn([3, 6, 24], 24).map((v, i) => v * 3 + (i % 7)), [3, 6, 24]);
    stock.apply(x); // build
    // Non-trivial γ and β, the same in both.
    const gamma = tf.tensor1d(randn([24], 25));
    const beta = tf.tensor1d(randn([24], 26));
    ours.setWeights([gamma, beta]);
    stock.setWeights([gamma, beta]);
    const r = tf.tensor3d(randn([3, 6, 24], 27), [3, 6, 24]);
    const grads = (layer: tf.layers.Layer) => {
      const [g, b] = layer.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads: gw } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, r)) as tf.Scalar, [g, b]);
      const [gx] = tf.grads((xx: tf.Tensor) => tf.sum(tf.mul(layer.apply(xx) as tf.Tensor, r)))([x]);
      return { y: (layer.apply(x) as tf.Tensor).dataSync() as Float32Array, value: value.dataSync()[0], dg: gw[g.name].dataSync() as Float32Array, db: gw[b.name].dataSync() as Float32Array, dx: gx.dataSync() as Float32Array };
    };
    const a = grads(ours);
    const e = grads(stock);
    assert.ok(relErr(a.y, e.y) < 1e-5, `${backend}: output off by ${relErr(a.y, e.y)}`);
    assert.ok(relErr(a.dx, e.dx) < 1e-4, `${backend}: input gradient off by ${relErr(a.dx, e.dx)}`);
    assert.ok(relErr(a.dg, e.dg) < 1e-4, `${backend}: gamma gradient off by ${relErr(a.dg, e.dg)}`);
    assert.ok(relErr(a.db, e.db) < 1e-4, `${backend}: beta gradient off by ${relErr(a.db, e.db)}`);
    // The fused op tiles nothing.
    const profile = await tf.profile(() => tf.dispose(tf.grads((xx: tf.Tensor) => tf.sum(tf.mul(ours.apply(xx) as tf.Tensor, r)))([x])));
    assert.equal(profile.kernels.filter((k) => k.name === 'Tile').length, 0);
  }
});

test('Adam: the fused wasm update follows tfjs\'s AdamOptimizer step by step, and its state round-trips', async () => {
  const run = (fused: boolean) =>
    tf.tidy(() => {
      const w1 = tf.variable(tf.tensor2d(randn([7, 5], 28), [7, 5]));
      const w2 = tf.variable(tf.tensor1d(randn([5], 29)));
      const opt = fused ? createAdam(tf, 0.01) : tf.train.adam(0.01);
      const x = tf.tensor2d(randn([4, 7], 30), [4, 7]);
      const losses: number[] = [];
      for (let step = 0; step < 6; step++) {
        const l = opt.minimize(() => tf.sum(tf.square(tf.sin(tf.add(tf.matMul(x, w1), w2)))) as tf.Scalar, true, [w1, w2])!;
        losses.push(l.dataSync()[0]);
      }
      const out = { losses, w1: w1.dataSync() as Float32Array, w2: w2.dataSync() as Float32Array, iterations: opt.iterations };
      opt.dispose();
      w1.dispose();
      w2.dispose();
      return out;
    });
  await tf.setBackend('cpu');
  const reference = run(false);
  await tf.setBackend('wasm');
  const before = tf.memory().numTensors;
  const fused = run(true);
  assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
  assert.equal(fused.iterations, 6);
  fused.losses.forEach((l, i) => assert.ok(Math.abs(l - reference.losses[i]) < 1e-4 * Math.max(1, Math.abs(reference.losses[i])), `step ${i}: loss ${l} vs ${reference.losses[i]}`));
  assert.ok(relErr(fused.w1, reference.w1) < 1e-4, `w1 off by ${relErr(fused.w1, reference.w1)}`);
  assert.ok(relErr(fused.w2, reference.w2) < 1e-4, `w2 off by ${relErr(fused.w2, reference.w2)}`);
  // The fused path really ran: one NnAdam per variable, no per-variable Sqrt.
  const w = tf.variable(tf.ones([3]));
  const opt = createAdam(tf, 0.1);
  const profile = await tf.profile(() => tf.dispose(opt.minimize(() => tf.sum(tf.square(w)) as tf.Scalar, true, [w])!));
  assert.equal(profile.kernels.filter((k) => k.name === 'NnAdam').length, 1);
  assert.equal(profile.kernels.filter((k) => k.name === 'Sqrt').length, 0);
  // State: tfjs's getWeights/setWeights (moments and iterations) work unchanged.
  const state = await opt.getWeights();
  assert.deepEqual(state.map((s) => s.name), ['iter', `${w.name}/m`, `${w.name}/v`]);
  opt.dispose();
  w.dispose();
});

test('the kernels register once', () => {
  const again = registerTrainingKernels(tf);
  assert.deepEqual(again, {
    conv2dBackpropFilter: false,
    conv2dBackpropInput: false,
    dilatedConvGradient: false,
    plainBatchMatMul: false,
    unsortedSegmentSum: false,
    tileGradient: false,
    fastTanh: false,
    tanhGradient: false,
    fastAvgPoolGrad: false,
    adamKernel: false,
  });
});
