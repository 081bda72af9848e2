// Resuming continues training exactly: the optimiser's state (Adam's moments
// and step count, momentum, RMSprop's averages) goes into every checkpoint
// and comes back on resume, and every trainer's random draws depend on
// (seed, epoch) only. N epochs, a checkpoint written and read back through
// the real checkpoint code, then M more epochs give the weights of N + M
// epochs in one run: for a classifier (adam, sgd with momentum, rmsprop),
// a GAN (both players) and a denoiser; in the core, through the page's
// training code, and through `nnmodel train --resume`. A changed optimiser,
// a checkpoint written before the state was saved, and a damaged state file
// start the optimiser afresh with a message, never a crash.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { analyze } from '../../extension/core/analysis/analyze';
import type { ModelInfo, TrainConfig } from '../../extension/core/analysis/types';
import { buildModel, type BuiltModel } from '../../extension/core/runtime/build';
import {
  applyCheckpoint,
  encodeCheckpoint,
  optimizerRestorer,
  readCheckpoint,
  restoreOptimizerState,
  resumeModel,
  writeCheckpoint,
  type ModelJson,
  type ReadCheckpoint,
} from '../../extension/core/runtime/checkpoint';
import { startTrainingBackend } from '../../extension/core/runtime/kernels';
import { createRng } from '../../extension/core/runtime/data/random';
import { trainModel, type TrainData, type TrainOptions, type RunOptimizers } from '../../extension/core/runtime/train';
import { encodeGanCheckpoints, resumeDiscriminator, trainGan } from '../../extension/core/runtime/gan';
import { MAX_CHECKPOINT_BYTES, parseHostMessage, parseWebviewMessage, refusedCheckpoint, serializeModel, type TrainingEvent, type TrainStartMessage } from '../../extension/core/protocol';
import { checkUploadedCheckpoint, checkpointForHost, dataPayload } from '../../extension/core/runtime/trainTransfer';
import { runTraining, type EncodedCheckpoint } from '../../webview/training/trainCore';
import { TrainingRun } from '../../webview/training/runner';
import { nodeCheckpointFs } from '../../extension/cli/trainJob';
import { runCli } from '../fixtures/cli';
import { TINY_DENOISER } from '../fixtures/generative';

let dir: string;
before(async () => {
  await startTrainingBackend(tf, 'wasm');
  dir = mkdtempSync(join(tmpdir(), 'nnmodel-resume-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

let folders = 0;
const folder = () => join(dir, `ck${folders++}`);

const NET = `model Net {
  input x: [6]
  output x -> dense(16) -> relu -> dense(3) -> softmax
}
`;

function info(text: string, name?: string): ModelInfo {
  const a = analyze(text);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return name ? a.models.find((m) => m.name === name)! : a.models[0];
}

/** 96 examples of 6 features, 3 classes by the sign of two sums: learnable, so the weights keep moving. */
function classes(): TrainData {
  const rng = createRng(42);
  const count = 96;
  const xs = new Float32Array(count * 6);
  const ys = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < 6; j++) xs[i * 6 + j] = rng.normal();
    const a = xs[i * 6] + xs[i * 6 + 1];
    ys[i] = a > 0.5 ? 0 : a < -0.5 ? 1 : 2;
  }
  return { source: 'test', count, xs, xDtype: 'float32', exampleShape: [6], ys, targetShape: [], classes: ['a', 'b', 'c'] };
}

function classifierConfig(optimizer: TrainConfig['optimizer'], epochs: number): TrainConfig {
  return { loss: 'crossentropy', optimizer, epochs, batch: 16, validation: 0.25, metrics: ['accuracy'] };
}

const flat = (b: BuiltModel) => b.model.getWeights().flatMap((w) => Array.from(w.dataSync()));

/** Largest |a − b| relative to max(|a|, |b|, 1e-3): float noise is ~1e-7, a different run ~1e-2. */
function maxRelDiff(a: number[], b: number[]): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(a[i]), Math.abs(b[i]), 1e-3));
  return worst;
}

const TOL = 1e-6;

/** Writes an encoded checkpoint to a new folder and reads it back: the real files, the real checks. */
async function roundTrip(ck: Awaited<ReturnType<typeof encodeCheckpoint>>): Promise<ReadCheckpoint & { dir: string }> {
  const to = folder();
  await writeCheckpoint(nodeCheckpointFs(), to, ck);
  return { ...(await readCheckpoint(nodeCheckpointFs(), to, { optimizer: true })), dir: to };
}

/** Trains `built` as `config` says and returns the checkpoint of its last epoch, the optimizer's state included. */
async function trainToCheckpoint(built: BuiltModel, net: ModelInfo, data: TrainData, config: TrainConfig, seed?: number) {
  let saved: Awaited<ReturnType<typeof encodeCheckpoint>> | undefined;
  await trainModel(tf, built.model, net, data, {
    config,
    ...(seed === undefined ? {} : { seed }),
    onEpoch: async (logs, o: RunOptimizers) => void (saved = await encodeCheckpoint(built, { model: 'Net', epoch: logs.epoch, history: [logs] }, { optimizer: o.model!, config: config.optimizer })),
  });
  return saved!;
}

/**
 * Trains a classifier N + M epochs in one run, and N epochs, checkpoint,
 * M epochs resumed into a model built with another seed (so every weight
 * must come from the checkpoint). `restore: false` resumes the weights only
 * (what resume did before): the control that shows the comparison can fail.
 */
async function splitRun(optimizer: TrainConfig['optimizer'], n: number, m: number, restore = true, change?: TrainConfig['optimizer']) {
  const net = info(NET);
  const data = classes();
  const whole = buildModel(tf, net, { seed: 1 });
  await trainModel(tf, whole.model, net, data, { config: classifierConfig(optimizer, n + m), seed: 7 });

  const first = buildModel(tf, net, { seed: 1 });
  const saved = await trainToCheckpoint(first, net, data, classifierConfig(optimizer, n), 7);
  const ck = await roundTrip(saved!);
  const second = buildModel(tf, net, { seed: 99 });
  const resumed = resumeModel(tf, second, ck);
  const messages: string[] = [];
  const now = change ?? optimizer;
  const h = await trainModel(tf, second.model, net, data, {
    config: classifierConfig(now, m),
    seed: 7,
    initialEpoch: resumed.epoch,
    prepareOptimizer: restore ? optimizerRestorer(tf, now, { model: resumed }, (msg) => messages.push(msg)) : undefined,
  });
  const out = { whole: flat(whole), resumed: flat(second), messages, epochs: h.epochs.map((e) => e.epoch), ck };
  for (const b of [whole, first, second]) b.model.dispose();
  return out;
}

