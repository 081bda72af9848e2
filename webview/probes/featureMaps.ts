/**
 * Feature maps: what a model's convolution, pooling and sequence layers
 * (with `every`, all its layers) produce for one example, read back as
 * plain arrays for drawing. No DOM;
 * runs in the webview and in Node tests. Every tensor made here is
 * disposed before returning.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { LayerNode } from '../../extension/core/analysis/types';
import type { BuiltModel } from '../../extension/core/runtime/build';
import type { Tf } from '../../extension/core/layers/types';

/** The activations of one layer for one example, channel by channel. */
export interface FeatureMap {
  /** Node path of the layer (see extension/core/runtime/build.ts). */
  path: string;
  /**
   * `grid`: 2-D maps (`[h, w, c]` outputs); `strip`: 1-D heat strips (`[len, c]`
   * outputs); `units`: one strip of cells (`[n]` outputs: dense, flatten, global pooling).
   */
  kind: FeatureMapKind;
  /** Rows of one channel's map (1 for a strip and for units). */
  height: number;
  /** Columns of one channel's map (the length for a strip, n for units). */
  width: number;
  /** 1 for units. */
  channels: number;
  /** Channel-major: channel c's map is `data[c·h·w … (c+1)·h·w)`, row-major. */
  data: Float32Array;
  /** Smallest value of each channel. */
  min: Float32Array;
  /** Largest value of each channel. */
  max: Float32Array;
}

/** A model whose outputs are layer outputs, one per entry of `paths` (`buildActivationModel`). */
export interface ActivationSource {
  readonly model: tfTypes.LayersModel;
  readonly paths: readonly string[];
}

export type FeatureMapKind = 'grid' | 'strip' | 'units';

/** A layer whose output the Feature maps view draws. */
export interface FeatureMapLayer {
  path: string;
  node: LayerNode;
  kind: FeatureMapKind;
  /** A ReLU-family output (relu, relu6, or a layer with `activation = relu`): exact zeros mean something. */
  relu: boolean;
}

const MAP_CATEGORIES = new Set(['conv', 'pool']);
const STRIP_CATEGORIES = new Set(['conv', 'pool', 'recurrent', 'attention', 'embedding']);
/** Activations that output exact zeros for every negative input (leaky_relu, elu, gelu and silu do not). */
const RELU_FAMILY = new Set(['relu', 'relu6']);

/**
 * Whether a layer's output is a ReLU-family activation: the `relu` and
 * `relu6` layers, and layers applying one themselves (`dense(16, activation = relu)`).
 */
export function isReluFamily(node: Pick<LayerNode, 'op' | 'args'>): boolean {
  const activation = node.args.activation;
  return RELU_FAMILY.has(node.op) || (typeof activation === 'string' && RELU_FAMILY.has(activation));
}

/**
 * The layers worth showing as feature maps, in topological order. By
 * default: convolution and pooling layers with `[h, w, c]` outputs (grids),
 * and convolution, pooling, recurrent, attention and embedding layers with
 * `[len, c]` outputs (strips). With `every` ("Show every layer"): every
 * layer with a non-integer `[h, w, c]` (grid), `[len, c]` (strip) or `[n]`
 * output (units: dense, flatten, global pooling), so also activations,
 * normalisations and merges.
 */
export function featureMapLayers(built: Pick<BuiltModel, 'layerPaths' | 'nodeOf'>, options: { every?: boolean } = {}): FeatureMapLayer[] {
  const out: FeatureMapLayer[] = [];
  for (const path of built.layerPaths) {
    const node = built.nodeOf.get(path);
    if (!node) continue;
    const kind = options.every ? kindOf(node) : defaultKindOf(node);
    if (kind) out.push({ path, node, kind, relu: isReluFamily(node) });
  }
  return out;
}

function defaultKindOf(node: LayerNode): FeatureMapKind | undefined {
  const rank = node.shape.dims.length;
  if (rank === 3 && MAP_CATEGORIES.has(node.category)) return 'grid';
  if (rank === 2 && !node.shape.isInt && STRIP_CATEGORIES.has(node.category)) return 'strip';
  return undefined;
}

function kindOf(node: LayerNode): FeatureMapKind | undefined {
  if (node.shape.isInt) return undefined;
  switch (node.shape.dims.length) {
    case 3:
      return 'grid';
    case 2:
      return 'strip';
    case 1:
      return 'units';
    default:
      return undefined;
  }
}

/** Reads the output of the layer at `path` in the feature maps' pass, inside its tidy (`tf.keep` what must outlive it). */
export interface OutputRead {
  path: string;
  read: (t: tfTypes.Tensor) => void;
}

/**
 * Runs `source.model` on `inputs` (a batch; the first example is read) and
 * returns the feature maps of the layers at `paths`, in that order, all
 * read from that one pass (the source outputs every layer at once). Paths
 * the source does not output, and outputs that are not `[h, w, c]`,
 * `[len, c]` or `[n]` per example, are skipped. `output`, when given, reads the
 * output of the layer at `output.path` in that same pass, inside its tidy
 * (the model's own output for the output strip, without a second pass);
 * several reads may be given (also the inputs of convolutions, kept for
 * their "how this value is computed" breakdown).
 */
export function featureMaps(
  tf: Tf,
  source: ActivationSource,
  inputs: tfTypes.Tensor | tfTypes.Tensor[],
  paths: readonly string[],
  output?: OutputRead | readonly OutputRead[],
): FeatureMap[] {
  const index = new Map(source.paths.map((p, i) => [p, i]));
  const maps: FeatureMap[] = [];
  tf.tidy(() => {
    const out = source.model.predict(inputs);
    const outs = Array.isArray(out) ? out : [out];
    for (const path of paths) {
      const i = index.get(path);
      if (i === undefined || !outs[i]) continue;
      const map = readMap(tf, path, outs[i]);
      if (map) maps.push(map);
    }
    for (const read of output === undefined ? [] : Array.isArray(output) ? output : [output as OutputRead]) {
      const o = index.get(read.path);
      if (o !== undefined && outs[o]) read.read(outs[o]);
    }
  });
  return maps;
}

/** The first example of a layer output as channel-major planes (inside a tidy). */
function readMap(tf: Tf, path: string, t: tfTypes.Tensor): FeatureMap | undefined {
  const dims = t.shape.slice(1);
  if (dims.length < 1 || dims.length > 3) return undefined;
  const first = tf.cast(tf.squeeze(tf.slice(t, 0, 1), [0]), 'float32');
  const [height, width, channels] = dims.length === 3 ? dims : dims.length === 2 ? [1, dims[0], dims[1]] : [1, dims[0], 1];
  const planes = dims.length === 3 ? tf.transpose(first, [2, 0, 1]) : dims.length === 2 ? tf.transpose(first, [1, 0]) : first;
  // A copy of our own (a typed-array copy, not an element-by-element one): the backend may share its buffer.
  const data = new Float32Array(planes.dataSync());
  const { min, max } = channelRanges(data, channels, height * width);
  return { path, kind: dims.length === 3 ? 'grid' : dims.length === 2 ? 'strip' : 'units', height, width, channels, data, min, max };
}

/** Per-channel minimum and maximum of channel-major planes of `plane` values each. */
export function channelRanges(data: Float32Array, channels: number, plane: number): { min: Float32Array; max: Float32Array } {
  const min = new Float32Array(channels);
  const max = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = c * plane, end = i + plane; i < end; i++) {
      const v = data[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    min[c] = plane > 0 ? lo : 0;
    max[c] = plane > 0 ? hi : 0;
  }
  return { min, max };
}
