/**
 * `tf.image.transform` (bilinear) rebuilt from differentiable ops, for the
 * augmentation layers (`random_rotation`, `random_translation`,
 * `random_zoom`). TensorFlow.js's `Transform` kernel has no gradient, so a
 * trainable layer before one of those layers (a conv, or a GAN's generator
 * feeding a discriminator that augments its input) could not train:
 * "gradient function not found for Transform".
 *
 * The transforms are plain numbers drawn in JavaScript, so the source pixel
 * of every output pixel is computed here, as tfjs-backend-cpu's kernel does
 * (its coordinate mapping and fill modes, in double precision from the
 * float32 transform values), as its four neighbours and their bilinear
 * weights. On webgl the image then goes through one `gather` (whose
 * gradient is a segment sum) and a weighted sum; on cpu and wasm, whose
 * tensors are in CPU memory, a loop applies the same taps (a custom
 * gradient spreads them back), 10 times faster than the wasm gather. The
 * gradient reaches the image; none is needed for the transforms. A whole
 * batch goes in one call on every backend (the CPU kernel of tfjs 4.22
 * transforms only the first image of a batch; the wasm kernel's `reflect`
 * reads other pixels than the CPU kernel's, Keras's and PyTorch's left of
 * and above the image).
 */
import type { TfTensor } from './common';
import type { Tf } from './types';

export type TransformFill = 'reflect' | 'constant' | 'nearest';

/**
 * tfjs-backend-cpu's `mapCoordReflect` / `mapCoordNearest` / `mapCoordConstant`:
 * where an input coordinate outside [0, len − 1] reads.
 */
export function mapCoord(coord: number, len: number, fill: TransformFill): number {
  if (fill === 'constant') return coord;
  let c = coord;
  if (fill === 'reflect') {
    // Reflect [abcd] to [dcba|abcd|dcba].
    if (c < 0) {
      if (len <= 1) c = 0;
      else {
        const sz2 = 2 * len;
        if (c < sz2) c = sz2 * Math.trunc(-c / sz2) + c;
        c = c < -len ? c + sz2 : -c - 1;
      }
    } else if (c > len - 1) {
      if (len <= 1) c = 0;
      else {
        const sz2 = 2 * len;
        c -= sz2 * Math.trunc(c / sz2);
        if (c >= len) c = sz2 - c - 1;
      }
    }
  }
  return Math.min(Math.max(c, 0), len - 1);
}

/** The bilinear taps of a transform: 4 per output pixel, in pixel order. */
export interface TransformTaps {
  /** Row of each tap in the image flattened to [n·h·w, c] (an in-image row, 0-weighted, for taps outside it). */
  index: Int32Array;
  /** Weight of each tap (0 outside the image). */
  weight: Float32Array;
  /** Per output pixel, the weight the fill value gets (the taps outside the image, or 1 when the projection is 0). */
  fillWeight: Float32Array;
}

/**
 * The taps of `tf.image.transform(image [n, h, w, c], rows, 'bilinear', fill)`,
 * `rows` being 8 numbers per image (output pixel → input pixel, as
 * `tf.image.transform` reads them).
 */
export function transformTaps(rows: ArrayLike<number>, n: number, h: number, w: number, fill: TransformFill): TransformTaps {
  if (rows.length !== n * 8) throw new Error(`transformTaps: ${rows.length} transform numbers for ${n} images (8 each)`);
  // The kernel reads the transforms as float32 and computes in double.
  const t = Float32Array.from(rows);
  const pixels = n * h * w;
  const index = new Int32Array(pixels * 4);
  const weight = new Float32Array(pixels * 4);
  const fillWeight = new Float32Array(pixels);
  const wy = [0, 0];
  const wx = [0, 0];
  let p = 0;
  for (let b = 0; b < n; b++) {
    const o = b * 8;
    const base = b * h * w;
    for (let oy = 0; oy < h; oy++) {
      for (let ox = 0; ox < w; ox++, p++) {
        index.fill(base, p * 4, p * 4 + 4);
        const projection = t[o + 6] * ox + t[o + 7] * oy + 1;
        if (projection === 0) {
          // Infinite coordinates: the fill value, as the kernel does.
          fillWeight[p] = 1;
          continue;
        }
        const x = mapCoord((t[o] * ox + t[o + 1] * oy + t[o + 2]) / projection, w, fill);
        const y = mapCoord((t[o + 3] * ox + t[o + 4] * oy + t[o + 5]) / projection, h, fill);
        const yF = Math.floor(y);
        const xF = Math.floor(x);
        wy[0] = yF + 1 - y;
        wy[1] = y - yF;
        wx[0] = xF + 1 - x;
        wx[1] = x - xF;
        let outside = 0;
        for (let k = 0; k < 4; k++) {
          const yy = yF + (k >> 1);
          const xx = xF + (k & 1);
          const wk = wy[k >> 1] * wx[k & 1];
          if (yy >= 0 && yy < h && xx >= 0 && xx < w) {
            index[p * 4 + k] = base + yy * w + xx;
            weight[p * 4 + k] = wk;
          } else outside += wk;
        }
        fillWeight[p] = outside;
      }
    }
  }
  return { index, weight, fillWeight };
}

