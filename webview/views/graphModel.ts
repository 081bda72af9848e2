/**
 * The graph view's data: which boxes and edges to draw for a model (groups
 * collapsed or expanded), their text, and the ELK graph to lay them out.
 * No DOM (text is measured by a function passed in), so it is unit tested
 * in Node, layout included.
 */
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api';
import type { Range } from '../../extension/core/syntax/ast';
import { displaySym } from '../../extension/core/analysis/display';
import { parseSym, reviveModel, type PlainDiagnostic, type PlainGraph, type PlainGraphNode, type PlainModelInfo, type PlainShape, type PlainSym } from '../../extension/core/protocol';
import type { Severity } from '../../extension/core/analysis/types';
import { compactField, modelFields } from '../../extension/core/analysis/receptive';
import { bodyPrefix, nodePath } from '../../extension/core/runtime/build';
import { fileName } from './sourceLink';

/** One box in the diagram. */
export interface Box {
  /** Unique in the diagram: the node id at top level, `GROUPKEY/ID` inside an expanded group's body. */
  key: string;
  node: PlainGraphNode;
  /** Text lines: title (kind and arguments), output shape, parameters. */
  lines: string[];
  /** CSS class for the colour: `cat-conv`, `cat-input`, `cat-group`. */
  category: string;
  /** Worst diagnostic on the node, if any. */
  severity?: Severity;
  /** Messages of the diagnostics on the node (for its tooltip). */
  messages: string[];
  /**
   * Receptive field of the node's output as the summary tab shows it
   * (`14 × 14 /2`, `all`: receptive.ts `compactField`); '' for inputs, when
   * unknown, or when the diagram was built without `DiagramOptions.field`.
   */
  field: string;
  /** Inside the body of a block or repeat that runs more than once: its field is the first repetition's. */
  repeated: boolean;
  /** An expanded group: drawn as a frame around its body. */
  expanded: boolean;
  /** Key of the expanded group holding it. */
  parent?: string;
}

export interface Diagram {
  boxes: Map<string, Box>;
  root: ElkNode;
}

export interface TextMetrics {
  /** Width in px of `text` in the title font (`bold`) or the detail font. */
  measure(text: string, bold: boolean): number;
}

export const LINE_HEIGHT = 15;
export const PAD_X = 12;
export const PAD_Y = 8;
/** Height of the header of an expanded group's frame. */
export const GROUP_HEADER = 24;

const SEVERITY_RANK: Record<Severity, number> = { error: 4, warning: 3, info: 2, hint: 1 };

/** A count as people read it: `61,706`, `1,024·seq² + 794,624·seq` (core/analysis/display.ts). */
export function symText(x: PlainSym): string {
  return typeof x === 'number' ? x.toLocaleString('en-US') : displaySym(parseSym(x));
}

export function shapeText(s: PlainShape): string {
  return `${s.isInt ? 'int' : ''}[${s.dims.map((d) => String(d)).join(', ')}]`;
}

/** `156 params`, `2·C params`; empty when there are none. */
function paramsText(p: { trainable: PlainSym; nonTrainable: PlainSym }): string | undefined {
  if (typeof p.trainable === 'number' && typeof p.nonTrainable === 'number') {
    const total = p.trainable + p.nonTrainable;
    return total === 0 ? undefined : `${total.toLocaleString('en-US')} params`;
  }
  const parts = [p.trainable, p.nonTrainable].filter((x) => x !== 0).map(symText);
  return `${parts.join(' + ')} params`;
}

/**
 * Whose weights a layer node uses besides its own, for its box and tooltip:
 * `shares wte's weights` on a layer object's second and later uses, and on
 * a layer that takes an object as an argument (`unembed(wte)` multiplies by
 * wte's table); undefined otherwise.
 */
export function sharedText(n: PlainGraphNode): string | undefined {
  if (n.kind !== 'layer') return undefined;
  if (n.sharedWith !== undefined && n.object !== undefined) return `shares ${n.object}'s weights`;
  const refs = Object.values(n.args).flatMap((v) => (typeof v === 'object' && v !== null && !Array.isArray(v) && v.kind === 'layerRef' ? [v.name] : []));
  return refs.length ? `shares ${refs.join("'s and ")}'s weights` : undefined;
}

