// The cost of batchnorm's "Training vs inference" panel (webview/probes/trainModes.ts `modesCost`): the MACs
// of the layers a batch runs through to reach the layer, checked against the example's own count and against
// the layers of a tf.model cut at the layer's input; whether the panel runs the batch by itself (within the
// time budget, estimated from the maps' pass, or the MAC budget without it) or waits for a button
// (ResNet-18 at 224 × 224); the text that says it; and the batch's input read by `modesBatchInput`, the one
// function the panel runs, against the activation model's output on the same batch.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import { buildActivationModel, buildModel, type BuiltModel } from '../../extension/core/runtime/build';
import { inputPlans } from '../../webview/probes/input';
import {
  MODES_BATCH,
  MODES_MACS_BUDGET,
  MODES_TIME_BUDGET_MS,
  modesBatch,
  modesBatchInput,
  modesCost,
  modesCostText,
  modesInputPath,
} from '../../webview/probes/trainModes';

before(async () => {
  const warn = console.warn;
  console.warn = () => undefined;
  await tf.setBackend('cpu');
  console.warn = warn;
});

function buildText(text: string, initializer: 'random' | 'zeros' = 'random'): BuiltModel {
  const a = analyze(text);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`), []);
  return buildModel(tf, a.models[0], { seed: 1, initializer });
}

const batchnorms = (built: BuiltModel) => built.layerPaths.filter((p) => built.nodeOf.get(p)?.op === 'batchnorm');

/** MACs per example of the layers of a tf.model cut at the layer's input (no shared layers in these models). */
function macsOfCut(built: BuiltModel, path: string): { macs: number; layers: number } {
  const fed = built.outputOf.get(modesInputPath(built, path)!)!;
  const cut = tf.model({ inputs: built.model.inputs, outputs: fed });
  const inCut = new Set(cut.layers);
  let macs = 0;
  let layers = 0;
  for (const p of built.layerPaths) {
    if (!inCut.has(built.layerOf.get(p)!)) continue;
    macs += built.nodeOf.get(p)!.macs.evaluate({})!;
    layers++;
  }
  return { macs, layers };
}

test('ResNet-18 at 224 × 224: the batch to its first batchnorm is the stem convolution, to its last nearly the whole model; neither runs unasked', () => {
  const built = buildText(readFileSync(join(process.cwd(), 'examples/resnet18.nnmodel'), 'utf8'), 'zeros');
  const bns = batchnorms(built);
  assert.equal(bns.length, 20);
  const first = modesCost(built, bns[0])!;
  // conv2d(64, 7, stride = 2) on [224, 224, 3]: 112 · 112 · 64 outputs of 7 · 7 · 3 MACs each.
  assert.equal(first.perExample, 112 * 112 * 64 * 7 * 7 * 3);
  assert.equal(first.layers, 1);
  assert.equal(first.batch, MODES_BATCH);
  assert.equal(first.total, MODES_BATCH * first.perExample);
  // The example's header: 1 814 073 344 MACs for one 224×224 image.
  assert.equal(first.model, 1_814_073_344);
  const last = modesCost(built, bns[bns.length - 1])!;
  const cut = macsOfCut(built, bns[bns.length - 1]);
  assert.equal(last.perExample, cut.macs);
  assert.equal(last.layers, cut.layers);
  // All of it but the last batchnorm, the add and relu after it, global_avgpool, dense(1000) and softmax.
  assert.ok(last.perExample > 0.99 * last.model - 512 * 1000 && last.perExample < last.model, `${last.perExample} of ${last.model}`);
  assert.ok(Math.abs(last.passes - MODES_BATCH * (last.perExample / last.model)) < 1e-9);
  for (const bn of bns) {
    const c = modesCost(built, bn)!;
    assert.equal(c.perExample, macsOfCut(built, bn).macs, bn);
    // Without the maps' time, the MAC budget: even the first (944 M) is above it.
    assert.equal(c.automatic, false, `${bn}: ${c.total} MACs`);
    assert.equal(c.estimatedMs, undefined);
  }
  // With the maps' pass at 300 ms (WASM): the last batchnorm's batch is 8 such passes less a little, above the second's budget.
  const timed = modesCost(built, bns[bns.length - 1], { passMs: 300 })!;
  assert.ok(Math.abs(timed.estimatedMs! - 300 * timed.passes) < 1e-6);
  assert.ok(timed.estimatedMs! > MODES_TIME_BUDGET_MS && timed.automatic === false);
  // The first: about half a pass, 150 ms: runs when the panel opens.
  const quick = modesCost(built, bns[0], { passMs: 300 })!;
  assert.ok(quick.estimatedMs! < MODES_TIME_BUDGET_MS && quick.automatic === true, `${quick.estimatedMs} ms`);
  // On the CPU backend (a pass of about 10 s) both wait.
  assert.equal(modesCost(built, bns[0], { passMs: 10_000 })!.automatic, false);
  // The budgets are the caller's to set.
  assert.equal(modesCost(built, bns[0], { budgetMacs: first.total })!.automatic, true);
  assert.equal(modesCost(built, bns[0], { budgetMacs: first.total - 1 })!.automatic, false);
  assert.equal(modesCost(built, bns[0], { batch: 2 })!.total, 2 * first.perExample);
  assert.match(
    modesCostText(timed),
    /^8 examples through the \d+ layers before this one: ≈ 1[34]\.\dG MACs, 8× the pass that drew the maps, about 2\.\d s$/,
    modesCostText(timed),
  );
  assert.equal(modesCostText(first), '8 examples through the layer before this one: ≈ 944.1M MACs, 0.52× the pass that drew the maps');
  built.model.dispose();
});

test('small models run the batch as soon as the panel opens: a batchnorm after one small convolution, and the first of VGG-small', () => {
  const small = buildText(`model M {
  input image: [6, 6, 3]
  output image -> conv2d(5, 3) -> batchnorm -> relu
}`);
  const c = modesCost(small, batchnorms(small)[0])!;
  assert.equal(c.perExample, 4 * 4 * 5 * 3 * 3 * 3);
  assert.ok(c.automatic && c.total <= MODES_MACS_BUDGET);
  assert.equal(modesCost(small, batchnorms(small)[0], { passMs: 5 })!.automatic, true);
  small.model.dispose();
  const vgg = buildText(readFileSync(join(process.cwd(), 'examples/vgg_small.nnmodel'), 'utf8'), 'zeros');
  const bns = batchnorms(vgg);
  assert.equal(modesCost(vgg, bns[0])!.automatic, true, 'the first batchnorm of VGG-small (7 M MACs for the batch)');
  vgg.model.dispose();
  // A batchnorm on the model's input runs nothing before it.
  const direct = buildText(`model M {
  input x: [8, 8, 2]
  output x -> batchnorm
}`);
  const d = modesCost(direct, batchnorms(direct)[0])!;
  assert.deepEqual([d.perExample, d.layers, d.total, d.automatic], [0, 0, 0, true]);
  direct.model.dispose();
});

test('modesBatchInput: the batch (the picked example first) through the layers before the batchnorm, as the activation model computes it', () => {
  const text = `model M {
  input image: [10, 10, 3]
  h = image -> conv2d(4, 3) -> relu
  output h -> conv2d(6, 3) -> batchnorm -> relu
}`;
  const built = buildText(text);
  const info = analyze(text).models[0];
  const plans = inputPlans(info, {});
  const path = batchnorms(built)[0];
  const picked = tf.randomUniform([1, 10, 10, 3], 0, 1, 'float32', 3);
  // The same batch through the activation model: the batchnorm's input is the second convolution's output.
  const made = modesBatch(tf, plans[0], picked)!;
  const acts = buildActivationModel(tf, built);
  const outs = acts.model.predict(made.x) as tf.Tensor[];
  const want = outs[acts.paths.indexOf(modesInputPath(built, path)!)].dataSync();
  const before = tf.memory().numTensors;
  const read = modesBatchInput(tf, built, path, [picked], plans);
  assert.ok(typeof read !== 'string', String(read));
  assert.equal(read.count, MODES_BATCH);
  assert.deepEqual(read.tensor.shape, [MODES_BATCH, 6, 6, 6]);
  assert.equal(read.data.length, want.length);
  read.data.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1e-5 * Math.max(1, Math.abs(want[i])), `value ${i}: ${v} vs ${want[i]}`));
  assert.equal(read.others, made.others);
  read.tensor.dispose();
  assert.equal(tf.memory().numTensors, before, 'nothing left behind but the tensor it returned');
  // Said, not thrown: a released example, a model of two inputs.
  assert.match(String(modesBatchInput(tf, built, path, undefined, plans)), /no longer held/);
  assert.match(String(modesBatchInput(tf, built, path, [picked, picked], [plans[0], plans[0]])), /one input/);
  tf.dispose([picked, made.x, ...outs]);
  built.model.dispose();
});
