// layer.no_position: self-attention fed embedded tokens with nothing that tells their positions
// apart sees a bag of words (extension/core/analysis/lints.ts), checked here against the model
// TensorFlow.js runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import { ORDER_RULES } from '../../extension/core/analysis/lints';
import type { Diagnostic } from '../../extension/core/analysis/types';
import { LAYERS } from '../../extension/core/layers';
import { buildModel } from '../../extension/core/runtime/build';
import { useCpuBackend } from '../fixtures/tfjs';
import { exampleDiagnostics } from '../fixtures/examples';

useCpuBackend();

const CODE = 'layer.no_position';
const found = (text: string): Diagnostic[] => analyze(text).diagnostics.filter((d) => d.code === CODE);
const textOf = (text: string, r: Diagnostic['range']) => text.slice(r.start.offset, r.end.offset);
const model = (body: string, input = 't: int[seq]') => `model M {\n  input ${input}\n${body}\n}\n`;

/** The text after applying fix `i` of `d`. */
function applied(text: string, d: Diagnostic, i = 0): string {
  const edits = [...d.fixes![i].edits].sort((a, b) => b.range.start.offset - a.range.start.offset);
  for (const e of edits) text = text.slice(0, e.range.start.offset) + e.newText + text.slice(e.range.end.offset);
  return text;
}

test('embedding -> attention(4) -> mean(0): info on the attention, says why and what to change; both fixes apply and silence it', () => {
  const text = model('  output t -> embedding(100, 64) -> attention(4) -> mean(0) -> dense(2) -> softmax');
  const all = analyze(text).diagnostics;
  assert.deepEqual(all.map((d) => d.code), [CODE]);
  const [d] = all;
  assert.equal(d.severity, 'info');
  assert.equal(textOf(text, d.range), 'attention(4)');
  assert.equal(
    d.message,
    'attention(4) sees its tokens as a bag of words: reordering the input only reorders its outputs (and mean(0) then gives the same value) — ' +
      'the model cannot use word order. Add a positional encoding after the embedding (`-> positional(sinusoidal)`), or use attention(4, position = alibi).',
  );
  assert.equal(d.related!.length, 1);
  assert.equal(textOf(text, d.related![0].range), 'embedding(100, 64)');
  assert.equal(d.related![0].message, 'embedding(100, 64) gives a token the same vector wherever it stands');
  assert.deepEqual(
    d.fixes!.map((f) => [f.title, f.preferred === true]),
    [
      ["Insert '-> positional(sinusoidal)' after embedding(100, 64)", true],
      ['Set position = alibi in attention(4)', false],
    ],
  );
  const positional = applied(text, d, 0);
  assert.equal(positional, model('  output t -> embedding(100, 64) -> positional(sinusoidal) -> attention(4) -> mean(0) -> dense(2) -> softmax'));
  assert.deepEqual(analyze(positional).diagnostics, []);
  const alibi = applied(text, d, 1);
  assert.equal(alibi, model('  output t -> embedding(100, 64) -> attention(4, position = alibi) -> mean(0) -> dense(2) -> softmax'));
  assert.deepEqual(analyze(alibi).diagnostics, []);
});

