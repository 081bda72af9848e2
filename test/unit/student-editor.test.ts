// What a student writing a transformer line by line saw in the editor (QA of issue #2):
// - the inlay hint of a line whose block call failed for an error inside the block's body showed the shape
//   before that call as if it were the line's output (`… -> dec_layer(512, 8, memory = enc) * 6 -> unembed(emb)
//   -> softmax → [tgt_len, 512]`, where the output is [tgt_len, 8000]);
// - the hover of a layer the analysis did not reach blamed "an error on its line or above, or in a block no model
//   calls" in a block that simply had no call yet, with no error anywhere;
// - completion after `tokens ->` (token ids) listed dense, batchnorm, dropout … before `embedding`, all of which
//   the analysis refuses (shape.not_float), and after vectors put the embedding object `wte` first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, getLayer } from '../../extension/core';
import { blockActiveParameter, blockSignature, lastCallStarts, layerDocsMarkdown, lineHints, noShapesReason } from '../../extension/vscode/pure/text';
import { callableBlock, callableBlockInputs } from '../../extension/vscode/pure/blocks';
import { callAt } from '../../extension/vscode/pure/context';
import { chainInputShape, inputMismatch, kindMismatch, objectLayer } from '../../extension/vscode/pure/chainInput';
import { completionContext } from '../../extension/vscode/pure/context';
import { namesInScope } from '../../extension/vscode/pure/lookup';

/** The hints as the editor asks for them: with the file's own error ranges and the last call of each line. */
function hints(src: string): [number, string][] {
  const a = analyze(src);
  const errors = a.diagnostics.filter((d) => d.severity === 'error' && d.uri === undefined).map((d) => d.range);
  return lineHints(a.sites, true, undefined, errors, lastCallStarts(a.file)).map((h) => [h.line, h.label]);
}

const TRANSLATOR = (memory: string) => `block dec_layer(d, heads) {
  input x
  input memory
  x = (x + x -> attention(heads, causal = true)) -> layernorm
  x = (x + x -> attention(heads, context = ${memory})) -> layernorm
  output (x + x -> dense(4 * d) -> relu -> dense(d)) -> layernorm
}

model Translator {
  input src: int[src_len]
  input tgt: int[tgt_len]
  emb = embedding(8000, 512)
  enc = src -> emb -> positional(sinusoidal)
  output tgt -> emb -> positional(sinusoidal) -> dec_layer(512, 8, memory = enc) * 2 -> unembed(emb) -> softmax
}
`;

test('a line whose block call failed inside the block gets no hint, not the shape before the call', () => {
  const broken = hints(TRANSLATOR('memroy'));
  // Line 13 (0-based): enc's line keeps its hint; the output line had '→ [tgt_len, 512]', positional's shape.
  assert.deepEqual(broken.find(([l]) => l === 12), [12, '→ [src_len, 512] · 4,096,000 params']);
  assert.equal(broken.find(([l]) => l === 13), undefined, JSON.stringify(broken));
  // Mended, the line shows the model's output.
  const fixed = hints(TRANSLATOR('memory'));
  assert.match(fixed.find(([l]) => l === 13)![1], /^→ \[tgt_len, 8000\] · /);
});

test('the last call of each line, where it starts: chains, sums and brackets, not calls in arguments', () => {
  const src = `model M {
  input x: [seq, 8]
  h = (x + x -> dense(8)) -> layernorm
  output h -> dense(4, activation = relu) -> softmax
}
`;
  const starts = lastCallStarts(analyze(src).file);
  assert.equal(starts.get(2), src.indexOf('layernorm'));
  assert.equal(starts.get(3), src.indexOf('softmax'));
  assert.equal(starts.size, 2);
  // Every line of a valid model keeps its hint.
  assert.deepEqual(hints(src).map(([l]) => l), [2, 3]);
});

/** The shape completion sees piped in at the `|` marker, the text without it, and the analysis. */
function pipedAt(src: string) {
  const offset = src.indexOf('|');
  const text = src.slice(0, offset) + src.slice(offset + 1);
  const where = completionContext(text, offset);
  const analysis = analyze(text, { uri: 'file:///w/m.nnmodel' });
  const names = namesInScope(analysis.symbols, where.container!.name, offset, 'file:///w/m.nnmodel');
  return { shape: chainInputShape(analysis, text, where.prefixStart, names)!, analysis, names };
}

const GPT = (line: string) => `model GPT {
  input tokens: int[seq]
  wte = embedding(50257, 768)
  x = tokens -> wte -> positional(learned, maxlen = 1024)
  ${line}
  output x -> unembed(wte)
}
`;