export function nodeTitle(n: PlainGraphNode): string {
  switch (n.kind) {
    case 'input':
      return `input ${n.name}`;
    case 'layer':
      // A layer object's label already names it and its definition: `wte: embedding(64, 128)`.
      return n.label;
    case 'group':
      return n.repeat > 1 ? `${n.label} × ${n.repeat}` : n.label;
    default: {
      const never: never = n;
      return String(never);
    }
  }
}

function within(inner: Range, outer: Range): boolean {
  return inner.start.offset >= outer.start.offset && inner.end.offset <= outer.end.offset;
}

/** Diagnostics that concern a node: its own severity, and those whose range lies in its call. */
function nodeDiagnostics(n: PlainGraphNode, diagnostics: readonly PlainDiagnostic[]): { severity?: Severity; messages: string[] } {
  const own = n.kind === 'input' || n.uri !== undefined ? [] : diagnostics.filter((d) => within(d.range, n.range));
  let severity: Severity | undefined = n.kind === 'input' ? undefined : n.severity;
  for (const d of own) if (!severity || SEVERITY_RANK[d.severity] > SEVERITY_RANK[severity]) severity = d.severity;
  return { severity, messages: own.map((d) => `${d.severity}: ${d.message}`) };
}

function boxSize(lines: string[], metrics: TextMetrics): { width: number; height: number } {
  const width = Math.max(...lines.map((l, i) => metrics.measure(l, i === 0)));
  return { width: Math.ceil(width + 2 * PAD_X + 6), height: lines.length * LINE_HEIGHT + 2 * PAD_Y };
}

/**
 * Whether an edge of the graph view is labelled with the shape it carries:
 * only where the label says something the boxes do not. An edge leaves a
 * box that already prints its output shape, so a straight chain's edges go
 * bare; labelled are the edges into a node with several inputs (a merge:
 * which shape comes from where), out of a node with several users (a split:
 * the skip of a residual block), and out of a box that does not show its
 * shape (an expanded block's frame, whose header has none).
 * `users`: edges leaving the edge's source; `inputs`: edges entering its
 * target; `sourceShowsShape`: whether the source's box prints its shape.
 */
export function edgeLabelled(edge: { users: number; inputs: number; sourceShowsShape: boolean }): boolean {
  return edge.inputs > 1 || edge.users > 1 || !edge.sourceShowsShape;
}

/** ELK's layered node placement strategies the graph view uses (`elk.layered.nodePlacement.strategy`). */
export type NodePlacement = 'NETWORK_SIMPLEX' | 'BRANDES_KOEPF';

/**
 * Above this many long-edge dummies (see `longEdgeDummies`) the top level is
 * placed with BRANDES_KOEPF instead of NETWORK_SIMPLEX. Measured with elkjs
 * 0.11 (CPU time in Node, every example collapsed and expanded, and
 * synthetic chains): NETWORK_SIMPLEX's time follows the dummies, not the
 * boxes. A 240-box chain without long edges costs it no more than
 * BRANDES_KOEPF; 30 boxes with 54 dummies, 2.4× as much; diffusion_unet
 * (35 boxes, 197 dummies: a step embedding feeding 11 blocks and 6 skips)
 * 2.7 s against 0.43 s collapsed and 3.4 s against 0.55 s expanded. Every
 * other example has at most 15 at the top level, where NETWORK_SIMPLEX is
 * as fast and is the look the view has always had.
 */
export const NETWORK_SIMPLEX_MAX_DUMMIES = 50;

/**
 * How many dummy nodes ELK's layered algorithm inserts for edges that span
 * more than one layer, estimated on one level of the ELK graph with a
 * longest-path layering (each box one layer below its deepest source): an
 * edge from layer a to layer b costs b − a − 1. Edges whose ends are not
 * children of `level` are ignored; a cycle (the analysis never makes one)
 * leaves its boxes out rather than looping.
 */
