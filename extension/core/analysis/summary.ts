/**
 * The per-layer summary (like torchinfo) shared by the CLI, the editor's
 * summary view and the inspector: one row per layer, groups (blocks and
 * repeats) with their totals and, expanded, their body indented.
 */
import { compactField, modelFields, type ModelFields } from './receptive';
import { Sym, product, shapeToString } from './sym';
import { displaySym } from './display';
import type { Graph, ModelInfo } from './types';

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
  /** Output bytes for one example (float32). */
  activationBytes: Sym;
  /** For groups: how many times the body runs. */
  repeat?: number;
  /** Node id in its graph (for linking rows to the diagram). */
  id: number;
  /** Receptive field of the output (`14 × 14 /2`, `all`: see receptive.ts `compactField`); '' for inputs or when unknown. */
  field: string;
}

export function summaryRows(model: ModelInfo, expand = true): SummaryRow[] {
  const rows: SummaryRow[] = [];
  walk(model.graph, 0, rows, expand, true, model, modelFields(model));
  return rows;
}

function walk(g: Graph, depth: number, rows: SummaryRow[], expand: boolean, top: boolean, model: ModelInfo, fields: ModelFields): void {
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
          id: n.id,
          field: '',
        });
      }
      continue;
    }
    if (n.kind === 'layer') {
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
        activationBytes: product(n.shape.dims).mul(4),
        id: n.id,
        field: compactField(fields.byNode.get(n), model),
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
      repeat: n.repeat,
      id: n.id,
      field: compactField(fields.byNode.get(n), model),
    });
    if (expand) for (const r of n.runs) walk(r.body, depth + 1, rows, expand, false, model, fields);
  }
}

/**
 * Estimated bytes to train with Adam at a batch size: weights, gradients and
 * Adam's two moments (4 copies of the parameters), plus each layer's output
 * kept for the backward pass and its gradient (2 copies of the activations
 * per example).
 */
export function trainingMemory(model: ModelInfo, batch: number): Sym {
  return model.memory.paramBytes.mul(4).add(model.memory.activationBytes.mul(2 * batch));
}

/** 1536 -> "1.5 KiB". */
export function formatBytes(bytes: Sym | number): string {
  const s = Sym.from(bytes);
  const v = s.value;
  if (v === undefined) return `${displaySym(s)} B`;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let x = v;
  let u = 0;
  while (Math.abs(x) >= 1024 && u < units.length - 1) {
    x /= 1024;
    u++;
  }
  return u === 0 ? `${x} B` : `${x.toFixed(1)} ${units[u]}`;
}
