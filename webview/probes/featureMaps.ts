/**
 * Feature maps: what a model's convolution, pooling and sequence layers
 * produce for one example, read back as plain arrays for drawing. No DOM;
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
  /** `grid`: 2-D maps (`[h, w, c]` outputs); `strip`: 1-D heat strips (`[len, c]` outputs). */
  kind: 'grid' | 'strip';
  /** Rows of one channel's map (1 for a strip). */
  height: number;
  /** Columns of one channel's map (the length for a strip). */
  width: number;
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

const MAP_CATEGORIES = new Set(['conv', 'pool']);
const STRIP_CATEGORIES = new Set(['conv', 'pool', 'recurrent', 'attention', 'embedding']);

/**
 * The layers worth showing as feature maps, in topological order:
 * convolution and pooling layers with `[h, w, c]` outputs (grids), and
 * convolution, pooling, recurrent, attention and embedding layers with
 * `[len, c]` outputs (strips). Global pooling (`[c]`) is left out.
 */
export function featureMapLayers(built: Pick<BuiltModel, 'layerPaths' | 'nodeOf'>): { path: string; node: LayerNode; kind: 'grid' | 'strip' }[] {
  const out: { path: string; node: LayerNode; kind: 'grid' | 'strip' }[] = [];
  for (const path of built.layerPaths) {
    const node = built.nodeOf.get(path);
    if (!node) continue;
    const rank = node.shape.dims.length;
    if (rank === 3 && MAP_CATEGORIES.has(node.category)) out.push({ path, node, kind: 'grid' });
    else if (rank === 2 && !node.shape.isInt && STRIP_CATEGORIES.has(node.category)) out.push({ path, node, kind: 'strip' });
  }
  return out;
}

/**
 * Runs `source.model` on `inputs` (a batch; the first example is read) and
 * returns the feature maps of the layers at `paths`, in that order. Paths
 * the source does not output, and outputs that are not `[h, w, c]` or
 * `[len, c]` per example, are skipped. `output`, when given, reads the
 * output of the layer at `output.path` in that same pass, inside its tidy
 * (the model's own output for the output strip, without a second pass).
 */
export function featureMaps(
  tf: Tf,
  source: ActivationSource,
  inputs: tfTypes.Tensor | tfTypes.Tensor[],
  paths: readonly string[],
  output?: { path: string; read: (t: tfTypes.Tensor) => void },
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
    const o = output && index.get(output.path);
    if (o !== undefined && outs[o]) output!.read(outs[o]);
  });
  return maps;
}

/** The first example of a layer output as channel-major planes (inside a tidy). */
function readMap(tf: Tf, path: string, t: tfTypes.Tensor): FeatureMap | undefined {
  const dims = t.shape.slice(1);
  if (dims.length !== 2 && dims.length !== 3) return undefined;
  const first = tf.cast(tf.squeeze(tf.slice(t, 0, 1), [0]), 'float32');
  const [height, width, channels] = dims.length === 3 ? dims : [1, dims[0], dims[1]];
  const planes = dims.length === 3 ? tf.transpose(first, [2, 0, 1]) : tf.transpose(first, [1, 0]);
  const data = Float32Array.from(planes.dataSync());
  const { min, max } = channelRanges(data, channels, height * width);
  return { path, kind: dims.length === 3 ? 'grid' : 'strip', height, width, channels, data, min, max };
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
