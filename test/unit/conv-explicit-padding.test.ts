// Explicit padding on conv1d/conv2d, as PyTorch writes it: `conv2d(64, 11, stride = 4, padding = 2)`
// (AlexNet's first layer), `padding = 1` (ResNet), `padding = [1, 0]` per axis. The output size is
// PyTorch's ⌊(in + 2p − d·(k − 1) − 1) / s⌋ + 1, and MACs, the receptive field, the hover's
// arithmetic, the runtime (zeros padded before a valid convolution), the PyTorch export
// (`padding=2`) and its numbers with the runtime's weights follow it. Bad values are still errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import type { LayerNode, ModelInfo } from '../../extension/core/analysis/types';
import { shapeToString } from '../../extension/core/analysis/sym';
import { describeField, fieldAt } from '../../extension/core/analysis/receptive';
import { conv1d, conv2d } from '../../extension/core/layers/conv';
import { buildModel } from '../../extension/core/runtime/build';
import { exportPyTorch } from '../../extension/core/export/pytorch';
import { useCpuBackend } from '../fixtures/tfjs';
import { assertExportMatchesRuntime, skipWithoutTorch } from '../fixtures/torch';

useCpuBackend();

const SOURCE = `model AlexStem {
  input image: [224, 224, 3]
  output image -> conv2d(64, 11, stride = 4, padding = 2) -> relu -> maxpool(3, stride = 2)
}

model Padded {
  input image: [9, 8, 3]
  x = image -> conv2d(4, 3, padding = 1) -> relu -> conv2d(5, [3, 5], stride = 2, padding = [1, 2])
  x = x -> conv2d(6, 3, dilation = 2, padding = 2) -> conv2d(4, 3, groups = 2, padding = 1, bias = false)
  output x -> flatten -> dense(3)
}

model Signal {
  input s: [11, 4]
  output s -> conv1d(6, 5, padding = 2) -> conv1d(4, 3, stride = 2, padding = 1) -> conv1d(3, 2, padding = 0)
}
`;

function clean(text: string) {
  const a = analyze(text, {});
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`), []);
  return a;
}

const layers = (m: ModelInfo) => m.graph.nodes.filter((n): n is LayerNode => n.kind === 'layer');

test("AlexNet's conv2d(64, 11, stride = 4, padding = 2) on 224 gives 55 × 55, as in PyTorch", () => {
  const m = clean(SOURCE).models[0];
  const [conv, , pool] = layers(m);
  assert.equal(shapeToString(conv.shape), '[55, 55, 64]');
  assert.equal(conv.params.trainable.value, 11 * 11 * 3 * 64 + 64);
  assert.equal(conv.macs.value, 11 * 11 * 3 * 64 * 55 * 55);
  assert.equal(shapeToString(pool.shape), '[27, 27, 64]');
});

test('explicit padding per axis, with stride, dilation and groups; conv1d; padding = 0 is valid', () => {
  const a = clean(SOURCE);
  const shapes = (m: ModelInfo) => layers(m).map((n) => shapeToString(n.shape));
  // 9, 8 → 9, 8 (3 wide, 1 each side) → ⌊(9 + 2 − 3)/2⌋ + 1 = 5, ⌊(8 + 4 − 5)/2⌋ + 1 = 4 → 5 + 4 − 5 + 1 = 5, 4 → 5, 4.
  assert.deepEqual(shapes(a.models[1]).slice(0, 5), ['[9, 8, 4]', '[9, 8, 4]', '[5, 4, 5]', '[5, 4, 6]', '[5, 4, 4]']);
  // 11 → 11 → ⌊(11 + 2 − 3)/2⌋ + 1 = 6 → 5.
  assert.deepEqual(shapes(a.models[2]), ['[11, 6]', '[6, 4]', '[5, 3]']);
});

test('bad explicit padding: negative, not whole, too many numbers, a kernel larger than the padded input', () => {
  const a = analyze(
    `model Bad {
  input image: [4, 4, 1]
  a = image -> conv2d(4, 3, padding = -1)
  b = image -> conv2d(4, 3, padding = 1.5)
  c = image -> conv2d(4, 3, padding = [1, 2, 3])
  d = image -> conv2d(4, 7, padding = 1)
  output a, b, c, d
}`,
    {},
  );
  assert.deepEqual(
    a.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`),
    [
      "arg.range: conv2d's 'padding' must be at least 0; got -1.",
      "arg.type: conv2d's 'padding' takes valid, same, a whole number or a list of them, but this is the number 1.5.",
      "arg.type: conv2d's 'padding' takes 2 numbers (or one for all); got 3.",
      'shape.kernel_too_large: conv2d: kernel 7 is larger than the input\'s 4 (height) with padding=1 (6 with the padding); use padding=same or a smaller kernel',
    ],
  );
});

test("PyTorch's padding = 1 is no longer an error on conv2d; conv2d_transpose keeps its hint", () => {
  const a = analyze('model M {\n  input image: [8, 8, 3]\n  a = image -> conv2d(8, 3, padding = 1)\n  output a -> conv2d_transpose(4, 3, padding = 1)\n}\n', {});
  assert.deepEqual(
    a.diagnostics.map((d) => d.code),
    ['arg.type'],
  );
  assert.match(a.diagnostics[0].message, /^conv2d_transpose's 'padding' is one of valid, same; got the number 1\. PyTorch's ConvTranspose padding = 1/);
  assert.equal(shapeToString(layers(a.models[0])[0].shape), '[8, 8, 8]');
});

