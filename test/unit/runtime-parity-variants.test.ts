/**
 * Runtime parity, layer by layer and argument by argument (issue 2, item 5).
 *
 * runtime.test.ts compares each model's *totals* and final output shapes
 * with the tfjs model. A wrong intermediate shape that a later global pool
 * or a parameter-free tail hides (a pooling rule off by one, which changes
 * every later MAC count) passes that check. Here every layer node of every
 * model is compared with the tfjs layer the runtime built for it: output
 * shape, trainable and non-trainable parameters, and weight names and
 * shapes. The variant models are checked against the registry: every layer
 * must appear, every value of every enum argument, both values of every
 * bool argument, and a value above 1 for every stride, dilation, groups and
 * factor, so a new layer or argument cannot be forgotten. The model totals
 * and outputs are compared as well (repeat counts multiply only there).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import type { Graph, LayerNode, ModelInfo } from '../../extension/core/analysis/types';
import { LAYERS } from '../../extension/core/layers';
import { buildModel } from '../../extension/core/runtime/build';
import { shortName } from '../../extension/core/runtime/checkpoint';
import { examplesDir, readExampleImport, nnmodelFiles } from '../fixtures/examples';
import { useCpuBackend } from '../fixtures/tfjs';

useCpuBackend();

const readImport = readExampleImport;

/**
 * Small models, each exercising argument values that change a shape or a
 * count. Sizes are odd where a floor and a ceiling would differ.
 */
