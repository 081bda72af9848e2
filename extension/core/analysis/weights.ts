/**
 * The arithmetic behind a parameter count: which weights a layer holds, with
 * their shapes and sizes (`kernel [5, 5, 1, 6]: 5·5·1·6 = 150`, `bias [6]: 6`,
 * `sum: 150 + 6 = 156`), for the hover, `nnmodel summary` and the inspector's
 * summary, and the one text all of them write it in (plain or markdown).
 * Pure functions of the graph IR; the counts are the weights' products, as
 * `LayerNode.params` are.
 */
import { Sym, formatCount, product } from './sym';
import type { Analysis, Graph, GroupNode, LayerNode, ModelInfo, SiteInfo } from './types';
import type { WeightSpec } from '../layers/types';

/** One weight tensor of a layer, or (in a group's totals) all the weights of one name. */
export interface WeightLine {
  /** The registry's name: `kernel`, `bias`, `query_kernel`, `moving_mean`. */
  name: string;
  /** The tensor's shape; absent in a group's totals (they add tensors of several shapes). */
  shape?: Sym[];
  /** Its element count: the product of the shape (in a group's totals, the sum over the group). */
  params: Sym;
  /** False for what training does not change by gradient (batchnorm's moving mean and variance). */
  trainable: boolean;
  /** In a group's totals: how many tensors of this name the group holds, all repeats included. */
  tensors?: number;
}

/** What a layer's parameter count is made of. */
export interface LayerWeights {
  /** The weights counted at this layer; their params add up to the layer's. */
  own: WeightLine[];
  /**
   * A layer object's second and later uses: the object whose weights it
   * applies (counted at its first use, on `line`, 1-based, when known);
   * `own` is then empty.
   */
  sharedFrom?: { object: string; weights: WeightLine[]; line?: number };
  /** Layer objects passed as arguments whose weights the layer also uses (`unembed(wte)`), counted where they are defined. */
  uses?: string[];
}

/** A group's weights totalled per name across its body (all repeats). */
export interface GroupWeights {
  /** One line per weight name (and trainability), in first-seen order. */
  lines: WeightLine[];
  /** Set when there are more lines than `GROUP_WEIGHT_LINES`: the text then names them in one line, without sizes. */
  tooMany?: number;
}

/** Most lines a group's per-name totals may take before only the totals are shown. */
export const GROUP_WEIGHT_LINES = 8;

function lineOf(w: { name: string; shape: Sym[]; trainable: boolean }): WeightLine {
  return { name: w.name, shape: w.shape, params: product(w.shape), trainable: w.trainable };
}

/** The layer objects among a node's arguments (`unembed(wte)` → ['wte']). */
function layerRefs(node: LayerNode): string[] {
  const out: string[] = [];
  for (const v of Object.values(node.args)) {
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && v.kind === 'layerRef') out.push(v.name);
  }
  return out;
}

/** The weights of a layer node; `model` lets a shared object's later use name the line of its first use. */
export function layerWeights(node: LayerNode, model?: ModelInfo): LayerWeights {
  const out: LayerWeights = { own: [] };
  if (node.sharedWith !== undefined && node.object !== undefined) {
    const id = node.objectId;
    const first = model ? firstUse(model.graph, (n) => (id !== undefined ? n.objectId === id : n.object === node.object)) : undefined;
    out.sharedFrom = {
      object: node.object,
      weights: node.weights.map(lineOf),
      line: first && !first.uri ? first.range.start.line + 1 : undefined,
    };
  } else {
    out.own = node.weights.map(lineOf);
  }
  const refs = layerRefs(node);
  if (refs.length) out.uses = refs;
  return out;
}

/** The node that first applied the layer object `applies` matches (the one its weights are counted at). */
function firstUse(g: Graph, applies: (n: LayerNode) => boolean): LayerNode | undefined {
  for (const n of g.nodes) {
    if (n.kind === 'layer' && n.object !== undefined && n.sharedWith === undefined && applies(n)) return n;
    if (n.kind === 'group') {
      for (const r of n.runs) {
        const found = firstUse(r.body, applies);
        if (found) return found;
      }
    }
  }
  return undefined;
}

/**
 * A group's weights totalled per name over every repeat (shared uses add
 * nothing, as in the counts). Undefined when the totals would not add up
 * to the group's parameters, so what is shown always does.
 */
export function groupWeights(node: GroupNode, max = GROUP_WEIGHT_LINES): GroupWeights | undefined {
  const byKey = new Map<string, WeightLine>();
  const add = (g: Graph, times: number) => {
    for (const n of g.nodes) {
      if (n.kind === 'group') {
        for (const r of n.runs) add(r.body, times * r.count);
      } else if (n.kind === 'layer' && n.sharedWith === undefined) {
        for (const w of n.weights) {
          const key = `${w.name}\u0000${w.trainable}`;
          const size = product(w.shape).mul(times);
          const seen = byKey.get(key);
          if (seen) {
            seen.params = seen.params.add(size);
            seen.tensors = (seen.tensors ?? 0) + times;
          } else {
            byKey.set(key, { name: w.name, params: size, trainable: w.trainable, tensors: times });
          }
        }
      }
    }
  };
  for (const r of node.runs) add(r.body, r.count);
  const lines = [...byKey.values()];
  const sum = Sym.sum(lines.map((l) => l.params), undefined, 0);
  if (!sum.equals(node.params.trainable.add(node.params.nonTrainable))) return undefined;
  if (lines.length > max) return { lines, tooMany: lines.length };
  return { lines };
}