test("the hover's output-size arithmetic says how many zeros explicit padding adds", () => {
  const img = { dims: analyze('model M {\n  input image: [224, 224, 3]\n  output image\n}\n', {}).models[0].inputs[0].shape.dims };
  assert.deepEqual(conv2d.notes!({ filters: 64, kernel: [11], stride: [4], padding: [2], bias: true }, [img]).slice(0, 1), [
    'Output size with `padding = 2` — height and width ⌊(224 + 2·2 − 11) / 4⌋ + 1 = 55; pads 2 rows and columns of zeros on each side; the last row and column fit no window and are dropped.',
  ]);
  const small = { dims: analyze('model M {\n  input image: [9, 8, 3]\n  output image\n}\n', {}).models[0].inputs[0].shape.dims };
  assert.deepEqual(conv2d.notes!({ filters: 5, kernel: [3, 5], stride: [2], padding: [1, 2], bias: true }, [small]).slice(0, 2), [
    'Output size with `padding = [1, 2]` — height ⌊(9 + 2·1 − 3) / 2⌋ + 1 = 5; pads 1 row of zeros on each side.',
    'Output size with `padding = [1, 2]` — width ⌊(8 + 2·2 − 5) / 2⌋ + 1 = 4; pads 2 columns of zeros on each side; the last column fits no window and is dropped.',
  ]);
  const seq = { dims: analyze('model M {\n  input s: [11, 4]\n  output s\n}\n', {}).models[0].inputs[0].shape.dims };
  assert.deepEqual(conv1d.notes!({ filters: 6, kernel: [5], stride: [1], padding: [2], bias: true }, [seq]), [
    'Output size with `padding = 2` — length 11 + 2·2 − 5 + 1 = 11; pads 2 steps of zeros on each side.',
  ]);
});

test('the receptive field starts inside the padding', () => {
  const text = 'model M {\n  input image: [16, 16, 1]\n  output image -> conv2d(4, 3, padding = 1) -> conv2d(4, 3, stride = 2, padding = 1)\n}\n';
  const a = clean(text);
  const m = a.models[0];
  const sites = a.sites.filter((x) => x.kind === 'layer' && x.name === 'conv2d');
  assert.deepEqual(describeField(fieldAt(m, sites[1].range), m), ['5 × 5 pixels of *image*, stride 2 × 2']);
  const f = fieldAt(m, sites[1].range)!.get('image');
  assert.ok(f?.kind === 'local');
  // Output 0 of the second conv reads rows −1…1 of the first's output, which read rows −2…2 of the image.
  assert.deepEqual(f.starts, [-2, -2]);
});

test('the runtime builds the shapes and parameter counts of the analysis', () => {
  for (const m of clean(SOURCE).models) {
    const built = buildModel(tf, m, { seed: 1 });
    try {
      const out = built.model.outputs[0].shape.slice(1);
      assert.deepEqual(out, m.outputs[0].shape.dims.map((d) => d.value), m.name);
      assert.equal(built.layerPaths.length, layers(m).length, m.name);
      for (const path of built.layerPaths) {
        const node = built.nodeOf.get(path)!;
        const shape = (built.outputOf.get(path)!.shape as (number | null)[]).slice(1);
        assert.deepEqual(shape, node.shape.dims.map((d) => d.value), `${m.name} ${node.label}`);
      }
      assert.equal(built.model.countParams(), (m.params.trainable.value ?? 0) + (m.params.nonTrainable.value ?? 0), m.name);
    } finally {
      built.model.dispose();
    }
  }
});

test('export: padding=2, padding=(1, 2); a padding of 0 is left out', () => {
  const r = exportPyTorch(clean(SOURCE));
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  assert.match(r.code, /nn\.Conv2d\(3, 64, 11, stride=4, padding=2\)/);
  assert.match(r.code, /nn\.Conv2d\(3, 4, 3, padding=1\)/);
  assert.match(r.code, /nn\.Conv2d\(4, 5, \(3, 5\), stride=2, padding=\(1, 2\)\)/);
  assert.match(r.code, /nn\.Conv2d\(5, 6, 3, padding=2, dilation=2\)/);
  assert.match(r.code, /nn\.Conv2d\(6, 4, 3, padding=1, groups=2, bias=False\)/);
  assert.match(r.code, /nn\.Conv1d\(4, 6, 5, padding=2\)/);
  assert.match(r.code, /nn\.Conv1d\(6, 4, 3, stride=2, padding=1\)/);
  assert.match(r.code, /nn\.Conv1d\(4, 3, 2\)  #/);
  assert.doesNotMatch(r.code, /F\.pad/);
});

test("PyTorch gives the runtime's outputs with its weights: explicit padding pads zeros on both sides", async (t) => {
  if (skipWithoutTorch(t, 'EXPLICIT PADDING TEST')) return;
  const source = SOURCE.replace('[224, 224, 3]', '[23, 21, 3]');
  await assertExportMatchesRuntime(t, source, ['AlexStem', 'Padded', 'Signal'], { prefix: 'nnmodel-padding-', seed: 40, value: (rand) => rand() * 2 - 1 });
});
