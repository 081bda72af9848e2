// A student of the transformer notes typing a GPT in the editor (QA of issue #2): what completion offers at
// each spot, and what the hover of a causal attention explains.
import assert from 'node:assert/strict';
import { e2eTest, positionOf } from './harness';

const GPT = `block gpt_block(d, heads) {
  input x
  x = x + x -> layernorm -> attention(heads, causal = true)
  output x + x -> layernorm -> dense(4 * d) -> gelu -> dense(d)
}

model GPT {
  input tokens: int[seq]
  wte = embedding(50257, 768)
  x = tokens -> wte -> positional(learned, maxlen = 1024)
  output x -> gpt_block(768, 12) * 12 -> layernorm -> unembed(wte)
}
`;

e2eTest('completion offers what fits the spot: embeddings after token ids, the arguments of attention( in signature order', { files: { 'gpt.nnmodel': GPT } }, async (wb) => {
  await wb.openFile('gpt.nnmodel');
  const at = positionOf(GPT, 'maxlen = 1024)');
  await wb.goTo(at.line, at.column + 'maxlen = 1024)'.length);
  // After token ids: the embedding object and embedding first; add and batchnorm, which the analysis refuses on
  // int[seq] (and came first alphabetically), after them; dense is not even among the rows shown.
  await wb.type('\n  y = tokens -> ');
  const afterIds = await wb.suggest(/^embedding$/);
  const i = (l: string) => afterIds.indexOf(l);
  assert.ok(i('wte') >= 0 && i('add') >= 0 && i('batchnorm') >= 0, afterIds.join(', '));
  assert.ok(i('wte') < i('embedding') && i('embedding') < i('add') && i('embedding') < i('batchnorm'), `embedding before add and batchnorm: ${afterIds.join(', ')}`);
  assert.ok(i('dense') < 0 || i('dense') > i('embedding'), `dense after embedding: ${afterIds.join(', ')}`);
  await wb.press('Escape');
  // After vectors: the embedding object goes after attention (it takes token ids only).
  // The line typed is replaced whole (Backspace in the indentation deletes to the previous tab stop).
  await wb.press('End');
  await wb.press('Shift+Home');
  await wb.press('Shift+Home');
  await wb.type('  y = x -> ');
  const afterVectors = await wb.suggest(/^attention$/);
  const j = (l: string) => afterVectors.indexOf(l);
  assert.ok(j('attention') >= 0, afterVectors.join(', '));
  assert.ok(j('wte') < 0 || j('wte') > j('attention'), `wte after attention: ${afterVectors.join(', ')}`);
  await wb.press('Escape');
  // Inside attention(: heads, the first and only required argument, first; then the others as the signature lists them.
  await wb.type('attention(');
  const args = await wb.suggest(/^heads$/);
  assert.deepEqual(args.slice(0, 7), ['heads', 'key_dim', 'causal', 'context', 'dropout', 'bias', 'position'], args.join(', '));
});

e2eTest('the hover of a causal attention splits its MACs into projections and the seq² scores, and says what causal does', { files: { 'gpt.nnmodel': GPT } }, async (wb) => {
  await wb.openFile('gpt.nnmodel');
  const at = positionOf(GPT, 'attention(heads');
  const text = await wb.hoverAt(at.line, at.column + 3, 'projections');
  assert.match(text, /MACs = projections \+ scores: the four projections \(Q, K, V, output\) 2,359,296·seq, linear in the length; Q·Kᵀ and A·V 1,536·seq² \(2·seq·seq·768\), quadratic/);
  assert.match(text, /Heads: 12 of key_dim 64 \(768 \/ 12\)/);
  assert.match(text, /causal = true: each position i reads positions 0…i only, itself and all earlier ones/);
  // The first line is the call as analysed, not the signature's default causal = false.
  assert.match(text, /^attention\(heads = 12, key_dim = dim\/heads, causal = true, context = none/);
});

const TRANSLATOR = `block dec_layer(d, heads) {
  input x
  input memory
  x = (x + x -> attention(heads, causal = true)) -> layernorm
  output (x + x -> attention(heads, context = memory)) -> layernorm
}

model Translator {
  input src: int[src_len]
  input tgt: int[tgt_len]
  emb = embedding(8000, 64)
  enc = src -> emb -> positional(sinusoidal)
  output tgt -> emb -> positional(sinusoidal) -> dec_layer(64, 4, memory = enc) * 2 -> unembed(emb)
}
`;

e2eTest("signature help in a decoder block's call names the input it takes by name, memory", { files: { 'translator.nnmodel': TRANSLATOR } }, async (wb) => {
  await wb.openFile('translator.nnmodel');
  const at = positionOf(TRANSLATOR, 'memory = enc');
  await wb.goTo(at.line, at.column + 'memory = e'.length);
  const help = await wb.signatureHelp('memory = <input>');
  assert.match(help, /block dec_layer\(d, heads, memory = <input>\)/);
  assert.match(help, /input memory of the block: a value, given by name/);
});
