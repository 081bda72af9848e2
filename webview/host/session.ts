/**
 * One built model in the inspector: the tfjs model made from the graph by the
 * core's runtime builder (the same layer code as the CLI), the all-outputs
 * model for the probes, a sample input and a timed forward pass. No DOM:
 * it runs in the webview and in Node (unit tests).
 *
 * Ownership: a session owns every tensor it creates; `dispose()` frees all
 * of them (weights included), so that building a new session for each edit
 * keeps `tf.memory().numTensors` flat.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { ModelInfo } from '../../extension/core/analysis/types';
import { buildActivationModel, buildModel, type BuiltModel } from '../../extension/core/runtime/build';
import type { Tf } from '../../extension/core/layers/types';
import { smallestVocab } from '../../extension/core/analysis/graph';
import { trainedDims } from '../../extension/core/runtime/train';
import { leastSizes } from '../../extension/core/analysis/leastSizes';
import { bytesText } from '../views/summaryModel';

/** Value given to a symbolic dimension (`seq`) for sample inputs, unless the layers need more (`ModelSession.dimReasons`). */
export const SAMPLE_DIM = 16;
/** Above this many parameters the weights start as zeros: random initialisation would take seconds. */
export const RANDOM_INIT_LIMIT = 20_000_000;
/**
 * Sizes given for symbolic dimensions (`SessionOptions.givenDims`) are used
 * when one forward pass at them takes at most this many multiply-adds (or no
 * more than at the sample size): about three ResNet-18s at 224 × 224, a
 * second or two on WASM. Above, the inspector runs at the sample size.
 */
export const MAX_GIVEN_MACS = 5e9;
/** The inspector refuses models above this (the browser would run out of memory). */
export const MAX_INSPECT_PARAMS = 150_000_000;
/**
 * The inspector refuses models whose input and activations for one example
 * (every layer's output, kept for the feature maps) take more bytes than this: an
 * input of [100000, 100000, 3] would otherwise fail deep inside tfjs with
 * "Invalid typed array length".
 */
export const MAX_INSPECT_ACTIVATION_BYTES = 2 ** 30;

export interface SessionOptions {
  /** Seed of the initial weights and of the sample input. */
  seed: number;
  /**
   * One example's shape of the model's (first) input as it trains: the
   * checkpoint's data, else its train section's. Symbolic dimensions the
   * parameter count depends on take their size from it instead of
   * `SAMPLE_DIM` (`symbolicDimsFor`), so that trained weights fit and the
   * data can be fed (a `[seq, 1] -> flatten -> dense` forecaster reads
   * windows of its training length). Ignored when it does not give them
   * all, or when the model would then be too large to run here.
   */
  exampleShape?: readonly number[];
  /**
   * Sizes of symbolic dimensions the editor uses (the setting
   * `nnmodel.dimensions`, else the train section's data; `ModelMessage.dims`):
   * after the trained ones, before `SAMPLE_DIM`. Dropped, for the sample
   * size, when the model would then be too large or too slow
   * (`MAX_GIVEN_MACS`) to run here.
   */
  givenDims?: Readonly<Record<string, number>>;
  /** Where each of `givenDims` comes from (`ModelMessage.dimSources`): the setting, or the train section. */
  givenSources?: Readonly<Record<string, 'given' | 'train'>>;
}

/**
 * Where the size a session gave a symbolic dimension comes from: trained
 * weights, the setting, the train section, `SAMPLE_DIM`, or the least size
 * the layers accept where `SAMPLE_DIM` leaves one of them no output.
 */
export type DimSource = 'trained' | 'setting' | 'train' | 'sample' | 'least';

export { trainedDims };

export class ModelSession {
  private disposed = false;

  private constructor(
    readonly tf: Tf,
    readonly modelInfo: ModelInfo,
    readonly built: BuiltModel,
    readonly activations: { readonly model: tfTypes.LayersModel; readonly paths: readonly string[] },
    /** Values used for the symbolic dimensions of sample inputs. */
    readonly dims: Readonly<Record<string, number>>,
    /** Where each of `dims` comes from. */
    readonly dimSources: Readonly<Record<string, DimSource>>,
    /** Why a size is what it is, for those the layers raised above `SAMPLE_DIM` ('least'): "the least length conv1d(4, 3) at line 3 accepts". */
    readonly dimReasons: Readonly<Record<string, string>>,
    /** Whether the weights are zeros rather than seeded random values (very large models). */
    readonly zeroWeights: boolean,
    private readonly seed: number,
  ) {}

