/**
 * Export to PyTorch: one self-contained, readable Python file from the
 * analysis of a `.nnmodel` file. Pure core (no vscode, no tfjs, no file
 * access): the CLI and the editor command call it with an analysis.
 *
 * What is generated:
 * - one `nn.Module` class per model, whose `forward` follows the graph IR:
 *   residuals are `+`, `concat` is `torch.cat`, a layer object applied twice
 *   is one module called twice, `unembed(wte)` is `F.linear(x, self.wte.weight)`;
 * - one helper class per distinct block instantiation (a block called with
 *   other sizes gets a second class); `block * N` is an `nn.Sequential` (or a
 *   `nn.ModuleList` when the block takes a second input) of N instances;
 * - small modules for layers PyTorch lacks (attention with key_dim / ALiBi,
 *   positional encodings, cls_token, augmentation), only when used;
 * - an `if __name__ == "__main__":` that builds each model, prints its
 *   parameter count and runs a forward pass on a random input.
 *
 * Layout convention (why): PyTorch's convolutions, pooling and batchnorm take
 * channels-first tensors, and a PyTorch user feeds images as `[N, C, H, W]`
 * (torchvision's transforms give CHW). So a model's **image inputs and
 * outputs** (float, `[h, w, c]` in the .nnmodel) are `[N, C, H, W]`; every
 * other tensor keeps the declared layout with the batch in front (`[N, seq, d]`
 * as `nn.Linear`, `nn.LSTM(batch_first=True)` and attention take it). Inside
 * `forward` the code tracks each value's layout and permutes only where the
 * next layer needs the other one (e.g. a 1-D convolution on `[N, seq, c]`),
 * so a CNN has no permute at all.
 *
 * Differences from the .nnmodel semantics that PyTorch forces (two bias
 * vectors in recurrent layers, GRU reset-gate placement, flatten order) are
 * reported as `ExportNote`s, each with the parameter difference it causes.
 * Anything that cannot be generated faithfully is an `ExportError` naming the
 * layer and its line; no code is returned then.
 */
import type { Expr, Range } from '../syntax/ast';
import type { Analysis, Diagnostic, Graph, GroupNode, LayerNode, ModelInfo } from '../analysis/types';
import type { Shape, Sym } from '../analysis/sym';
import { lookupObject, objectHome, type ObjectScope } from '../analysis/graph';
import { leastSizes } from '../analysis/leastSizes';
import type { ArgValue, LayerRef } from '../layers/types';
import { ACTIVATIONS, LEAKY_RELU_ALPHA } from '../layers/common';
import { SINUSOIDAL_DEFAULT_MAXLEN, SINUSOIDAL_MAX_PERIOD } from '../layers/embedding';
import { RECURRENT_GATES } from '../layers/recurrent';
import { HELPERS, HELPER_DEPS, HELPER_ORDER, pyClassName, pyFloat, pyIdent, pyTuple, type Helper } from './python';
import { WEIGHTS_LOADER, channelsFirstFlattenPerm, emptyTree, outputPerm, type ModuleTree } from './weights';
import type { FeatureStats } from '../runtime/checkpoint';
import { smallestVocab } from '../analysis/graph';
import { tokenizerPython, type TokenizerPython } from './tokenizerPy';
import type { TokenizerSpec } from '../runtime/tokenizers';
import { expandedRowCount } from '../analysis/summary';

/** The most layers (block instances expanded) an export writes out. */
const MAX_EXPORT_LAYERS = 10_000;

/** A difference between the generated PyTorch model and the .nnmodel one. */
export interface ExportNote {
  model: string;
  /** 1-based line of the layer in `uri` (the analysed file when absent). */
  line: number;
  /** 1-based column where the layer starts on `line` (always set by the export). */
  column?: number;
  uri?: string;
  message: string;
  /**
   * PyTorch's trainable parameters minus ours caused by this difference,
   * summed over every repetition (e.g. `+1024` for one lstm(256)); 0 when
   * the difference is not in the counts.
   */
  trainableDelta: number;
}

/** Why a model cannot be exported; `range` is the layer (or model) at fault. */
export interface ExportError {
  message: string;
  range: Range;
  uri?: string;
}

/**
 * An error of a `train` section that the export went past (`trainSectionErrors:
 * 'skip'`): the generated file holds the models, not their training, so a
 * mistake in how a model trains does not stop its export.
 */
export interface SkippedTrainError {
  /** The model the train section names (`train M { ... }`). */
  model: string;
  /** The diagnostic as the analysis reports it (code, message, range). */
  diagnostic: Diagnostic;
}

export type ExportResult =
  | {
      ok: true;
      code: string;
      notes: ExportNote[];
      /** The train-section errors left out of the export (only with `trainSectionErrors: 'skip'`). */
      skipped?: SkippedTrainError[];
      models: string[];
      /** Per model, which layer node became which attribute (weights.ts maps a checkpoint with it). */
      modules: Record<string, ModuleTree>;
    }
  | { ok: false; errors: ExportError[] };

export interface ExportOptions {
  /** Export only this model (default: every model declared in the file). */
  model?: string;
  /** File name for the header comment, e.g. `lenet5.nnmodel`. */
  sourceName?: string;
  /** Value given to symbolic dimensions in the `__main__` demo (default 16). */
  demoDim?: number;
  /**
   * The name of a weights file (`LeNet5.safetensors`) that sits beside the
   * generated .py (export/weights.ts writes it): the code then defines
   * `load_nnmodel_weights`, its `__main__` loads the file when it exists,
   * and layers PyTorch computes differently from TensorFlow.js are written
   * as TensorFlow.js computes them (GRU), so trained weights give the same
   * outputs. Meant for one model (`model`). Uses of an image flatten that
   * the weights cannot follow are refused.
   */
  weightsFile?: string;
  /**
   * The CSV feature standardisation the trained weights go with (their
   * checkpoint's `data.featureStats`), for `model` (or the only model): the
   * class registers the mean and std as buffers (`feature_mean`,
   * `feature_std`, also in the weights file) and standardises its input
   * first thing in `forward`, so it takes the CSV's raw rows as training
   * did. Its input must be a vector of as many features.
   */
  featureStats?: FeatureStats;
  /** Where `featureStats` come from, for the comment: `the checkpoint of epoch 50 (.nnmodel/mlp_fruit/FruitMLP)`. */
  featureStatsSource?: string;
  /**
   * The class names the trained weights' outputs stand for (their
   * checkpoint's `data.classes`: a CSV's label values, an image folder's
   * sub-folders, `shapes`' circle, square, triangle), for `model` (or the
   * only model): when it has one output of one value per class, the class
   * gets a `CLASSES` tuple (output i is `CLASSES[i]`), its docstring says
   * so, and `__main__` prints the classes predicted. Not written when the
   * names are the indices themselves (`digits`' "0" … "9").
   */
  classes?: readonly string[];
  /** Where `classes` come from, for the docstring: the checkpoint's `data.source` (`data/fruit.csv`, `pics`, `shapes`). */
  classesSource?: string;
  /**
   * The tokeniser the trained weights go with (their checkpoint's
   * `data.tokenizer`), for `model` (or the only model): when its first input
   * is token ids, a char or word tokeniser becomes the class's `VOCAB`,
   * `encode(text)` and `decode(ids)` (export/tokenizerPy.ts); a BPE is named
   * in the docstring. `tokenizerSource`: the text it was made from.
   */
  tokenizer?: TokenizerSpec;
  tokenizerSource?: string;
  /**
   * Errors inside a `train` section of the file (no syntax error anywhere):
   * `'refuse'` (default) refuses the file as any error does; `'skip'`
   * exports the models anyway, as none of a train section's settings is
   * generated (no optimizer, loss or data loading: the file is the models and
   * a forward-pass demo), and lists the errors in `skipped`. A train section
   * with errors is not used for the docstrings either (what its data is).
   */
  trainSectionErrors?: 'refuse' | 'skip';
}

/**
 * The errors of `analysis` that lie inside one of its file's `train` sections,
 * each with the model the section names; `rest` the others. A syntax error
 * is never a train-section error: the parser's recovery may have taken
 * the text after it (a model) into the section, or out of it.
 */
export function splitTrainSectionErrors(analysis: Analysis): { train: SkippedTrainError[]; rest: Diagnostic[] } {
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  if (analysis.file.errors.length > 0) return { train: [], rest: errors };
  const sections = analysis.file.items.flatMap((i) => (i.kind === 'train' ? [{ model: i.name.name, range: i.range }] : []));
  const train: SkippedTrainError[] = [];
  const rest: Diagnostic[] = [];
  const ownFile = (uri: string | undefined) => uri === undefined || uri === analysis.uri;
  const sectionOf = (r: Range) => sections.find((s) => s.range.start.offset <= r.start.offset && r.end.offset <= s.range.end.offset);
  for (const d of errors) {
    // A section's error may be shown where it is fixed, in its model (`train.output_positions` at the head's dense),
    // pointing back at the section: still the section's, as training alone is what it stops.
    const section =
      (ownFile(d.uri) ? sectionOf(d.range) : undefined) ??
      (d.code.startsWith('train.') ? d.related?.map((r) => (ownFile(r.uri) ? sectionOf(r.range) : undefined)).find((s) => s !== undefined) : undefined);
    if (section) train.push({ model: section.model, diagnostic: d });
    else rest.push(d);
  }
  return { train, rest };
}

/** Default value of symbolic dimensions in the generated demo and the parity test. */
export const DEMO_DIM = 16;

/**
 * The models `exportPyTorch` exports by default: those declared in the
 * analysed file itself (not in an imported one).
 */
export function exportableModels(analysis: Analysis): ModelInfo[] {
  return analysis.models.filter((m) => m.uri === undefined || m.uri === analysis.uri);
}

/**
 * The shape of one example of `shape` as the generated module takes or
 * returns it (batch excluded): float images `[h, w, c]` become `[c, h, w]`.
 */
export function torchExampleShape<T>(shape: Shape, dims: readonly T[]): T[] {
  return isImage(shape) ? [dims[2], dims[0], dims[1]] : [...dims];
}

/** Generates the PyTorch code for the models of `analysis`. Never throws. */
export function exportPyTorch(analysis: Analysis, options: ExportOptions = {}): ExportResult {
  const split = splitTrainSectionErrors(analysis);
  const skipping = options.trainSectionErrors === 'skip' && split.rest.length === 0 && split.train.length > 0;
  const errors = skipping ? [] : analysis.diagnostics.filter((d) => d.severity === 'error');
  if (skipping) {
    // A section with errors says nothing reliable about its data: no docstring is drawn from it.
    const broken = new Set(split.train.map((t) => t.model));
    analysis = { ...analysis, trains: analysis.trains.filter((t) => !broken.has(t.model)) };
  }
  if (errors.length > 0) {
    return {
      ok: false,
      errors: errors.map((d) => ({ message: `${d.code} ${d.message}`, range: d.range, uri: d.uri })),
    };
  }
  const own = exportableModels(analysis);
  const fileRange = analysis.file.range;
  let models = own;
  if (options.model !== undefined) {
    models = own.filter((m) => m.name === options.model);
    if (models.length === 0) {
      const names = own.map((m) => m.name);
      return {
        ok: false,
        errors: [{ message: `no model '${options.model}' in this file${names.length ? ` (models: ${names.join(', ')})` : ''}`, range: fileRange }],
      };
    }
  }
  if (models.length === 0) return { ok: false, errors: [{ message: 'this file defines no model to export', range: fileRange }] };
  // The code holds every block instance the model expands to: blocks that call blocks several times, many levels
  // deep, expand to millions (the export did not end). Refused past a bound far above real models (ResNet-152: ~500).
  const huge = models.find((m) => expandedRowCount(m, MAX_EXPORT_LAYERS) > MAX_EXPORT_LAYERS);
  if (huge) {
    return {
      ok: false,
      errors: [
        {
          message: `'${huge.name}' expands to more than ${MAX_EXPORT_LAYERS.toLocaleString('en-US')} layers (blocks that call blocks several times, many levels deep): too many to write out as PyTorch code`,
          range: huge.nameRange,
          uri: huge.uri,
        },
      ],
    };
  }
  try {
    const ex = new Exporter(analysis, options);
    const code = ex.run(models);
    return { ok: true, code, notes: ex.notes(), models: models.map((m) => m.name), modules: ex.modules, ...(skipping ? { skipped: split.train } : {}) };
  } catch (err) {
    if (err instanceof ExportFailure) return { ok: false, errors: [{ message: err.message, range: err.range, uri: err.uri }] };
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, errors: [{ message: `internal error in the PyTorch export: ${message}`, range: fileRange }] };
  }
}