const VARIANTS = `
model Dense {
  input x: [seq, 6]
  a = x -> dense(5) -> dense(4, bias = false) -> dense(3, activation = relu)
  output a
}

model Conv1D {
  input s: [12, 4]
  a = s -> conv1d(6, 3) -> conv1d(6, 3, stride = 2) -> conv1d(4, 2, padding = same, stride = 2)
  b = s -> conv1d(8, 3, padding = causal, dilation = 2, bias = false) -> conv1d(8, 3, groups = 4, padding = same)
  c = s -> conv1d(4, 3, dilation = 2, activation = relu)
  d = s -> conv1d(5, 4, stride = 2, padding = 2) -> conv1d(3, 3, padding = 1, groups = 1)
  output a, b, c, d
}

model Conv1DSeq {
  input s: [seq, 4]
  output s -> conv1d(6, 3, stride = 2) -> conv1d(6, 3, padding = same, stride = 3)
}

model Conv2D {
  input img: [16, 13, 4]
  a = img -> conv2d(6, 3, stride = 2) -> conv2d(6, [3, 1], stride = [2, 1], bias = false)
  b = img -> conv2d(8, 5, padding = same, stride = 2) -> conv2d(8, 3, groups = 8, padding = same)
  c = img -> conv2d(4, 3, dilation = [2, 1], activation = gelu) -> conv2d(4, [2, 3], dilation = 2)
  d = img -> conv2d(6, 5, stride = 2, padding = 2) -> conv2d(6, [3, 4], padding = [1, 2], groups = 2, bias = false)
  output a, b, c, d
}

model Conv2DTranspose {
  input img: [5, 7, 3]
  a = img -> conv2d_transpose(4, 3) -> conv2d_transpose(4, 3, stride = 2)
  b = img -> conv2d_transpose(4, 1, stride = 2) -> conv2d_transpose(2, [3, 2], stride = [2, 1], padding = same, bias = false)
  c = img -> conv2d_transpose(2, 4, stride = 3, activation = relu)
  output a, b, c
}

model Pool2D {
  input img: [15, 13, 3]
  a = img -> maxpool(2) -> maxpool(3, stride = 2) -> maxpool(2, stride = 1, padding = same)
  b = img -> avgpool(2, padding = same) -> avgpool(3, stride = 1, padding = same) -> avgpool([3, 2], stride = [1, 2])
  c = img -> maxpool(3, stride = 2, padding = same) -> avgpool(2, stride = 1)
  d = img -> maxpool(3, stride = 2, padding = 1) -> avgpool(3, stride = 1, padding = 1) -> maxpool([2, 4], stride = [1, 2], padding = [1, 2])
  output a, b, c, d
}

model Pool1D {
  input s: [13, 3]
  a = s -> maxpool(2) -> maxpool(3, stride = 1, padding = same) -> avgpool(2, padding = same)
  b = s -> maxpool(3, stride = 2, padding = 1) -> avgpool(4, stride = 3, padding = 2)
  output a, b, s -> avgpool(3, stride = 2) -> global_avgpool, s -> global_maxpool
}

model Global2D {
  input img: [5, 7, 3]
  output img -> global_avgpool, img -> global_maxpool, img -> upsample(3), img -> upsample
}

model Upsample1D {
  input s: [seq, 3]
  output s -> upsample(3) -> upsample
}

model Norms {
  input img: [6, 5, 8]
  input s: [seq, 6]
  a = img -> batchnorm -> groupnorm(4) -> layernorm -> batchnorm(momentum = 0.9, epsilon = 1e-5)
  b = s -> batchnorm -> layernorm(epsilon = 1e-6) -> groupnorm(3, epsilon = 1e-3)
  output a, b
}

model Augment {
  input img: [16, 14, 3]
  a = img -> random_flip(horizontal) -> random_flip(vertical) -> random_flip(horizontal_and_vertical)
  b = a -> random_rotation(0.1) -> random_translation(0.1, fill_mode = constant) -> random_translation(0.1, 0.2, fill_mode = nearest)
  c = b -> random_translation(0.2, fill_mode = reflect) -> random_zoom(0.2) -> random_zoom(0.1, 0.3, fill_mode = nearest)
  d = c -> random_zoom(0.1, fill_mode = reflect) -> random_zoom(0.1, fill_mode = constant) -> random_crop(11, 9) -> cutout(3) -> cutout(2, 4)
  e = d -> random_brightness(0.2) -> random_brightness(0.1, value_range = [0, 255]) -> random_contrast(0.3)
  output e -> gaussian_noise(0.1) -> dropout(0.3) -> drop_path(0.2) -> layer_scale -> layer_scale(0.5)
}

model Activations {
  input x: [seq, 5]
  a = x -> relu -> relu6 -> leaky_relu -> leaky_relu(0.1) -> elu -> gelu -> sigmoid -> tanh -> silu -> hard_sigmoid -> hard_swish
  output a -> softmax, a -> softmax(axis = 0), a -> dense(4, activation = softmax) -> dense(3, activation = silu), a -> dense(2, activation = hard_swish) -> dense(2, activation = hard_sigmoid)
}

model Reshaping {
  input x: [4, 6, 2]
  input s: [seq, 6]
  y = x -> reshape([6, 8]) -> transpose([1, 0]) -> flatten
  z = x -> transpose([2, 0, 1]) -> reshape([-1, 4])
  m = x -> mean(0) -> max(0)
  n = x -> mean([1, 2])
  r = x -> max([0, 1]) -> concat(x -> take(-1) -> max(1))
  t = x -> take(1, axis = 2) -> concat(x -> take(0, axis = 2), axis = 0)
  q = s -> reshape([-1, 3, 2]) -> take(0, axis = 1) -> mean(0)
  output y, z, r, t, add(t, t), multiply(t, t), concat(m, m, n), q
}

model Tokens {
  input ids: int[seq]
  input t: int[1]
  input u: [seq, 1]
  wte = embedding(40, 12)
  h = ids -> wte -> positional(learned, maxlen = 32) -> cls_token
  g = ids -> wte -> positional(sinusoidal) -> positional(sinusoidal, maxlen = 64)
  output h -> unembed(wte), g -> unembed(wte, bias = true), t -> sinusoidal(8), u -> sinusoidal(6, max_period = 50)
}

model Attention {
  input x: [seq, 12]
  input mem: [mlen, 20]
  a = x -> attention(3) -> attention(4, key_dim = 5) -> attention(2, causal = true, bias = false)
  b = a -> attention(4, context = mem) -> attention(2, key_dim = 7, context = mem, bias = false)
  c = b -> attention(6, position = alibi, causal = true, dropout = 0.1) -> attention(1, position = none, dropout = 0)
  output c
}

model Recurrent {
  input s: [seq, 5]
  a = s -> rnn(4, return_sequences = true) -> lstm(6, return_sequences = true) -> gru(3, return_sequences = true)
  b = s -> lstm(3, bidirectional = true, return_sequences = true) -> gru(2, bidirectional = true, return_sequences = true) -> rnn(4, bidirectional = true)
  output a -> rnn(2), a -> lstm(3, bidirectional = false), a -> gru(4, return_sequences = false), b
}

model OddStrides1D {
  input s: [13, 4]
  output s -> conv1d(4, 3, padding = causal, stride = 2), s -> conv1d(4, 4, padding = same, stride = 3), s -> maxpool(5, stride = 2, padding = same), s -> conv1d(4, 3, padding = causal, dilation = 3)
}
model OddStrides2D {
  input img: [9, 11, 6]
  output img -> conv2d_transpose(3, 3, stride = 2, padding = same), img -> conv2d_transpose(3, [1, 4], stride = [3, 2]), img -> conv2d(6, [4, 2], padding = same, dilation = [2, 3]), img -> conv2d(6, 4, stride = 3, groups = 3, padding = same), img -> avgpool(4, stride = 3, padding = same)
}
model SymbolicReshaping {
  input s: [seq, 6]
  output s -> concat(s, axis = 0), s -> transpose([1, 0]), s -> mean(0), s -> take(2), s -> reshape([-1, 2, 3]) -> transpose([0, 2, 1]) -> flatten, s -> cls_token -> cls_token -> attention(2, key_dim = 1)
}
model Mixed {
  input ids: int[seq]
  input img: [8, 8, 2]
  output ids -> embedding(10, 4) -> gru(3, return_sequences = true) -> conv1d(2, 2), img -> groupnorm(1) -> groupnorm(2) -> batchnorm -> layernorm -> conv2d(2, 1, activation = softmax)
}

block res(c) {
  input x
  output (x + x -> conv2d(c, 3, padding = same, bias = false) -> batchnorm) -> relu
}

block down(c) {
  input x
  output x -> conv2d(c, 3, stride = 2, padding = same) -> relu
}

block tied(n) {
  input x
  l = dense(n)
  output x -> l -> relu -> l
}

block cross(heads) {
  input x
  input m
  output x + x -> attention(heads, context = m)
}

block unit(n, act = relu, norm = layernorm) {
  input x
  output x -> norm -> dense(n) -> norm -> act
}

model LayerWords {
  input v: [6]
  input img: [6, 6, 3]
  a = v -> unit(8, act = gelu) -> unit(5, act = softmax, norm = batchnorm) -> unit(4)
  b = img -> unit(4, act = flatten, norm = batchnorm) -> unit(3, norm = layernorm)
  output a, b
}

model Structure {
  input img: [17, 17, 4]
  input v: [6]
  input q: [seq, 8]
  input m: [mlen, 10]
  d = dense(6)
  i = img -> res(4) * 3 -> down(8) * 2 -> conv2d(8, 3) * 2 -> global_avgpool
  w = v -> d -> relu -> d -> tied(6) * 2 -> tied(6) -> dense(6) * 3
  output i, w, v -> d, q -> cross(2, m = m) * 2
}
`;