test('adam: N epochs, checkpoint, M resumed gives the weights of N + M in one run; without the state it does not', async () => {
  const before = tf.memory().numTensors;
  const adam = { kind: 'adam', lr: 0.01 } as const;
  const r = await splitRun(adam, 2, 2);
  assert.deepEqual(r.epochs, [3, 4]);
  assert.deepEqual(r.messages, [], 'the state fits: nothing to say');
  assert.ok(maxRelDiff(r.whole, r.resumed) < TOL, `resumed vs one run: ${maxRelDiff(r.whole, r.resumed)}`);
  // What the checkpoint holds: the config, Adam's step count (6 batches of 16 per epoch × 2) and m, v per weight.
  const meta = r.ck.modelJson.nnmodel.optimizer!;
  assert.deepEqual(meta.config, { kind: 'adam', lr: 0.01, beta1: 0.9 });
  assert.equal(meta.iterations, 2 * Math.ceil(72 / 16));
  const [p0, p1] = r.ck.modelJson.nnmodel.signature.map((l) => l.path);
  assert.deepEqual(
    meta.slots.map((s) => s.name),
    ['m', 'v'].flatMap((k) => [`${p0}/kernel/${k}`, `${p0}/bias/${k}`, `${p1}/kernel/${k}`, `${p1}/bias/${k}`]),
  );
  assert.match(meta.file, /^optimizer-e2-[0-9a-f]{8}\.bin$/);
  assert.deepEqual(readdirSync(r.ck.dir).sort(), [meta.file, 'model.json', r.ck.modelJson.weightsManifest[0].paths[0]].sort());
  const control = await splitRun(adam, 2, 2, false);
  assert.ok(maxRelDiff(control.whole, control.resumed) > 1e-3, `weights only differ: ${maxRelDiff(control.whole, control.resumed)}`);
  assert.equal(tf.memory().numTensors, before, 'models and optimisers freed, restored state included');
});

test('sgd with momentum and rmsprop resume exactly too', async () => {
  for (const o of [{ kind: 'sgd', lr: 0.05, momentum: 0.9 }, { kind: 'rmsprop', lr: 0.005 }] as const) {
    const r = await splitRun(o, 2, 1);
    assert.deepEqual(r.messages, []);
    assert.ok(maxRelDiff(r.whole, r.resumed) < TOL, `${o.kind}: ${maxRelDiff(r.whole, r.resumed)}`);
    const control = await splitRun(o, 2, 1, false);
    assert.ok(maxRelDiff(control.whole, control.resumed) > 1e-4, `${o.kind} weights only: ${maxRelDiff(control.whole, control.resumed)}`);
  }
});

test('a changed optimizer starts afresh with a message, as does a checkpoint written before the state was saved', async () => {
  const adam = { kind: 'adam', lr: 0.01 } as const;
  const changed = await splitRun(adam, 1, 1, true, { kind: 'adam', lr: 0.02 });
  assert.deepEqual(changed.messages, [
    'the optimizer changed since the checkpoint (adam(lr = 0.01, beta1 = 0.9), now adam(lr = 0.02, beta1 = 0.9)): its saved state is not used; adam(lr = 0.02, beta1 = 0.9) starts afresh from the weights of epoch 1.',
  ]);
  const kind = await splitRun(adam, 1, 1, true, { kind: 'sgd', lr: 0.01, momentum: 0.9 });
  assert.match(kind.messages.join('\n'), /now sgd\(lr = 0\.01, momentum = 0\.9\)\): its saved state is not used; sgd\(lr = 0\.01, momentum = 0\.9\) starts afresh/);

  // A checkpoint of before: no `optimizer` section, no state file. It loads (weights, Load Weights' path) and resumes afresh.
  const net = info(NET);
  const b = buildModel(tf, net, { seed: 1 });
  const old = await encodeCheckpoint(b, { model: 'Net', epoch: 3, history: [] });
  assert.equal(old.modelJson.nnmodel.optimizer, undefined);
  assert.equal(old.optimizer, undefined);
  const ck = await roundTrip(old);
  assert.deepEqual(readdirSync(ck.dir).filter((f) => f.startsWith('optimizer-')), []);
  const fresh = buildModel(tf, net, { seed: 5 });
  assert.equal(applyCheckpoint(tf, fresh, ck.modelJson, ck.weights).loaded, 2);
  const resumed = resumeModel(tf, fresh, ck);
  const messages: string[] = [];
  const h = await trainModel(tf, fresh.model, net, classes(), {
    config: classifierConfig(adam, 1),
    initialEpoch: resumed.epoch,
    prepareOptimizer: optimizerRestorer(tf, adam, { model: resumed }, (m) => messages.push(m)),
  });
  assert.equal(h.status, 'completed');
  assert.deepEqual(messages, ['the checkpoint of epoch 3 has no optimizer state (written before nnmodel saved it); adam(lr = 0.01, beta1 = 0.9) starts afresh from the weights of epoch 3.']);
  b.model.dispose();
  fresh.model.dispose();
});

