// Head ablation for the attention view: switching heads off zeroes their
// output before the output projection (the layer's `ablatedHeads`, set by
// webview/probes/ablation.ts only for one call), checked against the
// computation written out by hand, and against the intact model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import type { ModelInfo } from '../../extension/core/analysis/types';
import { buildModel, type BuiltModel } from '../../extension/core/runtime/build';
import { attentionLayers, attentionMaps } from '../../webview/probes/attention';
import { ablatedOutput, ablationKey, ablationPass, headsOff, IntactOutput, validAblation, withHeadsOff } from '../../webview/probes/ablation';
import { greedyDecode } from '../../webview/probes/decode';
import { answerText, deltaText, headsOffList, headsOffPhrase, headsOffText, leftTop, outputChange, outputChangeText, wasText } from '../../webview/views/ablationModel';
import { useCpuBackend } from '../fixtures/tfjs';

useCpuBackend();

function modelOf(text: string): ModelInfo {
  const a = analyze(text);
  const errors = a.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors.map((d) => `${d.code}: ${d.message}`), []);
  return a.models[0];
}

function build(text: string): BuiltModel {
  return buildModel(tf, modelOf(text), { seed: 7 });
}

function disposeModel(built: BuiltModel): void {
  for (const layer of new Set(built.layerOf.values())) layer.dispose();
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what = ''): void {
  assert.equal(actual.length, expected.length, `${what} length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} ≠ ${expected[i]}`);
  }
}

/** A deterministic pseudo-random sequence in [-1, 1). */
function values(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

/** Row-major `[rows, cols]` matrix times `[cols, n]` matrix, plus a bias of n. */
function affine(x: number[], rows: number, cols: number, w: ArrayLike<number>, n: number, b: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < n; j++) {
      let s = b[j];
      for (let t = 0; t < cols; t++) s += x[i * cols + t] * w[t * n + j];
      out.push(s);
    }
  }
  return out;
}

/**
 * Multi-head self-attention written out: Q, K, V projections, per head
 * softmax(q·kᵀ/√k) (causal: keys after the query left out), the weighted
 * values, the heads in `off` replaced by zeros in the concatenation, then
 * the output projection.
 */
function attentionByHand(x: number[], t: number, d: number, heads: number, causal: boolean, weights: Float32Array[], off: ReadonlySet<number>): number[] {
  const [wq, bq, wk, bk, wv, bv, wo, bo] = weights;
  const hk = wq.length / d;
  const kd = hk / heads;
  const q = affine(x, t, d, wq, hk, bq);
  const k = affine(x, t, d, wk, hk, bk);
  const v = affine(x, t, d, wv, hk, bv);
  const merged = new Array<number>(t * hk).fill(0);
  for (let h = 0; h < heads; h++) {
    if (off.has(h)) continue;
    for (let i = 0; i < t; i++) {
      const seen = causal ? i + 1 : t;
      const scores: number[] = [];
      for (let j = 0; j < seen; j++) {
        let s = 0;
        for (let c = 0; c < kd; c++) s += q[i * hk + h * kd + c] * k[j * hk + h * kd + c];
        scores.push(s / Math.sqrt(kd));
      }
      const m = Math.max(...scores);
      const e = scores.map((s) => Math.exp(s - m));
      const z = e.reduce((a, b) => a + b, 0);
      for (let c = 0; c < kd; c++) {
        let s = 0;
        for (let j = 0; j < seen; j++) s += (e[j] / z) * v[j * hk + h * kd + c];
        merged[i * hk + h * kd + c] = s;
      }
    }
  }
  return affine(merged, t, hk, wo, d, bo);
}

const ONE_LAYER = `model A {
  input x: [5, 6]
  output x -> attention(3, causal = true)
}`;

