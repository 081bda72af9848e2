/**
 * The model at the size its data trains it at. A model with a symbolic
 * input (`input t: int[seq]`) is analysed for every `seq`; its train section
 * fixes the value (`text(context = 32)` gives seq = 32), and the layer rules
 * must hold there too: `positional(maxlen = 16)` takes at most 16 positions.
 * Then, for data labelled per position (text, waves, sequences), the output
 * must keep one prediction per input position. Both are errors of the train
 * section (the runtime would fail inside tfjs otherwise).
 */
import type { Expr, Range, SourceFile, TrainDecl } from '../syntax/ast';
import { getLayer, createLayerContext, isRecurrent, LayerError, type LayerSpec } from '../layers';
import { SINUSOIDAL_DEFAULT_MAXLEN } from '../layers/embedding';
import { Sym, shapeToString, type Shape } from './sym';
import type { Fix, Graph, GraphNode, GroupNode, LayerNode, ModelInfo } from './types';
import { causalFix, type DataSourceSpec, type Err } from './train';
import { inputDimSizes } from './inputDims';

/** The sizes of each example's axes, as `inputDimSizes` takes them (an axis without a number: undefined). */
function sizesOf(examples: readonly Shape[]): (number | undefined)[][] {
  return examples.map((s) => s.dims.map((d) => d.value));
}

function dimAt(d: Sym, env: Readonly<Record<string, number>>): Sym {
  if (d.isConst()) return d;
  const v = d.evaluate(env);
  return v === undefined ? d : Sym.of(v);
}

/** `shape` with the dimensions `env` gives a value replaced by it. */
export function shapeAt(shape: Shape, env: Readonly<Record<string, number>>): Shape {
  return { ...shape, dims: shape.dims.map((d) => dimAt(d, env)) };
}

/** `shape` at `env`, or undefined when `env` gives none of its dimensions a value it did not have. */
function changedAt(shape: Shape, env: Readonly<Record<string, number>>): Shape | undefined {
  let dims: Sym[] | undefined;
  for (let i = 0; i < shape.dims.length; i++) {
    const d = shape.dims[i];
    if (d.isConst()) continue;
    const v = d.evaluate(env);
    if (v === undefined) continue;
    dims ??= shape.dims.slice();
    dims[i] = Sym.of(v);
  }
  return dims && { ...shape, dims };
}

export interface LayerFailure {
  layer: LayerNode;
  code: string;
  /** The layer rule's message at the bound sizes. */
  message: string;
}

/**
 * The first layer (in graph order, block bodies and repeats included) whose
 * rule fails when the symbolic dimensions take the values of `env`: each
 * layer whose inputs have a dimension `env` fixes is run again on those
 * inputs at that size, as the analysis of a model written with the numbers
 * would (its output must also keep every size at 1 or more). Undefined
 * when every rule holds.
 */
export function failureAt(graph: Graph, env: Readonly<Record<string, number>>): LayerFailure | undefined {
  // Each node's shape at `env`, computed once for all its users; `changed`: the ids whose shape it changes.
  const shapes = new Map<number, Shape>();
  const changed = new Set<number>();
  for (const node of graph.nodes) {
    if (node.kind === 'group') {
      for (const run of node.runs) {
        const inner = failureAt(run.body, env);
        if (inner) return inner;
      }
    } else if (node.kind === 'layer' && node.inputs.some((id) => changed.has(id))) {
      const spec = getLayer(node.op);
      const inputs = node.inputs.map((id) => shapes.get(id));
      if (spec && inputs.every((s) => s !== undefined)) {
        const failure = ruleFailure(node, spec, inputs as Shape[]);
        if (failure) return failure;
      }
    }
    const at = changedAt(node.shape, env);
    shapes.set(node.id, at ?? node.shape);
    if (at) changed.add(node.id);
  }
  return undefined;
}

/** The rule of `spec` run on `inputs` (sizes the analysis had as symbols, now numbers): what it says the user must change. */
function ruleFailure(node: LayerNode, spec: LayerSpec, inputs: Shape[]): LayerFailure | undefined {
  // Named tensor arguments are the last inputs, in schema order (as runtime/build.ts hands them over).
  let tensors: Record<string, Shape | undefined> | undefined;
  const tensorArgs = spec.args.filter((a) => a.type === 'tensor' && node.args[a.name] != null);
  if (tensorArgs.length) {
    tensors = {};
    for (let i = 0; i < tensorArgs.length; i++) tensors[tensorArgs[i].name] = inputs[inputs.length - tensorArgs.length + i];
  }
  try {
    const out = spec.outputShape(createLayerContext(node.args, inputs, tensors));
    for (const d of out.dims) {
      if (d.value !== undefined && d.value < 1) return { layer: node, code: 'shape.output_below_1', message: `${spec.name} would give an output of ${shapeToString(out)}: a size below 1` };
    }
  } catch (e) {
    // Only what the layer says the user must change: anything else the analysis already reported, or is not this check's.
    if (e instanceof LayerError) return { layer: node, code: e.code, message: e.message };
  }
  return undefined;
}