// ------------------------------------------------------------------ internals

class ExportFailure extends Error {
  constructor(
    message: string,
    readonly range: Range,
    readonly uri?: string,
  ) {
    super(message);
  }
}

/** Channels-last (as declared) or channels-first (as PyTorch's conv layers take). */
type Layout = 'last' | 'first';

interface Val {
  /** Python expression (a variable name). */
  v: string;
  layout: Layout;
  shape: Shape;
  /** With weights: the feature order after an image flatten, PyTorch position → tfjs position (weights.ts). */
  perm?: readonly number[];
}

function isImage(shape: Shape): boolean {
  return shape.dims.length === 3 && !shape.isInt;
}

/** Layout matters for `[len, c]` and `[h, w, c]` values only. */
function hasLayout(shape: Shape): boolean {
  return !shape.isInt && (shape.dims.length === 2 || shape.dims.length === 3);
}

/** Torch dim of example axis `axis` (0-based, normalised) of a value. */
function torchDim(axis: number, rank: number, layout: Layout, shape: Shape): number {
  if (layout === 'last' || !hasLayout(shape)) return axis + 1;
  return axis === rank - 1 ? 1 : axis + 2;
}

function permuteTo(layout: Layout, rank: number): string {
  // example rank 2: (0, 2, 1) both ways; rank 3: NHWC -> NCHW (0, 3, 1, 2), back (0, 2, 3, 1)
  if (rank === 2) return '0, 2, 1';
  return layout === 'first' ? '0, 3, 1, 2' : '0, 2, 3, 1';
}

/** `grid_sample`'s padding_mode for each `fill_mode` of random_translation and random_zoom. */
const GRID_PADDING: Record<string, string> = { reflect: 'reflection', constant: 'zeros', nearest: 'border' };

/** Layers whose input must be channels-first (rank 2/3 examples). */
const CHANNELS_FIRST = new Set([
  'conv1d',
  'conv2d',
  'conv2d_transpose',
  'maxpool',
  'avgpool',
  'global_avgpool',
  'global_maxpool',
  'upsample',
  'batchnorm',
  'groupnorm',
  'random_flip',
  'random_rotation',
  'random_crop',
  'random_translation',
  'random_zoom',
  'cutout',
  'random_contrast',
]);
/** Layers that work in either layout (elementwise, or an axis that is mapped). */
const ANY_LAYOUT = new Set<string>([
  ...ACTIVATIONS.filter((a) => a !== 'none'),
  'dropout',
  'drop_path',
  'gaussian_noise',
  'random_brightness',
  'flatten',
  'concat',
]);

/** One Python class being written: its constructor lines and forward lines. */
class ClassWriter {
  readonly inits: string[] = [];
  readonly body: string[] = [];
  /** The attributes written for layer nodes and block calls (weights.ts). */
  readonly tree: ModuleTree = emptyTree();
  private readonly attrs = new Set<string>();
  private readonly counters = new Map<string, number>();
  private readonly vars = new Set<string>();
  private fresh = 0;

  constructor(reserved: readonly string[] = []) {
    for (const r of reserved) this.vars.add(r);
  }

  /** `self.conv3` for prefix `conv`; `exact` keeps the name when free (layer objects). */
  attr(prefix: string, exact = false): string {
    const base = pyIdent(prefix);
    if (exact && !this.attrs.has(base)) {
      this.attrs.add(base);
      return `self.${base}`;
    }
    let n = this.counters.get(base) ?? (exact ? 1 : 0);
    let name: string;
    do name = `${base}${++n}`;
    while (this.attrs.has(name));
    this.counters.set(base, n);
    this.attrs.add(name);
    return `self.${name}`;
  }

  /** A variable name not used yet in this forward. */
  newVar(hint?: string): string {
    if (hint !== undefined) {
      const h = pyIdent(hint);
      if (!this.vars.has(h)) {
        this.vars.add(h);
        return h;
      }
    }
    let name: string;
    do name = this.fresh++ === 0 ? 'h' : `h${this.fresh}`;
    while (this.vars.has(name) || this.avoid.has(name));
    this.vars.add(name);
    return name;
  }

  /** Names of the source's values: kept for them, never made up for temporaries. */
  readonly avoid = new Set<string>();

  taken(name: string): boolean {
    return this.vars.has(name);
  }
}

/**
 * Layer objects visible while emitting a graph (a body inlined in its caller sees the caller's). An
 * object's module is kept in the scope of the graph that defines it (`Graph.objects`; the model's
 * when none does), wherever it is first applied: one module for every application, as the runtime's
 * one layer (runtime/build.ts).
 */
type Scope = ObjectScope<{ attr: string; unapplied: boolean }>;

function isLayerRef(v: ArgValue | undefined): v is LayerRef {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && v.kind === 'layerRef';
}

/** Whether a body (or a body nested in it) uses layer objects: such bodies are inlined, not made classes. */
function usesObjects(g: Graph): boolean {
  return g.nodes.some(
    (n) =>
      (n.kind === 'layer' && (n.object !== undefined || Object.values(n.args).some(isLayerRef))) ||
      (n.kind === 'group' && n.runs.some((r) => usesObjects(r.body))),
  );
}

class Exporter {
  private readonly helpers = new Set<Helper>();
  /** Helper class text (without its name) → class name; in order of creation. */
  /** Block class templates by key (the class text with its constructor numbers taken out), in order of creation. */
  private readonly templates = new Map<string, Template>();
  private readonly classNames = new Set<string>(HELPER_ORDER.filter((h) => /^[A-Z]/.test(h)));
  private readonly noteList: ExportNote[] = [];
  private model = '';
  private readonly modelClassNames = new Map<string, string>();
  /** Per model, the module tree of its class (ExportResult.modules). */
  readonly modules: Record<string, ModuleTree> = {};
  /** Node path (relative to the class being written) of the layer emitLayer is writing. */
  private layerPath = '';

  /** The source's value names by the range of the call (or `+`) that computes them: `memory = ...`. */
  private readonly valueNames = new Map<string, string>();

  constructor(
    private readonly analysis: Analysis,
    private readonly options: ExportOptions,
  ) {
    const key = (r: Range) => `${r.start.offset}:${r.end.offset}`;
    for (const item of analysis.file.items) {
      if (item.kind !== 'model' && item.kind !== 'block') continue;
      for (const st of item.body) {
        if (st.kind !== 'assign') continue;
        // Every call of a top-level chain computes the value in steps: `memory = source -> emb -> ...`.
        let e: Expr = st.value;
        while (e.kind === 'paren') e = e.expr;
        if (e.kind === 'chain') {
          for (const c of e.calls) this.valueNames.set(key(c.range), st.target.name);
          let head: Expr = e.head;
          while (head.kind === 'paren') head = head.expr;
          if (head.kind === 'binary') this.valueNames.set(key(head.range), st.target.name);
        } else if (e.kind === 'binary' || e.kind === 'call') this.valueNames.set(key(e.range), st.target.name);
      }
    }
  }

  /** The source name of the value a node computes, when it is bound to one in this file. */
  private valueName(node: { range: Range; uri?: string }): string | undefined {
    if (node.uri !== undefined && node.uri !== this.analysis.uri) return undefined;
    return this.valueNames.get(`${node.range.start.offset}:${node.range.end.offset}`);
  }

  notes(): ExportNote[] {
    // One note per line and message, deltas summed (a repeated block reports once).
    const merged = new Map<string, ExportNote>();
    for (const n of this.noteList) {
      const key = `${n.model}\u0000${n.uri ?? ''}\u0000${n.line}\u0000${n.message}`;
      const m = merged.get(key);
      if (m) m.trainableDelta += n.trainableDelta;
      else merged.set(key, { ...n });
    }
    return [...merged.values()];
  }

  run(models: ModelInfo[]): string {
    // Models keep their own names: reserved before any block class is named.
    for (const m of models) {
      const base = pyIdent(m.name);
      const cls = this.className(base);
      this.modelClassNames.set(m.name, cls);
      // Said, not silent: `from m import MultiHeadAttention` would get the helper, not the model.
      if (cls !== m.name) {
        const why =
          base !== m.name
            ? `'${m.name}' is a Python keyword or a name the generated code uses (torch, nn, F, ...)`
            : `'${m.name}' is the name of a helper class the generated file defines`;
        this.noteList.push({
          model: m.name,
          line: m.nameRange.start.line + 1,
          column: m.nameRange.start.character + 1,
          uri: m.uri,
          message: `the model's class is ${cls}: ${why}; rename the model to keep its name`,
          trainableDelta: 0,
        });
      }
    }
    const modelTexts = models.map((m) => this.modelClass(m));
    const parts: string[] = [];
    const src = this.options.sourceName ? ` from ${this.options.sourceName}` : '';
    parts.push(
      [
        `"""PyTorch code generated by nnmodel${src}.`,
        '',
        `Models: ${models.map((m) => m.name).join(', ')}.`,
        'Layout: image inputs and outputs are [batch, channels, height, width] (PyTorch\'s',
        'convention); sequences and vectors keep the .nnmodel layout with the batch first,',
        '[batch, seq, features]. Comments give the .nnmodel line of each layer.',
        '"""',
        ...(this.options.weightsFile !== undefined ? ['import array', 'import json', 'import math', 'import os', 'import sys'] : ['import math']),
        '',
        'import torch',
        'import torch.nn as nn',
        'import torch.nn.functional as F',
      ].join('\n'),
    );
    const used = new Set<Helper>();
    const need = (h: Helper) => {
      for (const d of HELPER_DEPS[h] ?? []) need(d);
      used.add(h);
    };
    for (const h of this.helpers) need(h);
    for (const h of HELPER_ORDER) if (used.has(h)) parts.push(HELPERS[h].trimEnd());
    if (this.options.weightsFile !== undefined) parts.push(WEIGHTS_LOADER.trimEnd());
    const list = [...this.templates.values()];
    for (const t of list) parts.push(finishTemplate(t, (base) => this.className(base)));
    parts.push(...modelTexts);
    parts.push(this.mainBlock(models));
    // Nothing that varies between runs (no date, no path): the same file gives the same code.
    return resolveCalls(parts.join('\n\n\n') + '\n', list);
  }

  // ---------------------------------------------------------------- classes