test('switching heads off equals the attention written out by hand with those heads’ slices zeroed before the output projection', () => {
  const built = build(ONE_LAYER);
  const [{ path, layer }] = attentionLayers(built);
  // Random biases too: the output bias must stay, the ablated heads' value biases must go.
  const current = layer.getWeights();
  const fresh = current.map((w, i) => tf.tensor(values(w.size, 11 + i), w.shape));
  layer.setWeights(fresh);
  tf.dispose(fresh);
  const weights = layer.getWeights().map((w) => Float32Array.from(w.dataSync()));
  const xs = values(5 * 6, 3);
  const x = tf.tensor3d(xs, [1, 5, 6]);
  const cases: number[][] = [[], [0], [1], [2], [0, 2], [0, 1, 2]];
  for (const heads of cases) {
    const off = new Set(heads);
    const got = ablatedOutput(tf, built.model, built, x, new Map([[path, off]]))!;
    close(got, attentionByHand(xs, 5, 6, 3, true, weights, off), 1e-5, `heads off [${heads}]`);
  }
  // Every head off: only the output bias is left, at every position.
  const none = ablatedOutput(tf, built.model, built, x, new Map([[path, new Set([0, 1, 2])]]))!;
  close(none, Array.from({ length: 5 }, () => [...weights[7]]).flat(), 0, 'bias only');
  assert.deepEqual(layer.ablatedHeads, [], 'switched on again afterwards');
  tf.dispose(x);
  disposeModel(built);
});

const GPT = `block blk(dim, heads) {
  input x
  x = x + x -> layernorm -> attention(heads, causal = true)
  output x + x -> layernorm -> dense(dim * 2, activation = gelu) -> dense(dim)
}
model G {
  input tokens: int[6]
  wte = embedding(20, 8)
  output tokens -> wte -> positional(learned, maxlen = 6) -> blk(8, 2) * 2 -> layernorm -> unembed(wte) -> softmax
}`;

test('in a small GPT, a head switched off equals the same model with that head’s rows of W_o zeroed; no head off equals the model exactly; nothing leaks', () => {
  const built = build(GPT);
  const layers = attentionLayers(built);
  assert.equal(layers.length, 2);
  const x = tf.tensor2d([[1, 5, 2, 9, 3, 7]], [1, 6], 'int32');
  const predict = () => tf.tidy(() => Float32Array.from((built.model.predict(x) as tf.Tensor).dataSync()));
  const intact = predict();

  // No head off: the model's own output, bit for bit, also through the maps pass.
  const before = tf.memory().numTensors;
  assert.deepEqual(ablatedOutput(tf, built.model, built, x, new Map()), intact);
  let read: Float32Array | undefined;
  withHeadsOff(built, new Map(), () => attentionMaps(tf, built.model, built, x, (out) => (read = Float32Array.from(out.dataSync()))));
  assert.deepEqual(read, intact);

  // Head 2 of layer 2 off.
  const { path, layer } = layers[1];
  const ablated = ablatedOutput(tf, built.model, built, x, new Map([[path, new Set([1])]]))!;
  const maps = withHeadsOff(built, new Map([[path, new Set([1])]]), () => attentionMaps(tf, built.model, built, x, (out) => (read = Float32Array.from(out.dataSync()))));
  assert.equal(maps.length, 2, 'the heatmaps of the ablated model');
  assert.deepEqual(read, ablated, 'the maps pass reads the same ablated output');
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  assert.ok(outputChange(ablated, intact).maxAbs > 1e-4, 'switching a head off changes the output');
  assert.deepEqual(predict(), intact, 'the model is intact again afterwards');
  assert.deepEqual(layer.ablatedHeads, []);

  // The same by weights: zero rows 4..7 (head 2 of key_dim 4) of that layer's output kernel.
  const saved = layer.getWeights().map((w) => w.clone());
  const wo = saved[6];
  const rows = Array.from({ length: 8 }, (_, r) => (r >= 4 ? 0 : 1));
  const zeroed = tf.tidy(() => tf.mul(wo, tf.tensor2d(rows, [8, 1])));
  layer.setWeights([...saved.slice(0, 6), zeroed, saved[7]]);
  close(predict(), ablated, 1e-6, 'W_o rows zeroed');
  layer.setWeights(saved);
  tf.dispose([...saved, zeroed]);
  assert.deepEqual(predict(), intact);
  tf.dispose(x);
  disposeModel(built);
});

