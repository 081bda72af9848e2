// "How this value is computed" for a pooling layer's feature map (webview/probes/poolCalc.ts): the
// window on one channel, its max (the cell TensorFlow picks on ties) or Σ ÷ n (padding excluded),
// checked against tf.maxPool / tf.avgPool on random data (valid/same padding, strides, non-square
// windows, several channels, 1-D), the course notes' 3 × 3 max-pool example, and read from a built
// model (webview/probes/convCalcRead.ts readPoolLayer).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import { buildActivationModel, buildModel } from '../../extension/core/runtime/build';
import { agrees } from '../../webview/probes/convCalc';
import { poolCalc, type PoolCalcLayer, type PoolKind } from '../../webview/probes/poolCalc';
import { convInputSource, isExplained, isExplainedPool, readPoolLayer } from '../../webview/probes/convCalcRead';
import { useCpuBackend } from '../fixtures/tfjs';

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
  c: number;
  k: [number, number];
  stride: [number, number];
  padding: 'valid' | 'same';
}

const CASES: Case[] = [
  { name: 'valid 2 × 2 (LeNet-5)', h: 8, w: 8, c: 3, k: [2, 2], stride: [2, 2], padding: 'valid' },
  { name: 'valid 3 × 3, stride 2 (overlapping)', h: 9, w: 10, c: 2, k: [3, 3], stride: [2, 2], padding: 'valid' },
  { name: 'same 3 × 3, stride 2, odd sizes', h: 9, w: 7, c: 2, k: [3, 3], stride: [2, 2], padding: 'same' },
  { name: 'same 2 × 2, stride 2, odd sizes', h: 7, w: 5, c: 4, k: [2, 2], stride: [2, 2], padding: 'same' },
  { name: 'same 3 × 2 (non-square), stride 1', h: 6, w: 7, c: 3, k: [3, 2], stride: [1, 1], padding: 'same' },
  { name: 'valid 2 × 3 (non-square), stride [1, 2]', h: 7, w: 9, c: 2, k: [2, 3], stride: [1, 2], padding: 'valid' },
];

for (const kind of ['max', 'avg'] as PoolKind[]) {
  for (const c of CASES) {
    test(`every value equals tf.${kind}Pool: ${c.name}`, () => {
      const x = random(c.h * c.w * c.c, 11);
      const expected = tf.tidy(() => {
        const xt = tf.tensor4d(x, [1, c.h, c.w, c.c]);
        const y = kind === 'max' ? tf.maxPool(xt, c.k, c.stride, c.padding) : tf.avgPool(xt, c.k, c.stride, c.padding);
        return { shape: y.shape, data: y.dataSync() };
      });
      const [, oh, ow] = expected.shape;
      const layer: PoolCalcLayer = { kind, poolSize: c.k, strides: c.stride, padding: c.padding };
      const input = { size: [c.h, c.w], channels: c.c, data: x };
      let cut = 0;
      for (let r = 0; r < oh; r++) {
        for (let q = 0; q < ow; q++) {
          for (let ch = 0; ch < c.c; ch++) {
            const calc = poolCalc(layer, input, [r, q], ch);
            const want = expected.data[(r * ow + q) * c.c + ch];
            assert.ok(Math.abs(calc.value - want) < 1e-6, `${kind} ${c.name} (${r}, ${q}) channel ${ch}: ${calc.value} vs tfjs ${want}`);
            assert.ok(agrees(calc, want));
            // The window is that channel's cells: padding never read, the rest summed and counted.
            const inside = [...calc.x].filter((_, t) => !calc.padded[t]);
            assert.equal(calc.n, inside.length);
            assert.ok(Math.abs(calc.sum - inside.reduce((a, v) => a + v, 0)) < 1e-12);
            calc.padded.forEach((p, t) => assert.equal(p, Number.isNaN(calc.x[t])));
            for (let i = 0; i < calc.kh; i++) {
              for (let j = 0; j < calc.kw; j++) {
                const [ir, ic] = [calc.rows[i], calc.cols[j]];
                if (!calc.padded[i * calc.kw + j]) assert.equal(calc.x[i * calc.kw + j], x[(ir * c.w + ic) * c.c + ch]);
              }
            }
            if (kind === 'max') assert.equal(calc.x[calc.argmax], calc.value);
            else assert.equal(calc.value, calc.sum / calc.n);
            if (calc.n < c.k[0] * c.k[1]) cut++;
          }
        }
      }
      if (c.padding === 'same' && (c.h % c.stride[0] !== 0 || c.k[0] > c.stride[0])) assert.ok(cut > 0, 'some windows are cut by the border');
      if (c.padding === 'valid') assert.equal(cut, 0, 'valid windows are whole');
    });
  }
}