/**
 * The node of `kind` a call's source range belongs to in `model` (its first
 * instantiation), or undefined. A repeated layer (`dense(64) * 3`) is a group
 * and, in its body, a layer with the same range: `kind` picks one.
 */
export function nodeAtRange<K extends 'layer' | 'group'>(
  model: ModelInfo,
  range: { start: { offset: number }; end: { offset: number } },
  kind: K,
): Extract<LayerNode | GroupNode, { kind: K }> | undefined {
  type Found = Extract<LayerNode | GroupNode, { kind: K }>;
  const find = (g: Graph): Found | undefined => {
    for (const n of g.nodes) {
      if (n.kind === 'input') continue;
      if (n.kind === kind && !n.uri && n.range.start.offset === range.start.offset && n.range.end.offset === range.end.offset) return n as Found;
      if (n.kind === 'group') {
        for (const r of n.runs) {
          const found = find(r.body);
          if (found) return found;
        }
      }
    }
    return undefined;
  };
  return find(model.graph);
}

/**
 * The weights of the layer a call site applies, in the model it was first
 * seen in (looked up on demand, not per edit). For a layer object's
 * definition (`f = dense(8)`, which applies nothing), those of its first use.
 */
export function weightsAtSite(analysis: Analysis, site: SiteInfo): LayerWeights | undefined {
  const model = analysis.models.find((m) => m.name === site.model);
  const node = model && nodeAtRange(model, site.range, 'layer');
  if (node) return layerWeights(node, model);
  if (site.kind !== 'object' || site.outShape) return undefined;
  const at = site.range.start.offset;
  const object = analysis.symbols.find(
    (s) => s.kind === 'object' && !s.uri && s.fullRange.start.offset <= at && at <= s.fullRange.end.offset,
  );
  return object ? objectWeights(analysis, site.model, object.name) : undefined;
}

/** A block call's or repeat's weights by name over all its repeats (`lines` empty when too many names to list). */
export function groupWeightsAtSite(analysis: Analysis, site: SiteInfo): GroupWeights | undefined {
  const model = analysis.models.find((m) => m.name === site.model);
  const node = model && nodeAtRange(model, site.range, 'group');
  return node ? groupWeights(node) : undefined;
}

/** A layer object's weights, from its first use (where they are counted); undefined when it is never applied. */
export function objectWeights(analysis: Analysis, modelName: string, name: string): LayerWeights | undefined {
  const model = analysis.models.find((m) => m.name === modelName);
  const node = model && firstUse(model.graph, (n) => n.object === name);
  return node ? layerWeights(node, model) : undefined;
}

// ------------------------------------------------------------------- text

/** `[5, 5, 1, 6]`, as shapes are written elsewhere. */
function weightShapeText(shape: readonly Sym[]): string {
  return `[${shape.map((d) => d.toString()).join(', ')}]`;
}

/**
 * The size of a weight with its arithmetic: `5·5·1·6 = 150`, `d·64 = 64·d`
 * on a symbolic axis, `6` for one axis.
 */
function weightSizeText(w: WeightLine): string {
  const total = formatCount(w.params);
  if (!w.shape || w.shape.length < 2) return total;
  const factors = w.shape.map((d) => {
    const t = d.isConst() ? formatCount(d) : d.toString();
    return /[ +-]/.test(t) ? `(${t})` : t;
  });
  const expr = factors.join('·');
  return expr === total ? total : `${expr} = ${total}`;
}

/**
 * How the weights text is marked up. The words are the same on every
 * surface: `PLAIN_WEIGHTS` for the inspector's summary tooltips,
 * `MARKDOWN_WEIGHTS` for the hovers.
 */
export interface WeightsMarkup {
  /** A name or a weight as code. */
  code(text: string): string;
  /** The figure that matters: the sum's total, the 0 a shared use adds. */
  strong(text: string): string;
  /** The first line: `Weights`, then what the lines are when it says. */
  heading(title?: string): string;
  /** Before each weight's line. */
  item: string;
  /** Before the sum. */
  sum: string;
}

/** Plain text lines, the weights indented under `Weights:` (tooltips). */
export const PLAIN_WEIGHTS: WeightsMarkup = {
  code: (t) => t,
  strong: (t) => t,
  heading: (title) => (title ? `Weights: ${title}` : 'Weights:'),
  item: '  ',
  sum: '  ',
};

/** Markdown lines (to join with hard breaks), names in code, each weight after a `·` (hovers). */
export const MARKDOWN_WEIGHTS: WeightsMarkup = {
  code: (t) => `\`${t}\``,
  strong: (t) => `**${t}**`,
  heading: (title) => (title ? `**Weights**: ${title}` : '**Weights**'),
  item: '· ',
  sum: '',
};