test('heads are switched on again when the call throws; unknown layers and heads are refused before anything is switched', () => {
  const built = build(GPT);
  const [first, second] = attentionLayers(built);
  assert.throws(
    () =>
      withHeadsOff(built, new Map([[first.path, new Set([0])]]), () => {
        assert.deepEqual(first.layer.ablatedHeads, [0]);
        throw new Error('boom');
      }),
    /boom/,
  );
  assert.deepEqual(first.layer.ablatedHeads, []);
  assert.throws(() => withHeadsOff(built, new Map([['nowhere', new Set([0])]]), () => 1), /no attention layer at node nowhere/);
  assert.throws(() => withHeadsOff(built, new Map([[first.path, new Set([0])], [second.path, new Set([2])]]), () => 1), /cannot switch off head 2/);
  assert.deepEqual([first.layer.ablatedHeads, second.layer.ablatedHeads], [[], []], 'a refused set switches nothing');
  assert.throws(() => (second.layer.ablatedHeads = [0.5]), /cannot switch off head 0.5/);
  // A model edited to lose a layer or heads keeps only what still exists.
  const kept = validAblation(built, new Map([[first.path, new Set([1, 5])], ['nowhere', new Set([0])], [second.path, new Set()]]));
  assert.deepEqual([...kept].map(([p, hs]) => [p, [...hs]]), [[first.path, [1]]]);
  assert.equal(headsOff(new Map([[first.path, new Set([0, 1])], [second.path, new Set([1])]])), 3);
  // Not part of the layer's config: never saved or exported.
  first.layer.ablatedHeads = [1];
  assert.equal('ablatedHeads' in first.layer.getConfig(), false);
  first.layer.ablatedHeads = [];
  disposeModel(built);
});

test('the texts of the ablation bar and of each row’s change', () => {
  assert.equal(headsOffText(1), '1 head off');
  assert.equal(headsOffText(3), '3 heads off');
  const off = new Map([
    ['9/0#1/2', new Set([3, 0])],
    ['9/0#0/2', new Set([1])],
  ]);
  assert.equal(headsOffList(off, ['9/0#0/2', '9/0#1/2']), 'layer 1: head 2; layer 2: heads 1, 4');
  assert.equal(deltaText(0.5, 0.468), '+3.2 pp');
  assert.equal(deltaText(0.1, 0.104), '−0.4 pp');
  assert.equal(deltaText(0.1, 0.1), '±0 pp');
  assert.equal(deltaText(0.10001, 0.1), '+<0.1 pp');
  assert.equal(deltaText(0.09999, 0.1), '−<0.1 pp');
  assert.equal(wasText(0.12), 'was 12 % with every head on');
  // Token 2 was second and drops out of the top 2 once the heads are off.
  assert.deepEqual(leftTop([0.5, 0.3, 0.1, 0.1], [0.4, 0.1, 0.35, 0.15], 2), [{ index: 2, p: 0.1, p0: 0.35 }]);
  const c = outputChange([1, 2, 2], [1, 2, 0]);
  assert.deepEqual(c, { maxAbs: 2, relative: 2 / Math.sqrt(5) });
  assert.equal(outputChangeText('[4, 8]', c), 'output [4, 8] changed: largest change 2, ‖Δ‖/‖y‖ = 89 %');
  assert.equal(outputChangeText('[4]', outputChange([1, 2], [1, 2])), 'output [4] unchanged');
});

test('the switched-off heads are kept for the same attention layers only: an edit that moves them changes the key', () => {
  const text = (before: string) => `model M {
  input t: int[seq]
  h = t -> embedding(20, 8)${before}
  output h -> attention(2, causal = true) -> attention(4, causal = true) -> dense(20)
}
`;
  const key = (src: string) => {
    const built = build(src);
    try {
      return ablationKey('M', attentionLayers(built));
    } finally {
      disposeModel(built);
    }
  };
  const plain = key(text(''));
  // Rebuilt (every keystroke rebuilds the page's model): the same layers, the same key.
  assert.equal(key(text('')), plain);
  // A layer inserted before them renumbers the attention layers' paths: heads switched off would land elsewhere.
  assert.notEqual(key(text(' -> layernorm')), plain);
  // A head count changed: another key too.
  assert.notEqual(key(text('').replace('attention(2,', 'attention(4,')), plain);
});