  private modelClass(m: ModelInfo): string {
    this.model = m.name;
    const w = new ClassWriter();
    const inputs: Val[] = [];
    const params: string[] = [];
    for (const id of m.graph.inputs) {
      const node = m.graph.nodes.find((n) => n.id === id);
      if (!node || node.kind !== 'input') throw new ExportFailure(`model '${m.name}': input ${id} is missing from its graph`, m.range, m.uri);
      const v = w.newVar(node.name);
      params[node.port] = v;
      inputs[node.port] = { v, layout: isImage(node.shape) ? 'first' : 'last', shape: node.shape };
    }
    const standardised = this.standardisation(m, w, params);
    const outs = this.emitGraph(w, m.graph, inputs, { objects: new Map() }, 1, true);
    // A flattened image left as an output keeps PyTorch's order: the trained model's outputs would come out shuffled.
    if (outs.some((o) => o.perm !== undefined)) {
      throw new ExportFailure(
        `model '${m.name}': with trained weights, an output that is a flattened image comes out in PyTorch's [C, H, W] order, not TensorFlow.js's [H, W, C]; end the model with a layer that has weights (e.g. dense), or export without the weights`,
        m.nameRange,
        m.uri,
      );
    }
    this.modules[m.name] = w.tree;
    const returned = outs.map((o) => this.convert(w, o, isImage(o.shape) ? 'first' : 'last', true).v);
    const softmaxOut = endsInSoftmax(m.graph);
    // Said where it matters: PyTorch's usual loss takes logits, and this output is not that.
    if (softmaxOut) w.body.push('# probabilities (softmax): for nn.CrossEntropyLoss drop this softmax (it takes logits), or use nn.NLLLoss on torch.log(...)');
    w.body.push(`return ${returned.join(', ')}`);

    const doc: string[] = [`${m.name} (${this.where(m.nameRange, m.uri)}).`, ''];
    for (const [i, inp] of m.inputs.entries()) {
      const kind = !inp.shape.isInt ? '' : readsAsTokenIds(m.graph, inp.name) ? ' (token ids, int64)' : ' (integer values, int64)';
      doc.push(`${params[i]}: ${this.torchShapeText(inp.shape, isImage(inp.shape) ? 'first' : 'last')}${kind}`);
    }
    const outShapes = m.outputs.map((o) => this.torchShapeText(o.shape, isImage(o.shape) ? 'first' : 'last'));
    // Several outputs: forward returns them as one tuple, in this order.
    if (outShapes.length === 1) doc.push(`returns: ${outShapes[0]}`);
    else doc.push(`returns a tuple of ${outShapes.length}:`, ...outShapes.map((t, i) => `    ${returned[i]}: ${t}`));
    const counted = `${m.params.trainable.toString()} trainable parameters in the .nnmodel`;
    const nt = m.params.nonTrainable.value === 0 ? '' : `, ${m.params.nonTrainable.toString()} non-trainable (batchnorm running statistics: buffers here)`;
    doc.push(`${counted}${nt}.`);
    doc.push(...this.standardisationDoc(m, params, standardised));
    doc.push(...this.imagesDoc(m, params));
    if (softmaxOut) {
      doc.push(
        'The output ends in softmax: it is probabilities. To train with nn.CrossEntropyLoss (which takes',
        'logits and applies the softmax itself) drop the final F.softmax, or use nn.NLLLoss on torch.log(output).',
      );
    }
    const classes = this.outputClasses(m);
    if (classes) {
      const from = this.options.classesSource ? ` of ${this.options.classesSource}` : ' of its training data';
      doc.push(`Output i is the class CLASSES[i]${from}: ${classes.join(', ')}.`);
    }
    const tokenizer = this.inputTokenizer(m);
    if (tokenizer) doc.push(...tokenizer.doc);
    const name = this.classFor(m);
    const attributes = classes ? [`CLASSES = (${classes.map((c) => JSON.stringify(c)).join(', ')}${classes.length === 1 ? ',' : ''})`] : [];
    if (tokenizer?.attributes.length) attributes.push(...(attributes.length ? [''] : []), ...tokenizer.attributes);
    return this.classText(name, doc, [], w, params, attributes);
  }

  /**
   * Whether what the options say of the trained weights (classes, CSV
   * statistics, tokeniser) is about `m`: the model asked for, or the only
   * model exported.
   */
  private trainedModel(m: ModelInfo): boolean {
    if (this.options.model !== undefined) return this.options.model === m.name;
    return exportableModels(this.analysis).length === 1;
  }

  /** The Python of the tokeniser (ExportOptions.tokenizer) when it is given for `m` and its first input is token ids. */
  private inputTokenizer(m: ModelInfo): TokenizerPython | undefined {
    const spec = this.options.tokenizer;
    if (!spec || !this.trainedModel(m)) return undefined;
    const first = m.inputs[0];
    if (!first?.shape.isInt || !readsAsTokenIds(m.graph, first.name)) return undefined;
    return tokenizerPython(spec, this.options.tokenizerSource);
  }

  /**
   * The class names of `m`'s outputs (ExportOptions.classes) when they are
   * given for it and it has one output of as many values; undefined when
   * the names say nothing the index does not ("0", "1", … in order).
   */
  private outputClasses(m: ModelInfo): readonly string[] | undefined {
    const classes = this.options.classes;
    if (!classes?.length || !this.trainedModel(m)) return undefined;
    const dims = m.outputs.length === 1 ? m.outputs[0].shape.dims : [];
    if (dims.length !== 1 || dims[0].value !== classes.length) return undefined;
    if (classes.every((c, i) => c === String(i))) return undefined;
    return classes;
  }

  /**
   * With the trained weights of a model trained on a CSV: buffers with the
   * feature mean and std, and the standardisation of the raw input as the
   * first statement of forward. Returns the statistics used (undefined: none).
   */
  private standardisation(m: ModelInfo, w: ClassWriter, params: string[]): FeatureStats | undefined {
    const stats = this.options.featureStats;
    if (!stats || !this.trainedModel(m)) return undefined;
    const f = stats.names.length;
    const input = m.inputs[0];
    const dims = input?.shape.dims.map((d) => d.value);
    if (m.inputs.length !== 1 || input.shape.isInt || dims?.length !== 1 || dims[0] !== f) {
      const shape = m.inputs.map((i) => `${i.name}: ${i.shape.isInt ? 'int' : ''}[${i.shape.dims.map((d) => d.toString()).join(', ')}]`).join(', ');
      throw new ExportFailure(
        `model '${m.name}': its weights were trained on ${f} standardised CSV feature columns (${stats.names.join(', ')}), but its input is ${shape}, not one vector of ${f} numbers; export the model the checkpoint was trained for`,
        m.nameRange,
        m.uri,
      );
    }
    const mean = w.attr('feature_mean', true);
    const std = w.attr('feature_std', true);
    const rows = stats.rows === undefined ? 'the training rows' : `the ${stats.rows} training rows`;
    w.inits.push(
      `# The CSV features are standardised as in training, x' = (x - mean) / std per column, with the mean and`,
      `# (population) standard deviation of ${rows}, saved${this.options.featureStatsSource ? ` in ${this.options.featureStatsSource}` : ' with the checkpoint'}.`,
      `# Columns: ${stats.names.join(', ')}. Buffers: they move with .to(device) and are in the state_dict and the weights file.`,
      `self.register_buffer("${mean.slice(5)}", torch.tensor([${stats.mean.map(pyFloat).join(', ')}]))`,
      `self.register_buffer("${std.slice(5)}", torch.tensor([${stats.std.map(pyFloat).join(', ')}]))`,
    );
    w.body.push(`${params[0]} = (${params[0]} - ${mean}) / ${std}  # raw CSV rows -> standardised features, as in training`);
    w.tree.featureStats = { mean: mean.slice(5), std: std.slice(5), size: f };
    return stats;
  }

  /** The class docstring's lines on the CSV standardisation: done in forward, or expected of the caller (no weights, so no statistics). */
  private standardisationDoc(m: ModelInfo, params: string[], stats: FeatureStats | undefined): string[] {
    if (stats) {
      return [
        `${params[0]} are the CSV's raw feature values (${stats.names.join(', ')}): forward standardises them with the`,
        'training statistics (feature_mean, feature_std) before the first layer.',
      ];
    }
    const data = this.analysis.trains.find((t) => t.model === m.name)?.config.data;
    if (data?.kind !== 'csv') return [];
    return [
      `Its train section reads csv("${data.path}"), whose feature columns nnmodel standardises before training`,
      `(x' = (x - mean) / std per column, mean and std of the training rows). This file has no trained weights and`,
      `so no statistics: ${params[0]} must be standardised features. Exported with its trained weights`,
      '(nnmodel export --weights), the class standardises raw rows itself.',
    ];
  }

  /**
   * For a model whose train section reads an image folder, what its input
   * pixels are (runtime/data/files.ts `loadImageFolder`, `resizeImage`):
   * the numbers a PyTorch pipeline must give it for the trained weights to
   * mean anything (torchvision's usual ImageNet Normalize would not).
   */
  private imagesDoc(m: ModelInfo, params: string[]): string[] {
    const data = this.analysis.trains.find((t) => t.model === m.name)?.config.data;
    const input = m.inputs[0];
    if (data?.kind !== 'images' || m.inputs.length !== 1 || !input || !isImage(input.shape)) return [];
    const size = Array.isArray(data.options.size) ? (data.options.size as number[]) : [28, 28];
    const [h, w] = [size[0], size[1] ?? size[0]];
    const grey = data.options.grayscale === true;
    return [
      `Its train section reads images("${data.path}"): ${params[0]} is each image resized to ${h}×${w} (area-weighted when`,
      `shrinking), ${grey ? 'grey (0.299 R + 0.587 G + 0.114 B)' : 'RGB'}, values in [0, 1] (the 8-bit values / 255, transparent pixels over black),`,
      'with no mean/std normalisation: give it images prepared the same way.',
    ];
  }

  private classText(name: string, doc: string[], ctorParams: string[], w: ClassWriter, forwardParams: string[], attributes: string[] = []): string {
    const lines = [`class ${name}(nn.Module):`];
    lines.push(`    """${doc[0]}`);
    for (const d of doc.slice(1)) lines.push(d ? `    ${d}` : '');
    lines.push('    """', '');
    if (attributes.length) lines.push(...attributes.map((a) => (a ? `    ${a}` : '')), '');
    lines.push(`    def __init__(${['self', ...ctorParams].join(', ')}):`, '        super().__init__()');
    for (const l of w.inits) lines.push(`        ${l}`);
    lines.push('', `    def forward(${['self', ...forwardParams].join(', ')}):`);
    for (const l of w.body) lines.push(`        ${l}`);
    return lines.join('\n');
  }

  private className(base: string): string {
    let name = base;
    let i = 2;
    while (this.classNames.has(name)) name = `${base}${i++}`;
    this.classNames.add(name);
    return name;
  }

  // ---------------------------------------------------------------- graphs

  /**
   * Emits `g` into `w`: modules into its constructor, statements into its
   * forward. `inputs` are the values at the graph's input ports; returns the
   * values of its outputs. `mult` is how many times this code runs per
   * model (repeats), for the parameter differences of notes. `ownsInputs`
   * lets the input variables be reassigned once they are no longer needed.
   */
  private emitGraph(w: ClassWriter, g: Graph, inputs: Val[], scope: Scope, mult: number, ownsInputs: boolean, shapes = true, prefix = ''): Val[] {
    const lastUse = new Map<number, number>();
    g.nodes.forEach((n, i) => {
      if (n.kind !== 'input') for (const id of n.inputs) lastUse.set(id, i);
    });
    for (const id of g.outputs) lastUse.set(id, Infinity);
    if (g.objects) scope.defines = g.objects;
    const vals = new Map<number, Val>();
    /** A value converted to the other layout for a consumer, kept for the next consumer that needs it. */
    const converted = new Map<number, Val>();
    /** Variables that may be reassigned once their node is dead. */
    const owned = new Set<string>();
    const ports = new Set<string>();
    for (const n of g.nodes) {
      if (n.kind !== 'input') continue;
      const v = inputs[n.port];
      if (!v) throw new ExportFailure(`internal: nothing arrives at input port ${n.port}`, n.range);
      vals.set(n.id, v);
      if (ownsInputs) owned.add(v.v);
      ports.add(v.v);
    }
    const deadAfter = (id: number, i: number) => (lastUse.get(id) ?? -1) <= i;
    for (const n of g.nodes) {
      const name = n.kind === 'input' ? undefined : this.valueName(n);
      if (name !== undefined) w.avoid.add(pyIdent(name));
    }

    g.nodes.forEach((node, i) => {
      if (node.kind === 'input') return;
      // build.ts's node path, relative to the class being written: the key of the checkpoint's layers.
      const path = prefix ? `${prefix}/${node.id}` : String(node.id);
      const get = (id: number): Val => {
        const v = vals.get(id);
        if (!v) throw new ExportFailure(`internal: node ${node.id} uses node ${id}, which has no value`, node.range, node.uri);
        return v;
      };
      // The input whose variable the output may take over: the first one, when this is its last use.
      const firstIn = node.inputs[0];
      const canReuse =
        firstIn !== undefined && deadAfter(firstIn, i) && owned.has(get(firstIn).v) && node.inputs.filter((x) => x === firstIn).length === 1;
      const convertIn = (k: number, layout: Layout | null): Val => {
        const id = node.inputs[k];
        const val = get(id);
        if (layout === null || val.layout === layout || !hasLayout(val.shape)) return val;
        const cached = converted.get(id);
        if (cached && cached.layout === layout) return cached;
        const inPlace = deadAfter(id, i) && owned.has(val.v) && node.inputs.filter((x) => x === id).length === 1;
        const named = inPlace && ports.has(val.v) && val.v !== 'x' && !w.taken('x') ? w.newVar('x') : undefined;
        const out = this.convert(w, val, layout, inPlace, named);
        owned.add(out.v);
        if (inPlace) vals.set(id, out);
        else converted.set(id, out);
        return out;
      };
      let out: Val;
      // An input called `image` or `tokens` does not hold what the layers make of it: those go in `x`.
      const reuse = (v: string) => (ports.has(v) && v !== 'x' && !w.taken('x') ? w.newVar('x') : v);
      // The name the source gives the value, where it is free (or is the variable being replaced).
      const hint = this.valueName(node);
      const alloc = (reusable: string | undefined): string => {
        if (hint !== undefined) {
          const h = pyIdent(hint);
          if (reusable === h) return h;
          if (!w.taken(h)) return w.newVar(h);
        }
        return reusable !== undefined ? reuse(reusable) : w.newVar();
      };
      if (node.kind === 'group') {
        const ins = node.inputs.map((_, k) => convertIn(k, null));
        const outVar = alloc(canReuse ? get(firstIn).v : undefined);
        out = this.emitGroup(w, node, ins, outVar, scope, mult, shapes, path);
      } else {
        const ins = node.inputs.map((_, k) => convertIn(k, this.required(node, node.inputs.map(get), k)));
        const outVar = alloc(canReuse ? ins[0].v : undefined);
        this.layerPath = path;
        out = this.emitLayer(w, node, ins, outVar, scope, mult, shapes);
        if (this.options.weightsFile !== undefined) out = { ...out, perm: this.permAfter(node, ins) };
      }
      owned.add(out.v);
      vals.set(node.id, out);
    });
    return g.outputs.map((id) => {
      const v = vals.get(id);
      if (!v) throw new ExportFailure('internal: an output has no value', g.nodes[0]?.range ?? this.analysis.file.range);
      return v;
    });
  }

