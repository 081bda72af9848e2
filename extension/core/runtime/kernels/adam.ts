/**
 * Adam with one kernel per variable on the wasm backend. tfjs's
 * `AdamOptimizer` updates each variable with ~12 small kernels (moments,
 * bias correction, square root, division, three assigns); LeNet's ten
 * weight tensors make ~120 kernel calls per step, each with the engine's
 * bookkeeping, for a few thousand numbers of work. `NnAdam` does one pass
 * over value, moments and gradient and returns the three new tensors. The
 * optimiser is tfjs's own class (same state, `getWeights`/`setWeights`,
 * serialisation); only `applyGradients` takes the fused path, and only
 * where the kernel is registered.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { Tf } from '../../layers/types';
import { isWasmBackend } from './wasmHeap';

type Info = tfTypes.TensorInfo;
type KernelArgs = Parameters<tfTypes.KernelFunc>[0];
type Tensor = tfTypes.Tensor;

export const ADAM_KERNEL = 'NnAdam';

interface AdamAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1 − β1^t and 1 − β2^t: the bias corrections of this step. */
  correction1: number;
  correction2: number;
}

/** One Adam step over flat arrays, written to the three outputs (as tfjs computes it, in one pass). */
export function adamStep(value: ArrayLike<number>, m: ArrayLike<number>, v: ArrayLike<number>, g: ArrayLike<number>, a: AdamAttrs, outValue: Float32Array, outM: Float32Array, outV: Float32Array): void {
  const b1 = a.beta1;
  const b2 = a.beta2;
  const c1 = 1 - b1;
  const c2 = 1 - b2;
  for (let i = 0; i < outValue.length; i++) {
    const gi = g[i];
    const mi = m[i] * b1 + gi * c1;
    const vi = v[i] * b2 + gi * gi * c2;
    outM[i] = mi;
    outV[i] = vi;
    outValue[i] = value[i] - (a.lr * (mi / a.correction1)) / (Math.sqrt(vi / a.correction2) + a.epsilon);
  }
}

/** Registers `NnAdam` on `backendName` (wasm). False if it is already there. */
export function registerAdamKernel(tf: Tf, backendName = 'wasm'): boolean {
  if (tf.getKernel(ADAM_KERNEL, backendName)) return false;
  const kernelFunc = ({ inputs, attrs, backend }: KernelArgs) => {
    const { value, m, v, g } = inputs as { value: Info; m: Info; v: Info; g: Info };
    if (!isWasmBackend(backend)) throw new Error(`${ADAM_KERNEL} runs on the wasm backend only`);
    const shape = [...value.shape];
    const outs = [backend.makeOutput(shape, 'float32'), backend.makeOutput(shape, 'float32'), backend.makeOutput(shape, 'float32')];
    const view = (t: Info) => backend.typedArrayFromHeap(t) as Float32Array;
    adamStep(view(value), view(m), view(v), view(g), attrs as unknown as AdamAttrs, view(outs[0]), view(outs[1]), view(outs[2]));
    return outs;
  };
  tf.registerKernel({ kernelName: ADAM_KERNEL, backendName, kernelFunc: kernelFunc as unknown as tfTypes.KernelFunc });
  return true;
}

/** The fields of tfjs's AdamOptimizer that `applyGradients` uses (protected in the typings). */
interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tfTypes.Variable;
  accBeta2: tfTypes.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tfTypes.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tfTypes.Variable }[];
  incrementIterations(): void;
}

/**
 * `tf.train.adam(lr)` whose `applyGradients` runs `NnAdam` per variable
 * when the active backend has it (float32 weights), and tfjs's own code
 * otherwise.
 */
export function createAdam(tf: Tf, learningRate: number, beta1 = 0.9, beta2 = 0.999): tfTypes.AdamOptimizer {
  const opt = tf.train.adam(learningRate, beta1, beta2);
  const stock = opt.applyGradients.bind(opt);
  const self = opt as unknown as AdamInternals;
  type Grads = Parameters<tfTypes.AdamOptimizer['applyGradients']>[0];
  opt.applyGradients = (variableGradients: Grads) => {
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    const grads = names.map((name, i) => (Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name]));
    const values = names.map((name) => tf.engine().registeredVariables[name]);
    const fused =
      !!tf.getKernel(ADAM_KERNEL, tf.getBackend()) &&
      values.every((v, i) => v && v.dtype === 'float32' && (grads[i] == null || grads[i].dtype === 'float32'));
    if (!fused) return stock(variableGradients);
    // Read before the step (a 4-byte copy on wasm): tfjs keeps β^t as float32 variables.
    const correction1 = 1 - self.accBeta1.dataSync()[0];
    const correction2 = 1 - self.accBeta2.dataSync()[0];
    tf.tidy(() => {
      names.forEach((name, i) => {
        const value = values[i];
        self.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        self.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        const g = grads[i];
        if (g == null) return;
        const m = self.accumulatedFirstMoment[i].variable;
        const v = self.accumulatedSecondMoment[i].variable;
        const attrs: AdamAttrs = { lr: self.learningRate, beta1: self.beta1, beta2: self.beta2, epsilon: self.epsilon, correction1, correction2 };
        const [nv, nm, nvv] = tf.engine().runKernel(ADAM_KERNEL, { value, m, v, g }, attrs as unknown as tfTypes.NamedAttrMap) as unknown as Tensor[];
        m.assign(nm);
        v.assign(nvv);
        value.assign(nv);
      });
      self.accBeta1.assign(tf.mul(self.accBeta1, self.beta1));
      self.accBeta2.assign(tf.mul(self.accBeta2, self.beta2));
    });
    self.incrementIterations();
  };
  return opt;
}