/** A small encoder-decoder over ids (the attention view's Decode): self-attention, then cross-attention to the source. */
const SEQ2SEQ = `model S {
  input source: int[src_len]
  input target: int[tgt_len]
  e = embedding(12, 16)
  memory = source -> e -> positional(learned, maxlen = 16)
  output target -> e -> positional(learned, maxlen = 16)
                -> attention(2, causal = true) -> layernorm
                -> attention(2, context = memory) -> dense(12) -> softmax
}`;

/** Greedy decoding written out with `ablatedOutput` (the model the view's heatmaps and output strip show): each pass's last position's most likely token. */
function decodeByHand(built: BuiltModel, source: number[], length: number, off: Map<string, Set<number>>): { decoderInput: number[]; answer: number[] } {
  const decoderInput = [0];
  for (;;) {
    const src = tf.tensor2d([source], [1, source.length], 'int32');
    const tgt = tf.tensor2d([decoderInput], [1, decoderInput.length], 'int32');
    const probs = ablatedOutput(tf, built.model, built, [src, tgt], off)!;
    tf.dispose([src, tgt]);
    const answer = Array.from({ length: decoderInput.length }, (_, t) => {
      const row = Array.from(probs.subarray(t * 12, (t + 1) * 12));
      return row.indexOf(Math.max(...row));
    });
    if (decoderInput.length >= length) return { decoderInput, answer };
    decoderInput.push(answer[answer.length - 1]);
  }
}

test('Decode with heads off decodes with the model the view shows (those heads off), not the intact one, and says so', () => {
  const built = build(SEQ2SEQ);
  // Initial weights answer the same token everywhere: random ones in [-1, 1) give answers that depend on the source.
  let seed = 100;
  for (const layer of new Set(built.layerOf.values())) {
    const fresh = layer.getWeights().map((w) => tf.tensor(values(w.size, seed++), w.shape));
    layer.setWeights(fresh);
    tf.dispose(fresh);
  }
  const layers = attentionLayers(built);
  assert.equal(layers.length, 2);
  const source = [3, 1, 4, 1, 5, 9];
  const order = layers.map((l) => l.path);
  // Both heads of the cross-attention off: the decoder no longer reads the source.
  const off = new Map([[layers[1].path, new Set([0, 1])]]);
  const intact = decodeByHand(built, source, 6, new Map());
  const ablated = decodeByHand(built, source, 6, off);
  assert.notDeepEqual(ablated.answer, intact.answer, 'precondition: switching those heads off changes the greedy answer');
  assert.deepEqual(greedyDecode(tf, built.model, source, 0, 6), intact, 'no ablation: the intact model');
  assert.deepEqual(greedyDecode(tf, built.model, source, 0, 6, { built, off: new Map() }), intact, 'no head off: the intact model');
  const tensors = tf.memory().numTensors;
  assert.deepEqual(greedyDecode(tf, built.model, source, 0, 6, { built, off }), ablated, 'heads off: the ablated model at every step');
  assert.equal(tf.memory().numTensors, tensors, 'decoding frees its tensors');
  assert.deepEqual(layers.map((l) => l.layer.ablatedHeads), [[], []], 'switched on again afterwards');
  assert.deepEqual(greedyDecode(tf, built.model, source, 0, 6), intact, 'the model is intact again');
  // The answer says which heads were off; with none off it reads as it always did.
  assert.equal(answerText(ablated.answer, off, order), `answer: ${ablated.answer.join(' ')} (with heads 1, 2 of layer 2 off)`);
  assert.equal(answerText([3, 1, 2], new Map(), order), 'answer: 3 1 2');
  assert.equal(answerText([3, 1, 2], new Map([[order[0], new Set<number>()]]), order), 'answer: 3 1 2');
  assert.equal(headsOffPhrase(new Map([[order[0], new Set([4, 1])]]), order), 'with heads 2, 5 of layer 1 off');
  assert.equal(headsOffPhrase(new Map([[order[1], new Set([1])], [order[0], new Set([0])]]), order), 'with head 1 of layer 1 and head 2 of layer 2 off');
  assert.equal(headsOffPhrase(new Map([['a', new Set([0])], ['b', new Set([1, 3])], ['c', new Set([2])]]), ['a', 'b', 'c']), 'with head 1 of layer 1, heads 2, 4 of layer 2 and head 3 of layer 3 off');
  disposeModel(built);
});

