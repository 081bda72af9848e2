/**
 * The runtime model: a TensorFlow.js functional model built from one model's
 * graph IR, with the same layer registry the analysis uses. Runs wherever
 * tfjs runs (webview, CLI, tests); the `tf` module is passed in, so the
 * extension host, which only analyses, never loads tfjs.
 *
 * Node paths. Every node applied in the built model has a path, a string that
 * names it uniquely across group expansion:
 * - a node of the model's top-level graph: its id, `"12"`;
 * - a node inside a group's body: `GROUP/RUN#REP/ID`, where GROUP is the path
 *   of the group node, RUN the index into `GroupNode.runs`, REP the
 *   repetition within that run (0-based) and ID the node's id in the body
 *   graph: `"7/0#2/3"` is body node 3 in the third repetition of the first run
 *   of group 7. Nested groups nest: `"7/0#2/5/0#0/1"`.
 * `nodePath` and `bodyPrefix` make them; `parseNodePath` reads them back.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { Sym, type Shape } from '../analysis/sym';
import type { Graph, GroupNode, LayerNode, ModelInfo } from '../analysis/types';
import { lookupObject, objectHome, type ObjectScope } from '../analysis/graph';
import { getLayer } from '../layers';
import type { ArgValue, LayerRef, Tf, TfjsContext } from '../layers/types';

type TfLayer = tfTypes.layers.Layer;
type SymbolicTensor = tfTypes.SymbolicTensor;

/** Parameter budget a model must stay under unless the caller sets another. */
export const DEFAULT_MAX_PARAMS = 200_000_000;

export interface BuildOptions {
  /**
   * Base seed for weight initialisers. Layers get `seed`, `seed + 1`, ... in
   * build order (shared layer objects once), so the same file and seed build
   * the same weights. Default 0.
   */
  seed?: number;
  /**
   * Values for symbolic dimensions (`{ seq: 64 }`). A dimension given here is
   * fixed in the model's input shapes; one not given stays unknown (`null`).
   */
  symbolicDims?: Readonly<Record<string, number>>;
  /**
   * Refuse models with more parameters (trainable + non-trainable) than
   * this. Default `DEFAULT_MAX_PARAMS` (200M).
   */
  maxParams?: number;
  /**
   * `'zeros'` creates every weight filled with zeros instead of running the
   * layers' random initialisers: much faster for big models whose weights
   * will be loaded or that are only inspected (shapes, counts). Default
   * `'random'`.
   */
  initializer?: 'random' | 'zeros';
}

export interface BuiltModel {
  /** The functional model: one input per model input (port order), outputs as in the source. */
  model: tfTypes.LayersModel;
  /**
   * The tfjs layer applied at each layer node, by node path. A shared layer
   * object appears under the path of every node that applies it; one without
   * weights (`l = mean(-2)`) gets a layer per application, made for its input.
   */
  layerOf: Map<string, TfLayer>;
  /** The symbolic tensor each node (input, layer, group) produces, by node path. */
  outputOf: Map<string, SymbolicTensor>;
  /** The IR node behind each layer path. */
  nodeOf: Map<string, LayerNode>;
  /** Layer node paths in the order they were applied (topological). */
  layerPaths: string[];
}

/** Path of node `id` in the graph whose nodes are prefixed by `prefix` ('' at top level). */
export function nodePath(prefix: string, id: number): string {
  return prefix ? `${prefix}/${id}` : String(id);
}

/** Prefix of the nodes of repetition `rep` of run `run` of the group at `groupPath`. */
export function bodyPrefix(groupPath: string, run: number, rep: number): string {
  return `${groupPath}/${run}#${rep}`;
}

/** One step of a node path: a node id, and for a group, which body instance is entered next. */
export interface PathStep {
  id: number;
  run?: number;
  rep?: number;
}