  /**
   * With weights: the feature order of a layer's output (weights.ts). An
   * image flatten starts a permutation; it passes through elementwise
   * layers and concat; a use that would hide it from the weights is refused.
   */
  private permAfter(node: LayerNode, ins: Val[]): readonly number[] | undefined {
    const x = ins[0];
    if (node.op === 'flatten') {
      // Flattening a vector keeps its order (and its permutation, if it has one).
      if (!x || x.layout !== 'first' || !hasLayout(x.shape)) return x?.perm;
      const dims = x.shape.dims.map((d) => d.value);
      if (dims.some((d) => d === undefined)) return undefined;
      const n = dims as number[];
      return channelsFirstFlattenPerm(n.slice(0, -1), n[n.length - 1]);
    }
    try {
      return outputPerm(node, ins.map((i) => ({ perm: i.perm, size: i.shape.dims.length === 1 ? i.shape.dims[0].value : undefined })));
    } catch (why) {
      if (typeof why === 'string') this.fail(node, `the trained weights cannot follow: ${why}`);
      throw why;
    }
  }

  private convert(w: ClassWriter, val: Val, layout: Layout, inPlace: boolean, name?: string): Val {
    if (val.layout === layout || !hasLayout(val.shape)) return val;
    const rank = val.shape.dims.length;
    const v = name !== undefined ? name : inPlace ? val.v : w.newVar(`${val.v}_${layout === 'first' ? (rank === 3 ? 'nchw' : 'ncl') : rank === 3 ? 'nhwc' : 'nlc'}`);
    const what = rank === 3 ? (layout === 'first' ? 'NHWC -> NCHW' : 'NCHW -> NHWC') : layout === 'first' ? '[N, L, C] -> [N, C, L]' : '[N, C, L] -> [N, L, C]';
    w.body.push(`${v} = ${val.v}.permute(${permuteTo(layout, rank)})  # ${what}`);
    return { v, layout, shape: val.shape };
  }

  /** The layout input `k` of `node` needs, or null when any will do. */
  private required(node: LayerNode, ins: Val[], k: number): Layout | null {
    const shape = ins[k].shape;
    if (!hasLayout(shape)) return null;
    if (CHANNELS_FIRST.has(node.op)) return 'first';
    if (node.op === 'concat') return ins[0].layout;
    if (node.op === 'add' || node.op === 'multiply') {
      // With equal ranks broadcasting is axis by axis, so any layout shared by all inputs works
      // ([B, C, H, W] + [B, C, 1, 1]); with fewer axes on one side it aligns the last axes, as declared.
      const sameRank = ins.every((x) => x.shape.dims.length === node.shape.dims.length);
      return sameRank ? ins[0].layout : 'last';
    }
    if (ANY_LAYOUT.has(node.op)) return null;
    return 'last';
  }

  private emitGroup(w: ClassWriter, node: GroupNode, ins: Val[], outVar: string, scope: Scope, mult: number, shapes: boolean, path = ''): Val {
    const inline = node.runs.some((r) => usesObjects(r.body));
    let x = ins[0];
    const extra = ins.slice(1);
    const label = node.block ?? node.label;
    if (inline) {
      // Bodies that use layer objects are emitted in place, as the runtime expands them, so a
      // shared module stays one attribute of the caller.
      w.body.push(`# ${label}${node.repeat > 1 ? ` * ${node.repeat}` : ''} (${this.where(node.range, node.uri)}), inlined: it uses layer objects`);
      for (const [r, run] of node.runs.entries()) {
        for (let k = 0; k < run.count; k++) {
          const outs = this.emitGraph(w, run.body, [x, ...extra], { parent: scope, objects: new Map() }, mult, false, shapes, `${path}/${r}#${k}`);
          x = outs[0];
        }
      }
      if (x.v !== outVar) w.body.push(`${outVar} = ${x.v}`);
      return { ...x, v: outVar };
    }
    // `block * N` whose copies differ in shape (DenseNet's layer, each one 32 channels wider) is N
    // runs of one copy each. When they share a class and its arguments step evenly, write one
    // nn.Sequential with the arguments as a function of the index, not N attributes and N calls.
    if (node.runs.length > 1 && extra.length === 0 && node.runs.every((run) => run.count === 1)) {
      const classes: { call: string; out: Val; tree: ModuleTree }[] = [];
      let y = x;
      for (const run of node.runs) {
        const cls = this.blockClass(node, run.body, [y], false, mult);
        classes.push(cls);
        y = cls.out;
      }
      const make = progressionCall(classes.map((c) => c.call), 'i');
      if (make !== undefined) {
        const attr = w.attr(pyIdent(label) + 's', true);
        classes.forEach((cls, r) => w.tree.entries.push({ kind: 'child', path, run: r, attr: `${attr.slice('self.'.length)}.${r}`, count: 1, repeated: false, tree: cls.tree }));
        const shapeNote = shapes ? ` -> ${this.torchShapeText(y.shape, y.layout)}` : '';
        w.inits.push(`${attr} = nn.Sequential(*[${make} for i in range(${classes.length})])  # ${this.where(node.range, node.uri)}: ${label} * ${node.repeat}`);
        w.body.push(`${outVar} = ${attr}(${x.v})  # ${label} * ${node.repeat}${shapeNote}`);
        return { ...y, v: outVar };
      }
      // Not a progression: one attribute per copy, as below, with the classes already made.
      for (const [r, cls] of classes.entries()) {
        const attr = w.attr(pyIdent(label), true);
        w.tree.entries.push({ kind: 'child', path, run: r, attr: attr.slice('self.'.length), count: 1, repeated: false, tree: cls.tree });
        const target = r === classes.length - 1 ? outVar : w.newVar();
        const shapeNote = shapes ? ` -> ${this.torchShapeText(cls.out.shape, cls.out.layout)}` : '';
        w.inits.push(`${attr} = ${cls.call}  # ${this.where(node.range, node.uri)}: ${label}${node.repeat > 1 ? ` * ${node.repeat}` : ''}`);
        w.body.push(`${target} = ${attr}(${x.v})  # ${label}${shapeNote}`);
        x = { ...cls.out, v: target };
      }
      return x;
    }
    for (const [r, run] of node.runs.entries()) {
      const repeated = run.count > 1;
      const cls = this.blockClass(node, run.body, [x, ...extra], repeated, mult * run.count);
      const make = cls.call;
      const attrBase = pyIdent(label) + (repeated ? 's' : '');
      const attr = w.attr(attrBase, true);
      w.tree.entries.push({ kind: 'child', path, run: r, attr: attr.slice('self.'.length), count: run.count, repeated, tree: cls.tree });
      const source = `${this.where(node.range, node.uri)}: ${label}${node.repeat > 1 ? ` * ${node.repeat}` : ''}`;
      const inVar = x.v;
      const target = r === node.runs.length - 1 ? outVar : w.newVar();
      // Block classes serve several sizes: shapes are shown in the model's forward only.
      const shapeNote = shapes ? ` -> ${this.torchShapeText(cls.out.shape, cls.out.layout)}` : '';
      if (!repeated) {
        w.inits.push(`${attr} = ${make}  # ${source}`);
        w.body.push(`${target} = ${attr}(${[inVar, ...extra.map((e) => e.v)].join(', ')})  # ${label}${shapeNote}`);
      } else if (extra.length === 0) {
        w.inits.push(`${attr} = nn.Sequential(*[${make} for _ in range(${run.count})])  # ${source}`);
        w.body.push(`${target} = ${attr}(${inVar})  # ${label} * ${run.count}${shapeNote}`);
      } else {
        w.inits.push(`${attr} = nn.ModuleList([${make} for _ in range(${run.count})])  # ${source}`);
        if (target !== inVar) w.body.push(`${target} = ${inVar}`);
        const each = w.newVar('block');
        w.body.push(`for ${each} in ${attr}:  # ${label} * ${run.count}${shapeNote}`);
        w.body.push(`    ${target} = ${each}(${[target, ...extra.map((e) => e.v)].join(', ')})`);
      }
      x = { ...cls.out, v: target };
    }
    return x;
  }

  /**
   * The helper class of one block instantiation, and the expression that
   * constructs it. Instantiations whose code differs only in the numbers of
   * the constructor (channels, strides...) share one class that takes them
   * as parameters, `DownBlock(64, 128)`; the call is a marker that
   * `resolveCalls` rewrites once every instantiation is known.
   */
  private blockClass(node: GroupNode, body: Graph, ins: Val[], repeated: boolean, mult: number): { call: string; out: Val; tree: ModuleTree } {
    const w = new ClassWriter();
    const ports: Val[] = [];
    const params: string[] = [];
    for (const n of body.nodes) {
      if (n.kind !== 'input') continue;
      const v = w.newVar(n.name);
      params[n.port] = v;
      const given = ins[n.port];
      ports[n.port] = { v, layout: given?.layout ?? 'last', shape: n.shape, perm: given?.perm };
      if (given?.perm !== undefined && repeated) {
        throw new ExportFailure(`cannot carry trained weights into ${node.label} (${this.where(node.range, node.uri)}): its input is an image flattened in PyTorch's [C, H, W] order, which a repeated block cannot follow`, node.range, node.uri);
      }
    }
    const [out0] = this.emitGraph(w, body, ports, { objects: new Map() }, mult, true, false);
    // A repeated block feeds itself: hand its output back in the layout it takes.
    const out = repeated ? this.convert(w, out0, ports[0].layout, true) : out0;
    w.body.push(`return ${out.v}`);
    const label = node.block ?? node.label;
    const decl = node.block !== undefined ? this.analysis.blocks.find((b) => b.name === node.block) : undefined;
    const doc = [
      node.block !== undefined
        ? `\`block ${node.block}\` (${decl ? this.where(decl.nameRange, decl.uri) : this.where(node.range, node.uri)}).`
        : `\`${node.label}\`, repeated (${this.where(node.range, node.uri)}).`,
    ];
    if (ports.some((p) => hasLayout(p.shape))) {
      doc.push('', `Takes ${ports.map((p, i) => `${params[i]}: ${layoutText(p.shape, p.layout)}`).join(', ')}.`);
    }
    const text = this.classText('\u0000', doc, [], w, params);
    const { key, parts, hints, values } = templateOf(text, this.templates);
    let t = this.templates.get(`${label}\u0003${key}`);
    if (!t) {
      t = { index: this.templates.size, base: pyClassName(label), parts, hints, insts: [] };
      this.templates.set(`${label}\u0003${key}`, t);
    }
    t.insts.push(values);
    return { call: `\u0001${t.index}\u0001(${values.join(', ')})`, out, tree: w.tree };
  }

  // ---------------------------------------------------------------- layers

