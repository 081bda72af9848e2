/**
 * "Signal & gradients": how large the signal is as it goes forward through
 * a model, and how large the gradient is as it comes back, layer by layer.
 * A deep plain stack of sigmoids squashes the gradient towards zero on its
 * way to the first layers (vanishing), or blows it up; a residual stack,
 * whose `x + F(x)` passes the gradient through unchanged (∇(F(x) + x) =
 * ∂F/∂x + I), keeps it. Pure over tfjs (the `tf` module is passed in): the
 * CLI, the training worker and tests use the same code.
 *
 * What is measured, per weighted layer in graph order (a layer with a
 * trainable weight of rank ≥ 2: a kernel, an embedding table; a shared
 * layer object once, at its first application):
 * - the RMS of its output on the batch, √(mean(y²));
 * - the RMS of the gradient of the loss with respect to its kernels (every
 *   trainable weight of rank ≥ 2, pooled: √(Σ g² / n)); biases and
 *   normalisation scales are left out.
 *
 * Cost. `SignalProbe` is a second functional model over the same layers
 * whose outputs are the model's output and each measured layer's output, so
 * one forward pass gives both the loss and the activations; during training
 * it replaces the ordinary step on one batch per epoch (runtime/train.ts:
 * the gradients the optimiser applies are the ones measured, nothing is
 * computed twice). `measureSignals` does one forward and backward pass on a
 * sample batch without changing the weights ("at initialisation").
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { TrainConfig } from '../analysis/types';
import type { Tf } from '../layers/types';
import type { BuiltModel } from './build';

type Tensor = tfTypes.Tensor;

/** One measured layer and its figures. */
export interface LayerSignal {
  /** Short name for axes and lines: the op and its ordinal among the measured layers of that op (`dense_3`). */
  name: string;
  /** The call as the diagrams label it (`dense(64)`). */
  label: string;
  /** 1-based source line of the call. */
  line: number;
  /** The file of the call when it is not the model's (a block imported from another file): its name, `gpt2_small.nnmodel`. */
  file?: string;
  /** RMS of the layer's output on the batch. */
  activation: number;
  /** RMS of the loss's gradient with respect to the layer's kernels. */
  gradient: number;
}

/** One measurement. */
export interface SignalsReport {
  /** Epochs of training behind the weights measured: 0 for the initial weights, else the (1-based) epoch in whose last full batch it was taken. */
  epoch: number;
  /** Examples in the batch measured. */
  examples: number;
  layers: LayerSignal[];
}

/** A layer the probe measures. */
interface Measured {
  path: string;
  name: string;
  label: string;
  line: number;
  file?: string;
  /** Index into the probe model's outputs. */
  output: number;
  /** Names of its kernel variables (as `variableGrads` keys them). */
  kernels: string[];
}

/**
 * A second model over `built`'s layers (and so its weights) whose outputs
 * are the model's first output and the output of every weighted layer.
 */
export class SignalProbe {
  readonly layers: readonly Omit<Measured, 'output' | 'kernels' | 'path'>[];
  private readonly measured: Measured[];
  private readonly model: tfTypes.LayersModel;

  constructor(
    private readonly tf: Tf,
    built: BuiltModel,
  ) {
    const outputs: tfTypes.SymbolicTensor[] = [built.model.outputs[0]];
    const seen = new Set<tfTypes.layers.Layer>();
    const perOp = new Map<string, number>();
    this.measured = [];
    for (const path of built.layerPaths) {
      const layer = built.layerOf.get(path);
      const node = built.nodeOf.get(path);
      const out = built.outputOf.get(path);
      if (!layer || !node || !out || seen.has(layer)) continue;
      const kernels = layer.trainableWeights.filter((w) => w.shape.length >= 2).map((w) => (w.read() as tfTypes.Variable).name);
      if (kernels.length === 0) continue;
      seen.add(layer);
      const k = (perOp.get(node.op) ?? 0) + 1;
      perOp.set(node.op, k);
      let output = outputs.indexOf(out);
      if (output < 0) output = outputs.push(out) - 1;
      // A layer of a block imported from another file: its line is in that file (the node's uri), which the name says.
      const file = node.uri ? fileName(node.uri) : undefined;
      this.measured.push({ path, name: `${node.op}_${k}`, label: node.label, line: node.range.start.line + 1, ...(file ? { file } : {}), output, kernels });
    }
    this.layers = this.measured.map(({ name, label, line, file }) => ({ name, label, line, ...(file ? { file } : {}) }));
    this.model = tf.model({ inputs: built.model.inputs, outputs, name: `${built.model.name}_signals` });
  }

