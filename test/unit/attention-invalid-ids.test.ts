// Ids typed into an encoder-decoder's token boxes (examples/transformer.nnmodel's TinyTransformer) that are not ids
// of its vocabulary: the id tokeniser reads each as 0, and the attention view used to say nothing, so Decode answered
// for a source the user had not typed. The info line now names them (webview/views/attentionModel.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idTokenizer, charTokenizer } from '../../extension/core/runtime/tokenizers';
import { invalidIdsText } from '../../webview/views/attentionModel';

test('items that are not ids below the vocabulary size are named, once each, with what they are read as', () => {
  const ids = idTokenizer(16);
  assert.equal(invalidIdsText(ids, 'source', '1 2 x 99 -3 x'), 'source: “x”, “99”, “-3” are not ids 0–15, read as 0');
  assert.equal(invalidIdsText(ids, 'target', '0 16'), 'target: “16” is not an id 0–15, read as 0');
  assert.deepEqual(ids.encode('1 2 x 99 -3'), [1, 2, 0, 0, 0], 'what the note says the model is fed');
});

test('valid ids, commas and extra spaces give no note; other tokenisers are left to the Tokens panel', () => {
  assert.equal(invalidIdsText(idTokenizer(16), 'source', ' 3, 1 4  15 0 '), undefined);
  assert.equal(invalidIdsText(idTokenizer(16), 'source', ''), undefined);
  assert.equal(invalidIdsText(charTokenizer('abc'), 'text', 'xyz 99'), undefined);
});

test('a long list of bad items is cut after five', () => {
  assert.equal(invalidIdsText(idTokenizer(4), 'source', 'a b c d e f g'), 'source: “a”, “b”, “c”, “d”, “e”, … are not ids 0–3, read as 0');
});