test('a damaged or missing state file: the weights still load, resume starts the optimizer afresh and says why', async () => {
  const net = info(NET);
  const b = buildModel(tf, net, { seed: 1 });
  const adam = { kind: 'adam', lr: 0.01 } as const;
  const saved = await trainToCheckpoint(b, net, classes(), classifierConfig(adam, 1));
  const ck = await roundTrip(saved!);
  const file = join(ck.dir, ck.modelJson.nnmodel.optimizer!.file);
  const bytes = readFileSync(file);
  bytes[5] ^= 0xff;
  writeFileSync(file, bytes);
  const damaged = await readCheckpoint(nodeCheckpointFs(), ck.dir, { optimizer: true });
  assert.equal(damaged.optimizer, undefined);
  assert.match(damaged.optimizerProblem!, /optimizer-e1-[0-9a-f]{8}\.bin: optimizer-e1-[0-9a-f]{8}\.bin does not match its checksum$/);
  const fresh = buildModel(tf, net, { seed: 5 });
  const opt = tf.train.adam(0.01);
  const r = await resumeModel(tf, fresh, damaged).restoreOptimizer(tf, opt, adam);
  assert.equal(r.restored, false);
  assert.match(r.message!, /^the optimizer's state could not be read \(.*does not match its checksum\); adam\(lr = 0\.01, beta1 = 0\.9\) starts afresh from the weights of epoch 1\.$/);
  // A description edited by hand (slots that name nothing): said, not thrown.
  writeFileSync(file, readFileSync(file).map((x, i) => (i === 5 ? x ^ 0xff : x)));
  const jsonPath = join(ck.dir, 'model.json');
  const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as ModelJson;
  json.nnmodel.optimizer!.slots[0] = { name: 42, shape: 'x' } as unknown as { name: string; shape: number[] };
  writeFileSync(jsonPath, JSON.stringify(json));
  const malformed = await readCheckpoint(nodeCheckpointFs(), ck.dir, { optimizer: true });
  assert.match(malformed.optimizerProblem!, /: its description in model\.json is malformed$/);
  const r2 = await resumeModel(tf, fresh, { ...malformed, optimizer: readFileSync(file) }).restoreOptimizer(tf, opt, adam);
  assert.match(r2.message!, /^the optimizer's state is damaged \(its description in model\.json is malformed\); adam/);
  rmSync(file);
  const missing = await readCheckpoint(nodeCheckpointFs(), ck.dir, { optimizer: true });
  assert.match(missing.optimizerProblem!, /: missing$/);
  assert.equal(missing.weights.byteLength, ck.weights.byteLength, 'the weights are untouched');
  opt.dispose();
  b.model.dispose();
  fresh.model.dispose();
});

test('the state file switches with model.json: a new checkpoint removes the old one, a failed write keeps it', async () => {
  const net = info(NET);
  const b = buildModel(tf, net, { seed: 1 });
  const adam = { kind: 'adam', lr: 0.01 } as const;
  const to = folder();
  const cks: Awaited<ReturnType<typeof encodeCheckpoint>>[] = [];
  await trainModel(tf, b.model, net, classes(), {
    config: classifierConfig(adam, 2),
    onEpoch: async (logs, o) => void cks.push(await encodeCheckpoint(b, { model: 'Net', epoch: logs.epoch, history: [] }, { optimizer: o.model!, config: adam })),
  });
  await writeCheckpoint(nodeCheckpointFs(), to, cks[0]);
  // model.json's rename fails: the checkpoint of epoch 1 (with its state) stays whole.
  const failing = { ...nodeCheckpointFs(), rename: async (from: string, target: string) => {
    if (target.endsWith('model.json')) throw new Error('disk full');
    return nodeCheckpointFs().rename(from, target);
  } };
  await assert.rejects(writeCheckpoint(failing, to, cks[1]), /disk full/);
  const kept = await readCheckpoint(nodeCheckpointFs(), to, { optimizer: true });
  assert.equal(kept.modelJson.nnmodel.epoch, 1);
  assert.ok(kept.optimizer, 'the state of epoch 1 is still there and intact');
  await writeCheckpoint(nodeCheckpointFs(), to, cks[1]);
  const files = readdirSync(to).sort();
  assert.deepEqual(files, [cks[1].modelJson.nnmodel.optimizer!.file, 'model.json', cks[1].weightsFile].sort());
  b.model.dispose();
});

// ------------------------------------------------------------------ GAN

const GAN = `model G {
  input z: [4]
  output z -> dense(64) -> tanh -> reshape([8, 8, 1])
}

model D {
  input image: [8, 8, 1]
  output image -> flatten -> dense(16) -> leaky_relu(0.2) -> dense(1) -> sigmoid
}
`;

function ganConfig(epochs: number): TrainConfig {
  return { loss: 'adversarial', adversarial: { discriminator: 'D', samples: 0 }, optimizer: { kind: 'adam', lr: 0.005, beta1: 0.5 }, epochs, batch: 8, validation: 0, metrics: [] };
}

/** 32 images of [8, 8, 1], each its own grey. */
function greys(): TrainData {
  const xs = new Float32Array(32 * 64);
  for (let i = 0; i < 32; i++) xs.fill(i / 32, i * 64, (i + 1) * 64);
  return { source: 'greys', count: 32, xs, xDtype: 'float32', exampleShape: [8, 8, 1], ys: new Int32Array(32), targetShape: [], classes: [] };
}

test('a GAN resumes exactly: both players and both optimizers, through encodeGanCheckpoints and resumeDiscriminator', async () => {
  const before = tf.memory().numTensors;
  const g = info(GAN, 'G');
  const d = info(GAN, 'D');
  const data = greys();
  const pair = (seed: number) => ({ G: buildModel(tf, g, { seed }), D: buildModel(tf, d, { seed: seed + 1000 }) });
  const whole = pair(1);
  await trainGan(tf, { model: whole.G.model, info: g }, { model: whole.D.model, info: d }, data, { config: ganConfig(4), seed: 3 });

  const first = pair(1);
  let cks: Awaited<ReturnType<typeof encodeGanCheckpoints>> | undefined;
  await trainGan(tf, { model: first.G.model, info: g }, { model: first.D.model, info: d }, data, {
    config: ganConfig(2),
    seed: 3,
    onEpoch: async (logs, o) => {
      cks = await encodeGanCheckpoints({ built: first.G, name: 'G' }, { built: first.D, name: 'D' }, { epoch: logs.epoch, history: [logs] }, ganConfig(2), o);
    },
  });
  assert.ok(cks!.generator.optimizer && cks!.discriminator.optimizer, 'both states saved');
  const gCk = await roundTrip(cks!.generator);
  const dCk = await roundTrip(cks!.discriminator);
  const second = pair(50);
  const run = async (restore: boolean) => {
    const p = restore ? second : pair(60);
    const gResumed = resumeModel(tf, p.G, gCk);
    const dr = resumeDiscriminator(tf, p.D, 'D', gResumed.epoch, dCk);
    assert.deepEqual(dr.warnings, []);
    const messages: string[] = [];
    const options: TrainOptions = {
      config: ganConfig(2),
      seed: 3,
      initialEpoch: gResumed.epoch,
      prepareOptimizer: restore ? optimizerRestorer(tf, ganConfig(2).optimizer, { generator: gResumed, discriminator: dr.resumed }, (m) => messages.push(m)) : undefined,
    };
    await trainGan(tf, { model: p.G.model, info: g }, { model: p.D.model, info: d }, data, options);
    assert.deepEqual(messages, []);
    return p;
  };
  await run(true);
  assert.ok(maxRelDiff(flat(whole.G), flat(second.G)) < TOL, `G: ${maxRelDiff(flat(whole.G), flat(second.G))}`);
  assert.ok(maxRelDiff(flat(whole.D), flat(second.D)) < TOL, `D: ${maxRelDiff(flat(whole.D), flat(second.D))}`);
  const control = await run(false);
  assert.ok(maxRelDiff(flat(whole.G), flat(control.G)) > 1e-3, 'weights only: the generator differs');
  for (const p of [whole, first, second, control]) {
    p.G.model.dispose();
    p.D.model.dispose();
  }
  assert.equal(tf.memory().numTensors, before);
});

test('resumeDiscriminator without a checkpoint: the discriminator starts afresh, and the message names its folder', () => {
  const d = info(GAN, 'D');
  const built = buildModel(tf, d, { seed: 1 });
  assert.deepEqual(resumeDiscriminator(tf, built, 'D', 4, undefined, '/w/D').warnings, ['no checkpoint of the discriminator D in /w/D: it starts afresh against the generator of epoch 4.']);
  built.model.dispose();
});

// ------------------------------------------------------------------ the page and the denoiser

/** A train message for `text`'s section, parsed as the page gets it. */
function trainMessage(text: string, epochs: number, extra: Partial<TrainStartMessage> = {}): TrainStartMessage {
  const a = analyze(text);
  const { data: source, ...config } = a.trains[0].config;
  const gen = a.models.find((m) => m.name === a.trains[0].model)!;
  const dName = config.adversarial?.discriminator;
  const raw = {
    type: 'train',
    uri: 'file:///w/x.nnmodel',
    version: 1,
    run: 1,
    model: serializeModel(gen),
    config: { ...config, epochs },
    seed: 1,
    data: dataPayload(source!, undefined),
    ...(dName ? { discriminator: { model: serializeModel(a.models.find((m) => m.name === dName)!) } } : {}),
    ...extra,
  };
  const msg = parseHostMessage(raw) as TrainStartMessage;
  assert.ok(msg, 'a valid train message');
  return msg;
}

async function pageRun(msg: TrainStartMessage) {
  const events: TrainingEvent[] = [];
  const checkpoints: EncodedCheckpoint[] = [];
  const status = await runTraining(tf, msg, {
    emit: (e) => void events.push(e),
    // As the host does: check the upload (what it writes), then hand it on.
    checkpoint: async (ck) => {
      const json = JSON.parse(ck.modelJson) as ModelJson;
      checkUploadedCheckpoint({ model: ck.model ?? json.nnmodel.model, ...ck });
      checkpoints.push(ck);
    },
    yieldNow: async () => undefined,
    token: { cancelled: false },
  });
  assert.equal(status, 'completed', JSON.stringify(events.filter((e) => e.kind === 'done')));
  return { events, checkpoints, warnings: events.filter((e) => e.kind === 'warning').map((e) => (e as { message: string }).message) };
}

/** The float values of a checkpoint's weights file. */
const floats = (ck: EncodedCheckpoint) => Array.from(new Float32Array(ck.weights.buffer.slice(ck.weights.byteOffset, ck.weights.byteOffset + ck.weights.byteLength)));

/** A page `resume` from an uploaded checkpoint: what the host sends after reading it from disk. */
const resumeOf = (ck: EncodedCheckpoint) => ({ modelJson: ck.modelJson, weights: ck.weights, ...(ck.optimizer ? { optimizer: ck.optimizer } : {}) });

test('the page resumes a denoiser exactly, its optimizer state carried in the checkpoint and the resume message', async () => {
  const before = tf.memory().numTensors;
  const text = TINY_DENOISER.replace('samples = 4', 'samples = 0').replace('digits(samples = 64', 'digits(samples = 32');
  const whole = await pageRun(trainMessage(text, 2));
  const first = await pageRun(trainMessage(text, 1));
  const ck1 = first.checkpoints[0];
  assert.ok(ck1.optimizer, 'the state travels with the checkpoint');
  // The resume message keeps the state through the host's validation.
  const resumed = await pageRun(trainMessage(text, 1, { resume: resumeOf(ck1) }));
  assert.deepEqual(resumed.warnings, []);
  assert.equal(resumed.checkpoints[0].epoch, 2);
  assert.ok(maxRelDiff(floats(whole.checkpoints[1]), floats(resumed.checkpoints[0])) < TOL, `${maxRelDiff(floats(whole.checkpoints[1]), floats(resumed.checkpoints[0]))}`);
  const weightsOnly = await pageRun(trainMessage(text, 1, { resume: { modelJson: ck1.modelJson, weights: ck1.weights } }));
  assert.match(weightsOnly.warnings.join('\n'), /the optimizer's state could not be read .*starts afresh from the weights of epoch 1\./);
  assert.ok(maxRelDiff(floats(whole.checkpoints[1]), floats(weightsOnly.checkpoints[0])) > 1e-4, 'without the state it differs');
  assert.equal(tf.memory().numTensors, before);
  // The checkpoint message keeps the state through the host's validation; a state that is not bytes is refused.
  const upload = { type: 'checkpoint', uri: 'file:///w/x.nnmodel', version: 1, run: 1, model: 'TinyDenoiser', ...ck1 };
  assert.deepEqual((parseWebviewMessage(upload) as { optimizer?: Uint8Array }).optimizer, ck1.optimizer);
  assert.equal(parseWebviewMessage({ ...upload, optimizer: [1, 2] }), undefined);
  assert.equal(parseHostMessage({ ...trainMessage(text, 1), resume: { ...resumeOf(ck1), optimizer: 'x' } }), undefined);
  // The host refuses an upload whose state does not match what model.json says.
  const bad = { ...ck1, optimizer: ck1.optimizer!.slice(4) };
  assert.throws(() => checkUploadedCheckpoint({ model: 'TinyDenoiser', ...bad }), /optimizer state of epoch 1 is damaged/);
  assert.throws(() => checkUploadedCheckpoint({ model: 'TinyDenoiser', ...ck1, optimizer: undefined }), /describes an optimizer state but came without it/);
});

test("the page's GAN: both optimizers restored; a discriminator checkpoint older than the generator's is said, as the CLI says it", async () => {
  const text = `${GAN}
train G {
  data: digits(samples = 32, size = 8)
  loss: adversarial(D, samples = 0)
  optimizer: adam(lr = 0.005, beta1 = 0.5)
  batch: 16
}
`;
  const whole = await pageRun(trainMessage(text, 3));
  const first = await pageRun(trainMessage(text, 2));
  const last = (name: string | undefined, run = first) => run.checkpoints.filter((c) => c.model === name).at(-1)!;
  const base = trainMessage(text, 1);
  const resumed = await pageRun({ ...base, resume: resumeOf(last(undefined)), discriminator: { model: base.discriminator!.model, resume: resumeOf(last('D')) } });
  assert.deepEqual(resumed.warnings, []);
  assert.ok(maxRelDiff(floats(last(undefined, whole)), floats(last(undefined, resumed))) < TOL, 'G as in one run');
  assert.ok(maxRelDiff(floats(last('D', whole)), floats(last('D', resumed))) < TOL, 'D as in one run');
  const older = first.checkpoints.find((c) => c.model === 'D' && c.epoch === 1)!;
  const stale = await pageRun({ ...base, resume: resumeOf(last(undefined)), discriminator: { model: base.discriminator!.model, resume: resumeOf(older) } });
  assert.deepEqual(stale.warnings, ["the discriminator's checkpoint is of epoch 1, the generator's of epoch 2; continuing with both."]);
});

// ------------------------------------------------------------------ CLI

test('CLI: `nnmodel train` writes the optimizer state; --resume uses it (2 + 2 epochs = 4 in one run), and a changed optimizer is said', async () => {
  const work = mkdtempSync(join(dir, 'cli-'));
  const section = (lr: string) => `${NET}
train Net {
  data: digits(samples = 64, size = 8)
  optimizer: adam(lr = ${lr})
  epochs: 2
  batch: 16
}
`;
  const NET8 = section('0.01').replace('input x: [6]', 'input x: [8, 8, 1]').replace('output x ->', 'output x -> flatten ->').replace('dense(3)', 'dense(10)');
  const a = join(work, 'a');
  const b = join(work, 'b');
  mkdirSync(a);
  mkdirSync(b);
  writeFileSync(join(a, 'net.nnmodel'), NET8);
  writeFileSync(join(b, 'net.nnmodel'), NET8);
  const one = await runCli(a, 'train', 'net.nnmodel', '--epochs', '4');
  assert.equal(one.code, 0, one.err);
  const two = await runCli(b, 'train', 'net.nnmodel');
  assert.equal(two.code, 0, two.err);
  const ckDir = join(b, '.nnmodel/net/Net');
  const ck2 = await readCheckpoint(nodeCheckpointFs(), ckDir, { optimizer: true });
  assert.ok(ck2.optimizer, 'written with the checkpoint');
  assert.deepEqual(ck2.modelJson.nnmodel.optimizer!.config, { kind: 'adam', lr: 0.01, beta1: 0.9 });
  assert.ok(readdirSync(ckDir).includes(ck2.modelJson.nnmodel.optimizer!.file));
  const more = await runCli(b, 'train', 'net.nnmodel', '--resume');
  assert.equal(more.code, 0, more.err);
  assert.doesNotMatch(more.err, /warning/);
  assert.match(more.out.trim().split('\n')[0], /^epoch 3\/4 /);
  const whole = await readCheckpoint(nodeCheckpointFs(), join(a, '.nnmodel/net/Net'));
  const resumed = await readCheckpoint(nodeCheckpointFs(), ckDir);
  const f = (c: ReadCheckpoint) => Array.from(new Float32Array(c.weights.buffer.slice(c.weights.byteOffset, c.weights.byteOffset + c.weights.byteLength)));
  assert.equal(resumed.modelJson.nnmodel.epoch, 4);
  assert.ok(maxRelDiff(f(whole), f(resumed)) < TOL, `CLI resume vs one run: ${maxRelDiff(f(whole), f(resumed))}`);
  // The train section's optimizer changed: the saved state is not used, and the run says so (no crash).
  writeFileSync(join(b, 'net.nnmodel'), NET8.replace('lr = 0.01', 'lr = 0.003'));
  const changed = await runCli(b, 'train', 'net.nnmodel', '--resume', '--epochs', '1');
  assert.equal(changed.code, 0, changed.err);
  assert.match(changed.err, /warning: the optimizer changed since the checkpoint \(adam\(lr = 0\.01, beta1 = 0\.9\), now adam\(lr = 0\.003, beta1 = 0\.9\)\): its saved state is not used; adam\(lr = 0\.003, beta1 = 0\.9\) starts afresh from the weights of epoch 4\./);
  // A checkpoint of before (no optimizer section): resumes, and says the optimizer starts afresh.
  const json = JSON.parse(readFileSync(join(ckDir, 'model.json'), 'utf8')) as ModelJson;
  delete json.nnmodel.optimizer;
  writeFileSync(join(ckDir, 'model.json'), JSON.stringify(json));
  const old = await runCli(b, 'train', 'net.nnmodel', '--resume', '--epochs', '1');
  assert.equal(old.code, 0, old.err);
  assert.match(old.err, /warning: the checkpoint of epoch 5 has no optimizer state \(written before nnmodel saved it\); adam\(lr = 0\.003, beta1 = 0\.9\) starts afresh/);
  assert.equal((await readCheckpoint(nodeCheckpointFs(), ckDir)).modelJson.nnmodel.epoch, 6);
});

// ------------------------------------------------------------------ an edited model

/** `b(16) * n`: deepening it inserts weights before the ones after it; `width` equal to 16 keeps every shape. */
const DEEP = (n: number, inputs: number, outputs: number) => `block b(d) {
  input x
  output x -> dense(d) -> relu
}
model Net {
  input x: [${inputs}]
  output x -> b(16) * ${n} -> dense(${outputs}) -> softmax
}
`;

function wideClasses(features: number): TrainData {
  const rng = createRng(42);
  const count = 96;
  const xs = new Float32Array(count * features);
  const ys = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < features; j++) xs[i * features + j] = rng.normal();
    const a = xs[i * features] + xs[i * features + 1];
    ys[i] = a > 0.5 ? 0 : a < -0.5 ? 1 : 2;
  }
  return { source: 'test', count, xs, xDtype: 'float32', exampleShape: [features], ys, targetShape: [], classes: ['a', 'b', 'c'] };
}

test('resume into an edited model (`* 2` → `* 3`): the optimizer starts afresh and says so, and the next checkpoint is sound', async () => {
  // [6] → … → dense(3): the saved moments no longer fit the shapes by position (tfjs threw "shape of the new value…");
  // [16] → … → dense(16): every shape fits by position, and the moments landed on the wrong weights silently.
  for (const [inputs, outputs] of [[6, 3], [16, 16]]) {
    for (const optimizer of [{ kind: 'adam', lr: 0.01 }, { kind: 'sgd', lr: 0.05, momentum: 0.9 }, { kind: 'rmsprop', lr: 0.005 }] as const) {
      const what = `[${inputs}] → dense(${outputs}), ${optimizer.kind}`;
      const two = info(DEEP(2, inputs, outputs));
      const three = info(DEEP(3, inputs, outputs));
      const data = wideClasses(inputs);
      const b2 = buildModel(tf, two, { seed: 1 });
      const saved = await trainToCheckpoint(b2, two, data, classifierConfig(optimizer, 1), 7);
      const b3 = buildModel(tf, three, { seed: 1 });
      const resumed = resumeModel(tf, b3, await roundTrip(saved!));
      const messages: string[] = [];
      const uploads: string[] = [];
      const h = await trainModel(tf, b3.model, three, data, {
        config: classifierConfig(optimizer, 2),
        seed: 7,
        initialEpoch: resumed.epoch,
        prepareOptimizer: optimizerRestorer(tf, optimizer, { model: resumed }, (m) => messages.push(m)),
        onEpoch: async (l, o) => {
          const next = await encodeCheckpoint(b3, { model: 'Net', epoch: l.epoch, history: [l] }, { optimizer: o.model!, config: optimizer });
          const names = next.modelJson.nnmodel.optimizer!.slots.map((s) => s.name);
          assert.equal(new Set(names).size, names.length, `${what}: no slot named twice`);
          // What the host does with the page's checkpoint: it must accept it, and a resume from it must restore the state.
          const accepted = checkUploadedCheckpoint({ model: 'Net', epoch: l.epoch, modelJson: JSON.stringify(next.modelJson), weightsFile: next.weightsFile, weights: next.weights, optimizer: next.optimizer });
          const back = await roundTrip(accepted);
          assert.equal(back.optimizerProblem, undefined, what);
          uploads.push(names.join(' '));
        },
      });
      assert.equal(h.status, 'completed', what);
      assert.deepEqual(h.epochs.map((e) => e.epoch), [2, 3], what);
      assert.equal(messages.length, 1, `${what}: ${messages.join(' | ')}`);
      assert.match(messages[0], /^the model changed since the checkpoint: the optimizer starts afresh from the weights of epoch 1 \(.*its saved state does not fit the weights the model trains now: dense\(16\) \(line 3\) kernel is new; dense\(16\) \(line 3\) bias is new\)$/, what);
      assert.equal(uploads.length, 2, what);
      assert.ok(b3.model.getWeights().every((w) => Array.from(w.dataSync()).every(Number.isFinite)), `${what}: finite weights`);
      // The state of the edited model's run restores into the same model (positions line up again): exact continuation, no message.
      const again = buildModel(tf, three, { seed: 5 });
      let last: Awaited<ReturnType<typeof encodeCheckpoint>> | undefined;
      await trainModel(tf, again.model, three, data, {
        config: classifierConfig(optimizer, 1),
        seed: 7,
        onEpoch: async (l, o) => void (last = await encodeCheckpoint(again, { model: 'Net', epoch: l.epoch, history: [l] }, { optimizer: o.model!, config: optimizer })),
      });
      const b3b = buildModel(tf, three, { seed: 9 });
      const r2 = resumeModel(tf, b3b, await roundTrip(last!));
      const quiet: string[] = [];
      await trainModel(tf, b3b.model, three, data, { config: classifierConfig(optimizer, 1), seed: 7, initialEpoch: 1, prepareOptimizer: optimizerRestorer(tf, optimizer, { model: r2 }, (m) => quiet.push(m)) });
      assert.deepEqual(quiet, [], `${what}: same model, state restored`);
      for (const b of [b2, b3, again, b3b]) b.model.dispose();
    }
  }
});

test('CLI: --resume after `* 2` → `* 3` trains on (exit 0, no internal error), says the optimizer starts afresh, and writes a state it reads back', async () => {
  const work = mkdtempSync(join(dir, 'cli-deep-'));
  const src = (n: number) => `block b(d) {
  input x
  output x -> dense(d) -> relu
}
model Net {
  input x: [8, 8, 1]
  output x -> flatten -> b(16) * ${n} -> dense(10) -> softmax
}
train Net {
  data: digits(samples = 64, size = 8)
  optimizer: adam(lr = 0.01)
  epochs: 1
  batch: 16
}
`;
  const run = (...argv: string[]) => runCli(work, ...argv);
  writeFileSync(join(work, 'net.nnmodel'), src(2));
  const first = await run('train', 'net.nnmodel');
  assert.equal(first.code, 0, first.err);
  writeFileSync(join(work, 'net.nnmodel'), src(3));
  const deeper = await run('train', 'net.nnmodel', '--resume');
  assert.equal(deeper.code, 0, deeper.err);
  assert.doesNotMatch(deeper.err, /internal error/);
  assert.match(deeper.err, /warning: the model changed since the checkpoint: the optimizer starts afresh from the weights of epoch 1 /);
  const ck = await readCheckpoint(nodeCheckpointFs(), join(work, '.nnmodel/net/Net'), { optimizer: true });
  assert.equal(ck.modelJson.nnmodel.epoch, 2);
  assert.equal(ck.optimizerProblem, undefined);
  assert.ok(ck.optimizer);
  // And it continues from that state without a word.
  const on = await run('train', 'net.nnmodel', '--resume');
  assert.equal(on.code, 0, on.err);
  assert.doesNotMatch(on.err, /warning/);
});

// ------------------------------------------------------------------ sizes, reads, Adam's powers, malformed sections

/** Bytes that say they are `n` long (the size checks read `byteLength` only): a GiB-sized checkpoint without a GiB of memory. */
function claimedBytes(n: number): Uint8Array {
  const b = new Uint8Array(8);
  Object.defineProperty(b, 'byteLength', { value: n });
  return b;
}

test('the size limit is per file: a 100M-parameter Adam checkpoint reaches the host; one too large is answered, never dropped in silence', async () => {
  const base = { type: 'checkpoint', uri: 'file:///w/x.nnmodel', version: 1, run: 3, model: 'M', epoch: 2, modelJson: '{}', weightsFile: 'weights-e2-0123abcd.bin' };
  const params = 100_000_000;
  // 400 MB of weights and 800 MB of Adam's m and v: each file under 1 GiB, together over it.
  assert.ok(parseWebviewMessage({ ...base, weights: claimedBytes(params * 4), optimizer: claimedBytes(params * 8) }), 'weights + state, each within the limit');
  assert.equal(refusedCheckpoint({ ...base, weights: claimedBytes(params * 4) }), undefined, 'nothing to refuse: not malformed');
  const huge = { ...base, weights: claimedBytes(MAX_CHECKPOINT_BYTES + 1) };
  assert.equal(parseWebviewMessage(huge), undefined);
  // What the host answers instead of only logging (the page waits for a checkpointSaved of run 3, epoch 2).
  assert.deepEqual(refusedCheckpoint(huge), { uri: base.uri, run: 3, epoch: 2, error: 'the weights of epoch 2 are 1024 MiB, more than the 1024 MiB a checkpoint file may have' });
  assert.match(refusedCheckpoint({ ...base, weights: 'not bytes' })!.error, /the checkpoint of epoch 2 arrived malformed/);
  assert.equal(refusedCheckpoint({ type: 'trainEvent', uri: base.uri, run: 3, epoch: 2 }), undefined);
  assert.ok(parseHostMessage({ type: 'checkpointSaved', ...refusedCheckpoint(huge)! }), 'the answer is a valid host message');

  // The page checks before it sends: a state over the limit is left out (weights kept, said), weights over it fail the run.
  // Wide enough that the weights outweigh model.json, so a limit can sit between the weights and Adam's state.
  const net = info(NET.replace('dense(16)', 'dense(256)'));
  const b = buildModel(tf, net, { seed: 1 });
  const adam = { kind: 'adam', lr: 0.01 } as const;
  const saved = await trainToCheckpoint(b, net, classes(), classifierConfig(adam, 1));
  const page = { model: 'Net', epoch: 1, modelJson: JSON.stringify(saved!.modelJson), weightsFile: saved!.weightsFile, weights: saved!.weights, optimizer: saved!.optimizer };
  assert.deepEqual(checkpointForHost(page), { ck: page }, 'within the limit: as it was');
  const limit = saved!.weights.byteLength + 8; // the weights and model.json fit, Adam's state (twice the weights) does not
  assert.ok(page.modelJson.length < limit && saved!.optimizer!.byteLength > limit);
  const fitted = checkpointForHost(page, limit);
  assert.equal(fitted.ck.optimizer, undefined);
  assert.equal((JSON.parse(fitted.ck.modelJson) as ModelJson).nnmodel.optimizer, undefined);
  assert.match(fitted.warning!, /^the optimizer's state of epoch 1 is 0 MiB, more than the 0 MiB a checkpoint file may have: the checkpoint keeps the weights without it, and continuing from it will start the optimizer afresh\.$/);
  const written = await roundTrip(checkUploadedCheckpoint(fitted.ck));
  assert.equal(written.optimizer, undefined);
  assert.equal(written.modelJson.nnmodel.optimizer, undefined, 'a checkpoint without a state: resume says so');
  assert.throws(() => checkpointForHost(page, saved!.weights.byteLength - 4), /^CheckpointError: the weights of epoch 1 are .*; the checkpoint cannot be written from the editor/);
  b.model.dispose();
});

test('reading a checkpoint reads the optimizer state only when asked (resume); loading weights leaves it on disk', async () => {
  const net = info(NET);
  const b = buildModel(tf, net, { seed: 1 });
  const adam = { kind: 'adam', lr: 0.01 } as const;
  const saved = await trainToCheckpoint(b, net, classes(), classifierConfig(adam, 1));
  const to = folder();
  await writeCheckpoint(nodeCheckpointFs(), to, saved!);
  const read: string[] = [];
  const counting = { ...nodeCheckpointFs(), readFile: (path: string) => (read.push(path.slice(path.lastIndexOf('/') + 1)), nodeCheckpointFs().readFile(path)) };
  const plain = await readCheckpoint(counting, to);
  assert.deepEqual(read, ['model.json', saved!.weightsFile], 'no optimizer file read');
  assert.equal(plain.optimizer, undefined);
  assert.equal(plain.optimizerProblem, undefined);
  assert.equal(plain.modelJson.nnmodel.optimizer!.file, saved!.modelJson.nnmodel.optimizer!.file, 'the section is still there');
  read.length = 0;
  const forResume = await readCheckpoint(counting, to, { optimizer: true });
  assert.deepEqual(read, ['model.json', saved!.weightsFile, saved!.modelJson.nnmodel.optimizer!.file]);
  assert.deepEqual(forResume.optimizer, saved!.optimizer);
  b.model.dispose();
});

test("Adam's β1^t that underflowed to 0 (β1 = 0.5, 216 steps) is restored as saved: 3 + 1 epochs equal 4 exactly", async () => {
  const adam = { kind: 'adam', lr: 0.001, beta1: 0.5 } as const;
  const config = (epochs: number): TrainConfig => ({ loss: 'crossentropy', optimizer: adam, epochs, batch: 1, validation: 0.25, metrics: [] });
  const net = info(NET);
  const whole = buildModel(tf, net, { seed: 1 });
  await trainModel(tf, whole.model, net, classes(), { config: config(4), seed: 7 });
  const first = buildModel(tf, net, { seed: 1 });
  const saved = await trainToCheckpoint(first, net, classes(), config(3), 7);
  const meta = saved!.modelJson.nnmodel.optimizer!;
  assert.equal(meta.iterations, 216);
  assert.equal(meta.adamPowers![0], 0, '0.5^217 is 0 in float32');
  const second = buildModel(tf, net, { seed: 99 });
  const resumed = resumeModel(tf, second, await roundTrip(saved!));
  const messages: string[] = [];
  await trainModel(tf, second.model, net, classes(), { config: config(1), seed: 7, initialEpoch: 3, prepareOptimizer: optimizerRestorer(tf, adam, { model: resumed }, (m) => messages.push(m)) });
  assert.deepEqual(messages, []);
  const d = maxRelDiff(flat(whole), flat(second));
  assert.equal(d, 0, `resumed vs one run: ${d}`);
  for (const x of [whole, first, second]) x.model.dispose();
});

test('an optimizer section that is null or a string is malformed: the host refuses it, resume says so', async () => {
  const net = info(NET);
  const b = buildModel(tf, net, { seed: 1 });
  const ck = await encodeCheckpoint(b, { model: 'Net', epoch: 1, history: [] });
  for (const bad of [null, 'adam', [1]]) {
    const json = { ...ck.modelJson, nnmodel: { ...ck.modelJson.nnmodel, optimizer: bad } };
    for (const optimizer of [new Uint8Array(8), undefined]) {
      assert.throws(
        () => checkUploadedCheckpoint({ model: 'Net', epoch: 1, modelJson: JSON.stringify(json), weightsFile: ck.weightsFile, weights: ck.weights, optimizer }),
        /^CheckpointError: the checkpoint of epoch 1 describes its optimizer state malformed \((null|string|object)\); nothing was written\.$/,
        `${JSON.stringify(bad)} with ${optimizer ? 'bytes' : 'none'}`,
      );
    }
    const o = tf.train.adam(0.01);
    const r = await restoreOptimizerState(tf, o, { kind: 'adam', lr: 0.01 }, b, json as unknown as ModelJson, undefined, 'model.json: its optimizer state is malformed');
    assert.deepEqual(r, { restored: false, message: "the optimizer's state is damaged (its description in model.json is malformed); adam(lr = 0.01, beta1 = 0.9) starts afresh from the weights of epoch 1." }, JSON.stringify(bad));
    o.dispose();
  }
  b.model.dispose();
});

test('random_flip, random_crop, random_rotation, random_translation, random_zoom, cutout, random_brightness and random_contrast resume exactly: their streams restart from (seed, epoch) each epoch', async () => {
  const images = (): TrainData => {
    const rng = createRng(42);
    const count = 64;
    const xs = new Float32Array(count * 16);
    const ys = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      for (let j = 0; j < 16; j++) xs[i * 16 + j] = rng.normal();
      ys[i] = xs[i * 16] + xs[i * 16 + 5] > 0 ? 0 : xs[i * 16 + 3] > 0 ? 1 : 2;
    }
    return { source: 'test', count, xs, xDtype: 'float32', exampleShape: [4, 4, 1], ys, targetShape: [], classes: ['a', 'b', 'c'] };
  };
  const adam = { kind: 'adam', lr: 0.01 } as const;
  const config = (epochs: number): TrainConfig => ({ loss: 'crossentropy', optimizer: adam, epochs, batch: 16, validation: 0, metrics: [] });
  for (const aug of ['random_flip', 'random_crop(4, 4)', 'random_rotation(0.1)', 'random_translation(0.2)', 'random_zoom(0.2)', 'cutout(2)', 'random_brightness(0.2)', 'random_contrast(0.3)']) {
    const net = info(`model Net {\n  input x: [4, 4, 1]\n  output x -> ${aug} -> flatten -> dense(3) -> softmax\n}\n`);
    // Every run builds with the same seed, as the editor and the CLI do.
    const whole = buildModel(tf, net, { seed: 1 });
    await trainModel(tf, whole.model, net, images(), { config: config(2), seed: 7 });
    const first = buildModel(tf, net, { seed: 1 });
    const saved = await trainToCheckpoint(first, net, images(), config(1), 7);
    const second = buildModel(tf, net, { seed: 1 });
    const resumed = resumeModel(tf, second, await roundTrip(saved!));
    await trainModel(tf, second.model, net, images(), { config: config(1), seed: 7, initialEpoch: 1, prepareOptimizer: optimizerRestorer(tf, adam, { model: resumed }, () => undefined) });
    const d = maxRelDiff(flat(whole), flat(second));
    assert.ok(d < TOL, `${aug}: 1 + 1 resumed vs 2 in one run: ${d}`);
    for (const x of [whole, first, second]) x.model.dispose();
  }
});

test('the resume bytes are let go once used: the page run keeps none, and a Resumed restores its state once', async () => {
  const text = `model Net {
  input x: [8, 8, 1]
  output x -> flatten -> dense(16) -> relu -> dense(10) -> softmax
}
train Net {
  data: digits(samples = 64, size = 8)
  optimizer: adam(lr = 0.01)
  epochs: 1
  batch: 16
}
`;
  const first = await pageRun(trainMessage(text, 1));
  const ck = first.checkpoints.at(-1)!;
  const msg = trainMessage(text, 1, { resume: resumeOf(ck) });
  assert.ok(msg.resume?.optimizer, 'the message carries the state');
  const events: TrainingEvent[] = [];
  const run = new TrainingRun(msg, {
    tf,
    post: () => undefined,
    onEvent: (_run, _model, e) => void events.push(e),
    waitSaved: async () => ({ dir: '/tmp/x' }),
    onWeights: () => undefined,
    yieldNow: () => new Promise<void>((resolve) => setImmediate(resolve)),
  });
  // What the page keeps for the run's whole length (main.ts reads run.msg): no weights, no state.
  assert.equal(run.msg.resume, undefined);
  assert.equal(run.msg.run, msg.run);
  assert.equal(await run.done, 'completed');
  assert.equal(run.msg.resume, undefined);
  assert.deepEqual(events.filter((e) => e.kind === 'warning'), [], 'the state was restored (no "starts afresh")');
  assert.equal((events.find((e) => e.kind === 'start') as { resumedFrom?: number }).resumedFrom, 1);

  // The core: the state is restored once, then let go; a second restore starts afresh and says why.
  const net = info(text);
  const b = buildModel(tf, net, { seed: 3 });
  const resumed = resumeModel(tf, b, { modelJson: JSON.parse(ck.modelJson) as ModelJson, weights: ck.weights, optimizer: ck.optimizer });
  const adam = { kind: 'adam', lr: 0.01 } as const;
  const o1 = tf.train.adam(0.01);
  const o2 = tf.train.adam(0.01);
  assert.deepEqual(await resumed.restoreOptimizer(tf, o1, adam), { restored: true });
  assert.deepEqual(await resumed.restoreOptimizer(tf, o2, adam), {
    restored: false,
    message: "the optimizer's state of epoch 1 was restored once already; adam(lr = 0.01, beta1 = 0.9) starts afresh.",
  });
  o1.dispose();
  o2.dispose();
  b.model.dispose();
});

// ------------------------------------------------------------------ dropout and gaussian_noise

/** Net with a random layer in the chain: dropout's masks, gaussian_noise's noise drawn in training. */
const RANDOM_NETS = {
  dropout: 'dense(16) -> relu -> dropout(0.5) -> dense(3) -> softmax',
  gaussian_noise: 'gaussian_noise(0.5) -> dense(16) -> relu -> dense(3) -> softmax',
  // attention(dropout = ...) drops attention weights: the [6] input read as 3 tokens of 2 features.
  attention: 'reshape([3, 2]) -> dense(8) -> attention(2, dropout = 0.5) -> flatten -> dense(3) -> softmax',
} as const;
const netWith = (chain: string) => `model Net {\n  input x: [6]\n  output x -> ${chain}\n}\n`;

/** Calls `built`'s layer whose name starts with `prefix` once in training on ones: its stream one draw further on. */
function drawOnce(built: BuiltModel, prefix: string): void {
  const layer = built.model.layers.find((l) => l.name.startsWith(prefix))!;
  const shape = (layer.input as tf.SymbolicTensor).shape.slice(1) as number[];
  tf.tidy(() => void layer.apply(tf.ones([1, ...shape]), { training: true }));
}

/**
 * Net with `layer` trained n + m epochs in one run, and n epochs, checkpoint,
 * m resumed into a model built with another seed. `outOfStep`: the resumed
 * run draws once more before its first batch (the control: one draw out of
 * step must show).
 */
async function splitRandomRun(layer: keyof typeof RANDOM_NETS, n: number, m: number, outOfStep = false) {
  const net = info(netWith(RANDOM_NETS[layer]));
  const data = classes();
  const adam = { kind: 'adam', lr: 0.01 } as const;
  const whole = buildModel(tf, net, { seed: 1 });
  await trainModel(tf, whole.model, net, data, { config: classifierConfig(adam, n + m), seed: 7 });
  const first = buildModel(tf, net, { seed: 1 });
  const saved = await trainToCheckpoint(first, net, data, classifierConfig(adam, n), 7);
  const second = buildModel(tf, net, { seed: 99 });
  const resumed = resumeModel(tf, second, await roundTrip(saved));
  let batches = 0;
  const messages: string[] = [];
  await trainModel(tf, second.model, net, data, {
    config: classifierConfig(adam, m),
    seed: 7,
    initialEpoch: resumed.epoch,
    prepareOptimizer: optimizerRestorer(tf, adam, { model: resumed }, (msg) => messages.push(msg)),
    yieldEvery: async () => {
      if (outOfStep && batches++ === 0) drawOnce(second, layer);
    },
  });
  assert.deepEqual(messages, []);
  const d = maxRelDiff(flat(whole), flat(second));
  for (const b of [whole, first, second]) b.model.dispose();
  return d;
}

test('dropout, gaussian_noise and attention dropout resume exactly: their draws restart from (seed, epoch) each epoch; one draw out of step shows', async () => {
  const before = tf.memory().numTensors;
  for (const layer of ['dropout', 'gaussian_noise', 'attention'] as const) {
    const d = await splitRandomRun(layer, 2, 2);
    assert.ok(d < TOL, `${layer}: 2 + 2 resumed vs 4 in one run: ${d}`);
    const control = await splitRandomRun(layer, 2, 2, true);
    assert.ok(control > 1e-3, `${layer}: a draw out of step differs: ${control}`);
  }
  assert.equal(tf.memory().numTensors, before);
});

test("dropout, gaussian_noise and attention dropout: the same run seed gives the same weights, another seed other masks and noise", async () => {
  // One batch of every example, no validation: the run seed reaches only the order inside the batch
  // (float rounding) and the random layers; the model without them shows the rest is rounding.
  const config: TrainConfig = { loss: 'crossentropy', optimizer: { kind: 'adam', lr: 0.01 }, epochs: 3, batch: 96, validation: 0, metrics: [] };
  const trained = async (chain: string, seed: number) => {
    const net = info(netWith(chain));
    const b = buildModel(tf, net, { seed: 1 });
    await trainModel(tf, b.model, net, classes(), { config, seed });
    const w = flat(b);
    b.model.dispose();
    return w;
  };
  const plain = 'dense(16) -> relu -> dense(3) -> softmax';
  assert.ok(maxRelDiff(await trained(plain, 7), await trained(plain, 8)) < 1e-4, 'without random layers the seed changes only rounding');
  for (const [layer, chain] of Object.entries(RANDOM_NETS)) {
    const a = await trained(chain, 7);
    assert.deepEqual(await trained(chain, 7), a, `${layer}: same seed, same weights`);
    const other = maxRelDiff(a, await trained(chain, 8));
    assert.ok(other > 1e-3, `${layer}: another seed, other draws: ${other}`);
  }
});

test('a GAN with dropout and gaussian_noise in both players resumes exactly', async () => {
  const text = GAN.replace('-> tanh ->', '-> tanh -> dropout(0.3) ->').replace('-> leaky_relu(0.2) ->', '-> leaky_relu(0.2) -> gaussian_noise(0.3) -> dropout(0.3) ->');
  const g = info(text, 'G');
  const d = info(text, 'D');
  const data = greys();
  const pair = (seed: number) => ({ G: buildModel(tf, g, { seed }), D: buildModel(tf, d, { seed: seed + 1000 }) });
  const whole = pair(1);
  await trainGan(tf, { model: whole.G.model, info: g }, { model: whole.D.model, info: d }, data, { config: ganConfig(2), seed: 3 });
  const first = pair(1);
  let cks: Awaited<ReturnType<typeof encodeGanCheckpoints>> | undefined;
  await trainGan(tf, { model: first.G.model, info: g }, { model: first.D.model, info: d }, data, {
    config: ganConfig(1),
    seed: 3,
    onEpoch: async (logs, o) => void (cks = await encodeGanCheckpoints({ built: first.G, name: 'G' }, { built: first.D, name: 'D' }, { epoch: logs.epoch, history: [logs] }, ganConfig(1), o)),
  });
  const second = pair(50);
  const gResumed = resumeModel(tf, second.G, await roundTrip(cks!.generator));
  const dr = resumeDiscriminator(tf, second.D, 'D', gResumed.epoch, await roundTrip(cks!.discriminator));
  const messages: string[] = [];
  await trainGan(tf, { model: second.G.model, info: g }, { model: second.D.model, info: d }, data, {
    config: ganConfig(1),
    seed: 3,
    initialEpoch: gResumed.epoch,
    prepareOptimizer: optimizerRestorer(tf, ganConfig(1).optimizer, { generator: gResumed, discriminator: dr.resumed }, (m) => messages.push(m)),
  });
  assert.deepEqual(messages, []);
  assert.ok(maxRelDiff(flat(whole.G), flat(second.G)) < TOL, `G: ${maxRelDiff(flat(whole.G), flat(second.G))}`);
  assert.ok(maxRelDiff(flat(whole.D), flat(second.D)) < TOL, `D: ${maxRelDiff(flat(whole.D), flat(second.D))}`);
  for (const p of [whole, first, second]) {
    p.G.model.dispose();
    p.D.model.dispose();
  }
});

test('the page resumes a denoiser with dropout exactly', async () => {
  const text = TINY_DENOISER.replace('samples = 4', 'samples = 0')
    .replace('digits(samples = 64', 'digits(samples = 32')
    .replace('h = noisy -> conv2d(16, 3, padding = same) -> relu', 'h = noisy -> conv2d(16, 3, padding = same) -> relu -> dropout(0.2)');
  assert.match(text, /dropout\(0\.2\)/);
  const whole = await pageRun(trainMessage(text, 2));
  const first = await pageRun(trainMessage(text, 1));
  const resumed = await pageRun(trainMessage(text, 1, { resume: resumeOf(first.checkpoints[0]) }));
  assert.deepEqual(resumed.warnings, []);
  const d = maxRelDiff(floats(whole.checkpoints[1]), floats(resumed.checkpoints[0]));
  assert.ok(d < TOL, `resumed vs one run: ${d}`);
});