export function longEdgeDummies(level: Pick<ElkNode, 'children' | 'edges'>): number {
  const ids = new Set((level.children ?? []).map((c) => c.id));
  const inner = (level.edges ?? []).filter((e) => ids.has(e.sources[0]) && ids.has(e.targets[0]));
  const out = new Map<string, string[]>();
  const pending = new Map<string, number>();
  for (const id of ids) pending.set(id, 0);
  for (const e of inner) {
    const [s, t] = [e.sources[0], e.targets[0]];
    const targets = out.get(s);
    if (targets) targets.push(t);
    else out.set(s, [t]);
    pending.set(t, pending.get(t)! + 1);
  }
  // Kahn's order: iterative, so a very long chain cannot overflow the stack.
  const layer = new Map<string, number>();
  const ready = [...ids].filter((id) => pending.get(id) === 0);
  for (const id of ready) layer.set(id, 0);
  while (ready.length) {
    const id = ready.pop()!;
    for (const t of out.get(id) ?? []) {
      layer.set(t, Math.max(layer.get(t) ?? 0, layer.get(id)! + 1));
      const left = pending.get(t)! - 1;
      pending.set(t, left);
      if (left === 0) ready.push(t);
    }
  }
  let dummies = 0;
  for (const e of inner) {
    const a = layer.get(e.sources[0]);
    const b = layer.get(e.targets[0]);
    if (a !== undefined && b !== undefined && pending.get(e.targets[0]) === 0) dummies += Math.max(0, b - a - 1);
  }
  return dummies;
}

/**
 * The node placement for a level of the diagram: NETWORK_SIMPLEX (straightest
 * chains, the look the view has always had) unless its long edges would make
 * it slow, then BRANDES_KOEPF (see `NETWORK_SIMPLEX_MAX_DUMMIES`).
 */
export function nodePlacement(level: Pick<ElkNode, 'children' | 'edges'>): NodePlacement {
  return longEdgeDummies(level) <= NETWORK_SIMPLEX_MAX_DUMMIES ? 'NETWORK_SIMPLEX' : 'BRANDES_KOEPF';
}

export interface DiagramOptions {
  /** Node placement of the top level; by default `nodePlacement` of it. (Bodies of expanded blocks keep ELK's default, BRANDES_KOEPF.) */
  placement?: NodePlacement;
  /**
   * The receptive field text of the node at a node path (build.ts's form:
   * `7/0#0/3` is node 3 in the first repetition of group 7's first run), as
   * `receptiveFields` gives it; without it boxes show none.
   */
  field?: (path: string) => string;
}

/**
 * The receptive field of every node of `model` by node path, in the summary's
 * words (`compactField`, the same text as the summary rows' `field`): computed
 * once per model (`modelFields` walks the whole graph), looked up per box.
 */
export function receptiveFields(model: PlainModelInfo): (path: string) => string {
  const info = reviveModel(model);
  const byPath = modelFields(info).byPath;
  return (path) => compactField(byPath.get(path), info);
}

/**
 * The diagram of `graph`: one box per node; a group is one box with its
 * count unless its key is in `expanded`, then a frame holding the body of
 * its first run (the same for every repetition of that run).
 */