test('reported through per-position layers, residuals, blocks and repeats; once, on the first attention after the embedding', () => {
  const cases: [string, string][] = [
    // Per-position layers between the embedding and the attention, a tagger's per-position output.
    ['  output t -> embedding(100, 64) -> dropout(0.1) -> layernorm -> dense(64, activation = gelu) -> attention(4) -> dense(5)', 'attention(4)'],
    // A pre-norm residual: x + attention(layernorm(x)), then more attention.
    ['  h = t -> embedding(100, 64)\n  h = h + h -> layernorm -> attention(8)\n  h = h + h -> layernorm -> attention(4)\n  output h -> max(0)', 'attention(8)'],
    // A 1-tap conv1d is a dense per position.
    ['  output t -> embedding(100, 64) -> conv1d(64, 1) -> attention(4) -> mean(0)', 'attention(4)'],
    // A cls_token stays at position 0: take(0) reads a vector that depends on the bag only.
    ['  output t -> embedding(100, 64) -> cls_token -> attention(4) -> take(0) -> dense(2)', 'attention(4)'],
    // A written position = none, other arguments by name and by place.
    ['  output t -> embedding(100, 64) -> attention(4, 16, dropout = 0.1, position = none) -> mean(0)', 'attention(4, 16, dropout = 0.1, position = none)'],
    // A repeated attention: its range is the repeat's.
    ['  output t -> embedding(100, 64) -> attention(4) * 3 -> mean(0)', 'attention(4) * 3'],
  ];
  for (const [body, at] of cases) {
    const text = model(body);
    const ds = found(text);
    assert.equal(ds.length, 1, body);
    assert.equal(textOf(text, ds[0].range), at, body);
    // The preferred fix (a positional encoding after the embedding) silences every attention after it.
    assert.deepEqual(analyze(applied(text, ds[0], 0)).diagnostics, [], body);
  }
  // The pooled value is named when there is one.
  assert.match(found(model(cases[1][0]))[0].message, /\(and max\(0\) then gives the same value\)/);
  assert.match(found(model(cases[3][0]))[0].message, /\(and take\(0\) then gives the same value\)/);
  assert.match(found(model(cases[0][0]))[0].message, /only reorders its outputs — the model cannot use word order/);
  // position = none as written becomes position = alibi.
  const written = model(cases[4][0]);
  const d = found(written)[0];
  assert.equal(d.fixes![1].title, 'Set position = alibi in attention(4, 16, dropout = 0.1, position = none)');
  assert.equal(applied(written, d, 1), model('  output t -> embedding(100, 64) -> attention(4, 16, dropout = 0.1, position = alibi) -> mean(0)'));
  assert.deepEqual(analyze(applied(written, d, 1)).diagnostics, []);
  // A repeat cannot be rewritten as a call: only the positional fix.
  assert.deepEqual(found(model(cases[5][0]))[0].fixes!.map((f) => f.title), ["Insert '-> positional(sinusoidal)' after embedding(100, 64)"]);
});

test('in a block body: reported once on the block text, however often the block is used; the fix goes into this file', () => {
  const text = `block encoder(d, h) {
  input x
  x = x + x -> layernorm -> attention(h)
  output x + x -> layernorm -> dense(d, activation = gelu)
}
model M {
  input t: int[seq]
  output t -> embedding(1000, 64) -> encoder(64, 4) * 6 -> mean(0) -> dense(2)
}
`;
  const ds = found(text);
  assert.equal(ds.length, 1);
  assert.equal(textOf(text, ds[0].range), 'attention(h)');
  assert.equal(ds[0].range.start.line, 2);
  assert.match(ds[0].message, /^attention\(4\) sees its tokens as a bag of words: .*\(and mean\(0\) then gives the same value\)/);
  assert.equal(ds[0].fixes![1].title, 'Set position = alibi in attention(4)');
  // The call as written, with its parameter.
  assert.equal(applied(text, ds[0], 1), text.replace('attention(h)', 'attention(h, position = alibi)'));
  assert.deepEqual(analyze(applied(text, ds[0], 1)).diagnostics, []);
  assert.deepEqual(analyze(applied(text, ds[0], 0)).diagnostics, []);
  // An embedding inside the block: the positional encoding goes there.
  const inside = `block embed(v, d) {
  input x
  output x -> embedding(v, d) -> dropout(0.1)
}
model M {
  input t: int[seq]
  output t -> embed(100, 32) -> attention(2) -> mean(0)
}
`;
  const d = found(inside)[0];
  assert.equal(textOf(inside, d.related![0].range), 'embedding(v, d)');
  assert.equal(applied(inside, d, 0), inside.replace('embedding(v, d)', 'embedding(v, d) -> positional(sinusoidal)'));
  assert.deepEqual(analyze(applied(inside, d, 0)).diagnostics, []);
});

