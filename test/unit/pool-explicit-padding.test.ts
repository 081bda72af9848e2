// Explicit padding on maxpool/avgpool, as PyTorch writes it: ResNet's stem `nn.MaxPool2d(3, stride=2, padding=1)`
// is `maxpool(3, stride = 2, padding = 1)`, `nn.AvgPool2d(3, stride=1, padding=1)` is `avgpool(3, stride = 1,
// padding = 1)`, `[ph, pw]` per axis. The output size is PyTorch's ⌊(in + 2p − k) / s⌋ + 1; max pooling's padding
// never wins the max (PyTorch pads −∞), average pooling's is zeros counted in the mean (PyTorch's default
// count_include_pad=True). The hover, the runtime (padding then a valid pooling), the receptive field, the feature
// maps' breakdown and the PyTorch export (`padding=1`) follow it; PyTorch's p ≤ size / 2 is an `arg.range` error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import type { LayerNode, ModelInfo } from '../../extension/core/analysis/types';
import { shapeToString } from '../../extension/core/analysis/sym';
import { describeField, fieldAt } from '../../extension/core/analysis/receptive';
import { avgpool, maxpool } from '../../extension/core/layers/pool';
import { buildModel } from '../../extension/core/runtime/build';
import { exportPyTorch } from '../../extension/core/export/pytorch';
import { argumentHover } from '../../extension/vscode/pure/nameHover';
import { useCpuBackend } from '../fixtures/tfjs';
import { assertExportMatchesRuntime, skipWithoutTorch } from '../fixtures/torch';

useCpuBackend();

const SOURCE = `model ResNetStem {
  input image: [224, 224, 3]
  output image -> conv2d(64, 7, stride = 2, padding = 3) -> relu -> maxpool(3, stride = 2, padding = 1)
}

model MaxBorder {
  input image: [9, 8, 2]
  output image -> maxpool(3, stride = 2, padding = 1) -> maxpool([3, 2], stride = 1, padding = [1, 1])
}

model AvgBorder {
  input image: [9, 8, 2]
  output image -> avgpool(3, stride = 1, padding = 1) -> avgpool([3, 4], stride = 2, padding = [1, 2])
}

model Signal {
  input s: [11, 3]
  output s -> maxpool(3, stride = 2, padding = 1) -> avgpool(2, stride = 1, padding = 1) -> maxpool(2, padding = 0)
}
`;

function clean(text: string) {
  const a = analyze(text, {});
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`), []);
  return a;
}

const layers = (m: ModelInfo) => m.graph.nodes.filter((n): n is LayerNode => n.kind === 'layer');
const shapes = (m: ModelInfo) => layers(m).map((n) => shapeToString(n.shape));

test("ResNet's stem: conv2d(64, 7, stride = 2, padding = 3) then maxpool(3, stride = 2, padding = 1): 224 → 112 → 56, as in PyTorch", () => {
  const m = clean(SOURCE).models[0];
  assert.deepEqual(shapes(m), ['[112, 112, 64]', '[112, 112, 64]', '[56, 56, 64]']);
  const pool = layers(m)[2];
  assert.equal(pool.params.trainable.value, 0);
  assert.equal(pool.macs.value, 0);
});

test('explicit padding per axis, 1-D and 2-D, max and average; padding = 0 is valid', () => {
  const a = clean(SOURCE);
  // 9, 8 → ⌊(9 + 2 − 3)/2⌋ + 1 = 5, ⌊(8 + 2 − 3)/2⌋ + 1 = 4 → 5 + 2 − 3 + 1 = 5, 4 + 2 − 2 + 1 = 5.
  assert.deepEqual(shapes(a.models[1]), ['[5, 4, 2]', '[5, 5, 2]']);
  // 9, 8 kept → ⌊(9 + 2 − 3)/2⌋ + 1 = 5, ⌊(8 + 4 − 4)/2⌋ + 1 = 5.
  assert.deepEqual(shapes(a.models[2]), ['[9, 8, 2]', '[5, 5, 2]']);
  // 11 → ⌊(11 + 2 − 3)/2⌋ + 1 = 6 → 6 + 2 − 2 + 1 = 7 → ⌊(7 − 2)/2⌋ + 1 = 3.
  assert.deepEqual(shapes(a.models[3]), ['[6, 3]', '[7, 3]', '[3, 3]']);
});

test('bad explicit padding: more than half the size (PyTorch refuses it), negative, not whole, too many numbers', () => {
  const a = analyze(
    `model Bad {
  input image: [8, 8, 1]
  a = image -> maxpool(3, stride = 2, padding = 2)
  b = image -> avgpool([4, 2], padding = [2, 2])
  c = image -> maxpool(2, padding = -1)
  d = image -> avgpool(3, padding = 0.5)
  e = image -> maxpool(3, padding = [1, 1, 1])
  output a, b, c, d, e
}

model BadSeq {
  input s: [10, 2]
  output s -> avgpool(1, padding = 1)
}`,
    {},
  );
  assert.deepEqual(
    a.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`),
    [
      'arg.range: maxpool: padding 2 is more than half the pool size 3; PyTorch allows at most 1, so that no window lies wholly on padding. Use padding = 1 or less, or a larger size',
      'arg.range: avgpool: padding 2 is more than half the pool size 2 (width); PyTorch allows at most 1, so that no window lies wholly on padding. Use padding = 1 or less, or a larger size',
      "arg.range: maxpool's 'padding' must be at least 0; got -1.",
      "arg.type: avgpool's 'padding' takes valid, same, a whole number or a list of them, but this is the number 0.5.",
      "arg.type: maxpool's 'padding' takes 2 numbers (or one for all); got 3.",
      'arg.range: avgpool: padding 1 is more than half the pool size 1; PyTorch allows at most 0, so that no window lies wholly on padding. Leave the padding out (a window of 1 takes none), or use a larger size',
    ],
  );
  // The error is on the padding.
  const d = a.diagnostics[0];
  const line = 'a = image -> maxpool(3, stride = 2, padding = 2)';
  assert.equal(d.range.start.line, 2);
  assert.equal(d.range.start.character, '  '.length + line.indexOf('padding = 2') + 'padding = '.length);
});

