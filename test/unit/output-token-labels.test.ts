// The next-token list's labels and the line above it (webview/views/outputModel.ts): an embedding larger than the
// tokeniser's vocabulary (gpt_small: 64 rows for a 60-id char tokeniser) has rows no text encodes to; each is named
// by its id, not `<unk>` (several of them read as one token repeated), and an all-equal distribution (zero weights)
// names no "most likely" token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { charTokenizer, idTokenizer, UNKNOWN_TOKEN } from '../../extension/core/runtime/tokenizers';
import { nextTokenSummary, tokenLabels, typable, untypableText } from '../../webview/views/outputModel';

test('ids past the vocabulary are labelled by id, the unknown token stays <unk>, the others show their text', () => {
  const chars = charTokenizer('ab c');
  assert.equal(chars.vocabSize, 5, 'the unknown token, then space, a, b, c');
  const labels = tokenLabels(chars, [0, 1, 2, 5, 6, 63]);
  assert.deepEqual(labels, [UNKNOWN_TOKEN, '␣', 'a', 'id 5', 'id 6', 'id 63']);
  assert.equal(new Set(labels).size, labels.length, 'no two rows of the list share a label');
  // Neither can be appended, and each says why.
  assert.equal(typable(chars, 0), false);
  assert.equal(typable(chars, 5), false);
  assert.match(untypableText(chars, 0), /unknown token/);
  assert.equal(untypableText(chars, 5), "No text encodes to id 5: the tokeniser has 5 ids (0–4); the embedding's other rows are never read");
  // An id tokeniser writes its ids; past its size, the same id label.
  assert.deepEqual(tokenLabels(idTokenizer(3), [2, 7]), ['2', 'id 7']);
});

test('the line above the list: the most likely token, or every token equally likely', () => {
  const top = { label: 'e', p: 0.59 };
  assert.equal(nextTokenSummary('r', top, [0.59, 0.3, 0.11], 0.1), 'After “r”, most likely: “e” (59 %) at temperature 0.10');
  // Zero weights: 37 000 logits of 0 give 1/37 000 each; no token is "most likely".
  const n = 37000;
  const uniform = new Float64Array(n).fill(1 / n);
  assert.equal(
    nextTokenSummary('.', { label: UNKNOWN_TOKEN, p: uniform[0] }, uniform, 1),
    'After “.”: every one of the 37,000 tokens is equally likely (< 0.1 % each) at temperature 1.00',
  );
  assert.equal(nextTokenSummary(' ', undefined, [], 1), '');
});
