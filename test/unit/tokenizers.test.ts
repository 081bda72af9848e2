import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  CHAR_VOCAB_LIMIT,
  DEFAULT_ALPHABETS,
  GPT2_VOCAB_SIZE,
  UNKNOWN_TOKEN,
  bpeTokenizer,
  charTokenizer,
  gpt2Tokenizer,
  idTokenizer,
  asTokenizerSpec,
  streamDecoder,
  tokenizerFor,
  tokenizerFromSpec,
  trainBpe,
  wordTokenizer,
} from '../../extension/core/runtime/tokenizers';

const tiny = readFileSync(join(resolve(__dirname, '../..'), 'examples/data/tiny.txt'), 'utf8');

test('char tokenizer: unknown at 0, then the corpus characters in code-point order', () => {
  const t = charTokenizer('banana bread');
  assert.equal(t.kind, 'char');
  assert.deepEqual(t.tokens([0, 1, 2, 3, 4, 5, 6, 7]), [UNKNOWN_TOKEN, ' ', 'a', 'b', 'd', 'e', 'n', 'r']);
  assert.equal(t.vocabSize, 8);
  assert.deepEqual(t.encode('bad'), [3, 2, 4]);
  assert.equal(t.decode(t.encode('a bare band')), 'a bare band');
  // Characters outside the corpus: the unknown id, decoded as U+FFFD.
  assert.deepEqual(t.encode('bz'), [3, 0]);
  assert.equal(t.decode([3, 0]), 'b\uFFFD');
});

test('char tokenizer keeps characters outside the BMP whole', () => {
  const t = charTokenizer('a😀b');
  assert.equal(t.vocabSize, 4);
  assert.deepEqual(t.tokens(t.encode('😀a')), ['😀', 'a']);
});

test('word tokenizer: words by frequency, punctuation and line breaks as tokens, spacing normalised', () => {
  const t = wordTokenizer('the cat, the hat.\nthe end');
  assert.equal(t.kind, 'word');
  assert.equal(t.tokens([1])[0], 'the', 'the most frequent word gets id 1');
  const ids = t.encode('the hat, the cat.');
  assert.deepEqual(t.tokens(ids), ['the', 'hat', ',', 'the', 'cat', '.']);
  assert.equal(t.decode(ids), 'the hat, the cat.');
  assert.equal(t.decode(t.encode('the   end.\nthe cat')), 'the end.\nthe cat');
  assert.deepEqual(t.encode('the dog'), [1, 0]);
  assert.equal(t.vocabSize, 1 + new Set(['the', 'cat', ',', 'hat', '.', '\n', 'end']).size);
});

test("BPE reproduces the course notes' example: ug, then un, then hug", () => {
  // hug ×10, pug ×5, pun ×12, bun ×4, hugs ×5 (the table in the notes).
  const words = [...Array(10).fill('hug'), ...Array(5).fill('pug'), ...Array(12).fill('pun'), ...Array(4).fill('bun'), ...Array(5).fill('hugs')];
  const corpus = words.join(' ');
  const base = 1 + new Set(corpus).size; // unknown + b g h n p s u + space
  const t = trainBpe(corpus, base + 3);
  assert.deepEqual(t.model.merges, [
    ['u', 'g'],
    ['u', 'n'],
    ['h', 'ug'],
  ]);
  // The counts the notes' tables give for each pair when it is merged: ug 20, then un 16, then h+ug 15.
  assert.deepEqual(t.model.counts, [20, 16, 15]);
  assert.equal(t.vocabSize, base + 3);
  assert.deepEqual(t.tokens(t.encode('hugs pun bug')), ['hug', 's', ' ', 'p', 'un', ' ', 'b', 'ug']);
  assert.deepEqual(t.tokens(t.encode('hug')), ['hug']);
});

test('BPE ties go to the pair of earliest symbols; pairs seen once are never merged', () => {
  const t = trainBpe('cd cd ab ab', 100);
  // ab and cd both occur twice: ab first (a, b have lower ids than c, d).
  assert.deepEqual(t.model.merges, [
    ['a', 'b'],
    ['c', 'd'],
  ]);
  assert.equal(t.vocabSize, 1 + 5 + 2, 'stops when no pair occurs twice');
  assert.deepEqual(t.model.counts, [2, 2]);
  assert.deepEqual(trainBpe('cd cd ab ab', 100).model, t.model, 'deterministic');
});