/** Splits a node path into its steps; undefined when it is not one. */
export function parseNodePath(path: string): PathStep[] | undefined {
  const parts = path.split('/');
  if (parts.length % 2 !== 1) return undefined;
  const steps: PathStep[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    if (!/^\d+$/.test(parts[i])) return undefined;
    const step: PathStep = { id: Number(parts[i]) };
    if (i + 1 < parts.length) {
      const m = /^(\d+)#(\d+)$/.exec(parts[i + 1]);
      if (!m) return undefined;
      step.run = Number(m[1]);
      step.rep = Number(m[2]);
    }
    steps.push(step);
  }
  return steps;
}

/** Trainable and non-trainable parameter counts of a built tfjs model. */
export function countWeights(model: tfTypes.LayersModel): { trainable: number; nonTrainable: number } {
  const size = (ws: readonly tfTypes.LayerVariable[]) => ws.reduce((s, w) => s + w.shape.reduce((p: number, d) => p * (d ?? 0), 1), 0);
  return { trainable: size(model.trainableWeights), nonTrainable: size(model.nonTrainableWeights) };
}

/**
 * Builds the tfjs model for `info`. Throws an Error whose message is meant
 * for the user when the analysis found errors, when the parameter count is
 * over budget or depends on a symbolic dimension without a value, or when
 * tfjs rejects the graph.
 */
export function buildModel(tf: Tf, info: ModelInfo, options: BuildOptions = {}): BuiltModel {
  if (info.hasErrors) {
    throw new Error(`Cannot build model '${info.name}': its analysis has errors. Fix the problems shown in the editor first.`);
  }
  const dims = options.symbolicDims ?? {};
  const budget = options.maxParams ?? DEFAULT_MAX_PARAMS;
  const total = info.params.total.evaluate(dims);
  if (total === undefined) {
    const missing = info.params.total.atoms().filter((a) => dims[a] === undefined);
    throw new Error(
      `Cannot build model '${info.name}': its parameter count (${info.params.total.toString()}) depends on ${missing.join(', ')}; give ${missing.length === 1 ? 'it a value' : 'them values'}.`,
    );
  }
  if (total > budget) {
    throw new Error(
      `Cannot build model '${info.name}': it has ${total.toLocaleString('en-US')} parameters, more than the limit of ${budget.toLocaleString('en-US')}.`,
    );
  }
  if (info.graph.outputs.length === 0) throw new Error(`Cannot build model '${info.name}': it has no output.`);
  const depth = layerDepth(info.graph);
  if (depth > MAX_LAYER_DEPTH) {
    throw new Error(
      `Cannot build model '${info.name}': it is ${depth.toLocaleString('en-US')} layers deep, more than the ${MAX_LAYER_DEPTH.toLocaleString('en-US')} that TensorFlow.js can build (deeper chains overflow its call stack). Use fewer repeats to run or train it; check, summary and export to PyTorch still work.`,
    );
  }
  // Every weight made before a failure (tfjs rejecting a shape or the graph) is disposed: a failed build keeps no tensors.
  const engine = tf.engine();
  const before = new Set(Object.keys(engine.registeredVariables));
  try {
    return new Builder(tf, options).build(info);
  } catch (err) {
    for (const [name, v] of Object.entries(engine.registeredVariables)) if (!before.has(name)) v.dispose();
    throw err;
  }
}

/**
 * Longest chain of layer applications in the model (repeats expanded): tfjs
 * builds and walks a functional model with one nested call per layer on
 * such a chain (`tf.model`'s graph map), so deeper models overflow the stack.
 */
export const MAX_LAYER_DEPTH = 2_000;

/** The number of layers on the longest path through `graph`, groups counted repeat by repeat. */
export function layerDepth(graph: Graph): number {
  const depth = new Map<number, number>();
  let deepest = 0;
  for (const node of graph.nodes) {
    const from = node.kind === 'input' ? 0 : Math.max(0, ...node.inputs.map((id) => depth.get(id) ?? 0));
    const own = node.kind === 'layer' ? 1 : node.kind === 'group' ? node.runs.reduce((s, r) => s + r.count * layerDepth(r.body), 0) : 0;
    depth.set(node.id, from + own);
    deepest = Math.max(deepest, from + own);
  }
  return deepest;
}

/**
 * A second model over the same layers (and weights) whose outputs are every
 * layer node's output, for feature maps: `model.predict(x)` gives one tensor
 * per entry of `paths`, in that order.
 */