export function buildDiagram(
  graph: PlainGraph,
  diagnostics: readonly PlainDiagnostic[],
  expanded: ReadonlySet<string>,
  metrics: TextMetrics,
  options: DiagramOptions = {},
): Diagram {
  const boxes = new Map<string, Box>();
  const top = level(graph, '', undefined, '', false);
  const root: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.spacing.nodeNode': '24',
      'elk.layered.spacing.nodeNodeBetweenLayers': '36',
      'elk.spacing.edgeLabel': '4',
      'elk.edgeLabels.placement': 'CENTER',
      'elk.layered.nodePlacement.strategy': options.placement ?? nodePlacement(top),
      'elk.padding': '[top=12,left=12,bottom=12,right=12]',
    },
    ...top,
  };
  return { boxes, root };

  // `path` is the node path of `g`'s nodes (what the fields are keyed by): an expanded group shows its first run's first repetition.
  function level(g: PlainGraph, prefix: string, parent: string | undefined, path: string, repeated: boolean): { children: ElkNode[]; edges: ElkExtendedEdge[] } {
    const keyOf = (id: number) => `${prefix}${id}`;
    const children: ElkNode[] = [];
    const edges: ElkExtendedEdge[] = [];
    const byId = new Map(g.nodes.map((n) => [n.id, n]));
    // Edges leaving each node at this level (a node used twice by one call counts twice): splits get labels.
    const users = new Map<number, number>();
    for (const n of g.nodes) if (n.kind !== 'input') for (const src of n.inputs) users.set(src, (users.get(src) ?? 0) + 1);
    for (const n of g.nodes) {
      const key = keyOf(n.id);
      const lines = [nodeTitle(n)];
      lines.push(shapeText(n.shape));
      if (n.kind !== 'input') {
        const p = paramsText(n.params);
        if (p) lines.push(p);
        const shared = sharedText(n);
        if (shared) lines.push(shared);
      }
      const diag = nodeDiagnostics(n, diagnostics);
      const isExpanded = n.kind === 'group' && expanded.has(key) && n.runs.length > 0;
      const category = n.kind === 'input' ? 'cat-input' : n.kind === 'group' ? 'cat-group' : `cat-${n.category}`;
      const at = nodePath(path, n.id);
      const field = n.kind === 'input' ? '' : (options.field?.(at) ?? '');
      boxes.set(key, { key, node: n, lines, category, severity: diag.severity, messages: diag.messages, field, repeated, expanded: isExpanded, parent });
      if (isExpanded && n.kind === 'group') {
        const inner = level(n.runs[0].body, `${key}/`, key, bodyPrefix(at, 0, 0), repeated || n.runs[0].count > 1);
        children.push({
          id: key,
          layoutOptions: {
            'elk.padding': `[top=${GROUP_HEADER + 8},left=12,bottom=12,right=12]`,
            'elk.algorithm': 'layered',
            'elk.direction': 'DOWN',
            'elk.spacing.nodeNode': '20',
            'elk.layered.spacing.nodeNodeBetweenLayers': '30',
            'elk.edgeLabels.placement': 'CENTER',
            // Room for the header text.
            'elk.nodeSize.constraints': 'MINIMUM_SIZE',
            'elk.nodeSize.minimum': `(${Math.ceil(metrics.measure(groupHeader(n), true) + 2 * PAD_X + 20)}, 40)`,
          },
          ...inner,
        });
      } else {
        children.push({ id: key, ...boxSize(lines, metrics) });
      }
      if (n.kind === 'input') continue;
      n.inputs.forEach((src, i) => {
        const from = byId.get(src);
        // An expanded block's frame (its header) does not print the shape it gives.
        const sourceShowsShape = !(from?.kind === 'group' && expanded.has(keyOf(src)) && from.runs.length > 0);
        const labelled = edgeLabelled({ users: users.get(src) ?? 0, inputs: n.inputs.length, sourceShowsShape });
        const label = from && labelled ? shapeText(from.shape) : '';
        edges.push({
          id: `e:${key}:${i}`,
          sources: [keyOf(src)],
          targets: [key],
          labels: label ? [{ text: label, width: Math.ceil(metrics.measure(label, false)) + 4, height: LINE_HEIGHT }] : [],
        });
      });
    }
    return { children, edges };
  }
}

/** Header of an expanded group's frame. */
export function groupHeader(n: PlainGraphNode): string {
  if (n.kind !== 'group') return nodeTitle(n);
  const runs = n.runs.length > 1 ? `, run 1 of ${n.runs.length}` : '';
  return `${nodeTitle(n)} ▾ (body${n.repeat > 1 ? ' of each repetition' : ''}${runs})`;
}

/** Keys of every group in the graph (for "expand all"), nested bodies through their first run. */
export function groupKeys(graph: PlainGraph, prefix = ''): string[] {
  const out: string[] = [];
  for (const n of graph.nodes) {
    if (n.kind !== 'group') continue;
    const key = `${prefix}${n.id}`;
    out.push(key);
    if (n.runs.length) out.push(...groupKeys(n.runs[0].body, `${key}/`));
  }
  return out;
}

/**
 * The box whose source range holds `offset` most tightly (a layer call
 * inside a chain rather than the chain), among boxes of the analysed file.
 */
