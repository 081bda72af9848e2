// The cost of batchnorm's "Training vs inference" panel (webview/probes/trainModes.ts `modesCost`): the MACs
// of the layers a batch runs through to reach the layer, checked against the example's own count and against
// the layers of a tf.model cut at the layer's input; whether the panel runs the batch by itself (within the
// time budget, estimated from the maps' pass, or the MAC budget without it) or waits for a button
// (ResNet-18 at 224 × 224); the text that says it; and the batch's input read by `modesBatchInput`, the one
// function the panel runs, against the activation model's output on the same batch. It runs a layer at a time:
// bit for bit the values of one predict of the model cut at the layer's input (as the panel ran it before), the
// event loop getting turns between layers, its progress counted in the layers the cost line names, and a stop
// (the panel's Stop, a newer model) rejecting with ModesStopped and leaving no tensor behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { analyze } from '../../extension/core/analysis/analyze';
import { buildActivationModel, buildModel, type BuiltModel } from '../../extension/core/runtime/build';
import { inputPlans } from '../../webview/probes/input';
import {
  MODES_BATCH,
  MODES_MACS_BUDGET,
  MODES_TIME_BUDGET_MS,
  ModesStopped,
  modesBatch,
  modesBatchInput,
  modesCost,
  modesCostText,
  modesInputPath,
} from '../../webview/probes/trainModes';
import { useCpuBackend } from '../fixtures/tfjs';

useCpuBackend();

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

test('modesBatchInput: the batch (the picked example first) through the layers before the batchnorm, as the activation model computes it', async () => {
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
  const read = await modesBatchInput(tf, built, path, [picked], plans);
  assert.ok(typeof read !== 'string', String(read));
  assert.equal(read.count, MODES_BATCH);
  assert.deepEqual(read.tensor.shape, [MODES_BATCH, 6, 6, 6]);
  assert.equal(read.data.length, want.length);
  read.data.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1e-5 * Math.max(1, Math.abs(want[i])), `value ${i}: ${v} vs ${want[i]}`));
  assert.equal(read.others, made.others);
  read.tensor.dispose();
  assert.equal(tf.memory().numTensors, before, 'nothing left behind but the tensor it returned');
  // Said, not thrown: a released example, a model of two inputs.
  assert.match(String(await modesBatchInput(tf, built, path, undefined, plans)), /no longer held/);
  assert.match(String(await modesBatchInput(tf, built, path, [picked, picked], [plans[0], plans[0]])), /one input/);
  tf.dispose([picked, made.x, ...outs]);
  built.model.dispose();
});

/** The batch's input to the layer at `path` as the panel computed it before it ran a layer at a time: one predict of the model cut at that input (a copy of the batch for a layer on the input). */
function predictedInput(built: BuiltModel, path: string, batch: tf.Tensor): Float32Array {
  const fed = built.outputOf.get(modesInputPath(built, path)!)!;
  const port = built.model.inputs.indexOf(fed);
  const out = tf.tidy(() => (port >= 0 ? tf.clone(batch) : (tf.model({ inputs: built.model.inputs, outputs: fed }).predict(batch) as tf.Tensor)));
  const data = out.dataSync().slice() as Float32Array;
  out.dispose();
  return data;
}

/** The picked example for a model's one input, and the plans the panel makes its batch from. */
function example(text: string, built: BuiltModel, seed = 3): { picked: tf.Tensor; plans: ReturnType<typeof inputPlans> } {
  const plans = inputPlans(analyze(text).models[0], {});
  const shape = built.model.inputs[0].shape.slice(1) as number[];
  return { picked: tf.randomUniform([1, ...shape], 0, 1, 'float32', seed), plans };
}