  private fail(node: LayerNode, why: string): never {
    throw new ExportFailure(`cannot export ${node.label} (${this.where(node.range, node.uri)}) to PyTorch: ${why}`, node.range, node.uri);
  }

  private note(node: LayerNode, message: string, trainableDelta: number, mult: number): void {
    this.noteList.push({
      model: this.model,
      line: node.range.start.line + 1,
      column: node.range.start.character + 1,
      uri: node.uri,
      message: `${node.label}: ${message}`,
      trainableDelta: trainableDelta * mult,
    });
  }

  /** A dimension that must be a known number to build the module. */
  private int(node: LayerNode, d: Sym, what: string): number {
    const v = d.value;
    if (v === undefined) this.fail(node, `its ${what} is the symbolic ${d.toString()}; a PyTorch module needs a number`);
    return v;
  }

  private emitLayer(w: ClassWriter, node: LayerNode, ins: Val[], out: string, scope: Scope, mult: number, shapes: boolean): Val {
    const a = node.args;
    const x = ins[0];
    const inShape = x?.shape;
    const rank = inShape ? inShape.dims.length : 0;
    const chan = (s: Shape) => this.int(node, s.dims[s.dims.length - 1], 'channel count');
    const lines: string[] = [];
    let cur = x?.v ?? '';
    /** Appends `out = f(cur)`; the next step reads `out`. */
    const step = (f: (v: string) => string) => {
      lines.push(`${out} = ${f(cur)}`);
      cur = out;
    };
    const module = (prefix: string, expr: string, exact?: string): string => {
      const attr = exact !== undefined ? w.attr(exact, true) : w.attr(prefix);
      w.inits.push(`${attr} = ${expr}  # ${this.where(node.range, node.uri)}: ${node.source ?? node.label}`);
      return attr;
    };
    /** Notes which attribute holds this node's weights (weights.ts); every application of a shared one. */
    const recorded = (attr: string, expr: string): string => {
      w.tree.entries.push({ kind: 'module', path: this.layerPath, node, attr: attr.slice('self.'.length), inPerm: x?.perm, cls: expr.slice(0, expr.indexOf('(')) });
      return attr;
    };
    /** The module of a layer object (created on its first application), or a fresh one. */
    const objectModule = (prefix: string, expr: string): string => {
      if (node.object === undefined) return recorded(module(prefix, expr), expr);
      const key = node.objectId ?? node.object;
      const found = lookupObject(scope, key);
      if (found && (node.sharedWith !== undefined || found.unapplied)) {
        found.unapplied = false;
        return recorded(found.attr, expr);
      }
      const attr = module(prefix, expr, node.object);
      objectHome(scope, key).objects.set(key, { attr, unapplied: false });
      return recorded(attr, expr);
    };
    let layout: Layout = x?.layout ?? 'last';
    const outLayoutOfInput = () => (hasLayout(node.shape) && hasLayout(inShape) ? x.layout : 'last');
    const activation = (name: string, d: number) => {
      if (name === 'none') return;
      const f = activationExpr(name, d, layout, node.shape);
      if (!f) this.fail(node, `no PyTorch translation for the activation '${name}'`);
      step(f);
    };

    switch (node.op) {
      case 'dense': {
        const attr = objectModule('fc', `nn.Linear(${chan(inShape)}, ${a.units}${a.bias === false ? ', bias=False' : ''})`);
        step((v) => `${attr}(${v})`);
        layout = 'last';
        activation(String(a.activation), -1);
        break;
      }
      case 'conv1d':
      case 'conv2d': {
        const n = node.op === 'conv1d' ? 1 : 2;
        const k = ints(a.kernel, n);
        const s = ints(a.stride, n);
        const d = ints(a.dilation ?? 1, n);
        const groups = typeof a.groups === 'number' ? a.groups : 1;
        const opts: string[] = [];
        if (s.some((v) => v !== 1)) opts.push(`stride=${pyTuple(s)}`);
        const padding = String(a.padding);
        const spatial = inShape.dims.slice(0, n);
        let pad: ((v: string) => string) | undefined;
        // Explicit padding is PyTorch's own: p zeros on each side.
        if (Array.isArray(a.padding)) {
          const p = ints(a.padding, n);
          if (p.some((v) => v !== 0)) opts.push(`padding=${pyTuple(p)}`);
        } else if (padding === 'same') {
          const even = s.every((v) => v === 1) ? undefined : evenSamePad(spatial, k, s, d);
          if (s.every((v) => v === 1)) opts.push(`padding="same"`);
          // As much before as after on every axis: PyTorch's own padding computes the same (nn.Conv2d(c, f, 3, stride=2, padding=1)).
          else if (even) {
            if (even.some((v) => v !== 0)) opts.push(`padding=${pyTuple(even)}`);
          } else pad = this.samePad(spatial, k, s, d);
        }
        const causal = padding === 'causal';
        // A causal convolution always states its dilation: it sets the padding, and blocks that differ in it share a class.
        if (d.some((v) => v !== 1) || causal) opts.push(`dilation=${pyTuple(d)}`);
        if (groups !== 1) opts.push(`groups=${groups}`);
        if (a.bias === false) opts.push('bias=False');
        if (causal) this.helpers.add('CausalConv1d');
        const cls = causal ? 'CausalConv1d' : n === 1 ? 'nn.Conv1d' : 'nn.Conv2d';
        const attr = objectModule('conv', `${cls}(${[chan(inShape), a.filters, pyTuple(k), ...opts].join(', ')})`);
        if (pad !== undefined) {
          lines.push(`${out} = F.pad(${cur}, ${pad(cur)})  # TensorFlow's 'same' with stride > 1 pads more at the end`);
          cur = out;
        }
        step((v) => `${attr}(${v})`);
        layout = 'first';
        activation(String(a.activation), -1);
        break;
      }
      case 'conv2d_transpose': {
        const k = ints(a.kernel, 2);
        const s = ints(a.stride, 2);
        const opts: string[] = [];
        if (s.some((v) => v !== 1)) opts.push(`stride=${pyTuple(s)}`);
        // Keras: valid → in·s + max(k − s, 0); same → in·s. PyTorch: (in − 1)·s − 2p + k + output_padding.
        const padding: number[] = [];
        const outputPadding: number[] = [];
        const crop: [number, number][] = [];
        for (let i = 0; i < 2; i++) {
          if (k[i] < s[i]) {
            padding.push(0);
            outputPadding.push(s[i] - k[i]);
            crop.push([0, 0]);
          } else if (a.padding === 'same' && (k[i] - s[i]) % 2 === 0) {
            padding.push((k[i] - s[i]) / 2);
            outputPadding.push(0);
            crop.push([0, 0]);
          } else if (a.padding === 'same') {
            const total = k[i] - s[i];
            padding.push(0);
            outputPadding.push(0);
            crop.push([Math.floor(total / 2), total - Math.floor(total / 2)]);
          } else {
            padding.push(0);
            outputPadding.push(0);
            crop.push([0, 0]);
          }
        }
        if (padding.some((p) => p !== 0)) opts.push(`padding=${pyTuple(padding)}`);
        if (outputPadding.some((p) => p !== 0)) opts.push(`output_padding=${pyTuple(outputPadding)}`);
        if (a.bias === false) opts.push('bias=False');
        const attr = objectModule('upconv', `nn.ConvTranspose2d(${[chan(inShape), a.filters, pyTuple(k), ...opts].join(', ')})`);
        step((v) => `${attr}(${v})`);
        if (crop.some(([p, q]) => p + q > 0)) {
          const sl = crop.map(([p, q]) => `${p}:${q > 0 ? -q : ''}`);
          lines.push(`${out} = ${out}[:, :, ${sl.join(', ')}]  # TensorFlow's 'same' crops the odd pixel at the end`);
        }
        layout = 'first';
        activation(String(a.activation), -1);
        break;
      }
      case 'maxpool':
      case 'avgpool': {
        const n = rank - 1;
        const size = ints(a.size, n);
        const stride = ints(a.stride, n);
        const fn = `F.${node.op === 'maxpool' ? 'max' : 'avg'}_pool${n}d`;
        const args = [pyTuple(size), ...(stride.every((v, i) => v === size[i]) ? [] : [`stride=${pyTuple(stride)}`])];
        const ones = new Array<number>(n).fill(1);
        const even = a.padding === 'same' ? evenSamePad(inShape.dims.slice(0, n), size, stride, ones) : undefined;
        if (Array.isArray(a.padding)) {
          // Explicit padding is PyTorch's own: −∞ for max (never the max), zeros counted in the mean for average (count_include_pad).
          const p = ints(a.padding, n);
          if (p.some((v) => v !== 0)) args.push(`padding=${pyTuple(p)}`);
        } else if (even?.some((v) => v !== 0)) {
          // As much before as after: the pooling's own padding, which max pooling never picks and, without
          // count_include_pad, average pooling leaves out of the mean, as TensorFlow does.
          args.push(`padding=${pyTuple(even)}`);
          if (node.op === 'avgpool') args.push('count_include_pad=False');
        }
        const pad = a.padding === 'same' && even === undefined ? this.samePad(inShape.dims.slice(0, n), size, stride, ones) : undefined;
        if (pad === undefined) {
          step((v) => `${fn}(${v}, ${args.join(', ')})`);
        } else if (node.op === 'maxpool') {
          lines.push(`${out} = F.pad(${cur}, ${pad(cur)}, value=float("-inf"))  # TensorFlow's 'same': the padding never wins the max`);
          cur = out;
          step((v) => `${fn}(${v}, ${args.join(', ')})`);
        } else {
          // TensorFlow averages over the real values only: sum of the padded window / count of real values.
          const p = pad(cur);
          const ones = `F.pad(torch.ones_like(${cur}[:, :1]), ${p})`;
          lines.push(`${out} = ${fn}(F.pad(${cur}, ${p}), ${args.join(', ')}) / ${fn}(${ones}, ${args.join(', ')})  # 'same': the padding is not averaged`);
          cur = out;
        }
        layout = 'first';
        break;
      }
      case 'global_avgpool':
      case 'global_maxpool': {
        const dims = rank === 3 ? '(2, 3)' : '2';
        step((v) => (node.op === 'global_avgpool' ? `${v}.mean(dim=${dims})` : `${v}.amax(dim=${dims})`));
        layout = 'last';
        break;
      }
      case 'upsample': {
        const f = ints(a.factor, rank - 1);
        step((v) => `F.interpolate(${v}, scale_factor=${pyTuple(f)}, mode="nearest")`);
        layout = 'first';
        break;
      }
      case 'batchnorm': {
        if (rank > 3) this.fail(node, `batchnorm on ${rank} axes is not supported (PyTorch's BatchNorm1d/2d take 1 to 3)`);
        const c = chan(inShape);
        const cls = rank === 3 ? 'nn.BatchNorm2d' : 'nn.BatchNorm1d';
        const opts = [String(c)];
        if (a.epsilon !== 1e-5) opts.push(`eps=${pyFloat(Number(a.epsilon))}`);
        // Keras's momentum weighs the old statistic; PyTorch's weighs the new batch.
        opts.push(`momentum=${pyFloat(1 - Number(a.momentum))}`);
        const attr = objectModule('bn', `${cls}(${opts.join(', ')})`);
        step((v) => `${attr}(${v})`);
        layout = rank === 1 ? 'last' : 'first';
        break;
      }
      case 'layernorm': {
        const opts = [String(chan(inShape))];
        if (a.epsilon !== 1e-5) opts.push(`eps=${pyFloat(Number(a.epsilon))}`);
        const attr = objectModule('ln', `nn.LayerNorm(${opts.join(', ')})`);
        step((v) => `${attr}(${v})`);
        layout = 'last';
        break;
      }
      case 'layer_scale': {
        this.helpers.add('LayerScale');
        const attr = objectModule('scale', `LayerScale(${chan(inShape)}${Number(a.init) === 1e-6 ? '' : `, ${pyFloat(Number(a.init))}`})`);
        step((v) => `${attr}(${v})`);
        layout = 'last';
        break;
      }
      case 'groupnorm': {
        const opts = [String(a.groups), String(chan(inShape))];
        if (a.epsilon !== 1e-5) opts.push(`eps=${pyFloat(Number(a.epsilon))}`);
        const attr = objectModule('gn', `nn.GroupNorm(${opts.join(', ')})`);
        step((v) => `${attr}(${v})`);
        layout = rank === 1 ? 'last' : 'first';
        break;
      }
      case 'relu':
      case 'relu6':
      case 'elu':
      case 'gelu':
      case 'sigmoid':
      case 'tanh':
      case 'silu':
      case 'hard_sigmoid':
      case 'hard_swish':
        layout = outLayoutOfInput();
        activation(node.op, -1);
        break;
      case 'leaky_relu':
        layout = outLayoutOfInput();
        step((v) => `F.leaky_relu(${v}, ${pyFloat(Number(a.alpha))})`);
        break;
      case 'softmax': {
        layout = outLayoutOfInput();
        const axis = normAxis(Number(a.axis), rank);
        step((v) => `F.softmax(${v}, dim=${torchDim(axis, rank, layout, inShape) === rank ? -1 : torchDim(axis, rank, layout, inShape)})`);
        break;
      }
      case 'dropout': {
        layout = outLayoutOfInput();
        const attr = objectModule('drop', `nn.Dropout(${pyFloat(Number(a.rate))})`);
        step((v) => `${attr}(${v})`);
        break;
      }
      case 'drop_path': {
        layout = outLayoutOfInput();
        this.helpers.add('DropPath');
        const attr = objectModule('drop_path', `DropPath(${pyFloat(Number(a.rate))})`);
        step((v) => `${attr}(${v})`);
        break;
      }
      case 'gaussian_noise': {
        layout = outLayoutOfInput();
        this.helpers.add('GaussianNoise');
        const attr = objectModule('noise', `GaussianNoise(${pyFloat(Number(a.stddev))})`);
        step((v) => `${attr}(${v})`);
        break;
      }
      case 'random_flip': {
        this.helpers.add('RandomFlip');
        const mode = String(a.mode);
        const args = mode === 'horizontal' ? 'vertical=False' : mode === 'vertical' ? 'horizontal=False' : '';
        const attr = objectModule('flip', `RandomFlip(${args})`);
        step((v) => `${attr}(${v})`);
        layout = 'first';
        break;
      }
      case 'random_rotation': {
        this.helpers.add('RandomRotation');
        const attr = objectModule('rotate', `RandomRotation(${pyFloat(Number(a.factor))})`);
        step((v) => `${attr}(${v})`);
        layout = 'first';
        break;
      }
      case 'random_crop': {
        this.helpers.add('RandomCrop');
        const attr = objectModule('crop', `RandomCrop(${a.h}, ${a.w})`);
        step((v) => `${attr}(${v})`);
        layout = 'first';
        break;
      }
      case 'random_translation':
      case 'random_zoom': {
        const zoom = node.op === 'random_zoom';
        this.helpers.add(zoom ? 'RandomZoom' : 'RandomTranslation');
        const args = [pyFloat(Number(a.height_factor))];
        // Translation's width_factor defaults to height_factor; zoom's absent one means "zoom with the height".
        if (a.width_factor !== null && a.width_factor !== undefined && (zoom || a.width_factor !== a.height_factor)) args.push(pyFloat(Number(a.width_factor)));
        if (a.fill_mode !== 'reflect') args.push(`padding_mode="${GRID_PADDING[String(a.fill_mode)]}"`);
        const attr = objectModule(zoom ? 'zoom' : 'shift', `${zoom ? 'RandomZoom' : 'RandomTranslation'}(${args.join(', ')})`);
        step((v) => `${attr}(${v})`);
        layout = 'first';
        break;
      }
      case 'cutout': {
        this.helpers.add('Cutout');
        const attr = objectModule('cutout', `Cutout(${a.h}, ${a.w})`);
        step((v) => `${attr}(${v})`);
        layout = 'first';
        break;
      }
      case 'random_brightness': {
        // One delta per image, added everywhere: either layout.
        layout = outLayoutOfInput();
        this.helpers.add('RandomBrightness');
        const [low, high] = a.value_range as number[];
        const range = low === 0 && high === 1 ? '' : `, value_range=(${pyFloat(low)}, ${pyFloat(high)})`;
        const attr = objectModule('brightness', `RandomBrightness(${pyFloat(Number(a.factor))}${range})`);
        step((v) => `${attr}(${v})`);
        break;
      }
      case 'random_contrast': {
        this.helpers.add('RandomContrast');
        const attr = objectModule('contrast', `RandomContrast(${pyFloat(Number(a.factor))})`);
        step((v) => `${attr}(${v})`);
        layout = 'first';
        break;
      }
      case 'flatten': {
        if (x.layout === 'first' && hasLayout(inShape)) {
          // With trained weights the layers after it get their rows reordered (weights.ts): nothing to say then.
          if (this.options.weightsFile === undefined) {
            this.note(node, `flattens in PyTorch's [C, ${rank === 3 ? 'H, W' : 'L'}] order, not [${rank === 3 ? 'H, W' : 'L'}, C] (same size; matters only for weights copied from Keras)`, 0, mult);
          }
        }
        step((v) => `torch.flatten(${v}, 1)`);
        layout = 'last';
        break;
      }
      case 'reshape': {
        const sizes = a.shape as number[];
        // One size other than 1 (and no -1): write -1 there. The values are the same, and the
        // line no longer names a width (squeeze-excite's reshape([1, 1, c])), so a block called
        // at several widths stays one class.
        const notOne = sizes.filter((s) => s !== 1).length;
        const target = sizes.map((s) => (notOne === 1 && !sizes.includes(-1) && s !== 1 ? '-1' : String(s)));
        step((v) => `${v}.reshape(${v}.shape[0], ${target.join(', ')})`);
        layout = 'last';
        break;
      }
      case 'transpose': {
        const perm = (a.perm as number[]).map((p) => p + 1);
        step((v) => `${v}.permute(0, ${perm.join(', ')})`);
        layout = 'last';
        break;
      }
      case 'concat': {
        layout = hasLayout(node.shape) ? x.layout : 'last';
        const axis = normAxis(Number(a.axis), rank);
        const dim = torchDim(axis, rank, layout, inShape);
        lines.push(`${out} = torch.cat([${ins.map((i) => i.v).join(', ')}], dim=${dim === rank ? -1 : dim})`);
        cur = out;
        break;
      }
      case 'add':
      case 'multiply': {
        layout = hasLayout(node.shape) ? (ins.every((i) => i.layout === x.layout) ? x.layout : 'last') : 'last';
        // A value with fewer axes ([c] beside [h, w, c]) gets its missing axes after the batch, as
        // Keras's merge layers expand it: [B, c] → [B, 1, 1, c]. Broadcast as it is, its batch axis
        // would meet the image's height.
        const operand = (i: Val) => {
          const missing = node.shape.dims.length - i.shape.dims.length;
          return missing > 0 ? `${i.v}[:, ${Array(missing).fill('None').join(', ')}]` : i.v;
        };
        lines.push(`${out} = ${ins.map(operand).join(node.op === 'add' ? ' + ' : ' * ')}`);
        cur = out;
        break;
      }
      case 'mean':
      case 'max': {
        const axes = ints(a.axis, 1, true).map((ax) => normAxis(ax, rank) + 1);
        const dims = axes.length === 1 ? String(axes[0]) : `(${axes.join(', ')})`;
        step((v) => (node.op === 'mean' ? `${v}.mean(dim=${dims})` : `${v}.amax(dim=${dims})`));
        layout = 'last';
        break;
      }
      case 'take': {
        const axis = normAxis(Number(a.axis), rank);
        step((v) => `${v}[:, ${':, '.repeat(axis)}${a.index}]`);
        layout = 'last';
        break;
      }
      case 'embedding': {
        const attr = objectModule('embed', `nn.Embedding(${a.vocab}, ${a.dim})`);
        step((v) => `${attr}(${v})`);
        layout = 'last';
        break;
      }
      case 'unembed': {
        const ref = a.embedding;
        if (!isLayerRef(ref)) this.fail(node, 'it needs an embedding layer object');
        const key = ref.id ?? ref.name;
        let found = lookupObject(scope, key);
        if (!found) {
          // Used before the embedding is applied: create it here; its first application reuses it.
          const attr = w.attr(ref.name, true);
          w.inits.push(`${attr} = nn.Embedding(${ref.args.vocab}, ${ref.args.dim})  # ${ref.name}`);
          found = { attr, unapplied: true };
          objectHome(scope, key).objects.set(key, found);
        }
        let bias = '';
        if (a.bias === true) {
          const b = w.attr('unembed_bias');
          recorded(b, 'nn.Parameter()');
          w.inits.push(`${b} = nn.Parameter(torch.zeros(${ref.args.vocab}))  # ${this.where(node.range, node.uri)}: ${node.source ?? node.label}`);
          bias = `, ${b}`;
        }
        step((v) => `F.linear(${v}, ${found.attr}.weight${bias})  # tied to ${ref.name}: x @ E^T`);
        layout = 'last';
        break;
      }
      case 'positional': {
        const kind = a.kind === 'learned' ? 'learned' : 'sinusoidal';
        const maxlen = typeof a.maxlen === 'number' ? a.maxlen : SINUSOIDAL_DEFAULT_MAXLEN;
        let attr: string;
        if (kind === 'learned') {
          this.helpers.add('LearnedPositional');
          attr = objectModule('pos', `LearnedPositional(${maxlen}, ${chan(inShape)})`);
        } else {
          this.helpers.add('SinusoidalPositional');
          attr = objectModule('pos', `SinusoidalPositional(${maxlen})`);
        }
        step((v) => `${attr}(${v})`);
        layout = 'last';
        break;
      }
      case 'sinusoidal': {
        this.helpers.add('SinusoidalEmbedding');
        const period = typeof a.max_period === 'number' && a.max_period !== SINUSOIDAL_MAX_PERIOD ? `, max_period=${pyFloat(a.max_period)}` : '';
        const attr = objectModule('sinusoidal', `SinusoidalEmbedding(${a.dim}${period})`);
        step((v) => `${attr}(${v})`);
        layout = 'last';
        break;
      }
      case 'cls_token': {
        this.helpers.add('ClsToken');
        const attr = objectModule('cls', `ClsToken(${chan(inShape)})`);
        step((v) => `${attr}(${v})`);
        layout = 'last';
        break;
      }
      case 'attention': {
        this.helpers.add('MultiHeadAttention');
        const dim = chan(inShape);
        const opts = [String(dim), String(a.heads)];
        if (typeof a.key_dim === 'number') opts.push(`key_dim=${a.key_dim}`);
        // Tensor arguments are the last inputs, in schema order: [x], [x, context], [x, ids] or [x, context, ids].
        const ctx = a.context != null ? ins[1] : undefined;
        const padIds = a.pad_mask != null ? ins[ins.length - 1] : undefined;
        if (ctx) {
          const dc = chan(ctx.shape);
          if (dc !== dim) opts.push(`context_dim=${dc}`);
        }
        if (a.causal === true) opts.push('causal=True');
        if (typeof a.dropout === 'number' && a.dropout > 0) opts.push(`dropout=${pyFloat(a.dropout)}`);
        if (a.bias === false) opts.push('bias=False');
        if (a.position === 'alibi') opts.push('alibi=True');
        // Said even when 0, the default: which id is padding is worth reading at the call.
        if (padIds) opts.push(`pad_id=${typeof a.pad_id === 'number' ? a.pad_id : 0}`);
        const attr = objectModule('attn', `MultiHeadAttention(${opts.join(', ')})`);
        step((v) => `${attr}(${v}${ctx ? `, ${ctx.v}` : ''}${padIds ? `, pad_ids=${padIds.v}` : ''})`);
        layout = 'last';
        break;
      }
      case 'rnn':
      case 'lstm':
      case 'gru': {
        const units = Number(a.units);
        const bidirectional = a.bidirectional === true;
        // Without return_sequences: the last state of each direction. A bidirectional layer's backward one is at
        // step 0 (it has read the whole sequence backwards), not at the last step: the returned states hold both.
        const lastState = (states: string) =>
          bidirectional ? `torch.cat(tuple(${states}), dim=1)  # the last state of each direction: forward, then backward` : `${states}[-1]  # the last step only`;
        // With trained weights, a GRU must compute as TensorFlow.js's (reset gate before the recurrent product).
        const kerasGru = node.op === 'gru' && this.options.weightsFile !== undefined;
        if (kerasGru) {
          this.helpers.add('KerasGRU');
          const attr = objectModule('gru', `KerasGRU(${chan(inShape)}, ${units}${bidirectional ? ', bidirectional=True' : ''})`);
          this.note(node, "written as KerasGRU (TensorFlow.js's reset-gate placement) so that the trained weights carry over; nn.GRU places the reset gate after the recurrent product", 0, mult);
          if (a.return_sequences === true) step((v) => `${attr}(${v})[0]`);
          else step((v) => lastState(`${attr}(${v})[1]`));
          layout = 'last';
          break;
        }
        const cls = { rnn: 'nn.RNN', lstm: 'nn.LSTM', gru: 'nn.GRU' }[node.op];
        const gates = RECURRENT_GATES[node.op];
        const attr = objectModule(node.op, `${cls}(${chan(inShape)}, ${units}, batch_first=True${bidirectional ? ', bidirectional=True' : ''})`);
        const delta = gates * units * (bidirectional ? 2 : 1);
        this.note(node, `PyTorch's ${cls} has two bias vectors (b_ih, b_hh) where Keras has one${bidirectional ? ', in each direction' : ''}`, delta, mult);
        if (node.op === 'gru') {
          this.note(node, "PyTorch's GRU applies the reset gate after the recurrent product (Keras reset_after=True); TensorFlow.js's, before", 0, mult);
        }
        if (node.op === 'lstm') this.note(node, 'Keras initialises the forget-gate bias to 1 (unit_forget_bias); PyTorch to small random values', 0, mult);
        if (a.return_sequences === true) step((v) => `${attr}(${v})[0]`);
        // nn.LSTM returns (outputs, (h_n, c_n)); nn.RNN and nn.GRU (outputs, h_n).
        else if (bidirectional) step((v) => lastState(`${attr}(${v})[1]${node.op === 'lstm' ? '[0]' : ''}`));
        else step((v) => `${attr}(${v})[0][:, -1]  # the last step only`);
        layout = 'last';
        break;
      }
      default:
        this.fail(node, `no PyTorch translation for the layer '${node.op}'`);
    }
    if (lines.length === 0) lines.push(`${out} = ${cur}`);
    // As written (`dense(hidden)`), not with one call's values: a block's class serves every call.
    const comment = shapes
      ? `  # ${this.where(node.range, node.uri)}: ${node.source ?? node.label} -> ${this.torchShapeText(node.shape, layout)}`
      : `  # ${this.where(node.range, node.uri)}: ${node.source ?? node.label}`;
    const last = lines.length - 1;
    // The source line goes at the end of the statement that gives the value, or above the steps when that one explains itself.
    if (lines[last].includes('  # ')) lines.unshift(comment.trim());
    else lines[last] += comment;
    w.body.push(...lines);
    return { v: out, layout: hasLayout(node.shape) ? layout : 'last', shape: node.shape };
  }

