// Completion after `->` ranks the layers by the piped input's rank (extension/vscode/pure/chainInput.ts):
// after a vector, dense and its kin come first, conv2d (rank 3) and lstm (rank 2) last, saying why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, getLayer, LAYERS, shapeToString } from '../../extension/core';
import { acceptsRank, chainInputShape, rankMismatch } from '../../extension/vscode/pure/chainInput';
import { completionContext } from '../../extension/vscode/pure/context';
import { namesInScope } from '../../extension/vscode/pure/lookup';

/** The shape completion sees piped in at the `|` marker. */
function pipedAt(src: string): string | undefined {
  const offset = src.indexOf('|');
  const text = src.slice(0, offset) + src.slice(offset + 1);
  const where = completionContext(text, offset);
  assert.equal(where.context.kind, 'chain', 'a chain position');
  const analysis = analyze(text, { uri: 'file:///w/m.nnmodel' });
  const names = namesInScope(analysis.symbols, where.container!.name, offset, 'file:///w/m.nnmodel');
  const shape = chainInputShape(analysis, text, where.prefixStart, names);
  return shape && shapeToString(shape);
}

const MLP = (chain: string) => `model M {\n  input x: [784]\n  ${chain}\n}\n`;

test('the shape piped into the position after ->: of the call before the arrow, or of the name', () => {
  assert.equal(pipedAt(MLP('output x -> dense(10) -> |')), '[10]');
  assert.equal(pipedAt(MLP('output x -> dense(10) -> co|')), '[10]', 'while a name is typed');
  assert.equal(pipedAt(MLP('output x -> |')), '[784]');
  assert.equal(pipedAt(MLP('output x -> reshape([28, 28, 1]) ->\n    |')), '[28, 28, 1]', 'on the next line');
  assert.equal(pipedAt(MLP('h = x -> dense(32)\n  output h -> |')), '[32]', 'a value');
  assert.equal(pipedAt(MLP('output x -> dense(10) -> | -> softmax')), '[10]', 'inside a chain');
  // Unknown: nothing to rank by.
  assert.equal(pipedAt(MLP('output nope -> |')), undefined);
});

test('after a vector the layers taking rank 1 come before conv2d and lstm, which say what they need', () => {
  const piped = analyze(MLP('output x -> dense(10)')).models[0].outputs[0].shape;
  assert.equal(shapeToString(piped), '[10]');
  assert.equal(acceptsRank(getLayer('dense')!, piped), true);
  assert.equal(acceptsRank(getLayer('softmax')!, piped), true);
  assert.equal(acceptsRank(getLayer('conv2d')!, piped), false);
  assert.equal(acceptsRank(getLayer('lstm')!, piped), false);
  assert.equal(rankMismatch(getLayer('conv2d')!, piped), 'expects an input of rank 3; here [10] (rank 1)');
  assert.equal(rankMismatch(getLayer('maxpool')!, piped), 'expects an input of rank 2 or 3; here [10] (rank 1)');
  assert.equal(rankMismatch(getLayer('dense')!, piped), undefined);
  // An image: conv2d fits, lstm does not.
  const image = analyze(MLP('output x -> reshape([28, 28, 1])')).models[0].outputs[0].shape;
  assert.equal(acceptsRank(getLayer('conv2d')!, image), true);
  assert.equal(acceptsRank(getLayer('lstm')!, image), false);
  // The layers that say nothing of the rank are never demoted.
  for (const spec of LAYERS.values()) if (!spec.inputRank) assert.equal(acceptsRank(spec, piped), true, spec.name);
});
