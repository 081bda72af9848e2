// The attention view for a masked language model without the DOM (webview/views/maskedModel.ts): typed text with
// [MASK] encoded as the tokeniser's ids with the mask id in place of each [MASK], the tokens' spans and labels, the
// predictions read at the masked positions of an output, the token Fill writes, and when the view treats a model as
// a masked one (the train section's mask, or the loaded checkpoint's objective).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { temperatureSoftmax } from '../../extension/core/runtime/generate';
import { charTokenizer, idTokenizer, wordTokenizer } from '../../extension/core/runtime/tokenizers';
import {
  encodeMasked,
  fillChoice,
  filledText,
  maskedLabels,
  maskedObjective,
  maskedPieces,
  maskedSpans,
  maskPredictions,
  maskTitle,
  noMaskText,
  withoutMasks,
  MASK_TOKEN,
} from '../../webview/views/maskedModel';
import { firstOutput } from '../../webview/views/outputModel';

const chars = charTokenizer('abcdt ');

test('[MASK] in a typed text becomes the mask id at its position; the rest is the tokeniser’s ids', () => {
  const maskId = chars.vocabSize; // one past the tokeniser's ids, as training gives it
  assert.equal(MASK_TOKEN, '[MASK]');
  const { ids, masks } = encodeMasked(chars, 'ca[MASK] b[mask]', maskId);
  assert.deepEqual(ids, [...chars.encode('ca'), maskId, ...chars.encode(' b'), maskId]);
  assert.deepEqual(masks, [2, 5]);
  // Masks side by side, at the start and at the end; no mask at all.
  assert.deepEqual(encodeMasked(chars, '[MASK][MASK]a', maskId), { ids: [maskId, maskId, ...chars.encode('a')], masks: [0, 1] });
  assert.deepEqual(encodeMasked(chars, 'cat', maskId), { ids: chars.encode('cat'), masks: [] });
  // The characters of "[MASK]" are not read as text (they are not in this alphabet: they would be unknown tokens, id 0).
  assert.ok(!encodeMasked(chars, 'a[MASK]', maskId).ids.includes(0));
  // A half-typed mask is text.
  assert.deepEqual(encodeMasked(chars, 'a[MAS', maskId).masks, []);
  // Words and typed ids.
  const words = wordTokenizer('the cat sat on the mat');
  const w = encodeMasked(words, 'the [MASK] sat', words.vocabSize);
  assert.deepEqual(w.ids, [...words.encode('the'), words.vocabSize, ...words.encode('sat')]);
  assert.deepEqual(w.masks, [1]);
  assert.deepEqual(encodeMasked(idTokenizer(10), '3 1 [MASK] 5', 10), { ids: [3, 1, 10, 5], masks: [2] });
  assert.equal(withoutMasks('3[MASK]5', ' '), '3 5');
  assert.equal(withoutMasks('a[mask]b'), 'ab');
  assert.deepEqual(maskedPieces('a[MASK]'), [
    { mask: false, start: 0, end: 1 },
    { mask: true, start: 1, end: 7 },
  ]);
});

test('the Tokens panel’s spans: a [MASK] is one token of the mask id covering its text; labels name it [MASK]', () => {
  const maskId = chars.vocabSize;
  const text = 'c[MASK]t a';
  const spans = maskedSpans(chars, text, maskId)!;
  assert.deepEqual(
    spans.map((s) => [text.slice(s.start, s.end), s.id]),
    [
      ['c', chars.encode('c')[0]],
      ['[MASK]', maskId],
      ['t', chars.encode('t')[0]],
      [' ', chars.encode(' ')[0]],
      ['a', chars.encode('a')[0]],
    ],
  );
  assert.deepEqual(spans.map((s) => s.id), encodeMasked(chars, text, maskId).ids, 'the spans are the ids the model is fed');
  assert.equal(maskedSpans(idTokenizer(10), '1 [MASK]', 10), undefined, 'typed ids are not pieces of a text');
  assert.deepEqual(maskedLabels(chars, encodeMasked(chars, 'a [MASK]', maskId).ids, maskId), ['a', '␣', '[MASK]']);
  // An embedding row past [MASK]: named by its id, not as a token.
  assert.deepEqual(maskedLabels(chars, [maskId + 1], maskId), [`id ${maskId + 1}`]);
});

