/**
 * Convolution gradients that TensorFlow.js 4.22 lacks:
 *
 * - `Conv2DBackpropFilter` for the wasm backend (it has no such kernel, so
 *   training any conv net there fails). The filter gradient is itself a
 *   convolution: of the input with the output gradient as the filter, with
 *   batch and channels swapped by transposes. A forward conv is fast on wasm
 *   (XNNPACK), so this costs about as much as the forward pass.
 * - The gradient of `Conv2D` with dilation > 1 (tfjs asserts dilation 1 in
 *   the gradient on every backend, so a dilated `conv1d`, as in a TCN,
 *   cannot train). Both parts are again forward convolutions: the filter
 *   gradient strides by the dilation, the input gradient is a full
 *   correlation of the padded output gradient with the flipped filter.
 *
 * Shapes are NHWC (the only layout the layers use). `pad` is 'valid',
 * 'same', a number, or explicit `[[0,0],[top,bottom],[left,right],[0,0]]`.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { Tf } from '../../layers/types';
import { convGeometry, filterGradIm2col, inputGradIm2col } from './im2col';
import { isWasmBackend } from './wasmHeap';

type Tensor4D = tfTypes.Tensor4D;
type PadAttr = 'valid' | 'same' | number | number[][];

/** Top, bottom, left, right padding of a 2-D convolution, as TensorFlow computes it. */
export interface Padding2D {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/**
 * Padding of an NHWC convolution over an `inH × inW` input with an
 * effective (dilated) kernel of `kH × kW` and the given strides.
 */
export function convPadding(pad: PadAttr, inH: number, inW: number, kH: number, kW: number, strides: [number, number]): Padding2D {
  if (pad === 'valid') return { top: 0, bottom: 0, left: 0, right: 0 };
  if (typeof pad === 'number') return { top: pad, bottom: pad, left: pad, right: pad };
  if (pad === 'same') {
    const along = (size: number, k: number, s: number) => Math.max((Math.ceil(size / s) - 1) * s + k - size, 0);
    const h = along(inH, kH, strides[0]);
    const w = along(inW, kW, strides[1]);
    return { top: Math.floor(h / 2), bottom: h - Math.floor(h / 2), left: Math.floor(w / 2), right: w - Math.floor(w / 2) };
  }
  if (Array.isArray(pad) && pad.length === 4) return { top: pad[1][0], bottom: pad[1][1], left: pad[2][0], right: pad[2][1] };
  throw new Error(`unsupported convolution padding ${JSON.stringify(pad)}`);
}

const pair = (v: number | number[] | undefined): [number, number] =>
  v === undefined ? [1, 1] : typeof v === 'number' ? [v, v] : [v[0], v[v.length === 4 ? 2 : 1] ?? v[0]];

/**
 * The filter gradient of `y = conv2d(x, w, strides, pad, 'NHWC', dilations)`
 * from ops (any backend): `dW[p, q, ci, co] = Σ x_pad[b, oh·s + p·d, ow·s + q·d, ci] · dy[b, oh, ow, co]`.
 * With the batch moved to the channel axis of x and to the input-channel
 * axis of dy, that is a forward convolution whose stride is the dilation
 * and whose dilation is the stride.
 */
export function convFilterGrad(
  tf: Tf,
  x: Tensor4D,
  dy: Tensor4D,
  filterShape: readonly number[],
  strides: [number, number],
  pad: PadAttr,
  dilations: [number, number],
): Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, ci, co] = filterShape;
    const effH = (kh - 1) * dilations[0] + 1;
    const effW = (kw - 1) * dilations[1] + 1;
    const p = convPadding(pad, x.shape[1], x.shape[2], effH, effW, strides);
    const xp = p.top || p.bottom || p.left || p.right ? tf.pad(x, [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]]) : x;
    const xT = tf.transpose(xp, [3, 1, 2, 0]) as Tensor4D; // [ci, H, W, b]
    const dyT = tf.transpose(dy, [1, 2, 0, 3]) as Tensor4D; // [oh, ow, b, co]
    // tfjs refuses stride > 1 together with dilation > 1; the catalogue never combines them.
    const r = tf.conv2d(xT, dyT, dilations, 'valid', 'NHWC', strides); // [ci, ≥kh, ≥kw, co]
    const cut = r.shape[1] === kh && r.shape[2] === kw ? r : tf.slice(r, [0, 0, 0, 0], [ci, kh, kw, co]);
    return tf.transpose(cut, [1, 2, 0, 3]) as Tensor4D;
  });
}

/**
 * The input gradient of a stride-1 dilated convolution: pad dy by the
 * dilated kernel's reach on both sides, correlate with the filter flipped
 * in space and with in/out channels swapped, then crop the input's padding.
 */
