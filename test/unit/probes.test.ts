import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import type { ModelInfo } from '../../extension/core/analysis/types';
import { buildActivationModel, buildModel, type BuiltModel } from '../../extension/core/runtime/build';
import { attentionLayers, attentionMaps, attentionSources } from '../../webview/probes/attention';
import { uniformHeads, untrainedAttentionText } from '../../webview/views/attentionModel';
import { featureMapLayers, featureMaps } from '../../webview/probes/featureMaps';
import { fitTokens, imageInput, signalInput } from '../../webview/probes/input';
import { kernelHeaderParts, kernels } from '../../webview/probes/kernels';
import { formatRange, formatSigned } from '../../webview/probes/colormap';
import { useCpuBackend } from '../fixtures/tfjs';

useCpuBackend();

function modelOf(text: string): ModelInfo {
  const a = analyze(text);
  const errors = a.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors.map((d) => `${d.code}: ${d.message}`), []);
  return a.models[0];
}

function build(text: string): BuiltModel {
  return buildModel(tf, modelOf(text), { seed: 1 });
}

/** The path of the only node applying registry layer `op`. */
function pathOf(built: BuiltModel, op: string, nth = 0): string {
  const paths = built.layerPaths.filter((p) => built.nodeOf.get(p)?.op === op);
  assert.ok(paths[nth], `no ${op} #${nth}`);
  return paths[nth];
}

function disposeModel(built: BuiltModel): void {
  for (const layer of new Set(built.layerOf.values())) layer.dispose();
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5, what = ''): void {
  assert.equal(actual.length, expected.length, `${what} length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} ≠ ${expected[i]}`);
  }
}

test('feature maps of a conv2d with known kernels on a known 5×5 image, and of the max pooling after it', () => {
  const built = build(`model M {
    input x: [5, 5, 1]
    output x -> conv2d(2, 3) -> maxpool(2) -> flatten -> dense(2)
  }`);
  const conv = pathOf(built, 'conv2d');
  const pool = pathOf(built, 'maxpool');
  // Filter 0: Sobel-x with bias 0.5; filter 1: 3×3 box average, no bias.
  const sobel = [1, 0, -1, 2, 0, -2, 1, 0, -1];
  const kernel = new Float32Array(18);
  for (let i = 0; i < 9; i++) {
    kernel[i * 2] = sobel[i];
    kernel[i * 2 + 1] = 1 / 9;
  }
  built.layerOf.get(conv)!.setWeights([tf.tensor4d(kernel, [3, 3, 1, 2]), tf.tensor1d([0.5, 0])]);
  const activations = buildActivationModel(tf, built);
  assert.deepEqual(
    featureMapLayers(built).map((l) => [l.node.op, l.kind]),
    [
      ['conv2d', 'grid'],
      ['maxpool', 'grid'],
    ],
  );
  // Image: pixel (y, x) = 5y + x, a ramp rising by 1 to the right.
  const image = tf.tensor4d(Float32Array.from({ length: 25 }, (_, i) => i), [1, 5, 5, 1]);
  const before = tf.memory().numTensors;
  const maps = featureMaps(tf, activations, image, [conv, pool]);
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  const [c, p] = maps;
  assert.equal(c.kind, 'grid');
  assert.deepEqual([c.height, c.width, c.channels], [3, 3, 2]);
  // Sobel-x on a ramp of slope 1: (1 + 2 + 1) · (v(x) − v(x + 2)) = −8, plus the bias.
  close(c.data.subarray(0, 9), Array(9).fill(-7.5), 1e-5, 'sobel');
  // The box average of a linear ramp is its centre value 5(y + 1) + (x + 1).
  close(c.data.subarray(9, 18), [6, 7, 8, 11, 12, 13, 16, 17, 18], 1e-4, 'box');
  close(c.min, [-7.5, 6], 1e-4, 'min');
  close(c.max, [-7.5, 18], 1e-4, 'max');
  // maxpool(2) on the 3×3 maps keeps the top-left 2×2 window.
  assert.deepEqual([p.height, p.width, p.channels], [1, 1, 2]);
  close(p.data, [-7.5, 12], 1e-4, 'pool');
  tf.dispose(image);
  disposeModel(built);
});