test('BPE on a real text: round trip, compression, ids below the vocabulary, rebuild from the model', () => {
  const t = trainBpe(tiny, 200);
  assert.ok(t.vocabSize <= 200);
  const ids = t.encode(tiny);
  assert.equal(t.decode(ids), tiny);
  assert.ok(ids.length < Array.from(tiny).length * 0.6, `expected compression, got ${ids.length} tokens for ${tiny.length} characters`);
  assert.ok(ids.every((i) => Number.isInteger(i) && i >= 0 && i < t.vocabSize));
  const again = bpeTokenizer(JSON.parse(JSON.stringify(t.model)));
  assert.deepEqual(again.encode(tiny), ids);
  // Text never seen: unknown characters become 0, the rest still round-trips.
  const odd = t.encode('Zebra & lamp');
  assert.ok(odd.includes(0));
  assert.equal(t.decode(odd), '\uFFFDebra \uFFFD lamp');
});

test('BPE refuses a vocabulary that cannot hold the alphabet', () => {
  assert.throws(() => trainBpe('abcdef', 5), /cannot hold/);
});

test("GPT-2's BPE (r50k_base) from the bundled tables", async () => {
  const t = await gpt2Tokenizer();
  assert.equal(t.kind, 'gpt2');
  assert.equal(t.vocabSize, GPT2_VOCAB_SIZE);
  // Well-known GPT-2 ids: "Hello" = 15496, " world" = 995.
  assert.deepEqual(t.encode('Hello world'), [15496, 995]);
  assert.deepEqual(t.tokens([15496, 995]), ['Hello', ' world']);
  const text = 'Byte-pair encoding merges frequent pairs. <|endoftext|> stays text ✓';
  const ids = t.encode(text);
  assert.equal(t.decode(ids), text);
  assert.ok(ids.every((i) => i >= 0 && i < GPT2_VOCAB_SIZE));
});

test('id tokenizer: the text is the ids', () => {
  const t = idTokenizer(10);
  assert.deepEqual(t.encode('3 1, 4  x 12 5'), [3, 1, 4, 0, 0, 5]);
  assert.equal(t.decode([3, 1, 4]), '3 1 4');
  assert.deepEqual(t.tokens([7]), ['7']);
});

test('tokenizerFor follows its documented rule and stays within the vocabulary', async () => {
  assert.equal((await tokenizerFor(GPT2_VOCAB_SIZE)).kind, 'gpt2');
  const ascii = await tokenizerFor(128);
  assert.equal(ascii.kind, 'char');
  assert.equal(ascii.vocabSize, DEFAULT_ALPHABETS[0].length + 1);
  const compact = await tokenizerFor(64);
  assert.equal(compact.vocabSize, DEFAULT_ALPHABETS[1].length + 1);
  assert.equal(compact.decode(compact.encode('Hello, world!')), 'Hello, world!');
  assert.equal((await tokenizerFor(30)).vocabSize, DEFAULT_ALPHABETS[2].length + 1);
  assert.equal((await tokenizerFor(16)).kind, 'ids');
  // With the training text: its characters (GPTSmall: 64 ids, tiny.txt has 49 characters).
  const fromCorpus = await tokenizerFor(64, tiny);
  assert.deepEqual(fromCorpus.encode(tiny), charTokenizer(tiny).encode(tiny));
  const bpe = await tokenizerFor(CHAR_VOCAB_LIMIT + 100, tiny);
  assert.equal(bpe.kind, 'bpe');
  for (const [vocab, t] of [
    [64, fromCorpus],
    [CHAR_VOCAB_LIMIT + 100, bpe],
    [64, compact],
  ] as const) {
    assert.ok(t.vocabSize <= vocab);
    assert.ok(t.encode(tiny + ' Ωmega').every((i) => i < vocab));
  }
});