/** Where the option `name` of the `data:` call of `item` is written, if it is. */
function writtenOption(item: TrainDecl, name: string): Expr | undefined {
  const v = item.entries.find((e) => e.key.name === 'data')?.value;
  return v?.kind === 'call' ? v.args.find((a) => a.name?.name === name)?.value : undefined;
}

function bindingsText(env: Readonly<Record<string, number>>): string {
  return Object.entries(env)
    .map(([k, v]) => `${k} = ${v}`)
    .join(', ');
}

/**
 * The layer rules of `model` at the sizes the data fixes (`inputDimSizes`). An
 * error on the length option of the data (`context = 32`), else on the data
 * source, with the failing layer as related location. A `positional` too
 * short for the window gets fixes: raise its maxlen, or lower the option.
 * True when it reported.
 */
export function checkLayersAtDataSize(
  item: TrainDecl,
  spec: DataSourceSpec,
  options: Record<string, unknown>,
  model: ModelInfo,
  examples: readonly Shape[],
  dataAt: Range,
  err: Err,
  file: SourceFile,
): boolean {
  const env = inputDimSizes(model, sizesOf(examples));
  if (Object.keys(env).length === 0) return false;
  const failure = failureAt(model.graph, env);
  if (!failure) return false;
  const { layer } = failure;
  const opt = spec.length;
  const length = opt !== undefined ? options[opt] : undefined;
  const written = opt !== undefined ? writtenOption(item, opt) : undefined;
  const unit = examples[0]?.isInt ? 'tokens' : 'steps';
  const lead =
    typeof length === 'number'
      ? `${spec.name} trains '${model.name}' on ${spec.name === 'text' ? 'windows' : 'sequences'} of ${length} ${unit} (${opt} = ${length}${written ? '' : ', its default'}), so ${bindingsText(env)}`
      : `${spec.name} gives '${model.name}' examples of ${examples.map(shapeToString).join(' and ')}, so ${bindingsText(env)}`;
  let message = failure.message.replace(/[.;]?\s*$/, '');
  let advice: string;
  const fixes: Fix[] = [];
  const maxlen = layer.op === 'positional' ? positionalMaxlen(layer) : undefined;
  if (maxlen !== undefined && typeof length === 'number' && opt !== undefined) {
    message = message.replace(/; raise maxlen$/, '');
    advice = `Raise maxlen to at least ${length}, or lower ${opt} to at most ${maxlen}.`;
    const raise = causalFix(file, layer, 'maxlen', String(length), `Set maxlen = ${length} in ${layer.label}`);
    if (raise) fixes.push(raise);
    const lowest = spec.options.find((o) => o.name === opt)?.min ?? 1;
    if (written && maxlen >= lowest) fixes.push({ title: `Change to ${opt} = ${maxlen}`, edits: [{ range: written.range, newText: String(maxlen) }], preferred: !raise });
  } else if (opt !== undefined && typeof length === 'number') {
    advice = `Change ${layer.label} so that it takes ${length} ${unit}, or set ${opt} to a length it takes.`;
  } else {
    advice = `Change ${layer.label}, or the size of the data.`;
  }
  err('train.size', `${lead}, and at that size ${layer.label} fails: ${message}. ${advice}`, written?.range ?? dataAt, fixes.length ? fixes : undefined, {
    related: [{ message: `${layer.label} fails at ${bindingsText(env)}`, range: layer.range, uri: layer.uri ?? model.uri }],
  });
  return true;
}

/** The longest sequence a `positional` call takes (its maxlen, or the sinusoidal default). */
function positionalMaxlen(layer: LayerNode): number | undefined {
  const given = layer.args.maxlen;
  return typeof given === 'number' ? given : layer.args.kind === 'learned' ? undefined : SINUSOIDAL_DEFAULT_MAXLEN;
}


/**
 * Data labelled at every position (text, waves, sequences on a one-input
 * model): the output must be `[L, …]`, one prediction per input position,
 * with L the data's length (a symbolic length at its bound value). An error
 * on the data naming the layer where the positions change or go (a
 * recurrent layer without return_sequences: with a fix that sets it).
 * `waves` also trains a one-value forecaster (`[1]`: the value after the
 * window), which is left alone. True when it reported.
 */