export function buildActivationModel(tf: Tf, built: BuiltModel): { model: tfTypes.LayersModel; paths: string[] } {
  const paths = built.layerPaths.filter((p) => built.outputOf.has(p));
  const outputs = paths.map((p) => built.outputOf.get(p)!);
  const model = tf.model({ inputs: built.model.inputs, outputs, name: `${built.model.name}_activations` });
  return { model, paths };
}

// ------------------------------------------------------------------ building

/**
 * Layer objects visible in one graph instance (by `objectKey`); a body instance sees its callers' too. A layer
 * object's layer is kept in the scope of the graph that defines it (`Graph.objects`; the model's
 * when none does), wherever it is first applied: a block body applying its caller's object first
 * makes the layer every later application, in the caller or in another call, reuses.
 */
type Scope = ObjectScope<TfLayer>;

/** One evaluation of a graph: its node values, for lookups by id. */
interface Frame {
  values: Map<number, SymbolicTensor>;
  shapes: Map<number, Shape>;
}

const TF_NAME = /^[A-Za-z0-9][-A-Za-z0-9._]*$/;

class Builder {
  private nextSeed: number;
  private readonly usedNames = new Set<string>();
  /** Layers built for a `layer` argument (unembed(wte)) before the object was applied. */
  private readonly unapplied = new Set<TfLayer>();
  private readonly layerOf = new Map<string, TfLayer>();
  private readonly outputOf = new Map<string, SymbolicTensor>();
  private readonly nodeOf = new Map<string, LayerNode>();
  private readonly layerPaths: string[] = [];

  constructor(
    private readonly tf: Tf,
    private readonly options: BuildOptions,
  ) {
    this.nextSeed = options.seed ?? 0;
  }

  build(info: ModelInfo): BuiltModel {
    const { tf } = this;
    const dims = this.options.symbolicDims ?? {};
    const inputs: SymbolicTensor[] = [];
    for (const id of info.graph.inputs) {
      const node = info.graph.nodes.find((n) => n.id === id);
      if (!node || node.kind !== 'input') throw new Error(`Cannot build model '${info.name}': input ${id} is missing from its graph.`);
      inputs[node.port] = tf.input({
        shape: node.shape.dims.map((d) => d.evaluate(dims) ?? null),
        dtype: node.shape.isInt ? 'int32' : 'float32',
        name: this.uniqueName(`input_${node.name}`),
      });
    }
    const outputs = this.runGraph(info.graph, inputs, '', { objects: new Map() });
    const model = tf.model({ inputs, outputs, name: this.uniqueName(sanitize(info.name)) });
    return { model, layerOf: this.layerOf, outputOf: this.outputOf, nodeOf: this.nodeOf, layerPaths: this.layerPaths };
  }

  private runGraph(graph: Graph, inputs: readonly SymbolicTensor[], prefix: string, scope: Scope): SymbolicTensor[] {
    const frame: Frame = { values: new Map(), shapes: new Map() };
    if (graph.objects) scope.defines = graph.objects;
    const valueOf = (id: number, user: number): SymbolicTensor => {
      const v = frame.values.get(id);
      if (!v) throw new Error(`Internal error: node ${nodePath(prefix, user)} uses node ${id}, which has no value.`);
      return v;
    };
    for (const node of graph.nodes) {
      const path = nodePath(prefix, node.id);
      let out: SymbolicTensor;
      switch (node.kind) {
        case 'input': {
          const t = inputs[node.port];
          if (!t) throw new Error(`Internal error: nothing arrives at input port ${node.port} (${path}).`);
          out = t;
          break;
        }
        case 'layer': {
          const xs = node.inputs.map((id) => valueOf(id, node.id));
          let layer: TfLayer;
          try {
            layer = this.layerFor(node, path, frame, scope);
            out = single(layer.apply(xs.length === 1 ? xs[0] : xs), path, node.op);
          } catch (err) {
            // tfjs's own messages name no source: say which call failed.
            const message = err instanceof Error ? err.message : String(err);
            if (message.startsWith('Cannot build') || message.startsWith('Internal error')) throw err;
            throw new Error(`Cannot build ${node.label} (node ${path}): ${message}`, { cause: err });
          }
          this.layerOf.set(path, layer);
          this.nodeOf.set(path, node);
          this.layerPaths.push(path);
          break;
        }
        case 'group':
          out = this.runGroup(
            node,
            node.inputs.map((id) => valueOf(id, node.id)),
            path,
            scope,
          );
          break;
      }
      frame.values.set(node.id, out);
      frame.shapes.set(node.id, node.shape);
      this.outputOf.set(path, out);
    }
    return graph.outputs.map((id) => valueOf(id, id));
  }

