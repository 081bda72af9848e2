/**
 * The summary table's data: cells and sort order of the summary rows. No
 * DOM, so it is unit tested in Node.
 */
import type { PlainGraph, PlainGraphNode, PlainSummaryRow, PlainSym } from '../../extension/core/protocol';
import type { Range } from '../../extension/core/syntax/ast';
import { parseSym } from '../../extension/core/protocol';
import { symText } from './graphModel';

export type Column = 'label' | 'line' | 'shape' | 'params' | 'macs' | 'memory' | 'field';

export const COLUMNS: { key: Column; title: string; numeric: boolean }[] = [
  { key: 'label', title: 'Layer', numeric: false },
  { key: 'line', title: 'Line', numeric: true },
  { key: 'shape', title: 'Output shape', numeric: false },
  { key: 'params', title: 'Params', numeric: true },
  { key: 'macs', title: 'MACs', numeric: true },
  { key: 'memory', title: 'Memory', numeric: true },
  { key: 'field', title: 'Receptive field', numeric: false },
];

/** 1536 → "1.5 KiB"; a formula stays a formula, as people read it (`512·seq B`). */
export function bytesText(x: PlainSym): string {
  if (typeof x === 'string') return `${symText(x)} B`;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = x;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

function addPlain(a: PlainSym, b: PlainSym): PlainSym {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (a === 0) return b;
  if (b === 0) return a;
  return `${a} + ${b}`;
}

export interface SummaryCell {
  text: string;
  /** Sort key: numbers sort numerically, formulas after every number, by text. */
  sort: number | string;
}

/** The cells of a row, by column. */
export function rowCells(r: PlainSummaryRow): Record<Column, SummaryCell> {
  const params = addPlain(r.trainable, r.nonTrainable);
  return {
    label: { text: r.label, sort: r.label },
    line: { text: r.line ? String(r.line) : '—', sort: r.line },
    shape: { text: r.shape, sort: r.shape },
    params: { text: symText(params), sort: params },
    macs: { text: symText(r.macs), sort: r.macs },
    memory: { text: r.kind === 'group' ? '' : bytesText(r.activationBytes), sort: r.activationBytes },
    // `14 × 14 /2` sorts by its size (numeric collation), `all` after every window.
    field: { text: r.field ?? '', sort: r.field ?? '' },
  };
}

/**
 * The size every symbolic dimension is given when counts are ordered: large,
 * so that a count growing with `seq²` (attention's MACs and memory) ranks
 * above one growing with `seq`, and both above a fixed count, as they do for
 * long inputs.
 */
export const ORDER_SIZE = 4096;

/** A count's value with every symbolic dimension at ORDER_SIZE; undefined for a formula it cannot evaluate. */
export function orderValue(x: PlainSym): number | undefined {
  if (typeof x === 'number') return x;
  try {
    const s = parseSym(x);
    const v = s.evaluate(Object.fromEntries(s.atoms().map((a) => [a, ORDER_SIZE])));
    return v !== undefined && Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Row order for a column and direction; ties keep the source order. Counts
 * (params, MACs, memory) given as formulas sort by their value at a large
 * size (ORDER_SIZE for every symbolic dimension), among the numbers.
 */
export function sortRows(rows: readonly PlainSummaryRow[], column: Column | undefined, descending: boolean): PlainSummaryRow[] {
  const counts = COLUMNS.find((c) => c.key === column)?.numeric ?? false;
  const keyOf = (r: PlainSummaryRow): number | string => {
    const key = rowCells(r)[column!].sort;
    return counts && typeof key === 'string' ? (orderValue(key) ?? key) : key;
  };
  if (!column) return rows.slice();
  const indexed = rows.map((r, i) => ({ r, i, key: keyOf(r) }));
  const dir = descending ? -1 : 1;
  indexed.sort((a, b) => {
    const x = a.key;
    const y = b.key;
    // Text (a label, a shape, a formula that could not be evaluated) goes after every number in both directions.
    if (typeof x === 'number' && typeof y === 'number') return dir * (x - y) || a.i - b.i;
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    return dir * x.localeCompare(y, 'en', { numeric: true }) || a.i - b.i;
  });
  return indexed.map((x) => x.r);
}

/**
 * Each row's source range (and whether it is in this file, so a click can
 * select it), found by walking the graph in the order `summaryRows` makes
 * the rows: node ids restart in every group body, so an id alone can name a
 * top-level node and a body node at once. When the rows do not follow the
 * graph (they always should), no row gets a range rather than a wrong one.
 */
export function rowRanges(g: PlainGraph, rows: readonly PlainSummaryRow[]): Map<PlainSummaryRow, { range: Range; local: boolean }> {
  const nodes: PlainGraphNode[] = [];
  const walk = (graph: PlainGraph, top: boolean) => {
    for (const n of graph.nodes) {
      if (n.kind === 'input' && !top) continue;
      nodes.push(n);
      if (n.kind === 'group') for (const r of n.runs) walk(r.body, false);
    }
  };
  walk(g, true);
  const out = new Map<PlainSummaryRow, { range: Range; local: boolean }>();
  if (nodes.length !== rows.length || nodes.some((n, i) => n.id !== rows[i].id)) return out;
  rows.forEach((r, i) => {
    const n = nodes[i];
    out.set(r, { range: n.range, local: n.kind === 'input' || n.uri === undefined });
  });
  return out;
}

/**
 * The row whose call holds `offset` in the source most tightly (a layer
 * call inside a chain rather than the block call around it), among the rows
 * of the analysed file: the row the editor's cursor is in, as the graph's
 * `boxAt` finds its box.
 */
export function rowAt<R>(ranges: ReadonlyMap<R, { range: Range; local: boolean }>, offset: number): R | undefined {
  let best: { row: R; size: number } | undefined;
  for (const [row, at] of ranges) {
    if (!at.local || offset < at.range.start.offset || offset > at.range.end.offset) continue;
    const size = at.range.end.offset - at.range.start.offset;
    if (!best || size < best.size) best = { row, size };
  }
  return best?.row;
}
