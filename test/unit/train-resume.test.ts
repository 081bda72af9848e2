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
  resumeModel,
  writeCheckpoint,
  type ModelJson,
  type ReadCheckpoint,
} from '../../extension/core/runtime/checkpoint';
import { startTrainingBackend } from '../../extension/core/runtime/kernels';
import { createRng } from '../../extension/core/runtime/data/random';
import { trainModel, type TrainData, type TrainOptions, type RunOptimizers } from '../../extension/core/runtime/train';
import { encodeGanCheckpoints, resumeDiscriminator, trainGan } from '../../extension/core/runtime/gan';
import { parseHostMessage, parseWebviewMessage, serializeModel, type TrainingEvent, type TrainStartMessage } from '../../extension/core/protocol';
import { checkUploadedCheckpoint, dataPayload } from '../../extension/core/runtime/trainTransfer';
import { runTraining, type EncodedCheckpoint } from '../../webview/training/trainCore';
import { nodeCheckpointFs } from '../../extension/cli/trainJob';
import { main } from '../../extension/cli/cli';
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
  return { ...(await readCheckpoint(nodeCheckpointFs(), to)), dir: to };
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
  let saved: Awaited<ReturnType<typeof encodeCheckpoint>> | undefined;
  await trainModel(tf, first.model, net, data, {
    config: classifierConfig(optimizer, n),
    seed: 7,
    onEpoch: async (logs, opts: RunOptimizers) => {
      saved = await encodeCheckpoint(first, { model: 'Net', epoch: logs.epoch, history: [logs] }, { optimizer: opts.model!, config: optimizer });
    },
  });
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
  let saved: Awaited<ReturnType<typeof encodeCheckpoint>> | undefined;
  await trainModel(tf, b.model, net, classes(), {
    config: classifierConfig(adam, 1),
    onEpoch: async (logs, o) => void (saved = await encodeCheckpoint(b, { model: 'Net', epoch: logs.epoch, history: [] }, { optimizer: o.model!, config: adam })),
  });
  const ck = await roundTrip(saved!);
  const file = join(ck.dir, ck.modelJson.nnmodel.optimizer!.file);
  const bytes = readFileSync(file);
  bytes[5] ^= 0xff;
  writeFileSync(file, bytes);
  const damaged = await readCheckpoint(nodeCheckpointFs(), ck.dir);
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
  const malformed = await readCheckpoint(nodeCheckpointFs(), ck.dir);
  assert.match(malformed.optimizerProblem!, /: its description in model\.json is malformed$/);
  const r2 = await resumeModel(tf, fresh, { ...malformed, optimizer: readFileSync(file) }).restoreOptimizer(tf, opt, adam);
  assert.match(r2.message!, /^the optimizer's state is damaged \(its description in model\.json is malformed\); adam/);
  rmSync(file);
  const missing = await readCheckpoint(nodeCheckpointFs(), ck.dir);
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
  const kept = await readCheckpoint(nodeCheckpointFs(), to);
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
  const run = async (cwd: string, ...argv: string[]) => {
    let out = '';
    let err = '';
    const code = await main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t), cwd });
    return { code, out, err };
  };
  const a = join(work, 'a');
  const b = join(work, 'b');
  mkdirSync(a);
  mkdirSync(b);
  writeFileSync(join(a, 'net.nnmodel'), NET8);
  writeFileSync(join(b, 'net.nnmodel'), NET8);
  const one = await run(a, 'train', 'net.nnmodel', '--epochs', '4');
  assert.equal(one.code, 0, one.err);
  const two = await run(b, 'train', 'net.nnmodel');
  assert.equal(two.code, 0, two.err);
  const ckDir = join(b, '.nnmodel/net/Net');
  const ck2 = await readCheckpoint(nodeCheckpointFs(), ckDir);
  assert.ok(ck2.optimizer, 'written with the checkpoint');
  assert.deepEqual(ck2.modelJson.nnmodel.optimizer!.config, { kind: 'adam', lr: 0.01, beta1: 0.9 });
  assert.ok(readdirSync(ckDir).includes(ck2.modelJson.nnmodel.optimizer!.file));
  const more = await run(b, 'train', 'net.nnmodel', '--resume');
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
  const changed = await run(b, 'train', 'net.nnmodel', '--resume', '--epochs', '1');
  assert.equal(changed.code, 0, changed.err);
  assert.match(changed.err, /warning: the optimizer changed since the checkpoint \(adam\(lr = 0\.01, beta1 = 0\.9\), now adam\(lr = 0\.003, beta1 = 0\.9\)\): its saved state is not used; adam\(lr = 0\.003, beta1 = 0\.9\) starts afresh from the weights of epoch 4\./);
  // A checkpoint of before (no optimizer section): resumes, and says the optimizer starts afresh.
  const json = JSON.parse(readFileSync(join(ckDir, 'model.json'), 'utf8')) as ModelJson;
  delete json.nnmodel.optimizer;
  writeFileSync(join(ckDir, 'model.json'), JSON.stringify(json));
  const old = await run(b, 'train', 'net.nnmodel', '--resume', '--epochs', '1');
  assert.equal(old.code, 0, old.err);
  assert.match(old.err, /warning: the checkpoint of epoch 5 has no optimizer state \(written before nnmodel saved it\); adam\(lr = 0\.003, beta1 = 0\.9\) starts afresh/);
  assert.equal((await readCheckpoint(nodeCheckpointFs(), ckDir)).modelJson.nnmodel.epoch, 6);
});