test('a sequence longer than positional\'s default maxlen gets maxlen in the fix; a layer object keeps its call', () => {
  const long = model('  output t -> embedding(100, 16) -> attention(2) -> mean(0)', 't: int[3000]');
  const d = found(long)[0];
  assert.equal(d.fixes![0].title, "Insert '-> positional(sinusoidal, maxlen = 3000)' after embedding(100, 16)");
  assert.deepEqual(analyze(applied(long, d, 0)).diagnostics, []);
  // Layer objects: the embedding's application takes the insertion; the attention object is not rewritten (its other uses).
  const objects = model('  wte = embedding(100, 32)\n  att = attention(2)\n  output t -> wte -> att -> mean(0)');
  const o = found(objects)[0];
  assert.equal(textOf(objects, o.range), 'att');
  assert.match(o.message, /^att \(attention\(2\)\) sees its tokens as a bag of words/);
  assert.deepEqual(o.fixes!.map((f) => f.title), ["Insert '-> positional(sinusoidal)' after wte"]);
  assert.equal(applied(objects, o, 0), model('  wte = embedding(100, 32)\n  att = attention(2)\n  output t -> wte -> positional(sinusoidal) -> att -> mean(0)'));
  assert.deepEqual(analyze(applied(objects, o, 0)).diagnostics, []);
});

test('an encoder without positions in a model with two inputs: named, and only "it" when another path can see the order', () => {
  const text = `model T {
  input source: int[src]
  input target: int[tgt]
  memory = source -> embedding(100, 32) -> attention(4)
  output target -> embedding(100, 32) -> positional(sinusoidal) -> attention(4, causal = true) -> attention(4, context = memory) -> dense(100)
}
`;
  const ds = found(text);
  assert.equal(ds.length, 1);
  assert.equal(ds[0].range.start.line, 3);
  // The decoder's queries do not depend on the source: reading a bag, its cross-attention gives the same value in any order.
  assert.match(
    ds[0].message,
    /^attention\(4\) sees its tokens as a bag of words: reordering the input 'source' only reorders its outputs \(and attention\(4, context = memory\) then gives the same value\) — the model cannot use word order\./,
  );
  // A conv1d path next to the attention sees the order: the model can, the attention still cannot.
  const side = model('  e = t -> embedding(100, 32)\n  output concat(e -> attention(4) -> mean(0), e -> conv1d(32, 3) -> mean(0))');
  assert.match(found(side)[0].message, /only reorders its outputs \(and mean\(0\) then gives the same value\) — it cannot use word order\./);
});

test('not reported with a positional encoding, a causal mask, ALiBi, or a position-aware layer first', () => {
  const quiet = [
    '  output t -> embedding(100, 64) -> positional(sinusoidal) -> attention(4) -> mean(0)',
    '  output t -> embedding(100, 64) -> positional(learned, maxlen = 128) -> attention(4) -> mean(0)',
    '  output t -> embedding(100, 64) -> attention(4, causal = true) -> dense(100)',
    '  output t -> embedding(100, 64) -> attention(4, position = alibi) -> mean(0)',
    '  output t -> embedding(100, 64) -> conv1d(64, 3, padding = same) -> attention(4) -> mean(0)',
    '  output t -> embedding(100, 64) -> lstm(64, return_sequences = true) -> attention(4) -> mean(0)',
    '  output t -> embedding(100, 64) -> gru(64, return_sequences = true) -> attention(4) -> mean(0)',
    // A causal attention first tells the positions apart: a later plain attention sees them.
    '  output t -> embedding(100, 64) -> attention(4, causal = true) -> attention(4) -> mean(0)',
    // Positions fed as a second input of ids: the sum is not a bag.
    '  output (t -> embedding(100, 64) + p -> embedding(512, 64)) -> attention(4) -> mean(0)',
    // No embedding: real-valued inputs may carry their own positions.
    '  output x -> attention(2) -> mean(0)',
    // No attention.
    '  output t -> embedding(100, 64) -> mean(0) -> dense(2)',
    // One token: no order to lose.
    '  output u -> embedding(100, 64) -> attention(4) -> mean(0)',
  ];
  for (const body of quiet) {
    const text = model(body, 't: int[seq]\n  input p: int[seq]\n  input x: [seq, 8]\n  input u: int[1]');
    assert.deepEqual(analyze(text).diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), [], body);
    assert.deepEqual(found(text), [], body);
  }
  // Cross-attention is not what is reported (its queries keep their own positions).
  assert.deepEqual(found(model('  m = x -> dense(32)\n  output t -> embedding(100, 32) -> positional(sinusoidal) -> attention(4, context = m) -> mean(0)', 't: int[seq]\n  input x: [seq, 8]')), []);
  // Not in a model with errors.
  assert.deepEqual(found(model('  output t -> embedding(100, 64) -> attention(4) -> dense(q)')), []);
});

