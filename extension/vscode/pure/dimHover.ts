/**
 * The hover over a symbolic dimension of a model (`seq` in `input tokens:
 * int[seq]`): what it is, which inputs carry it, how
 * the model's counts grow with it (parameters usually not at all: the same
 * weights serve any length; MACs of attention with its square), and the
 * size the figures use. A pure function of an analysis.
 */
import type { DimSizes } from '../../core/analysis/sizes';
import { formatCount } from '../../core/analysis/display';
import { shapeToString, Sym } from '../../core/analysis/sym';
import type { Analysis, ModelInfo } from '../../core/analysis/types';
import type { Expr, ModelDecl, Range } from '../../core/syntax/ast';
import { forEachChild } from '../../core/syntax/children';
import type { HoverText } from './nameHover';

/** The symbolic dimension named at `offset` in one of a model's input shapes, with its model. */
export function dimensionAt(analysis: Analysis, offset: number): { model: ModelInfo; name: string; range: Range } | undefined {
  const decl = analysis.file.items.find((i): i is ModelDecl => i.kind === 'model' && i.range.start.offset <= offset && offset <= i.range.end.offset);
  if (!decl) return undefined;
  // This file's model (an imported file's models are not in `models`; its uri is the analysis's own).
  const model = analysis.models.find((m) => m.name === decl.name.name && m.range.start.offset === decl.range.start.offset);
  if (!model || model.symbols.length === 0) return undefined;
  let found: { name: string; range: Range } | undefined;
  const visit = (e: Expr): void => {
    if (found) return;
    if (e.kind === 'name' && e.range.start.offset <= offset && offset <= e.range.end.offset) {
      if (model.symbols.includes(e.name)) found = { name: e.name, range: e.range };
      return;
    }
    forEachChild(e, visit);
  };
  // Only in input shapes: elsewhere in a body a dimension is not a value (`name.unknown` says so).
  for (const st of decl.body) {
    if (found) break;
    if (st.kind === 'input' && st.range.start.offset <= offset && offset <= st.range.end.offset) st.shape?.dims.forEach(visit);
  }
  return found && { model, ...found };
}

/**
 * How `x` grows with `name`: its degree in it (0: it does not depend on it).
 * A floor or ceil atom (`⌊(seq - 3)/2⌋`, after a strided conv or a pooling)
 * grows as its formula does, and a monomial as the sum of its atoms' degrees
 * (`seq·⌊(seq)/2⌋` is of degree 2).
 */
function degreeIn(x: Sym, name: string, depth = 0): number {
  let degree = 0;
  for (const { atoms } of x.monomials()) {
    let d = 0;
    for (const [atom, power] of atoms) d += power * atomDegree(atom, name, depth);
    if (d > degree) degree = d;
  }
  return degree;
}

function atomDegree(atom: string, name: string, depth: number): number {
  if (atom === name) return 1;
  const m = /^[⌊⌈]\((.+)\)\/\d+[⌋⌉]$/u.exec(atom);
  // Nested roundings are a few levels deep (one per strided layer); the bound only guards odd text.
  if (!m || depth > 64) return 0;
  return degreeIn(Sym.parse(m[1]), name, depth + 1);
}

function growth(what: string, x: Sym, name: string): string {
  const d = degreeIn(x, name);
  if (d === 0) return `${what} do not depend on it`;
  const how = d === 1 ? 'linearly' : d === 2 ? `with its square (${name}²)` : `as ${name} to the power ${d}`;
  return `${what} grow ${how}: ${formatCount(x)}`;
}

/** The hover over dimension `name` of `model`; `sizes` are the sizes the editor's figures use. */
export function dimensionHoverMarkdown(model: ModelInfo, name: string, sizes?: DimSizes): string {
  const parts = ['```nnmodel\n(dimension) ' + name + '\n```'];
  const inputs = model.inputs.filter((i) => i.shape.dims.some((d) => d.atoms().includes(name)));
  parts.push(
    `A symbolic size of model \`${model.name}\`: any whole number, the same for the whole of one run, kept as a name by the analysis` +
      (inputs.length ? ` (${inputs.map((i) => `\`${i.name}: ${shapeToString(i.shape)}\``).join(', ')}).` : '.'),
  );
  const params = model.params.total;
  const facts = [
    degreeIn(params, name) === 0 ? `Parameters do not depend on it: the same ${formatCount(params)} weights serve any ${name}` : growth('Parameters', params, name),
    growth('MACs', model.macs, name),
    growth('Activation bytes per example', model.memory.activationBytes, name),
  ];
  parts.push(facts.map((f) => `${f}.`).join('  \n'));
  const size = sizes?.values[name];
  if (size !== undefined) {
    const from = sizes!.from[name] === 'given' ? 'the setting `nnmodel.dimensions`' : "its train section's data";
    parts.push(`Figures use **${name} = ${size.toLocaleString('en-US')}**, from ${from}.`);
  } else {
    parts.push(`_To see figures at a size, give it one: the setting \`nnmodel.dimensions\` (e.g. \`{ "${name}": ${name === 'seq' ? 1024 : 64} }\`), or a train section whose data fixes it._`);
  }
  return parts.join('\n\n');
}

/** The hover at `offset` when it is over a symbolic dimension. */
export function dimensionHover(analysis: Analysis, offset: number, sizesOf: (model: ModelInfo) => DimSizes | undefined): HoverText | undefined {
  const hit = dimensionAt(analysis, offset);
  if (!hit) return undefined;
  return { markdown: dimensionHoverMarkdown(hit.model, hit.name, sizesOf(hit.model)), range: hit.range };
}
