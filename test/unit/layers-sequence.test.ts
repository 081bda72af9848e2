import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Sym, product, type Shape } from '../../extension/core/analysis/sym';
import { createLayerContext, withDefaults } from '../../extension/core/layers/context';
import { LayerError, type ArgValue, type LayerRef, type LayerSpec, type TfjsContext, type WeightSpec } from '../../extension/core/layers/types';
import { nearbyDivisors, plainMatMul } from '../../extension/core/layers/attention';
import { getLayer } from '../../extension/core/layers';
import { analyze } from '../../extension/core/analysis/analyze';
import { nodeAtRange } from '../../extension/core/analysis/weights';
import { layerHoverMarkdown } from '../../extension/vscode/pure/text';
import {
  alibiSlopes,
  isAttentionLayer,
  sequenceLayers,
  SINUSOIDAL_DEFAULT_MAXLEN,
  SINUSOIDAL_MAX_PERIOD,
  type AttentionLayer,
} from '../../extension/core/layers/sequence';
import { useCpuBackend } from '../fixtures/tfjs';

// ------------------------------------------------------------------ helpers

const seq = Sym.atom('seq');
const spec = (name: string): LayerSpec => {
  const s = sequenceLayers.find((l) => l.name === name);
  assert.ok(s, `no layer ${name}`);
  return s;
};
const shape = (dims: (number | Sym)[], isInt = false): Shape => ({ dims: dims.map((d) => Sym.from(d)), isInt });
const ref = (name: string, layer: string, args: Record<string, ArgValue>): LayerRef => ({ kind: 'layerRef', name, layer, args });

interface Result {
  shape: Shape;
  weights: WeightSpec[];
  trainable: Sym;
  nonTrainable: Sym;
  macs: Sym;
  args: Record<string, ArgValue>;
}

function rankOk(s: LayerSpec, x: Shape): boolean {
  const r = s.inputRank;
  if (!r) return true;
  const n = x.dims.length;
  return Array.isArray(r) ? r.includes(n) : n >= (r as { min: number }).min && n <= ((r as { max?: number }).max ?? Infinity);
}

function run(name: string, given: Record<string, ArgValue>, inputs: Shape[], tensors: Record<string, Shape> = {}): Result {
  const s = spec(name);
  assert.ok(rankOk(s, inputs[0]), `rank ${inputs[0].dims.length} not accepted by ${name}`);
  const args = withDefaults(s, given);
  const ctx = createLayerContext(args, inputs, tensors);
  const out = s.outputShape(ctx);
  const weights = s.weights(ctx, out);
  let trainable = Sym.ZERO;
  let nonTrainable = Sym.ZERO;
  for (const w of weights) {
    if (w.trainable) trainable = trainable.add(product(w.shape));
    else nonTrainable = nonTrainable.add(product(w.shape));
  }
  return { shape: out, weights, trainable, nonTrainable, macs: s.macs(ctx, out), args };
}