test('the course notes\' 3 × 3 max-pool example: 2 × 2 windows, stride 1 → 3 2 / 3 3, as tf.maxPool', () => {
  const x = [1, 0, 2, 3, 1, 2, 1, 2, 3];
  const layer: PoolCalcLayer = { kind: 'max', poolSize: [2, 2], strides: [1, 1], padding: 'valid' };
  const input = { size: [3, 3], channels: 1, data: x };
  const out = [0, 1].flatMap((r) => [0, 1].map((q) => poolCalc(layer, input, [r, q], 0)));
  assert.deepEqual(out.map((c) => c.value), [3, 2, 3, 3]);
  assert.deepEqual([...tf.tidy(() => tf.maxPool(tf.tensor4d(x, [1, 3, 3, 1]), 2, 1, 'valid').dataSync())], [3, 2, 3, 3]);
  // The first window: 1 0 / 3 1, its max 3 in the lower left.
  assert.deepEqual([...out[0].x], [1, 0, 3, 1]);
  assert.equal(out[0].argmax, 2);
  assert.deepEqual(out[0].ties, [2]);
  // The second: 0 2 / 1 2, two 2s tie: the first in row-major order (upper right) is TensorFlow's.
  assert.deepEqual([...out[1].x], [0, 2, 1, 2]);
  assert.deepEqual(out[1].ties, [1, 3]);
  assert.equal(out[1].argmax, 1);
  // The mean of the same windows.
  assert.deepEqual(
    out.map((c) => poolCalc({ ...layer, kind: 'avg' }, input, c.position, 0).value),
    [5 / 4, 5 / 4, 7 / 4, 2],
  );
});

test('ties: the cell outlined is the one TensorFlow picks (the one tf.maxPool\'s gradient flows to, and maxPoolWithArgmax\'s index)', () => {
  // Few distinct values: most windows tie.
  const [h, w, c] = [6, 9, 2];
  const x = Float32Array.from(random(h * w * c, 12), (v) => Math.floor((v + 1) * 1.5));
  const xt = tf.tensor4d(x, [1, h, w, c]);
  const layer: PoolCalcLayer = { kind: 'max', poolSize: [2, 3], strides: [2, 3], padding: 'valid' };
  // Non-overlapping windows: each cell's gradient comes from one window.
  const grad = tf.tidy(() => tf.grad((a) => tf.sum(tf.maxPool(a as tf.Tensor4D, [2, 3], [2, 3], 'valid')))(xt).dataSync());
  const { indexes } = tf.maxPoolWithArgmax(xt, [2, 3], [2, 3], 'valid');
  const argmaxes = indexes.dataSync();
  let tied = 0;
  for (let r = 0; r < h / 2; r++) {
    for (let q = 0; q < w / 3; q++) {
      for (let ch = 0; ch < c; ch++) {
        const calc = poolCalc(layer, { size: [h, w], channels: c, data: x }, [r, q], ch);
        const [ir, ic] = [calc.rows[Math.floor(calc.argmax / calc.kw)], calc.cols[calc.argmax % calc.kw]];
        const flat = (ir * w + ic) * c + ch;
        assert.equal(grad[flat], 1, `(${r}, ${q}) channel ${ch}: the gradient flows to the outlined cell`);
        calc.ties.filter((t) => t !== calc.argmax).forEach((t) => assert.equal(grad[(calc.rows[Math.floor(t / calc.kw)] * w + calc.cols[t % calc.kw]) * c + ch], 0, 'not to the other ties'));
        assert.equal(argmaxes[(r * (w / 3) + q) * c + ch], flat, 'maxPoolWithArgmax names the same cell');
        if (calc.ties.length > 1) tied++;
      }
    }
  }
  tf.dispose([xt, indexes]);
  assert.ok(tied >= 5, `windows with ties: ${tied}`);
});