test('1-D convolutions give heat strips, one row per channel', () => {
  const built = build(`model S {
    input x: [6, 1]
    output x -> conv1d(2, 2, padding = causal)
  }`);
  const conv = pathOf(built, 'conv1d');
  // Filter 0: x[t] − x[t−1]; filter 1: x[t−1] (kernel [k, cin, cout], k = 0 is the earlier tap).
  built.layerOf.get(conv)!.setWeights([tf.tensor3d([-1, 1, 1, 0], [2, 1, 2]), tf.tensor1d([0, 0])]);
  const activations = buildActivationModel(tf, built);
  assert.deepEqual(featureMapLayers(built).map((l) => l.kind), ['strip']);
  const x = tf.tensor3d([1, 4, 9, 16, 25, 36], [1, 6, 1]);
  const [strip] = featureMaps(tf, activations, x, [conv]);
  assert.equal(strip.kind, 'strip');
  assert.deepEqual([strip.height, strip.width, strip.channels], [1, 6, 2]);
  // Causal padding: the step before the first is 0.
  close(strip.data, [1, 3, 5, 7, 9, 11, 0, 1, 4, 9, 16, 25], 1e-5);
  close(strip.min, [1, 0]);
  close(strip.max, [11, 25]);
  tf.dispose(x);
  disposeModel(built);
});

test('kernels: first-layer filters as images, deeper ones as grids per (out, in) pair', () => {
  const built = build(`model K {
    input x: [8, 8, 1]
    output x -> conv2d(2, [2, 3]) -> conv2d(3, 1)
  }`);
  const first = built.layerOf.get(pathOf(built, 'conv2d', 0))!;
  const second = built.layerOf.get(pathOf(built, 'conv2d', 1))!;
  // Kernel [kh=2, kw=3, cin=1, cout=2]: value 10·out + (3·y + x) − 5 ... so filter 1 is filter 0 + 10.
  const k = new Float32Array(12);
  for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) for (let o = 0; o < 2; o++) k[(y * 3 + x) * 2 + o] = 10 * o + 3 * y + x - 5;
  first.setWeights([tf.tensor4d(k, [2, 3, 1, 2]), tf.tensor1d([0, 0])]);
  const before = tf.memory().numTensors;
  const img = kernels(tf, first, { asImages: true })!;
  assert.equal(img.kind, 'image');
  assert.deepEqual([img.kh, img.kw, img.cin, img.cout], [2, 3, 1, 2]);
  close(img.weights, [-5, -4, -3, -2, -1, 0, 5, 6, 7, 8, 9, 10]);
  assert.equal(img.absMax, 10);
  // Pixels: 0.5 + 0.5·w/absMax, zero at mid-grey.
  close(img.images!, [0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.75, 0.8, 0.85, 0.9, 0.95, 1]);
  const grid = kernels(tf, second)!;
  assert.equal(grid.kind, 'grid');
  assert.deepEqual([grid.kh, grid.kw, grid.cin, grid.cout], [1, 1, 2, 3]);
  const w = second.getWeights()[0].dataSync(); // [1, 1, cin=2, cout=3]
  close(grid.weights, [w[0], w[3], w[1], w[4], w[2], w[5]], 0, 'grid [out][in]');
  // Two input channels are no picture even when asked.
  assert.equal(kernels(tf, second, { asImages: true })!.kind, 'grid');
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  disposeModel(built);
});

/** softmax(QKᵀ/√d) rows by hand, −∞ above the diagonal when causal. */
function attentionByHand(q: number[][], k: number[][], causal: boolean): number[] {
  const out: number[] = [];
  const d = q[0].length;
  for (let i = 0; i < q.length; i++) {
    const scores = k.map((kj, j) => (causal && j > i ? -Infinity : q[i].reduce((s, v, t) => s + v * kj[t], 0) / Math.sqrt(d)));
    const m = Math.max(...scores);
    const e = scores.map((s) => Math.exp(s - m));
    const z = e.reduce((a, b) => a + b, 0);
    out.push(...e.map((v) => v / z));
  }
  return out;
}

/** Identity projections, zero biases: Q = K = V = x. */
function identityAttention(built: BuiltModel, path: string, d: number): void {
  const eye = tf.eye(d);
  const zero = tf.zeros([d]);
  built.layerOf.get(path)!.setWeights([eye, zero, eye, zero, eye, zero, eye, zero]);
  tf.dispose([eye, zero]);
}

