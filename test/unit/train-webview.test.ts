// Training in the inspector webview: the messages between host and page
// (validation both ways), the data payload (typed-array bytes, built-in sets
// generated from their spec), the host's check of an uploaded checkpoint,
// the host's progress text, and the page's TrainingRun itself training a
// model in Node on the wasm backend with fake host plumbing.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { analyze } from '../../extension/core/analysis/analyze';
import {
  parseHostMessage,
  parseWebviewMessage,
  serializeModel,
  type CheckpointMessage,
  type TrainEventMessage,
  type TrainingEvent,
  type TrainStartMessage,
  type WebviewToHost,
  type WeightsMessage,
} from '../../extension/core/protocol';
import { CHECKPOINT_VERSION, CheckpointError, fnv1a, readCheckpoint, writeCheckpoint, type ModelJson } from '../../extension/core/runtime/checkpoint';
import { loadDataset, type Dataset } from '../../extension/core/runtime/data/files';
import { nodeCheckpointFs, nodeDataFs } from '../../extension/core/runtime/nodeFs';
import { checkUploadedCheckpoint, dataPayload, datasetFromPayload } from '../../extension/core/runtime/trainTransfer';
import { dataSplit } from '../../extension/core/runtime/train';
import { TrainingProgress } from '../../extension/vscode/inspector/trainingProgress';
import { TrainingRun } from '../../webview/training/runner';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

before(async () => {
  const warn = console.warn;
  console.warn = () => undefined;
  await tf.setBackend('wasm');
  await tf.ready();
  console.warn = warn;
});

const CONFIG = { loss: 'crossentropy', optimizer: { kind: 'adam', lr: 0.01 }, epochs: 2, batch: 32, validation: 0.2, metrics: ['accuracy'] } as const;

function csvDataset(): Dataset {
  return {
    source: 'data/fruit.csv',
    count: 3,
    xs: Float32Array.from([0.5, -1, 2, 3.25, 4, 5]),
    xDtype: 'float32',
    exampleShape: [2],
    ys: Int32Array.from([0, 1, 0]),
    yDtype: 'int32',
    targetShape: [],
    classes: ['apple', 'pear'],
    featureStats: { names: ['a', 'b'], mean: [1, 2], std: [1, 1] },
  };
}

test('a train message with decoded arrays passes validation and gives the same data set back', () => {
  const ds = csvDataset();
  const msg = { type: 'train', uri: 'file:///w/a.nnmodel', version: 4, run: 2, model: { name: 'M', graph: { nodes: [] } }, config: CONFIG, seed: 1, data: dataPayload({ kind: 'csv', path: 'data/fruit.csv', options: {} }, ds) };
  const parsed = parseHostMessage(msg) as TrainStartMessage;
  assert.ok(parsed, 'valid');
  assert.equal(parsed.type, 'train');
  const back = datasetFromPayload(parsed.data);
  assert.deepEqual(Array.from(back.xs), Array.from(ds.xs));
  assert.ok(back.ys instanceof Int32Array);
  assert.deepEqual(Array.from(back.ys), [0, 1, 0]);
  assert.deepEqual(back.featureStats, ds.featureStats);
  // Bytes that do not fit count × shape, a bad config or a bad seed are refused.
  const data = parsed.data as Extract<TrainStartMessage['data'], { kind: 'arrays' }>;
  assert.equal(parseHostMessage({ ...msg, data: { ...data, count: 4 } }), undefined);
  assert.equal(parseHostMessage({ ...msg, data: { ...data, xs: new Uint8Array(3) } }), undefined);
  assert.equal(parseHostMessage({ ...msg, data: { ...data, xDtype: 'float64' } }), undefined);
  assert.equal(parseHostMessage({ ...msg, config: { ...CONFIG, loss: 'hinge' } }), undefined);
  assert.equal(parseHostMessage({ ...msg, config: { ...CONFIG, batch: 0 } }), undefined);
  assert.equal(parseHostMessage({ ...msg, config: { ...CONFIG, validation: 1 } }), undefined);
  assert.equal(parseHostMessage({ ...msg, version: -1 }), undefined);
  assert.equal(parseHostMessage({ ...msg, resume: { modelJson: '{}', weights: [1] } }), undefined);
  assert.ok(parseHostMessage({ ...msg, resume: { modelJson: '{}', weights: new Uint8Array(8) } }));
});