export function dilatedConvInputGrad(
  tf: Tf,
  xShape: readonly number[],
  dy: Tensor4D,
  filter: Tensor4D,
  pad: PadAttr,
  dilations: [number, number],
): Tensor4D {
  return tf.tidy(() => {
    const [kh, kw] = filter.shape;
    const effH = (kh - 1) * dilations[0] + 1;
    const effW = (kw - 1) * dilations[1] + 1;
    const p = convPadding(pad, xShape[1], xShape[2], effH, effW, [1, 1]);
    const dyp = tf.pad(dy, [[0, 0], [effH - 1, effH - 1], [effW - 1, effW - 1], [0, 0]]);
    const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as Tensor4D;
    const full = tf.conv2d(dyp, flipped, 1, 'valid', 'NHWC', dilations); // the padded input's gradient
    return tf.slice(full, [0, p.top, p.left, 0], [xShape[0], xShape[1], xShape[2], xShape[3]]) as Tensor4D;
  });
}

/**
 * The input gradient of `conv2d(x, w, strides, pad)` (dilation 1) as a
 * forward convolution: dy spread out by the stride (zeros between), padded
 * by k − 1 in front, correlated with the filter flipped in space and with
 * in/out channels swapped; the input's padding is cropped from the result.
 */
export function convInputGrad(
  tf: Tf,
  xShape: readonly number[],
  dy: Tensor4D,
  filter: Tensor4D,
  strides: [number, number],
  pad: PadAttr,
): Tensor4D {
  return tf.tidy(() => {
    const [kh, kw] = filter.shape;
    const [b, H, W, ci] = xShape;
    const p = convPadding(pad, H, W, kh, kw, strides);
    const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as Tensor4D;
    if (strides[0] === 1 && strides[1] === 1) {
      // The padding goes to the convolution itself (no padded copy of dy, no crop):
      // k − 1 − top rows before dy and k − 1 − bottom after give exactly H rows.
      const [, oh, ow] = dy.shape;
      const padH: [number, number] = [kh - 1 - p.top, H - oh + p.top];
      const padW: [number, number] = [kw - 1 - p.left, W - ow + p.left];
      if (padH[0] >= 0 && padH[1] >= 0 && padW[0] >= 0 && padW[1] >= 0) {
        return tf.conv2d(dy, flipped, 1, [[0, 0], padH, padW, [0, 0]]) as Tensor4D;
      }
    }
    let d: Tensor4D = dy;
    if (strides[0] > 1 || strides[1] > 1) {
      const [, oh, ow, co] = dy.shape;
      const spread = tf.pad(tf.reshape(dy, [b, oh, 1, ow, 1, co]), [[0, 0], [0, 0], [0, strides[0] - 1], [0, 0], [0, strides[1] - 1], [0, 0]]);
      d = tf.reshape(spread, [b, oh * strides[0], ow * strides[1], co]) as Tensor4D;
    }
    const right = (len: number, top: number, size: number, k: number) => Math.max(0, top + size + k - 1 - (len + k - 1));
    const padded = tf.pad(d, [[0, 0], [kh - 1, right(d.shape[1], p.top, H, kh)], [kw - 1, right(d.shape[2], p.left, W, kw)], [0, 0]]);
    const full = tf.conv2d(padded, flipped, 1, 'valid');
    return tf.slice(full, [0, p.top, p.left, 0], [b, H, W, ci]) as Tensor4D;
  });
}

const INPUT_KERNEL_MARK = '__nnmodelConv2DBackpropInput';

/**
 * Replaces the wasm backend's `Conv2DBackpropInput` (a plain loop, ~6× the
 * cost of a forward convolution: 32 ms of LeNet's 75 ms step) with
 * `convInputGrad`, which runs on the fast forward convolution.
 */