export function checkPerPositionOutput(
  spec: DataSourceSpec,
  options: Record<string, unknown>,
  model: ModelInfo,
  example: Shape,
  dataAt: Range,
  err: Err,
  file: SourceFile,
): boolean {
  const out = model.outputs[0];
  const L = example.dims[0]?.value;
  if (!out || L === undefined || model.inputs.length !== 1) return false;
  const env = inputDimSizes(model, sizesOf([example]));
  const shape = shapeAt(out.shape, env);
  const unit = example.isInt ? 'tokens' : 'steps';
  const what = spec.next ?? (example.isInt ? 'its target token' : 'its target value');
  const of = spec.name === 'text' ? 'a window' : 'an example';
  const outputHere = { message: `'${model.name}' outputs ${shapeToString(out.shape)} here`, range: out.range, uri: model.uri };
  // [L, classes] for tokens, [L, 1] for values: one axis of positions, one of predictions.
  // A length the data does not fix (another symbol) is not judged.
  if (shape.dims.length === 2) {
    const positions = shape.dims[0].value;
    if (positions === undefined) return false;
    if (positions === L) {
      // Values: as many per step as the data has (waves: one); tokens: any number of classes (train.classes checks it).
      const width = shape.dims[1].value;
      const want = example.dims[1]?.value;
      if (example.isInt || width === undefined || want === undefined || width === want) return false;
      err(
        'train.positions',
        `${spec.name} labels each of the ${L} ${unit} of ${of} with ${what}, ${want === 1 ? 'one number' : `${want} numbers`}, but '${model.name}' outputs ${shapeToString(out.shape)}: ${width} values per step. End with dense(${want}).`,
        dataAt,
        undefined,
        { related: [outputHere] },
      );
      return true;
    }
  } else if (!example.isInt && !(shape.dims.length === 1 && shape.dims[0].value !== undefined && shape.dims[0].value !== 1)) {
    // Values: `[1]` is the forecaster of the value after the window (waves); other ranks are left to the runtime's check of
    // the targets' size. `[8]` is neither one value nor one per step.
    return false;
  }
  const opt = spec.length;
  const culprit = positionsLostAt(model, env, L);
  const seq = model.inputs[0].shape.dims[0];
  const per = `[${seq.isConst() ? L : seq}, ${example.isInt ? 'classes' : '1'}]${seq.isConst() ? '' : ` with ${seq} = ${L}`}`;
  const at = opt !== undefined && typeof options[opt] === 'number' ? ` at ${opt} = ${L}` : '';
  const has =
    shape.dims.length < 2
      ? `it outputs ${shapeToString(out.shape)}, one prediction per example`
      : `${at ? `${at.slice(1)} ` : ''}it outputs ${shapeToString(shape)}${out.shape.dims[0].isConst() ? '' : ` (${out.shape.dims[0]} positions)`}`;
  let how = '';
  let fix: Fix | undefined;
  if (culprit?.kind === 'layer' && isRecurrent(culprit.op) && culprit.args.return_sequences !== true) {
    how = ` ${culprit.label} gives only its last state, one vector per example. Set return_sequences = true in ${culprit.label} to keep a state per step (${culprit.op}(…, return_sequences = true) -> dense(…)).`;
    fix = causalFix(file, culprit, 'return_sequences', 'true', `Set return_sequences = true in ${culprit.label}`);
  } else if (culprit?.kind === 'layer' && culprit.op === 'conv1d' && Number(culprit.args.stride ?? 1) > 1) {
    how = ` ${culprit.label} moves ${culprit.args.stride} steps at a time, so it keeps one position in ${culprit.args.stride}. Use stride = 1 there.`;
  } else if (culprit) {
    how = ` The positions change at ${culprit.label}: keep one per input position up to the output (no stride, pooling or flatten along them).`;
  }
  // A real-valued one-vector output: the other form the data trains is one value, the one after the window.
  if (!example.isInt && shape.dims.length === 1) how += ' Or, to predict only the value after the window, end with dense(1).';
  err(
    'train.positions',
    `${spec.name} labels each of the ${L} ${unit} of ${of} with ${what}, so '${model.name}' must output one prediction per input position, ${per}, but ${has}.${how}`,
    dataAt,
    fix && [fix],
    {
      related: [
        culprit
          ? { message: `the positions change here: ${culprit.label}`, range: culprit.range, uri: culprit.uri ?? model.uri }
          : outputHere,
      ],
    },
  );
  return true;
}

/**
 * The node nearest the input on the output's main path (first inputs)
 * from which the output no longer has L positions: walking back from the
 * output, the last node met whose shape is not `[L, …]`.
 */
function positionsLostAt(model: ModelInfo, env: Readonly<Record<string, number>>, L: number): LayerNode | GroupNode | undefined {
  const byId = new Map<number, GraphNode>();
  for (const node of model.graph.nodes) byId.set(node.id, node);
  let node = byId.get(model.outputs[0].nodeId);
  let culprit: LayerNode | GroupNode | undefined;
  while (node && node.kind !== 'input') {
    const s = shapeAt(node.shape, env);
    if (s.dims.length >= 2 && s.dims[0].value === L) break;
    culprit = node;
    node = byId.get(node.inputs[0]);
  }
  return culprit;
}