test('switching heads over the same input runs the model once per update: the intact output is remembered, the figures are unchanged', () => {
  const built = build(GPT);
  const [first, second] = attentionLayers(built);
  const model = built.model;
  const predict = model.predict.bind(model);
  let passes = 0;
  model.predict = ((...args: Parameters<typeof predict>) => {
    passes++;
    return predict(...args);
  }) as typeof model.predict;
  const a = tf.tensor2d([[1, 5, 2, 9, 3, 7]], [1, 6], 'int32');
  const b = tf.tensor2d([[4, 4, 8, 1, 0, 2]], [1, 6], 'int32');
  // The next-token row after position 4, as the view reads a language model's output.
  const row = (out: tf.Tensor) => tf.slice(out, [0, 4, 0], [1, 1, -1]);
  // The figures of each update, computed apart (not counted): the ablated output and the intact one.
  const expected = (x: tf.Tensor, off: Map<string, Set<number>>) => {
    const counted = passes;
    const out = { output: ablatedOutput(tf, model, built, x, off, row)!, baseline: headsOff(off) ? ablatedOutput(tf, model, built, x, new Map(), row)! : undefined };
    const maps = withHeadsOff(built, off, () => attentionMaps(tf, model, built, x));
    passes = counted;
    return { ...out, maps };
  };
  const intact = new IntactOutput();
  const updates: [string, tf.Tensor, Map<string, Set<number>>, number][] = [
    // Every head on: one pass, which is the intact output.
    ['a', a, new Map(), 1],
    // A head switched off over the same text: only the ablated pass (before: the intact model ran again first).
    ['a', a, new Map([[first.path, new Set([0])]]), 1],
    ['a', a, new Map([[first.path, new Set([0])], [second.path, new Set([1])]]), 1],
    // Another text with heads off: its intact output is not known yet, so both passes.
    ['b', b, new Map([[second.path, new Set([1])]]), 2],
    // Then that one is remembered.
    ['b', b, new Map([[first.path, new Set([1])]]), 1],
    ['b', b, new Map(), 1],
    // Back to the first text: only the last input is kept.
    ['a', a, new Map([[first.path, new Set([1])]]), 2],
  ];
  const tensors = tf.memory().numTensors;
  for (const [key, x, off, want] of updates) {
    const what = `${key} with [${[...off].map(([p, hs]) => `${p}: ${[...hs]}`).join('; ')}] off`;
    const before = passes;
    const got = ablationPass(tf, model, built, x, off, key, intact, row);
    assert.equal(passes - before, want, `forward passes for ${what}`);
    const exp = expected(x, off);
    assert.deepEqual(got.output?.values, exp.output, `output of ${what}`);
    assert.deepEqual(got.output?.shape, [1, 20]);
    assert.deepEqual(got.baseline, exp.baseline, `intact output of ${what}`);
    assert.deepEqual(got.maps, exp.maps, `heatmaps of ${what}`);
    assert.deepEqual([first.layer.ablatedHeads, second.layer.ablatedHeads], [[], []]);
  }
  assert.equal(tf.memory().numTensors, tensors, 'no tensor left behind');
  // A pick that reads nothing (no next token): no output, and no intact pass for it.
  const before = passes;
  const none = ablationPass(tf, model, built, a, new Map([[first.path, new Set([0])]]), 'c', intact, () => undefined);
  assert.equal(passes - before, 1);
  assert.deepEqual([none.output, none.baseline, none.maps.length], [undefined, undefined, 2]);
  tf.dispose([a, b]);
  disposeModel(built);
});