test("text windows reach the page, so the editor's runs hold out the end of the text as the CLI's do", () => {
  const ds = { ...csvDataset(), windows: { overlap: 2 } };
  const msg = { type: 'train', uri: 'file:///w/a.nnmodel', version: 4, run: 2, model: { name: 'M', graph: { nodes: [] } }, config: CONFIG, seed: 1, data: dataPayload({ kind: 'text', path: 't.txt', options: {} }, ds) };
  const parsed = parseHostMessage(msg) as TrainStartMessage;
  const back = datasetFromPayload(parsed.data);
  assert.deepEqual(back.windows, { overlap: 2 });
  assert.deepEqual(dataSplit(back, 0.34, 1), dataSplit(ds, 0.34, 1));
  assert.deepEqual([...dataSplit(back, 0.34, 1).validation], [2], 'the last window, not a random one');
  const data = parsed.data as Extract<TrainStartMessage['data'], { kind: 'arrays' }>;
  assert.equal(parseHostMessage({ ...msg, data: { ...data, windows: { overlap: 0 } } }), undefined);
  assert.equal(parseHostMessage({ ...msg, data: { ...data, windows: 3 } }), undefined);
});

test('unaligned bytes are copied, not misread', () => {
  const ds = csvDataset();
  const p = dataPayload({ kind: 'csv', path: 'x.csv', options: {} }, ds) as Extract<TrainStartMessage['data'], { kind: 'arrays' }>;
  const shifted = new Uint8Array(p.xs.byteLength + 1);
  shifted.set(p.xs, 1);
  const back = datasetFromPayload({ ...p, xs: shifted.subarray(1) });
  assert.deepEqual(Array.from(back.xs), Array.from(ds.xs));
});

test('built-in sets travel as their spec and the page generates what the host would load', async () => {
  const source = { kind: 'digits' as const, options: { samples: 50, size: 12, seed: 3 } };
  const p = dataPayload(source, undefined);
  assert.deepEqual(p, { kind: 'builtin', source });
  const parsed = parseHostMessage({ type: 'train', uri: 'u', version: 0, run: 1, model: { name: 'M', graph: { nodes: [] } }, config: CONFIG, seed: 1, data: p }) as TrainStartMessage;
  const inPage = datasetFromPayload(parsed.data);
  const onHost = await loadDataset(source, { baseDir: '/', roots: [], fs: nodeDataFs() });
  assert.equal(inPage.count, 50);
  assert.deepEqual(Array.from(inPage.xs.slice(0, 300)), Array.from(onHost.xs.slice(0, 300)));
  assert.deepEqual(Array.from(inPage.ys), Array.from(onHost.ys));
  assert.equal(parseHostMessage({ ...parsed, data: { kind: 'builtin', source: { kind: 'images', options: {} } } }), undefined, 'files never travel as a spec');
  assert.throws(() => dataPayload({ kind: 'text', path: 'a.txt', options: {} }, undefined), /loaded by the host/);
});

