/**
 * Convolution gradients on the wasm backend as one matrix product each,
 * with the patch matrix built by a JavaScript loop over the heap:
 *
 * - filter: `dW[K, co] = colsᵀ[K, N] · dy[N, co]`, where row k = (p, q, ci)
 *   of colsᵀ holds, for every output pixel n = (b, oh, ow), the input value
 *   that filter tap meets (`im2colT`);
 * - input: `dcols[N, K] = dy[N, co] · Wᵀ[co, K]`, then every patch value is
 *   added back to the input pixel it came from (`col2im`).
 *
 * Both products are plain (no transposed operand: the wasm `BatchMatMul`
 * is ~20× slower with one), and the patch matrix is laid out so that no
 * transpose of a large tensor is needed. The earlier formulation as
 * forward convolutions (convGradients.ts) ran XNNPACK with a 28×28 "filter"
 * made of the output gradient (repacked every call) for the filter, and
 * needed pad, reverse and transpose passes for the input. Large batches are
 * cut into chunks so the patch matrix stays under `MAX_COLS` values.
 *
 * Which form is faster depends on the shape (measured on LeNet and VGG
 * layers): convGradients.ts uses these for the filter gradient of layers
 * with few input channels and for the input gradient of strided layers.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { Tf } from '../../layers/types';
import { convPadding, type Padding2D } from './convGradients';

type Info = tfTypes.TensorInfo;
type Tensor = tfTypes.Tensor;
type PadAttr = 'valid' | 'same' | number | number[][];

/** Largest patch matrix built at once (values; 4 bytes each). */
export const MAX_COLS = 1 << 22;

/** Geometry of a 2-D NHWC convolution. */
export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  pad: Padding2D;
}

/**
 * Writes the patch matrix of batch items [b0, b1), transposed: `cols[k * n + j]`
 * for tap k = (p·kW + q)·inC + ci and output pixel j (zero where the tap
 * falls in the padding).
 */
export function im2colT(x: Float32Array, g: ConvGeometry, b0: number, b1: number, cols: Float32Array): void {
  const n = (b1 - b0) * g.outH * g.outW;
  const { inH, inW, inC, outH, outW, strideH, strideW } = g;
  for (let p = 0; p < g.kH; p++) {
    for (let q = 0; q < g.kW; q++) {
      const dh = p * g.dilationH - g.pad.top;
      const dw = q * g.dilationW - g.pad.left;
      // Output columns whose tap lands inside the input: ow in [owFrom, owTo).
      const owFrom = Math.min(outW, Math.max(0, Math.ceil(-dw / strideW)));
      const owTo = Math.max(owFrom, Math.min(outW, Math.floor((inW - 1 - dw) / strideW) + 1));
      for (let ci = 0; ci < inC; ci++) {
        let at = ((p * g.kW + q) * inC + ci) * n;
        for (let b = b0; b < b1; b++) {
          for (let oh = 0; oh < outH; oh++) {
            const h = oh * strideH + dh;
            if (h < 0 || h >= inH) {
              cols.fill(0, at, at + outW);
              at += outW;
              continue;
            }
            const row = ((b * inH + h) * inW + dw) * inC + ci;
            const step = strideW * inC;
            for (let ow = 0; ow < owFrom; ow++) cols[at++] = 0;
            for (let ow = owFrom, src = row + owFrom * step; ow < owTo; ow++, src += step) cols[at++] = x[src];
            for (let ow = owTo; ow < outW; ow++) cols[at++] = 0;
          }
        }
      }
    }
  }
}

/**
 * Adds the patch gradients `dcols[j * K + k]` of batch items [b0, b1) into
 * `dx` (not cleared here) at the input pixels they came from.
 */
export function col2im(dcols: Float32Array, g: ConvGeometry, b0: number, b1: number, dx: Float32Array): void {
  const { inH, inW, inC, outH, outW, kH, kW } = g;
  const K = kH * kW * inC;
  let j = 0;
  for (let b = b0; b < b1; b++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++, j++) {
        const base = j * K;
        for (let p = 0; p < kH; p++) {
          const h = oh * g.strideH + p * g.dilationH - g.pad.top;
          if (h < 0 || h >= inH) continue;
          for (let q = 0; q < kW; q++) {
            const w = ow * g.strideW + q * g.dilationW - g.pad.left;
            if (w < 0 || w >= inW) continue;
            const dst = ((b * inH + h) * inW + w) * inC;
            const src = base + (p * kW + q) * inC;
            for (let ci = 0; ci < inC; ci++) dx[dst + ci] += dcols[src + ci];
          }
        }
      }
    }
  }
}

