// train.input_order: an encoder-decoder trained on sequences(...) whose output runs along its first input (fed
// the source) instead of its second (fed the decoder's input). The hint comes from the graph: which input
// reaches the output through the queries and which only as a cross-attention's `context =`, and which feeds a
// causal self-attention (a decoder's) or one that sees every position (an encoder's). Before, the hint knew
// only a causal self-attention on the second input; every other model got "declare the encoder's input
// first", also when the encoder's input was first and the cross-attention took its queries from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { analyze } from '../../extension/core/analysis/analyze';
import type { Diagnostic } from '../../extension/core/analysis/types';
import { applyFix, rangeOf } from './sourceText';

const TRAIN = (name: string) => `train ${name} {
  data: sequences(task = reverse, length = 6, vocab = 12)
}
`;

function only(diagnostics: Diagnostic[], code: string): Diagnostic {
  const found = diagnostics.filter((d) => d.code === code);
  assert.equal(found.length, 1, `one ${code} in ${JSON.stringify(diagnostics.map((d) => `${d.code}: ${d.message}`))}`);
  return found[0];
}

/** A small encoder-decoder with a causal decoder self-attention, its inputs declared decoder first. */
const SWAPPED = `model Small {
  input target: int[tgt_len]
  input source: int[src_len]
  e = embedding(12, 32)
  memory = source -> e -> positional(learned, maxlen = 16)
  output target -> e -> positional(learned, maxlen = 16)
                -> attention(2, causal = true) -> layernorm
                -> attention(2, context = memory) -> dense(12) -> softmax
}
${TRAIN('Small')}`;

test('inputs declared in the wrong order (the causal decoder first): declare the encoder first, with the fix that swaps them', () => {
  const d = only(analyze(SWAPPED).diagnostics, 'train.input_order');
  assert.equal(d.severity, 'error');
  assert.deepEqual(d.range, rangeOf(SWAPPED, 'sequences(task = reverse, length = 6, vocab = 12)'));
  assert.equal(
    d.message,
    "'Small' predicts one token per position of its first input 'target' (tgt_len), but the first input is fed the source sequence and the second ('source') the decoder's input; " +
      "'Small' reads 'target' as the decoder's input (it gives the queries of attention(2, context = memory), and its self-attention is causal) and 'source' as the encoder's (its keys and values): declare 'source' first.",
  );
  assert.deepEqual(
    d.related?.map((r) => r.range),
    [rangeOf(SWAPPED, 'input target: int[tgt_len]'), rangeOf(SWAPPED, 'input source: int[src_len]'), rangeOf(SWAPPED, 'attention(2, context = memory)')],
  );
  assert.equal(d.related?.[2].message, "attention(2, context = memory) takes its queries from 'target' and its keys and values from 'source'");
  assert.deepEqual(d.fixes?.map((f) => [f.title, f.preferred]), [["Declare 'source' first", true]]);
  const fixed = applyFix(SWAPPED, d);
  assert.ok(fixed.includes('  input source: int[src_len]\n  input target: int[tgt_len]\n'), fixed);
  assert.deepEqual(analyze(fixed).diagnostics, []);
});

test('the same through blocks and repeats: the example Transformer with its inputs swapped', () => {
  const example = readFileSync('examples/transformer.nnmodel', 'utf8');
  const decl = 'input source: int[src_len]\n  input target: int[tgt_len]';
  const swapped = example.split(decl).join('input target: int[tgt_len]\n  input source: int[src_len]');
  const d = only(analyze(swapped).diagnostics, 'train.input_order');
  // Both inputs reach the decoder blocks, but only 'target' as the queries of their causal self-attention; the
  // label is the call as analysed in the first copy of the block.
  assert.match(d.message, /'TinyTransformer' reads 'target' as the decoder's input \(it gives the queries of attention\(4, context = memory\), and its self-attention is causal\) and 'source' as the encoder's .*: declare 'source' first\.$/);
  assert.deepEqual(d.related?.[2].range, rangeOf(swapped, 'attention(heads, context = memory)', 1)); // the first is in the header comment
  assert.equal(d.fixes?.[0].preferred, true);
  assert.equal(applyFix(swapped, d).includes(decl), true);
});