  /** Every repetition of every run, each with fresh layers; the extra inputs reach every repetition. */
  private runGroup(node: GroupNode, inputs: SymbolicTensor[], path: string, scope: Scope): SymbolicTensor {
    let x = inputs[0];
    const extra = inputs.slice(1);
    node.runs.forEach((run, r) => {
      for (let k = 0; k < run.count; k++) {
        const outs = this.runGraph(run.body, [x, ...extra], bodyPrefix(path, r, k), { parent: scope, objects: new Map() });
        if (outs.length !== 1) throw new Error(`Internal error: the body of ${node.label} (${path}) has ${outs.length} outputs, not 1.`);
        x = outs[0];
      }
    });
    return x;
  }

  private layerFor(node: LayerNode, path: string, frame: Frame, scope: Scope): TfLayer {
    if (node.object !== undefined) {
      const shared = this.sharedLayer(node, scope);
      // A layer without weights shares nothing: each application gets a layer made for its own input, as the
      // analysis applies the layer's rule to each (`l = mean(-2)` on a rank-4 value, then on its rank-3 result).
      if (shared && !(shared.built && shared.weights.length === 0)) return shared;
    }
    const spec = getLayer(node.op);
    if (!spec) throw new Error(`Cannot build layer '${node.op}' (${path}): no such layer in this version.`);
    // At the sizes given for symbolic dimensions: the tfjs inputs have them, and a layer that reads its
    // input's shape (reshape's -1) must make the same sizes, or later layers see `null` (issue 2).
    const shapes = node.inputs.map((id) => this.atDims(frame.shapes.get(id)!));
    // Named tensor arguments are the last inputs, in schema order (LayerSpec.tfjs).
    const tensorArgs = spec.args.filter((a) => a.type === 'tensor' && node.args[a.name] != null);
    const tensors: Record<string, Shape | undefined> = {};
    tensorArgs.forEach((a, i) => (tensors[a.name] = shapes[shapes.length - tensorArgs.length + i]));
    const layer = this.make(() =>
      spec.tfjs(this.context(node.args, shapes, tensors, layerName(node, path), scope)),
    );
    if (node.object !== undefined) objectHome(scope, objectKey(node)).objects.set(objectKey(node), layer);
    return layer;
  }

  /**
   * The layer a later application of a layer object reuses: the object's, in
   * this or an enclosing scope (see Scope), wherever it was first applied. A
   * first application reuses only a layer built early for a `layer` argument
   * (`unembed(wte)` before `-> wte`).
   */
  private sharedLayer(node: LayerNode, scope: Scope): TfLayer | undefined {
    const key = objectKey(node);
    if (node.sharedWith !== undefined) return lookupObject(scope, key);
    const early = lookupObject(scope, key);
    if (early && this.unapplied.has(early)) {
      this.unapplied.delete(early);
      return early;
    }
    return undefined;
  }

  private context(
    args: Readonly<Record<string, ArgValue>>,
    inputs: readonly Shape[],
    tensors: Readonly<Record<string, Shape | undefined>>,
    baseName: string,
    scope: Scope,
  ): TfjsContext {
    return {
      tf: this.tf,
      args,
      inputs,
      tensors,
      name: this.uniqueName(baseName),
      seed: this.nextSeed++,
      layerObject: (arg: string) => this.layerObject(args[arg], arg, scope),
    };
  }