test('after token ids only an embedding fits; after vectors, anything but an embedding', () => {
  const ids = pipedAt(GPT('y = tokens -> |')).shape;
  assert.equal(ids.isInt, true);
  assert.equal(inputMismatch(getLayer('embedding')!, ids), undefined);
  assert.deepEqual(inputMismatch(getLayer('dense')!, ids), { why: 'takes vectors, not the token ids int[seq]: embed them first', needs: 'needs vectors' });
  for (const name of ['batchnorm', 'dropout', 'gelu', 'layernorm']) assert.ok(kindMismatch(getLayer(name)!, ids), name);
  // Layers that take either keep their place.
  for (const name of ['reshape', 'take']) assert.equal(kindMismatch(getLayer(name)!, ids), undefined, name);
  // The rank is still said first: attention needs [seq, d].
  assert.equal(inputMismatch(getLayer('attention')!, ids)!.needs, 'needs rank 2');

  const vectors = pipedAt(GPT('y = x -> |'));
  assert.equal(vectors.shape.isInt, undefined);
  assert.deepEqual(inputMismatch(getLayer('embedding')!, vectors.shape), { why: 'takes token ids (int[...]); here [seq, 768], vectors', needs: 'needs token ids' });
  assert.equal(inputMismatch(getLayer('attention')!, vectors.shape), undefined);
  // The object `wte` is an embedding: it goes last after vectors, with the reason.
  const wte = vectors.names.find((s) => s.name === 'wte')!;
  assert.equal(objectLayer(vectors.analysis, wte), 'embedding');
});

// The hover of a layer the analysis could not reach said "an error on its line or above, or in a block no model
// calls" where neither was true for the student to find: it now says which.

const BLOCK = `block gpt_block(d, heads) {
  input x
  x = x + x -> layernorm -> attention(heads, causal = true)
  output x
}
`;

test('a layer in a block no model calls: the hover says the block is not called yet, and how to call it', () => {
  const a = analyze(BLOCK, { uri: 'file:///w/m.nnmodel' });
  assert.deepEqual(a.diagnostics, []);
  const reason = noShapesReason(a, BLOCK.indexOf('attention'), 'file:///w/m.nnmodel');
  assert.equal(reason, "no model calls the block 'gpt_block' yet: call it from a model (`x -> gpt_block(...)`) to see its shapes and counts");
  assert.match(layerDocsMarkdown(getLayer('attention')!, reason), /_no shapes: no model calls the block 'gpt_block' yet: /);
});

test('a layer after an error: the hover names the error the analysis stopped at, in the block a model calls too', () => {
  const vit = `block vit_block(d, heads) {
  input x
  output x + x -> layernorm -> attention(heads)
}

model ViT {
  input image: [224, 224, 3]
  h = image -> conv2d(768, 16, stride = 16) -> reshape([196, 768]) -> cls_token -> positional(learned, maxlen = 196)
  output h -> vit_block(768, 12) * 12 -> layernorm -> take(0) -> dense(1000)
}
`;
  const a = analyze(vit, { uri: 'file:///w/m.nnmodel' });
  const stopped = 'the analysis stopped at the error on line 8: the sequence has 197 positions but positional allows at most maxlen = 196; raise maxlen';
  assert.equal(noShapesReason(a, vit.indexOf('take(0)'), 'file:///w/m.nnmodel'), stopped);
  // In the block: it is called, so the reason is the error that stopped its only call.
  assert.equal(noShapesReason(a, vit.indexOf('attention'), 'file:///w/m.nnmodel'), stopped);
});

// Signature help in `dec_layer(` showed `block dec_layer(d, heads)` only: nothing said the call also needs the
// input `memory`, given by name.
test("a block's signature lists its inputs given by name after its parameters, and highlights the one being given", () => {
  const src = `block dec_layer(d, heads) {
  input x
  input memory
  output x + x -> attention(heads, context = memory)
}
model T {
  input src: [s, 16]
  input tgt: [t, 16]
  output tgt -> dec_layer(16, 4, memory = src)
}
`;
  const a = analyze(src, { uri: 'file:///w/m.nnmodel' });
  const block = callableBlock(a, 'file:///w/m.nnmodel', 'dec_layer', () => undefined)!;
  const named = callableBlockInputs(a, 'file:///w/m.nnmodel', 'dec_layer', () => undefined)!.slice(1);
  assert.deepEqual(named, ['memory']);
  const sig = blockSignature(block, named);
  assert.equal(sig.label, 'block dec_layer(d, heads, memory = <input>)');
  assert.equal(sig.label.slice(...sig.params[2].label), 'memory = <input>');
  // Without inputs given by name, as before.
  assert.equal(blockSignature(block).label, 'block dec_layer(d, heads)');
  const active = (marker: string) => {
    const call = callAt(src, src.indexOf(marker) + marker.length)!;
    return blockActiveParameter(['d', 'heads'], named, call);
  };
  assert.equal(active('dec_layer(1'), 0);
  assert.equal(active('dec_layer(16, 4'), 1);
  assert.equal(active('memory = s'), 2);
});
