/**
 * `AvgPoolGrad` on the wasm backend. The backend's kernel gathers, for every
 * input pixel, over every window position that might cover it (4.8 ms for
 * LeNet's first pooling, 64×28×28×6 values, ten times its forward pass).
 * Scattering each output gradient over its own window is one pass over the
 * input with channels innermost: ~0.5 ms. Same semantics as tfjs's CPU
 * kernel: every window's gradient is spread with weight 1 / (window size),
 * padded pixels included, for any size, stride and padding.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { Tf } from '../../layers/types';
import { heapKernel, isWasmBackend } from './wasmHeap';

type Info = tfTypes.TensorInfo;
type KernelArgs = Parameters<tfTypes.KernelFunc>[0];

/** Geometry of a 2-D pooling over an NHWC input. */
export interface PoolGeometry {
  batch: number;
  inH: number;
  inW: number;
  channels: number;
  outH: number;
  outW: number;
  filterH: number;
  filterW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
}

/** dx of an average pooling (zeroed here) from dy: each dy value spread evenly over its window. */
export function avgPoolGradInto(dy: ArrayLike<number>, g: PoolGeometry, dx: Float32Array): void {
  dx.fill(0);
  const C = g.channels;
  const m = 1 / (g.filterH * g.filterW);
  for (let b = 0; b < g.batch; b++) {
    for (let oh = 0; oh < g.outH; oh++) {
      const h0 = oh * g.strideH - g.padTop;
      const hFrom = Math.max(0, h0);
      const hTo = Math.min(g.inH, h0 + g.filterH);
      for (let ow = 0; ow < g.outW; ow++) {
        const w0 = ow * g.strideW - g.padLeft;
        const wFrom = Math.max(0, w0);
        const wTo = Math.min(g.inW, w0 + g.filterW);
        const src = ((b * g.outH + oh) * g.outW + ow) * C;
        for (let h = hFrom; h < hTo; h++) {
          for (let w = wFrom; w < wTo; w++) {
            const dst = ((b * g.inH + h) * g.inW + w) * C;
            for (let c = 0; c < C; c++) dx[dst + c] += dy[src + c] * m;
          }
        }
      }
    }
  }
}

const MARK = '__nnmodelAvgPoolGrad';

/** Replaces the wasm `AvgPoolGrad` (float32) with `avgPoolGradInto`; false if already done or absent. */
export function registerFastAvgPoolGrad(tf: Tf, backendName = 'wasm'): boolean {
  const original = tf.getKernel('AvgPoolGrad', backendName);
  if (!original || (original.kernelFunc as unknown as Record<string, unknown>)[MARK]) return false;
  const run = original.kernelFunc;
  const kernelFunc = (args: KernelArgs) => {
    const { dy, input } = args.inputs as { dy: Info; input: Info };
    if (dy.dtype !== 'float32' || input.shape.length !== 4 || !isWasmBackend(args.backend)) return run(args);
    const a = args.attrs as unknown as { filterSize: number | [number, number]; strides: number | [number, number]; pad: 'valid' | 'same' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
    const g: PoolGeometry = {
      batch: info.batchSize,
      inH: info.inHeight,
      inW: info.inWidth,
      channels: info.inChannels,
      outH: info.outHeight,
      outW: info.outWidth,
      filterH: info.filterHeight,
      filterW: info.filterWidth,
      strideH: info.strideHeight,
      strideW: info.strideWidth,
      padTop: info.padInfo.top,
      padLeft: info.padInfo.left,
    };
    if (dy.shape.join() !== [g.batch, g.outH, g.outW, g.channels].join()) return run(args);
    return heapKernel(args.backend, [dy], [...input.shape], ([d], out) => avgPoolGradInto(d, g, out));
  };
  Object.defineProperty(kernelFunc, MARK, { value: true });
  tf.unregisterKernel('AvgPoolGrad', backendName);
  tf.registerKernel({ ...original, kernelFunc: kernelFunc as tfTypes.KernelFunc });
  return true;
}
