/**
 * Turning pictures into model inputs for the probes: resize to the model's
 * input, convert between grey and RGB, scale to [0, 1] (the range of the
 * built-in data sets). No DOM: images arrive as plain pixel arrays
 * (`ImageData` fits `PixelImage` with 4 channels).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { Graph, ModelInfo } from '../../extension/core/analysis/types';
import type { Tf } from '../../extension/core/layers/types';

/** Pixels, row-major, channels last: 1 (grey), 3 (RGB) or 4 (RGBA). */
export interface PixelImage {
  width: number;
  height: number;
  /** 1, 3 or 4; `ImageData` has no field for it and is RGBA (4). */
  channels?: number;
  /** Bytes (0–255) or floats already in [0, 1]. */
  data: Uint8ClampedArray | Uint8Array | Float32Array;
}

/**
 * A batch of one `[1, h, w, c]` float tensor from `image`: values scaled to
 * [0, 1], alpha dropped, RGB averaged to grey when `c` is 1 and grey
 * repeated when `c` is 3 (other channel counts repeat the grey value),
 * resized bilinearly to `h × w`. A null (symbolic) `h` or `w` keeps the
 * image's own size. The caller disposes the result.
 */
export function imageInput(tf: Tf, image: PixelImage, shape: readonly (number | null)[]): tfTypes.Tensor4D {
  if (shape.length !== 3) throw new Error(`an image input needs a [h, w, c] shape, got [${shape.join(', ')}]`);
  const channels = image.channels ?? 4;
  const h = shape[0] ?? image.height;
  const w = shape[1] ?? image.width;
  const c = shape[2] ?? 3;
  const n = image.width * image.height;
  if (image.data.length !== n * channels) throw new Error(`image data has ${image.data.length} values, expected ${n * channels}`);
  const scale = image.data instanceof Float32Array ? 1 : 1 / 255;
  const colour = channels >= 3;
  const grey = new Float32Array(n);
  const rgb = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const o = i * channels;
    const r = image.data[o] * scale;
    const g = colour ? image.data[o + 1] * scale : r;
    const b = colour ? image.data[o + 2] * scale : r;
    rgb[i * 3] = r;
    rgb[i * 3 + 1] = g;
    rgb[i * 3 + 2] = b;
    grey[i] = colour ? 0.299 * r + 0.587 * g + 0.114 * b : r;
  }
  return tf.tidy(() => {
    let x: tfTypes.Tensor4D =
      c === 3 ? tf.tensor4d(rgb, [1, image.height, image.width, 3]) : tf.tensor4d(grey, [1, image.height, image.width, 1]);
    if (c !== 1 && c !== 3) x = tf.tile(x, [1, 1, 1, c]);
    if (h !== image.height || w !== image.width) x = tf.image.resizeBilinear(x, [h, w], true);
    return tf.clipByValue(x, 0, 1) as tfTypes.Tensor4D;
  });
}

/**
 * A `[1, len, c]` signal from an image for models with a 1-D float input
 * (`[len, c]`): the grey image's rows read one after another, resampled to
 * `len` steps and repeated over `c` channels. The caller disposes it.
 */
export function signalInput(tf: Tf, image: PixelImage, shape: readonly (number | null)[]): tfTypes.Tensor3D {
  if (shape.length !== 2) throw new Error(`a sequence input needs a [len, c] shape, got [${shape.join(', ')}]`);
  const len = shape[0] ?? image.width * image.height;
  const c = shape[1] ?? 1;
  return tf.tidy(() => {
    const grey = imageInput(tf, image, [image.height, image.width, 1]);
    const flat = tf.reshape(grey, [1, image.width * image.height, 1, 1]);
    const resized = tf.image.resizeBilinear(flat as tfTypes.Tensor4D, [len, 1], true);
    return tf.tile(tf.reshape(resized, [1, len, 1]), [1, 1, c]) as tfTypes.Tensor3D;
  });
}

/** Token ids cut or padded (with `pad`) to exactly `length`. */
export function fitTokens(ids: readonly number[], length: number, pad = 0): number[] {
  const out = ids.slice(0, length);
  while (out.length < length) out.push(pad);
  return out;
}

/** How a probe view can feed one model input. */
export interface InputPlan {
  port: number;
  name: string;
  /** `image` [h, w, c] floats; `signal` [len, c] floats; `tokens` int ids [len]; `vector` [n] floats; `other` anything else. */
  kind: 'image' | 'signal' | 'tokens' | 'vector' | 'other';
  /** Per-example shape; null where a symbolic dimension has no value. */
  shape: (number | null)[];
}

/** The model's inputs in port order, with the symbolic dimensions in `dims` filled in. */
export function inputPlans(info: ModelInfo, dims: Readonly<Record<string, number>>): InputPlan[] {
  const plans: InputPlan[] = [];
  for (const id of info.graph.inputs) {
    const node = info.graph.nodes.find((n) => n.id === id);
    if (!node || node.kind !== 'input') continue;
    const shape = node.shape.dims.map((d) => d.evaluate(dims) ?? null);
    const int = node.shape.isInt === true;
    const kind =
      int && shape.length === 1
        ? 'tokens'
        : int
          ? 'other'
          : shape.length === 3
            ? 'image'
            : shape.length === 2
              ? 'signal'
              : shape.length === 1
                ? 'vector'
                : 'other';
    plans[node.port] = { port: node.port, name: node.name, kind, shape };
  }
  return plans;
}

export { smallestVocab } from '../../extension/core/analysis/graph';

/**
 * The largest sequence length the model accepts, from its `positional`
 * layers' `maxlen` (learned position tables have that many rows); undefined
 * when nothing limits it.
 */
export function maxSequenceLength(graph: Graph): number | undefined {
  let best: number | undefined;
  for (const n of graph.nodes) {
    if (n.kind === 'layer' && n.op === 'positional' && typeof n.args['maxlen'] === 'number') best = Math.min(best ?? Infinity, n.args['maxlen']);
    if (n.kind === 'group') {
      for (const r of n.runs) {
        const v = maxSequenceLength(r.body);
        if (v !== undefined) best = Math.min(best ?? Infinity, v);
      }
    }
  }
  return best;
}
