/**
 * Kernels and gradients the project adds to TensorFlow.js so that every
 * model of the catalogue trains on every backend the inspector may pick,
 * at a usable speed (each file says what it fixes and why).
 * Idempotent; call once after the backends are imported.
 */
import type { Tf } from '../../layers/types';
import { registerPlainBatchMatMul } from './batchMatMul';
import { registerConv2DBackpropFilter, registerDilatedConv2DGradient, registerFastConv2DBackpropInput } from './convGradients';
import { registerUnsortedSegmentSum } from './segmentSum';
import { registerTileGradient } from './tileGradient';
import { registerFastAvgPoolGrad } from './avgPoolGrad';
import { registerAdamKernel } from './adam';
import { registerFastTanh, registerTanhGradient } from './tanh';

export {
  convFilterGrad,
  convInputGrad,
  convPadding,
  dilatedConvInputGrad,
  registerConv2DBackpropFilter,
  registerDilatedConv2DGradient,
  registerFastConv2DBackpropInput,
} from './convGradients';
export { registerPlainBatchMatMul } from './batchMatMul';
export { registerUnsortedSegmentSum, segmentSum } from './segmentSum';
export { registerTileGradient } from './tileGradient';
export { ADAM_KERNEL, adamStep, createAdam, registerAdamKernel } from './adam';
export { avgPoolGradInto, registerFastAvgPoolGrad, type PoolGeometry } from './avgPoolGrad';
export { col2im, convGeometry, filterGradIm2col, im2colT, inputGradIm2col, MAX_COLS, type ConvGeometry } from './im2col';
export { registerFastTanh, registerTanhGradient, tanhInto, TANH_GRAD_KERNEL } from './tanh';

/** What `registerTrainingKernels` changed (for logs). */
export interface KernelRegistration {
  conv2dBackpropFilter: boolean;
  conv2dBackpropInput: boolean;
  dilatedConvGradient: boolean;
  plainBatchMatMul: boolean;
  unsortedSegmentSum: boolean;
  tileGradient: boolean;
  fastTanh: boolean;
  tanhGradient: boolean;
  fastAvgPoolGrad: boolean;
  adamKernel: boolean;
}

export function registerTrainingKernels(tf: Tf): KernelRegistration {
  // Only the wasm backend lacks these; registering for a backend that is not
  // loaded (no kernels known for it) would be harmless but pointless.
  const hasWasm = !!tf.getKernel('Conv2D', 'wasm');
  return {
    conv2dBackpropFilter: hasWasm && registerConv2DBackpropFilter(tf, 'wasm'),
    conv2dBackpropInput: hasWasm && registerFastConv2DBackpropInput(tf, 'wasm'),
    dilatedConvGradient: registerDilatedConv2DGradient(tf),
    plainBatchMatMul: hasWasm && registerPlainBatchMatMul(tf, 'wasm'),
    unsortedSegmentSum: hasWasm && registerUnsortedSegmentSum(tf, 'wasm'),
    tileGradient: registerTileGradient(tf),
    fastTanh: hasWasm && registerFastTanh(tf, 'wasm'),
    // The gradient is registered for every backend (it falls back to tfjs's formula where NnTanhGrad is not registered).
    tanhGradient: hasWasm && registerTanhGradient(tf, 'wasm'),
    fastAvgPoolGrad: hasWasm && registerFastAvgPoolGrad(tf, 'wasm'),
    adamKernel: hasWasm && registerAdamKernel(tf, 'wasm'),
  };
}

/**
 * Starts `backend` with the training kernels registered, for Node (the CLI,
 * the bench, tests): tfjs prints an "install tfjs-node" banner on first use
 * there, which cannot be installed on these machines, so it is silenced.
 * Throws when the backend does not start.
 */
export async function startTrainingBackend(tf: Tf, backend: string): Promise<void> {
  const warn = console.warn;
  console.warn = () => undefined;
  try {
    registerTrainingKernels(tf);
    if (!(await tf.setBackend(backend))) throw new Error(`the ${backend} backend did not start`);
    await tf.ready();
  } finally {
    console.warn = warn;
  }
}
