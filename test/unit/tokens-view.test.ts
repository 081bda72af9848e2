// The attention view's Tokens panel without the DOM (webview/views/tokensModel.ts): where each token of a typed
// text starts and ends, a BPE's merge list with its counts, and the nearest embedding rows by cosine similarity.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { charTokenizer, gpt2Tokenizer, idTokenizer, trainBpe, wordTokenizer } from '../../extension/core/runtime/tokenizers';
import { parseHostMessage } from '../../extension/core/protocol';
import { mergeRows, mergeSummary, nearestRows, nearestTokens, seenTokens, similarityText, tokenSpans, unknownNote } from '../../webview/views/tokensModel';

/** The course notes' corpus: hug ×10, pug ×5, pun ×12, bun ×4, hugs ×5. */
const NOTES = [...Array(10).fill('hug'), ...Array(5).fill('pug'), ...Array(12).fill('pun'), ...Array(4).fill('bun'), ...Array(5).fill('hugs')].join(' ');

const pieces = (text: string, spans: { start: number; end: number }[]) => spans.map((s) => text.slice(s.start, s.end));

test("the merge list of the notes' example: rank, pair, new symbol, count, id", () => {
  const bpe = trainBpe(NOTES, 1 + 8 + 3);
  const rows = mergeRows(bpe.model);
  // Alphabet: space b g h n p s u (8), so the merges get ids 9, 10, 11.
  assert.deepEqual(rows, [
    { rank: 1, left: 'u', right: 'g', merged: 'ug', count: 20, id: 9 },
    { rank: 2, left: 'u', right: 'n', merged: 'un', count: 16, id: 10 },
    { rank: 3, left: 'h', right: 'ug', merged: 'hug', count: 15, id: 11 },
  ]);
  for (const r of rows) assert.deepEqual(bpe.tokens([r.id]), [r.merged], 'the id a row names is the merged symbol');
  assert.match(mergeSummary(bpe.model), /^8 base symbols \(the training text's characters\), then 3 merges: /);
  // A model saved before counts were recorded: rows without them.
  assert.equal(mergeRows({ alphabet: bpe.model.alphabet, merges: bpe.model.merges })[0].count, undefined);
  assert.match(mergeSummary({ alphabet: ['a', 'b'], merges: [] }), /nothing was merged: 2 pieces \+ the unknown token \(id 0\) = 3 ids\.$/);
  assert.match(mergeSummary(bpe.model), /re-tokenised the text\. 11 pieces \+ the unknown token \(id 0\) = 12 ids\.$/);
});

test('BPE token spans cover the typed text, one per token, unknown characters one each', () => {
  const bpe = trainBpe(NOTES, 1 + 8 + 3);
  const text = 'hugs pun bug';
  const spans = tokenSpans(bpe, text)!;
  assert.deepEqual(pieces(text, spans), ['hug', 's', ' ', 'p', 'un', ' ', 'b', 'ug']);
  assert.deepEqual(spans.map((s) => s.id), bpe.encode(text));
  assert.equal(spans[0].start, 0);
  assert.equal(spans.at(-1)!.end, text.length);
  for (let i = 1; i < spans.length; i++) assert.equal(spans[i].start, spans[i - 1].end, 'contiguous');
  // Characters outside the alphabet (one outside the BMP) are the unknown token, one character each.
  const odd = 'hug😀z';
  const oddSpans = tokenSpans(bpe, odd)!;
  assert.deepEqual(pieces(odd, oddSpans), ['hug', '😀', 'z']);
  assert.deepEqual(oddSpans.map((s) => s.id), [11, 0, 0]);
});

test('char and word token spans; none for GPT-2 and typed ids', async () => {
  const chars = charTokenizer('abc ');
  assert.deepEqual(pieces('ab c', tokenSpans(chars, 'ab c')!), ['a', 'b', ' ', 'c']);
  const words = wordTokenizer('the cat sat.\n');
  const text = 'the  dog sat.\nthe';
  const spans = tokenSpans(words, text)!;
  // Spaces between words belong to no token; an unknown word still covers its letters.
  assert.deepEqual(pieces(text, spans), ['the', 'dog', 'sat', '.', '\n', 'the']);
  assert.deepEqual(spans.map((s) => s.id), words.encode(text));
  assert.equal(spans[1].id, 0);
  assert.equal(tokenSpans(idTokenizer(10), '1 2 3'), undefined);
  assert.equal(tokenSpans(await gpt2Tokenizer(), 'hello'), undefined);
});

test('nearest rows by cosine similarity, against a hand-computed table', () => {
  // Five rows of two values:
  //   0: (1, 0)   1: (2, 0)   2: (0, 3)   3: (1, 1)   4: (-1, 0)
  // From row 0: cos(0,1) = 1, cos(0,3) = 1/√2 ≈ 0.7071, cos(0,2) = 0, cos(0,4) = −1.
  const table = [1, 0, 2, 0, 0, 3, 1, 1, -1, 0];
  const near = nearestRows(table, 5, 2, 0, 8);
  assert.deepEqual(near.map((n) => n.id), [1, 3, 2, 4]);
  assert.ok(Math.abs(near[0].similarity - 1) < 1e-12);
  assert.ok(Math.abs(near[1].similarity - Math.SQRT1_2) < 1e-12);
  assert.ok(Math.abs(near[2].similarity) < 1e-12);
  assert.ok(Math.abs(near[3].similarity + 1) < 1e-12);
  // From row 3 (1, 1): rows 0 and 1 both at 1/√2 (ties to the lower id), row 2 too, row 4 at −1/√2.
  const from3 = nearestRows(table, 5, 2, 3, 2);
  assert.deepEqual(from3.map((n) => n.id), [0, 1]);
  assert.ok(Math.abs(from3[1].similarity - Math.SQRT1_2) < 1e-12);
  // Only ids below the limit (the tokeniser's) are candidates; a row of zeros is never one, and has no neighbours itself.
  assert.deepEqual(nearestRows(table, 5, 2, 0, 8, 3).map((n) => n.id), [1, 2]);
  const zeros = [1, 0, 0, 0, 1, 1];
  assert.deepEqual(nearestRows(zeros, 3, 2, 0, 8).map((n) => n.id), [2]);
  assert.deepEqual(nearestRows(zeros, 3, 2, 1, 8), []);
  assert.deepEqual(nearestRows(table, 5, 2, 7, 8), [], 'a row outside the table');
  // A diverged run's NaN or infinite rows are nobody's neighbours, and have none.
  const diverged = [1, 0, Number.NaN, 1, 0.5, 0.5, Infinity, 0, 1, 1];
  assert.deepEqual(nearestRows(diverged, 5, 2, 0, 8).map((n) => n.id), [2, 4]);
  assert.deepEqual(nearestRows(diverged, 5, 2, 1, 8), []);
  assert.deepEqual(nearestRows(diverged, 5, 2, 3, 8), []);
  assert.equal(similarityText(-0.4567), '−0.46');
  assert.equal(similarityText(0.70710678), '0.71');
});

test("a clicked token's nearest tokens never list the unknown token (id 0), even when its row is the nearest", () => {
  // charTokenizer('abc'): id 0 unknown, 1 a, 2 b, 3 c. Rows of two values; row 4 is beyond the vocabulary:
  //   0: (1, 0.1)   1: (1, 0)   2: (1, 1)   3: (0, 1)   4: (1, 0)
  // From a (row 1): cos with row 0 ≈ 0.995, row 2 = 1/√2, row 3 = 0.
  const table = [1, 0.1, 1, 0, 1, 1, 0, 1, 1, 0];
  const chars = charTokenizer('abc');
  assert.deepEqual(nearestRows(table, 5, 2, 1, 8, chars.vocabSize).map((n) => n.id), [0, 2, 3], 'by the rows alone the unknown row is the nearest');
  const near = nearestTokens(table, 5, 2, chars, 1);
  assert.deepEqual(near.map((n) => n.id), [2, 3]);
  assert.ok(Math.abs(near[0].similarity - Math.SQRT1_2) < 1e-12);
  assert.deepEqual(nearestTokens(table, 5, 2, chars, 1, 1).map((n) => n.id), [2], 'k counts the tokens listed, the unknown one not among them');
  assert.deepEqual(nearestTokens(table, 5, 2, wordTokenizer('a b c'), 3).map((n) => n.id), [2, 1]);
  const bpe = trainBpe(NOTES, 1 + 8 + 3);
  const wide = Array.from({ length: bpe.vocabSize }, (_, i) => (i === 0 ? [1, 0.01] : i === 11 ? [1, 0] : [0, 1])).flat();
  assert.ok(!nearestTokens(wide, bpe.vocabSize, 2, bpe, 11).some((n) => n.id === 0));
  // Typed ids have no unknown token: id 0 is a token like any other.
  assert.deepEqual(nearestTokens(table, 5, 2, idTokenizer(5), 1).map((n) => n.id), [4, 0, 2, 3]);
});

test("the model message carries a text source's tokeniser; an unknown one drops the training data, not the model", () => {
  const base = { type: 'model', uri: 'file:///a.nnmodel', version: 1, model: { graph: { nodes: [] } }, models: ['M'], rows: [], diagnostics: [], seed: 1 };
  const ok = parseHostMessage({ ...base, trainData: { kind: 'text', tokenizer: 'bpe' } });
  assert.deepEqual(ok && ok.type === 'model' && ok.trainData, { kind: 'text', tokenizer: 'bpe' });
  const bad = parseHostMessage({ ...base, trainData: { kind: 'text', tokenizer: 'sentencepiece' } });
  assert.ok(bad && bad.type === 'model' && !('trainData' in bad));
});

test('characters outside the vocabulary get the CLI\'s warning about a prompt, said of the text', () => {
  const chars = charTokenizer('abc 123');
  assert.equal(unknownNote(chars, 'cab 12', 'the training text'), undefined);
  assert.equal(
    unknownNote(chars, 'ab4 €€', 'the training text'),
    'The text has 2 characters not in the vocabulary of the training text: "4", "€"; the model reads each as the unknown token.',
  );
  const bpe = trainBpe(NOTES, 1 + 8 + 3);
  assert.match(unknownNote(bpe, 'hug4', 'the training text') ?? '', /^The text has 1 character not in the vocabulary of the training text: "4"; the model reads it as the unknown token\.$/);
});

test('a similarity that rounds to zero reads 0.00, never −0.00', () => {
  assert.equal(similarityText(-0.004), '0.00');
  assert.equal(similarityText(0.004), '0.00');
  assert.equal(similarityText(-0.006), '−0.01');
});

test('the Tokens panel marks the tokens the model does not see: a language model reads the last N, other models the first N', () => {
  // The QA case: a 70-token text for a language model that reads 64 (gpt_small's positional maxlen): the first 6 are left out.
  const text = 'x'.repeat(70);
  const spans = tokenSpans(charTokenizer('x'), text)!;
  assert.equal(spans.length, 70);
  assert.deepEqual(seenTokens(spans.length, { length: 64, keep: 'last' }), {
    start: 6,
    end: 70,
    note: 'The model sees the last 64 tokens: the first 6 tokens (dimmed) are left out.',
  });
  // A masked (or any other) model is fed the first N, as attention.ts cuts them (fitTokens).
  assert.deepEqual(seenTokens(70, { length: 64, keep: 'first' }), {
    start: 0,
    end: 64,
    note: 'The model sees the first 64 tokens: the last 6 tokens (dimmed) are left out.',
  });
  assert.equal(seenTokens(65, { length: 64, keep: 'last' })!.note, 'The model sees the last 64 tokens: the first token (dimmed) is left out.');
  // A text that fits: every token is seen, no note.
  assert.equal(seenTokens(64, { length: 64, keep: 'last' }), undefined);
  assert.equal(seenTokens(10, undefined), undefined);
});
