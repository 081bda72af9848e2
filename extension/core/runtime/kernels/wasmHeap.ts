/**
 * Plain-JavaScript kernels over the wasm backend's memory. The wasm backend
 * keeps every tensor in the WebAssembly heap, so a kernel can read its
 * inputs and write its output as typed-array views of that heap, with no
 * copy. For element-wise work a JIT-compiled loop is as fast as the
 * backend's own C++ (built without SIMD for these ops), and for a few ops
 * much faster: its `Tanh` calls libc's `tanh` (~20 ns per element here)
 * and its `AvgPoolGrad` is a gather over every window of every input pixel.
 */
import type * as tfTypes from '@tensorflow/tfjs';

type Info = tfTypes.TensorInfo;

/** The parts of tfjs-backend-wasm's `BackendWasm` these kernels use. */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tfTypes.DataType): Info;
  typedArrayFromHeap(info: Info): Float32Array | Int32Array | Uint8Array;
}

/** Whether `backend` is the wasm backend (it has the heap accessors these kernels need). */
export function isWasmBackend(backend: unknown): backend is WasmBackendLike {
  const b = backend as Partial<WasmBackendLike> | undefined;
  return typeof b?.makeOutput === 'function' && typeof b.typedArrayFromHeap === 'function';
}

/**
 * Allocates a float32 output of `shape` and hands `fill` views of the
 * inputs and of the output. The views are taken after the allocation: a
 * heap that grows detaches views taken before.
 */
export function heapKernel(backend: unknown, inputs: readonly Info[], shape: number[], fill: (ins: Float32Array[], out: Float32Array) => void): Info {
  if (!isWasmBackend(backend)) throw new Error('internal error: a wasm heap kernel ran on another backend');
  const out = backend.makeOutput(shape, 'float32');
  const views = inputs.map((t) => backend.typedArrayFromHeap(t) as Float32Array);
  fill(views, backend.typedArrayFromHeap(out) as Float32Array);
  return out;
}