  /**
   * Builds the model. Symbolic dimensions that the parameter count depends
   * on get their trained size (`options.exampleShape`) or `SAMPLE_DIM`; the
   * others stay flexible in the built model (the attention view feeds
   * texts of any length). A sample size that leaves a layer no output (a
   * raw-audio 1-D CNN at 16 samples) is raised to the least size the layers
   * accept, as the PyTorch export's demo is (`leastSizes`).
   */
  static create(tf: Tf, modelInfo: ModelInfo, options: SessionOptions): ModelSession {
    const sized = (trained: Readonly<Record<string, number>>) => {
      const dims: Record<string, number> = {};
      for (const input of modelInfo.inputs) for (const d of input.shape.dims) for (const a of d.atoms()) dims[a] = trained[a] ?? SAMPLE_DIM;
      // The sample sizes, raised where the layers need more; the sizes given or trained stay as they are.
      const floors = leastSizes([modelInfo], Object.keys(dims).filter((a) => trained[a] === undefined), dims);
      const paramAtoms: Record<string, number> = {};
      for (const a of modelInfo.params.total.atoms()) paramAtoms[a] = dims[a] ?? SAMPLE_DIM;
      // The sample input itself (4 bytes a value, float32 or int32) and every layer's output.
      const at = { ...dims, ...paramAtoms };
      const inputBytes = modelInfo.inputs.reduce((sum, i) => sum + 4 * i.shape.dims.reduce((p, d) => p * (d.evaluate(at) ?? SAMPLE_DIM), 1), 0);
      const total = modelInfo.params.total.evaluate(at) ?? 0;
      return { dims, floors, paramAtoms, total, exampleBytes: inputBytes + (modelInfo.memory.activationBytes.evaluate(at) ?? 0), macs: modelInfo.macs.evaluate(at) ?? 0 };
    };
    const trained = trainedDims(modelInfo, options.exampleShape) ?? {};
    const given = options.givenDims ?? {};
    const tooLarge = (s: ReturnType<typeof sized>) => s.exampleBytes > MAX_INSPECT_ACTIVATION_BYTES || s.total > MAX_INSPECT_PARAMS;
    let size = sized(trained);
    if (Object.keys(given).length) {
      // The editor's sizes, unless the model would be too large or slow to run at them (GPT-2 small at seq = 1024 for its hover figures).
      const withGiven = sized({ ...given, ...trained });
      if (!tooLarge(withGiven) && withGiven.macs <= Math.max(MAX_GIVEN_MACS, size.macs)) size = withGiven;
    }
    // Too large to run here at its trained size: the sample size still shows the model (its trained weights will not fit).
    if (Object.keys(trained).length && tooLarge(size)) size = sized({});
    const { dims, floors, paramAtoms, total, exampleBytes } = size;
    const dimSources: Record<string, DimSource> = {};
    const dimReasons: Record<string, string> = {};
    for (const [a, v] of Object.entries(dims)) {
      const floor = floors.get(a);
      dimSources[a] = trained[a] === v ? 'trained' : given[a] === v ? (options.givenSources?.[a] === 'train' ? 'train' : 'setting') : floor ? 'least' : 'sample';
      if (dimSources[a] === 'least' && floor) dimReasons[a] = leastReason(modelInfo, a, floor.node);
    }
    const zeroWeights = total > RANDOM_INIT_LIMIT;
    if (exampleBytes > MAX_INSPECT_ACTIVATION_BYTES) {
      throw new Error(
        `Cannot run model '${modelInfo.name}' here: one example's input and activations take ${bytesText(exampleBytes)}, more than the inspector's limit of ${bytesText(MAX_INSPECT_ACTIVATION_BYTES)}. Use smaller inputs to run it; the summary, hovers and export still work.`,
      );
    }
    let built: BuiltModel | undefined;
    try {
      built = buildModel(tf, modelInfo, {
        seed: options.seed,
        symbolicDims: paramAtoms,
        maxParams: MAX_INSPECT_PARAMS,
        initializer: zeroWeights ? 'zeros' : 'random',
      });
      const activations = buildActivationModel(tf, built);
      return new ModelSession(tf, modelInfo, built, activations, dims, dimSources, dimReasons, zeroWeights, options.seed);
    } catch (e) {
      // A failed build (tfjs rejecting a shape, say) must not leak the weights made so far.
      if (built) disposeLayers(built);
      throw e;
    }
  }