export function registerFastConv2DBackpropInput(tf: Tf, backendName = 'wasm'): boolean {
  const original = tf.getKernel('Conv2DBackpropInput', backendName);
  if (!original || (original.kernelFunc as unknown as Record<string, unknown>)[INPUT_KERNEL_MARK]) return false;
  const kernelFunc = ({ inputs, attrs, backend }: { inputs: Record<string, unknown>; attrs?: Record<string, unknown>; backend: unknown }) => {
    const a = attrs ?? {};
    if (a.dataFormat !== undefined && a.dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropInput: only NHWC is supported, got ${String(a.dataFormat)}`);
    const { dy, filter } = inputs as { dy: Tensor4D; filter: Tensor4D };
    const strides = pair(a.strides as number[]);
    if ((strides[0] > 1 || strides[1] > 1) && isWasmBackend(backend) && dy.dtype === 'float32' && filter.dtype === 'float32') {
      // With a stride, the forward-convolution form convolves a dy spread out with zeros (s² times the work): im2col is ~2× faster.
      const g = convGeometry(a.inputShape as number[], filter.shape, strides, a.pad as PadAttr, [1, 1], dy.shape);
      return inputGradIm2col(tf, backend, dy, filter, g);
    }
    return convInputGrad(tf, a.inputShape as number[], asTensor(tf, dy), asTensor(tf, filter), strides, a.pad as PadAttr);
  };
  Object.defineProperty(kernelFunc, INPUT_KERNEL_MARK, { value: true });
  tf.unregisterKernel('Conv2DBackpropInput', backendName);
  tf.registerKernel({ ...original, kernelFunc: kernelFunc as unknown as tfTypes.KernelFunc });
  return true;
}

const FILTER_KERNEL_MARK = '__nnmodelConv2DBackpropFilter';
/** Input channels up to which the wasm filter gradient uses im2col (measured: faster at 1 and 3, slower at 6 and 32). */
const IM2COL_MAX_CHANNELS = 4;

/**
 * Registers `Conv2DBackpropFilter` for `backendName` when that backend has
 * none (wasm). Returns whether a kernel was registered now.
 */
export function registerConv2DBackpropFilter(tf: Tf, backendName = 'wasm'): boolean {
  if (tf.getKernel('Conv2DBackpropFilter', backendName)) return false;
  const kernelFunc = ({ inputs, attrs, backend }: { inputs: Record<string, unknown>; attrs?: Record<string, unknown>; backend: unknown }) => {
    const { x, dy } = inputs as { x: Tensor4D; dy: Tensor4D };
    const a = attrs ?? {};
    if (a.dataFormat !== undefined && a.dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropFilter: only NHWC is supported, got ${String(a.dataFormat)}`);
    if (x.shape[3] <= IM2COL_MAX_CHANNELS && isWasmBackend(backend) && x.dtype === 'float32' && dy.dtype === 'float32') {
      // Few input channels (a network's first layer, on images): the forward-convolution form below
      // has only kh·kw·ci output pixels over a huge "filter"; one matrix product is 1–3× faster.
      const g = convGeometry(x.shape, a.filterShape as number[], pair(a.strides as number[]), a.pad as PadAttr, [1, 1], dy.shape);
      return filterGradIm2col(tf, backend, x, dy, g);
    }
    // Tensors handed to a kernel are TensorInfos; wrap them so ops accept them (no copy).
    const xt = asTensor(tf, x);
    const dyt = asTensor(tf, dy);
    const out = convFilterGrad(tf, xt, dyt, a.filterShape as number[], pair(a.strides as number[]), a.pad as PadAttr, [1, 1]);
    xt === (x as unknown) || tf.dispose(xt);
    dyt === (dy as unknown) || tf.dispose(dyt);
    return out;
  };
  Object.defineProperty(kernelFunc, FILTER_KERNEL_MARK, { value: true });
  tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName, kernelFunc: kernelFunc as unknown as tfTypes.KernelFunc });
  return true;
}

/** A Tensor over a kernel input (a TensorInfo when called by the engine; already a Tensor from tests). */
function asTensor(tf: Tf, info: unknown): Tensor4D {
  if (info instanceof tf.Tensor) return info as Tensor4D;
  const t = info as { dataId: object; shape: number[]; dtype: tfTypes.DataType };
  return tf.engine().makeTensorFromTensorInfo({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }) as Tensor4D;
}

const GRAD_MARK = '__nnmodelConv2DGrad';

/**
 * Replaces the `Conv2D` gradient with one that also handles dilation > 1
 * (stride 1, as tfjs requires for dilated convolutions). Dilation 1 keeps
 * tfjs's own kernels (`Conv2DBackpropInput`, `Conv2DBackpropFilter`).
 */
export function registerDilatedConv2DGradient(tf: Tf): boolean {
  const current = tf.getGradient('Conv2D') as (tfTypes.GradConfig & { [GRAD_MARK]?: boolean }) | undefined;
  if (current?.[GRAD_MARK]) return false;
  const config: tfTypes.GradConfig & { [GRAD_MARK]: boolean } = {
    kernelName: 'Conv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dyIn, saved, attrs) => {
      const dy = (Array.isArray(dyIn) ? dyIn[0] : dyIn) as Tensor4D;
      const [x, filter] = saved as [Tensor4D, Tensor4D];
      const strides = pair(attrs.strides as number[]);
      const dilations = pair(attrs.dilations as number[] | number | undefined);
      const pad = attrs.pad as PadAttr;
      const dataFormat = (attrs.dataFormat as 'NHWC' | 'NCHW' | undefined) ?? 'NHWC';
      if (dilations[0] === 1 && dilations[1] === 1) {
        return {
          x: () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { strides, pad, dataFormat, inputShape: x.shape, dimRoundingMode: attrs.dimRoundingMode } as never) as Tensor4D,
          filter: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides, pad, dataFormat, filterShape: filter.shape, dimRoundingMode: attrs.dimRoundingMode } as never) as Tensor4D,
        };
      }
      if (dataFormat !== 'NHWC') throw new Error('gradient of a dilated conv2d: only NHWC is supported');
      if (strides[0] !== 1 || strides[1] !== 1) throw new Error('gradient of a dilated conv2d: stride must be 1');
      return {
        x: () => dilatedConvInputGrad(tf, x.shape, dy, filter, pad, dilations),
        filter: () => convFilterGrad(tf, x, dy, filter.shape, strides, pad, dilations),
      };
    },
    [GRAD_MARK]: true,
  };
  tf.registerGradient(config);
  return true;
}