test('same padding: the max of a negative window is not a padding 0, and the mean divides by the cells inside', () => {
  // 3 × 3 of -1..-9, 2 × 2 windows, stride 2, same: padding 1 after (bottom, right).
  const x = Float32Array.from({ length: 9 }, (_, i) => -(i + 1));
  const input = { size: [3, 3], channels: 1, data: x };
  const max = poolCalc({ kind: 'max', poolSize: [2, 2], strides: [2, 2], padding: 'same' }, input, [1, 1], 0);
  assert.deepEqual(max.rows, [2, 3]);
  assert.deepEqual(max.padded, [false, true, true, true]);
  assert.equal(max.value, -9);
  const avg = poolCalc({ kind: 'avg', poolSize: [2, 2], strides: [2, 2], padding: 'same' }, input, [0, 1], 0);
  assert.equal(avg.n, 2);
  assert.equal(avg.value, (-3 + -6) / 2);
  assert.deepEqual([...tf.tidy(() => tf.avgPool(tf.tensor4d(x, [1, 3, 3, 1]), 2, 2, 'same').dataSync())], [-3, -4.5, -7.5, -9]);
  assert.throws(() => poolCalc({ kind: 'avg', poolSize: [2, 2], strides: [2, 2], padding: 'same' }, input, [2, 0], 0), /outside/);
  assert.throws(() => poolCalc({ kind: 'avg', poolSize: [2, 2], strides: [2, 2], padding: 'same' }, input, [0, 0], 1), /channel/);
});

test('1-D: valid and same, strides, against tf.maxPool / tf.avgPool on a [1, len] image', () => {
  const [len, c] = [11, 3];
  const x = random(len * c, 13);
  for (const kind of ['max', 'avg'] as PoolKind[]) {
    for (const [k, stride, padding] of [
      [2, 2, 'valid'],
      [3, 2, 'same'],
      [3, 1, 'same'],
      [4, 3, 'valid'],
    ] as [number, number, 'valid' | 'same'][]) {
      const want = tf.tidy(() => {
        const xt = tf.tensor4d(x, [1, 1, len, c]);
        const y = kind === 'max' ? tf.maxPool(xt, [1, k], [1, stride], padding) : tf.avgPool(xt, [1, k], [1, stride], padding);
        return { len: y.shape[2], data: y.dataSync() };
      });
      for (let t = 0; t < want.len; t++) {
        for (let ch = 0; ch < c; ch++) {
          const calc = poolCalc({ kind, poolSize: [k], strides: [stride], padding }, { size: [len], channels: c, data: x }, [t], ch);
          assert.equal(calc.kh, 1);
          assert.ok(Math.abs(calc.value - want.data[t * c + ch]) < 1e-6, `${kind} k ${k} stride ${stride} ${padding} step ${t}`);
        }
      }
    }
  }
});