export function boxAt(boxes: ReadonlyMap<string, Box>, offset: number): Box | undefined {
  let best: Box | undefined;
  for (const b of boxes.values()) {
    const n = b.node;
    if (n.kind !== 'input' && n.uri !== undefined) continue;
    const r = n.range;
    if (offset < r.start.offset || offset > r.end.offset) continue;
    if (!best || r.end.offset - r.start.offset < best.node.range.end.offset - best.node.range.start.offset) best = b;
  }
  return best;
}

/**
 * The box whose call a click on `box` selects in the analysed file: the box
 * itself, or for a node of a block imported from another file (its range is
 * in that file) the group box around it whose call is written here.
 */
export function callBox(boxes: ReadonlyMap<string, Box>, box: Box): Box | undefined {
  let at: Box | undefined = box;
  while (at && at.node.kind !== 'input' && at.node.uri !== undefined) at = at.parent === undefined ? undefined : boxes.get(at.parent);
  return at;
}

/** Tooltip text of a box: kind, shapes, counts, receptive field and diagnostics. */
export function boxTooltip(b: Box): string {
  const n = b.node;
  const lines = [nodeTitle(n)];
  if (n.kind === 'layer') lines.push(`layer ${n.op} (${n.category})`);
  if (n.kind === 'group') lines.push(`${n.block ? `block ${n.block}` : 'repeated layer'}, ${n.repeat} time${n.repeat === 1 ? '' : 's'}`);
  lines.push(`output ${shapeText(n.shape)}`);
  if (n.kind !== 'input') {
    lines.push(`parameters: ${symText(n.params.trainable)} trainable, ${symText(n.params.nonTrainable)} non-trainable`);
    lines.push(`MACs: ${symText(n.macs)}`);
    if (b.field) lines.push(`receptive field: ${b.field}${b.repeated ? ' (first repetition)' : ''}`);
    const shared = sharedText(n);
    if (shared) lines.push(n.kind === 'layer' && n.sharedWith !== undefined && n.sharedWith >= 0 ? `${shared} (node ${n.sharedWith})` : shared);
  }
  // An imported layer's line is in its own file: named, not given as a full URI.
  lines.push(`line ${n.range.start.line + 1}${n.kind !== 'input' && n.uri ? ` of ${fileName(n.uri)}` : ''}`);
  lines.push(...b.messages);
  return lines.join('\n');
}

/**
 * What a screen reader says for a graph node (its `aria-label`; the longer
 * tooltip, the node's SVG `<title>`, becomes its description): the box's
 * lines, whether a block is open, its worst diagnostic, and its line.
 */
export function nodeLabel(b: Box): string {
  const n = b.node;
  const parts = [b.expanded ? groupHeader(n).replace(' ▾', '') : b.lines.join(', ')];
  if (n.kind === 'group') parts.push(b.expanded ? 'block open' : 'block closed');
  const severity = b.severity && b.messages.length > 0 ? `${b.severity}: ${b.messages[0]}` : b.severity;
  if (severity) parts.push(severity);
  parts.push(`line ${n.range.start.line + 1}${n.kind !== 'input' && n.uri ? ` of ${fileName(n.uri)}` : ''}`);
  return parts.join(', ');
}

/**
 * The graph toolbar's status: the number of layers and blocks drawn, and for
 * a model with errors that the drawing is incomplete and the first error's
 * line (the analysis stops at it: the layers after it are not drawn).
 */
export function graphStatus(counts: { layer: number; group: number }, hasErrors: boolean, diagnostics: readonly PlainDiagnostic[]): { text: string; error?: string } {
  const drawn = `${counts.layer} layer${counts.layer === 1 ? '' : 's'}${counts.group ? `, ${counts.group} block${counts.group === 1 ? '' : 's'}` : ''}`;
  if (!hasErrors) return { text: drawn };
  const first = diagnostics.filter((d) => d.severity === 'error').sort((a, b) => a.range.start.offset - b.range.start.offset)[0];
  if (!first) return { text: `${drawn} · incomplete: the model has errors`, error: 'The model has errors: the graph shows what could be analysed.' };
  const line = first.range.start.line + 1;
  return { text: `${drawn} · incomplete: error on line ${line}`, error: `Line ${line}: ${first.message}\nThe graph shows what could be analysed.` };
}