  /**
   * F.pad widths for TensorFlow's 'same' padding on the given spatial sizes:
   * a literal when the sizes are known, a call to `tf_same_padding` otherwise.
   * Undefined when no padding is needed.
   */
  private samePad(spatial: Sym[], k: number[], s: number[], d: number[]): ((v: string) => string) | undefined {
    const known = spatial.map((x) => x.value);
    if (known.every((v): v is number => v !== undefined)) {
      const pads: number[] = [];
      for (let i = known.length - 1; i >= 0; i--) {
        const total = samePadTotal(known[i], k[i], s[i], d[i]);
        pads.push(Math.floor(total / 2), total - Math.floor(total / 2));
      }
      if (pads.every((p) => p === 0)) return undefined;
      return () => `(${pads.join(', ')})`;
    }
    this.helpers.add('tf_same_padding');
    return (v) => `tf_same_padding(${v}, ${pyTuple(k, false)}, ${pyTuple(s, false)}, ${pyTuple(d, false)})`;
  }

  // ---------------------------------------------------------------- text

  private where(range: Range, uri?: string): string {
    const line = range.start.line + 1;
    if (uri === undefined || uri === this.analysis.uri) return `line ${line}`;
    const base = uri.split(/[\\/]/).pop() ?? uri;
    return `${base}:${line}`;
  }

