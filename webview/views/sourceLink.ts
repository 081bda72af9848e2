/**
 * Where a layer of the built model is written, for the links in the
 * Feature maps, Kernels and Attention headers. A layer inside a block
 * imported from another file has its range in that file: selecting it in the
 * followed document would land on whatever happens to be at those offsets
 * there. Such a layer links to the call in this document that reaches it
 * (`gpt_block(128, 4) * 4`), and says where it is written.
 */
import type { Range } from '../../extension/core/syntax/ast';
import { parseNodePath } from '../../extension/core/runtime/build';

/** The part of a graph this needs: plain (from the host) and revived graphs both fit. */
interface SourceGraph {
  nodes: readonly SourceNode[];
}
interface SourceNode {
  id: number;
  kind: string;
  range: Range;
  uri?: string;
  /** A group's block name (or repeated layer). */
  label?: string;
  runs?: readonly { count?: number; body: SourceGraph }[];
}

export interface LayerSource {
  /** What to select in the followed document: the layer's call, or the call in this document that reaches it. */
  range: Range;
  /** 1-based line of `range`. */
  line: number;
  /** For a layer written in an imported file: that file's name and the layer's 1-based line there. */
  imported?: { file: string; line: number };
}

/** The source of the node at `path` (a runtime node path, `7/0#2/3`); undefined when the path names no node of `graph`. */
export function layerSource(graph: SourceGraph, path: string): LayerSource | undefined {
  const steps = parseNodePath(path);
  if (!steps) return undefined;
  let g: SourceGraph | undefined = graph;
  let local: SourceNode | undefined;
  let node: SourceNode | undefined;
  for (const step of steps) {
    node = g?.nodes.find((n) => n.id === step.id);
    if (!node) return undefined;
    if (node.kind === 'input' || node.uri === undefined) local = node;
    g = step.run === undefined ? undefined : node.runs?.[step.run]?.body;
  }
  if (!node || !local) return undefined;
  const at = { range: local.range, line: local.range.start.line + 1 };
  if (local === node || node.uri === undefined) return at;
  return { ...at, imported: { file: fileName(node.uri), line: node.range.start.line + 1 } };
}

/**
 * Of the layers at `paths` (the sections of a tab, in order), the one the
 * editor's cursor at `offset` is in: the tightest call in this file holding
 * it (a layer call inside a chain rather than the block call around it), the
 * first on a tie (a block's layer in its first use). A layer of an imported
 * block is reached through its call here.
 */
export function pathAt(graph: SourceGraph, paths: readonly string[], offset: number): string | undefined {
  let best: { path: string; size: number } | undefined;
  for (const path of paths) {
    const s = layerSource(graph, path);
    if (!s || offset < s.range.start.offset || offset > s.range.end.offset) continue;
    const size = s.range.end.offset - s.range.start.offset;
    if (!best || size < best.size) best = { path, size };
  }
  return best?.path;
}

/** `line 30`, or for an imported layer `line 27 of gpt2_small.nnmodel, called at line 30`. */
export function sourceText(s: LayerSource): string {
  return s.imported ? `line ${s.imported.line} of ${s.imported.file}, called at line ${s.line}` : `line ${s.line}`;
}

/** What a layer header (dom.ts `layerHeader`) links to: the line, the tooltip and the selection of `s`. */
export function headerSource(s: LayerSource | undefined, reveal: (range: Range) => void): { line: number; title: string; reveal: () => void } | undefined {
  return s && { line: s.line, title: sourceTitle(s), reveal: () => reveal(s.range) };
}

/**
 * Which application of a block the layer at `path` belongs to, for the
 * Feature maps and Kernels headers (a block applied on two lines, or
 * repeated with `* N`, has the same layers with the same lines, so their
 * sections read alike): for each block around it, outermost first, its name
 * and the line of its call, the copy when the call repeats it ("copy 2 of
 * 3"), and which call when one line applies the same block more than once
 * ("2nd call on that line"); joined by " › ". Lines of calls written in an
 * imported file name it. Undefined for a layer outside any block.
 */
export function blockPlace(graph: SourceGraph, path: string): string | undefined {
  const steps = parseNodePath(path);
  if (!steps) return undefined;
  const parts: string[] = [];
  let g: SourceGraph | undefined = graph;
  for (const step of steps) {
    if (step.run === undefined || !g) break;
    const here: SourceGraph = g;
    const node = here.nodes.find((n) => n.id === step.id);
    const runs = node?.runs;
    if (!node || !runs?.[step.run]) return undefined;
    const counts = runs.map((r) => r.count ?? 1);
    const total = counts.reduce((a, b) => a + b, 0);
    const copy = counts.slice(0, step.run).reduce((a, b) => a + b, 0) + (step.rep ?? 0) + 1;
    const line = node.range.start.line + 1;
    const sameLine = here.nodes.filter((n) => n.runs && n.label === node.label && n.uri === node.uri && n.range.start.line === node.range.start.line);
    const nth = sameLine.length > 1 ? `, ${ordinal(sameLine.indexOf(node) + 1)} call on that line` : '';
    const where = node.uri === undefined ? `line ${line}` : `line ${line} of ${fileName(node.uri)}`;
    parts.push(`${node.label ?? 'block'} at ${where}${nth}${total > 1 ? `, copy ${copy} of ${total}` : ''}`);
    g = runs[step.run].body;
  }
  return parts.length ? `in ${parts.join(' › ')}` : undefined;
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${suffix}`;
}

/** The tooltip of a header's link. */
export function sourceTitle(s: LayerSource): string {
  return s.imported
    ? `Written in ${s.imported.file}, line ${s.imported.line}: show the call at line ${s.line} that reaches it`
    : `Show line ${s.line} in the editor`;
}

/** The file name of a document's URI (`gpt2_small.nnmodel`). */
export function fileName(uri: string): string {
  const path = uri.replace(/[?#].*$/, '');
  const name = path.slice(path.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}