test('attention maps equal softmax(QKᵀ/√d) by hand, with zeros above the diagonal when causal', () => {
  const built = build(`model A {
    input x: [3, 2]
    output x -> attention(1, causal = true)
  }`);
  const path = pathOf(built, 'attention');
  identityAttention(built, path, 2);
  const rows = [
    [1, 0],
    [0, 1],
    [1, 1],
  ];
  const x = tf.tensor3d([rows]);
  const before = tf.memory().numTensors;
  const [map] = attentionMaps(tf, built.model, built, x);
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind, none kept by the layer');
  assert.equal(attentionLayers(built)[0].layer.keepAttention, false);
  assert.deepEqual([map.path, map.heads, map.queries, map.keys, map.causal, map.cross], [path, 1, 3, 3, true, false]);
  close(map.data, attentionByHand(rows, rows, true), 1e-5);
  // Row 0 sees only itself; row 1: softmax([0, 1/√2]).
  close(map.data.subarray(0, 3), [1, 0, 0]);
  const e = Math.exp(1 / Math.SQRT2);
  close(map.data.subarray(3, 6), [1 / (1 + e), e / (1 + e), 0]);
  tf.dispose(x);
  disposeModel(built);
});

test('attention maps per head: two heads of one dimension each, no mask', () => {
  const built = build(`model H {
    input x: [3, 2]
    output x -> attention(2)
  }`);
  const path = pathOf(built, 'attention');
  identityAttention(built, path, 2);
  const rows = [
    [1, -1],
    [2, 0],
    [0, 3],
  ];
  const x = tf.tensor3d([rows]);
  const [map] = attentionMaps(tf, built.model, built, x);
  assert.deepEqual([map.heads, map.queries, map.keys, map.causal], [2, 3, 3, false]);
  // Head h sees dimension h only (key_dim = 1).
  for (const h of [0, 1]) {
    const col = rows.map((r) => [r[h]]);
    close(map.data.subarray(h * 9, h * 9 + 9), attentionByHand(col, col, false), 1e-5, `head ${h}`);
  }
  tf.dispose(x);
  disposeModel(built);
});

test('cross-attention: queries from one input, keys from the context; sources traced to the model inputs', () => {
  const text = `model C {
    input memory: [4, 2]
    input target: [2, 2]
    output target -> attention(1, context = memory)
  }`;
  const info = modelOf(text);
  const built = buildModel(tf, info, { seed: 1 });
  const path = pathOf(built, 'attention');
  identityAttention(built, path, 2);
  const mem = [
    [1, 0],
    [0, 1],
    [1, 1],
    [-1, 0],
  ];
  const tgt = [
    [2, 0],
    [0, 1],
  ];
  const inputs = [tf.tensor3d([mem]), tf.tensor3d([tgt])];
  const [map] = attentionMaps(tf, built.model, built, inputs);
  assert.deepEqual([map.queries, map.keys, map.cross, map.causal], [2, 4, true, false]);
  close(map.data, attentionByHand(tgt, mem, false), 1e-5);
  assert.deepEqual(attentionSources(info.graph).get(path), { query: 1, key: 0 });
  tf.dispose(inputs);
  disposeModel(built);
});

test('attention sources inside repeated blocks follow the block inputs', () => {
  const info = modelOf(`block dec(dim, heads) {
    input x
    input memory
    x = x + x -> attention(heads, causal = true)
    output x + x -> attention(heads, context = memory)
  }
  model T {
    input source: int[5]
    input target: int[3]
    emb = embedding(16, 8)
    memory = source -> emb
    output target -> emb -> dec(8, 2, memory = memory) * 2
  }`);
  const sources = [...attentionSources(info.graph).values()];
  assert.equal(sources.length, 4, 'two attentions in each of two repetitions');
  assert.deepEqual(sources, [
    { query: 1, key: 1 },
    { query: 1, key: 0 },
    { query: 1, key: 1 },
    { query: 1, key: 0 },
  ]);
  const built = buildModel(tf, info, { seed: 2 });
  assert.deepEqual([...attentionSources(info.graph).keys()], attentionLayers(built).map((l) => l.path));
  const inputs = [tf.tensor2d([[1, 2, 3, 4, 5]], undefined, 'int32'), tf.tensor2d([[6, 7, 8]], undefined, 'int32')];
  const maps = attentionMaps(tf, built.model, built, inputs);
  assert.deepEqual(maps.map((m) => [m.queries, m.keys, m.causal]), [
    [3, 3, true],
    [3, 5, false],
    [3, 3, true],
    [3, 5, false],
  ]);
  for (const m of maps) {
    for (let r = 0; r < m.heads * m.queries; r++) {
      const row = m.data.subarray(r * m.keys, (r + 1) * m.keys);
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5, 'rows sum to 1');
      if (m.causal) for (let j = (r % m.queries) + 1; j < m.keys; j++) assert.ok(row[j] < 1e-6, 'masked cell');
    }
  }
  tf.dispose(inputs);
  disposeModel(built);
});