test('stop, checkpoint answers, events and checkpoints are validated', () => {
  assert.deepEqual(parseHostMessage({ type: 'stopTraining', uri: 'u', run: 3 }), { type: 'stopTraining', uri: 'u', run: 3 });
  assert.equal(parseHostMessage({ type: 'stopTraining', uri: 'u', run: -1 }), undefined);
  assert.deepEqual(parseHostMessage({ type: 'checkpointSaved', uri: 'u', run: 3, epoch: 1, dir: '/w/.nnmodel' }), { type: 'checkpointSaved', uri: 'u', run: 3, epoch: 1, dir: '/w/.nnmodel' });
  assert.equal(parseHostMessage({ type: 'checkpointSaved', uri: 'u', run: 3, epoch: 1, error: 4 }), undefined);
  const warn = { type: 'trainEvent', uri: 'u', version: 1, run: 3, model: 'M', event: { kind: 'warning', message: 'dense(10) (line 3) no longer fits' } };
  assert.deepEqual(parseWebviewMessage(warn), warn);
  const start = { ...warn, event: { kind: 'start', epochs: 3, examples: 10, backend: 'wasm', source: 'digits', resumedFrom: 1 } };
  assert.deepEqual(parseWebviewMessage(start), start);
  const ck = { type: 'checkpoint', uri: 'u', version: 1, run: 3, model: 'M', epoch: 2, modelJson: '{}', weightsFile: 'weights-e2-0a1b2c3d.bin', weights: new Uint8Array(8) };
  assert.deepEqual(parseWebviewMessage(ck), ck);
  for (const bad of ['../model.json', 'weights-e2-0a1b2c3d.bin/../../x', 'model.json', 'weights-e2-XYZ.bin']) {
    assert.equal(parseWebviewMessage({ ...ck, weightsFile: bad }), undefined, bad);
  }
  assert.equal(parseWebviewMessage({ ...ck, epoch: 0 }), undefined);
  assert.equal(parseWebviewMessage({ ...ck, weights: 'AAAA' }), undefined);
});

function handMadeCheckpoint(epoch: number, values: number[]): { modelJson: string; weightsFile: string; weights: Uint8Array } {
  const weights = new Uint8Array(Float32Array.from(values).buffer);
  const checksum = fnv1a(weights);
  const weightsFile = `weights-e${epoch}-${checksum}.bin`;
  const json: ModelJson = {
    format: 'layers-model',
    generatedBy: 'nnmodel',
    convertedBy: null,
    modelTopology: null,
    weightsManifest: [{ paths: [weightsFile], weights: [{ name: '1/kernel', shape: [values.length], dtype: 'float32' }] }],
    nnmodel: { version: CHECKPOINT_VERSION, model: 'M', epoch, signature: [{ path: '1', op: 'dense', label: 'dense(2)', line: 2, weights: [{ name: 'kernel', shape: [values.length] }] }], history: [], checksum, savedAt: '' },
  };
  return { modelJson: JSON.stringify(json), weightsFile, weights };
}