test('predictions are read at the masked positions of the output, as softmax of their rows', () => {
  // A hand-made [4 positions, 3 tokens] output of logits: each row favours another token.
  const T = 4;
  const V = 3;
  const logits = Float32Array.from([
    5, 0, 0, // position 0 → token 0
    0, 5, 0, // position 1 → token 1
    0, 0, 5, // position 2 → token 2
    1, 2, 3, // position 3 → token 2, less sure
  ]);
  const preds = maskPredictions(logits, T, V, [1, 3], 'logits', 2);
  assert.deepEqual(preds.map((p) => [p.mask, p.position, p.top[0].index]), [
    [0, 1, 1],
    [1, 3, 2],
  ]);
  const row3 = temperatureSoftmax([1, 2, 3], 'logits');
  assert.deepEqual(Array.from(preds[1].probs), Array.from(row3));
  assert.deepEqual(preds[1].top.map((r) => r.index), [2, 1]);
  // A softmax output is taken as it is.
  const probs = Float32Array.from([0.7, 0.2, 0.1, 0.1, 0.3, 0.6]);
  const p = maskPredictions(probs, 2, V, [1], 'probabilities', 1)[0];
  assert.equal(p.top[0].index, 2);
  assert.ok(Math.abs(p.top[0].p - 0.6) < 1e-6);
  // A mask cut off (past the positions fed) gives nothing, and the next keeps its index in the text.
  assert.deepEqual(maskPredictions(logits, T, V, [7, 0], 'logits', 1).map((q) => [q.mask, q.position]), [[1, 0]]);
  assert.throws(() => maskPredictions(logits, 5, V, [0], 'logits', 1), /not 5 × 3/);
  assert.equal(maskTitle({ mask: 0, position: 1 }, ['c', '[MASK]', 't']), '[MASK] 1 at position 1, between “c” and “t”');
  assert.equal(maskTitle({ mask: 1, position: 0 }, ['[MASK]', 't']), '[MASK] 2 at position 0, before “t”');
  assert.match(noMaskText(false), /^Type \[MASK\] where a token is hidden/);
  assert.match(noMaskText(true), /past the tokens the model reads/);
});

test('a tiny model fed [MASK]: the predictions come from the masked positions of its real output', async () => {
  const tf = await import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  await tf.ready();
  // embedding(V, V) → its row is the output's logits: row i favours token (i + 1) mod V, so each position's
  // prediction tells which id it was fed.
  const tok = charTokenizer('abc');
  const maskId = tok.vocabSize; // 4
  const V = maskId + 1;
  const table = Array.from({ length: V }, (_, i) => Array.from({ length: V }, (_, j) => (j === (i + 1) % V ? 4 : 0)));
  const model = tf.sequential({ layers: [tf.layers.embedding({ inputDim: V, outputDim: V, inputLength: 4, weights: [tf.tensor2d(table)] })] });
  try {
    const { ids, masks } = encodeMasked(tok, 'a[MASK]b[MASK]', maskId);
    assert.deepEqual(masks, [1, 3]);
    const x = tf.tensor2d([ids], [1, 4], 'int32');
    const out = firstOutput(tf, model, x);
    x.dispose();
    const preds = maskPredictions(out, 4, V, masks, 'logits', 1);
    assert.deepEqual(preds.map((p) => p.top[0].index), [(maskId + 1) % V, (maskId + 1) % V], 'what follows the mask id, at both masks');
    // Read at the other positions, the rows of 'a' and 'b' would give other tokens.
    assert.deepEqual(maskPredictions(out, 4, V, [0, 2], 'logits', 1).map((p) => p.top[0].index), [(ids[0] + 1) % V, (ids[2] + 1) % V]);
    assert.notEqual((ids[0] + 1) % V, (maskId + 1) % V);
  } finally {
    model.dispose();
  }
});

