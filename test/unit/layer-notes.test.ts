// Hover notes that make a layer's arithmetic visible for the call at hand
// (the course notes' "just change the axis" of batch vs layer normalisation,
// and "stride 2 needs four times fewer computations").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { nodeAtRange } from '../../extension/core/analysis/weights';
import { getLayer } from '../../extension/core/layers';
import { layerHoverMarkdown } from '../../extension/vscode/pure/text';

/** The notes of the last call of *layer* in a model on `input`, as the hover computes them. */
function notesOfAll(input: string, chain: string, layer: string): string[] {
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

const notesOf = notesOfAll;

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
  const notesOf = (input: string, chain: string, layer: string) => notesOfAll(input, chain, layer).filter((n) => n.startsWith('Stride'));
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

test("convolutions and poolings write out their output size with the call's own numbers: padding, stride, what is dropped", () => {
  const size = (input: string, chain: string, layer: string) => notesOfAll(input, chain, layer).filter((n) => n.startsWith('Output size'));
  // The notes' 28 × 28 digits: a 3×3 kernel with same padding, then a stride-2 conv on 14.
  assert.deepEqual(size('[28, 28, 1]', 'conv2d(32, 3, padding = same)', 'conv2d'), [
    "Output size with `padding = same` — height and width 28 kept; pads 1 row and column of zeros on each side (as `padding = 1` does in PyTorch).",
  ]);
  assert.deepEqual(size('[14, 14, 32]', 'conv2d(64, 3, stride = 2, padding = same)', 'conv2d'), [
    "Output size with `padding = same` — height and width ⌈14 / 2⌉ = 7; pads 1 row and column of zeros at the bottom and right only (TensorFlow's rule: an odd amount of padding puts the extra at the bottom and right).",
  ]);
  assert.deepEqual(size('[7, 7, 64]', 'conv2d(64, 5)', 'conv2d'), ['Output size with `padding = valid` — height and width 7 − 5 + 1 = 3.']);
  // A pooling that shrinks an odd size: the last row and column are lost.
  assert.deepEqual(size('[11, 11, 16]', 'maxpool(2)', 'maxpool'), [
    'Output size with `padding = valid` — height and width ⌊(11 − 2) / 2⌋ + 1 = 5; the last row and column fit no window and are dropped.',
  ]);
  assert.deepEqual(size('[28, 28, 16]', 'maxpool(2)', 'maxpool'), ['Output size with `padding = valid` — height and width ⌊(28 − 2) / 2⌋ + 1 = 14.']);
  assert.deepEqual(size('[102, 4]', 'avgpool(4, stride = 3)', 'avgpool'), [
    'Output size with `padding = valid` — length ⌊(102 − 4) / 3⌋ + 1 = 33; the last 2 steps fit no window and are dropped.',
  ]);
  // Non-square: one line per axis.
  assert.deepEqual(size('[28, 28, 3]', 'conv2d(16, [3, 5], stride = [1, 2])', 'conv2d'), [
    'Output size with `padding = valid` — height 28 − 3 + 1 = 26.',
    'Output size with `padding = valid` — width ⌊(28 − 5) / 2⌋ + 1 = 12; the last column fits no window and is dropped.',
  ]);
  // Dilation widens the window; causal padding goes at the start only (a TCN layer).
  assert.deepEqual(size('[28, 28, 3]', 'conv2d(16, 3, dilation = 2)', 'conv2d'), [
    'Output size with `padding = valid` — height and width 28 − 5 + 1 = 24 (window 2·(3 − 1) + 1 = 5 wide).',
  ]);
  assert.deepEqual(size('[seq, 16]', 'conv1d(16, 2, padding = causal, dilation = 4)', 'conv1d'), [
    'Output size with `padding = causal` — length seq kept (window 4·(2 − 1) + 1 = 5 wide); 4·(2 − 1) = 4 zeros padded at the start only, so no step sees a later one.',
  ]);
  assert.deepEqual(size('[seq, 16]', 'conv1d(16, 3, stride = 2)', 'conv1d'), ['Output size with `padding = valid` — length ⌊(seq − 3) / 2⌋ + 1.']);
  // Two rows and columns dropped on a square image: said once ("rows and columns", not "rows and columns and columns").
  assert.deepEqual(size('[11, 11, 3]', 'conv2d(4, 3, stride = 3)', 'conv2d'), [
    'Output size with `padding = valid` — height and width ⌊(11 − 3) / 3⌋ + 1 = 3; the last 2 rows and columns fit no window and are dropped.',
  ]);
  assert.deepEqual(size('[11, 11, 3]', 'maxpool(3, stride = 3)', 'maxpool'), [
    'Output size with `padding = valid` — height and width ⌊(11 − 3) / 3⌋ + 1 = 3; the last 2 rows and columns fit no window and are dropped.',
  ]);
  // A symbolic size with same padding: the formula once, as with valid (not `⌈h / 2⌉ = ⌈(h)/2⌉`); a size it divides, its result.
  assert.deepEqual(size('[h, w, 3]', 'conv2d(4, 3, stride = 2, padding = same)', 'conv2d'), [
    'Output size with `padding = same` — height ⌈h / 2⌉.',
    'Output size with `padding = same` — width ⌈w / 2⌉.',
  ]);
  assert.deepEqual(size('[2*h, 2*h, 3]', 'maxpool(2, padding = same)', 'maxpool'), ['Output size with `padding = same` — height and width ⌈(2*h) / 2⌉ = h.']);
  // A DCGAN generator's up-convolution: valid gives 16 from 7, same exactly 14.
  assert.deepEqual(size('[7, 7, 128]', 'conv2d_transpose(64, 4, stride = 2)', 'conv2d_transpose'), [
    'Output size with `padding = valid` — height and width 7·2 + max(4 − 2, 0) = 16 (`padding = same` gives exactly 14).',
  ]);
  assert.deepEqual(size('[7, 7, 128]', 'conv2d_transpose(64, 4, stride = 2, padding = same)', 'conv2d_transpose'), [
    'Output size with `padding = same` — height and width 7·2 = 14.',
  ]);
});

test('the output sizes the notes write agree with the shapes the analysis infers (the same rule, not a copy that can drift)', () => {
  const cases: [string, string, string][] = [
    ['[28, 28, 1]', 'conv2d(8, 3, stride = 2)', 'conv2d'],
    ['[13, 13, 1]', 'maxpool(3, stride = 2, padding = same)', 'maxpool'],
    ['[31, 17, 1]', 'conv2d(8, [5, 2], stride = [3, 2], padding = same)', 'conv2d'],
    ['[50, 2]', 'conv1d(4, 3, dilation = 3)', 'conv1d'],
    ['[9, 5, 2]', 'conv2d_transpose(4, [3, 1], stride = [2, 3])', 'conv2d_transpose'],
  ];
  for (const [input, chain, layer] of cases) {
    const a = analyze(`model M {\n  input x: ${input}\n  output x -> ${chain}\n}\n`);
    const out = a.sites.find((s) => s.kind === 'layer' && s.name === layer)!.outShape!.dims.map((d) => d.value);
    const notes = notesOfAll(input, chain, layer).filter((n) => n.startsWith('Output size'));
    const written = notes.flatMap((n) => (n.includes('height and width') ? [lastSize(n), lastSize(n)] : n.includes('; width ') ? n.split('; width ').map(lastSize) : [lastSize(n)]));
    assert.deepEqual(written, out.slice(0, -1), `${chain} on ${input}: ${notes.join(' | ')}`);
  }
});

/** The size a note's formula comes to: the number after its last '= ' before the padding or dropping sentence. */
function lastSize(note: string): number {
  const formula = note.split(';')[0].replace(/ \(window .* wide\)/, '').replace(/ \(`padding = same` gives[^)]*\)/, '');
  const m = /(?:= (\d+)|(\d+) kept)\.?$/.exec(formula.trim());
  return Number(m?.[1] ?? m?.[2]);
}
