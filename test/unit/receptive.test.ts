// Receptive fields (extension/core/analysis/receptive.ts) against figures
// worked by hand and published ones: LeNet-5's C3/S4 (14, 16), ResNet-18's
// 435 pixels (Araujo et al., "Computing Receptive Fields of Convolutional
// Neural Networks", Distill 2019), a TCN's 1 + Σ 2·2·d.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../../extension/core/analysis/analyze';
import { FIELD_RULES, FIELD_VISIT_BUDGET, compactField, describeField, fieldAt, modelFields, windowAt, type Field, type InputField } from '../../extension/core/analysis/receptive';
import type { GraphNode, ModelInfo } from '../../extension/core/analysis/types';
import { LAYERS } from '../../extension/core/layers';
import { importReader } from '../../extension/cli/files';
import { summaryRows } from '../../extension/core/analysis/summary';
import { summaryMarkdown } from '../../extension/vscode/pure/text';

function model(text: string, name?: string, uri?: string): ModelInfo {
  const a = analyze(text, { uri, readImport: importReader(process.cwd()) });
  const errors = a.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors.map((d) => d.message), []);
  const m = name ? a.models.find((x) => x.name === name) : a.models[0];
  assert.ok(m, `model ${name}`);
  return m;
}

const example = (file: string, name?: string) => {
  const path = join(process.cwd(), 'examples', file);
  return model(readFileSync(path, 'utf8'), name, path);
};

/** The field of `input` after the top-level node at index `i` (negative: from the end). */
function topField(m: ModelInfo, pick: (n: GraphNode) => boolean, input: string): InputField | undefined {
  const nodes = m.graph.nodes.filter(pick);
  assert.ok(nodes.length > 0, 'no such node');
  return modelFields(m).byNode.get(nodes[0])?.get(input);
}

/** The field of every call on `line` (0-based) in file order of the first instantiation. */
function fieldsOnLine(m: ModelInfo, text: string, line: number, input: string): (InputField | undefined)[] {
  const out: (InputField | undefined)[] = [];
  const lines = text.split('\n');
  const lineStart = lines.slice(0, line).reduce((s, l) => s + l.length + 1, 0);
  const fields = modelFields(m);
  for (const [key, f] of fields.byRange) {
    const start = Number(key.split(':')[0]);
    if (start >= lineStart && start < lineStart + lines[line].length) out.push(f.get(input));
  }
  return out;
}

const local = (f: InputField | undefined) => (f?.kind === 'local' ? { sizes: f.sizes, jumps: f.jumps, causal: f.causal } : f);

