/**
 * Browser-side half of the inspector benchmark (bench/inspector.ts bundles
 * this file with esbuild and loads it in headless Chromium). It exposes
 * `window.nnBench`: start a backend the way the inspector does, then time
 * the forward pass of a model built by the inspector's own runtime
 * (`ModelSession`, the code the webview runs) against the same model
 * written by hand with tfjs-layers, in the same page on the same inputs.
 */
import * as tf from '@tensorflow/tfjs';
import ELK from 'elkjs/lib/elk.bundled.js';
import { analyze } from '../extension/core/analysis/analyze';
import { serializeModel } from '../extension/core/protocol';
import { buildDiagram, groupKeys, longEdgeDummies, nodePlacement, type TextMetrics } from '../webview/views/graphModel';
import { GraphLayout, pageWorkerStarter, type LayoutWhere } from '../webview/views/graphLayout';
import type { BenchApi, CompareResult } from './inspector-api';
import { configureWasm, selectBackend } from '../webview/host/backend';
import { ModelSession } from '../webview/host/session';
import { handLenet5 } from './hand-lenet';

type Twin = (dims: Readonly<Record<string, number>>) => tf.LayersModel;

// ------------------------------------------------------------- hand-built twins

/** VGGSmall without `random_flip` (an augmentation: the identity at inference, no weights). */
function vggSmall(): tf.LayersModel {
  const layers: tf.layers.Layer[] = [];
  let first = true;
  for (const filters of [32, 64, 128]) {
    for (let i = 0; i < 2; i++) {
      layers.push(tf.layers.conv2d({ ...(first ? { inputShape: [32, 32, 3] } : {}), filters, kernelSize: 3, padding: 'same' }));
      first = false;
      layers.push(tf.layers.batchNormalization(), tf.layers.reLU());
    }
    layers.push(tf.layers.maxPooling2d({ poolSize: 2 }));
  }
  layers.push(
    tf.layers.flatten(),
    tf.layers.dense({ units: 256, activation: 'relu' }),
    tf.layers.dropout({ rate: 0.5 }),
    tf.layers.dense({ units: 3, activation: 'softmax' }),
  );
  return tf.sequential({ layers });
}

function charLstm(dims: Readonly<Record<string, number>>): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: 64, outputDim: 64, inputLength: dims.seq }),
      tf.layers.lstm({ units: 256, returnSequences: true }),
      tf.layers.dense({ units: 64, activation: 'softmax' }),
    ],
  });
}

/** A learned position table added to the input: `positional(learned, maxlen)`. */
class LearnedPositions extends tf.layers.Layer {
  static className = 'BenchLearnedPositions';
  private table?: tf.LayerVariable;
  constructor(private readonly maxlen: number) {
    super({});
  }
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = inputShape as tf.Shape;
    this.table = this.addWeight('table', [this.maxlen, s[2] as number], 'float32', tf.initializers.randomNormal({ stddev: 0.02 }));
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => tf.add(x, this.table!.read().slice([0, 0], [x.shape[1]!, x.shape[2]!])));
  }
}

/** Multi-head self-attention with a causal mask: q, k, v and output projections with biases. */
class CausalSelfAttention extends tf.layers.Layer {
  static className = 'BenchCausalSelfAttention';
  private w: tf.LayerVariable[] = [];
  constructor(private readonly heads: number) {
    super({});
  }
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const d = (inputShape as tf.Shape)[2] as number;
    const init = tf.initializers.glorotUniform({});
    for (const n of ['q', 'k', 'v', 'o']) {
      this.w.push(this.addWeight(`${n}_kernel`, [d, d], 'float32', init), this.addWeight(`${n}_bias`, [d], 'float32', tf.initializers.zeros()));
    }
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
    return tf.tidy(() => {
      const [b, s, d] = x.shape;
      const h = this.heads;
      const dh = d / h;
      const flat = x.reshape([b * s, d]);
      const proj = (i: number) =>
        tf.add(tf.matMul(flat, this.w[2 * i].read() as tf.Tensor2D), this.w[2 * i + 1].read()).reshape([b, s, h, dh]).transpose([0, 2, 1, 3]);
      const [q, k, v] = [proj(0), proj(1), proj(2)];
      const mask = tf.linalg.bandPart(tf.ones([s, s]), -1, 0);
      const scores = tf.add(tf.div(tf.matMul(q, k, false, true), Math.sqrt(dh)), tf.mul(tf.sub(1, mask), -1e9));
      const ctx = tf.matMul(tf.softmax(scores, -1), v).transpose([0, 2, 1, 3]).reshape([b * s, d]);
      return tf.add(tf.matMul(ctx, this.w[6].read() as tf.Tensor2D), this.w[7].read()).reshape([b, s, d]);
    });
  }
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return inputShape as tf.Shape;
  }
}

