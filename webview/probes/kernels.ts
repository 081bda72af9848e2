/**
 * Convolution kernels as plain arrays for drawing: a first layer's filters
 * as small grey or RGB images, deeper filters as one `[kh, kw]` grid per
 * (output, input) channel pair. No DOM; every tensor made here is disposed.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { Tf } from '../../extension/core/layers/types';
import { formatRange } from './colormap';

type TfLayer = tfTypes.layers.Layer;

/** The filters of one convolution layer. */
export interface KernelSet {
  /**
   * `image`: one small picture per filter (requested, and 1 or 3 input
   * channels); `grid`: one `[kh, kw]` map per (output, input) channel pair.
   */
  kind: 'image' | 'grid';
  /** Kernel height (1 for a 1-D convolution). */
  kh: number;
  kw: number;
  /** Input channels each filter sees (per group). */
  cin: number;
  /** Filters (output channels). */
  cout: number;
  /** Raw weights, `[cout][cin][kh][kw]` row-major. */
  weights: Float32Array;
  /** Largest absolute weight (0 for an all-zero kernel): the symmetric colour scale. */
  absMax: number;
  min: number;
  max: number;
  /**
   * For `image`: `[cout][kh][kw][cin]` values in [0, 1], `0.5 + 0.5·w/absMax`
   * over the whole layer (so zero is mid-grey and filters compare).
   */
  images?: Float32Array;
}

/** The layer's convolution kernel variable: the weight named `…kernel` of rank 3 or 4. */
function kernelVariable(layer: TfLayer): tfTypes.LayerVariable | undefined {
  const ws = layer.weights.filter((w) => w.shape.length === 3 || w.shape.length === 4);
  return ws.find((w) => /kernel$/.test(w.originalName ?? w.name)) ?? ws[0];
}

/**
 * The parts of a kernel layer's header after its call, each kept on one
 * line (the header wraps between them): "8 filters of 3×3×1",
 * "weights −0.4799 … 0.5321" (both ends in one formatting: colormap.ts
 * `formatRange`).
 */
export function kernelHeaderParts(set: Pick<KernelSet, 'kh' | 'kw' | 'cin' | 'cout' | 'min' | 'max'>): string[] {
  const size = set.kh === 1 ? `${set.kw}` : `${set.kh}×${set.kw}`;
  return [`${set.cout} ${set.cout === 1 ? 'filter' : 'filters'} of ${size}×${set.cin}`, `weights ${formatRange(set.min, set.max)}`];
}

/** Whether the layer has a convolution kernel `kernels` can read. */
export function hasKernel(layer: TfLayer): boolean {
  return kernelVariable(layer) !== undefined;
}

/** The shape of the layer's kernel as stored (`[kh, kw, cin, cout]`, `[k, cin, cout]` for 1-D), without reading its values; undefined without one. */
export function kernelShape(layer: TfLayer): readonly (number | null)[] | undefined {
  return kernelVariable(layer)?.shape;
}

/**
 * The filters of a 1-D or 2-D convolution layer (Keras layout: `[kh, kw,
 * cin, cout]` or `[k, cin, cout]`; a transposed convolution's `[kh, kw,
 * cout, cin]` is read as such). `asImages` asks for pictures, given when
 * there are 1 or 3 input channels (a first layer on grey or RGB images).
 * Undefined when the layer has no kernel.
 */
export function kernels(tf: Tf, layer: TfLayer, options: { asImages?: boolean } = {}): KernelSet | undefined {
  const variable = kernelVariable(layer);
  if (!variable) return undefined;
  const transposed = layer.getClassName() === 'Conv2DTranspose';
  let result: KernelSet | undefined;
  tf.tidy(() => {
    let k = variable.read();
    if (k.shape.length === 3) k = tf.expandDims(k, 0);
    // Now [kh, kw, a, b]: a = cin, b = cout, swapped for a transposed convolution.
    const [kh, kw, a, b] = k.shape as [number, number, number, number];
    const [cin, cout] = transposed ? [b, a] : [a, b];
    const ordered = tf.transpose(k, transposed ? [2, 3, 0, 1] : [3, 2, 0, 1]);
    const weights = Float32Array.from(ordered.dataSync());
    let min = Infinity;
    let max = -Infinity;
    for (const v of weights) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (weights.length === 0) min = max = 0;
    const absMax = Math.max(Math.abs(min), Math.abs(max));
    const set: KernelSet = { kind: 'grid', kh, kw, cin, cout, weights, absMax, min, max };
    if (options.asImages && (cin === 1 || cin === 3)) {
      set.kind = 'image';
      set.images = kernelImages(weights, cout, cin, kh, kw, absMax);
    }
    result = set;
  });
  return result;
}

/** `[cout][cin][kh][kw]` weights → `[cout][kh][kw][cin]` pixels in [0, 1], zero at 0.5. */
export function kernelImages(weights: Float32Array, cout: number, cin: number, kh: number, kw: number, absMax: number): Float32Array {
  const out = new Float32Array(weights.length);
  const scale = absMax > 0 ? 0.5 / absMax : 0;
  for (let o = 0; o < cout; o++) {
    for (let i = 0; i < cin; i++) {
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) {
          const w = weights[((o * cin + i) * kh + y) * kw + x];
          out[((o * kh + y) * kw + x) * cin + i] = 0.5 + w * scale;
        }
      }
    }
  }
  return out;
}