test('a tokeniser spec read back from a checkpoint\'s JSON rebuilds the same tokeniser; malformed specs are refused', () => {
  const bpe = trainBpe(tiny.slice(0, 2000), 80);
  const specs = [
    { kind: 'char', alphabet: tiny.slice(0, 500) },
    { kind: 'word', corpus: tiny.slice(0, 500) },
    { kind: 'bpe', model: bpe.model },
  ];
  const sample = tiny.slice(100, 300);
  for (const spec of specs) {
    const back = asTokenizerSpec(JSON.parse(JSON.stringify(spec)));
    assert.ok(back, spec.kind);
    const a = tokenizerFromSpec(back);
    const b = tokenizerFromSpec(spec as Parameters<typeof tokenizerFromSpec>[0]);
    assert.equal(a.kind, spec.kind);
    assert.equal(a.vocabSize, b.vocabSize);
    assert.deepEqual(a.encode(sample), b.encode(sample));
  }
  // A BPE's merge counts survive the checkpoint's JSON; counts that do not fit the merges are dropped, the merges kept.
  const back = asTokenizerSpec(JSON.parse(JSON.stringify({ kind: 'bpe', model: bpe.model })));
  assert.ok(back?.kind === 'bpe' && bpe.model.counts);
  assert.deepEqual(back.model.counts, bpe.model.counts);
  assert.equal(bpe.model.counts.length, bpe.model.merges.length);
  for (const counts of [bpe.model.counts.slice(1), bpe.model.counts.map(() => 1.5), 'many']) {
    const odd = asTokenizerSpec({ kind: 'bpe', model: { ...bpe.model, counts } });
    assert.ok(odd?.kind === 'bpe');
    assert.equal(odd.model.counts, undefined, JSON.stringify(counts).slice(0, 40));
    assert.deepEqual(odd.model.merges, bpe.model.merges);
  }
  const old = asTokenizerSpec({ kind: 'bpe', model: { alphabet: bpe.model.alphabet, merges: bpe.model.merges } });
  assert.ok(old?.kind === 'bpe' && old.model.counts === undefined, 'a checkpoint saved before counts still loads');
  for (const bad of [undefined, null, 3, 'char', {}, { kind: 'char' }, { kind: 'char', alphabet: 5 }, { kind: 'word', corpus: ['a'] }, { kind: 'bpe', model: { alphabet: ['a'], merges: [['a']] } }, { kind: 'bpe', model: { alphabet: 'ab', merges: [] } }, { kind: 'gpt2' }]) {
    assert.equal(asTokenizerSpec(bad), undefined, JSON.stringify(bad));
  }
});

/** The pieces a stream decoder gives for `ids` after `context`, pushed one at a time, then flushed. */
function streamed(tok: import('../../extension/core/runtime/tokenizers').Tokenizer, ids: number[], context: number[] = []): string[] {
  const d = streamDecoder(tok, context);
  return [...ids.map((id) => d.push(id)), d.flush()];
}

test('a stream decoder gives the text each id adds: words keep their spaces, also after the prompt', async () => {
  const word = wordTokenizer('the cat sat on the mat. (the end)\nthe cat, the hat!');
  const prompt = word.encode('the cat');
  const ids = word.encode('sat on the mat. (the end)\nthe hat!');
  const pieces = streamed(word, ids, prompt);
  assert.equal(pieces.join(''), ' sat on the mat. (the end)\nthe hat!');
  assert.equal(word.decode([...prompt, ...ids]), `the cat${pieces.join('')}`);
  assert.deepEqual(pieces.slice(0, 3), [' sat', ' on', ' the']);
  // Without a context the first word has no space before it.
  assert.equal(streamed(word, ids).join(''), 'sat on the mat. (the end)\nthe hat!');
  // Every other tokeniser: the pieces concatenate to the decoded sequence.
  const text = 'the cat sat on the mat, the end.';
  const bpe = trainBpe(text.repeat(3), 40);
  for (const tok of [charTokenizer(text), bpe, idTokenizer(10), await gpt2Tokenizer()]) {
    const input = tok.kind === 'ids' ? '3 1 4 1 5' : text;
    const all = tok.encode(input);
    assert.equal(streamed(tok, all.slice(2), all.slice(0, 2)).join(''), tok.decode(all).slice(tok.decode(all.slice(0, 2)).length), tok.kind);
  }
});

test("GPT-2: a character split over byte tokens comes out whole once complete, and decoding is stateless", async () => {
  const gpt2 = await gpt2Tokenizer();
  const text = 'héllo 日本語 😀 ok';
  const ids = gpt2.encode(text);
  assert.ok(ids.length > Array.from(text.match(/\S+/g)!).length + 3, 'some characters span several tokens');
  const pieces = streamed(gpt2, ids);
  assert.equal(pieces.join(''), text);
  assert.ok(pieces.every((p) => !p.includes('\uFFFD')), JSON.stringify(pieces));
  // A decode ending inside a character (one U+FFFD) leaves nothing behind for the next call (the package's own
  // decode shares one streaming TextDecoder between calls).
  const cut = ids.findIndex((_, i) => gpt2.decode(ids.slice(0, i + 1)).endsWith('\uFFFD'));
  assert.ok(cut >= 0);
  assert.ok(gpt2.decode(ids.slice(0, cut + 1)).startsWith(gpt2.decode(ids.slice(0, cut))));
  assert.equal(gpt2.decode(ids), text);
  assert.equal(gpt2.decode([ids[0]]), 'h');
  // An id outside the vocabulary is U+FFFD, not an exception; an incomplete end is flushed as U+FFFD.
  assert.equal(gpt2.decode([GPT2_VOCAB_SIZE + 5]), '\uFFFD');
  const d = streamDecoder(gpt2);
  assert.equal(d.push(ids[cut]), '');
  assert.equal(d.flush(), gpt2.decode([ids[cut]]));
});
