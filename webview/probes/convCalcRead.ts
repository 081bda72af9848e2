/**
 * What the "how this value is computed" breakdown (convCalc.ts, poolCalc.ts)
 * reads from a built model: a conv1d/conv2d layer's geometry (from its
 * call's arguments) and weights (the layer's variables: trained ones once
 * loaded), a maxpool/avgpool layer's geometry, and where its input comes from (the output of another layer, or a model input), so
 * the feature maps view can keep that tensor from its forward pass. No DOM;
 * runs in the webview and in Node tests.
 */
import type { BuiltModel } from '../../extension/core/runtime/build';
import type { Tf } from '../../extension/core/layers/types';
import type { ConvCalcLayer, ConvPaddingMode } from './convCalc';
import type { PoolCalcLayer, PoolKind } from './poolCalc';

/** Where a convolution's (or pooling's) input comes from: a layer output the activation model returns, or a model input (port). */
export type ConvInputSource = { kind: 'layer'; path: string } | { kind: 'input'; port: number };

/** The convolutions the breakdown explains. */
const CONV_OPS: Record<string, 1 | 2> = { conv1d: 1, conv2d: 2 };

/** The poolings the breakdown explains (each 1-D or 2-D from its input: extension/core/layers/pool.ts). */
const POOL_OPS: Record<string, PoolKind> = { maxpool: 'max', avgpool: 'avg' };

/** Whether the layer at `path` is a convolution the breakdown explains (conv1d, conv2d). */
export function isExplainedConv(built: Pick<BuiltModel, 'nodeOf'>, path: string): boolean {
  const op = built.nodeOf.get(path)?.op;
  return op !== undefined && op in CONV_OPS;
}

/** Whether the layer at `path` is a pooling the breakdown explains (maxpool, avgpool). */
export function isExplainedPool(built: Pick<BuiltModel, 'nodeOf'>, path: string): boolean {
  const op = built.nodeOf.get(path)?.op;
  return op !== undefined && op in POOL_OPS;
}

/** Whether the breakdown explains the values of the layer at `path` (a convolution or a pooling). */
export function isExplained(built: Pick<BuiltModel, 'nodeOf'>, path: string): boolean {
  return isExplainedConv(built, path) || isExplainedPool(built, path);
}

/**
 * Where the input of the convolution at `path` comes from: the first of
 * `outputPaths` (the activation model's) whose output is the very tensor
 * fed to it, else the model input it is; undefined when neither.
 */
export function convInputSource(built: Pick<BuiltModel, 'nodeOf' | 'outputOf' | 'model'>, outputPaths: readonly string[], path: string): ConvInputSource | undefined {
  const node = built.nodeOf.get(path);
  if (!node || node.inputs.length !== 1) return undefined;
  const slash = path.lastIndexOf('/');
  const inputPath = slash < 0 ? String(node.inputs[0]) : `${path.slice(0, slash)}/${node.inputs[0]}`;
  const fed = built.outputOf.get(inputPath);
  if (!fed) return undefined;
  const port = built.model.inputs.indexOf(fed);
  if (port >= 0) return { kind: 'input', port };
  const layer = outputPaths.find((p) => built.outputOf.get(p) === fed);
  return layer === undefined ? undefined : { kind: 'layer', path: layer };
}

/** A number or a list of numbers as a list of `n`. */
function ints(v: unknown, n: number, fallback: number): number[] {
  if (typeof v === 'number') return new Array<number>(n).fill(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v.length === 1 ? new Array<number>(n).fill(v[0] as number) : (v as number[]).slice(0, n);
  return new Array<number>(n).fill(fallback);
}

/**
 * The convolution at `path` as the breakdown needs it: its call's geometry
 * and activation, and its current weights read from the layer (Keras
 * layout): the bias now, each filter's kernel when first asked for (the
 * weights the layer holds then). Undefined when it is no conv1d/conv2d or
 * has no kernel.
 */
export function readConvLayer(tf: Tf, built: Pick<BuiltModel, 'nodeOf' | 'layerOf'>, path: string): ConvCalcLayer | undefined {
  const node = built.nodeOf.get(path);
  const layer = built.layerOf.get(path);
  const rank = node ? CONV_OPS[node.op] : undefined;
  if (!node || !layer || !rank) return undefined;
  const a = node.args;
  const variables = layer.weights;
  const kernelVar = variables.find((w) => /kernel(_\d+)?$/.test(w.originalName ?? w.name) && w.shape.length === rank + 2);
  const biasVar = variables.find((w) => /bias(_\d+)?$/.test(w.originalName ?? w.name) && w.shape.length === 1);
  if (!kernelVar) return undefined;
  const filters = kernelVar.shape[rank + 1] as number;
  // One filter at a time (a few kB), each read once: ResNet-18's last kernel is 9 MiB.
  const read = new Map<number, Float32Array>();
  const filterKernel = (filter: number): Float32Array => {
    let w = read.get(filter);
    if (!w) {
      w = tf.tidy(() => {
        const k = kernelVar.read();
        const begin = k.shape.map((_, i) => (i === rank + 1 ? filter : 0));
        const size = k.shape.map((d, i) => (i === rank + 1 ? 1 : d));
        return new Float32Array(tf.slice(k, begin, size).dataSync());
      });
      read.set(filter, w);
    }
    return w;
  };
  return {
    rank,
    kernelSize: ints(a.kernel, rank, 1),
    strides: ints(a.stride, rank, 1),
    dilation: ints(a.dilation, rank, 1),
    padding: Array.isArray(a.padding) ? a.padding : ((typeof a.padding === 'string' ? a.padding : 'valid') as ConvPaddingMode),
    groups: typeof a.groups === 'number' ? a.groups : 1,
    filters,
    filterKernel,
    bias: biasVar ? tf.tidy(() => new Float32Array(biasVar.read().dataSync())) : undefined,
    activation: typeof a.activation === 'string' ? a.activation : 'none',
  };
}

/**
 * The pooling at `path` as the breakdown needs it: its kind and its call's
 * window, strides (`size` when not given) and padding. Undefined when it is
 * no maxpool/avgpool.
 */
export function readPoolLayer(built: Pick<BuiltModel, 'nodeOf'>, path: string, rank: 1 | 2): PoolCalcLayer | undefined {
  const node = built.nodeOf.get(path);
  const kind = node ? POOL_OPS[node.op] : undefined;
  if (!node || !kind) return undefined;
  const a = node.args;
  const poolSize = ints(a.size, rank, 1);
  return {
    kind,
    poolSize,
    strides: a.stride === undefined || a.stride === null ? poolSize : ints(a.stride, rank, 1),
    padding: Array.isArray(a.padding) ? a.padding : a.padding === 'same' ? 'same' : 'valid',
  };
}
