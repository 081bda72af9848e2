/**
 * `UnsortedSegmentSum` for the wasm backend, which has none: it is the
 * gradient of `gather`, so without it no embedding (no language model)
 * trains on wasm. Rows of `x` are added into the row their segment id
 * names; ids outside [0, numSegments) are dropped, as in TensorFlow. On
 * wasm the data lives in CPU memory, so a plain loop over it is as fast as
 * a kernel would be and exact (a one-hot matrix product would need
 * rows × vocabulary memory, 400 MB for GPT-2's vocabulary at 2 048 tokens).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { Tf } from '../../layers/types';

/** Sums rows of `values` (`ids.length` rows of `inner`) into `numSegments` rows. */
export function segmentSum(values: ArrayLike<number>, ids: ArrayLike<number>, inner: number, numSegments: number, out: Float32Array | Int32Array): void {
  for (let r = 0; r < ids.length; r++) {
    const s = ids[r];
    if (!(s >= 0 && s < numSegments)) continue;
    const src = r * inner;
    const dst = s * inner;
    for (let k = 0; k < inner; k++) out[dst + k] += values[src + k];
  }
}

export function registerUnsortedSegmentSum(tf: Tf, backendName = 'wasm'): boolean {
  if (tf.getKernel('UnsortedSegmentSum', backendName)) return false;
  const kernelFunc = ({ inputs, attrs }: { inputs: Record<string, unknown>; attrs?: Record<string, unknown> }) => {
    const { x, segmentIds } = inputs as { x: tfTypes.Tensor; segmentIds: tfTypes.Tensor };
    const numSegments = attrs?.numSegments as number;
    const rows = segmentIds.size;
    if (x.shape.slice(0, segmentIds.shape.length).reduce((p, d) => p * d, 1) !== rows) {
      throw new Error(`UnsortedSegmentSum: segment ids of shape [${segmentIds.shape}] do not fit x of shape [${x.shape}]`);
    }
    const rest = x.shape.slice(segmentIds.shape.length);
    const inner = rest.reduce((p, d) => p * d, 1);
    const out = x.dtype === 'int32' ? new Int32Array(numSegments * inner) : new Float32Array(numSegments * inner);
    segmentSum(x.dataSync(), segmentIds.dataSync(), inner, numSegments, out);
    return tf.tensor(out, [numSegments, ...rest], x.dtype === 'int32' ? 'int32' : 'float32');
  };
  tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName, kernelFunc: kernelFunc as unknown as tfTypes.KernelFunc });
  return true;
}
