// layer.cross_causal: `causal = true` on a cross-attention masks the encoder's output by the
// query's index (extension/core/analysis/lints.ts); the receptive field says what it then sees.
// layer.cross_alibi: `position = alibi` there measures a distance between two sequences.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { compactField, describeField, modelFields } from '../../extension/core/analysis/receptive';
import { applyFix, rangeOf } from './sourceText';

const codes = (text: string) => analyze(text).diagnostics.map((d) => d.code);

/** An encoder-decoder whose cross-attention call is `cross`. */
const s2s = (cross: string) => `model S2S {
  input src: int[s]
  input tgt: int[t]
  e = embedding(16, 32)
  mem = src -> e -> positional(learned, maxlen = 16)
  h = tgt -> e -> positional(learned, maxlen = 16)
  h = h + h -> attention(4, causal = true)
  h = h + h -> ${cross}
  output h -> dense(16) -> softmax
}
`;

test('causal = true on cross-attention: one warning on the argument, saying what it hides; the fix removes it', () => {
  const text = s2s('attention(4, context = mem, causal = true)');
  const all = analyze(text).diagnostics;
  assert.deepEqual(all.map((d) => d.code), ['layer.cross_causal']);
  const [d] = all;
  assert.equal(d.severity, 'warning');
  assert.deepEqual(d.range, rangeOf(text, 'causal = true', 1));
  assert.equal(
    d.message,
    "causal = true on cross-attention hides the context's later positions: the query at position i reads only positions 0 to i of `mem`. " +
      "The queries come from the decoder and the keys and values from `mem` (the encoder's output), which the decoder may read whole: " +
      "it holds no answer to hide (the decoder's self-attention with causal = true does that). Remove causal = true.",
  );
  assert.equal(d.fixes?.length, 1);
  assert.equal(d.fixes![0].title, 'Remove causal = true');
  assert.equal(d.fixes![0].preferred, true);
  const fixed = applyFix(text, d);
  assert.equal(fixed, s2s('attention(4, context = mem)'));
  assert.deepEqual(analyze(fixed).diagnostics, []);
});

test('the fix keeps the other arguments: written first by name, or in its place by position', () => {
  const first = s2s('attention(causal = true, heads = 4, context = mem)');
  const [d] = analyze(first).diagnostics;
  assert.equal(d.code, 'layer.cross_causal');
  assert.equal(applyFix(first, d), s2s('attention(heads = 4, context = mem)'));
  // attention(heads, key_dim, causal, ...): removing a positional value would move the ones after it.
  const positional = s2s('attention(4, 8, true, context = mem)');
  const [p] = analyze(positional).diagnostics;
  assert.equal(p.code, 'layer.cross_causal');
  assert.deepEqual(p.range, rangeOf(positional, 'true', 1));
  assert.equal(p.fixes![0].title, 'Change to causal = false');
  assert.equal(applyFix(positional, p), s2s('attention(4, 8, false, context = mem)'));
});

test('in a decoder block: reported once, on the block body, however often the block is used', () => {
  const text = `block decoder(heads) {
  input x
  input memory
  x = x + x -> attention(heads, causal = true)
  output x + x -> attention(heads, context = memory, causal = true)
}
model S2S {
  input src: int[s]
  input tgt: int[t]
  e = embedding(16, 32)
  mem = src -> e -> positional(learned, maxlen = 16)
  output tgt -> e -> positional(learned, maxlen = 16) -> decoder(4, memory = mem) * 2 -> decoder(2, memory = mem) -> dense(16) -> softmax
}
`;
  const found = analyze(text).diagnostics;
  assert.deepEqual(found.map((d) => d.code), ['layer.cross_causal']);
  assert.deepEqual(found[0].range, rangeOf(text, 'causal = true', 1));
  assert.match(found[0].message, /positions 0 to i of `memory`/);
  assert.deepEqual(analyze(applyFix(text, found[0])).diagnostics, []);
});

test('not reported without causal = true, on self-attention, or on a context made from the query\'s own input', () => {
  assert.deepEqual(codes(s2s('attention(4, context = mem)')), []);
  assert.deepEqual(codes(s2s('attention(4, context = mem, causal = false)')), []);
  // Query and context from the same sequence are aligned position by position: a mask over the context may be meant.
  const same = `model M {
  input x: int[seq]
  h = x -> embedding(16, 32) -> positional(learned, maxlen = 16)
  c = h -> dense(32)
  h = h + h -> attention(4, context = c, causal = true)
  output h -> dense(16) -> softmax
}
`;
  assert.deepEqual(codes(same), []);
  // A context that mixes the query's sequence in (src and tgt together) is not certain either.
  const mixed = `model M {
  input src: int[s]
  input tgt: int[s]
  e = embedding(16, 32)
  h = tgt -> e -> positional(learned, maxlen = 16)
  c = (src -> e) + h
  h = h + h -> attention(4, context = c, causal = true)
  output h -> dense(16) -> softmax
}
`;
  assert.deepEqual(codes(mixed), []);
});

