/**
 * What a block's `input` receives, read from the models' graphs on demand
 * (for a hover): the analysis records no site for a block input, but every
 * instantiation of the block keeps the shapes that arrived on its ports.
 */
import type { BlockDecl, Range } from '../syntax/ast';
import { shapeToString, type Shape } from './sym';
import type { Analysis, Graph, GroupNode, SiteInfo, SiteOutcome } from './types';

/** Distinct results kept per input, like the analysis keeps per body site. */
const MAX_KEPT_OUTCOMES = 16;

/**
 * A value site for the block input declared at `nameRange` (the name in
 * `input x`): the shape the first call in this file gave it, and in
 * `instances` the other calls and what they gave, counted by the outermost
 * call in the file each came through, as for the other sites of a block
 * body (`SiteInfo.instances`). Undefined when it is not a block's input or
 * no analysed call reached the block.
 */
export function blockInputSite(analysis: Analysis, nameRange: Range): SiteInfo | undefined {
  const found = inputAt(analysis, nameRange.start.offset);
  if (!found) return undefined;
  const { decl, port } = found;
  const text = analysis.file.text ?? '';
  const outcomes: SiteOutcome[] = [];
  const seen = new Set<string>();
  const vias = new Set<number>();
  let model = '';
  let more = 0;
  for (const m of analysis.models) {
    if (m.uri !== undefined && m.uri !== analysis.uri) continue;
    for (const node of m.graph.nodes) {
      if (node.kind !== 'group') continue;
      // `node` is the outermost call: every instantiation found under it came through it.
      forEachShape(node, decl, port, analysis.uri, (shape) => {
        if (!model) model = m.name;
        vias.add(node.range.start.offset);
        const key = (shape.isInt ? 'int' : '') + shapeToString(shape);
        if (seen.has(key)) return;
        seen.add(key);
        if (outcomes.length < MAX_KEPT_OUTCOMES) outcomes.push({ via: node.range, call: callText(text, node.range), outShape: shape });
        else more++;
      });
    }
  }
  if (outcomes.length === 0) return undefined;
  const site: SiteInfo = { range: nameRange, kind: 'input', name: decl.body.filter((s) => s.kind === 'input')[port].name.name, model, inShapes: [], outShape: outcomes[0].outShape };
  // As for the analysis' sites: `instances` only when more than one call or result reached it.
  if (vias.size > 1 || outcomes.length > 1) site.instances = { calls: vias.size, outcomes, moreOutcomes: more };
  return site;
}

/** The block declaration of this file holding an `input` whose name starts at `offset`, and that input's port. */
function inputAt(analysis: Analysis, offset: number): { decl: BlockDecl; port: number } | undefined {
  for (const item of analysis.file.items) {
    if (item.kind !== 'block' || offset < item.range.start.offset || offset > item.range.end.offset) continue;
    let port = 0;
    for (const stmt of item.body) {
      if (stmt.kind !== 'input') continue;
      if (stmt.name.range.start.offset === offset) return { decl: item, port };
      port++;
    }
  }
  return undefined;
}

/** Calls `f` with the shape on port `port` of each instantiation of `decl` under `group` (itself included), in order. */
function forEachShape(group: GroupNode, decl: BlockDecl, port: number, uri: string | undefined, f: (shape: Shape) => void): void {
  // A call written in another file (an imported block's body) instantiates that file's blocks.
  const local = group.uri === undefined || group.uri === uri;
  for (const run of group.runs) {
    const body = run.body;
    const id = body.inputs[port];
    const input = id === undefined ? undefined : body.nodes.find((n) => n.id === id);
    // An instantiation's ports carry the range of the block it instantiates.
    if (local && input?.kind === 'input' && group.block === decl.name.name && input.range.start.offset === decl.range.start.offset && input.range.end.offset === decl.range.end.offset) {
      f(input.shape);
    }
    forEachGroup(body, (inner) => forEachShape(inner, decl, port, uri, f));
  }
}

function forEachGroup(g: Graph, f: (group: GroupNode) => void): void {
  for (const n of g.nodes) if (n.kind === 'group') f(n);
}

/** The call as written, on one line and shortened, as the analysis shows it in `SiteOutcome.call`. */
function callText(text: string, range: Range): string {
  const s = text.slice(range.start.offset, range.end.offset).replace(/\s+/g, ' ');
  return s.length > 40 ? s.slice(0, 39) + '…' : s;
}
