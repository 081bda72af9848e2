/**
 * What flows into the layer typed after `->`: the output shape of the call
 * or the name before the arrow, as the analysis knows it, so that completion
 * lists the layers that take its rank first (a vector after `dense(10)`
 * gets no conv2d at the top).
 */
import type { Analysis, LayerSpec, Shape, SymbolInfo } from '../../core';
import { shapeToString } from '../../core';
import { ranksText, takesRank } from '../../core/layers/rank';

/**
 * The shape piped into the chain position starting at `prefixStart`; undefined
 * when the text before it is not `<call or name> ->` or the analysis has no
 * shape for it. `names`: the names in scope at the cursor.
 */
export function chainInputShape(analysis: Analysis, text: string, prefixStart: number, names: readonly SymbolInfo[]): Shape | undefined {
  const before = text.slice(0, prefixStart).replace(/\s+$/, '');
  if (!before.endsWith('->')) return undefined;
  const head = before.slice(0, -2).replace(/\s+$/, '');
  // A layer or block call ending right before the arrow (the analysis keeps its site while the chain is unfinished).
  const call = analysis.sites.find((s) => (s.kind === 'layer' || s.kind === 'block') && s.range.end.offset === head.length && s.outShape);
  if (call) return call.outShape;
  // A name: an input or a value, whose declaration has the shape.
  const name = /[A-Za-z_][A-Za-z0-9_]*$/.exec(head)?.[0];
  const symbol = name === undefined ? undefined : names.find((s) => s.name === name && (s.kind === 'input' || s.kind === 'value'));
  if (!symbol) return undefined;
  return analysis.sites.find((s) => s.range.start.offset === symbol.range.start.offset && s.outShape)?.outShape;
}

/** Whether `spec` takes an input of `shape`'s rank (batch excluded), as the analysis checks it. */
export function acceptsRank(spec: LayerSpec, shape: Shape): boolean {
  return takesRank(spec, shape.dims.length);
}

/** Why `spec` does not fit after `shape`, for the completion item: undefined when it does. */
export function rankMismatch(spec: LayerSpec, shape: Shape): string | undefined {
  if (acceptsRank(spec, shape)) return undefined;
  return `expects an input of rank ${ranksText(spec)}; here ${shapeToString(shape)} (rank ${shape.dims.length})`;
}

/**
 * Why `spec` does not take the kind of values `shape` holds, as the analysis
 * checks it (`LayerSpec.inputKind`, 'float' when not said): token ids
 * (`int[seq]`) go into an `embedding` only, and an `embedding` takes nothing
 * else. Undefined when it does.
 */
export function kindMismatch(spec: LayerSpec, shape: Shape): string | undefined {
  const kind = spec.inputKind ?? 'float';
  if (kind === 'float' && shape.isInt) return `takes vectors, not the token ids ${shapeToString(shape)}: embed them first`;
  if (kind === 'int' && !shape.isInt) return `takes token ids (int[...]); here ${shapeToString(shape)}, vectors`;
  return undefined;
}

/** What `spec` needs that `shape` is not, for the completion item's description ("needs rank 3", "needs token ids"): undefined when it fits. */
export function inputMismatch(spec: LayerSpec, shape: Shape): { why: string; needs: string } | undefined {
  const rank = rankMismatch(spec, shape);
  if (rank) return { why: rank, needs: `needs rank ${ranksText(spec)}` };
  const kind = kindMismatch(spec, shape);
  if (kind) return { why: kind, needs: shape.isInt ? 'needs vectors' : 'needs token ids' };
  return undefined;
}

/**
 * The registry layer a layer object is made of (`wte = embedding(...)`:
 * 'embedding'), from the site of its definition within the declaration.
 */
export function objectLayer(analysis: Analysis, object: SymbolInfo): string | undefined {
  const { start, end } = object.fullRange;
  const def = analysis.sites.find((s) => s.kind === 'object' && !s.outShape && s.range.start.offset >= start.offset && s.range.end.offset <= end.offset);
  return def?.name;
}
