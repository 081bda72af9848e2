/**
 * What a block's `input` receives, read from the models' graphs on demand
 * (for a hover): the analysis records no site for a block input, but every
 * instantiation of the block keeps the shapes that arrived on its ports.
 * `forEachInstantiation` walks those instantiations (the outline's block
 * shapes read the first one).
 */
import type { BlockDecl, Range } from '../syntax/ast';
import { shapeToString } from './sym';
import type { Analysis, Graph, GroupNode, ModelInfo, SiteInfo, SiteOutcome } from './types';
import { callText, MAX_KEPT_OUTCOMES } from './siteOutcomes';

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
  forEachInstantiation(analysis, (d, body, via, m) => {
    if (d !== decl) return;
    const id = body.inputs[port];
    const input = id === undefined ? undefined : body.nodes.find((n) => n.id === id);
    if (input?.kind !== 'input') return;
    const shape = input.shape;
    if (!model) model = m.name;
    vias.add(via.range.start.offset);
    const key = (shape.isInt ? 'int' : '') + shapeToString(shape);
    if (seen.has(key)) return;
    seen.add(key);
    if (outcomes.length < MAX_KEPT_OUTCOMES) outcomes.push({ via: via.range, call: callText(text, via.range), outShape: shape });
    else more++;
  });
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

/**
 * Each instantiation of a block declared in this file, in the order the
 * hovers and the outline call "first": this file's models in order, each
 * graph's nodes in order, a call before the calls inside it, each run of a
 * repeat. `f` gets the block's declaration, the body analysed for that
 * call, the outermost call in the model it came through (`SiteOutcome.via`)
 * and the model; returning true ends the walk. An instantiation is matched
 * to its declaration by range, not by name (the ports of an instantiated
 * body carry the range of the block's declaration; a block without `input`
 * is never instantiated): a second block of the same name is not the
 * first, and a call written in another file (an imported block's body)
 * instantiates that file's blocks, even of a name this file also declares.
 */
export function forEachInstantiation(analysis: Analysis, f: (decl: BlockDecl, body: Graph, via: GroupNode, model: ModelInfo) => boolean | void): void {
  const decls = new Map<number, BlockDecl>();
  for (const item of analysis.file.items) if (item.kind === 'block') decls.set(item.range.start.offset, item);
  if (decls.size === 0) return;
  const visit = (group: GroupNode, via: GroupNode, model: ModelInfo): boolean => {
    const local = group.uri === undefined || group.uri === analysis.uri;
    for (const run of group.runs) {
      const body = run.body;
      if (local && group.block !== undefined && body.inputs.length > 0) {
        const id = body.inputs[0];
        const port = body.nodes.find((n) => n.id === id);
        const decl = port?.kind === 'input' ? decls.get(port.range.start.offset) : undefined;
        if (decl && decl.name.name === group.block && port!.range.end.offset === decl.range.end.offset && f(decl, body, via, model)) return true;
      }
      for (const n of body.nodes) if (n.kind === 'group' && visit(n, via, model)) return true;
    }
    return false;
  };
  for (const m of analysis.models) {
    if (m.uri !== undefined && m.uri !== analysis.uri) continue;
    for (const node of m.graph.nodes) if (node.kind === 'group' && visit(node, node, m)) return;
  }
}