test('Fill writes the most likely token that can be written in place of its [MASK]', () => {
  const maskId = chars.vocabSize;
  const V = maskId + 2; // an embedding with a spare row past [MASK]
  const at = (id: number) => chars.encode(chars.tokens([id])[0])[0];
  const probs = new Float64Array(V);
  probs[0] = 0.3; // the unknown token: no text to write
  probs[maskId] = 0.25; // [MASK] itself
  probs[maskId + 1] = 0.2; // a row no text encodes to
  const t = at(3);
  probs[t] = 0.15;
  probs[at(1)] = 0.1;
  assert.equal(fillChoice(probs, chars, maskId), t);
  assert.equal(fillChoice(new Float64Array(V).fill(1 / V), chars, maskId), 1, 'ties to the first writable id (not the unknown id 0)');
  assert.equal(fillChoice([1], chars, maskId), undefined, 'only the unknown token: nothing to write');
  const c = chars.encode('c')[0];
  assert.equal(filledText('a[MASK] b[MASK]', 1, chars, c), 'a[MASK] bc');
  assert.equal(filledText('a[MASK] b[mask]', 0, chars, c), 'ac b[mask]');
  assert.equal(filledText('ab', 0, chars, c), 'ab', 'no such mask');
  const words = wordTokenizer('the cat sat');
  assert.equal(filledText('the [MASK] sat', 0, words, words.encode('cat')[0]), 'the cat sat');
  assert.equal(filledText('3 [MASK] 5', 0, idTokenizer(10), 7), '3 7 5');
  // The filled text encodes to the chosen id where the mask was.
  const filled = filledText('a[MASK]b', 0, chars, c);
  assert.deepEqual(chars.encode(filled), [...chars.encode('a'), c, ...chars.encode('b')]);
});

test('a model is shown as masked when its train section masks (initial weights) or its checkpoint says so (trained weights)', async () => {
  assert.equal(maskedObjective(0.15, { kind: 'initial' }), 0.15);
  assert.equal(maskedObjective(undefined, { kind: 'initial' }), undefined);
  assert.equal(maskedObjective(0.15, undefined), 0.15);
  // Trained weights answer for themselves: next-token weights under a section that now masks are next-token weights.
  assert.equal(maskedObjective(0.15, { kind: 'trained' }), undefined);
  assert.equal(maskedObjective(undefined, { kind: 'trained', mask: 0.2 }), 0.2);

  // The checkpoint's objective reaches the view through the applied weights (webview/training/weights.ts).
  const tf = await import('@tensorflow/tfjs');
  const { reviveModel, serializeModel } = await import('../../extension/core/protocol');
  const { encodeCheckpoint } = await import('../../extension/core/runtime/checkpoint');
  const { ModelSession } = await import('../../webview/host/session');
  const { TrainedWeights } = await import('../../webview/training/weights');
  await tf.setBackend('cpu');
  await tf.ready();
  const text = `model M {\n  input tokens: int[8]\n  output tokens -> embedding(12, 4) -> dense(12) -> softmax\n}\n`;
  const info = () => reviveModel(JSON.parse(JSON.stringify(serializeModel(analyze(text).models[0]))));
  const uri = 'file:///m.nnmodel';
  const applied = async (objective?: { mask: number }) => {
    const s0 = ModelSession.create(tf, info(), { seed: 1 });
    let msg;
    try {
      const ck = await encodeCheckpoint(s0.built, { model: 'M', epoch: 1, history: [], ...(objective ? { objective } : {}) });
      msg = { type: 'weights' as const, uri, model: 'M', epoch: 1, modelJson: JSON.stringify(ck.modelJson), weights: ck.weights };
    } finally {
      s0.dispose();
    }
    const weights = new TrainedWeights();
    weights.remember(msg);
    const s = ModelSession.create(tf, info(), { seed: 2 });
    try {
      return weights.applyTo(s, uri, 'M');
    } finally {
      s.dispose();
    }
  };
  const masked = await applied({ mask: 0.15 });
  assert.equal(masked?.mask, 0.15);
  assert.equal(maskedObjective(undefined, { kind: 'trained', ...(masked?.mask !== undefined ? { mask: masked.mask } : {}) }), 0.15);
  const plain = await applied();
  assert.equal(plain?.mask, undefined);
});