  private torchShapeText(shape: Shape, layout: Layout): string {
    const dims = shape.dims.map((d) => d.toString());
    const t = layout === 'first' && hasLayout(shape) ? [dims[dims.length - 1], ...dims.slice(0, -1)] : dims;
    return `[${['B', ...t].join(', ')}]`;
  }

  private mainBlock(models: ModelInfo[]): string {
    const demo = this.options.demoDim ?? DEMO_DIM;
    const symbols = [...new Set(models.flatMap((m) => m.symbols))].sort();
    // The demo's own names and the classes' must not be shadowed by a dimension or an input.
    const reserved = new Set(['model', 'out', 'trainable', 'math', 'weights_file', 'array', 'json', 'os', 'sys', ...this.classNames]);
    const inputNames = new Set(models.flatMap((m) => m.inputs.map((i) => pyIdent(i.name))));
    const symVar = new Map(symbols.map((s) => [s, reserved.has(pyIdent(s)) || inputNames.has(pyIdent(s)) ? `${pyIdent(s)}_dim` : pyIdent(s)]));
    const lines = ['if __name__ == "__main__":', '    torch.manual_seed(0)'];
    const sizes = demoSizes(models, symbols, demo);
    for (const s of symbols) {
      const bound = sizes.bounds.get(s);
      const floor = sizes.floors.get(s);
      const why = floor
        ? `${floor.min} or more (with less, ${floor.node.label}, ${this.where(floor.node.range, floor.node.uri)}, has no output left)`
        : bound
          ? `any value up to ${bound.max} works (maxlen of ${bound.node.label}, ${this.where(bound.node.range, bound.node.uri)})`
          : 'any value works';
      lines.push(`    ${symVar.get(s)} = ${sizes.values[s]}  # a symbolic dimension: ${why}`);
    }
    for (const m of models) {
      const name = pyIdent(m.name);
      const vocab = minVocab(m.graph);
      lines.push(
        '',
        `    model = ${this.classFor(m)}()`,
        // The weights file holds one model's weights: the one asked for, or the only one.
        ...(this.options.weightsFile !== undefined && (models.length === 1 || m.name === this.options.model)
          ? [
              `    weights_file = os.path.join(os.path.dirname(os.path.abspath(__file__)), ${JSON.stringify(this.options.weightsFile)})`,
              '    if os.path.exists(weights_file):',
              '        load_nnmodel_weights(model, weights_file)',
              `        print(f"${m.name}: loaded the trained weights of {weights_file}")`,
            ]
          : []),
        `    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)`,
        `    print(f"${m.name}: {trainable:,} trainable parameters")`,
      );
      const args: string[] = [];
      for (const inp of m.inputs) {
        const v = reserved.has(pyIdent(inp.name)) ? `${pyIdent(inp.name)}_input` : pyIdent(inp.name);
        const dims = torchExampleShape(inp.shape, inp.shape.dims).map((d) => pyDim(d).replace(/[A-Za-z_]\w*/g, (a) => symVar.get(a) ?? a));
        const shape = ['2', ...dims].join(', ');
        const ids = inp.shape.isInt && readsAsTokenIds(m.graph, inp.name);
        lines.push(
          !inp.shape.isInt
            ? `    ${v} = torch.randn(${shape})`
            : ids
              ? `    ${v} = torch.randint(0, ${vocab}, (${shape}))`
              : `    ${v} = torch.randint(0, ${INT_VALUE_DEMO}, (${shape}))  # integer values (e.g. diffusion steps), not token ids`,
        );
        args.push(v);
      }
      lines.push('    model.eval()', '    with torch.no_grad():', `        out = model(${args.join(', ')})`);
      lines.push(`    print("${name} output:", ${m.outputs.length > 1 ? '[tuple(o.shape) for o in out]' : 'tuple(out.shape)'})`);
      if (this.outputClasses(m)) lines.push(`    print("${name} predicts (for the random input):", [${this.classFor(m)}.CLASSES[i] for i in out.argmax(-1).tolist()])`);
    }
    return lines.join('\n');
  }

  private classFor(m: ModelInfo): string {
    return this.modelClassNames.get(m.name) ?? pyIdent(m.name);
  }
}

// ------------------------------------------------------------------ block class templates

/** A block class whose constructor numbers are slots, filled per instantiation. */
interface Template {
  index: number;
  /** Class name to start from (`BasicBlock`). */
  base: string;
  /** The class text cut at its slots (`slots + 1` parts; the class name is `\u0000`). */
  parts: string[];
  /** Per slot, a parameter name suggested by where the number stands. */
  hints: string[];
  /** The slot values of each instantiation. */
  insts: number[][];
  /** Set by finishTemplate: the class name, and the first slot of each constructor parameter. */
  name?: string;
  paramSlots?: number[];
}

/** Python tokens: names, numbers, strings, comments, call markers, blanks, single characters. */
const TOKEN = /[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|"(?:[^"\\\n]|\\.)*"|#[^\n]*|\u0001\d+\u0001|\s+|./g;

/** Names of the positional arguments of the constructors the export writes. */
const POSITIONAL: Record<string, string[]> = {
  Conv1d: ['in_channels', 'out_channels', 'kernel_size'],
  CausalConv1d: ['in_channels', 'out_channels', 'kernel_size'],
  Conv2d: ['in_channels', 'out_channels', 'kernel_size'],
  ConvTranspose2d: ['in_channels', 'out_channels', 'kernel_size'],
  Linear: ['in_features', 'out_features'],
  BatchNorm1d: ['channels'],
  BatchNorm2d: ['channels'],
  LayerNorm: ['dim'],
  GroupNorm: ['groups', 'channels'],
  Embedding: ['vocab', 'dim'],
  MultiHeadAttention: ['dim', 'heads'],
  LearnedPositional: ['maxlen', 'dim'],
  SinusoidalPositional: ['maxlen'],
  SinusoidalEmbedding: ['dim'],
  ClsToken: ['dim'],
  RNN: ['input_size', 'hidden_size'],
  LSTM: ['input_size', 'hidden_size'],
  GRU: ['input_size', 'hidden_size'],
  KerasGRU: ['input_size', 'hidden_size'],
  RandomCrop: ['height', 'width'],
  Cutout: ['height', 'width'],
  zeros: ['size'],
  range: ['count'],
};

/**
 * Cuts the integer literals of a class's `__init__` out of its text: the
 * rest is the key that instantiations must share to share a class.
 */
function templateOf(text: string, templates: ReadonlyMap<string, Template>): { key: string; parts: string[]; hints: string[]; values: number[] } {
  const start = text.indexOf('    def __init__(');
  const end = text.indexOf('    def forward(');
  const region = text.slice(start, end);
  const tokens = region.match(TOKEN) ?? [];
  const byIndex = new Map([...templates.values()].map((t) => [t.index, t]));
  const parts: string[] = [];
  const hints: string[] = [];
  const values: number[] = [];
  let cur = text.slice(0, start);
  const code = tokens.map((tok, i) => ({ tok, i })).filter(({ tok }) => !/^\s+$/.test(tok) && !tok.startsWith('#'));
  const isInt = new Set(code.filter(({ tok }) => /^\d+$/.test(tok)).map(({ i }) => i));
  const pos = new Map(code.map(({ i }, k) => [i, k]));
  tokens.forEach((tok, i) => {
    if (!isInt.has(i)) {
      cur += tok;
      return;
    }
    parts.push(cur);
    cur = '';
    values.push(Number(tok));
    hints.push(hintAt(code.map((c) => c.tok), pos.get(i)!, byIndex));
  });
  parts.push(cur + text.slice(end));
  return { key: parts.join('\u0002'), parts, hints, values };
}