  /** A sample batch of one: seeded uniform noise, token ids below the smallest vocabulary for int inputs. The caller disposes it. */
  sampleInputs(): tfTypes.Tensor[] {
    const { tf } = this;
    const vocab = smallestVocab(this.modelInfo.graph) ?? 2;
    return this.modelInfo.graph.inputs.map((id, port) => {
      const node = this.modelInfo.graph.nodes.find((n) => n.id === id);
      if (!node || node.kind !== 'input') throw new Error(`input ${id} is missing from the graph`);
      const shape = [1, ...node.shape.dims.map((d) => d.evaluate(this.dims) ?? SAMPLE_DIM)];
      return node.shape.isInt
        ? tf.randomUniform(shape, 0, vocab, 'int32', this.seed + port)
        : tf.randomUniform(shape, 0, 1, 'float32', this.seed + port);
    });
  }

  /** Runs the model once on `inputs` (or a sample) and returns the wall time in ms, outputs read back. */
  async forward(inputs?: tfTypes.Tensor[]): Promise<number> {
    this.assertLive();
    const { tf } = this;
    const xs = inputs ?? this.sampleInputs();
    try {
      const t0 = performance.now();
      const out = this.built.model.predict(xs.length === 1 ? xs[0] : xs);
      const outs = Array.isArray(out) ? out : [out];
      try {
        // Reading the data waits for the GPU (webgl) to finish, so the time is the real one.
        await Promise.all(outs.map((o) => o.data()));
      } finally {
        tf.dispose(outs);
      }
      return performance.now() - t0;
    } finally {
      if (!inputs) tf.dispose(xs);
    }
  }

  /**
   * Replaces the weights of layers by node path (the hook trained
   * checkpoints load through): each tensor list is in the layer's
   * `getWeights()` order with the same shapes. Copies the values; the
   * caller keeps ownership of `weights`. Throws, changing nothing, when a
   * path is unknown or a shape differs.
   */
  setWeights(weights: ReadonlyMap<string, readonly tfTypes.Tensor[]>): void {
    this.assertLive();
    for (const [path, tensors] of weights) {
      const layer = this.built.layerOf.get(path);
      if (!layer) throw new Error(`no layer at node path ${path}`);
      const current = layer.getWeights();
      if (current.length !== tensors.length) throw new Error(`layer ${path} has ${current.length} weights, got ${tensors.length}`);
      current.forEach((w, i) => {
        if (w.shape.join(',') !== tensors[i].shape.join(',')) {
          throw new Error(`weight ${i} of layer ${path} has shape [${w.shape}], got [${tensors[i].shape}]`);
        }
      });
    }
    for (const [path, tensors] of weights) this.built.layerOf.get(path)!.setWeights([...tensors]);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Frees every weight (and any tensor a layer keeps, such as attention probabilities). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    disposeLayers(this.built);
  }

  private assertLive(): void {
    if (this.disposed) throw new Error('the model session was disposed');
  }
}

/**
 * Disposes each distinct layer until its reference count reaches zero.
 * tfjs counts one reference per application, so a shared layer object
 * needs one `dispose()` per use; the models themselves hold no tensors.
 */
export function disposeLayers(built: BuiltModel): void {
  const layers = new Set<tfTypes.layers.Layer>([...built.layerOf.values(), ...built.model.layers]);
  for (const layer of layers) {
    for (let guard = 0; guard < 10_000; guard++) {
      let after: number;
      try {
        after = layer.dispose().refCountAfterDispose;
      } catch {
        break; // never built or used (an input layer), or already at zero
      }
      if (after <= 0) break;
    }
  }
}

/**
 * Why the session raised symbol `name` above the sample size: "the least
 * length conv1d(4, 3) at line 3 accepts" (a length where an input is a
 * sequence, `[n, c]`; else a size), the file named where the layer is in an
 * imported one.
 */
function leastReason(modelInfo: ModelInfo, name: string, node: { label: string; range: { start: { line: number } }; uri?: string }): string {
  const sequence = modelInfo.inputs.some((i) => i.shape.dims.length === 2 && i.shape.dims[0].atoms().includes(name));
  const line = node.range.start.line + 1;
  const file = node.uri !== undefined && node.uri !== modelInfo.uri ? ` of ${node.uri.split(/[\\/]/).pop() ?? node.uri}` : '';
  return `the least ${sequence ? 'length' : 'size'} ${node.label} at line ${line}${file} accepts`;
}
