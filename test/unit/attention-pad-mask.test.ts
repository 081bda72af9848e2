// Padding masks (`attention(..., pad_mask = tokens, pad_id = 0)`, course note 004 "Mask: Padding and
// Look-Ahead"): what the analysis checks, what the hover says, and what the tfjs layer computes — a query
// reads only the keys whose token id is not pad_id, so a sequence padded to a longer length gives, at its
// own positions, exactly what it gives unpadded; with causal = true both masks apply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import type { ModelInfo } from '../../extension/core/analysis/types';
import { getLayer } from '../../extension/core/layers';
import { Sym, type Shape } from '../../extension/core/analysis/sym';
import { isAttentionLayer } from '../../extension/core/layers/attention';
import { buildModel } from '../../extension/core/runtime/build';
import { useCpuBackend } from '../fixtures/tfjs';

useCpuBackend();

function errorsOf(text: string): string[] {
  return analyze(text)
    .diagnostics.filter((d) => d.severity === 'error')
    .map((d) => `${d.range.start.line + 1}: ${d.code}: ${d.message}`);
}

function modelOf(text: string): ModelInfo {
  const a = analyze(text);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity !== 'info').map((d) => `${d.code}: ${d.message}`), []);
  return a.models[0];
}

test('pad_mask takes one token id per key position: int values, rank 1, the keys’ length (the context’s for cross-attention)', () => {
  const errs = errorsOf(`
model Real {
  input tokens: int[16]
  h = tokens -> embedding(100, 32)
  output h -> attention(4, pad_mask = h)
}
model Matrix {
  input tokens: int[16]
  input grid: int[16, 2]
  h = tokens -> embedding(100, 32)
  output h -> attention(4, pad_mask = grid)
}
model Short {
  input tokens: int[16]
  input other: int[12]
  h = tokens -> embedding(100, 32)
  output h -> attention(4, causal = true, pad_mask = other)
}
model CrossWrongSide {
  input src: int[12]
  input tgt: int[16]
  mem = src -> embedding(100, 32)
  output tgt -> embedding(100, 32) -> attention(4, context = mem, pad_mask = tgt)
}
`);
  assert.equal(errs.length, 4, errs.join('\n'));
  assert.match(errs[0], /^5: arg\.type: pad_mask takes the token ids of the input's positions \(an `int\[\.\.\.\]` value.*\[16, 32\] holds real values/);
  assert.match(errs[1], /^11: shape\.rank: pad_mask must be one token id per position of the input, \[16\]; got int\[16, 2\]/);
  assert.match(errs[2], /^17: shape\.mismatch: pad_mask has 12 positions \(int\[12\]\) but the input has 16/);
  assert.match(errs[3], /^23: shape\.mismatch: pad_mask has 16 positions \(int\[16\]\) but the context has 12/);
});

test('a padding mask adds no parameters or MACs; the hover says which keys it hides and how it combines with causal', () => {
  const withMask = modelOf(`
model M {
  input src: int[seq]
  input tgt: int[n]
  mem = src -> embedding(100, 32)
  h = tgt -> embedding(100, 32)
  h = h + h -> attention(4, causal = true, pad_mask = tgt)
  output h + h -> attention(4, context = mem, pad_mask = src, pad_id = 3)
}
`);
  const without = modelOf(`
model M {
  input src: int[seq]
  input tgt: int[n]
  mem = src -> embedding(100, 32)
  h = tgt -> embedding(100, 32)
  h = h + h -> attention(4, causal = true)
  output h + h -> attention(4, context = mem)
}
`);
  assert.equal(withMask.params.total.toString(), without.params.total.toString());
  assert.equal(withMask.macs.toString(), without.macs.toString());
  const spec = getLayer('attention')!;
  const shape = (dims: number[]): Shape => ({ dims: dims.map((v) => Sym.of(v)) });
  const self = spec.notes!({ heads: 4, causal: true, pad_mask: 'tgt' }, [shape([16, 32]), shape([16])]).join('\n');
  assert.match(self, /`pad_mask`.*the positions whose token id is 0 \(`pad_id`\) are hidden from every query and head/);
  assert.match(self, /With `causal = true` both masks apply, as in a decoder's self-attention: position i reads the positions 0…i that are not padding/);
  const cross = spec.notes!({ heads: 4, context: 'mem', pad_mask: 'src', pad_id: 3 }, [shape([16, 32]), shape([12, 32]), shape([12])]).join('\n');
  assert.match(cross, /the context positions whose token id is 3 \(`pad_id`\) are hidden/);
  assert.doesNotMatch(cross, /both masks/);
});

const ENCODER = (extra: string) => `
model M {
  input tokens: int[seq]
  h = tokens -> embedding(20, 8)
  output h -> attention(2${extra}, pad_mask = tokens)
}
`;

/** The model's output and its attention probabilities for one sequence of ids. */
function run(info: ModelInfo, ids: number[]): { out: number[][]; probs: number[][][] } {
  const built = buildModel(tf, info, { seed: 7 });
  const path = built.layerPaths.find((p) => built.nodeOf.get(p)!.op === 'attention')!;
  const layer = built.layerOf.get(path)!;
  assert.ok(isAttentionLayer(layer));
  layer.keepAttention = true;
  const y = built.model.predict(tf.tensor2d([ids], [1, ids.length], 'int32')) as tf.Tensor;
  const out = (y.arraySync() as number[][][])[0];
  const probs = (layer.lastAttention()!.arraySync() as number[][][][])[0];
  y.dispose();
  built.model.dispose();
  return { out, probs };
}

function close(a: number[], b: number[], what: string): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-5, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

test('padded keys get weight 0: a sequence padded at the end gives at its own positions what it gives unpadded', () => {
  const info = modelOf(ENCODER(''));
  const plain = run(info, [3, 4, 5]);
  const padded = run(info, [3, 4, 5, 0, 0]);
  for (let i = 0; i < 3; i++) close(padded.out[i], plain.out[i], `output at position ${i}`);
  for (const head of padded.probs) {
    for (const row of head) {
      assert.deepEqual([row[3], row[4]], [0, 0]);
      close([row.reduce((s, p) => s + p, 0)], [1], 'a row of weights sums to 1');
    }
  }
  // Without the mask the padding is read: the outputs differ.
  const unmasked = modelOf(ENCODER('').replace(', pad_mask = tokens', ''));
  const readsPads = run(unmasked, [3, 4, 5, 0, 0]);
  assert.ok(Math.abs(readsPads.out[0][0] - plain.out[0][0]) > 1e-4, 'without pad_mask the padding changes the output');
});

test('with causal = true both masks apply: a left-padded sequence gives at its own positions what it gives unpadded', () => {
  const info = modelOf(ENCODER(', causal = true'));
  const plain = run(info, [3, 4, 5]);
  const padded = run(info, [0, 0, 3, 4, 5]);
  for (let i = 0; i < 3; i++) close(padded.out[i + 2], plain.out[i], `output at position ${i + 2}`);
  for (const head of padded.probs) {
    // Position 3 reads 2 and 3 only: not the padding before, not the later position.
    assert.deepEqual([head[3][0], head[3][1], head[3][4]], [0, 0, 0]);
  }
  // A query whose earlier keys are all padding reads that padding, never a later position: the causal mask outweighs the padding mask.
  const allPad = run(info, [0, 0, 0, 4, 5]);
  for (const head of allPad.probs) {
    for (let q = 0; q < 3; q++) close([head[q][3], head[q][4]], [0, 0], `query ${q} reads no later position`);
    close(head[0].slice(0, 1), [1], 'query 0 reads itself only');
  }
  // pad_id: another id marks the padding.
  const nine = modelOf(ENCODER(', causal = true, pad_id = 9'));
  const nines = run(nine, [9, 9, 3, 4, 5]);
  const plainNine = run(nine, [3, 4, 5]);
  for (let i = 0; i < 3; i++) close(nines.out[i + 2], plainNine.out[i], `pad_id 9: output at position ${i + 2}`);
});

test('cross-attention: pad_mask hides the context’s padding from every query', () => {
  const info = modelOf(`
model M {
  input src: int[s]
  input tgt: int[t]
  mem = src -> embedding(20, 8)
  output tgt -> embedding(20, 8) -> attention(2, context = mem, pad_mask = src)
}
`);
  const predict = (src: number[], tgt: number[]) => {
    const built = buildModel(tf, info, { seed: 3 });
    const y = built.model.predict([tf.tensor2d([src], [1, src.length], 'int32'), tf.tensor2d([tgt], [1, tgt.length], 'int32')]) as tf.Tensor;
    const out = (y.arraySync() as number[][][])[0];
    y.dispose();
    built.model.dispose();
    return out;
  };
  const plain = predict([6, 7], [1, 2, 3]);
  const padded = predict([6, 7, 0, 0, 0], [1, 2, 3]);
  for (let i = 0; i < 3; i++) close(padded[i], plain[i], `query ${i}`);
});

test('train.pad_id: a padding mask over the decoder’s input with pad_id 0 hides sequences’ start token, not padding; the fix removes the mask', () => {
  const text = `model S2S {
  input src: int[n]
  input tgt: int[m]
  emb = embedding(10, 16)
  mem = src -> emb -> positional(learned, maxlen = 8)
  mem = (mem + mem -> attention(2, pad_mask = src)) -> layernorm
  h = tgt -> emb -> positional(learned, maxlen = 8)
  h = (h + h -> attention(2, causal = true, pad_mask = tgt, pad_id = 0)) -> layernorm
  h = (h + h -> attention(2, context = mem, pad_mask = src)) -> layernorm
  output h -> unembed(emb)
}
train S2S {
  data: sequences(task = reverse, length = 6, vocab = 10)
  loss: crossentropy
  epochs: 1
}
`;
  const found = analyze(text).diagnostics.filter((d) => d.code === 'train.pad_id');
  // Once, for the target's mask: the source's tokens are 1 … vocab − 1, so its mask is left alone.
  assert.equal(found.length, 1);
  const d = found[0];
  assert.equal(d.severity, 'warning');
  assert.match(d.message, /^attention\(2, causal = true, pad_mask = tgt, pad_id = 0\) hides the keys whose id is 0 in 'tgt', but id 0 is not padding there: sequences\(\.\.\.\) pads nothing and starts every target with token 0, its start token/);
  assert.equal(d.related?.[0].range.start.line, 7);
  const fix = d.fixes![0];
  assert.equal(fix.title, 'Remove pad_mask from attention(2, causal = true, pad_mask = tgt, pad_id = 0)');
  let fixed = text;
  for (const e of [...fix.edits].sort((a, b) => b.range.start.offset - a.range.start.offset)) {
    fixed = fixed.slice(0, e.range.start.offset) + e.newText + fixed.slice(e.range.end.offset);
  }
  assert.match(fixed, /h = \(h \+ h -> attention\(2, causal = true\)\) -> layernorm/);
  assert.deepEqual(analyze(fixed).diagnostics.filter((x) => x.severity !== 'info').map((x) => x.code), []);
  // Another pad_id: nothing to say.
  assert.deepEqual(analyze(text.replace('pad_id = 0', 'pad_id = 10')).diagnostics.filter((x) => x.code === 'train.pad_id'), []);
});

test('a tensor given for a block parameter (pad_mask = ids in the body) is an error at the call: tensors go into a block as inputs', () => {
  const asParam = `block enc(heads, ids) {
  input x
  output (x + x -> attention(heads, pad_mask = ids)) -> layernorm
}
model E {
  input source: int[n]
  output source -> embedding(16, 32) -> positional(learned, maxlen = 16) -> enc(2, source) -> dense(16) -> softmax
}
`;
  const errs = errorsOf(asParam);
  assert.deepEqual(errs, [
    "7: arg.type: 'ids' is a parameter of block 'enc', and parameters take numbers, words or layer objects; this is a tensor. A tensor goes into a block as an input: declare `input ids` in block 'enc' (after its first input) and give it by name: `enc(…, ids = source)`.",
  ]);
  // By name too, and for a context.
  assert.match(errorsOf(asParam.replace('enc(2, source)', 'enc(2, ids = source)'))[0], /^7: arg\.type: 'ids' is a parameter of block 'enc'/);
  // As the message says: an input of the block, given by name. It then masks the padding of the caller's ids.
  const asInput = asParam.replace('block enc(heads, ids) {\n  input x', 'block enc(heads) {\n  input x\n  input ids').replace('enc(2, source)', 'enc(2, ids = source)');
  const info = modelOf(asInput);
  const plain = run(info, [3, 4, 5]);
  const padded = run(info, [3, 4, 5, 0, 0]);
  for (let i = 0; i < 3; i++) close(padded.out[i], plain.out[i], `output at position ${i}`);
});