/** The name a number suggests by where it stands: `stride=2` → stride; `nn.Linear(512, …)` → in_features. */
function hintAt(code: string[], k: number, templates: ReadonlyMap<number, Template>): string {
  if (code[k - 1] === '=' && /^[A-Za-z_]\w*$/.test(code[k - 2] ?? '')) return code[k - 2];
  // The enclosing call and the argument's position in it (a tuple takes its call's position).
  let depth = 0;
  let commas = 0;
  for (let j = k - 1; j >= 0; j--) {
    const t = code[j];
    if (t === ')' || t === ']') depth++;
    else if (t === '(' || t === '[') {
      if (depth > 0) {
        depth--;
        continue;
      }
      const callee = code[j - 1] ?? '';
      const marker = /^\u0001(\d+)\u0001$/.exec(callee);
      if (marker) return templates.get(Number(marker[1]))?.hints[commas] ?? 'n';
      if (/^[A-Za-z_]\w*$/.test(callee)) return POSITIONAL[callee]?.[commas] ?? 'n';
      if (code[j - 1] === '=' && /^[A-Za-z_]\w*$/.test(code[j - 2] ?? '')) return code[j - 2];
      return hintAt(code, j, templates);
    } else if (t === ',' && depth === 0) commas++;
  }
  return 'n';
}

/**
 * Names the template's class and turns the slots whose values differ
 * between instantiations into constructor parameters (slots that always
 * hold the same values share one); returns the class text.
 */
function finishTemplate(t: Template, className: (base: string) => string): string {
  t.name = className(t.base);
  const n = t.hints.length;
  const groups = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const column = t.insts.map((v) => v[i]);
    if (column.every((v) => v === column[0])) continue;
    const key = column.join(',');
    groups.set(key, [...(groups.get(key) ?? []), i]);
  }
  const used = new Set<string>(['self']);
  const names: (string | undefined)[] = new Array<string | undefined>(n);
  t.paramSlots = [];
  const params: string[] = [];
  for (const slots of groups.values()) {
    const hinted = slots.map((i) => t.hints[i]);
    // One number both in and out (a block that keeps its width) is `channels`; else the in_/out_ name it has.
    const stripped = new Set(hinted.map((h) => h.replace(/^(in|out)_/, '')));
    const prefixed = hinted.find((h) => /^(in|out)_/.test(h));
    const both = hinted.some((h) => h.startsWith('in_')) && hinted.some((h) => h.startsWith('out_'));
    const base = [...stripped][0];
    let name = stripped.size === 1 ? (both ? (used.has(`in_${base}`) ? `out_${base}` : base) : (prefixed ?? hinted[0])) : hinted[0];
    name = pyIdent(name);
    if (used.has(name)) {
      let k = 2;
      while (used.has(`${name}${k}`)) k++;
      name = `${name}${k}`;
    }
    used.add(name);
    params.push(name);
    t.paramSlots.push(slots[0]);
    for (const i of slots) names[i] = name;
  }
  let text = t.parts[0];
  for (let i = 0; i < n; i++) text += (names[i] ?? String(t.insts[0][i])) + t.parts[i + 1];
  text = text.replace('\u0000', t.name);
  if (params.length > 0) text = text.replace('    def __init__(self):', `    def __init__(self, ${params.join(', ')}):`);
  return text;
}

/** Rewrites the construction markers `\u0001k\u0001(all slot values)` to `ClassName(parameters)`. */
/**
 * One call for the copies of a block that share its class (`\u0001k\u0001(values)` markers):
 * each value the same in every copy, or whole numbers stepping evenly, written as a function
 * of `index` (`64 + 32 * i`). Undefined when the copies are of different classes or a value
 * does not step evenly.
 */
export function progressionCall(calls: readonly string[], index: string): string | undefined {
  const parsed = calls.map((c) => /^\u0001(\d+)\u0001\(([^()]*)\)$/.exec(c));
  if (parsed.some((m) => m === null) || new Set(parsed.map((m) => m![1])).size !== 1) return undefined;
  const rows = parsed.map((m) => (m![2] === '' ? [] : m![2].split(', ')));
  const out: string[] = [];
  for (let j = 0; j < rows[0].length; j++) {
    const col = rows.map((row) => row[j]);
    if (col.every((v) => v === col[0])) {
      out.push(col[0]);
      continue;
    }
    const nums = col.map(Number);
    if (!nums.every((n) => Number.isSafeInteger(n))) return undefined;
    const step = nums[1] - nums[0];
    if (!nums.every((n, i) => n === nums[0] + step * i)) return undefined;
    const scaled = step === 1 ? index : `${step} * ${index}`;
    out.push(nums[0] === 0 ? scaled : `${nums[0]} + ${scaled}`);
  }
  return `\u0001${parsed[0]![1]}\u0001(${out.join(', ')})`;
}

function resolveCalls(text: string, templates: readonly Template[]): string {
  return text.replace(/\u0001(\d+)\u0001\(([^()]*)\)/g, (_m, k: string, args: string) => {
    const t = templates[Number(k)];
    const values = args === '' ? [] : args.split(', ');
    return `${t.name}(${(t.paramSlots ?? []).map((i) => values[i]).join(', ')})`;
  });
}

/** `[B, C, H, W]`, `[B, L, C]`, ...: a value's layout without its sizes (block classes serve several sizes). */
function layoutText(shape: Shape, layout: Layout): string {
  const r = shape.dims.length;
  if (r === 3) return layout === 'first' ? '[B, C, H, W]' : '[B, H, W, C]';
  if (r === 2) return layout === 'first' ? '[B, C, L]' : '[B, L, C]';
  return `[B, ${shape.dims.map(() => '_').join(', ')}]`;
}

/** Whether an output of the graph is a softmax (the layer, or an activation = softmax). */
function endsInSoftmax(g: Graph): boolean {
  return g.outputs.some((id) => {
    const n = g.nodes.find((x) => x.id === id);
    return n?.kind === 'layer' && (n.op === 'softmax' || n.args.activation === 'softmax');
  });
}

/** Upper bound of the demo's random values for an int input that no embedding reads (a diffusion step). */
const INT_VALUE_DEMO = 1000;

/**
 * Whether the int input `name` feeds an embedding (token ids) rather than a
 * layer that takes its numbers as values (`sinusoidal`): followed into the
 * blocks it is piped or passed to.
 */
function readsAsTokenIds(g: Graph, name: string): boolean {
  const input = g.nodes.find((n) => n.kind === 'input' && n.name === name);
  return input !== undefined && feedsEmbedding(g, input.id);
}

function feedsEmbedding(g: Graph, id: number): boolean {
  for (const n of g.nodes) {
    const port = n.kind === 'input' ? -1 : n.inputs.indexOf(id);
    if (port < 0) continue;
    if (n.kind === 'layer' && n.op === 'embedding') return true;
    if (n.kind === 'group') {
      for (const run of n.runs) {
        const inner = run.body.nodes.find((b) => b.kind === 'input' && b.port === port);
        if (inner && feedsEmbedding(run.body, inner.id)) return true;
      }
    }
  }
  return false;
}

/** The smallest embedding vocabulary in the graph (2 without one): token ids below it are valid inputs. */
export function minVocab(g: Graph): number {
  return smallestVocab(g) ?? 2;
}

/** The zeros TensorFlow's 'same' adds along one axis of `n` values: (out − 1)·s + (k − 1)·d + 1 − n, the odd one at the end. */
function samePadTotal(n: number, k: number, s: number, d: number): number {
  return Math.max((Math.ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0);
}

/**
 * TensorFlow's 'same' padding per spatial axis when the sizes are known and
 * every axis pads as much before as after, so that a PyTorch constructor's
 * symmetric `padding=` gives the same values; undefined otherwise.
 */
function evenSamePad(spatial: readonly Sym[], k: number[], s: number[], d: number[]): number[] | undefined {
  const pads: number[] = [];
  for (let i = 0; i < spatial.length; i++) {
    const n = spatial[i].value;
    if (n === undefined) return undefined;
    const total = samePadTotal(n, k[i], s[i], d[i]);
    if (total % 2 !== 0) return undefined;
    pads.push(total / 2);
  }
  return pads;
}

function pyDim(d: Sym): string {
  const v = d.value;
  if (v !== undefined) return String(v);
  // A polynomial in symbols (`seq + 1`) is valid Python with the symbols defined.
  return d.toString().replace(/\^/g, '**');
}

function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

function ints(v: ArgValue | undefined, n: number, list = false): number[] {
  if (typeof v === 'number') return list ? [v] : new Array<number>(n).fill(v);
  if (Array.isArray(v)) return v.length === 1 && !list ? new Array<number>(n).fill(v[0]) : [...v];
  return new Array<number>(n).fill(1);
}

/** `f(v)` applying activation `name` (the `activation=` names but `none`); undefined for an unknown one. */
function activationExpr(name: string, axis: number, layout: Layout, shape: Shape): ((v: string) => string) | undefined {
  switch (name) {
    case 'relu':
      return (v) => `F.relu(${v})`;
    case 'relu6':
      return (v) => `F.relu6(${v})`;
    case 'leaky_relu':
      return (v) => `F.leaky_relu(${v}, ${pyFloat(LEAKY_RELU_ALPHA)})`;
    case 'elu':
      return (v) => `F.elu(${v})`;
    case 'gelu':
      return (v) => `F.gelu(${v})`;
    case 'sigmoid':
      return (v) => `torch.sigmoid(${v})`;
    case 'tanh':
      return (v) => `torch.tanh(${v})`;
    case 'silu':
      return (v) => `F.silu(${v})`;
    case 'hard_sigmoid':
      return (v) => `F.hardsigmoid(${v})`;
    case 'hard_swish':
      return (v) => `F.hardswish(${v})`;
    case 'softmax': {
      const r = shape.dims.length;
      const dim = torchDim(normAxis(axis, r), r, layout, shape);
      return (v) => `F.softmax(${v}, dim=${dim === r ? -1 : dim})`;
    }
  }
  return undefined;
}

/**
 * The sizes the demo of `__main__` gives the symbolic dimensions: `demo`,
 * lowered where a `positional` layer's `maxlen` caps the sequence it reads
 * (`positional(learned, maxlen = 8)` on `[n, d]`: n = 8; after a
 * `cls_token`, on `[n + 1, d]`: n = 7), since the exported layer refuses a
 * longer sequence. With, for each capped symbol, the largest size its
 * tightest cap allows (the comment says so: GPT-2's `seq` works up to
 * 1024, not for any value) and that layer. Raised where the layers need a
 * longer input than `demo` (a 1-D CNN on raw audio, `conv1d(32, 80, stride
 * = 16)` then pooling: every size must stay at least 1), to the smallest
 * value that leaves each layer an output, with the layer that needs it.
 */
function demoSizes(
  models: readonly ModelInfo[],
  symbols: readonly string[],
  demo: number,
): {
  values: Record<string, number>;
  bounds: Map<string, { max: number; node: LayerNode }>;
  floors: Map<string, { min: number; node: LayerNode | GroupNode }>;
} {
  const values: Record<string, number> = Object.fromEntries(symbols.map((s) => [s, demo]));
  const bounds = new Map<string, { max: number; node: LayerNode }>();
  const seen = new Set<Graph>();
  const caps: { node: LayerNode; length: Sym; maxlen: number }[] = [];
  const visit = (g: Graph) => {
    if (seen.has(g)) return;
    seen.add(g);
    for (const n of g.nodes) {
      if (n.kind === 'group') for (const run of n.runs) visit(run.body);
      else if (n.kind === 'layer' && n.op === 'positional' && n.shape.dims.length >= 2) {
        const maxlen = typeof n.args.maxlen === 'number' ? n.args.maxlen : SINUSOIDAL_DEFAULT_MAXLEN;
        caps.push({ node: n, length: n.shape.dims[n.shape.dims.length - 2], maxlen });
      }
    }
  };
  for (const m of models) visit(m.graph);
  for (const { node, length, maxlen } of caps) {
    // A length of one symbol (`n`, `n + 1`): the largest n that fits; lengths of several symbols are left alone.
    const atoms = length.atoms().filter((a) => a in values);
    if (atoms.length !== 1) continue;
    const name = atoms[0];
    const fits = (v: number) => (length.evaluate({ ...values, [name]: v }) ?? Infinity) <= maxlen;
    if (!fits(1)) continue;
    let lo = 1;
    let hi = Math.max(maxlen, 1);
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (fits(mid)) lo = mid;
      else hi = mid - 1;
    }
    const known = bounds.get(name);
    if (!known || lo < known.max) bounds.set(name, { max: lo, node });
  }
  for (const [name, b] of bounds) values[name] = Math.min(values[name], b.max);
  return { values, bounds, floors: leastSizes(models, symbols, values, bounds) };
}
