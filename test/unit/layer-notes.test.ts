// Hover notes that make a layer's arithmetic visible for the call at hand
// (the course notes' "just change the axis" of batch vs layer normalisation,
// and "stride 2 needs four times fewer computations").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { nodeAtRange } from '../../extension/core/analysis/weights';
import { getLayer } from '../../extension/core/layers';
import { layerHoverMarkdown } from '../../extension/vscode/pure/text';

/** The notes of the last call of `layer` in a model on `input`, as the hover computes them. */
function notesOf(input: string, chain: string, layer: string): string[] {
  const a = analyze(`model M {\n  input x: ${input}\n  output x -> ${chain}\n}\n`);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error'), []);
  const site = a.sites.filter((s) => s.kind === 'layer' && s.name === layer).at(-1)!;
  const spec = getLayer(layer)!;
  const node = nodeAtRange(a.models[0], site.range, 'layer')!;
  const notes = spec.notes?.(node.args, site.inShapes) ?? [];
  // The hover shows them.
  const md = layerHoverMarkdown(site, spec, undefined, undefined, { notes });
  for (const n of notes) assert.ok(md.includes(n));
  return notes;
}

test('normalisations say which axes their statistics average over, for the input at hand', () => {
  assert.deepEqual(notesOf('[15, 15, 3]', 'conv2d(8, 3, padding = same) -> batchnorm', 'batchnorm'), [
    'Normalises each of the 8 channels over the batch and its 15 × 15 positions: one mean and variance per channel, shared by every position and example of the batch (their moving averages at inference).',
  ]);
  assert.deepEqual(notesOf('[3, 3, 8]', 'layernorm', 'layernorm'), [
    'Normalises each of the 3 × 3 positions of each example on its own, over its 8 channels: one mean and variance per position, whatever the batch.',
  ]);
  assert.deepEqual(notesOf('[seq, 768]', 'layernorm', 'layernorm'), [
    'Normalises each of the seq positions of each example on its own, over its 768 features: one mean and variance per position, whatever the batch.',
  ]);
  assert.match(notesOf('[64]', 'batchnorm', 'batchnorm')[0], /^Normalises each of the 64 features over the batch: one mean/);
  assert.match(notesOf('[64]', 'layernorm', 'layernorm')[0], /^Normalises each example on its own, over its 64 features: one mean and variance per example/);
  assert.deepEqual(notesOf('[8, 8, 32]', 'groupnorm(4)', 'groupnorm'), [
    "Normalises each example's 4 groups of 8 channels on its own, over its 8 × 8 positions and those channels: one mean and variance per group and example, whatever the batch.",
  ]);
  assert.match(notesOf('[8, 8, 32]', 'groupnorm(32)', 'groupnorm')[0], /32 groups of 1 channel on its own/);
});

test('a strided convolution says what the stride saves, from its own rules at stride 1', () => {
  // LeNet-like: 28 × 28 at stride 1 against 14 × 14 at stride 2.
  assert.deepEqual(notesOf('[28, 28, 1]', 'conv2d(6, 3, stride = 2, padding = same)', 'conv2d'), [
    'Stride 2 computes 10,584 MACs; at stride 1 the same conv2d would compute 42,336 (4× as many).',
  ]);
  assert.deepEqual(notesOf('[28, 28, 1]', 'conv2d(6, 3, stride = [2, 1], padding = same)', 'conv2d'), [
    'Stride [2, 1] computes 21,168 MACs; at stride 1 the same conv2d would compute 42,336 (2× as many).',
  ]);
  // Symbolic lengths: formulas, no ratio.
  assert.deepEqual(notesOf('[seq, 4]', 'conv1d(8, 3, stride = 2, padding = same)', 'conv1d'), [
    'Stride 2 computes 96·⌈(seq)/2⌉ MACs; at stride 1 the same conv1d would compute 96·seq.',
  ]);
  assert.deepEqual(notesOf('[28, 28, 1]', 'conv2d(6, 3)', 'conv2d'), []);
});