/** `out[p, :] = Σ_k weight[4p + k] · image[index[4p + k], :]` (+ the fill), with `c` channels. */
export function applyTaps(image: ArrayLike<number>, taps: TransformTaps, c: number, fillValue: number, out: Float32Array): Float32Array {
  const { index, weight, fillWeight } = taps;
  for (let p = 0; p < fillWeight.length; p++) {
    const i0 = index[p * 4] * c;
    const i1 = index[p * 4 + 1] * c;
    const i2 = index[p * 4 + 2] * c;
    const i3 = index[p * 4 + 3] * c;
    const w0 = weight[p * 4];
    const w1 = weight[p * 4 + 1];
    const w2 = weight[p * 4 + 2];
    const w3 = weight[p * 4 + 3];
    const f = fillWeight[p] * fillValue;
    for (let k = 0; k < c; k++) out[p * c + k] = w0 * image[i0 + k] + w1 * image[i1 + k] + w2 * image[i2 + k] + w3 * image[i3 + k] + f;
  }
  return out;
}

/** The gradient of `applyTaps` with respect to the image: each output pixel's `dy` spread back over its taps. */
export function spreadTaps(dy: ArrayLike<number>, taps: TransformTaps, c: number, out: Float32Array): Float32Array {
  const { index, weight } = taps;
  for (let t = 0; t < index.length; t++) {
    const wt = weight[t];
    if (wt === 0) continue;
    const src = (t >> 2) * c;
    const dst = index[t] * c;
    for (let k = 0; k < c; k++) out[dst + k] += wt * dy[src + k];
  }
  return out;
}

/**
 * How `imageTransform` computes: `loop` reads the image into JavaScript and
 * runs the taps there (forward and gradient), `ops` gathers on the backend.
 * `auto`: `loop` on cpu and wasm, whose tensors live in CPU memory (the wasm
 * Gather kernel costs ~40 ns an element, 10 times the loop), `ops` elsewhere
 * (webgl: no read-back).
 */
export type TransformPath = 'auto' | 'loop' | 'ops';

/**
 * `tf.image.transform(x, rows, 'bilinear', fill, fillValue)` for a batch
 * `x` of [n, h, w, c] images, `rows` 8 numbers per image, with a gradient
 * with respect to `x` (the transforms get none). Call it inside `tf.tidy`.
 */
export function imageTransform(tf: Tf, x: TfTensor, rows: ArrayLike<number>, fill: TransformFill, fillValue = 0, path: TransformPath = 'auto'): TfTensor {
  if (x.rank !== 4) throw new Error(`imageTransform: images of rank 4 expected, got shape [${x.shape}]`);
  const [n, h, w, c] = x.shape;
  const pixels = n * h * w;
  const taps = transformTaps(rows, n, h, w, fill);
  const backend = tf.getBackend();
  if (path === 'loop' || (path === 'auto' && (backend === 'cpu' || backend === 'wasm'))) {
    const op = tf.customGrad((...args: unknown[]) => ({
      value: tf.tensor4d(applyTaps((args[0] as TfTensor).dataSync(), taps, c, fillValue, new Float32Array(pixels * c)), [n, h, w, c]),
      gradFunc: (dy: TfTensor) => tf.tensor4d(spreadTaps(dy.dataSync(), taps, c, new Float32Array(pixels * c)), [n, h, w, c]),
    }));
    return (op as unknown as (t: TfTensor) => TfTensor)(x);
  }
  const picked = tf.gather(tf.reshape(x, [pixels, c]), tf.tensor1d(taps.index, 'int32')); // [4·pixels, c]
  const weighted = tf.mul(tf.reshape(picked, [pixels, 4, c]), tf.tensor3d(taps.weight, [pixels, 4, 1]));
  let y = tf.sum(weighted, 1);
  if (fillValue !== 0) y = tf.add(y, tf.mul(tf.tensor2d(taps.fillWeight, [pixels, 1]), fillValue));
  return tf.reshape(y, [n, h, w, c]);
}