test('receptive field: a causal cross-attention sees the context up to the query\'s index, as the runtime masks it', () => {
  const fieldOf = (cross: string) => {
    const m = analyze(s2s(cross)).models[0];
    const out = modelFields(m).outputs[0];
    return { src: out.get('src'), cell: compactField(out, m), lines: describeField(out, m) };
  };
  const masked = fieldOf('attention(4, context = mem, causal = true)');
  assert.deepEqual(masked.src, { kind: 'global', causal: true });
  assert.equal(masked.cell, 'tgt: all earlier · src: all earlier');
  assert.deepEqual(masked.lines, ['all earlier tokens of *tgt* (and the current one)', 'all earlier tokens of *src* (and the current one)']);
  const whole = fieldOf('attention(4, context = mem)');
  assert.deepEqual(whole.src, { kind: 'global', causal: false });
  assert.equal(whole.cell, 'tgt: all earlier · src: all');
});

test('receptive field: an encoder that already read all of the source keeps it whole behind a causal cross-attention', () => {
  const text = s2s('attention(4, context = mem, causal = true)').replace(
    'mem = src -> e -> positional(learned, maxlen = 16)',
    'mem = src -> e -> positional(learned, maxlen = 16) -> attention(4)',
  );
  const m = analyze(text).models[0];
  assert.deepEqual(modelFields(m).outputs[0].get('src'), { kind: 'global', causal: false });
});

test('position = alibi on cross-attention: one warning on the argument; the fix removes it', () => {
  const text = s2s('attention(4, context = mem, position = alibi)');
  const all = analyze(text).diagnostics;
  assert.deepEqual(all.map((d) => d.code), ['layer.cross_alibi']);
  const [d] = all;
  assert.equal(d.severity, 'warning');
  assert.deepEqual(d.range, rangeOf(text, 'position = alibi'));
  assert.equal(
    d.message,
    'position = alibi on cross-attention subtracts m·|i − j| from the score of position j of `mem` for the query at position i, but i and j count positions of two different sequences: ' +
      'the distance means nothing, and only pulls each query towards the positions of `mem` at its own index. Remove position = alibi here (the self-attentions may keep it).',
  );
  assert.deepEqual(d.fixes?.map((f) => f.title), ['Remove position = alibi']);
  assert.equal(applyFix(text, d), s2s('attention(4, context = mem)'));
  assert.deepEqual(analyze(applyFix(text, d)).diagnostics, []);
  // With causal = true too: one warning for each, each fix removing its own argument.
  const both = s2s('attention(4, context = mem, causal = true, position = alibi)');
  const two = analyze(both).diagnostics;
  assert.deepEqual(two.map((x) => x.code), ['layer.cross_causal', 'layer.cross_alibi']);
  assert.equal(applyFix(both, two[0]), s2s('attention(4, context = mem, position = alibi)'));
  assert.equal(applyFix(both, two[1]), s2s('attention(4, context = mem, causal = true)'));
  // Self-attention with ALiBi, and a context from the query's own input, are left alone.
  assert.deepEqual(codes(s2s('attention(4, context = mem)').replace('attention(4, causal = true)', 'attention(4, causal = true, position = alibi)')), []);
  const same = `model M {
  input x: int[seq]
  h = x -> embedding(16, 32)
  c = h -> dense(32)
  h = h + h -> attention(4, context = c, position = alibi)
  output h -> dense(16) -> softmax
}
`;
  assert.deepEqual(codes(same), []);
});

test('two aligned inputs of one symbolic length (a forecast reading covariates): a causal or ALiBi cross-attention is meant, not reported', () => {
  const forecast = (cross: string) => `model Forecast {
  input past: [t, 8]
  input cov: [t, 4]
  c = cov -> dense(32)
  h = past -> dense(32)
  h = h + h -> attention(4, causal = true)
  h = h + h -> ${cross}
  output h -> dense(1)
}
`;
  assert.deepEqual(codes(forecast('attention(4, context = c, causal = true)')), []);
  assert.deepEqual(codes(forecast('attention(4, context = c, position = alibi)')), []);
  // The same length written as a number may be a source and a target: still reported.
  const fixed = s2s('attention(4, context = mem, causal = true)').replace('int[s]', 'int[8]').replace('int[t]', 'int[8]');
  assert.ok(codes(fixed).includes('layer.cross_causal'), codes(fixed).join(', '));
});
