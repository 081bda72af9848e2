// The attention view's info line without the DOM (webview/views/attentionModel.ts): which tokeniser encodes the
// typed text and how many of the embedding's ids it uses, and what an image input is fed as (a ViT's patches).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { analyze } from '../../extension/core/analysis/analyze';
import { smallestVocab } from '../../extension/core/analysis/graph';
import { charTokenizer, idTokenizer, tokenizerFor, trainBpe, wordTokenizer } from '../../extension/core/runtime/tokenizers';
import { mergeSummary } from '../../webview/views/tokensModel';
import { inputPlans } from '../../webview/probes/input';
import { attentionSources } from '../../webview/probes/attention';
import { charSetText, headCountText, inputText, NO_ATTENTION_TEXT, patchesOf, tokenizerText, typedTextsKey, TypedTexts, uniformModelText } from '../../webview/views/attentionModel';

const example = (name: string) => readFileSync(new URL(`../../examples/${name}`, `file://${__filename}`), 'utf8');
const root = `${process.cwd()}/examples`;
const readImport = (_from: string | undefined, path: string) => ({ uri: `file://${root}/${path}`, text: readFileSync(`${root}/${path}`, 'utf8') });

test('charSetText writes runs of three or more code points as ranges and white space visibly', () => {
  assert.equal(charSetText(['b', 'a', 'c', 'x', ' ', '\n', 'y']), '↵ ␣ a–c x y');
  assert.equal(charSetText([...'Hello']), 'H e l o');
  assert.equal(charSetText([]), '');
});

test("GPT (gpt_small) untrained: the default alphabet's 59 characters + unknown are ids 0–59 of the embedding's 64", async () => {
  const analysis = analyze(example('gpt_small.nnmodel'), { uri: `file://${root}/gpt_small.nnmodel`, readImport });
  const model = analysis.models.find((m) => m.name === 'GPTSmall')!;
  const vocab = smallestVocab(model.graph);
  assert.equal(vocab, 64);
  const t = await tokenizerFor(vocab!);
  assert.equal(
    tokenizerText(t, { trained: false, embeddingVocab: vocab }),
    "char tokeniser (default alphabet ↵ ␣ ! ' , . ? A–Z a–z): 59 characters + unknown, ids 0–59 of the embedding's 64",
  );
  const [plan] = inputPlans(model, { seq: 11 });
  assert.equal(inputText(plan, { tokens: 11 }), 'input tokens: 11 tokens');
});

test("GPT trained on tiny.txt: the training text's 49 characters, ids 0–49 of the embedding's 64", () => {
  const t = charTokenizer(example('data/tiny.txt'));
  assert.equal(tokenizerText(t, { trained: true, embeddingVocab: 64 }), "char tokeniser of the training text: 49 characters + unknown, ids 0–49 of the embedding's 64");
});

test('other tokenisers: the whole vocabulary, words, typed ids and values', () => {
  const chars = charTokenizer('ab');
  assert.equal(tokenizerText(chars, { trained: true, embeddingVocab: 3 }), 'char tokeniser of the training text: 2 characters + unknown, all 3 ids of the embedding');
  const words = wordTokenizer('the cat, the dog');
  assert.equal(tokenizerText(words, { trained: true, embeddingVocab: 10 }), "word tokeniser of the training text: 4 words and marks + unknown, ids 0–4 of the embedding's 10");
  assert.equal(tokenizerText(idTokenizer(11), { trained: false, embeddingVocab: 11 }), 'token ids typed as numbers 0–10 (the embedding has 11 rows; too few for characters)');
  assert.equal(tokenizerText(idTokenizer(2 ** 31 - 1), { trained: false, embeddingVocab: undefined }), 'no embedding: the typed whole numbers are fed as they are');
});

test('a masked language model: the info line names the id typed [MASK]s are fed as', async () => {
  // bert_tiny: embedding(64, 64) leaves a row for [MASK], one past the default alphabet's 60 ids.
  const t = await tokenizerFor(63);
  const maskId = t.vocabSize;
  assert.equal(maskId, 60);
  assert.equal(
    tokenizerText(t, { trained: false, embeddingVocab: 64, maskId }),
    "char tokeniser (default alphabet ↵ ␣ ! ' , . ? A–Z a–z): 59 characters + unknown, ids 0–59 of the embedding's 64; [MASK] is id 60",
  );
  assert.equal(tokenizerText(idTokenizer(10), { trained: false, embeddingVocab: 11, maskId: 10 }), 'token ids typed as numbers 0–9 (the embedding has 11 rows; too few for characters); [MASK] is id 10');
  // Without a mask id (next-token models) the line is as before.
  assert.doesNotMatch(tokenizerText(t, { trained: false, embeddingVocab: 64 }), /MASK/);
});

test('a BPE counts its pieces as its merge list does, the unknown id 0 beside them', () => {
  const bpe = trainBpe(example('data/tiny.txt'), 128);
  assert.equal(bpe.vocabSize, 128);
  const pieces = bpe.model.alphabet.length + bpe.model.merges.length;
  assert.equal(pieces, 127);
  assert.equal(tokenizerText(bpe, { trained: true, embeddingVocab: 128 }), 'BPE tokeniser of the training text: 127 pieces + unknown, all 128 ids of the embedding');
  assert.match(mergeSummary(bpe.model), /127 pieces \+ the unknown token \(id 0\) = 128 ids\.$/);
});