test('padding masks: a self-attention with pad_mask is drawn as self-attention, its padded key columns empty; the ids are no context', () => {
  const info = modelOf(`model P {
    input source: int[4]
    input target: int[3]
    memory = source -> embedding(16, 8)
    x = target -> embedding(16, 8)
    x = x + x -> attention(2, causal = true, pad_mask = target)
    output x + x -> attention(2, context = memory, pad_mask = source)
  }`);
  // The ids are each attention's last input; the keys still follow the input (self) or the context (cross).
  assert.deepEqual([...attentionSources(info.graph).values()], [
    { query: 1, key: 1 },
    { query: 1, key: 0 },
  ]);
  const built = buildModel(tf, info, { seed: 3 });
  const inputs = [tf.tensor2d([[5, 6, 0, 0]], undefined, 'int32'), tf.tensor2d([[0, 7, 8]], undefined, 'int32')];
  const [self, cross] = attentionMaps(tf, built.model, built, inputs);
  assert.deepEqual([self.queries, self.keys, self.causal, self.cross], [3, 3, true, false]);
  assert.deepEqual([cross.queries, cross.keys, cross.causal, cross.cross], [3, 4, false, true]);
  for (let h = 0; h < 2; h++) {
    // Target position 0 is padding: hidden from queries 1 and 2 (query 0 reads only padding and keeps a row summing to 1).
    for (const q of [1, 2]) assert.ok(self.data[(h * 3 + q) * 3] < 1e-6, `self head ${h} query ${q} reads the padding`);
    // Source positions 2 and 3 are padding: no query reads them.
    for (let q = 0; q < 3; q++) {
      const row = cross.data.subarray((h * 3 + q) * 4, (h * 3 + q + 1) * 4);
      assert.ok(row[2] < 1e-6 && row[3] < 1e-6, `cross head ${h} query ${q} reads the padding`);
      assert.ok(Math.abs(row[0] + row[1] - 1) < 1e-5);
    }
  }
  tf.dispose(inputs);
  disposeModel(built);
});

test('image inputs: scaled, converted between grey and RGB, resized to the model input', () => {
  // A 2×2 RGBA image (as ImageData gives it).
  const rgba = new Uint8ClampedArray([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 255, 255, 255]);
  const before = tf.memory().numTensors;
  const grey = imageInput(tf, { width: 2, height: 2, data: rgba }, [2, 2, 1]);
  close(grey.dataSync(), [0.299, 0.587, 0.114, 1], 1e-3);
  const rgb = imageInput(tf, { width: 2, height: 2, data: rgba }, [2, 2, 3]);
  close(rgb.dataSync(), [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1], 1e-6);
  const big = imageInput(tf, { width: 2, height: 2, channels: 1, data: new Float32Array([0, 1, 0, 1]) }, [4, 4, 3]);
  assert.deepEqual(big.shape, [1, 4, 4, 3]);
  const v = big.dataSync();
  assert.equal(v[0], 0);
  assert.equal(v[(0 * 4 + 3) * 3], 1);
  const flexible = imageInput(tf, { width: 2, height: 2, data: rgba }, [null, null, 1]);
  assert.deepEqual(flexible.shape, [1, 2, 2, 1]);
  const signal = signalInput(tf, { width: 2, height: 2, channels: 1, data: new Float32Array([0, 1, 2, 3]).map((x) => x / 3) }, [7, 2]);
  assert.deepEqual(signal.shape, [1, 7, 2]);
  close(signal.dataSync(), [0, 0, 0.5 / 3, 0.5 / 3, 1 / 3, 1 / 3, 1.5 / 3, 1.5 / 3, 2 / 3, 2 / 3, 2.5 / 3, 2.5 / 3, 1, 1], 1e-5);
  tf.dispose([grey, rgb, big, flexible, signal]);
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(fitTokens([1, 2, 3], 5), [1, 2, 3, 0, 0]);
  assert.deepEqual(fitTokens([1, 2, 3], 2), [1, 2]);
});