test('every layer of the catalogue says what it does to a bag of tokens', () => {
  const missing = [...LAYERS.keys()].filter((name) => !(name in ORDER_RULES));
  assert.deepEqual(missing, []);
});

test('no example raises it', () => {
  const examples = exampleDiagnostics(CODE);
  assert.ok(examples.length > 10);
  for (const e of examples) assert.deepEqual(e.messages, [], e.file);
  // The examples do use attention: the check is not vacuous.
  assert.ok(examples.reduce((n, e) => n + (e.text.match(/attention\(/g) ?? []).length, 0) > 3);
});

// ------------------------------------------------------------------ numbers

/** Outputs of `text`'s model (built with the core's runtime) for a batch of one token sequence. */
function run(text: string, tokens: number[]): number[][][] {
  const a = analyze(text);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  const built = buildModel(tf, a.models[0], { seed: 7, symbolicDims: { seq: tokens.length } });
  try {
    return tf.tidy(() => {
      const out = built.model.predict(tf.tensor2d([tokens], [1, tokens.length], 'int32'));
      // A per-position output [1, seq, d] as its seq rows; a pooled one [1, k] as one row.
      return (Array.isArray(out) ? out : [out]).map((t) => (t.rank === 2 ? (t.arraySync() as number[][]) : (t.arraySync() as number[][][])[0]));
    });
  } finally {
    built.model.dispose();
  }
}

const maxDiff = (a: number[][], b: number[][]) => Math.max(...a.flatMap((row, i) => row.map((x, j) => Math.abs(x - b[i][j]))));

test('the claim, in numbers: with the lint, permuting the tokens permutes the outputs and leaves the mean the same; without it, not', () => {
  const variants: [string, string][] = [
    ['bag', 'h = t -> embedding(50, 16) -> dropout(0.1) -> layernorm -> attention(4)'],
    ['bag, residuals and two attentions', 'e = t -> embedding(50, 16) -> dense(16, activation = gelu)\n  e = e + e -> layernorm -> attention(2)\n  h = e + e -> attention(4)'],
    ['positional', 'h = t -> embedding(50, 16) -> positional(sinusoidal) -> attention(4)'],
    ['causal', 'h = t -> embedding(50, 16) -> attention(4, causal = true)'],
    ['alibi', 'h = t -> embedding(50, 16) -> attention(4, position = alibi)'],
    ['conv1d', 'h = t -> embedding(50, 16) -> conv1d(16, 3, padding = same) -> attention(4)'],
  ];
  const tokens = [3, 17, 42, 8, 29, 11];
  const perm = [4, 0, 5, 2, 1, 3];
  const permuted = perm.map((p) => tokens[p]);
  for (const [name, body] of variants) {
    const text = model(`  ${body}\n  output h\n  output h -> mean(0) -> dense(3)`);
    const lint = found(text).length === 1;
    const [seqA, pooledA] = run(text, tokens);
    const [seqB, pooledB] = run(text, permuted);
    // Output position i of the permuted run is position perm[i] of the first.
    const reordered = maxDiff(seqB, perm.map((p) => seqA[p]));
    const pooled = maxDiff(pooledB, pooledA);
    if (name.startsWith('bag')) {
      assert.ok(lint, `${name}: the lint fires`);
      assert.ok(reordered < 1e-5, `${name}: outputs only reordered (max difference ${reordered})`);
      assert.ok(pooled < 1e-5, `${name}: the mean gives the same value (max difference ${pooled})`);
    } else {
      assert.ok(!lint, `${name}: the lint is silent`);
      assert.ok(reordered > 1e-3, `${name}: the outputs see the order (max difference ${reordered})`);
      assert.ok(pooled > 1e-4, `${name}: the pooled value sees the order (max difference ${pooled})`);
    }
  }
});

test('a call over several lines gets the ALiBi fix as an edit of its source: comments and layout kept, a trailing comma respected, a written position replaced', () => {
  const cases: [string, string][] = [
    // The argument goes after the last one, before the comment and the line break.
    [
      '  output t -> embedding(100, 64) -> attention(4,  # heads\n      dropout = 0.1  # a little\n    ) -> mean(0)',
      '  output t -> embedding(100, 64) -> attention(4,  # heads\n      dropout = 0.1, position = alibi  # a little\n    ) -> mean(0)',
    ],
    // A trailing comma: the argument follows it.
    [
      '  output t -> embedding(100, 64) -> attention(\n      4,\n    ) -> mean(0)',
      '  output t -> embedding(100, 64) -> attention(\n      4, position = alibi\n    ) -> mean(0)',
    ],
    // position = none written on its own line: its value becomes alibi.
    [
      '  output t -> embedding(100, 64) -> attention(4,\n      position = none)  # keep\n    -> mean(0)',
      '  output t -> embedding(100, 64) -> attention(4,\n      position = alibi)  # keep\n    -> mean(0)',
    ],
  ];
  for (const [body, want] of cases) {
    const text = model(body);
    const ds = found(text);
    assert.equal(ds.length, 1, body);
    const alibi = ds[0].fixes!.findIndex((f) => f.title.startsWith('Set position = alibi'));
    assert.ok(alibi >= 0, `the ALiBi fix for ${body}: ${ds[0].fixes!.map((f) => f.title).join(' | ')}`);
    const after = applied(text, ds[0], alibi);
    assert.equal(after, model(want));
    assert.deepEqual(analyze(after).diagnostics, [], want);
    // The edit's line and character agree with its offset.
    const e = ds[0].fixes![alibi].edits[0];
    const lines = text.slice(0, e.range.start.offset).split('\n');
    assert.deepEqual([e.range.start.line, e.range.start.character], [lines.length - 1, lines[lines.length - 1].length]);
  }
});

test('the ALiBi fix for a call over several lines is offered when the file has a uri, as the editor analyses it (cold review)', () => {
  const text = model('  output t -> embedding(100, 64) -> attention(4,\n      dropout = 0.1\n    ) -> mean(0)');
  const want = model('  output t -> embedding(100, 64) -> attention(4,\n      dropout = 0.1, position = alibi\n    ) -> mean(0)');
  for (const uri of [undefined, 'file:///work/m.nnmodel']) {
    const ds = analyze(text, { uri }).diagnostics.filter((d) => d.code === CODE);
    assert.equal(ds.length, 1, String(uri));
    const alibi = ds[0].fixes!.findIndex((f) => f.title.startsWith('Set position = alibi'));
    assert.ok(alibi >= 0, `the ALiBi fix with uri ${uri}: ${ds[0].fixes!.map((f) => f.title).join(' | ')}`);
    assert.equal(applied(text, ds[0], alibi), want);
  }
});
