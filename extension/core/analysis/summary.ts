/**
 * The per-layer summary (like torchinfo) shared by the CLI, the editor's
 * summary view and the inspector: one row per layer, groups (blocks and
 * repeats) with their totals and, expanded, their body indented.
 */
import { compactField, modelFields, type ModelFields } from './receptive';
import { Sym, product, shapeToString } from './sym';
import { displaySym } from './display';
import type { Graph, ModelInfo } from './types';
import { PLAIN_WEIGHTS, groupWeights, groupWeightsLines, nodeWeightsText } from './weights';
import type { InternalActivation } from '../layers/types';

export interface SummaryRow {
  /** Nesting depth: 0 for the model's own layers. */
  depth: number;
  kind: 'input' | 'layer' | 'group';
  /** Text of the call: `conv2d(6, 5)`, `gpt_block × 12`. */
  label: string;
  /** Registry layer or block name. */
  op: string;
  /** 1-based source line, 0 when the node comes from another file. */
  line: number;
  shape: string;
  trainable: Sym;
  nonTrainable: Sym;
  macs: Sym;
  /**
   * Activation bytes for one example (float32): the output, plus for a layer
   * what it keeps inside itself (`internalBytes`).
   */
  activationBytes: Sym;
  /** Of `activationBytes`, what the layer keeps besides its output (attention's weights); zero for most. */
  internalBytes: Sym;
  /** For groups: how many times the body runs. */
  repeat?: number;
  /** Node id in its graph (for linking rows to the diagram). */
  id: number;
  /** Receptive field of the output (`14 × 14 /2`, `all`: see receptive.ts `compactField`); '' for inputs or when unknown. */
  field: string;
  /**
   * The weights behind the parameters as plain text lines (weights.ts
   * `layerWeightsLines`, `groupWeightsLines`), for the inspector's tooltips;
   * only with `{ weights: true }`, and absent when none.
   */
  weights?: string[];
}

/** What `summaryRows` adds besides the counts. */
export interface SummaryOptions {
  /** Each row's weights as text (`SummaryRow.weights`): only the inspector shows them. Default false. */
  weights?: boolean;
}

export function summaryRows(model: ModelInfo, expand = true, options: SummaryOptions = {}): SummaryRow[] {
  const rows: SummaryRow[] = [];
  // Bodies that would list more rows than any table can hold (blocks calling blocks, many levels deep): the top level only.
  if (expand && expandedRowCount(model) > MAX_SUMMARY_ROWS) expand = false;
  walk(model.graph, 0, rows, { expand, weights: options.weights === true, model, fields: modelFields(model) }, true);
  return rows;
}

interface Walk {
  expand: boolean;
  weights: boolean;
  model: ModelInfo;
  fields: ModelFields;
}

function walk(g: Graph, depth: number, rows: SummaryRow[], w: Walk, top: boolean): void {
  const { model, fields } = w;
  for (const n of g.nodes) {
    if (n.kind === 'input') {
      if (top) {
        rows.push({
          depth,
          kind: 'input',
          label: `input ${n.name}`,
          op: 'input',
          line: n.range.start.line + 1,
          shape: shapeToString(n.shape),
          trainable: Sym.ZERO,
          nonTrainable: Sym.ZERO,
          macs: Sym.ZERO,
          activationBytes: Sym.ZERO,
          internalBytes: Sym.ZERO,
          id: n.id,
          field: '',
        });
      }
      continue;
    }
    if (n.kind === 'layer') {
      const internal = internalBytes(n.internal);
      rows.push({
        depth,
        kind: 'layer',
        label: n.label,
        op: n.op,
        line: n.uri ? 0 : n.range.start.line + 1,
        shape: shapeToString(n.shape),
        trainable: n.params.trainable,
        nonTrainable: n.params.nonTrainable,
        macs: n.macs,
        activationBytes: product(n.shape.dims).mul(4).add(internal),
        internalBytes: internal,
        id: n.id,
        field: compactField(fields.byNode.get(n), model),
        ...(w.weights ? nonEmpty(nodeWeightsText(n, model)) : {}),
      });
      continue;
    }
    rows.push({
      depth,
      kind: 'group',
      label: n.repeat > 1 ? `${n.label} × ${n.repeat}` : n.label,
      op: n.block ?? n.label,
      line: n.uri ? 0 : n.range.start.line + 1,
      shape: shapeToString(n.shape),
      trainable: n.params.trainable,
      nonTrainable: n.params.nonTrainable,
      macs: n.macs,
      activationBytes: Sym.ZERO,
      internalBytes: Sym.ZERO,
      repeat: n.repeat,
      id: n.id,
      field: compactField(fields.byNode.get(n), model),
      ...(w.weights ? nonEmpty(groupWeightsLines(groupWeights(n), PLAIN_WEIGHTS)) : {}),
    });
    if (w.expand) for (const r of n.runs) walk(r.body, depth + 1, rows, w, false);
  }
}