function fails(code: string, fn: () => unknown, message?: RegExp | string, arg?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof LayerError, `expected a LayerError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (typeof message === 'string') assert.equal(e.message, message);
    else if (message) assert.match(e.message, message);
    if (arg !== undefined) assert.equal(e.arg, arg);
    return true;
  });
}

const dimsText = (s: Shape) => s.dims.map((d) => d.toString());
const n = (x: Sym) => {
  assert.ok(x.isConst(), `expected a number, got ${x.toString()}`);
  return x.value!;
};

useCpuBackend();

let uid = 0;
/** Builds the spec's tfjs layer and applies it to symbolic inputs (symbolic dims as null). */
function buildTfjs(
  name: string,
  given: Record<string, ArgValue>,
  inputs: Shape[],
  tensors: Record<string, Shape> = {},
  objects: Record<string, tf.layers.Layer> = {},
) {
  const s = spec(name);
  const args = withDefaults(s, given);
  const layerName = `${name}_${++uid}`;
  const ctx: TfjsContext = {
    tf,
    args,
    inputs,
    tensors,
    name: layerName,
    seed: 7,
    layerObject(arg) {
      const o = objects[arg];
      if (!o) throw new Error(`no object for ${arg}`);
      return o;
    },
  };
  const layer = s.tfjs(ctx);
  const all = [...inputs, ...Object.values(tensors)];
  const symbolic = all.map((sh) =>
    tf.input({ shape: sh.dims.map((d) => d.value ?? null), dtype: sh.isInt ? 'int32' : 'float32' }),
  );
  const out = layer.apply(symbolic.length === 1 ? symbolic[0] : symbolic) as tf.SymbolicTensor;
  return { layer, out, symbolic, layerName };
}

/** Output shape, parameter counts and weight names/shapes of the tfjs layer equal the spec's. */
function parity(name: string, given: Record<string, ArgValue>, inputs: Shape[], tensors: Record<string, Shape> = {}, objects: Record<string, tf.layers.Layer> = {}) {
  const r = run(name, given, inputs, tensors);
  const { layer, out, layerName } = buildTfjs(name, given, inputs, tensors, objects);
  assert.deepEqual(out.shape, [null, ...r.shape.dims.map((d) => d.value ?? null)], `${name} output shape`);
  const size = (w: tf.LayerVariable) => w.shape.reduce((p: number, x) => p * (x as number), 1);
  const trainable = layer.trainableWeights.reduce((a, w) => a + size(w), 0);
  const nonTrainable = layer.nonTrainableWeights.reduce((a, w) => a + size(w), 0);
  assert.equal(trainable, n(r.trainable), `${name} trainable params`);
  assert.equal(nonTrainable, n(r.nonTrainable), `${name} non-trainable params`);
  assert.equal(layer.countParams(), n(r.trainable.add(r.nonTrainable)));
  const own = layer.weights.filter((w) => w.originalName.startsWith(`${layerName}/`));
  assert.deepEqual(
    own.map((w) => [w.originalName.slice(layerName.length + 1), w.shape]),
    r.weights.map((w) => [w.name, w.shape.map(n)]),
    `${name} weight names and shapes`,
  );
  return { r, layer, out };
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5, what = 'values'): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol * (1 + Math.abs(expected[i])), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

// ------------------------------------------------------------------ schema

test('every sequence layer has docs, a category and a fully documented schema', () => {
  assert.deepEqual(
    sequenceLayers.map((l) => l.name),
    ['embedding', 'unembed', 'positional', 'sinusoidal', 'cls_token', 'attention', 'rnn', 'lstm', 'gru'],
  );
  for (const l of sequenceLayers) {
    assert.ok(l.summary.length > 10 && l.doc.length > 50, `${l.name} docs`);
    for (const a of l.args) {
      assert.ok(a.doc.length > 5, `${l.name}.${a.name} doc`);
      if (a.type === 'enum') assert.ok(a.enum && a.enum.includes(a.default as string), `${l.name}.${a.name} enum default`);
    }
  }
  assert.equal(spec('embedding').inputKind, 'int');
  assert.deepEqual(spec('attention').args.map((a) => a.name), ['heads', 'key_dim', 'causal', 'context', 'dropout', 'bias', 'position', 'pad_mask', 'pad_id']);
  assert.deepEqual(spec('attention').args.find((a) => a.name === 'position')!.enum, ['none', 'alibi']);
  assert.deepEqual(spec('positional').args.find((a) => a.name === 'kind')!.enum, ['sinusoidal', 'learned']);
  assert.deepEqual(spec('sinusoidal').args.map((a) => [a.name, a.type, a.default]), [
    ['dim', 'int', undefined],
    ['max_period', 'number', 10000],
  ]);
  // A step is a value, not a token id: int and float inputs are both taken.
  assert.equal(spec('sinusoidal').inputKind, 'any');
});

// ------------------------------------------------------------------ embedding family

test('embedding: GPT-2 token table and symbolic shapes', () => {
  const r = run('embedding', { vocab: 50257, dim: 768 }, [shape([seq], true)]);
  assert.deepEqual(dimsText(r.shape), ['seq', '768']);
  assert.equal(r.shape.isInt, undefined);
  assert.equal(n(r.trainable), 38_597_376);
  assert.equal(n(r.macs), 0);
  assert.deepEqual(r.weights.map((w) => w.name), ['embeddings']);
  const r2 = run('embedding', { vocab: 10, dim: 4 }, [shape([3, seq], true)]);
  assert.deepEqual(dimsText(r2.shape), ['3', 'seq', '4']);
});

test('embedding: float input and bad sizes fail with codes', () => {
  fails('shape.not_int', () => run('embedding', { vocab: 10, dim: 4 }, [shape([seq, 4])]), /int\[/);
  fails('arg.range', () => run('embedding', { vocab: 0, dim: 4 }, [shape([seq], true)]), undefined, 'vocab');
});

test('unembed: tied projection shape, bias, MACs and errors', () => {
  const wte = ref('wte', 'embedding', { vocab: 50257, dim: 768 });
  const r = run('unembed', { embedding: wte }, [shape([seq, 768])]);
  assert.deepEqual(dimsText(r.shape), ['seq', '50257']);
  assert.equal(r.weights.length, 0);
  assert.ok(r.macs.equals(seq.mul(768 * 50257)));
  const rb = run('unembed', { embedding: wte, bias: true }, [shape([5, 768])]);
  assert.equal(n(rb.trainable), 50257);
  assert.equal(n(rb.macs), 5 * 768 * 50257);
  fails('shape.mismatch', () => run('unembed', { embedding: wte }, [shape([seq, 512])]), /768/);
  fails('arg.type', () => run('unembed', { embedding: ref('fc', 'dense', { units: 3 }) }, [shape([seq, 768])]), /fc is a dense/, 'embedding');
});

test('positional: learned and sinusoidal parameters, maxlen checks', () => {
  const r = run('positional', { kind: 'learned', maxlen: 1024 }, [shape([seq, 768])]);
  assert.deepEqual(dimsText(r.shape), ['seq', '768']);
  assert.equal(n(r.trainable), 1024 * 768);
  assert.equal(n(r.macs), 0);
  const s = run('positional', {}, [shape([seq, 64])]);
  assert.equal(s.args.kind, 'sinusoidal');
  assert.equal(n(s.trainable), 0);
  assert.equal(s.weights.length, 0);
  run('positional', {}, [shape([SINUSOIDAL_DEFAULT_MAXLEN, 8])]);
  fails('arg.range', () => run('positional', {}, [shape([SINUSOIDAL_DEFAULT_MAXLEN + 1, 8])]), /maxlen/);
  fails('arg.range', () => run('positional', { kind: 'learned', maxlen: 16 }, [shape([17, 8])]), /17.*16/, 'maxlen');
  fails('arg.missing', () => run('positional', { kind: 'learned' }, [shape([seq, 8])]), /maxlen/, 'maxlen');
});

test('sinusoidal: [..., 1] -> [..., dim], no parameters, 0 MACs; even dim and a last axis of 1', () => {
  const step = run('sinusoidal', { dim: 32 }, [shape([1], true)]);
  assert.deepEqual(dimsText(step.shape), ['32']);
  assert.equal(step.shape.isInt, undefined, 'the features are real numbers, whatever the input');
  assert.deepEqual(step.weights, []);
  assert.equal(n(step.trainable), 0);
  assert.equal(n(step.macs), 0);
  assert.equal(step.args.max_period, SINUSOIDAL_MAX_PERIOD);
  const perPosition = run('sinusoidal', { dim: 6, max_period: 100 }, [shape([seq, 1])]);
  assert.deepEqual(dimsText(perPosition.shape), ['seq', '6']);
  assert.equal(n(perPosition.macs), 0);
  assert.deepEqual(dimsText(run('sinusoidal', { dim: 2 }, [shape([3, 4, 1])]).shape), ['3', '4', '2']);

  fails('arg.range', () => run('sinusoidal', { dim: 7 }, [shape([1], true)]), /dim must be even .*got 7; use 6 or 8/, 'dim');
  fails('arg.range', () => run('sinusoidal', { dim: 0 }, [shape([1], true)]), /positive/, 'dim');
  // The last axis must be the number 1; the message says how to get there.
  fails('shape.mismatch', () => run('sinusoidal', { dim: 8 }, [shape([4])]), /last axis must be 1.*\[4\].*reshape\(\[4, 1\]\)/);
  fails('shape.mismatch', () => run('sinusoidal', { dim: 8 }, [shape([seq])]), /reshape\(\[-1, 1\]\)/);
  fails('shape.mismatch', () => run('sinusoidal', { dim: 8 }, [shape([seq, 3])]), /\[seq, 3\].*reshape\(\[-1, 3, 1\]\)/);
  const other = Sym.atom('n');
  fails('shape.mismatch', () => run('sinusoidal', { dim: 8 }, [shape([seq, other])]), /\[seq, n\]; to encode each value, reshape it/);
});

test('cls_token: [seq, d] -> [seq + 1, d] with d parameters', () => {
  const r = run('cls_token', {}, [shape([seq, 192])]);
  assert.deepEqual(dimsText(r.shape), ['seq + 1', '192']);
  assert.equal(n(r.trainable), 192);
  const r2 = run('cls_token', {}, [shape([196, 192])]);
  assert.deepEqual(dimsText(r2.shape), ['197', '192']);
});

// ------------------------------------------------------------------ attention

test('attention: GPT-2 small figures (params and symbolic MACs)', () => {
  const r = run('attention', { heads: 12, causal: true }, [shape([seq, 768])]);
  assert.deepEqual(dimsText(r.shape), ['seq', '768']);
  assert.equal(n(r.trainable), 2_362_368);
  assert.equal(n(r.trainable), 4 * (768 * 768 + 768));
  assert.ok(r.macs.equals(seq.mul(4 * 768 * 768).add(seq.mul(seq).mul(2 * 768))), r.macs.toString());
  const fixed = run('attention', { heads: 12 }, [shape([1024, 768])]);
  assert.equal(n(fixed.macs), 4 * 1024 * 768 * 768 + 2 * 1024 * 1024 * 768);
});

test('attention: key_dim, no bias and cross-attention counts', () => {
  // heads·key_dim = 4·16 = 64 ≠ d = 32
  const r = run('attention', { heads: 4, key_dim: 16, bias: false }, [shape([10, 32])]);
  assert.equal(n(r.trainable), 32 * 64 * 3 + 64 * 32);
  assert.equal(n(r.macs), 10 * 32 * 64 * 3 + 2 * 10 * 10 * 64 + 10 * 64 * 32);
  const mem = Sym.atom('src');
  const c = run('attention', { heads: 2, context: { kind: 'tensorRef', name: 'memory' } }, [shape([seq, 8])], {
    context: shape([mem, 6]),
  });
  assert.deepEqual(dimsText(c.shape), ['seq', '8']);
  assert.deepEqual(
    c.weights.map((w) => [w.name, dimsText({ dims: w.shape })]),
    [
      ['query_kernel', ['8', '8']],
      ['query_bias', ['8']],
      ['key_kernel', ['6', '8']],
      ['key_bias', ['8']],
      ['value_kernel', ['6', '8']],
      ['value_bias', ['8']],
      ['output_kernel', ['8', '8']],
      ['output_bias', ['8']],
    ],
  );
  const expected = seq
    .mul(8 * 8)
    .add(mem.mul(2 * 6 * 8))
    .add(seq.mul(mem).mul(2 * 8))
    .add(seq.mul(8 * 8));
  assert.ok(c.macs.equals(expected), c.macs.toString());
});

test('attention: errors', () => {
  fails(
    'arg.heads_divide',
    () => run('attention', { heads: 8 }, [shape([seq, 100])]),
    'attention dim 100 is not divisible by heads 8; use heads 10 or 5, or set key_dim',
    'heads',
  );
  fails('arg.heads_divide', () => run('attention', { heads: 2 }, [shape([seq, 7])]), /use heads 1 or 7/);
  // The nearest divisors, the nearest first, whichever side they are on; of two as near, the larger first.
  fails('arg.heads_divide', () => run('attention', { heads: 7 }, [shape([seq, 64])]), /; use heads 8 or 4, or set key_dim$/);
  fails('arg.heads_divide', () => run('attention', { heads: 6 }, [shape([seq, 64])]), /; use heads 8 or 4, or set key_dim$/);
  fails('arg.heads_divide', () => run('attention', { heads: 3 }, [shape([seq, 32])]), /; use heads 4 or 2, or set key_dim$/);
  fails('arg.heads_divide', () => run('attention', { heads: 5 }, [shape([seq, 64])]), /; use heads 4 or 8, or set key_dim$/);
  fails('arg.heads_divide', () => run('attention', { heads: 3 }, [shape([seq, 49])]), /; use heads 1 or 7, or set key_dim$/);
  assert.deepEqual(nearbyDivisors(768, 10), [12, 8]);
  assert.deepEqual(nearbyDivisors(64, 100), [64, 32]);
  // key_dim lifts the restriction
  assert.equal(n(run('attention', { heads: 8, key_dim: 10 }, [shape([seq, 100])]).trainable), 3 * (100 * 80 + 80) + 80 * 100 + 100);
  fails('arg.heads_divide', () => run('attention', { heads: 2 }, [shape([seq, Sym.atom('d')])]), /set key_dim/);
  fails('shape.rank', () =>
    run('attention', { heads: 2, context: { kind: 'tensorRef', name: 'm' } }, [shape([seq, 8])], { context: shape([4, 4, 8]) }),
  );
  // A context of token ids, of any rank, says what the piped value would: embed them first.
  const embedFirst = "attention takes real values as its context, but int[s] holds integer token ids; embed them first: `-> embedding(vocab, dim)`.";
  fails('shape.not_float', () => run('attention', { heads: 2, context: { kind: 'tensorRef', name: 'm' } }, [shape([seq, 8])], { context: shape([Sym.atom('s')], true) }), embedFirst, 'context');
  fails('shape.not_float', () => run('attention', { heads: 2, context: { kind: 'tensorRef', name: 'm' } }, [shape([seq, 8])], { context: shape([Sym.atom('s'), 8], true) }), /holds integer token ids; embed them first/, 'context');
  const text = 'model S2S {\n  input src: int[s]\n  input tgt: int[t]\n  h = tgt -> embedding(16, 32)\n  output h -> attention(4, context = src)\n}\n';
  const found = analyze(text).diagnostics;
  assert.deepEqual(found.map((d) => [d.code, d.message, text.slice(d.range.start.offset, d.range.end.offset)]), [['shape.not_float', embedFirst, 'src']]);
  fails('arg.range', () => run('attention', { heads: 2, dropout: 1 }, [shape([seq, 8])]), undefined, 'dropout');
  assert.deepEqual(spec('attention').inputRank, [2]);
});

test('alibi slopes follow the paper for powers of two and between them', () => {
  close(alibiSlopes(8), [1, 2, 3, 4, 5, 6, 7, 8].map((i) => 2 ** -i));
  close(alibiSlopes(4), [2 ** -2, 2 ** -4, 2 ** -6, 2 ** -8]);
  // 6 heads: the 4 slopes of 4, then slopes 1 and 3 of 8 (every other one)
  close(alibiSlopes(6), [2 ** -2, 2 ** -4, 2 ** -6, 2 ** -8, 2 ** -1, 2 ** -3]);
});

// ------------------------------------------------------------------ recurrent

test('rnn, lstm, gru: Keras/tfjs parameter counts, shapes and MACs', () => {
  const x = shape([seq, 32]);
  const rnnR = run('rnn', { units: 64 }, [x]);
  assert.deepEqual(dimsText(rnnR.shape), ['64']);
  assert.equal(n(rnnR.trainable), 64 * (32 + 64 + 1));
  assert.ok(rnnR.macs.equals(seq.mul(64 * (32 + 64))));
  const lstmR = run('lstm', { units: 64, return_sequences: true }, [x]);
  assert.deepEqual(dimsText(lstmR.shape), ['seq', '64']);
  assert.equal(n(lstmR.trainable), 4 * 64 * (32 + 64 + 1));
  assert.ok(lstmR.macs.equals(seq.mul(4 * 64 * (32 + 64))));
  const gruR = run('gru', { units: 64 }, [shape([20, 32])]);
  assert.equal(n(gruR.trainable), 3 * 64 * (32 + 64 + 1));
  assert.equal(n(gruR.macs), 20 * 3 * 64 * (32 + 64));
  fails('arg.range', () => run('gru', { units: 0 }, [x]), undefined, 'units');
  assert.deepEqual(spec('lstm').inputRank, [2]);
});

// ------------------------------------------------------------------ runtime parity: shapes and counts

test('tfjs parity: embedding, positional, cls_token, recurrent layers', () => {
  parity('embedding', { vocab: 11, dim: 4 }, [shape([seq], true)]);
  parity('embedding', { vocab: 11, dim: 4 }, [shape([2, seq], true)]);
  parity('positional', { kind: 'learned', maxlen: 9 }, [shape([seq, 4])]);
  parity('positional', {}, [shape([5, 4])]);
  parity('sinusoidal', { dim: 8 }, [shape([1], true)]);
  parity('sinusoidal', { dim: 4, max_period: 50 }, [shape([seq, 1])]);
  parity('sinusoidal', { dim: 6 }, [shape([2, 3, 1])]);
  parity('cls_token', {}, [shape([seq, 3])]);
  parity('cls_token', {}, [shape([6, 3])]);
  for (const name of ['rnn', 'lstm', 'gru']) {
    parity(name, { units: 3 }, [shape([seq, 5])]);
    parity(name, { units: 3, return_sequences: true }, [shape([seq, 5])]);
    parity(name, { units: 2, return_sequences: true }, [shape([4, 6])]);
  }
});

test('tfjs parity: attention (self, key_dim, no bias, cross)', () => {
  parity('attention', { heads: 2, causal: true }, [shape([seq, 8])]);
  parity('attention', { heads: 3, key_dim: 5, bias: false, position: 'alibi' }, [shape([seq, 4])]);
  const { layer } = parity('attention', { heads: 2, context: { kind: 'tensorRef', name: 'mem' } }, [shape([seq, 8])], {
    context: shape([Sym.atom('src'), 6]),
  });
  assert.ok(isAttentionLayer(layer));
});

test('tfjs parity: unembed adds only its bias; the table stays the embedding’s', () => {
  const wte = tf.layers.embedding({ inputDim: 11, outputDim: 4, name: `wte_${++uid}` });
  wte.apply(tf.input({ shape: [null], dtype: 'int32' }));
  const wteRef = ref('wte', 'embedding', { vocab: 11, dim: 4 });
  const { layer } = parity('unembed', { embedding: wteRef }, [shape([seq, 4])], {}, { embedding: wte });
  assert.equal(layer.countParams(), 0);
  parity('unembed', { embedding: wteRef, bias: true }, [shape([3, 4])], {}, { embedding: wte });
});

// ------------------------------------------------------------------ forward passes against hand computations

/** Plain-loop multi-head attention for one example, the reference for the custom layer. */
function referenceAttention(
  x: number[][],
  c: number[][],
  w: { wq: number[][]; bq: number[]; wk: number[][]; bk: number[]; wv: number[][]; bv: number[]; wo: number[][]; bo: number[] },
  heads: number,
  opts: { causal?: boolean; alibi?: boolean } = {},
): { out: number[][]; probs: number[][][] } {
  const mm = (a: number[][], b: number[][], bias: number[]) =>
    a.map((row) => bias.map((bj, j) => row.reduce((s, v, i) => s + v * b[i][j], bj)));
  const q = mm(x, w.wq, w.bq);
  const k = mm(c, w.wk, w.bk);
  const v = mm(c, w.wv, w.bv);
  const kd = q[0].length / heads;
  const slopes = alibiSlopes(heads);
  const probs: number[][][] = [];
  const merged = x.map(() => new Array<number>(heads * kd).fill(0));
  for (let h = 0; h < heads; h++) {
    const ph: number[][] = [];
    for (let i = 0; i < x.length; i++) {
      const s = c.map((_, j) => {
        let dot = 0;
        for (let t = 0; t < kd; t++) dot += q[i][h * kd + t] * k[j][h * kd + t];
        let score = dot / Math.sqrt(kd);
        if (opts.alibi) score -= slopes[h] * Math.abs(i - j);
        return opts.causal && j > i ? -Infinity : score;
      });
      const m = Math.max(...s);
      const e = s.map((z) => Math.exp(z - m));
      const sum = e.reduce((a, b) => a + b, 0);
      const p = e.map((z) => z / sum);
      ph.push(p);
      for (let t = 0; t < kd; t++) merged[i][h * kd + t] = p.reduce((a, pj, j) => a + pj * v[j][h * kd + t], 0);
    }
    probs.push(ph);
  }
  return { out: mm(merged, w.wo, w.bo), probs };
}

function attentionLayer(given: Record<string, ArgValue>, x: Shape, context?: Shape): AttentionLayer {
  const { layer } = buildTfjs('attention', given, [x], context ? { context } : {});
  assert.ok(isAttentionLayer(layer));
  return layer;
}

test('attention forward: 1 head, d = 2, seq = 3, identity weights (hand-computed)', () => {
  const layer = attentionLayer({ heads: 1 }, shape([3, 2]));
  const I = [
    [1, 0],
    [0, 1],
  ];
  const z = [0, 0];
  layer.setWeights([I, z, I, z, I, z, I, z].map((a) => tf.tensor(a)));
  const x = [
    [1, 0],
    [0, 1],
    [1, 1],
  ];
  // scores = x·xᵀ/√2: row 0 = [1, 0, 1]/√2, row 1 = [0, 1, 1]/√2, row 2 = [1, 1, 2]/√2
  const a = Math.exp(1 / Math.SQRT2);
  const p0 = [a, 1, a].map((e) => e / (2 * a + 1));
  const b = Math.exp(2 / Math.SQRT2);
  const p2 = [a, a, b].map((e) => e / (2 * a + b));
  const expectedOut = [
    [p0[0] + p0[2], p0[1] + p0[2]],
    [p0[1] + p0[2], p0[0] + p0[2]],
    [p2[0] + p2[2], p2[1] + p2[2]],
  ];
  layer.keepAttention = true;
  const y = layer.apply(tf.tensor3d([x])) as tf.Tensor;
  close(y.dataSync(), expectedOut.flat(), 1e-5, 'output');
  const probs = layer.lastAttention();
  assert.ok(probs);
  assert.deepEqual(probs.shape, [1, 1, 3, 3]);
  close(probs.dataSync().slice(0, 3), p0, 1e-5, 'probs row 0');
  close(probs.dataSync().slice(6, 9), p2, 1e-5, 'probs row 2');
  y.dispose();
});

test('attention forward: causal mask zeros above the diagonal', () => {
  const layer = attentionLayer({ heads: 1, causal: true }, shape([3, 2]));
  const I = [
    [1, 0],
    [0, 1],
  ];
  const z = [0, 0];
  layer.setWeights([I, z, I, z, I, z, I, z].map((a) => tf.tensor(a)));
  layer.keepAttention = true;
  const x = [
    [1, 0],
    [0, 1],
    [1, 1],
  ];
  const y = layer.apply(tf.tensor3d([x])) as tf.Tensor;
  const p = layer.lastAttention()!.arraySync() as number[][][][];
  const rows = p[0][0];
  assert.deepEqual([rows[0][1], rows[0][2], rows[1][2]], [0, 0, 0]);
  assert.equal(rows[0][0], 1);
  // row 1 sees positions 0 and 1 with scores 0 and 1/√2
  const a = Math.exp(1 / Math.SQRT2);
  close(rows[1].slice(0, 2), [1 / (1 + a), a / (1 + a)]);
  // first output row only sees itself: out = v0 = x0
  close((y.arraySync() as number[][][])[0][0], x[0]);
  y.dispose();
});

function randomMatrix(rows: number, cols: number, seed: number): number[][] {
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 2 - 1;
  };
  return Array.from({ length: rows }, () => Array.from({ length: cols }, next));
}

test('attention forward: 2 heads with ALiBi, causal, and cross-attention match the loop reference', () => {
  const cases: { given: Record<string, ArgValue>; dc?: number; tk?: number; opts: { causal?: boolean; alibi?: boolean } }[] = [
    { given: { heads: 2 }, opts: {} },
    { given: { heads: 2, causal: true, position: 'alibi' }, opts: { causal: true, alibi: true } },
    { given: { heads: 2, key_dim: 3, context: { kind: 'tensorRef', name: 'm' } }, dc: 5, tk: 4, opts: {} },
  ];
  let seed = 1;
  for (const { given, dc, tk, opts } of cases) {
    const d = 4;
    const tq = 3;
    const heads = 2;
    const hk = typeof given.key_dim === 'number' ? heads * given.key_dim : d;
    const ctxShape = dc ? shape([tk!, dc]) : undefined;
    const layer = attentionLayer(given, shape([tq, d]), ctxShape);
    const dIn = dc ?? d;
    const w = {
      wq: randomMatrix(d, hk, seed++),
      bq: randomMatrix(1, hk, seed++)[0],
      wk: randomMatrix(dIn, hk, seed++),
      bk: randomMatrix(1, hk, seed++)[0],
      wv: randomMatrix(dIn, hk, seed++),
      bv: randomMatrix(1, hk, seed++)[0],
      wo: randomMatrix(hk, d, seed++),
      bo: randomMatrix(1, d, seed++)[0],
    };
    layer.setWeights([w.wq, w.bq, w.wk, w.bk, w.wv, w.bv, w.wo, w.bo].map((a) => tf.tensor(a)));
    layer.keepAttention = true;
    const xs = [randomMatrix(tq, d, seed++), randomMatrix(tq, d, seed++)];
    const cs = dc ? [randomMatrix(tk!, dc, seed++), randomMatrix(tk!, dc, seed++)] : xs;
    const input = dc ? [tf.tensor3d(xs), tf.tensor3d(cs)] : tf.tensor3d(xs);
    const y = layer.apply(input) as tf.Tensor;
    const probs = layer.lastAttention()!;
    assert.deepEqual(probs.shape, [2, heads, tq, tk ?? tq]);
    const ys = y.arraySync() as number[][][];
    const ps = probs.arraySync() as number[][][][];
    xs.forEach((x, b) => {
      const ref = referenceAttention(x, cs[b], w, heads, opts);
      close(ys[b].flat(), ref.out.flat(), 1e-4, `output ${JSON.stringify(given)} batch ${b}`);
      close(ps[b].flat(2), ref.probs.flat(2), 1e-4, `probs ${JSON.stringify(given)} batch ${b}`);
    });
    y.dispose();
  }
});

test('attention keeps weights only when asked, without leaking tensors', () => {
  const layer = attentionLayer({ heads: 2, dropout: 0.5 }, shape([4, 4]));
  const x = tf.randomNormal([2, 4, 4], 0, 1, 'float32', 3);
  const y0 = layer.apply(x) as tf.Tensor;
  assert.equal(layer.lastAttention(), undefined);
  y0.dispose();
  layer.keepAttention = true;
  (layer.apply(x) as tf.Tensor).dispose();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) (layer.apply(x) as tf.Tensor).dispose();
  assert.equal(tf.memory().numTensors, before, 'repeated forward passes keep one attention tensor');
  const kept = layer.lastAttention()!;
  // rows are probability distributions
  const sums = tf.sum(kept, -1);
  close(sums.dataSync(), new Array(2 * 2 * 4).fill(1), 1e-5, 'row sums');
  sums.dispose();
  layer.keepAttention = false;
  assert.equal(layer.lastAttention(), undefined);
  assert.ok(kept.isDisposed);
  assert.equal(tf.memory().numTensors, before - 1);
  // dropout acts in training only
  const inference = layer.apply(x) as tf.Tensor;
  const again = layer.apply(x) as tf.Tensor;
  close(again.dataSync(), inference.dataSync(), 1e-6, 'inference is deterministic');
  const training = layer.apply(x, { training: true }) as tf.Tensor;
  assert.ok(tf.max(tf.abs(tf.sub(training, inference))).dataSync()[0] > 1e-4, 'dropout changes the training output');
  tf.dispose([x, inference, again, training]);
});

test('positional forward: sinusoidal values and learned table', () => {
  const { layer } = buildTfjs('positional', {}, [shape([seq, 6])]);
  const x = tf.zeros([1, 5, 6]);
  const pe = (layer.apply(x) as tf.Tensor).arraySync() as number[][][];
  for (let p = 0; p < 5; p++) {
    for (let i = 0; i < 3; i++) {
      const angle = p / Math.pow(10000, (2 * i) / 6);
      close([pe[0][p][2 * i], pe[0][p][2 * i + 1]], [Math.sin(angle), Math.cos(angle)], 1e-5, `PE[${p}, ${2 * i}]`);
    }
  }
  const { layer: learned } = buildTfjs('positional', { kind: 'learned', maxlen: 4 }, [shape([seq, 2])]);
  const table = [
    [1, 2],
    [3, 4],
    [5, 6],
    [7, 8],
  ];
  learned.setWeights([tf.tensor(table)]);
  const y = learned.apply(tf.ones([2, 3, 2])) as tf.Tensor;
  assert.deepEqual(y.arraySync(), [0, 1].map(() => table.slice(0, 3).map((r) => r.map((v) => v + 1))));
  assert.throws(() => learned.apply(tf.ones([1, 5, 2])), /longer than maxlen 4/);
});

/**
 * DDPM's timestep embedding written out in doubles, with nothing of the layer:
 * [sin(t·ω_0) … sin(t·ω_{h−1}), cos(t·ω_0) … cos(t·ω_{h−1})], ω_i = P^(−i/h), h = dim/2.
 */
function timestepEmbedding(t: number, dim: number, maxPeriod: number): number[] {
  const h = dim / 2;
  const angles = Array.from({ length: h }, (_, i) => t * Math.exp((-Math.log(maxPeriod) * i) / h));
  return [...angles.map(Math.sin), ...angles.map(Math.cos)];
}

/**
 * Float32 error of a sine or cosine of t·ω: ω and the product are each
 * rounded once (relative 2⁻²⁴ each, so the angle moves by up to |t|·2⁻²³ as
 * ω ≤ 1), and the result once more.
 */
const angleTolerance = (t: number) => 1e-6 + Math.abs(t) * 2 ** -23;

test('sinusoidal forward: integer steps and real values against the formula', () => {
  // t: int[1] as the diffusion example feeds it, steps 0 … 999.
  const steps = [0, 1, 2, 7, 250, 999];
  const { layer: byStep } = buildTfjs('sinusoidal', { dim: 8 }, [shape([1], true)]);
  const yStep = byStep.apply(tf.tensor2d(steps, [steps.length, 1], 'int32')) as tf.Tensor;
  assert.deepEqual(yStep.shape, [steps.length, 8]);
  assert.equal(yStep.dtype, 'float32');
  const rows = yStep.arraySync() as number[][];
  steps.forEach((t, k) => close(rows[k], timestepEmbedding(t, 8, 10000), angleTolerance(t), `t = ${t}`));
  // Spelled out for t = 1, dim = 4: ω = [1, 10000^(−1/2)] = [1, 0.01].
  const { layer: small } = buildTfjs('sinusoidal', { dim: 4 }, [shape([1], true)]);
  const one = (small.apply(tf.tensor2d([1], [1, 1], 'int32')) as tf.Tensor).dataSync();
  close(one, [Math.sin(1), Math.sin(0.01), Math.cos(1), Math.cos(0.01)], 1e-6, 'dim 4 at t = 1');
  // At t = 0 every sine is 0 and every cosine 1.
  close(rows[0], [0, 0, 0, 0, 1, 1, 1, 1], 0, 't = 0');

  // Real values per position ([2, 3, 1] → [2, 3, 6]) with another max_period.
  const values = [-3.25, 0, 0.5, 1e-3, 17.75, 123.5];
  const { layer: byValue } = buildTfjs('sinusoidal', { dim: 6, max_period: 100 }, [shape([3, 1])]);
  const y = (byValue.apply(tf.tensor3d(values, [2, 3, 1])) as tf.Tensor).arraySync() as number[][][];
  values.forEach((t, k) => close(y[Math.floor(k / 3)][k % 3], timestepEmbedding(t, 6, 100), angleTolerance(t), `t = ${t}`));
  tf.dispose(yStep);
});

test('cls_token forward: prepends the learned token', () => {
  const { layer } = buildTfjs('cls_token', {}, [shape([seq, 2])]);
  layer.setWeights([tf.tensor([9, -9])]);
  const x = [
    [
      [1, 2],
      [3, 4],
    ],
    [
      [5, 6],
      [7, 8],
    ],
  ];
  const y = layer.apply(tf.tensor3d(x)) as tf.Tensor;
  assert.deepEqual(y.arraySync(), x.map((rows) => [[9, -9], ...rows]));
});

test('unembed forward: x · Eᵀ + bias, gradients reach the shared table', () => {
  const wte = tf.layers.embedding({ inputDim: 3, outputDim: 2, name: `wte_${++uid}` });
  const tokens = tf.input({ shape: [null], dtype: 'int32' });
  const h = wte.apply(tokens) as tf.SymbolicTensor;
  const { layer } = buildTfjs('unembed', { embedding: ref('wte', 'embedding', { vocab: 3, dim: 2 }), bias: true }, [shape([seq, 2])], {}, { embedding: wte });
  const logits = layer.apply(h) as tf.SymbolicTensor;
  const model = tf.model({ inputs: tokens, outputs: logits });
  const E = [
    [1, 0],
    [0, 2],
    [1, -1],
  ];
  wte.setWeights([tf.tensor(E)]);
  layer.setWeights([tf.tensor([0.5, 0, -0.5])]);
  assert.equal(model.countParams(), 3 * 2 + 3, 'the table is counted once');
  const out = model.predict(tf.tensor2d([[0, 2]], [1, 2], 'int32')) as tf.Tensor;
  // rows E[0] = [1, 0] and E[2] = [1, -1] times Eᵀ, plus bias
  const expected = [E[0], E[2]].map((x) => E.map((e, v) => x[0] * e[0] + x[1] * e[1] + [0.5, 0, -0.5][v]));
  close(out.dataSync(), expected.flat());
  // without any lookup gradient, the table still gets one through the tied projection
  const direct = layer.apply(tf.tensor3d([[[1, 1]]])) as tf.Tensor;
  close(direct.dataSync(), E.map((e, v) => e[0] + e[1] + [0.5, 0, -0.5][v]));
  const table = wte.trainableWeights[0];
  const { grads } = tf.variableGrads(() => tf.sum(layer.apply(tf.tensor3d([[[1, 1]]])) as tf.Tensor) as tf.Scalar, [
    table.read() as tf.Variable,
  ]);
  close(Object.values(grads)[0].dataSync(), [1, 1, 1, 1, 1, 1]);
});

test('a small sequence model of these layers trains with model.fit', async () => {
  const tokens = tf.input({ shape: [6], dtype: 'int32' });
  const wteRef = ref('wte', 'embedding', { vocab: 7, dim: 8 });
  const objects: Record<string, tf.layers.Layer> = {};
  const layerFor = (name: string, given: Record<string, ArgValue>, inShape: Shape) => {
    const s = spec(name);
    return s.tfjs({
      tf,
      args: withDefaults(s, given),
      inputs: [inShape],
      tensors: {},
      name: `${name}_${++uid}`,
      seed: uid,
      layerObject: (arg) => objects[arg],
    });
  };
  const wte = layerFor('embedding', { vocab: 7, dim: 8 }, shape([6], true));
  objects.embedding = wte;
  let h = wte.apply(tokens) as tf.SymbolicTensor;
  h = layerFor('positional', { kind: 'learned', maxlen: 16 }, shape([6, 8])).apply(h) as tf.SymbolicTensor;
  h = layerFor('cls_token', {}, shape([6, 8])).apply(h) as tf.SymbolicTensor;
  const att = layerFor('attention', { heads: 2, causal: true, position: 'alibi', dropout: 0.1 }, shape([7, 8]));
  h = att.apply(h) as tf.SymbolicTensor;
  h = layerFor('gru', { units: 8, return_sequences: true }, shape([7, 8])).apply(h) as tf.SymbolicTensor;
  const logits = layerFor('unembed', { embedding: wteRef, bias: true }, shape([7, 8])).apply(h) as tf.SymbolicTensor;
  const model = tf.model({ inputs: tokens, outputs: logits });
  assert.deepEqual(model.outputs[0].shape, [null, 7, 7]);
  const expected = [7 * 8, 16 * 8, 8, 4 * (8 * 8 + 8), 3 * 8 * (8 + 8 + 1), 7].reduce((a, b) => a + b, 0);
  assert.equal(model.countParams(), expected);
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
  const x = tf.tensor2d([[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]], [2, 6], 'int32');
  const y = tf.randomUniform([2, 7, 7], 0, 1, 'float32', 5);
  const before = att.getWeights().map((w) => w.dataSync().slice());
  const hist = await model.fit(x, y, { epochs: 3, batchSize: 2, verbose: 0 });
  const losses = hist.history.loss as number[];
  assert.ok(losses.every(Number.isFinite), `finite losses ${losses}`);
  assert.ok(losses[2] < losses[0], `loss decreases: ${losses}`);
  const after = att.getWeights().map((w) => w.dataSync());
  assert.ok(after.some((w, i) => w.some((v, j) => v !== before[i][j])), 'attention weights were trained');
  tf.dispose([x, y]);
});

test('the attention layer survives a model JSON round trip (registered class)', async () => {
  const { layer, out, symbolic } = buildTfjs('attention', { heads: 2, causal: true, position: 'alibi', key_dim: 3 }, [shape([seq, 4])]);
  const model = tf.model({ inputs: symbolic, outputs: out });
  const topology = model.toJSON(undefined, false) as tf.serialization.ConfigDict;
  const restored = await tf.models.modelFromJSON({ modelTopology: topology });
  const copy = restored.getLayer(layer.name);
  assert.equal(copy.getClassName(), 'NnmodelAttention');
  assert.ok(isAttentionLayer(copy));
  assert.equal(copy.countParams(), layer.countParams());
  assert.equal(copy.getConfig().position, 'alibi');
  restored.setWeights(model.getWeights());
  const x = tf.randomNormal([1, 5, 4], 0, 1, 'float32', 11);
  const a = model.predict(x) as tf.Tensor;
  const b = restored.predict(x) as tf.Tensor;
  close(b.dataSync(), a.dataSync(), 1e-6, 'restored model output');
  tf.dispose([x, a, b]);
});

test('plainMatMul: same value and gradients as tf.matMul, rank 2 and batched', () => {
  const mm = plainMatMul(tf);
  assert.equal(plainMatMul(tf), mm, 'made once per tf module');
  for (const [sa, sb] of [
    [[3, 4], [4, 5]],
    [[2, 3, 4, 5], [2, 3, 5, 2]],
  ]) {
    const a = tf.randomNormal(sa, 0, 1, 'float32', 1);
    const b = tf.randomNormal(sb, 0, 1, 'float32', 2);
    const w = tf.randomNormal([...sa.slice(0, -1), sb[sb.length - 1]], 0, 1, 'float32', 3);
    // a weighted sum makes every output element's gradient different
    const loss = (f: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor) => (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(f(x, y), w));
    const [ga, gb] = tf.grads(loss(mm))([a, b]);
    const [ea, eb] = tf.grads(loss((x, y) => tf.matMul(x, y)))([a, b]);
    close(mm(a, b).dataSync(), tf.matMul(a, b).dataSync(), 1e-5, 'value');
    close(ga.dataSync(), ea.dataSync(), 1e-5, 'grad a');
    close(gb.dataSync(), eb.dataSync(), 1e-5, 'grad b');
  }
});

test('the hover of an attention with position = alibi lists its slopes and how far each head looks', () => {
  const spec = getLayer('attention')!;
  // Press et al.: 8 heads take 1/2, 1/4, …, 1/256.
  assert.deepEqual(spec.notes!({ heads: 8, position: 'alibi' }), [
    'ALiBi slopes `m_h`, heads 1–8: 1/2, 1/4, 1/8, 1/16, 1/32, 1/64, 1/128, 1/256. A key `d` positions away loses `m_h·d` from its score: head 1 has lost 1 at distance 2, head 8 only at 256: the heads look from near to far.',
  ]);
  // 12 heads: the 8 of a power of two, then every other slope of 16 (2^-0.5, 2^-1.5, …), as alibiSlopes gives them.
  const twelve = spec.notes!({ heads: 12, position: 'alibi' })[0];
  assert.ok(twelve.includes('heads 1–12: 1/2, 1/4, 1/8, 1/16, 1/32, 1/64, 1/128, 1/256, 0.707, 0.354, 0.177, 0.0884.'), twelve);
  assert.ok(twelve.includes('head 12 only at 11.3'), twelve);
  assert.match(spec.notes!({ heads: 1, position: 'alibi' })[0], /head 1: 1\/256\. .*: it has lost 1 at distance 256\./);
  assert.match(spec.notes!({ heads: 32, position: 'alibi' })[0], /, … \(32 heads\)\./);
  assert.deepEqual(spec.notes!({ heads: 8, position: 'none' }), []);
  // The hover shows them.
  const a = analyze('model M {\n  input x: [seq, 64]\n  output x -> attention(8, causal = true, position = alibi)\n}\n');
  const site = a.sites.find((s) => s.kind === 'layer' && s.name === 'attention')!;
  const node = nodeAtRange(a.models[0], site.range, 'layer')!;
  assert.ok(layerHoverMarkdown(site, spec, undefined, undefined, { notes: spec.notes!(node.args) }).includes('ALiBi slopes `m_h`, heads 1–8: 1/2'));
});