test('the host checks an uploaded checkpoint before writing it', async () => {
  const good = handMadeCheckpoint(2, [1, 2, 3, 4]);
  const ck = checkUploadedCheckpoint({ model: 'M', epoch: 2, ...good });
  const dir = mkdtempSync(join(tmpdir(), 'nn-upload-'));
  try {
    await writeCheckpoint(nodeCheckpointFs(), dir, ck);
    const back = await readCheckpoint(nodeCheckpointFs(), dir);
    assert.equal(back.modelJson.nnmodel.epoch, 2);
    assert.deepEqual(Array.from(new Float32Array(back.weights.buffer, back.weights.byteOffset, 4)), [1, 2, 3, 4]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const flipped = good.weights.slice();
  flipped[0] ^= 1;
  assert.throws(() => checkUploadedCheckpoint({ model: 'M', epoch: 2, ...good, weights: flipped }), (e: Error) => e instanceof CheckpointError && /checksum/.test(e.message));
  assert.throws(() => checkUploadedCheckpoint({ model: 'M', epoch: 3, ...good }), /epoch 2, but was sent as M, epoch 3/);
  assert.throws(() => checkUploadedCheckpoint({ model: 'N', epoch: 2, ...good }), /says M/);
  assert.throws(() => checkUploadedCheckpoint({ model: 'M', epoch: 2, ...good, weightsFile: 'weights-e2-00000000.bin' }), /does not name/);
  assert.throws(() => checkUploadedCheckpoint({ model: 'M', epoch: 2, ...good, modelJson: '{' }), /not valid JSON/);
  const short = handMadeCheckpoint(2, [1, 2, 3, 4]);
  const json = JSON.parse(short.modelJson) as ModelJson;
  json.weightsManifest[0].weights[0].shape = [5];
  assert.throws(() => checkUploadedCheckpoint({ model: 'M', epoch: 2, ...short, modelJson: JSON.stringify(json) }), /damaged/);
});

test('the host turns page events into progress, a line per epoch and a closing message', () => {
  const p = new TrainingProgress('LeNet5', 64, '.nnmodel/lenet5/LeNet5');
  const s = p.apply({ kind: 'start', epochs: 3, examples: 4800, validation: 1200, backend: 'wasm', source: 'digits' });
  assert.match(s.lines[0], /digits \(4800 training examples, 1200 for validation\), epochs 1–3, batch 64, backend wasm \(the inspector's\)/);
  assert.match(new TrainingProgress('G', 64, 'd').apply({ kind: 'start', epochs: 1, examples: 1, backend: 'wasm', source: 'digits' }).lines[0], /^digits \(1 training example\), epoch 1,/);
  const b1 = p.apply({ kind: 'batch', epoch: 1, batch: 38, batches: 75, loss: 1.23456 });
  assert.equal(b1.report?.message, 'epoch 1, batch 38/75 · loss 1.2346');
  assert.ok(Math.abs(b1.report!.increment - (38 / 75 / 3) * 100) < 1e-9);
  const e1 = p.apply({ kind: 'epoch', epoch: 1, loss: 0.5, metrics: { accuracy: 0.8 }, valLoss: 0.3, valMetrics: { accuracy: 0.93 }, ms: 2000, examples: 4800 });
  assert.match(e1.lines[0], /^epoch 1\/3 · loss 0\.5000 · accuracy 0\.8000 · val_loss 0\.3000 · val_accuracy 0\.9300 · 2\.0 s · 2400 examples\/s$/);
  const b2 = p.apply({ kind: 'batch', epoch: 2, batch: 1, batches: 75, loss: 0.4 });
  assert.match(b2.report!.message, /val_accuracy 0\.930$/);
  assert.match(p.summary({ kind: 'done', status: 'cancelled' }).text, /^Training of LeNet5 stopped; no epoch completed, so no checkpoint was written/);
  p.checkpointWritten(1);
  assert.equal(p.summary({ kind: 'done', status: 'cancelled' }).text, 'Training of LeNet5 stopped; the checkpoint of the last complete epoch is kept (epoch 1, .nnmodel/lenet5/LeNet5).');
  assert.match(p.summary({ kind: 'lost', reason: 'the inspector was closed' }).text, /^Training of LeNet5 ended: the inspector was closed; the checkpoint of the last complete epoch is kept \(epoch 1/);
  const failed = p.summary({ kind: 'done', status: 'failed', message: 'the loss became NaN' });
  assert.equal(failed.severity, 'error');
  assert.equal(failed.text, 'Training LeNet5: the loss became NaN; the checkpoint of the last complete epoch is kept (epoch 1, .nnmodel/lenet5/LeNet5).');
  // A message that ends a sentence is not followed by a second full stop, nor the kept checkpoint put in parentheses.
  assert.equal(p.summary({ kind: 'done', status: 'failed', message: 'Net takes [5].' }).text, 'Training LeNet5: Net takes [5]; the checkpoint of the last complete epoch is kept (epoch 1, .nnmodel/lenet5/LeNet5).');
  assert.equal(p.summary({ kind: 'done', status: 'completed' }).text, 'Trained LeNet5. Last epoch: val_accuracy 0.930.');
  // A regression (waves, mse) has no accuracy: its validation loss is said instead ("Trained TCN." said nothing).
  const tcn = new TrainingProgress('TCN', 32, '.nnmodel/tcn_waves/TCN');
  tcn.apply({ kind: 'start', epochs: 2, examples: 2000, backend: 'wasm', source: 'waves' });
  tcn.apply({ kind: 'epoch', epoch: 1, loss: 0.0294, metrics: {}, valLoss: 0.01424, valMetrics: {}, ms: 9700, examples: 1800 });
  assert.equal(tcn.apply({ kind: 'batch', epoch: 2, batch: 1, batches: 57, loss: 0.02 }).report?.message, 'epoch 2, batch 1/57 · loss 0.0200 · val_loss 0.0142');
  assert.equal(tcn.summary({ kind: 'done', status: 'completed' }).text, 'Trained TCN. Last epoch: val_loss 0.0142.');
  // Without validation: nothing to add.
  const nv = new TrainingProgress('N', 32, 'd');
  nv.apply({ kind: 'epoch', epoch: 1, loss: 0.5, metrics: {}, ms: 10, examples: 10 });
  assert.equal(nv.summary({ kind: 'done', status: 'completed' }).text, 'Trained N.');
  // Resuming: progress counts only the epochs of this run.
  const r = new TrainingProgress('M', 8, 'd');
  r.apply({ kind: 'start', epochs: 4, examples: 10, backend: 'cpu', source: 'x', resumedFrom: 2 });
  assert.ok(Math.abs(r.apply({ kind: 'batch', epoch: 3, batch: 1, batches: 1, loss: 1 }).report!.increment - 50) < 1e-9);
});

const SMALL = `model Small {
  input x: [12, 12, 1]
  output x -> conv2d(4, 3) -> relu -> maxpool(2) -> flatten -> dense(10) -> softmax
}
train Small {
  data: digits(samples = 400, size = 12)
  batch: 32
  epochs: 2
  validation: 0.25
  metrics: [accuracy]
  optimizer: adam(lr = 1e-2)
}
`;

interface Harness {
  posted: WebviewToHost[];
  local: TrainingEvent[];
  weights: WeightsMessage[];
  run: TrainingRun;
}

function startRun(msg: TrainStartMessage, options: { saveError?: string; stopAfterBatches?: number } = {}): Harness {
  const posted: WebviewToHost[] = [];
  const weights: WeightsMessage[] = [];
  const local: TrainingEvent[] = [];
  let batches = 0;
  const h: Harness = { posted, local, weights, run: undefined as unknown as TrainingRun };
  h.run = new TrainingRun(msg, {
    tf,
    // Everything goes through the validator, as on the host.
    post: (m) => {
      const parsed = parseWebviewMessage(m);
      assert.ok(parsed, `the page sent a malformed ${m.type}`);
      posted.push(parsed);
    },
    onEvent: (_run, _model, e) => {
      local.push(e);
      if (e.kind === 'batch' && ++batches === options.stopAfterBatches) h.run.stop();
    },
    waitSaved: async () => (options.saveError ? { error: options.saveError } : { dir: '/tmp/x' }),
    onWeights: (w) => void weights.push(w),
    // The page yields through a MessageChannel and a timer now and then (pageYield); in Node an open port would keep the process alive.
    yieldNow: () => new Promise<void>((resolve) => setImmediate(resolve)),
  });
  return h;
}

function trainMessage(text: string, run = 1): TrainStartMessage {
  const a = analyze(text);
  const { data, ...config } = a.trains[0].config;
  const msg = { type: 'train', uri: 'file:///w/small.nnmodel', version: 7, run, model: serializeModel(a.models[0]), config, seed: 1, data: dataPayload(data!, undefined) };
  const parsed = parseHostMessage(JSON.parse(JSON.stringify(msg)));
  assert.ok(parsed && parsed.type === 'train');
  return parsed;
}

test('the page trains with the core loop, reports each batch and epoch, and sends checkpoints the host accepts', async () => {
  const before = tf.memory().numTensors;
  const h = startRun(trainMessage(SMALL));
  assert.equal(await h.run.done, 'completed');
  const seenLocally = h.local;
  const events = h.posted.filter((m): m is TrainEventMessage => m.type === 'trainEvent').map((m) => m.event);
  assert.equal(events[0].kind, 'start');
  assert.equal((events[0] as { backend: string }).backend, 'wasm', 'the run reports the backend it runs on');
  assert.deepEqual(events.at(-1), { kind: 'done', status: 'completed' });
  const epochs = events.filter((e) => e.kind === 'epoch');
  assert.equal(epochs.length, 2);
  // The start counts the examples trained on (400 less the 25 % held out), as each epoch does, and the held-out ones.
  const start = events[0] as Extract<TrainingEvent, { kind: 'start' }>;
  assert.deepEqual([start.examples, start.validation], [300, 100]);
  assert.ok(epochs.every((e) => e.examples === start.examples));
  // Batches reach the host at most every BATCH_POST_MS, the last of each epoch always.
  const batches = events.filter((e): e is Extract<typeof e, { kind: 'batch' }> => e.kind === 'batch');
  assert.ok(batches.length >= 2 && batches.length <= 2 * Math.ceil(300 / 32), `${batches.length} batch events`);
  assert.deepEqual(batches.filter((b) => b.batch === b.batches).map((b) => b.epoch), [1, 2]);
  assert.equal(seenLocally.filter((e) => e.kind === 'batch').length, 2 * Math.ceil(300 / 32), "the page's own tab sees every batch");
  const cks = h.posted.filter((m): m is CheckpointMessage => m.type === 'checkpoint');
  assert.deepEqual(cks.map((c) => c.epoch), [1, 2]);
  for (const c of cks) {
    const ck = checkUploadedCheckpoint(c);
    assert.equal(ck.modelJson.nnmodel.data?.source, 'digits');
    assert.equal(ck.modelJson.nnmodel.history.length, c.epoch);
  }
  assert.deepEqual(h.weights.map((w) => w.epoch), [1, 2], 'the views get the weights of each saved epoch');
  assert.equal(tf.memory().numTensors, before, 'the run frees its model');
});

test('stop ends the run between batches; a refused checkpoint fails the run with the reason', async () => {
  const h = startRun(trainMessage(SMALL, 2), { stopAfterBatches: 3 });
  assert.equal(await h.run.done, 'cancelled');
  assert.equal(h.posted.filter((m) => m.type === 'checkpoint').length, 0);
  const last = h.posted.at(-1) as TrainEventMessage;
  assert.deepEqual(last.event, { kind: 'done', status: 'cancelled' });

  const f = startRun(trainMessage(SMALL, 3), { saveError: 'disk full' });
  assert.equal(await f.run.done, 'failed');
  const done = (f.posted.at(-1) as TrainEventMessage).event;
  assert.equal(done.kind, 'done');
  assert.match((done as { message?: string }).message ?? '', /checkpoint of epoch 1 was not written: disk full/);
});

test('resuming continues the epoch numbering and the history of the checkpoint', async () => {
  const first = startRun(trainMessage(SMALL, 4));
  await first.run.done;
  const last = first.posted.filter((m): m is CheckpointMessage => m.type === 'checkpoint').at(-1)!;
  const msg = { ...trainMessage(SMALL.replace('epochs: 2', 'epochs: 1'), 5), resume: { modelJson: last.modelJson, weights: last.weights } };
  const h = startRun(msg);
  assert.equal(await h.run.done, 'completed');
  const start = (h.posted[0] as TrainEventMessage).event;
  // The epochs before it ride along, for the tab's best epoch and overfitting verdict (curves.ts figures) and its
  // epochs' table (their metrics, time and examples): all the checkpoint keeps but the plan (`epochs`).
  const earlier = JSON.parse(last.modelJson).nnmodel.history as { epoch: number; epochs: number; loss: number; valLoss?: number }[];
  assert.deepEqual(start, {
    kind: 'start',
    epochs: 3,
    examples: 300,
    validation: 100,
    backend: 'wasm',
    source: 'digits',
    resumedFrom: 2,
    history: earlier.map(({ epochs: _plan, ...e }) => e),
  });
  assert.equal((start as { history?: unknown[] }).history?.length, 2);
  const ck = checkUploadedCheckpoint(h.posted.find((m): m is CheckpointMessage => m.type === 'checkpoint')!);
  assert.equal(ck.modelJson.nnmodel.epoch, 3);
  assert.deepEqual(ck.modelJson.nnmodel.history.map((e) => e.epoch), [1, 2, 3]);
  // A resumed loss starts where the first run ended, not from scratch.
  const firstLoss = (first.posted.filter((m): m is TrainEventMessage => m.type === 'trainEvent' && m.event.kind === 'epoch')[0].event as { loss: number }).loss;
  const resumedLoss = (h.posted.find((m): m is TrainEventMessage => m.type === 'trainEvent' && m.event.kind === 'epoch')!.event as { loss: number }).loss;
  assert.ok(resumedLoss < firstLoss, `resumed epoch loss ${resumedLoss} below the first epoch's ${firstLoss}`);
});

test('resuming from a history with a val_loss JSON could not keep (NaN written as null): the start event still reaches the host', async () => {
  const first = startRun(trainMessage(SMALL.replace('epochs: 2', 'epochs: 1'), 6));
  await first.run.done;
  const last = first.posted.filter((m): m is CheckpointMessage => m.type === 'checkpoint').at(-1)!;
  const json = JSON.parse(last.modelJson);
  json.nnmodel.history[0].valLoss = null;
  const msg = { ...trainMessage(SMALL.replace('epochs: 2', 'epochs: 1'), 7), resume: { modelJson: JSON.stringify(json), weights: last.weights } };
  // startRun's post fails the test on any message the host would refuse.
  const h = startRun(msg);
  assert.equal(await h.run.done, 'completed');
  const start = (h.posted[0] as TrainEventMessage).event as { kind: string; history?: unknown };
  assert.equal(start.kind, 'start');
  const { epochs: _plan, valLoss: _nan, ...kept } = json.nnmodel.history[0];
  assert.deepEqual(start.history, [kept]);
  assert.equal((start.history as { valLoss?: unknown }[])[0].valLoss, undefined);
});

test('a bad data spec fails the run with a message instead of throwing', async () => {
  const msg = trainMessage(SMALL, 6);
  const bad = { ...msg, data: { kind: 'builtin' as const, source: { kind: 'digits' as const, options: { samples: 400, size: 14 } } } };
  const h = startRun(bad);
  assert.equal(await h.run.done, 'failed');
  const done = (h.posted.at(-1) as TrainEventMessage).event as { kind: string; message?: string };
  assert.match(done.message ?? '', /digits gives examples of shape \[14, 14, 1\], but 'Small' takes \[12, 12, 1\]/);
});


test('a classifier stuck at the loss\'s clip: the page warns once (the tab\'s list, the host\'s output), at the second epoch in a row', async () => {
  const h = startRun(
    trainMessage(`model D {
  input x: [8, 8, 1]
  output x -> flatten -> dense(10) -> softmax
}
train D {
  data: digits(samples = 200, size = 8)
  optimizer: sgd(lr = 10)
  epochs: 4
  batch: 20
}
`),
  );
  assert.equal(await h.run.done, 'completed');
  const events = h.posted.filter((m): m is TrainEventMessage => m.type === 'trainEvent').map((m) => m.event);
  const warnings = events.filter((e): e is Extract<TrainingEvent, { kind: 'warning' }> => e.kind === 'warning' && /probability of 1e-7 or less/.test(e.message));
  assert.equal(warnings.length, 1, events.map((e) => e.kind).join(' '));
  assert.match(warnings[0].message, /^epoch \d: on \d+(\.\d)? % of the training predictions .* Lower the learning rate, or end the model without its softmax/);
  // Said after the epoch it names, and not at the first.
  const at = Number(/^epoch (\d)/.exec(warnings[0].message)![1]);
  assert.ok(at >= 2);
  const epochsBefore = events.slice(0, events.indexOf(warnings[0])).filter((e) => e.kind === 'epoch').length;
  assert.equal(epochsBefore, at);
});
