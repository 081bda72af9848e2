/**
 * Browser-side half of the training benchmark (bench/training.ts bundles
 * this file with esbuild and loads it in headless Chromium). It exposes
 * `window.nnTrainBench`: start a backend as the inspector does (optionally
 * with the project's training kernels, as the webview registers them),
 * then train LeNet-5 on the synthetic digits either with the core's
 * `buildModel` + `trainModel` (the code the webview runs) or with the same
 * network written by hand with tfjs-layers and `model.fit`.
 */
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../extension/core/analysis/analyze';
import { buildModel, type BuiltModel } from '../extension/core/runtime/build';
import { digits } from '../extension/core/runtime/data/synthetic';
import { registerTrainingKernels } from '../extension/core/runtime/kernels';
import type { ModelInfo } from '../extension/core/analysis/types';
import { trainModel, type TrainData } from '../extension/core/runtime/train';
import { configureWasm, selectBackend } from '../webview/host/backend';
import type { TrainBenchApi } from './training-api';
import { handLenet5 } from './hand-lenet';

const BATCH = 64;

/** The hand-written LeNet-5, compiled as `model.fit` needs it. */
function handLenet(): tf.LayersModel {
  const model = handLenet5();
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy' });
  return model;
}

interface State {
  data: TrainData;
  xs?: tf.Tensor4D;
  ys?: tf.Tensor1D;
  hand?: tf.LayersModel;
  ours?: { built: BuiltModel; info: ModelInfo };
}

let state: State | undefined;

const api: TrainBenchApi = {
  async init({ backend, wasmBase, projectKernels }) {
    configureWasm(wasmBase);
    if (projectKernels) registerTrainingKernels(tf);
    const active = await selectBackend(backend);
    return { backend: active.name, reason: active.reason };
  },

  async setup({ kind, lenet, samples }) {
    if (state && state.data.count !== samples) api.dispose();
    if (!state) {
      const set = digits({ samples, size: 32, seed: 7 });
      state = { data: { ...set, source: 'digits' } };
    }
    const s = state;
    const set = s.data;
    if (kind === 'hand') {
      tf.dispose([s.xs, s.ys].filter((t) => !!t) as tf.Tensor[]);
      s.hand?.dispose();
      s.xs = tf.tensor4d(set.xs as Float32Array, [samples, 32, 32, 1]);
      s.ys = tf.tensor1d(Float32Array.from(set.ys), 'float32');
      s.hand = handLenet();
    } else {
      const info = analyze(lenet, { uri: 'bench:lenet5.nnmodel' }).models.find((m) => m.name === 'LeNet5');
      if (!info) throw new Error('no LeNet5 model in the text given');
      s.ours?.built.model.dispose();
      s.ours = { built: buildModel(tf, info, { seed: 1 }), info };
    }
  },

  async train({ kind, from, count }) {
    if (!state) throw new Error('setup first');
    const t0 = performance.now();
    let loss = NaN;
    if (kind === 'hand') {
      if (!state.hand || !state.xs || !state.ys) throw new Error('setup({ kind: "hand" }) first');
      const x = state.xs.slice(from, count);
      const y = state.ys.slice(from, count);
      try {
        const h = await state.hand.fit(x, y, { batchSize: BATCH, epochs: 1, shuffle: true, verbose: 0 });
        loss = Number(h.history.loss[h.history.loss.length - 1]);
      } finally {
        tf.dispose([x, y]);
      }
    } else {
      if (!state.ours) throw new Error('setup({ kind: "ours" }) first');
      const train = Int32Array.from({ length: count }, (_, i) => from + i);
      const config = { loss: 'crossentropy' as const, optimizer: { kind: 'adam' as const, lr: 1e-3 }, epochs: 1, batch: BATCH, validation: 0, metrics: [] };
      const h = await trainModel(tf, state.ours.built.model, state.ours.info, state.data, { config, split: { train, validation: [] } });
      loss = h.epochs[h.epochs.length - 1]?.loss ?? NaN;
    }
    return { ms: performance.now() - t0, loss };
  },

  dispose() {
    if (!state) return;
    tf.dispose([state.xs, state.ys].filter((t) => !!t) as tf.Tensor[]);
    state.hand?.dispose();
    state.ours?.built.model.dispose();
    state = undefined;
  },
};

(globalThis as unknown as { nnTrainBench: TrainBenchApi }).nnTrainBench = api;