  /**
   * Runs the probe model on `x` inside a gradient tape's function: returns
   * the model's output (for the loss) and keeps (tf.keep) a tensor of the
   * measured layers' activation RMS, which the caller disposes.
   */
  apply(x: Tensor | Tensor[], training: boolean): { out: Tensor; activationRms: Tensor } {
    const { tf } = this;
    const outs = [this.model.apply(x, { training })].flat() as Tensor[];
    const activationRms = tf.keep(
      this.measured.length ? tf.stack(this.measured.map((m) => tf.sqrt(tf.mean(tf.square(outs[m.output].toFloat()))))) : tf.zeros([0]),
    );
    return { out: outs[0], activationRms };
  }

  /**
   * The report from the activation RMS of `apply` and the gradients of the
   * same pass (`variableGrads`' map, by variable name). Disposes neither.
   */
  async report(activationRms: Tensor, grads: Readonly<Record<string, Tensor>>, epoch: number, examples: number): Promise<SignalsReport> {
    const { tf } = this;
    const gradRms = tf.tidy(() => {
      if (this.measured.length === 0) return tf.zeros([0]);
      return tf.stack(
        this.measured.map((m) => {
          const gs = m.kernels.map((n) => grads[n]).filter((g): g is Tensor => g !== undefined);
          if (gs.length === 0) return tf.scalar(NaN);
          const sumSq = tf.addN(gs.map((g) => tf.sum(tf.square(g))));
          const count = gs.reduce((s, g) => s + g.size, 0);
          return tf.sqrt(tf.div(sumSq, count));
        }),
      );
    });
    try {
      const [acts, gradsOut] = await Promise.all([activationRms.data(), gradRms.data()]);
      return {
        epoch,
        examples,
        layers: this.measured.map((m, i) => ({ name: m.name, label: m.label, line: m.line, ...(m.file ? { file: m.file } : {}), activation: acts[i], gradient: gradsOut[i] })),
      };
    } finally {
      gradRms.dispose();
    }
  }
}

/** Why a model's signals cannot be measured (undefined when they can). */
export function signalsUnsupported(config: Pick<TrainConfig, 'loss'>): string | undefined {
  if (config.loss === 'denoise' || config.loss === 'adversarial') {
    return `Signal & gradients is measured for a loss between a prediction and a label; loss: ${config.loss} trains by its own loop.`;
  }
  return undefined;
}

/**
 * One forward and backward pass of `built` on `batch` (in training mode, as
 * a training step runs it) without changing the model: no step is taken,
 * and the non-trainable weights a training-mode pass moves (a batchnorm's
 * moving statistics) are put back. `lossOf` is the training loop's loss
 * (runtime/train.ts passes its own, so both agree). Frees every tensor it
 * makes; the batch stays the caller's.
 */
export async function measureSignals(
  tf: Tf,
  built: BuiltModel,
  batch: { x: Tensor | Tensor[]; y: Tensor },
  lossOf: (y: Tensor, out: Tensor) => tfTypes.Scalar,
  epoch = 0,
): Promise<SignalsReport> {
  const probe = new SignalProbe(tf, built);
  const vars = built.model.trainableWeights.map((w) => w.read() as tfTypes.Variable);
  const frozen = built.model.nonTrainableWeights.map((w) => ({ w, value: tf.clone(w.read()) }));
  let activationRms: Tensor | undefined;
  const made: Tensor[] = [];
  try {
    const { value, grads } = tf.variableGrads(() => {
      const r = probe.apply(batch.x, true);
      activationRms = r.activationRms;
      return lossOf(batch.y, r.out);
    }, vars);
    made.push(value, ...Object.values(grads));
    const examples = [batch.x].flat()[0].shape[0] ?? 0;
    return await probe.report(activationRms!, grads, epoch, examples);
  } finally {
    for (const f of frozen) f.w.write(f.value);
    tf.dispose([...made, ...(activationRms ? [activationRms] : []), ...frozen.map((f) => f.value)]);
  }
}

/** A number in two significant figures, scientific when it is small or large (`3.1e-6`, `0.042`, `13`). */
export function formatRms(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e4) {
    const [m, e] = v.toExponential(1).split('e');
    return `${m}e${Number(e)}`;
  }
  return String(Number(v.toPrecision(2)));
}