test('untrained attention: heads over the small initial embedding are nearly uniform (the view says why they look flat); others are not', () => {
  // As in TransformerBase and TinyTransformer: attention straight over the embedding, whose small initial vectors make every
  // score about equal (each weight ≈ 1/n); after a layernorm the initial scores differ, and those heads are not flat.
  const text = `model TinyLM {
  input tokens: int[12]
  h = tokens -> embedding(40, 32)
  h = h + h -> attention(4, causal = true)
  h = h + h -> layernorm -> attention(2)
  output h -> dense(40)
}`;
  const built = build(text);
  const x = tf.tensor2d([[1, 5, 9, 2, 7, 3, 3, 8, 0, 4, 6, 1]], [1, 12], 'int32');
  const [flat, normed] = attentionMaps(tf, built.model, built, x);
  assert.deepEqual([flat.causal, flat.heads, normed.causal, normed.heads], [true, 4, false, 2]);
  assert.deepEqual(uniformHeads(flat), [0, 1, 2, 3], 'every head over the embedding');
  assert.deepEqual(uniformHeads(normed), [], 'no head after the layernorm');
  assert.equal(untrainedAttentionText(normed, 0, false), undefined);
  assert.equal(
    untrainedAttentionText(flat, 4, false),
    'Untrained: attention is nearly uniform in every head (each query gives ≈1/n to each of the n tokens it sees: itself and those before it); train the model or load weights to see patterns.',
  );
  // Not causal: the share is one number. One head of the flat map made to look at one token: the note counts the others.
  const open = { ...flat, causal: false, heads: 2, data: new Float32Array(2 * 12 * 12).fill(1 / 12) };
  assert.match(untrainedAttentionText(open, 2, false)!, /in every head \(each of the 12 tokens gets ≈1\/12 ≈ 0\.083\)/);
  for (let i = 0; i < 12; i++) for (let j = 0; j < 12; j++) open.data[(12 + i) * 12 + j] = j === 0 ? 0.89 : 0.01;
  assert.deepEqual(uniformHeads(open), [0]);
  assert.match(untrainedAttentionText(open, 1, true)!, /in 1 of 2 heads.*With each head’s colours stretched to its largest weight, the scale stretches the small differences/);
  tf.dispose(x);
  disposeModel(built);
});

test('a kernel header is parts kept whole (the call, the filters, the range), signed with a true minus', () => {
  assert.deepEqual(kernelHeaderParts({ kh: 3, kw: 3, cin: 1, cout: 8, min: -0.47991, max: 0.53214 }), ['8 filters of 3×3×1', 'weights \u22120.4799 … 0.5321']);
  assert.deepEqual(kernelHeaderParts({ kh: 1, kw: 5, cin: 2, cout: 1, min: -1.5e-5, max: 0 }), ['1 filter of 5×2', 'weights \u22121.50e\u22125 … 0']);
  assert.deepEqual([-0.1372, 0.1372, 0, -2.5e-7].map(formatSigned), ['\u22120.1372', '0.1372', '0', '\u22122.50e\u22127']);
  // The QA case: both ends in one formatting, the same decimals, not "−0.2352 … 0.27".
  assert.deepEqual(kernelHeaderParts({ kh: 5, kw: 5, cin: 1, cout: 6, min: -0.23519, max: 0.27 })[1], 'weights \u22120.2352 … 0.2700');
  assert.equal(formatRange(-0.5, 12.25), '\u22120.50 … 12.25');
  assert.equal(formatRange(-0.00001, 0.5), '0.0000 … 0.5000', 'an end that rounds to zero has no minus');
  assert.equal(formatRange(-3e-5, 4e-4), '\u22123.00e\u22125 … 4.00e\u22124');
  assert.equal(formatRange(-2e4, 10), '\u22122.00e+4 … 1.00e+1');
  assert.equal(formatRange(0, 0), '0 … 0');
});
