// layer.positional_alibi: a positional layer whose value reaches only ALiBi attentions
// (extension/core/analysis/lints.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { exampleDiagnostics } from '../fixtures/examples';
import { applyFix, rangeOf } from './sourceText';

const CODE = 'layer.positional_alibi';
const found = (text: string) => analyze(text).diagnostics.filter((d) => d.code === CODE);

const lm = (positional: string, second = 'attention(4, causal = true, position = alibi)') => `model LM {
  input t: int[seq]
  h = t -> embedding(16, 32)${positional}
  h = h + h -> attention(4, causal = true, position = alibi)
  h = h + h -> ${second}
  output h -> dense(16) -> softmax
}
`;

test('positional(learned) before ALiBi attentions: info on the positional, with the first ALiBi attention related; the fix removes it', () => {
  const text = lm(' -> positional(learned, maxlen = 16)');
  const all = analyze(text).diagnostics;
  assert.deepEqual(all.map((d) => d.code), [CODE]);
  const [d] = all;
  assert.equal(d.severity, 'info');
  assert.deepEqual(d.range, rangeOf(text, 'positional(learned, maxlen = 16)'));
  assert.equal(
    d.message,
    'positional(learned, maxlen = 16) adds position embeddings, but every attention it reaches uses position = alibi (attention(4, causal = true, position = alibi)), ' +
      'which tells positions apart by their distance: ALiBi replaces positional embeddings (Press et al. add none), and a learned table also caps the sequence at maxlen = 16, ' +
      'where ALiBi would run longer. Remove positional(learned, maxlen = 16).',
  );
  assert.deepEqual(d.related?.map((r) => r.range), [rangeOf(text, 'attention(4, causal = true, position = alibi)')]);
  assert.deepEqual(d.fixes?.map((f) => f.title), ['Remove positional(learned, maxlen = 16)']);
  const fixed = applyFix(text, d);
  assert.equal(fixed, lm(''));
  assert.deepEqual(analyze(fixed).diagnostics, []);
});

test('through a repeated block of ALiBi attentions; sinusoidal says no maxlen', () => {
  const text = `block gpt(heads) {
  input x
  x = x + x -> layernorm -> attention(heads, causal = true, position = alibi)
  output x + x -> layernorm -> dense(32)
}
model LM {
  input t: int[seq]
  output t -> embedding(16, 32) -> positional(sinusoidal) -> gpt(4) * 2 -> dense(16) -> softmax
}
`;
  const [d, ...rest] = found(text);
  assert.deepEqual(rest, []);
  assert.match(d.message, /^positional\(sinusoidal\) adds position embeddings, but every attention it reaches uses position = alibi \(attention\(4, causal = true, position = alibi\)\), .*\(Press et al\. add none\)\. Remove positional\(sinusoidal\)\.$/);
  assert.equal(d.related?.[0].range.start.line, 2);
  assert.deepEqual(analyze(applyFix(text, d)).diagnostics, []);
});

test('not reported when an attention it reaches has no ALiBi or is a cross-attention, or when it reaches none', () => {
  assert.deepEqual(found(lm(' -> positional(learned, maxlen = 16)', 'attention(4, causal = true)')), []);
  // Into a dense only; or on to a later attention without ALiBi, after the ALiBi ones.
  assert.deepEqual(found('model M {\n  input t: int[seq]\n  output t -> embedding(16, 32) -> positional(sinusoidal) -> dense(4)\n}\n'), []);
  const split = lm(' -> positional(learned, maxlen = 16)').replace('  output h -> dense(16)', '  h = h + h -> attention(4)\n  output h -> dense(16)');
  assert.deepEqual(found(split), []);
  // A decoder with ALiBi self-attention whose positions also go into a cross-attention.
  const s2s = `model S2S {
  input src: int[s]
  input tgt: int[t]
  e = embedding(16, 32)
  mem = src -> e -> positional(learned, maxlen = 16)
  h = tgt -> e -> positional(learned, maxlen = 16)
  h = h + h -> attention(4, causal = true, position = alibi)
  h = h + h -> attention(4, context = mem)
  output h -> dense(16) -> softmax
}
`;
  assert.deepEqual(found(s2s), []);
  assert.deepEqual(found('model M {\n  input t: int[seq]\n  output t -> embedding(16, 32) -> positional(sinusoidal) -> lstm(8, return_sequences = true)\n}\n'), []);
});

test('no example raises it', () => {
  const examples = exampleDiagnostics(CODE);
  assert.ok(examples.length > 10);
  for (const e of examples) assert.deepEqual(e.messages, [], e.file);
});

test('a non-causal ALiBi attention keeps its positional layer: the distance bias is the same both ways, so without positions it cannot tell left from right', () => {
  const text = `model Enc {
  input tokens: int[seq]
  e = embedding(16, 64)
  output tokens -> e -> positional(learned, maxlen = 16) -> attention(4, position = alibi) -> dense(16) -> softmax
}
`;
  assert.deepEqual(analyze(text).diagnostics.filter((d) => d.code === 'layer.positional_alibi'), []);
  assert.equal(analyze(text.replace('position = alibi)', 'position = alibi, causal = true)')).diagnostics.filter((d) => d.code === 'layer.positional_alibi').length, 1);
});
