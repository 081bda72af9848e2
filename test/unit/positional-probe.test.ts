// The Kernels tab's position encodings (webview/probes/positional.ts): the
// table a `positional` layer adds, as drawn (sinusoidal: the layer's own
// sine/cosine table; learned: its trained weights), capped to the first
// positions, and the cosine similarity of its rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import { buildModel, type BuiltModel } from '../../extension/core/runtime/build';
import { cosineSimilarity, MAX_POSITIONS, positionalTable } from '../../webview/probes/positional';
import { useCpuBackend } from '../fixtures/tfjs';

useCpuBackend();

function build(text: string): BuiltModel {
  const a = analyze(text);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return buildModel(tf, a.models[0], { seed: 1 });
}

function positionalLayer(built: BuiltModel) {
  const path = built.layerPaths.find((p) => built.nodeOf.get(p)?.op === 'positional');
  assert.ok(path, 'a positional layer');
  return built.layerOf.get(path)!;
}

function dispose(built: BuiltModel): void {
  for (const layer of new Set(built.layerOf.values())) layer.dispose();
}

test('sinusoidal: row p, column 2i is sin(p / 10000^(2i/d)) and 2i+1 the cos; the first 256 of 300 positions; what the layer adds', () => {
  const d = 16;
  const built = build(`model S {\n  input x: [10, ${d}]\n  output x -> positional(sinusoidal, maxlen = 300)\n}\n`);
  const layer = positionalLayer(built);
  const before = tf.memory().numTensors;
  const t = positionalTable(tf, layer)!;
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  assert.deepEqual([t.kind, t.maxlen, t.d, t.rows, t.values.length], ['sinusoidal', 300, d, MAX_POSITIONS, MAX_POSITIONS * d]);
  for (let p = 0; p < t.rows; p++) {
    for (let i = 0; i < d / 2; i++) {
      const angle = p / Math.pow(10000, (2 * i) / d);
      // float32 angles up to 255 rad: ~1e-5 off.
      assert.ok(Math.abs(t.values[p * d + 2 * i] - Math.sin(angle)) < 1e-4, `PE[${p}, ${2 * i}] = ${t.values[p * d + 2 * i]}, sin = ${Math.sin(angle)}`);
      assert.ok(Math.abs(t.values[p * d + 2 * i + 1] - Math.cos(angle)) < 1e-4, `PE[${p}, ${2 * i + 1}] = ${t.values[p * d + 2 * i + 1]}, cos = ${Math.cos(angle)}`);
    }
  }
  assert.ok(t.absMax <= 1 && t.absMax > 0.99, String(t.absMax));
  // The drawn rows are what the layer adds to its input: on zeros, its output is the first 10 rows.
  const out = tf.tidy(() => (built.model.predict(tf.zeros([1, 10, d])) as tf.Tensor).dataSync());
  for (let k = 0; k < 10 * d; k++) assert.ok(Math.abs(out[k] - t.values[k]) < 1e-6, `output[${k}] ${out[k]} ≠ table ${t.values[k]}`);
  // A shorter maxlen is read whole.
  assert.equal(positionalTable(tf, layer, 1000)!.rows, 300);
  dispose(built);
});

test('learned: the rows of the trained table, from its weights; capped to the first positions asked for', () => {
  const built = build(`model L {\n  input tokens: int[8]\n  output tokens -> embedding(10, 6) -> positional(learned, maxlen = 20)\n}\n`);
  const layer = positionalLayer(built);
  const w = Float32Array.from({ length: 20 * 6 }, (_, k) => (k % 7) - 3 + k / 1000);
  layer.setWeights([tf.tensor2d(w, [20, 6])]);
  const before = tf.memory().numTensors;
  const t = positionalTable(tf, layer)!;
  assert.deepEqual([t.kind, t.maxlen, t.d, t.rows], ['learned', 20, 6, 20]);
  assert.deepEqual(Array.from(t.values), Array.from(w));
  assert.equal(t.min, Math.min(...w));
  assert.equal(t.max, Math.max(...w));
  assert.equal(t.absMax, Math.max(...w.map(Math.abs)));
  const five = positionalTable(tf, layer, 5)!;
  assert.equal(five.rows, 5);
  assert.deepEqual(Array.from(five.values), Array.from(w.slice(0, 30)));
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  dispose(built);
});

test('cosine similarity of rows, by hand: symmetric, 1 on the diagonal, 0 for a zero row', () => {
  // Rows: (1, 0), (0, 2), (1, 1), (-3, 0), (0, 0).
  const rows = [1, 0, 0, 2, 1, 1, -3, 0, 0, 0];
  const s = Array.from(cosineSimilarity(rows, 5, 2)).map((v) => Math.round(v * 1e6) / 1e6);
  const r = Math.round(Math.SQRT1_2 * 1e6) / 1e6;
  assert.deepEqual(s, [
    [1, 0, r, -1, 0],
    [0, 1, r, 0, 0],
    [r, r, 1, -r, 0],
    [-1, 0, -r, 1, 0],
    [0, 0, 0, 0, 0],
  ].flat());
});

test('sinusoidal rows: similarity depends only on distance (equal along diagonals) and falls off near the diagonal', () => {
  const d = 64;
  const built = build(`model S {\n  input x: [10, ${d}]\n  output x -> positional(maxlen = 128)\n}\n`);
  const t = positionalTable(tf, positionalLayer(built))!;
  const n = t.rows;
  const s = cosineSimilarity(t.values, n, d);
  for (let p = 0; p + 1 < n; p += 7) {
    for (let q = 0; q + 1 < n; q += 5) assert.ok(Math.abs(s[p * n + q] - s[(p + 1) * n + q + 1]) < 1e-3, `(${p}, ${q}) vs (${p + 1}, ${q + 1})`);
  }
  // cos-sim(p, p + k) = (2/d) Σ cos(ω_i k): from position 40, the same at any start.
  const at = (k: number) => s[40 * n + 40 + k];
  assert.ok(at(0) > at(1) && at(1) > at(2) && at(2) > at(4) && at(4) > at(8), [0, 1, 2, 4, 8].map(at).join(', '));
  const byHand = (k: number) => (2 / d) * Array.from({ length: d / 2 }, (_, i) => Math.cos(k / Math.pow(10000, (2 * i) / d))).reduce((a, b) => a + b, 0);
  for (const k of [1, 3, 10, 50]) assert.ok(Math.abs(at(k) - byHand(k)) < 1e-3, `distance ${k}: ${at(k)} vs ${byHand(k)}`);
  dispose(built);
});

test('GPT-2 size, learned maxlen 1024 × 768: reads and compares only the first 256 positions', () => {
  const built = build(`model G {\n  input tokens: int[8]\n  output tokens -> embedding(4, 768) -> positional(learned, maxlen = 1024)\n}\n`);
  const layer = positionalLayer(built);
  const start = performance.now();
  const t = positionalTable(tf, layer)!;
  const s = cosineSimilarity(t.values, t.rows, t.d);
  const ms = performance.now() - start;
  assert.deepEqual([t.maxlen, t.d, t.rows, t.values.length, s.length], [1024, 768, 256, 256 * 768, 256 * 256]);
  const w = layer.getWeights()[0].dataSync();
  assert.deepEqual(Array.from(t.values.slice(255 * 768)), Array.from(w.slice(255 * 768, 256 * 768)), 'row 255 of the weights');
  console.log(`# table + similarity of 256 of 1024 positions × 768: ${ms.toFixed(0)} ms`);
  dispose(built);
});
