/**
 * The wasm backend's `BatchMatMul` has one fast path (XNNPACK), taken only
 * for a single product without a transposed left operand; everything else
 * runs a plain C++ loop:
 *
 * - with `transposeA`/`transposeB` set it is ~20× slower than on operands
 *   transposed first (measured here: 21.9 ms vs 0.92 ms). Every dense
 *   layer's backward pass asks for transposed operands (dx = dy·Wᵀ,
 *   dW = xᵀ·dy), so training on wasm pays it on every step;
 * - with a batch of products (attention: [batch, heads, seq, seq] ×
 *   [batch, heads, seq, dk]) it is ~3× slower than the same products one
 *   at a time on the fast path (9.9 ms vs 3.0 ms for 64 products of
 *   64×64×32; attention made a third of a GPTSmall training step).
 *
 * This wraps the backend's own kernel: transposed operands are
 * materialised with the `Transpose` kernel, and a batch of products large
 * enough to pay for a call each is run as single products on copies of the
 * slices, written into one output.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { Tf } from '../../layers/types';
import { isWasmBackend } from './wasmHeap';

const MARK = '__nnmodelPlainBatchMatMul';
/**
 * Multiply-adds per product from which one fast call per product beats the
 * batched loop: a call costs ~12 µs, the loop ~1.5 ns per multiply-add
 * (measured: 64 products of 64×64×32 take 3.0 ms instead of 9.9 ms; of
 * 16×16×16, 0.8 ms instead of 0.4 ms).
 */
export const PER_PRODUCT_MIN_MACS = 16384;

type KernelArgs = Parameters<tfTypes.KernelFunc>[0];
type Info = tfTypes.TensorInfo;

interface WasmBackendInternals {
  makeOutput(shape: number[], dtype: tfTypes.DataType): Info;
  typedArrayFromHeap(info: Info): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object, force?: boolean): void;
}

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

  /** a [..., M, K] · b [..., K, N] (no transposes), batch dims broadcast, one fast call per product. */
  const perProduct = (a: Info, b: Info, backend: WasmBackendInternals): Info | undefined => {
    const M = a.shape[a.shape.length - 2];
    const K = a.shape[a.shape.length - 1];
    const N = b.shape[b.shape.length - 1];
    const outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const count = outer.reduce((p, d) => p * d, 1);
    const countA = a.shape.slice(0, -2).reduce((p, d) => p * d, 1);
    const countB = b.shape.slice(0, -2).reduce((p, d) => p * d, 1);
    // Broadcasting other than "all" or "one" (e.g. [2, 1] against [1, 3]) keeps the backend's loop.
    if (count <= 1 || M * K * N < PER_PRODUCT_MIN_MACS || (countA !== count && countA !== 1) || (countB !== count && countB !== 1)) return undefined;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
    const out = backend.makeOutput([...outer, M, N], 'float32');
    for (let i = 0; i < count; i++) {
      const ai = backend.makeOutput([1, M, K], 'float32');
      const bi = backend.makeOutput([1, K, N], 'float32');
      // Views after each allocation: a heap that grows detaches older ones.
      const ia = countA === 1 ? 0 : i;
      const ib = countB === 1 ? 0 : i;
      (backend.typedArrayFromHeap(ai) as Float32Array).set((backend.typedArrayFromHeap(a) as Float32Array).subarray(ia * M * K, (ia + 1) * M * K));
      (backend.typedArrayFromHeap(bi) as Float32Array).set((backend.typedArrayFromHeap(b) as Float32Array).subarray(ib * K * N, (ib + 1) * K * N));
      const oi = run({ inputs: { a: ai, b: bi }, backend: backend as never, attrs: { transposeA: false, transposeB: false } }) as Info;
      (backend.typedArrayFromHeap(out) as Float32Array).set(backend.typedArrayFromHeap(oi) as Float32Array, i * M * N);
      backend.disposeData(ai.dataId);
      backend.disposeData(bi.dataId);
      backend.disposeData(oi.dataId);
    }
    return out;
  };

  const kernelFunc = (args: KernelArgs) => {
    const { inputs, backend } = args;
    const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    const { a, b } = inputs as { a: Info; b: Info };
    const a2 = attrs.transposeA ? swapLast(a, backend) : a;
    const b2 = attrs.transposeB ? swapLast(b, backend) : b;
    const owner = backend as unknown as WasmBackendInternals;
    try {
      const batched = isWasmBackend(backend) ? perProduct(a2, b2, owner) : undefined;
      if (batched) return batched;
      if (a2 === a && b2 === b) return run(args);
      return run({ inputs: { ...inputs, a: a2, b: b2 }, backend, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
    } finally {
      if (a2 !== a) owner.disposeData(a2.dataId);
      if (b2 !== b) owner.disposeData(b2.dataId);
    }
  };
  Object.defineProperty(kernelFunc, MARK, { value: true });
  tf.unregisterKernel('BatchMatMul', backendName);
  tf.registerKernel({ ...original, kernelFunc: kernelFunc as tfTypes.KernelFunc });
  return true;
}