/** The geometry of a convolution from its input and filter shapes and attributes (NHWC). */
export function convGeometry(
  xShape: readonly number[],
  filterShape: readonly number[],
  strides: [number, number],
  pad: PadAttr,
  dilations: [number, number],
  dyShape: readonly number[],
): ConvGeometry {
  const [batch, inH, inW, inC] = xShape;
  const [kH, kW, , outC] = filterShape;
  const effH = (kH - 1) * dilations[0] + 1;
  const effW = (kW - 1) * dilations[1] + 1;
  return {
    batch,
    inH,
    inW,
    inC,
    outH: dyShape[1],
    outW: dyShape[2],
    outC,
    kH,
    kW,
    strideH: strides[0],
    strideW: strides[1],
    dilationH: dilations[0],
    dilationW: dilations[1],
    pad: convPadding(pad, inH, inW, effH, effW, strides),
  };
}

/** Batch items per chunk so that a chunk's patch matrix has at most MAX_COLS values. */
function chunkSize(g: ConvGeometry, maxCols: number): number {
  const perItem = g.kH * g.kW * g.inC * g.outH * g.outW;
  return Math.max(1, Math.min(g.batch, Math.floor(maxCols / Math.max(1, perItem))));
}

/** The parts of the wasm backend these kernels use. */
export interface HeapBackend {
  makeOutput(shape: number[], dtype: tfTypes.DataType): Info;
  typedArrayFromHeap(info: Info): Float32Array | Int32Array | Uint8Array;
}

/** A float32 tensor of `shape` on the wasm heap, filled by `fill` (the views are taken after allocation). */
function heapTensor(tf: Tf, backend: HeapBackend, shape: number[], inputs: readonly Info[], fill: (ins: Float32Array[], out: Float32Array) => void): Tensor {
  const info = backend.makeOutput(shape, 'float32');
  const ins = inputs.map((t) => backend.typedArrayFromHeap(t) as Float32Array);
  fill(ins, backend.typedArrayFromHeap(info) as Float32Array);
  return tf.engine().makeTensorFromTensorInfo(info) as Tensor;
}

/** dW of a convolution on the wasm backend: [kH, kW, inC, outC]. */
export function filterGradIm2col(tf: Tf, backend: HeapBackend, x: Info, dy: Info, g: ConvGeometry, maxCols = MAX_COLS): Tensor {
  const K = g.kH * g.kW * g.inC;
  const per = g.outH * g.outW;
  const step = chunkSize(g, maxCols);
  return tf.tidy(() => {
    const dy2 = tf.reshape(asTensor(tf, dy), [g.batch * per, g.outC]);
    let acc: Tensor | undefined;
    for (let b0 = 0; b0 < g.batch; b0 += step) {
      const b1 = Math.min(g.batch, b0 + step);
      const n = (b1 - b0) * per;
      const cols = heapTensor(tf, backend, [K, n], [x], ([xv], out) => im2colT(xv, g, b0, b1, out));
      const part = tf.matMul(cols as tfTypes.Tensor2D, (b0 === 0 && b1 === g.batch ? dy2 : tf.slice(dy2, [b0 * per, 0], [n, g.outC])) as tfTypes.Tensor2D);
      cols.dispose();
      acc = acc ? tf.add(acc, part) : part;
    }
    return tf.reshape(acc!, [g.kH, g.kW, g.inC, g.outC]);
  });
}

/** dx of a convolution on the wasm backend: the input's shape. */
export function inputGradIm2col(tf: Tf, backend: HeapBackend, dy: Info, filter: Info, g: ConvGeometry, maxCols = MAX_COLS): Tensor {
  const K = g.kH * g.kW * g.inC;
  const per = g.outH * g.outW;
  const step = chunkSize(g, maxCols);
  return tf.tidy(() => {
    const dy2 = tf.reshape(asTensor(tf, dy), [g.batch * per, g.outC]);
    const wT = tf.transpose(tf.reshape(asTensor(tf, filter), [K, g.outC])) as tfTypes.Tensor2D; // [outC, K], small
    const parts: Tensor[] = [];
    for (let b0 = 0; b0 < g.batch; b0 += step) {
      const b1 = Math.min(g.batch, b0 + step);
      const n = (b1 - b0) * per;
      const dyc = (b0 === 0 && b1 === g.batch ? dy2 : tf.slice(dy2, [b0 * per, 0], [n, g.outC])) as tfTypes.Tensor2D;
      const dcols = tf.matMul(dyc, wT); // [n, K]
      parts.push(heapTensor(tf, backend, [b1 - b0, g.inH, g.inW, g.inC], [dcols], ([d], out) => {
        out.fill(0);
        // col2im indexes the batch from b0; this chunk's output starts at item 0.
        col2im(d, { ...g, batch: b1 - b0 }, 0, b1 - b0, out);
      }));
    }
    return parts.length === 1 ? parts[0] : tf.concat(parts, 0);
  });
}

function asTensor(tf: Tf, info: unknown): Tensor {
  if (info instanceof tf.Tensor) return info;
  const t = info as Info;
  return tf.engine().makeTensorFromTensorInfo({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }) as Tensor;
}