// ------------------------------------------------------------------ helpers

/** Every layer node of a graph, group bodies included (each distinct body once). */
function layerNodes(graph: Graph, out: LayerNode[] = []): LayerNode[] {
  for (const n of graph.nodes) {
    if (n.kind === 'layer') out.push(n);
    else if (n.kind === 'group') for (const r of n.runs) layerNodes(r.body, out);
  }
  return out;
}

const tfShape = (dims: readonly { value?: number }[]) => dims.map((d) => d.value ?? null);
const size = (shape: readonly (number | null)[]) => shape.reduce<number>((p, d) => p * (d ?? NaN), 1);

/**
 * Compares every layer the runtime built with its node: output shape,
 * trainable and non-trainable parameters, weight names and shapes.
 * Returns the disagreements (empty when there are none).
 */
function layerDisagreements(info: ModelInfo, label: string): string[] {
  const built = buildModel(tf, info, { initializer: 'zeros' });
  const out: string[] = [];
  try {
    // The model's totals too: a group's repeat count multiplies its body's counts in the analysis only.
    const tfTotal = {
      trainable: built.model.trainableWeights.reduce((s, w) => s + size(w.shape), 0),
      nonTrainable: built.model.nonTrainableWeights.reduce((s, w) => s + size(w.shape), 0),
    };
    const total = { trainable: info.params.trainable.value, nonTrainable: info.params.nonTrainable.value };
    if (JSON.stringify(tfTotal) !== JSON.stringify(total)) {
      out.push(`${label}: tfjs model ${JSON.stringify(tfTotal)}, analysis ${JSON.stringify(total)}`);
    }
    info.outputs.forEach((o, i) => {
      const expected = [null, ...tfShape(o.shape.dims)];
      if (JSON.stringify(built.model.outputs[i]?.shape) !== JSON.stringify(expected)) {
        out.push(`${label}: output ${i}: tfjs ${JSON.stringify(built.model.outputs[i]?.shape)}, analysis ${JSON.stringify(expected)}`);
      }
    });
    const seenLayers = new Set<unknown>();
    for (const path of built.layerPaths) {
      const node = built.nodeOf.get(path)!;
      const layer = built.layerOf.get(path)!;
      const where = `${label}: ${node.label} (line ${node.range.start.line + 1}, path ${path})`;
      const expected = [null, ...tfShape(node.shape.dims)];
      const actual = built.outputOf.get(path)!.shape;
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        out.push(`${where}: tfjs output ${JSON.stringify(actual)}, analysis ${JSON.stringify(expected)}`);
      }
      // A shared layer counts its weights at the node that first applies it; every later use counts 0.
      const first = !seenLayers.has(layer);
      seenLayers.add(layer);
      const tr = node.params.trainable.value;
      const nt = node.params.nonTrainable.value;
      if (tr === undefined || nt === undefined) {
        out.push(`${where}: parameter counts are not concrete (${node.params.trainable.toString()})`);
        continue;
      }
      const tfTr = first ? layer.trainableWeights.reduce((s, w) => s + size(w.shape), 0) : 0;
      const tfNt = first ? layer.nonTrainableWeights.reduce((s, w) => s + size(w.shape), 0) : 0;
      if (tfTr !== tr || tfNt !== nt) {
        out.push(`${where}: tfjs ${tfTr} trainable + ${tfNt} non-trainable, analysis ${tr} + ${nt}${first ? '' : ' (a later use of a shared layer)'}`);
      }
      if (first && node.sharedWith === undefined) {
        // Weight names and shapes, as the hover and `summary --weights` list them.
        const tfWeights = layer.weights.map((w) => `${shortName(w.name)}${JSON.stringify(w.shape)}`).sort();
        const ours = node.weights.map((w) => `${w.name}${JSON.stringify(w.shape.map((d) => d.value ?? null))}`).sort();
        if (JSON.stringify(tfWeights) !== JSON.stringify(ours)) {
          out.push(`${where}: tfjs weights ${tfWeights.join(', ')}; analysis ${ours.join(', ')}`);
        }
      }
    }
  } finally {
    built.model.dispose();
  }
  return out;
}