/** What marks a weight training does not change by gradient (batchnorm's moving mean and variance). */
export const NOT_TRAINED = ' (not trained)';

/** `kernel [5, 5, 1, 6]` (the name marked as code); in a group's totals, its name and how many tensors: `kernel ×24`. */
export function weightLabel(w: WeightLine, m: WeightsMarkup): string {
  // The name alone as code, the shape after it: in a hover the `:` that follows then hugs the shape, not a code span.
  if (w.shape) return `${m.code(w.name)} ${weightShapeText(w.shape)}`;
  return `${m.code(w.name)}${w.tensors && w.tensors > 1 ? ` ×${w.tensors}` : ''}`;
}

/** `kernel [5, 5, 1, 6]: 5·5·1·6 = 150`, `moving_mean [6]: 6 (not trained)`; a group total: `kernel ×24: 84,934,656`. */
function weightLineText(w: WeightLine, m: WeightsMarkup): string {
  return `${weightLabel(w, m)}: ${weightSizeText(w)}${w.trainable ? '' : NOT_TRAINED}`;
}

/** `sum: 150 + 6 = 156`, `sum: 64·d + 64` (the terms are the total), the total strong; undefined for fewer than two lines (nothing to add). */
function weightSumText(lines: readonly WeightLine[], m: WeightsMarkup): string | undefined {
  if (lines.length < 2) return undefined;
  const terms = lines.map((l) => formatCount(l.params)).join(' + ');
  const total = formatCount(Sym.sum(lines.map((l) => l.params), undefined, 0));
  return `${m.sum}sum: ${terms === total ? m.strong(total) : `${terms} = ${m.strong(total)}`}`;
}

/** Each weight's line, then their sum. */
function weightItems(lines: readonly WeightLine[], m: WeightsMarkup): string[] {
  const sum = weightSumText(lines, m);
  return [...lines.map((l) => m.item + weightLineText(l, m)), ...(sum ? [sum] : [])];
}

/**
 * A layer's weights as text lines (the hover's Weights section, the
 * inspector's summary tooltip): a heading, each weight with its shape and
 * size, then their sum (the layer's parameters); for a layer object's later
 * use, whose weights it shares and that it adds none; then whose weights
 * it also uses. None when there is nothing to say.
 */
export function layerWeightsLines(w: LayerWeights, m: WeightsMarkup): string[] {
  const lines: string[] = [];
  if (w.sharedFrom) {
    const at = w.sharedFrom.line ? ` (line ${w.sharedFrom.line})` : '';
    lines.push(m.heading(`shares ${m.code(w.sharedFrom.object)}'s weights, counted at its first use${at}: this use adds ${m.strong('0')}`));
    lines.push(...w.sharedFrom.weights.map((l) => m.item + weightLineText(l, m)));
  } else if (w.own.length) {
    lines.push(m.heading(), ...weightItems(w.own, m));
  }
  if (w.uses?.length) {
    const names = w.uses.map((u) => `${m.code(u)}'s`).join(' and ');
    lines.push(`Also uses ${names} weights, counted where ${w.uses.length > 1 ? 'they are' : 'it is'} defined.`);
  }
  return lines;
}

/**
 * A group's weights per name over all its repeats as text lines, when they
 * fit in a few; else one line that counts the tensors and names them
 * (`192 weight tensors with 12 distinct names, all repeats: gamma ×24, …`);
 * none when undefined.
 */
export function groupWeightsLines(g: GroupWeights | undefined, m: WeightsMarkup): string[] {
  if (g?.tooMany) {
    const tensors = g.lines.reduce((n, l) => n + (l.tensors ?? 1), 0);
    const names = g.lines.map((l) => `${weightLabel(l, m)}${l.trainable ? '' : NOT_TRAINED}`).join(', ');
    return [m.heading(`${formatCount(tensors)} weight tensors with ${g.lines.length} distinct names, all repeats: ${names}; each layer of the body lists their shapes and sizes`)];
  }
  if (!g || g.lines.length === 0) return [];
  return [m.heading('by name, all repeats'), ...weightItems(g.lines, m)];
}

/**
 * The plain text lines of a layer node's weights (`layerWeightsLines`).
 * Layers with the same weight shapes share one `weights` array (the
 * analysis memoises them by input shapes), so the text of the common case
 * (its own weights, no layer object involved) is made once per array: the
 * inspector asks for every row at every update.
 */
export function nodeWeightsText(node: LayerNode, model?: ModelInfo): string[] {
  if (node.sharedWith !== undefined || layerRefs(node).length) return layerWeightsLines(layerWeights(node, model), PLAIN_WEIGHTS);
  let lines = ownTextCache.get(node.weights);
  if (!lines) ownTextCache.set(node.weights, (lines = layerWeightsLines({ own: node.weights.map(lineOf) }, PLAIN_WEIGHTS)));
  return lines;
}

const ownTextCache = new WeakMap<readonly WeightSpec[], string[]>();
