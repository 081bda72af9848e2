/**
 * The wasm backend's `BatchMatMul` with `transposeA`/`transposeB` set runs
 * ~20× slower than on operands transposed first (measured here: 21.9 ms vs
 * 0.92 ms). Every dense layer's backward pass asks for transposed operands
 * (dx = dy·Wᵀ, dW = xᵀ·dy), so training on wasm pays it on every step. This
 * wraps the backend's own kernel: transposed operands are materialised with
 * the `Transpose` kernel, then the plain product runs.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { Tf } from '../../layers/types';

const MARK = '__nnmodelPlainBatchMatMul';

type KernelArgs = Parameters<tfTypes.KernelFunc>[0];
type Info = tfTypes.TensorInfo;

/** Replaces `BatchMatMul` on `backendName`; false when that backend has none or it is already replaced. */
export function registerPlainBatchMatMul(tf: Tf, backendName = 'wasm'): boolean {
  const original = tf.getKernel('BatchMatMul', backendName);
  const transpose = tf.getKernel('Transpose', backendName);
  if (!original || !transpose) return false;
  if ((original.kernelFunc as unknown as Record<string, unknown>)[MARK]) return false;
  const run = original.kernelFunc;
  const swapLast = (t: Info, backend: KernelArgs['backend']): Info => {
    const perm = t.shape.map((_, i) => i);
    perm[perm.length - 2] = perm.length - 1;
    perm[perm.length - 1] = perm.length - 2;
    return transpose.kernelFunc({ inputs: { x: t }, backend, attrs: { perm } }) as Info;
  };
  const kernelFunc = (args: KernelArgs) => {
    const { inputs, backend } = args;
    const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    if (!attrs.transposeA && !attrs.transposeB) return run(args);
    const { a, b } = inputs as { a: Info; b: Info };
    const a2 = attrs.transposeA ? swapLast(a, backend) : a;
    const b2 = attrs.transposeB ? swapLast(b, backend) : b;
    try {
      return run({ inputs: { ...inputs, a: a2, b: b2 }, backend, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
    } finally {
      const owner = backend as unknown as { disposeData(id: object): void };
      if (a2 !== a) owner.disposeData(a2.dataId);
      if (b2 !== b) owner.disposeData(b2.dataId);
    }
  };
  Object.defineProperty(kernelFunc, MARK, { value: true });
  tf.unregisterKernel('BatchMatMul', backendName);
  tf.registerKernel({ ...original, kernelFunc: kernelFunc as tfTypes.KernelFunc });
  return true;
}