/** Logits through the transposed embedding table (weights tied, no bias): `unembed(wte)`. */
class TiedUnembed extends tf.layers.Layer {
  static className = 'BenchTiedUnembed';
  constructor(private readonly embedding: tf.layers.Layer) {
    super({});
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => {
      const table = this.embedding.getWeights()[0] as tf.Tensor2D;
      const [b, s, d] = x.shape as [number, number, number];
      return tf.matMul(x.reshape([b * s, d]), table, false, true).reshape([b, s, table.shape[0]]);
    });
  }
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = inputShape as tf.Shape;
    return [s[0], s[1], (this.embedding.getWeights()[0] as tf.Tensor).shape[0]];
  }
}

/** GPTSmall (examples/gpt_small.nnmodel): 4 pre-norm blocks of width 128 with 4 causal heads, tied unembedding. */
function gptSmall(dims: Readonly<Record<string, number>>): tf.LayersModel {
  const dim = 128;
  const tokens = tf.input({ shape: [dims.seq], dtype: 'int32' });
  const wte = tf.layers.embedding({ inputDim: 64, outputDim: dim });
  let x = wte.apply(tokens) as tf.SymbolicTensor;
  x = new LearnedPositions(64).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: 0.1 }).apply(x) as tf.SymbolicTensor;
  for (let i = 0; i < 4; i++) {
    let a = tf.layers.layerNormalization({ axis: -1 }).apply(x) as tf.SymbolicTensor;
    a = new CausalSelfAttention(4).apply(a) as tf.SymbolicTensor;
    a = tf.layers.dropout({ rate: 0.1 }).apply(a) as tf.SymbolicTensor;
    x = tf.layers.add().apply([x, a]) as tf.SymbolicTensor;
    let m = tf.layers.layerNormalization({ axis: -1 }).apply(x) as tf.SymbolicTensor;
    m = tf.layers.dense({ units: 4 * dim }).apply(m) as tf.SymbolicTensor;
    m = tf.layers.activation({ activation: 'gelu' as 'relu' }).apply(m) as tf.SymbolicTensor;
    m = tf.layers.dense({ units: dim }).apply(m) as tf.SymbolicTensor;
    m = tf.layers.dropout({ rate: 0.1 }).apply(m) as tf.SymbolicTensor;
    x = tf.layers.add().apply([x, m]) as tf.SymbolicTensor;
  }
  x = tf.layers.layerNormalization({ axis: -1 }).apply(x) as tf.SymbolicTensor;
  x = new TiedUnembed(wte).apply(x) as tf.SymbolicTensor;
  // tf.layers.softmax() defaults to axis 1; the activation takes the last axis, as the model's softmax does.
  x = tf.layers.activation({ activation: 'softmax' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: tokens, outputs: x });
}

const TWINS: Record<string, Twin> = { lenet5: handLenet5, vggSmall, charLstm, gptSmall };

// ------------------------------------------------------------------ timing

async function timeOnce(model: tf.LayersModel, xs: tf.Tensor[]): Promise<number> {
  const t0 = performance.now();
  const out = model.predict(xs.length === 1 ? xs[0] : xs);
  const outs = Array.isArray(out) ? out : [out];
  // Reading the outputs back waits for the GPU, as the inspector's own timing does.
  await Promise.all(outs.map((o) => o.data()));
  const ms = performance.now() - t0;
  tf.dispose(outs);
  return ms;
}