  private layerObject(value: ArgValue | undefined, arg: string, scope: Scope): TfLayer {
    if (!isLayerRef(value)) throw new Error(`Internal error: argument '${arg}' is not a layer object.`);
    const key = value.id ?? value.name;
    const found = lookupObject(scope, key);
    if (found) return found;
    // Referenced before it is applied: build it now; its first application reuses it.
    const spec = getLayer(value.layer);
    if (!spec) throw new Error(`Cannot build layer object '${value.name}': no layer '${value.layer}' in this version.`);
    const layer = this.make(() => spec.tfjs(this.context(value.args, [], {}, `${value.layer}_${value.name}`, scope)));
    objectHome(scope, key).objects.set(key, layer);
    this.unapplied.add(layer);
    return layer;
  }

  /** `shape` with the symbolic dimensions the options give a value replaced by it. */
  private atDims(shape: Shape): Shape {
    const dims = this.options.symbolicDims;
    if (!dims || shape.dims.every((d) => d.isConst())) return shape;
    const at = (d: Sym) => {
      const v = d.evaluate(dims);
      return v === undefined ? d : Sym.of(v);
    };
    return { ...shape, dims: shape.dims.map(at) };
  }

  /** Runs a layer factory; with `initializer: 'zeros'`, its weights are created as zeros. */
  private make(factory: () => TfLayer): TfLayer {
    const layer = factory();
    if (this.options.initializer === 'zeros') zeroInit(this.tf, layer);
    return layer;
  }

  private uniqueName(base: string): string {
    let name = TF_NAME.test(base) ? base : sanitize(base);
    if (this.usedNames.has(name)) {
      let i = 2;
      while (this.usedNames.has(`${name}_${i}`)) i++;
      name = `${name}_${i}`;
    }
    this.usedNames.add(name);
    return name;
  }
}

/**
 * Routes every weight the layer (and any sub-layer it builds, such as an RNN
 * cell) creates through a zeros initialiser. Weights are created in
 * `addWeight` at build time, after construction, so patching the instances
 * before the first `apply` is enough.
 */
function zeroInit(tf: Tf, layer: TfLayer): void {
  const zeros = tf.initializers.zeros();
  // `addWeight` is protected in tfjs's typings; it is the one place weights are made.
  type AddWeight = (name: string, shape: tfTypes.Shape, dtype?: tfTypes.DataType, initializer?: unknown, ...rest: unknown[]) => unknown;
  const patch = (l: object) => {
    const target = l as { addWeight: AddWeight };
    const original = target.addWeight.bind(l);
    target.addWeight = (name, shape, dtype, _initializer, ...rest) => original(name, shape, dtype, zeros, ...rest);
  };
  patch(layer);
  const cell = (layer as unknown as { cell?: unknown }).cell;
  if (cell instanceof tf.layers.Layer) patch(cell);
}

/** A layer object's key in a Scope: its id (its name in a graph made without ids). */
function objectKey(node: LayerNode): string {
  return node.objectId ?? node.object!;
}

function isLayerRef(v: ArgValue | undefined): v is LayerRef {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && v.kind === 'layerRef';
}

function single(out: tfTypes.Tensor | tfTypes.Tensor[] | SymbolicTensor | SymbolicTensor[], path: string, op: string): SymbolicTensor {
  const t = Array.isArray(out) ? (out.length === 1 ? out[0] : undefined) : out;
  if (!t || !('sourceLayer' in t)) throw new Error(`Internal error: layer ${op} (${path}) did not give one symbolic tensor.`);
  return t as SymbolicTensor;
}

/** `dense_7_0r2_3` for node path `7/0#2/3`; layer objects carry their name: `embedding_wte_1`. */
function layerName(node: LayerNode, path: string): string {
  const where = path.replace(/\//g, '_').replace(/#/g, 'r');
  return node.object !== undefined ? `${node.op}_${node.object}_${where}` : `${node.op}_${where}`;
}

/** A valid tfjs name: `[A-Za-z0-9][-A-Za-z0-9._]*` (no '/', which tfjs uses for scopes). */
function sanitize(s: string): string {
  const body = s.replace(/[^-A-Za-z0-9._]/g, '_');
  return /^[A-Za-z0-9]/.test(body) ? body : `m${body}`;
}