test('ViT: the image input is described with its shape and its 64 patches of 4 × 4, not as a missing tokeniser', () => {
  const analysis = analyze(example('vit.nnmodel'));
  const model = analysis.models.find((m) => m.name === 'ViTSmall')!;
  const [plan] = inputPlans(model, {});
  assert.equal(plan.kind, 'image');
  const patches = patchesOf(model.graph, model.graph.inputs[0], {});
  assert.deepEqual(patches, { size: [4, 4], grid: [8, 8] });
  assert.equal(inputText(plan, { patches, sample: true }), 'input image [32, 32, 3], a built-in sample: 64 patches of 4 × 4 pixels (8 × 8)');
  assert.equal(inputText(plan, { patches, sample: false }), 'input image [32, 32, 3], the current image: 64 patches of 4 × 4 pixels (8 × 8)');
  const big = analysis.models.find((m) => m.name === 'ViT_B16')!;
  assert.deepEqual(patchesOf(big.graph, big.graph.inputs[0], {}), { size: [16, 16], grid: [14, 14] });
});

test('an image that reaches attention through ordinary convolutions has no patches', () => {
  const analysis = analyze(`model C {
  input image: [16, 16, 3]
  output image -> conv2d(8, 3, padding = same) -> reshape([-1, 8]) -> attention(2)
}`);
  const model = analysis.models[0];
  assert.equal(patchesOf(model.graph, model.graph.inputs[0], {}), undefined);
  assert.equal(inputText(inputPlans(model, {})[0], { sample: false }), 'input image [16, 16, 3], the current image');
});

test('a text typed for one model stays with it: another model shows its own last text or its default', () => {
  const texts = new TypedTexts();
  const gpt = typedTextsKey('file:///w/gpt_small.nnmodel', 'GPTSmall');
  const bert = typedTextsKey('file:///w/bert_tiny.nnmodel', 'BertTiny');
  texts.set(gpt, 0, 'Once upon a time');
  // The QA case: the inspector switches to another model; its box must not get GPTSmall's text.
  assert.equal(texts.get(bert, 0), undefined, 'no text of its own yet: the view shows its default');
  texts.set(bert, 0, 'the c[MASK]t sat');
  // Back to the first model: its own last text, kept; then the second's again.
  assert.equal(texts.get(gpt, 0), 'Once upon a time');
  assert.equal(texts.get(bert, 0), 'the c[MASK]t sat');
  // Per input port, and a model of the same name in another file is another model.
  assert.equal(texts.get(gpt, 1), undefined);
  assert.equal(texts.get(typedTextsKey('file:///w/other.nnmodel', 'GPTSmall'), 0), undefined);
  texts.set(gpt, 0, 'edited');
  assert.equal(texts.get(gpt, 0), 'edited');
});

test('the info line counts heads in all when there are several layers, so the total is not read as per layer', () => {
  assert.equal(headCountText([4, 4, 4, 4]), '4 layers, 16 heads in all');
  assert.equal(headCountText([8, 8, 4]), '3 layers, 20 heads in all');
  assert.equal(headCountText([4]), '1 layer, 4 heads');
  assert.equal(headCountText([1]), '1 layer, 1 head');
});

test('a model whose every head is flat gets one note (zeros, random or trained weights), and only with two or more layers', () => {
  // Three layers of 2 heads over 4 keys, every weight 1/4: what zero weights give (equal scores everywhere).
  const flat = (causal = false) => {
    const data = new Float32Array(2 * 4 * 4).fill(0.25);
    if (causal) for (let h = 0; h < 2; h++) for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) data[(h * 4 + i) * 4 + j] = j <= i ? 1 / (i + 1) : 0;
    return { heads: 2, queries: 4, keys: 4, causal, data };
  };
  const maps = [flat(), flat(), flat()];
  assert.equal(
    uniformModelText(maps, 'zeros', false, true),
    'The weights are all zero, so every one of the 6 heads in all 3 layers gives each token the same weight (each of the 4 tokens gets ≈1/4 ≈ 0.25): load trained weights to see patterns. One row of layer 1 is drawn below: the other heads look the same.',
  );
  assert.equal(
    uniformModelText(maps, 'random', false, false),
    'Untrained: attention is nearly uniform in every one of the 6 heads in all 3 layers (each of the 4 tokens gets ≈1/4 ≈ 0.25); train the model or load weights to see patterns.',
  );
  assert.match(uniformModelText(maps, 'random', true, false)!, /With each head’s colours stretched to its largest weight, the scale stretches the small differences/);
  assert.equal(uniformModelText(maps, 'trained', false, true), 'Attention is nearly uniform in every one of the 6 heads in all 3 layers (each of the 4 tokens gets ≈1/4 ≈ 0.25). One row of layer 1 is drawn below: the other heads look the same.');
  // Layers that differ (one causal): the share is said in general words.
  assert.match(uniformModelText([flat(), flat(true)], 'random', false, true)!, /\(each query spreads its weight evenly over the tokens it sees\)/);
  // One layer: its own note says it (no grid to collapse).
  assert.equal(uniformModelText([flat()], 'zeros', false, true), undefined);
  // One head that looks at one token: not every head is flat, so no note and the whole grid is drawn.
  const sharp = flat();
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) sharp.data[(4 + i) * 4 + j] = j === 0 ? 0.97 : 0.01;
  assert.equal(uniformModelText([flat(), sharp, flat()], 'zeros', false, true), undefined);
});

test('a model without attention layers is pointed to examples that have them, and those examples exist', () => {
  const named = NO_ATTENTION_TEXT.match(/examples\/\w+\.nnmodel/g) ?? [];
  assert.equal(named.length, 2);
  for (const path of named) {
    const file = path.slice('examples/'.length);
    const analysis = analyze(example(file), { uri: `file://${root}/${file}`, readImport });
    assert.ok(analysis.models.some((m) => attentionSources(m.graph).size > 0), `${file} has an attention layer`);
  }
  assert.match(NO_ATTENTION_TEXT, /gpt_small\.nnmodel.*vit\.nnmodel/);
});