test("PyTorch's padding = 1 on a pool is no longer an error; conv2d_transpose keeps its hint and fix", () => {
  const a = analyze(
    'model M {\n  input image: [8, 8, 3]\n  a = image -> maxpool(3, stride = 1, padding = 1) -> avgpool(5, padding = 0)\n  output a -> conv2d_transpose(4, 3, padding = 1)\n}\n',
    {},
  );
  assert.deepEqual(a.diagnostics.map((d) => d.code), ['arg.type']);
  assert.match(a.diagnostics[0].message, /^conv2d_transpose's 'padding' is one of valid, same; got the number 1\. PyTorch's ConvTranspose padding = 1/);
  assert.deepEqual(shapes(a.models[0]).slice(0, 2), ['[8, 8, 3]', '[1, 1, 3]']);
});

test("the hover: the output-size arithmetic, and what the padding holds (never the max; zeros counted in the mean)", () => {
  const dims = (text: string) => ({ dims: analyze(`model M {\n  input x: ${text}\n  output x\n}\n`, {}).models[0].inputs[0].shape.dims });
  assert.deepEqual(maxpool.notes!({ size: [3], stride: [2], padding: [1] }, [dims('[112, 112, 64]')]), [
    'Output size with `padding = 1` — height and width ⌊(112 + 2·1 − 3) / 2⌋ + 1 = 56; pads 1 row and column on each side; the last row and column fit no window and are dropped.',
    'The padding never wins a max, as in PyTorch (which pads −∞): each value is the max of the cells of its window inside the input.',
  ]);
  const avg = avgpool.notes!({ size: [3], stride: [1], padding: [1] }, [dims('[9, 8, 2]')]);
  assert.deepEqual(avg.slice(0, 2), [
    'Output size with `padding = 1` — height 9 + 2·1 − 3 + 1 = 9; pads 1 row on each side.',
    'Output size with `padding = 1` — width 8 + 2·1 − 3 + 1 = 8; pads 1 column on each side.',
  ]);
  assert.match(avg[2], /^The padding is zeros that count in the mean, as PyTorch's default \(`count_include_pad = True`\).*`padding = same` leaves the padding out instead\.$/);
  assert.deepEqual(avgpool.notes!({ size: [2], stride: [1], padding: [1] }, [dims('[11, 3]')]).slice(0, 1), ['Output size with `padding = 1` — length 11 + 2·1 − 2 + 1 = 12; pads 1 step on each side.']);
  // No padding, no line on it.
  assert.equal(maxpool.notes!({ size: [2], stride: [2], padding: [0] }, [dims('[8, 8, 1]')]).length, 1);
  // The layer's documentation says it too.
  assert.match(maxpool.doc, /padding=p.*never wins the max/);
  assert.match(avgpool.doc, /padding=p.*zeros that count in the mean \(PyTorch's default `count_include_pad = True`\), unlike `same`/);
});

test("the hover of a pooling's padding = 1 says the arithmetic and what the padding holds", () => {
  const uri = 'file:///pool.nnmodel';
  const text = 'model M {\n  input img: [112, 112, 64]\n  output img -> maxpool(3, stride = 2, padding = 1) -> avgpool(3, stride = 1, padding = 1)\n}\n';
  const a = analyze(text, { uri });
  const hover = (n: number) => {
    let at = -1;
    for (let i = 0; i < n; i++) at = text.indexOf('padding = 1', at + 1);
    return argumentHover(a, at + 2, uri)?.markdown ?? '';
  };
  const max = hover(1);
  assert.match(max, /At this call: `padding = 1` \(default valid\)  \nOutput size with `padding = 1` — height and width ⌊\(112 \+ 2·1 − 3\) \/ 2⌋ \+ 1 = 56; pads 1 row and column on each side; the last row and column fit no window and are dropped\.  \nThe padding never wins a max/);
  assert.match(max, /never the max\)\.$/);
  const avg = hover(2);
  assert.match(avg, /Output size with `padding = 1` — height and width 56 \+ 2·1 − 3 \+ 1 = 56; pads 1 row and column on each side\.  \nThe padding is zeros that count in the mean, as PyTorch's default \(`count_include_pad = True`\)/);
  assert.match(avg, /zeros counted in the mean\)\.$/);
});

test('the receptive field starts inside the padding', () => {
  const a = clean('model M {\n  input image: [16, 16, 1]\n  output image -> maxpool(3, stride = 2, padding = 1) -> avgpool(3, stride = 2, padding = 1)\n}\n');
  const m = a.models[0];
  const sites = a.sites.filter((x) => x.kind === 'layer' && x.name === 'avgpool');
  assert.deepEqual(describeField(fieldAt(m, sites[0].range), m), ['7 × 7 pixels of *image*, stride 4 × 4']);
  const f = fieldAt(m, sites[0].range)!.get('image');
  assert.ok(f?.kind === 'local');
  // Output 0 of the avgpool reads rows −1…1 of the maxpool's output, which read rows −3…3 of the image.
  assert.deepEqual(f.starts, [-3, -3]);
});

test('the runtime builds the shapes of the analysis', () => {
  for (const m of clean(SOURCE).models) {
    const built = buildModel(tf, m, { seed: 1 });
    try {
      for (const path of built.layerPaths) {
        const node = built.nodeOf.get(path)!;
        const shape = (built.outputOf.get(path)!.shape as (number | null)[]).slice(1);
        assert.deepEqual(shape, node.shape.dims.map((d) => d.value), `${m.name} ${node.label}`);
      }
      assert.equal(built.model.countParams(), m.params.trainable.value ?? 0, m.name);
    } finally {
      built.model.dispose();
    }
  }
});

test('the runtime: a max never picks the padding, an average counts its zeros (against hand-computed values)', () => {
  const m = clean('model M {\n  input x: [2, 2, 1]\n  a = x -> maxpool(2, stride = 1, padding = 1)\n  b = x -> avgpool(2, stride = 1, padding = 1)\n  output a, b\n}\n').models[0];
  const built = buildModel(tf, m, { seed: 1 });
  try {
    // [[-1, -2], [-3, -4]]: zeros padded around it would win every max.
    const [a, b] = built.model.predict(tf.tensor4d([-1, -2, -3, -4], [1, 2, 2, 1])) as tf.Tensor[];
    assert.deepEqual(Array.from(a.dataSync()), [-1, -1, -2, -1, -1, -2, -3, -3, -4]);
    // Each window of 4 cells: a corner holds one value, an edge two, the centre all four.
    assert.deepEqual(Array.from(b.dataSync()), [-1 / 4, -3 / 4, -2 / 4, -4 / 4, -10 / 4, -6 / 4, -3 / 4, -7 / 4, -4 / 4]);
    tf.dispose([a, b]);
  } finally {
    built.model.dispose();
  }
});

test('export: padding=1, padding=(1, 2) on the pooling itself; a padding of 0 is left out', () => {
  const r = exportPyTorch(clean(SOURCE));
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  assert.match(r.code, /F\.max_pool2d\([^\n]*, 3, stride=2, padding=1\)/);
  assert.match(r.code, /F\.max_pool2d\([^\n]*, \(3, 2\), stride=1, padding=1\)/);
  assert.match(r.code, /F\.avg_pool2d\([^\n]*, 3, stride=1, padding=1\)/);
  assert.match(r.code, /F\.avg_pool2d\([^\n]*, \(3, 4\), stride=2, padding=\(1, 2\)\)/);
  assert.match(r.code, /F\.max_pool1d\([^\n]*, 3, stride=2, padding=1\)/);
  assert.match(r.code, /F\.avg_pool1d\([^\n]*, 2, stride=1, padding=1\)/);
  assert.match(r.code, /F\.max_pool1d\([^\n]*, 2\)/);
  // PyTorch's own defaults: −∞ for max, zeros counted for average.
  assert.doesNotMatch(r.code, /F\.pad|count_include_pad/);
});

test("PyTorch gives the runtime's outputs: the padding never wins a max of negative values, and counts in a mean", async (t) => {
  if (skipWithoutTorch(t, 'POOL EXPLICIT PADDING TEST')) return;
  const source = SOURCE.replace('[224, 224, 3]', '[23, 21, 3]');
  // Every value negative: a zero of padding would be every border window's max, and leaving the
  // padding out of a mean would move every border average away from 0.
  await assertExportMatchesRuntime(t, source, ['ResNetStem', 'MaxBorder', 'AvgBorder', 'Signal'], { prefix: 'nnmodel-pool-padding-', seed: 60, value: (rand) => -0.1 - rand() });
});