test('modesBatchInput, a layer at a time: bit for bit what one predict of the model cut at the layer’s input gives (residual adds, concatenations, a signal, the model’s input), nothing left behind', async () => {
  const resnetText = readFileSync(join(process.cwd(), 'examples/resnet18.nnmodel'), 'utf8').replace('input image: [224, 224, 3]', 'input image: [32, 32, 3]');
  const unetText = readFileSync(join(process.cwd(), 'examples/unet_small.nnmodel'), 'utf8');
  // `runs`: a layer the last batchnorm's batch goes through.
  const cases: { name: string; text: string; pick: (bns: string[]) => string[]; trainKind?: string; runs?: string }[] = [
    { name: 'ResNet-18 at 32 × 32', text: resnetText, pick: (bns) => [bns[0], bns[5], bns[bns.length - 1]], runs: 'Add' },
    // The first batchnorm after a concatenation (up(64, skip = e3)'s).
    { name: 'U-Net (concatenations)', text: unetText, pick: (bns) => [bns[8]], trainKind: 'shapes', runs: 'Concatenate' },
    {
      name: 'a signal',
      text: `model M {
  input signal: [64, 2]
  h = signal -> conv1d(8, 5) -> relu -> dropout(0.3)
  output h -> conv1d(4, 3) -> batchnorm -> relu
}`,
      pick: (bns) => bns,
    },
    {
      name: 'a batchnorm on the input',
      text: `model M {
  input x: [8, 8, 2]
  output x -> batchnorm
}`,
      pick: (bns) => bns,
    },
  ];
  for (const c of cases) {
    const built = buildText(c.text);
    const { picked, plans } = example(c.text, built);
    const paths = c.pick(batchnorms(built));
    if (c.runs) {
      const cut = tf.model({ inputs: built.model.inputs, outputs: built.outputOf.get(modesInputPath(built, paths[paths.length - 1])!)! });
      assert.ok(cut.layers.some((l) => l.getClassName() === c.runs), `${c.name}: through a ${c.runs} layer`);
    }
    for (const path of paths) {
      const made = modesBatch(tf, plans[0], picked, c.trainKind)!;
      const want = predictedInput(built, path, made.x);
      made.x.dispose();
      const before = tf.memory().numTensors;
      const progress: number[] = [];
      const examples: number[][] = [];
      const read = await modesBatchInput(tf, built, path, [picked], plans, c.trainKind, { onProgress: (done, total, part) => (part ? examples.push([done, part.example, part.of]) : progress.push(done, total)) });
      assert.ok(typeof read !== 'string', `${c.name}, ${path}: ${String(read)}`);
      assert.equal(read.data.length, want.length, `${c.name}, ${path}`);
      assert.ok(Buffer.from(read.data.buffer, read.data.byteOffset, read.data.byteLength).equals(Buffer.from(want.buffer)), `${c.name}, ${path}: the same bits as predict`);
      assert.deepEqual(read.tensor.shape[0], MODES_BATCH);
      // Progress in the layers the cost line counts ("through the 63 layers before this one"), one by one.
      const total = modesCost(built, path)!.layers;
      assert.deepEqual(progress, Array.from({ length: total }, (_, i) => [i + 1, total]).flat(), `${c.name}, ${path}`);
      // The convolutions (on the cpu backend) an example at a time: 1 … 8 within each, before the layer is counted done.
      const convs = examples.length / MODES_BATCH;
      assert.ok(total === 0 || convs >= 1, `${c.name}, ${path}: some convolution ran an example at a time`);
      assert.deepEqual(examples.map((e) => e.slice(1)), Array.from({ length: convs }, () => Array.from({ length: MODES_BATCH }, (_, k) => [k + 1, MODES_BATCH])).flat());
      read.tensor.dispose();
      assert.equal(tf.memory().numTensors, before, `${c.name}, ${path}: nothing left behind but the tensor it returned`);
    }
    picked.dispose();
    built.model.dispose();
  }
});