test('a built model: every value of its maxpool/avgpool layers (2-D and 1-D, same padding, strides, non-square) is explained from its input', () => {
  const a = analyze(`model Img {
  input image: [11, 9, 3]
  output image -> conv2d(4, 3) -> maxpool(3, stride = 2, padding = same) -> avgpool([2, 3], stride = 1, padding = same) -> maxpool(2)
}
model Seq {
  input signal: [15, 2]
  output signal -> conv1d(3, 3) -> avgpool(3, stride = 2, padding = same) -> maxpool(2)
}`);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  let checked = 0;
  for (const [m, shape] of [
    [a.models[0], [11, 9, 3]],
    [a.models[1], [15, 2]],
  ] as const) {
    const built = buildModel(tf, m, { seed: 4 });
    const acts = buildActivationModel(tf, built);
    const x = random(shape.reduce((p, v) => p * v, 1), 14);
    const outs = tf.tidy(() => (acts.model.predict(tf.tensor(x, [1, ...shape])) as tf.Tensor[]).map((t) => ({ shape: t.shape, data: t.dataSync() })));
    const pools = built.layerPaths.filter((p) => isExplainedPool(built, p));
    assert.equal(pools.length, shape.length === 3 ? 3 : 2);
    assert.ok(pools.every((p) => isExplained(built, p)));
    for (const path of pools) {
      const src = convInputSource(built, acts.paths, path);
      assert.ok(src?.kind === 'layer', path);
      const from = outs[acts.paths.indexOf(src.path)];
      const out = outs[acts.paths.indexOf(path)];
      const rank = shape.length === 3 ? 2 : 1;
      const layer = readPoolLayer(built, path, rank)!;
      assert.equal(layer.kind, built.nodeOf.get(path)!.op === 'maxpool' ? 'max' : 'avg');
      const size = from.shape.slice(1, -1) as number[];
      const channels = from.shape[from.shape.length - 1]!;
      const input = { size, channels, data: from.data };
      const outSize = out.shape.slice(1, -1) as number[];
      const positions = rank === 2 ? outSize[0] * outSize[1] : outSize[0];
      for (let p = 0; p < positions; p++) {
        const position = rank === 2 ? [Math.floor(p / outSize[1]), p % outSize[1]] : [p];
        for (let ch = 0; ch < channels; ch++) {
          const calc = poolCalc(layer, input, position, ch);
          const shown = out.data[p * channels + ch];
          assert.ok(agrees(calc, shown), `${built.nodeOf.get(path)!.label} ${position} channel ${ch}: ${calc.value} vs ${shown}`);
          checked++;
        }
      }
    }
    const first = readPoolLayer(built, pools[0], rank(shape))!;
    assert.deepEqual(first.strides, [2, 2].slice(0, rank(shape)), 'stride as given');
    assert.deepEqual(readPoolLayer(built, pools[pools.length - 1], rank(shape))!.strides, [2, 2].slice(0, rank(shape)), 'stride defaults to size');
  }
  // Img: 5·4·4 + 5·4·4 + 2·2·4 values; Seq: 7·3 + 3·3.
  assert.equal(checked, 80 + 80 + 16 + 21 + 9);
});

function rank(shape: readonly number[]): 1 | 2 {
  return shape.length === 3 ? 2 : 1;
}

test('a NaN in the window (a diverged run) is passed over for the max, as tf.maxPool on the CPU backend', async () => {
  await tf.setBackend('cpu');
  const x = [NaN, 1, 4, 2];
  const layer: PoolCalcLayer = { kind: 'max', poolSize: [2, 2], strides: [2, 2], padding: 'valid' };
  const c = poolCalc(layer, { size: [2, 2], channels: 1, data: x }, [0, 0], 0);
  const kernel = tf.tidy(() => tf.maxPool(tf.tensor4d(x, [1, 2, 2, 1]), 2, 2, 'valid').dataSync()[0]);
  assert.equal(c.value, kernel);
  assert.equal(c.value, 4);
  assert.equal(c.argmax, 2);
});