function nonEmpty(lines: string[]): { weights?: string[] } {
  return lines.length ? { weights: lines } : {};
}

/** Bytes (float32) of what a layer keeps inside itself besides its output; `Sym.ZERO` when nothing. */
export function internalBytes(internal: readonly InternalActivation[] | undefined): Sym {
  if (internal === undefined || internal.length === 0) return Sym.ZERO;
  return Sym.sum(internal.map((t) => product(t.shape)), undefined, 0).mul(4);
}

/**
 * Of a model's activation bytes, what its layers keep inside themselves
 * besides their outputs, over every repeat, and which layers (registry
 * names, e.g. ['attention']) keep something. Zero and [] for most models.
 */
export function internalActivations(model: ModelInfo): { bytes: Sym; ops: string[] } {
  const ops = new Set<string>();
  const bytes = internalOf(model.graph, new Map(), ops);
  return { bytes, ops: [...ops] };
}

function internalOf(g: Graph, seen: Map<Graph, Sym>, ops: Set<string>): Sym {
  const known = seen.get(g);
  if (known !== undefined) return known;
  const parts: Sym[] = [];
  const ks: number[] = [];
  for (const n of g.nodes) {
    if (n.kind === 'layer') {
      const b = internalBytes(n.internal);
      if (b === Sym.ZERO) continue;
      ops.add(n.op);
      parts.push(b);
      ks.push(1);
    } else if (n.kind === 'group') {
      for (const r of n.runs) {
        parts.push(internalOf(r.body, seen, ops));
        ks.push(r.count);
      }
    }
  }
  const t = Sym.sum(parts, ks, 0);
  seen.set(g, t);
  return t;
}

/**
 * Estimated bytes to train with Adam at a batch size: weights, gradients and
 * Adam's two moments (4 copies of the parameters), plus the activations
 * kept for the backward pass (each layer's output and what attention keeps
 * inside itself) and their gradients (2 copies of the activations per
 * example).
 */
export function trainingMemory(model: ModelInfo, batch: number): Sym {
  return model.memory.paramBytes.mul(4).add(model.memory.activationBytes.mul(2 * batch));
}

/** 1536 -> "1.5 KiB". */
export function formatBytes(bytes: Sym | number): string {
  const s = Sym.from(bytes);
  const v = s.value;
  if (v === undefined) return `${displaySym(s)} B`;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let x = v;
  let u = 0;
  while (Math.abs(x) >= 1024 && u < units.length - 1) {
    x /= 1024;
    u++;
  }
  if (u === 0) return `${x} B`;
  // Beyond the largest unit the number keeps growing: its digits grouped (`12,345.6 EiB`).
  return `${Math.abs(x) >= 1024 ? x.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 }) : x.toFixed(1)} ${units[u]}`;
}

/**
 * The most rows a summary lists. Blocks that call blocks, each more than once,
 * expand to exponentially many (20 levels of two calls: 2^20 layers), which
 * the analysis holds once each; a summary that listed them would not end.
 * Beyond this, a model is listed at its top level, each block a row with its totals.
 */
export const MAX_SUMMARY_ROWS = 100_000;

/**
 * How many rows `summaryRows(m, true)` gives, counted without building them
 * (a body the analysis instantiated once is counted once), up to `limit + 1`.
 */
export function expandedRowCount(m: ModelInfo, limit = MAX_SUMMARY_ROWS): number {
  const memo = new Map<Graph, number>();
  const count = (g: Graph, top: boolean): number => {
    const known = top ? undefined : memo.get(g);
    if (known !== undefined) return known;
    let n = 0;
    for (const node of g.nodes) {
      if (node.kind === 'input' && !top) continue;
      n++;
      if (node.kind === 'group') for (const run of node.runs) n = Math.min(limit + 1, n + count(run.body, false));
      if (n > limit) break;
    }
    if (!top) memo.set(g, n);
    return n;
  };
  return count(m.graph, true);
}
