/**
 * `tanh` on the wasm backend, forward and backward.
 *
 * - Forward: the backend's `Tanh` calls libc's `tanh` per element (6.4 ms
 *   for LeNet's first activation, 64×28×28×6 values: more than the
 *   convolution before it). This one goes through the backend's vectorised
 *   `Sigmoid` (see `registerFastTanh`), or, without it, evaluates Eigen's
 *   rational approximation (the one TensorFlow uses for float tanh, within
 *   3e-7 of `Math.tanh`) in a JavaScript loop over the heap.
 * - Backward: tfjs's gradient is `dy · (1 − y²)` as three kernels
 *   (Square, Sub, Multiply), three passes over the tensor and two
 *   temporaries; on wasm it becomes one pass (`NnTanhGrad`). Other backends
 *   keep the three-op formula.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { Tf } from '../../layers/types';
import { heapKernel, isWasmBackend } from './wasmHeap';

type Info = tfTypes.TensorInfo;
type KernelArgs = Parameters<tfTypes.KernelFunc>[0];

const A1 = 4.89352455891786e-3;
const A3 = 6.37261928875436e-4;
const A5 = 1.48572235717979e-5;
const A7 = 5.12229709037114e-8;
const A9 = -8.60467152213735e-11;
const A11 = 2.00018790482477e-13;
const A13 = -2.76076847742355e-16;
const B0 = 4.89352518554385e-3;
const B2 = 2.268434632439e-3;
const B4 = 1.18534705686654e-4;
const B6 = 1.19825839466702e-6;
/** Beyond this the approximation is flat (tanh is 1 − 3e-7 there). */
const CLAMP = 7.90531110763549805;

/** tanh of every element of `x` into `out` (same length). NaN stays NaN. */
export function tanhInto(x: ArrayLike<number>, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) {
    const v = x[i];
    const c = v > CLAMP ? CLAMP : v < -CLAMP ? -CLAMP : v;
    const c2 = c * c;
    let p = c2 * A13 + A11;
    p = p * c2 + A9;
    p = p * c2 + A7;
    p = p * c2 + A5;
    p = p * c2 + A3;
    p = p * c2 + A1;
    let q = c2 * B6 + B4;
    q = q * c2 + B2;
    q = q * c2 + B0;
    out[i] = (p * c) / q;
  }
}

const MARK = '__nnmodelTanh';
const GRAD_MARK = '__nnmodelTanhGrad';
export const TANH_GRAD_KERNEL = 'NnTanhGrad';

/**
 * Replaces the wasm `Tanh` kernel (float32): `tanh(x) = 2·σ(2x) − 1` with the
 * backend's `Sigmoid` (XNNPACK, vectorised: 0.4 ms for 300 k values) between
 * two plain passes, ~3× faster than `tanhInto` and ~6× faster than the
 * backend's libc `tanh`; within 3e-7 of `Math.tanh` (float32 rounding of σ).
 * Falls back to `tanhInto` where the backend has no `Sigmoid`. False if
 * already done or there is no `Tanh` kernel.
 */
export function registerFastTanh(tf: Tf, backendName = 'wasm'): boolean {
  const original = tf.getKernel('Tanh', backendName);
  if (!original || (original.kernelFunc as unknown as Record<string, unknown>)[MARK]) return false;
  const run = original.kernelFunc;
  const sigmoid = tf.getKernel('Sigmoid', backendName)?.kernelFunc;
  const kernelFunc = (args: KernelArgs) => {
    const x = (args.inputs as { x: Info }).x;
    const backend = args.backend;
    if (x.dtype !== 'float32' || !isWasmBackend(backend)) return run(args);
    if (!sigmoid) return heapKernel(backend, [x], [...x.shape], ([xv], out) => tanhInto(xv, out));
    const doubled = heapKernel(backend, [x], [...x.shape], ([xv], out) => {
      for (let i = 0; i < out.length; i++) out[i] = 2 * xv[i];
    });
    let s: Info;
    try {
      s = sigmoid({ inputs: { x: doubled }, backend, attrs: {} }) as Info;
    } finally {
      (backend as unknown as { disposeData(id: object): void }).disposeData(doubled.dataId);
    }
    const sv = backend.typedArrayFromHeap(s) as Float32Array;
    for (let i = 0; i < sv.length; i++) sv[i] = 2 * sv[i] - 1;
    return s;
  };
  Object.defineProperty(kernelFunc, MARK, { value: true });
  tf.unregisterKernel('Tanh', backendName);
  tf.registerKernel({ ...original, kernelFunc: kernelFunc as tfTypes.KernelFunc });
  return true;
}

/**
 * Registers `NnTanhGrad` (dy · (1 − y²) in one pass) on `backendName` and a
 * `Tanh` gradient that uses it where it is registered.
 */
export function registerTanhGradient(tf: Tf, backendName = 'wasm'): boolean {
  const current = tf.getGradient('Tanh') as (tfTypes.GradConfig & { [GRAD_MARK]?: boolean }) | undefined;
  if (current?.[GRAD_MARK]) return false;
  if (!tf.getKernel(TANH_GRAD_KERNEL, backendName)) {
    const kernelFunc = ({ inputs, backend }: KernelArgs) => {
      const { dy, y } = inputs as { dy: Info; y: Info };
      return heapKernel(backend, [dy, y], [...y.shape], ([d, yv], out) => {
        for (let i = 0; i < out.length; i++) out[i] = d[i] * (1 - yv[i] * yv[i]);
      });
    };
    tf.registerKernel({ kernelName: TANH_GRAD_KERNEL, backendName, kernelFunc: kernelFunc as tfTypes.KernelFunc });
  }
  const config: tfTypes.GradConfig & { [GRAD_MARK]: boolean } = {
    kernelName: 'Tanh',
    outputsToSave: [true],
    gradFunc: (dyIn, saved) => {
      const dy = Array.isArray(dyIn) ? dyIn[0] : dyIn;
      const [y] = saved;
      return {
        x: () => {
          const fused = tf.getKernel(TANH_GRAD_KERNEL, tf.getBackend()) && dy.dtype === 'float32' && y.dtype === 'float32' && sameShape(dy.shape, y.shape);
          if (fused) return tf.engine().runKernel(TANH_GRAD_KERNEL, { dy, y }, {}) as tfTypes.Tensor;
          // tfjs's own formula.
          return tf.mul(dy, tf.sub(tf.scalar(1), tf.square(tf.cast(y, 'float32'))));
        },
      };
    },
    [GRAD_MARK]: true,
  };
  tf.registerGradient(config);
  return true;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
