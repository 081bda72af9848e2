// Hovering a symbolic dimension (`seq` in `input tokens: int[seq]`): what it is and how the model's counts grow
// with it — the transformer notes' point that the weights do not depend on the sequence length while attention's
// work grows with its square — and the size the figures use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { dimSizes } from '../../extension/core/analysis/sizes';
import { dimensionAt, dimensionHover } from '../../extension/vscode/pure/dimHover';

const GPT = `model Tiny {
  input tokens: int[seq]
  x = tokens -> embedding(100, 32) -> positional(sinusoidal)
  x = x + x -> layernorm -> attention(4, causal = true)
  output x -> layernorm -> dense(100)
}
`;

test('hovering seq: a size of the model, parameters independent of it, MACs growing with its square; the hover sits on the word', () => {
  // As the editor analyses it: with the document's uri (which the models carry).
  const a = analyze(GPT, { uri: 'file:///w/tiny.nnmodel' });
  assert.deepEqual(a.diagnostics, []);
  const at = GPT.indexOf('seq') + 1;
  const h = dimensionHover(a, at, (m) => dimSizes(m, a.trains, {}));
  assert.ok(h);
  assert.equal(GPT.slice(h.range.start.offset, h.range.end.offset), 'seq');
  const p = a.models[0].params.total.value!;
  assert.match(h.markdown, /^```nnmodel\n\(dimension\) seq\n```/);
  assert.match(h.markdown, /A symbolic size of model `Tiny`: any whole number, the same for the whole of one run, kept as a name by the analysis \(`tokens: int\[seq\]`\)\./);
  assert.ok(h.markdown.includes(`Parameters do not depend on it: the same ${p.toLocaleString('en-US')} weights serve any seq.`), h.markdown);
  assert.match(h.markdown, /MACs grow with its square \(seq²\): [\d,]+·seq² \+ [\d,]+·seq\./);
  assert.match(h.markdown, /give it one: the setting `nnmodel\.dimensions` \(e\.g\. `\{ "seq": 1024 \}`\)/);
  // With a size: the figures' size and where it comes from.
  const given = dimensionHover(a, at, (m) => dimSizes(m, a.trains, { seq: 64 }))!;
  assert.match(given.markdown, /Figures use \*\*seq = 64\*\*, from the setting `nnmodel\.dimensions`\./);
});

test('a CNN with symbolic height and width: flatten -> dense makes its parameters depend on them, linearly in each', () => {
  const cnn = 'model C {\n  input image: [h, w, 3]\n  output image -> conv2d(8, 3, padding = same) -> flatten -> dense(10)\n}\n';
  const a = analyze(cnn);
  const h = dimensionHover(a, cnn.indexOf('h,'), () => undefined)!;
  assert.match(h.markdown, /Parameters grow linearly: 80·h·w \+ 234\./);
  // Off a dimension: nothing (a layer, a value, a number).
  for (const word of ['conv2d', 'image ->', '3]']) assert.equal(dimensionAt(a, cnn.indexOf(word) + 1), undefined, word);
  // A second input with the same dimension is named too.
  const two = 'model P {\n  input a: int[seq]\n  input b: int[seq]\n  x = a -> embedding(10, 8)\n  y = b -> embedding(10, 8)\n  output concat(x, y)\n}\n';
  const t = analyze(two);
  assert.deepEqual(t.diagnostics, []);
  assert.match(dimensionHover(t, two.lastIndexOf('seq'), () => undefined)!.markdown, /\(`a: int\[seq\]`, `b: int\[seq\]`\)/);
});

test('after a strided conv or a pooling the counts hold ⌊(seq − k)/s⌋: they still grow with seq, with the degree of that formula', () => {
  // A strided conv1d: its MACs are 96·⌊(seq − 3)/2⌋ + 96 (3·4·8 a step), linear in seq (not "do not depend on it").
  const conv = 'model S {\n  input x: [seq, 4]\n  output x -> conv1d(8, 3, stride = 2)\n}\n';
  const c = analyze(conv);
  assert.deepEqual(c.diagnostics, []);
  const hc = dimensionHover(c, conv.indexOf('seq'), () => undefined)!.markdown;
  assert.match(hc, /MACs grow linearly: 96·⌊\(seq - 3\)\/2⌋ \+ 96\./);
  assert.doesNotMatch(hc, /MACs do not depend on it/);
  // Pooled, then flattened into a dense: the parameters depend on seq too, and are not "the same weights for any seq".
  const pooled = 'model P {\n  input x: [seq, 4]\n  output x -> maxpool(2) -> flatten -> dense(2)\n}\n';
  const p = analyze(pooled);
  const hp = dimensionHover(p, pooled.indexOf('seq'), () => undefined)!.markdown;
  assert.match(hp, /Parameters grow linearly: /);
  assert.doesNotMatch(hp, /Parameters do not depend on it/);
  // Attention after a strided conv: the square of the rounded length is the square of seq.
  const att = 'model A {\n  input t: int[seq]\n  h = t -> embedding(10, 8) -> conv1d(8, 3, stride = 2)\n  output h -> attention(2)\n}\n';
  const a = analyze(att);
  assert.deepEqual(a.diagnostics, []);
  assert.match(dimensionHover(a, att.indexOf('seq'), () => undefined)!.markdown, /MACs grow with its square \(seq²\): /);
});