/** A ratio for people: `×7,700`, `×3.2`. */
function formatRatio(r: number): string {
  if (!Number.isFinite(r)) return '×∞';
  if (r >= 100) return `×${Number(r.toPrecision(2)).toLocaleString('en-US')}`;
  return `×${Number(r.toPrecision(2))}`;
}

/**
 * The layers with the smallest and largest gradient RMS and their ratio,
 * undefined when fewer than two layers have a finite one.
 */
export function gradientSpread(report: SignalsReport): { smallest: LayerSignal; largest: LayerSignal; ratio: number } | undefined {
  const finite = report.layers.filter((l) => Number.isFinite(l.gradient));
  if (finite.length < 2) return undefined;
  let smallest = finite[0];
  let largest = finite[0];
  for (const l of finite) {
    if (l.gradient < smallest.gradient) smallest = l;
    if (l.gradient > largest.gradient) largest = l;
  }
  return { smallest, largest, ratio: largest.gradient / smallest.gradient };
}

/**
 * A measured layer as the graph and the summary name it: its call as
 * labelled there (`dense(64)`), its source line and, when several measured
 * layers share both (a repeated block's: `plain(64) * 8` puts eight
 * `dense(64)` on the block's line), which of them it is, in graph order.
 */
export interface LayerName {
  label: string;
  line: number;
  /** The file of `line` when it is not the model's (LayerSignal.file). */
  file?: string;
  repeat?: { index: number; count: number };
}

/** The file name at the end of a uri or path (`file:///w/gpt2_small.nnmodel` → `gpt2_small.nnmodel`), decoded. */
export function fileName(uri: string): string {
  const last = uri.split(/[/\\]/).pop() || uri;
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

/** The names of measured layers (a report's, in graph order): LayerName. */
export function layerNames(layers: readonly Pick<LayerSignal, 'label' | 'line' | 'file'>[]): LayerName[] {
  const key = (l: Pick<LayerSignal, 'label' | 'line' | 'file'>) => `${l.file ?? ''}\u0000${l.line}\u0000${l.label}`;
  const count = new Map<string, number>();
  for (const l of layers) count.set(key(l), (count.get(key(l)) ?? 0) + 1);
  const seen = new Map<string, number>();
  return layers.map((l) => {
    const k = key(l);
    const n = count.get(k)!;
    const index = (seen.get(k) ?? 0) + 1;
    seen.set(k, index);
    return { label: l.label, line: l.line, ...(l.file ? { file: l.file } : {}), ...(n > 1 ? { repeat: { index, count: n } } : {}) };
  });
}

/**
 * A layer in a sentence (the gradient line, the cursor's value): `dense(64) (line 39)`, `dense(64) (line 27, 2 of 8)`;
 * a layer of a block imported from another file names it: `dense(512) (line 28 of gpt2_small.nnmodel, 4 of 4)`.
 */
export function layerText(n: LayerName): string {
  return `${n.label} (line ${n.line}${n.file ? ` of ${n.file}` : ''}${n.repeat ? `, ${n.repeat.index} of ${n.repeat.count}` : ''})`;
}

/**
 * One line for the CLI, the output channel and the Training tab:
 * "gradient RMS: dense(64) (line 12) 3.1e-6 … dense(10) (line 14) 2.4e-2
 * (×7,700)", smallest first; `prefix` says when. `nameOf` names a layer
 * (its index in `report.layers`); by default as the graph labels it, with
 * its line (`layerText`).
 */
export function formatGradientLine(report: SignalsReport, prefix = 'gradient RMS', nameOf?: (layer: LayerSignal, index: number) => string): string {
  const names = nameOf ? undefined : layerNames(report.layers).map(layerText);
  const name = (l: LayerSignal) => (nameOf ? nameOf(l, report.layers.indexOf(l)) : names![report.layers.indexOf(l)]);
  const s = gradientSpread(report);
  if (!s) {
    const only = report.layers.find((l) => Number.isFinite(l.gradient));
    return only ? `${prefix}: ${name(only)} ${formatRms(only.gradient)} (one weighted layer)` : `${prefix}: no weighted layer to measure`;
  }
  if (s.largest.gradient === 0) return `${prefix}: 0 in every weighted layer (the loss no longer changes with the weights: saturated units?)`;
  const spread = s.smallest.gradient === 0 ? `none reaches ${name(s.smallest)}` : formatRatio(s.ratio);
  return `${prefix}: ${name(s.smallest)} ${formatRms(s.smallest.gradient)} … ${name(s.largest)} ${formatRms(s.largest.gradient)} (${spread})`;
}