test("explicit padding (PyTorch's): a max never reads the padding, an average counts its zeros; every value as tfjs on the padded input", () => {
  for (const kind of ['max', 'avg'] as PoolKind[]) {
    for (const [size, k, stride, padding] of [
      [[7, 6], [3, 3], [2, 2], [1]],
      [[6, 9], [3, 4], [1, 2], [1, 2]],
      [[11], [3], [2], [1]],
    ] as [number[], number[], number[], number[]][]) {
      const c = 2;
      const cells = size.reduce((a, b) => a * b, 1) * c;
      // Every value negative: a padding zero would win a max, and the mean moves if the padding is left out.
      const x = Float32Array.from(random(cells, 15), (v) => v / 2 - 0.6);
      const two = size.length === 2;
      const [kk, ss] = [two ? k : [1, k[0]], two ? stride : [1, stride[0]]] as [[number, number], [number, number]];
      const [ph, pw] = two ? [padding[0], padding[padding.length - 1]] : [0, padding[0]];
      const want = tf.tidy(() => {
        const xt = tf.pad(tf.tensor4d(x, [1, two ? size[0] : 1, two ? size[1] : size[0], c]), [[0, 0], [ph, ph], [pw, pw], [0, 0]], kind === 'max' ? -Infinity : 0);
        const y = kind === 'max' ? tf.maxPool(xt, kk, ss, 'valid') : tf.avgPool(xt, kk, ss, 'valid');
        return { h: y.shape[1], w: y.shape[2], data: y.dataSync() };
      });
      const layer: PoolCalcLayer = { kind, poolSize: k, strides: stride, padding };
      let bordered = 0;
      for (let r = 0; r < want.h; r++) {
        for (let q = 0; q < want.w; q++) {
          for (let ch = 0; ch < c; ch++) {
            const calc = poolCalc(layer, { size, channels: c, data: x }, two ? [r, q] : [q], ch);
            const label = `${kind} ${k} stride ${stride} padding ${padding} (${r}, ${q}) channel ${ch}`;
            assert.ok(Math.abs(calc.value - want.data[(r * want.w + q) * c + ch]) < 1e-6, `${label}: ${calc.value} vs ${want.data[(r * want.w + q) * c + ch]}`);
            assert.equal(calc.countsPadding, kind === 'avg', label);
            if (!calc.padded.some(Boolean)) continue;
            bordered++;
            if (kind === 'max') {
              assert.ok(calc.value < 0 && calc.padded.every((p, t) => p === Number.isNaN(calc.x[t])), `${label}: the padding is never read`);
            } else {
              assert.equal(calc.n, calc.kh * calc.kw, `${label}: the padding counts`);
              assert.ok(calc.padded.every((p, t) => !p || calc.x[t] === 0), `${label}: the padding is zeros`);
            }
          }
        }
      }
      assert.ok(bordered > 0, 'some windows lie over the padding');
    }
  }
});

test('a built model with explicit padding on its pools: readPoolLayer gives the numbers, and every value is explained', () => {
  const a = analyze(`model Img {
  input image: [9, 8, 2]
  output image -> maxpool(3, stride = 2, padding = 1) -> avgpool([3, 2], stride = 1, padding = [1, 1])
}
model Seq {
  input signal: [10, 2]
  output signal -> avgpool(3, stride = 2, padding = 1) -> maxpool(2, stride = 1, padding = 1)
}`);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  let checked = 0;
  for (const m of a.models) {
    const shape = m.inputs[0].shape.dims.map((d) => d.value!);
    const built = buildModel(tf, m, { seed: 4 });
    const acts = buildActivationModel(tf, built);
    const x = Float32Array.from(random(shape.reduce((p, v) => p * v, 1), 16), (v) => v - 1.2);
    const outs = tf.tidy(() => (acts.model.predict(tf.tensor(x, [1, ...shape])) as tf.Tensor[]).map((t) => ({ shape: t.shape, data: t.dataSync() })));
    const pools = built.layerPaths.filter((p) => isExplainedPool(built, p));
    assert.equal(pools.length, 2);
    const layers = pools.map((p) => readPoolLayer(built, p, rank(shape))!);
    assert.deepEqual(layers.map((l) => l.padding), rank(shape) === 2 ? [[1], [1, 1]] : [[1], [1]]);
    for (const path of pools) {
      const src = convInputSource(built, acts.paths, path);
      const from = src?.kind === 'layer' ? outs[acts.paths.indexOf(src.path)] : { shape: [1, ...shape], data: x };
      const out = outs[acts.paths.indexOf(path)];
      const layer = readPoolLayer(built, path, rank(shape))!;
      const input = { size: from.shape.slice(1, -1) as number[], channels: shape[shape.length - 1], data: from.data };
      const outSize = out.shape.slice(1, -1) as number[];
      const positions = outSize.reduce((p, v) => p * v, 1);
      for (let p = 0; p < positions; p++) {
        const position = outSize.length === 2 ? [Math.floor(p / outSize[1]), p % outSize[1]] : [p];
        for (let ch = 0; ch < input.channels; ch++) {
          const calc = poolCalc(layer, input, position, ch);
          const shown = out.data[p * input.channels + ch];
          assert.ok(agrees(calc, shown), `${built.nodeOf.get(path)!.label} ${position} channel ${ch}: ${calc.value} vs ${shown}`);
          checked++;
        }
      }
    }
    built.model.dispose();
  }
  // Img: 5·4·2 + 5·5·2; Seq: 5·2 + 6·2.
  assert.equal(checked, 40 + 50 + 10 + 12);
});
