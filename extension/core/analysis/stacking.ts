/**
 * Stacked small kernels, the course's "two 3×3 kernels are equivalent to
 * (and more efficient than) a 5×5 kernel": convolutions applied one after
 * another, with stride 1, see a window as wide as one convolution with the
 * kernels' sizes summed (less one per extra layer), for fewer parameters and
 * MACs, and with a nonlinearity between them where one is written.
 *
 * Found on demand from the graph IR, for the hover of the last convolution
 * of a run; a file's analysis pays nothing for it.
 */
import type { Graph, GraphNode, LayerNode, ModelInfo } from './types';

const CONVS = new Set(['conv1d', 'conv2d']);
/** Longest run looked at: VGG stacks three, nobody writes ten. */
const MAX_STACK = 8;

export interface KernelStack {
  /** The convolutions of the run, the first first; the last is the hovered one. */
  convs: LayerNode[];
  /** Kernel size per axis of each, after dilation (a 3-tap kernel of dilation 2 spans 5). */
  kernels: number[][];
  /** Window one convolution would need to see the same input positions. */
  window: number[];
  /** Channels into the first and out of the last. */
  channelsIn: number;
  channelsOut: number;
  /** Trainable parameters of the run's convolutions (norms between them not counted). */
  params: number;
  /** The same for one convolution of `window` from `channelsIn` to `channelsOut` (with a bias when the last has one). */
  singleParams: number;
  /** Multiply-accumulates per output position, of the run and of the single convolution. */
  macsPerPosition: number;
  singleMacsPerPosition: number;
  /** Nonlinear layers (or fused activations) between the convolutions: `relu`, `gelu`. */
  nonlinear: string[];
}

/** The run of stacked convolutions ending at the convolution called at `range` in `model`; undefined when it is not the second or later of one. */
export function kernelStackAt(model: ModelInfo, range: { start: { offset: number }; end: { offset: number } }): KernelStack | undefined {
  const at = findNode(model.graph, range);
  if (!at) return undefined;
  return kernelStack(at.graph, at.node);
}

function findNode(g: Graph, range: { start: { offset: number }; end: { offset: number } }): { graph: Graph; node: LayerNode } | undefined {
  for (const n of g.nodes) {
    if (n.kind === 'layer' && !n.uri && n.range.start.offset === range.start.offset && n.range.end.offset === range.end.offset) return { graph: g, node: n };
    if (n.kind === 'group') {
      for (const r of n.runs) {
        const found = findNode(r.body, range);
        if (found) return found;
      }
    }
  }
  return undefined;
}

export function kernelStack(g: Graph, last: LayerNode): KernelStack | undefined {
  if (!stackable(last)) return undefined;
  const byId = new Map<number, GraphNode>();
  for (const n of g.nodes) byId.set(n.id, n);
  const convs = [last];
  const nonlinear: string[] = [];
  let cur = last;
  while (convs.length < MAX_STACK) {
    const between: string[] = [];
    let prev = single(byId, cur);
    while (prev && passesThrough(prev)) {
      // Walked backwards: each one found was applied before those found so far.
      if (prev.category === 'activation' && prev.op !== 'linear') between.unshift(prev.op);
      prev = single(byId, prev);
    }
    if (!prev || prev.op !== last.op || !stackable(prev)) break;
    const fused = prev.args.activation;
    // The fused activation is applied first, right after its convolution.
    if (typeof fused === 'string' && fused !== 'none' && fused !== 'linear') between.unshift(fused);
    nonlinear.unshift(...between);
    convs.unshift(prev);
    cur = prev;
  }
  if (convs.length < 2) return undefined;
  const kernels = convs.map(spans);
  const axes = kernels[0].length;
  const window = Array.from({ length: axes }, (_, i) => 1 + kernels.reduce((s, k) => s + k[i] - 1, 0));
  const area = (k: readonly number[]) => k.reduce((a, b) => a * b, 1);
  let params = 0;
  let macs = 0;
  let channelsIn = 0;
  let channelsOut = 0;
  for (const c of convs) {
    const cin = inChannels(byId, c);
    if (cin === undefined) return undefined;
    if (c === convs[0]) channelsIn = cin;
    channelsOut = c.args.filters as number;
    const taps = area(taps1(c));
    params += cin * channelsOut * taps + (c.args.bias === false ? 0 : channelsOut);
    macs += cin * channelsOut * taps;
  }
  const singleMacsPerPosition = channelsIn * channelsOut * area(window);
  const singleParams = singleMacsPerPosition + (last.args.bias === false ? 0 : channelsOut);
  return { convs, kernels, window, channelsIn, channelsOut, params, singleParams, macsPerPosition: macs, singleMacsPerPosition, nonlinear };
}

/** A plain convolution that keeps the grid: stride 1, one group. */
function stackable(n: GraphNode | undefined): n is LayerNode {
  if (!n || n.kind !== 'layer' || !CONVS.has(n.op)) return false;
  const stride = n.args.stride;
  const ones = (v: unknown) => v === undefined || v === 1 || (Array.isArray(v) && v.every((x) => x === 1));
  return ones(stride) && (n.args.groups === undefined || n.args.groups === 1) && typeof n.args.filters === 'number';
}

/** Layers that act on each position alone, so they leave the window as it is. */
function passesThrough(n: LayerNode): boolean {
  if (n.inputs.length !== 1) return false;
  if (n.category === 'activation') return n.op !== 'softmax';
  if (n.category === 'regularization') return true;
  return n.op === 'batchnorm' || n.op === 'layernorm';
}

/** The one node feeding `n`, when it has one input. */
function single(byId: ReadonlyMap<number, GraphNode>, n: LayerNode): LayerNode | undefined {
  if (n.inputs.length !== 1) return undefined;
  const p = byId.get(n.inputs[0]);
  return p && p.kind === 'layer' ? p : undefined;
}

/** `3`, `[3]` or `[3, 5]` as one size per axis. */
function perAxis(v: unknown, axes: number): number[] {
  if (Array.isArray(v) && v.length === axes) return v as number[];
  const one = Array.isArray(v) ? v[0] : v;
  return new Array<number>(axes).fill(typeof one === 'number' ? one : 1);
}

function axesOf(n: LayerNode): number {
  return n.op === 'conv1d' ? 1 : 2;
}

/** Taps per axis. */
function taps1(n: LayerNode): number[] {
  return perAxis(n.args.kernel, axesOf(n));
}

/** Positions spanned per axis: (k − 1)·dilation + 1. */
function spans(n: LayerNode): number[] {
  const d = perAxis(n.args.dilation, axesOf(n));
  return taps1(n).map((k, i) => (k - 1) * d[i] + 1);
}

function inChannels(byId: ReadonlyMap<number, GraphNode>, n: LayerNode): number | undefined {
  const src = byId.get(n.inputs[0]);
  return src?.shape.dims[src.shape.dims.length - 1]?.value;
}

/** `conv2d(64, 5)`: how the single convolution would be written. */
export function singleConvText(stack: KernelStack): string {
  const w = stack.window;
  const k = w.every((x) => x === w[0]) ? String(w[0]) : `[${w.join(', ')}]`;
  return `${stack.convs[stack.convs.length - 1].op}(${stack.channelsOut}, ${k})`;
}