function analyseVariants() {
  const a = analyze(VARIANTS, { readImport });
  const errors = a.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.range.start.line + 1}: ${d.message}`);
  return { a, errors };
}

// ------------------------------------------------------------------ tests

test('the variant models analyse cleanly and cover the registry: every layer, enum value, bool value, stride/dilation/groups/factor > 1', () => {
  const { a, errors } = analyseVariants();
  assert.deepEqual(errors, []);
  const nodes = a.models.flatMap((m) => layerNodes(m.graph));
  const missing: string[] = [];
  for (const [name, spec] of LAYERS) {
    const uses = nodes.filter((n) => n.op === name);
    if (!uses.length) {
      missing.push(`${name}: no variant`);
      continue;
    }
    for (const arg of spec.args) {
      const values = uses.map((n) => n.args[arg.name]);
      if (arg.type === 'enum') {
        for (const e of arg.enum ?? []) if (!values.includes(e)) missing.push(`${name}(${arg.name} = ${e})`);
      } else if (arg.type === 'bool') {
        for (const b of [true, false]) if (!values.includes(b)) missing.push(`${name}(${arg.name} = ${b})`);
      } else if ((arg.type === 'int' || arg.type === 'ints') && ['stride', 'dilation', 'groups', 'factor'].includes(arg.name)) {
        const above1 = values.some((v) => (Array.isArray(v) ? v.some((x) => x > 1) : typeof v === 'number' && v > 1));
        if (!above1) missing.push(`${name}(${arg.name} > 1)`);
      } else if (arg.name === 'key_dim' || arg.name === 'context' || arg.name === 'activation') {
        if (!values.some((v) => v !== null && v !== undefined && v !== 'none')) missing.push(`${name}(${arg.name} given)`);
      }
    }
  }
  assert.deepEqual(missing, [], 'add variants to VARIANTS for these');
  // Cross-attention whose context is wider than the queries: key and value kernels are [d_ctx, h·k].
  const cross = nodes.filter((n) => n.op === 'attention' && n.args.context);
  assert.ok(cross.some((n) => n.weights.find((w) => w.name === 'key_kernel')?.shape[0].value === 20));
});

test('every layer of every variant model matches its tfjs layer: output shape, parameters, weights', async (t) => {
  const { a, errors } = analyseVariants();
  assert.deepEqual(errors, []);
  for (const m of a.models) {
    await t.test(m.name, () => {
      assert.equal(m.hasErrors, false);
      assert.deepEqual(layerDisagreements(m, m.name), []);
    });
  }
});

test('every layer of every example matches its tfjs layer: output shape, parameters, weights', async (t) => {
  const files = nnmodelFiles(examplesDir);
  assert.ok(files.length >= 9);
  for (const f of files) {
    const uri = join(examplesDir, f);
    const a = analyze(readFileSync(uri, 'utf8'), { uri, readImport });
    const own = a.models.filter((m) => m.uri === undefined || m.uri === uri);
    assert.ok(own.length > 0, `${f} declares no model`);
    for (const m of own) {
      await t.test(`${f}:${m.name}`, () => {
        // runtime.test.ts accepts a model with errors if the build refuses it; an example must have none.
        assert.equal(m.hasErrors, false, `${f}:${m.name} has errors`);
        assert.deepEqual(layerDisagreements(m, `${f}:${m.name}`), []);
      });
    }
  }
});

test('a disagreement hidden from the model totals is reported (the check can fail)', () => {
  // avgpool(3, stride = 1, padding = same) keeps 7×7; claim 5×5 for it: global pooling hides it from the totals.
  const a = analyze(`
model M {
  input img: [7, 7, 2]
  output img -> avgpool(3, stride = 1, padding = same) -> conv2d(4, 3) -> global_avgpool
}`);
  const m = a.models[0];
  const forged: ModelInfo = {
    ...m,
    graph: {
      ...m.graph,
      nodes: m.graph.nodes.map((n) =>
        n.kind === 'layer' && n.op === 'avgpool' ? { ...n, shape: { ...n.shape, dims: [n.shape.dims[0].sub(2), n.shape.dims[1].sub(2), n.shape.dims[2]] } } : n,
      ),
    },
  };
  const problems = layerDisagreements(forged, 'forged');
  assert.equal(problems.length, 1, problems.join('\n'));
  assert.match(problems[0], /avgpool.*tfjs output \[null,7,7,2\], analysis \[null,5,5,2\]/);
});