describe('receptive fields', () => {
  test('every layer of the catalogue says how it moves positions', () => {
    const missing = [...LAYERS.keys()].filter((name) => !(name in FIELD_RULES));
    assert.deepEqual(missing, []);
  });

  test('LeNet-5: 5, 6, 14, 16 pixels, then the whole image', () => {
    const text = readFileSync(join(process.cwd(), 'examples', 'lenet5.nnmodel'), 'utf8');
    const m = model(text);
    const line = text.split('\n').findIndex((l) => l.includes('output image'));
    const first = fieldsOnLine(m, text, line, 'image').map(local);
    // conv2d(6, 5) -> tanh -> avgpool(2)
    assert.deepEqual(first, [
      { sizes: [5, 5], jumps: [1, 1], causal: false },
      { sizes: [5, 5], jumps: [1, 1], causal: false },
      { sizes: [6, 6], jumps: [2, 2], causal: false },
    ]);
    const second = fieldsOnLine(m, text, line + 1, 'image').map(local);
    assert.deepEqual(second, [
      { sizes: [14, 14], jumps: [2, 2], causal: false },
      { sizes: [14, 14], jumps: [2, 2], causal: false },
      { sizes: [16, 16], jumps: [4, 4], causal: false },
    ]);
    assert.deepEqual(topField(m, (n) => n.kind === 'layer' && n.op === 'flatten', 'image'), { kind: 'global', causal: false });
    assert.deepEqual(describeField(modelFields(m).outputs[0], m), ['all of *image*']);
    // What the hover shows: the field at the site of `conv2d(16, 5)`.
    const a = analyze(text);
    const c3 = a.sites.filter((x) => x.kind === 'layer' && x.name === 'conv2d')[1];
    assert.deepEqual(describeField(fieldAt(m, c3.range), m), ['14 × 14 pixels of *image*, stride 2 × 2']);
    // What the feature maps view outlines when the pointer is on pixel (5, 7) of that layer's maps.
    assert.deepEqual(windowAt(fieldAt(m, c3.range)!.get('image'), [5, 7]), { from: [10, 14], to: [24, 28] });
    // The summary's column (CLI JSON, Summary view, inspector).
    assert.deepEqual(
      summaryRows(m).map((r) => r.field),
      ['', '5 × 5', '5 × 5', '6 × 6 /2', '14 × 14 /2', '14 × 14 /2', '16 × 16 /4', 'all', 'all', 'all', 'all', 'all', 'all', 'all'],
    );
    // In the Summary view, a short header (the legend says what it is) and cells that may wrap before the step, not inside the window.
    assert.match(summaryMarkdown(m, 32), /\| Sees \|\n/);
    assert.match(summaryMarkdown(m, 32), /^Sees: the receptive field, how much of the input each output value sees/m);
    assert.match(summaryMarkdown(m, 32), /\| 16\u00a0×\u00a016 \/4 \|/);
  });

  test('ResNet-18 sees 435 × 435 pixels before its global pooling (Araujo et al.)', () => {
    const m = example('resnet18.nnmodel');
    const pool = m.graph.nodes.find((n) => n.kind === 'layer' && n.op === 'global_avgpool');
    assert.ok(pool && pool.kind === 'layer');
    const before = m.graph.nodes.find((n) => n.id === pool.inputs[0])!;
    const f = modelFields(m).byNode.get(before)!.get('image');
    assert.deepEqual(local(f), { sizes: [435, 435], jumps: [32, 32], causal: false });
    assert.deepEqual(describeField(modelFields(m).byNode.get(before), m), ['435 × 435 pixels of *image* (as wide as the input), stride 32 × 32']);
  });

  test('a TCN of dilated causal convolutions: 1 + 4·(1 + 2 + 4 + 8) = 61 steps, current and earlier only', () => {
    const m = example('tcn_waves.nnmodel');
    const f = modelFields(m).outputs[0].get('signal');
    assert.deepEqual(local(f), { sizes: [61], jumps: [1], causal: true });
    assert.deepEqual(describeField(modelFields(m).outputs[0], m), ['61 steps of *signal*, current and earlier only']);
    // Each block call (a group) shows the field after it: 5, 13, 29, 61.
    const groups = m.graph.nodes.filter((n) => n.kind === 'group');
    assert.deepEqual(
      groups.map((g) => local(modelFields(m).byNode.get(g)!.get('signal'))),
      [5, 13, 29, 61].map((s) => ({ sizes: [s], jumps: [1], causal: true })),
    );
  });

  test('a repeated block grows the field at every repetition', () => {
    const text = [
      'block two(f) {',
      '  input x',
      '  output x -> conv2d(f, 3, padding = same) -> conv2d(f, 3, padding = same)',
      '}',
      'model M {',
      '  input image: [64, 64, 3]',
      '  output image -> two(8) * 3 -> maxpool(2) -> two(8)',
      '}',
    ].join('\n');
    const m = model(text);
    const g = m.graph.nodes.filter((n) => n.kind !== 'input');
    const sizes = g.map((n) => {
      const f = modelFields(m).byNode.get(n)!.get('image');
      return f?.kind === 'local' ? f.sizes[0] : f?.kind;
    });
    // 3 repetitions of +4 → 13; pool → 14 (stride 2); two more convs at stride 2 → +8 → 22.
    assert.deepEqual(sizes, [13, 14, 22]);
    // Each repetition has its own path (runtime/build.ts), with its own field: 5, 9, 13 after its second conv.
    // (The first repetition takes 3 channels and the others 8: two runs, `0#0`, then `1#0` and `1#1`.)
    const group = g[0];
    assert.ok(group.kind === 'group');
    const paths = group.runs.flatMap((run, r) => Array.from({ length: run.count }, (_, rep) => `${group.id}/${r}#${rep}/2`));
    const byPath = modelFields(m).byPath;
    const secondConv = paths.map((path) => {
      const f = byPath.get(path)?.get('image');
      return f?.kind === 'local' ? f.sizes[0] : f?.kind;
    });
    assert.deepEqual(secondConv, [5, 9, 13]);
  });

  test('where each window starts: TensorFlow\'s padding before it, then stride', () => {
    const text = ['model P {', '  input image: [32, 32, 3]', '  output image -> conv2d(8, 3, padding = same) -> maxpool(2) -> conv2d(8, 5) -> conv1x1', '}'].join('\n');
    const m = model(text.replace(' -> conv1x1', ''));
    const f = modelFields(m).outputs[0].get('image');
    // same 3×3: one row of padding before (start −1); pool 2: size 4 at stride 2; valid 5×5: +4·2 → 12.
    assert.deepEqual(f?.kind === 'local' && { sizes: f.sizes, jumps: f.jumps, starts: f.starts }, { sizes: [12, 12], jumps: [2, 2], starts: [-1, -1] });
    // Causal padding puts the whole window before: a causal conv1d(k = 3, dilation = 2) starts 4 steps back.
    const c = model(['model C {', '  input s: [64, 1]', '  output s -> conv1d(4, 3, padding = causal, dilation = 2)', '}'].join('\n'));
    const cf = modelFields(c).outputs[0].get('s');
    assert.deepEqual(cf?.kind === 'local' && { sizes: cf.sizes, starts: cf.starts, causal: cf.causal }, { sizes: [5], starts: [-4], causal: true });
  });

  test('attention: causal self-attention sees all earlier tokens, cross-attention all of its context', () => {
    const gpt = example('gpt_small.nnmodel');
    assert.deepEqual(modelFields(gpt).outputs[0].get(gpt.inputs[0].name), { kind: 'global', causal: true });
    assert.match(describeField(modelFields(gpt).outputs[0], gpt)[0], /^all earlier tokens of \*/);
    const tt = example('transformer.nnmodel', 'TinyTransformer');
    const out = modelFields(tt).outputs[0];
    assert.deepEqual(out.get('source'), { kind: 'global', causal: false });
    assert.deepEqual(out.get('target'), { kind: 'global', causal: true });
  });

  test('recurrent: returning sequences, step t has read steps 0…t; bidirectional, all steps (the backward direction reads the later ones)', () => {
    const field = (layer: string) => modelFields(model(`model R {\n  input s: [seq, 4]\n  output s -> ${layer}\n}\n`)).outputs[0].get('s');
    assert.deepEqual(field('lstm(8, return_sequences = true)'), { kind: 'global', causal: true });
    assert.deepEqual(field('gru(8, return_sequences = true, bidirectional = true)'), { kind: 'global', causal: false });
    assert.deepEqual(field('rnn(8, bidirectional = true)'), { kind: 'global', causal: false });
    const m = model('model R {\n  input s: [seq, 4]\n  output s -> lstm(8, return_sequences = true, bidirectional = true)\n}\n');
    assert.equal(describeField(modelFields(m).outputs[0], m)[0], 'all of *s*');
    const one = model('model R {\n  input s: [seq, 4]\n  output s -> lstm(8, return_sequences = true)\n}\n');
    assert.match(describeField(modelFields(one).outputs[0], one)[0], /^all earlier /);
  });

  test('a U-Net decoder comes back to stride 1 with a wider field; a window after a reshape is not traced', () => {
    const m = example('unet_small.nnmodel');
    const f = modelFields(m).outputs[0].get(m.inputs[0].name);
    assert.ok(f?.kind === 'local', JSON.stringify(f));
    assert.deepEqual(f.jumps, [1, 1]);
    assert.ok(f.sizes[0] > 40, `U-Net output field ${f.sizes}`);
    const text = ['model R {', '  input x: [8, 8, 4]', '  output x -> reshape([64, 4]) -> conv1d(4, 3)', '}'].join('\n');
    const r = model(text);
    assert.deepEqual(modelFields(r).outputs[0].get('x'), { kind: 'unknown' });
    assert.deepEqual(describeField(modelFields(r).outputs[0], r), []);
  });

  test('nested repeats stay within one budget: what is past it is unknown, never a hang or a wrong size', () => {
    const text = [
      'block inner() {',
      '  input x',
      '  output x -> conv1d(4, 3, padding = same)',
      '}',
      'block outer() {',
      '  input x',
      '  output x -> inner() * 1000',
      '}',
      'model Deep {',
      '  input s: [64, 4]',
      '  output s -> outer() * 1000',
      '}',
    ].join('\n');
    const m = model(text);
    const cpu = process.cpuUsage();
    const f = modelFields(m);
    const used = process.cpuUsage(cpu);
    assert.ok((used.user + used.system) / 1000 < 2000, `walk took ${(used.user + used.system) / 1000} ms of CPU`);
    assert.ok(f.byPath.size <= FIELD_VISIT_BUDGET, `${f.byPath.size} paths`);
    assert.deepEqual(f.outputs[0].get('s'), { kind: 'unknown' });
    // Below the budget every repetition counts: 2 000 convolutions of 3 taps see 1 + 2·2000 steps.
    const long = model(['model Long {', '  input s: [64, 4]', '  output s -> conv1d(4, 3, padding = same) * 2000', '}'].join('\n'));
    const lf = modelFields(long).outputs[0].get('s');
    assert.equal(lf?.kind === 'local' && lf.sizes[0], 4001);
  });

  test('after upsampling a window is counted in whole input positions, its stride as a fraction', () => {
    const m = model(['model U {', '  input image: [16, 16, 1]', '  output image -> upsample(3) -> conv2d(2, 3, padding = same) * 3', '}'].join('\n'));
    // 1 + 3 convs · 2 taps · 1/3 = 3 pixels (2.999… in floating point), moving a third of a pixel per output pixel.
    assert.deepEqual(describeField(modelFields(m).outputs[0], m), ['3 × 3 pixels of *image*, stride 1/3 × 1/3']);
    assert.equal(compactField(modelFields(m).outputs[0], m), '3 × 3 /⅓');
  });

  test('an int input with a trailing axis of one holds a value per position (a step per position into sinusoidal)', () => {
    const m = model(['model T {', '  input t: int[seq, 1]', '  output t -> sinusoidal(8) -> conv1d(4, 5)', '}'].join('\n'));
    assert.deepEqual(describeField(modelFields(m).outputs[0], m), ['5 tokens of *t*']);
  });

  test('one position is said in the singular: 1 token, 1 × 1 pixel', () => {
    const m = model(['model T {', '  input tokens: int[seq]', '  output tokens -> embedding(10, 4) -> dense(4)', '}'].join('\n'));
    assert.deepEqual(describeField(modelFields(m).outputs[0], m), ['1 token of *tokens*']);
    const c = model(['model C {', '  input image: [8, 8, 3]', '  output image -> conv2d(4, 1)', '}'].join('\n'));
    assert.deepEqual(describeField(modelFields(c).outputs[0], c), ['1 × 1 pixel of *image*']);
  });

  test('inputs without positions and pointwise models say nothing', () => {
    const m = example('mlp_fruit.nnmodel');
    const f: Field = modelFields(m).outputs[0];
    assert.deepEqual(describeField(f, m), []);
  });
});

test('a jump below 1 (after upsampling) reads as one fraction in the table cell: /½, not /1/2', () => {
  const cell = (layers: string) => {
    const a = analyze(`model U {\n  input x: [12, 12, 1]\n  output x -> ${layers}\n}\n`);
    const m = a.models[0];
    const site = a.sites.filter((s) => s.kind === 'layer').at(-1)!;
    return compactField(fieldAt(m, site.range), m);
  };
  assert.equal(cell('upsample'), '1 × 1 /½');
  assert.equal(cell('upsample(3)'), '1 × 1 /⅓');
  assert.equal(cell('upsample([2, 3])'), '1 × 1 /½×⅓');
  assert.equal(cell('upsample(7)'), '1 × 1 /(1/7)');
  // Whole jumps are unchanged.
  assert.equal(cell('conv2d(4, 3, stride = 2)'), '3 × 3 /2');
});