// ------------------------------------------------------------------ graph layout

/** One GraphLayout per place, kept across calls as the graph view keeps its own (the worker starts once). */
const graphLayouts = new Map<LayoutWhere, GraphLayout>();
let benchMetrics: TextMetrics | undefined;

function canvasTextMetrics(): TextMetrics {
  const ctx = document.createElement('canvas').getContext('2d');
  return {
    measure(text, bold) {
      if (!ctx) return text.length * 7;
      ctx.font = `${bold ? '600 ' : ''}12px sans-serif`;
      return ctx.measureText(text).width;
    },
  };
}

function modelInfo(files: Record<string, string>, main: string, modelName: string) {
  const analysis = analyze(files[main], {
    uri: main,
    readImport: (_from, path) => (files[path] === undefined ? undefined : { uri: path, text: files[path] }),
  });
  const info = analysis.models.find((m) => m.name === modelName);
  if (!info) throw new Error(`model ${modelName} not found in ${main}`);
  return info;
}

const api: BenchApi = {
  async init(backend, wasmBase) {
    configureWasm(wasmBase);
    const active = await selectBackend(backend);
    return { backend: active.name, reason: active.reason };
  },

  async layout(files, main, modelName, expanded, placement, where, layoutWorkerUrl) {
    // pageWorkerStarter reads the worker's URL where the inspector's HTML puts it.
    document.body.dataset.layoutWorker = layoutWorkerUrl;
    const graph = serializeModel(modelInfo(files, main, modelName)).graph;
    const d = buildDiagram(graph, [], new Set(expanded ? groupKeys(graph) : []), (benchMetrics ??= canvasTextMetrics()), { placement });
    let layouts = graphLayouts.get(where);
    if (!layouts) {
      layouts = new GraphLayout({
        startWorker: where === 'worker' ? pageWorkerStarter : () => Promise.reject(new Error('the main-thread rows use no worker')),
        layoutOnPage: (g) => new ELK().layout(g),
      });
      graphLayouts.set(where, layouts);
    }
    // The page's responsiveness meanwhile: the longest gap between zero-delay timer ticks.
    let last = performance.now();
    let stallMs = 0;
    let running = true;
    const tick = () => {
      const now = performance.now();
      stallMs = Math.max(stallMs, now - last);
      last = now;
      if (running) setTimeout(tick, 0);
    };
    setTimeout(tick, 0);
    try {
      const r = await layouts.layout(d.root);
      if (r.where !== where) throw new Error(`asked for a layout on the ${where}, it ran on the ${r.where}${layouts.fallback ? ` (${layouts.fallback})` : ''}`);
      tick();
      return { where: r.where, ms: r.ms, stallMs, boxes: d.boxes.size, dummies: longEdgeDummies(d.root), rule: nodePlacement(d.root) };
    } finally {
      running = false;
    }
  },

  async compare(files, main, modelName, twinName, budgetMs) {
    const info = modelInfo(files, main, modelName);
    const session = ModelSession.create(tf, info, { seed: 1 });
    const hand = twinName ? TWINS[twinName](session.dims) : undefined;
    const xs = session.sampleInputs();
    try {
      const result: CompareResult = {
        ours: [],
        hand: hand ? [] : undefined,
        oursParams: session.built.model.countParams(),
        handParams: hand?.countParams(),
        dims: { ...session.dims },
      };
      // Warm-up: shader compilation (webgl) and first-call allocation are not what is compared.
      for (let i = 0; i < 2; i++) {
        await timeOnce(session.built.model, xs);
        if (hand) await timeOnce(hand, xs);
      }
      // Alternate the two so drift in the machine's load hits both alike.
      const started = performance.now();
      while (result.ours.length < 40 && (result.ours.length < 5 || performance.now() - started < budgetMs)) {
        result.ours.push(await timeOnce(session.built.model, xs));
        if (hand) result.hand!.push(await timeOnce(hand, xs));
      }
      return result;
    } finally {
      tf.dispose(xs);
      hand?.dispose();
      session.dispose();
    }
  },
};

(globalThis as unknown as { nnBench: BenchApi }).nnBench = api;