test('a decoder of cross-attention only, declared first: the encoder is told by its self-attention, which sees every position', () => {
  const text = `model X {
  input target: int[t]
  input source: int[s]
  e = embedding(12, 32)
  memory = source -> e -> positional(learned, maxlen = 16) -> attention(2)
  output target -> e -> positional(learned, maxlen = 16) -> attention(2, context = memory) -> dense(12) -> softmax
}
${TRAIN('X')}`;
  const d = only(analyze(text).diagnostics, 'train.input_order');
  assert.match(d.message, /'X' reads 'target' as the decoder's input \(it gives the queries of attention\(2, context = memory\)\) and 'source' as the encoder's \(its keys and values; its self-attention sees every position\): declare 'source' first\.$/);
  const fixed = applyFix(text, d);
  assert.deepEqual(analyze(fixed).diagnostics, []);
});

test("an output that follows the encoder's side (the cross-attention's queries from the source): swap the cross-attention's roles, not the declarations", () => {
  // With a causal decoder self-attention on the second input.
  const causal = `model S2S {
  input src: int[s]
  input tgt: int[t]
  e = embedding(16, 32)
  h = tgt -> e -> positional(learned, maxlen = 16) -> attention(4, causal = true)
  mem = src -> e -> positional(learned, maxlen = 16)
  mem = mem + mem -> attention(4, context = h)
  output mem -> dense(16) -> softmax
}
${TRAIN('S2S')}`;
  const d = only(analyze(causal).diagnostics, 'train.input_order');
  assert.match(
    d.message,
    /; the output follows the encoder's side: 'tgt' is the decoder's input \(its self-attention is causal\), so the output must run along 'tgt', but attention\(4, context = h\) takes its queries from 'src'\. In a cross-attention the queries come from the decoder and the keys and values from the encoder: `h -> attention\(heads, context = memory\)` with h from 'tgt' and memory from 'src'\.$/,
  );
  assert.deepEqual(d.related?.[2].range, rangeOf(causal, 'attention(4, context = h)'));
  assert.equal(d.fixes, undefined);
  // Without any causal self-attention: the first input's self-attention, which sees every position, marks the encoder.
  const encoder = causal.replace('attention(4, causal = true)', 'dense(32)').replace('mem = src -> e -> positional(learned, maxlen = 16)', 'mem = src -> e -> positional(learned, maxlen = 16) -> attention(4)');
  const e = only(analyze(encoder).diagnostics, 'train.input_order');
  assert.match(e.message, /; the output follows the encoder's side: 'src' is the encoder's input \(its self-attention sees every position, as a decoder's must not\), so the output must run along 'tgt', but attention\(4, context = h\) takes its queries from 'src'\./);
  assert.doesNotMatch(e.message, /declare/);
});

test('recurrent sides that do not say which is the decoder: both changes are named, the swap of declarations not preferred', () => {
  const text = `model R {
  input src: int[s]
  input tgt: int[t]
  e = embedding(12, 32)
  h = tgt -> e -> lstm(32, return_sequences = true)
  mem = src -> e -> lstm(32, return_sequences = true)
  output mem -> attention(4, context = h) -> dense(12) -> softmax
}
${TRAIN('R')}`;
  const d = only(analyze(text).diagnostics, 'train.input_order');
  assert.match(
    d.message,
    /; 'R' reads 'src' as the decoder's input \(it gives the queries of attention\(4, context = h\)\) and 'tgt' as the encoder's \(its keys and values\): declare 'tgt' first; or, if 'src' is the source, take the queries of attention\(4, context = h\) from 'tgt' and its keys and values from 'src': `h -> attention\(heads, context = memory\)` with h from 'tgt' and memory from 'src'\.$/,
  );
  assert.deepEqual(d.fixes?.map((f) => [f.title, f.preferred]), [["Declare 'tgt' first", false]]);
});

test("a decoder's input that does not reach the output: the output must take its positions from it", () => {
  const text = `model E {
  input src: int[s]
  input tgt: int[t]
  e = embedding(12, 32)
  output src -> e -> positional(learned, maxlen = 16) -> attention(4) -> dense(12) -> softmax
}
${TRAIN('E')}`;
  const d = only(analyze(text).diagnostics, 'train.input_order');
  assert.match(d.message, /; 'tgt' does not reach the output, which follows 'src' alone\. The decoder's input must give the output its positions, as the queries of a cross-attention that reads the encoder's output: `h -> attention\(heads, context = memory\)` with h from 'tgt' and memory from 'src'\.$/);
  assert.equal(d.fixes, undefined);
  assert.equal(d.related?.length, 2);
});