test('modesBatchInput gives the page its turn: a timer set before it runs before it ends, one between any two layers, and between the examples of a convolution', async () => {
  const text = `model M {
  input image: [10, 10, 3]
  h = image -> conv2d(4, 3) -> relu -> conv2d(4, 3) -> relu
  output h -> conv2d(6, 3) -> batchnorm -> relu
}`;
  const built = buildText(text);
  const { picked, plans } = example(text, built);
  const path = batchnorms(built)[0];
  // The default (a task per turn, layers back to back for at most MODES_SLICE_MS): a timer set just before runs before it resolves.
  const log: string[] = [];
  setTimeout(() => log.push('timer'), 0);
  const read = await modesBatchInput(tf, built, path, [picked], plans, undefined, { onProgress: (done, _, part) => void (part ? undefined : log.push(`layer ${done}`)) });
  log.push('done');
  assert.ok(typeof read !== 'string');
  const want = read.data.slice();
  read.tensor.dispose();
  assert.deepEqual(log, ['timer', 'layer 1', 'layer 2', 'layer 3', 'layer 4', 'layer 5', 'done']);
  // With no slice, a turn before every layer and every example of a convolution: a timer that sets itself again ticks between any two.
  let ticks = 0;
  let ticking = true;
  const tick = () => {
    ticks++;
    if (ticking) setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
  const layers: number[] = [];
  const examples: number[] = [];
  const again = await modesBatchInput(tf, built, path, [picked], plans, undefined, { sliceMs: 0, onProgress: (_d, _t, part) => (part ? examples : layers).push(ticks) });
  ticking = false;
  assert.ok(typeof again !== 'string');
  assert.equal(layers.length, 5);
  assert.equal(examples.length, 3 * MODES_BATCH, 'the three convolutions, an example at a time');
  for (const seen of [layers, examples]) for (let i = 1; i < seen.length; i++) assert.ok(seen[i] > seen[i - 1], `a tick between ${i} and ${i + 1}: ${seen.join(', ')}`);
  assert.ok(layers[0] >= 1 && examples[0] >= 1, 'and one before the first');
  assert.deepEqual(again.data, want, 'the same values');
  again.tensor.dispose();
  // The turns are the caller's to give (the panel's: a task): with no slice, one per layer, and one per example after a convolution's first.
  for (const [perExample, want] of [
    [false, 5],
    [true, 5 + 3 * (MODES_BATCH - 1)],
  ] as const) {
    let turns = 0;
    const counted = await modesBatchInput(tf, built, path, [picked], plans, undefined, { sliceMs: 0, perExample, yieldToPage: async () => void turns++ });
    assert.ok(typeof counted !== 'string');
    assert.equal(turns, want, `perExample: ${perExample}`);
    counted.tensor.dispose();
  }
  picked.dispose();
  built.model.dispose();
});

test('modesBatchInput stops when its signal is aborted (Stop, a newer model): before the next layer, ModesStopped, no tensor left; the next run gives the same values', async () => {
  const text = readFileSync(join(process.cwd(), 'examples/resnet18.nnmodel'), 'utf8').replace('input image: [224, 224, 3]', 'input image: [32, 32, 3]');
  const built = buildText(text);
  const { picked, plans } = example(text, built);
  const bns = batchnorms(built);
  const path = bns[bns.length - 1];
  const total = modesCost(built, path)!.layers;
  assert.equal(total, 63, 'the layers before ResNet-18’s last batchnorm');
  const before = tf.memory().numTensors;
  // Stopped after layer 20 of 63 (from the progress callback, as a click between two layers).
  const stop = new AbortController();
  const seen: number[] = [];
  await assert.rejects(
    modesBatchInput(tf, built, path, [picked], plans, undefined, {
      signal: stop.signal,
      onProgress: (done, _, part) => {
        if (part) return;
        seen.push(done);
        if (done === 20) stop.abort();
      },
    }),
    ModesStopped,
  );
  assert.deepEqual(seen, Array.from({ length: 20 }, (_, i) => i + 1), 'no layer after the stop');
  assert.equal(tf.memory().numTensors, before, 'every tensor of the stopped run disposed');
  // Stopped within a convolution (the stem's third example): no example after it.
  const inConv = new AbortController();
  const parts: number[] = [];
  await assert.rejects(
    modesBatchInput(tf, built, path, [picked], plans, undefined, {
      signal: inConv.signal,
      onProgress: (_d, _t, part) => {
        if (!part) return;
        parts.push(part.example);
        if (part.example === 3) inConv.abort();
      },
    }),
    ModesStopped,
  );
  assert.deepEqual(parts, [1, 2, 3]);
  assert.equal(tf.memory().numTensors, before, 'the examples computed so far disposed');
  // Stopped by a timer (the Stop button's click, the shell aborting ctx.signal for a newer model) while it runs.
  const later = new AbortController();
  let done = 0;
  const run = modesBatchInput(tf, built, path, [picked], plans, undefined, { signal: later.signal, sliceMs: 0, onProgress: (d, _, part) => void (part ? undefined : (done = d)) });
  setTimeout(() => later.abort(), 0);
  await assert.rejects(run, ModesStopped);
  assert.ok(done < total, `stopped at layer ${done} of ${total}`);
  assert.equal(tf.memory().numTensors, before);
  // Already aborted: not a layer runs.
  let any = false;
  await assert.rejects(modesBatchInput(tf, built, path, [picked], plans, undefined, { signal: AbortSignal.abort(), onProgress: () => (any = true) }), ModesStopped);
  assert.equal(any, false);
  assert.equal(tf.memory().numTensors, before);
  // The model is untouched: a full run (here with every layer on the whole batch) gives bit for bit what predict gives.
  const made = modesBatch(tf, plans[0], picked)!;
  const want = predictedInput(built, path, made.x);
  made.x.dispose();
  const read = await modesBatchInput(tf, built, path, [picked], plans, undefined, { perExample: false });
  assert.ok(typeof read !== 'string');
  assert.ok(Buffer.from(read.data.buffer, read.data.byteOffset, read.data.byteLength).equals(Buffer.from(want.buffer)));
  read.tensor.dispose();
  assert.equal(tf.memory().numTensors, before);
  picked.dispose();
  built.model.dispose();
});

test('on the wasm backend too, a layer at a time (its default) and with the convolutions an example at a time: bit for bit what predict gives (ResNet-18 at 32 × 32, its last batchnorm; U-Net’s after a concatenation)', async () => {
  const warn = console.warn;
  console.warn = () => undefined;
  await tf.setBackend('wasm');
  console.warn = warn;
  try {
    const resnet = readFileSync(join(process.cwd(), 'examples/resnet18.nnmodel'), 'utf8').replace('input image: [224, 224, 3]', 'input image: [32, 32, 3]');
    const unet = readFileSync(join(process.cwd(), 'examples/unet_small.nnmodel'), 'utf8');
    for (const [text, pick] of [
      [resnet, (bns: string[]) => bns[bns.length - 1]],
      [unet, (bns: string[]) => bns[8]],
    ] as const) {
      const built = buildText(text);
      const { picked, plans } = example(text, built);
      const path = pick(batchnorms(built));
      const made = modesBatch(tf, plans[0], picked)!;
      const want = predictedInput(built, path, made.x);
      made.x.dispose();
      const before = tf.memory().numTensors;
      for (const perExample of [undefined, true]) {
        let parts = 0;
        const read = await modesBatchInput(tf, built, path, [picked], plans, undefined, { perExample, onProgress: (_d, _t, part) => void (part && parts++) });
        assert.ok(typeof read !== 'string');
        assert.equal(parts > 0, perExample === true, 'convolutions an example at a time when asked');
        assert.ok(Buffer.from(read.data.buffer, read.data.byteOffset, read.data.byteLength).equals(Buffer.from(want.buffer)), `${path}, perExample ${perExample}: the same bits as predict`);
        read.tensor.dispose();
        assert.equal(tf.memory().numTensors, before);
      }
      picked.dispose();
      built.model.dispose();
    }
  } finally {
    await tf.setBackend('cpu');
  }
});
