/**
 * Hover text over a name (a block parameter, an input, a value or a layer
 * object) and over an argument of a call (its name, or a word given as its
 * value such as `same`). Pure functions of an analysis, so the editor's
 * hover provider stays glue.
 */
import { blockInputSite } from '../../core/analysis/blockInputs';
import type { Analysis, BlockInfoSummary, SiteInfo } from '../../core/analysis/types';
import { objectWeights, weightsAtSite } from '../../core/analysis/weights';
import { getLayer, LAYERS } from '../../core/layers';
import type { ArgSpec, LayerSpec } from '../../core/layers/types';
import type { Arg, CallExpr, Expr, Range, SourceFile, Statement } from '../../core/syntax/ast';
import { forEachChild } from '../../core/syntax/children';
import { callableBlock, type ReadText } from './blocks';
import { contains, isLocal, siteAt, siteStartingAt, symbolAt, type SymbolHit } from './lookup';
import { formatDefault, layerHoverMarkdown, valueHoverMarkdown } from './text';

export interface HoverText {
  markdown: string;
  /** The word the hover is about. */
  range: Range;
}

const DECLARATION_SITES: readonly SiteInfo['kind'][] = ['value', 'input', 'object'];

const KIND_TEXT: Record<string, string> = { value: 'value', input: 'input', object: 'layer object' };

function codeBlock(text: string): string {
  return '```nnmodel\n' + text + '\n```';
}

/**
 * The hover over a parameter, input, value or layer object at `hit`: the
 * shape of the binding in scope there (a block's input: what its first call
 * gives it), or why that shape is unknown. Undefined for other symbols.
 */
export function nameHover(analysis: Analysis, hit: SymbolHit, offset: number): HoverText | undefined {
  const symbol = hit.symbol;
  if (symbol.kind !== 'value' && symbol.kind !== 'input' && symbol.kind !== 'object' && symbol.kind !== 'param') return undefined;
  const range = hit.range;
  // A use shows its binding's shape (symbolAt gives the binding in scope), or, for an applied layer object, the application's.
  const site =
    (hit.isDeclaration ? siteStartingAt(analysis.sites, hit.range, DECLARATION_SITES) : siteAt(analysis.sites, offset, DECLARATION_SITES)) ??
    siteStartingAt(analysis.sites, symbol.range, DECLARATION_SITES) ??
    (symbol.kind === 'input' ? blockInputSite(analysis, symbol.range) : undefined);
  if (site) {
    const weights = symbol.kind === 'object' ? weightsAtSite(analysis, site) ?? objectWeights(analysis, site.model, symbol.name) : undefined;
    return { markdown: valueHoverMarkdown(site, weights), range };
  }
  if (symbol.kind === 'object') {
    // `wte = embedding(...)`: describe the layer the object holds.
    const full = symbol.fullRange;
    const def = analysis.sites.find((x) => x.kind === 'object' && contains(full, x.range.start.offset));
    const spec = def ? getLayer(def.name) : undefined;
    if (def && spec) {
      return { markdown: codeBlock('(layer object) ' + symbol.name) + '\n\n' + layerHoverMarkdown(def, spec, undefined, objectWeights(analysis, def.model, symbol.name)), range };
    }
  }
  if (symbol.kind === 'param') return { markdown: codeBlock('(parameter) ' + symbol.name), range };
  return { markdown: codeBlock(`(${KIND_TEXT[symbol.kind]}) ${symbol.name}`) + '\n\n' + unknownShapeText(analysis, symbol.fullRange), range };
}

/** Why a binding (whose statement is `statement`) has no shape: the error on its line, the error before it, or no call of its block. */
function unknownShapeText(analysis: Analysis, statement: Range): string {
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error' && isLocal(d.uri, analysis.uri));
  const own = errors.find((d) => d.range.start.offset >= statement.start.offset && d.range.start.offset <= statement.end.offset);
  if (own) return `Shape unknown because of the error on line ${own.range.start.line + 1}: ${own.message}`;
  const at = statement.start.offset;
  const body = analysis.file.items.find((i) => (i.kind === 'model' || i.kind === 'block') && contains(i.range, at));
  if (body?.kind === 'block' && !analysis.sites.some((s) => contains(body.range, s.range.start.offset))) {
    return `Shape unknown: it depends on the call, and block \`${body.name.name}\` is not called in this file.`;
  }
  const before = body && errors.filter((d) => d.range.start.offset >= body.range.start.offset && d.range.start.offset < at).pop();
  if (before) return `Shape unknown: it depends on line ${before.range.start.line + 1}, which has an error: ${before.message}`;
  return 'Shape unknown: the analysis did not reach this statement.';
}

/** An argument of a call under the cursor: on its name, or on a word (name or `true`/`false`) given as its value. */
export interface ArgumentHit {
  call: CallExpr;
  arg: Arg;
  /** Index among the call's positional arguments; -1 for a named one. */
  position: number;
  part: 'name' | 'value';
  /** The word under the cursor. */
  range: Range;
}

/** The argument at `offset` in a model or block of `file`, if the cursor is on its name or on a word given as its value. */
export function argumentAt(file: SourceFile, offset: number): ArgumentHit | undefined {
  const item = file.items.find((i) => (i.kind === 'model' || i.kind === 'block') && contains(i.range, offset));
  if (!item || (item.kind !== 'model' && item.kind !== 'block')) return undefined;
  const exprs: Expr[] = [];
  if (item.kind === 'block') for (const p of item.params) if (p.default) exprs.push(p.default);
  for (const stmt of item.body) exprs.push(...statementExprs(stmt));
  for (const e of exprs) {
    const found = argumentIn(e, offset);
    if (found) return found;
  }
  return undefined;
}

function statementExprs(stmt: Statement): Expr[] {
  switch (stmt.kind) {
    case 'input':
      return stmt.shape ? [...stmt.shape.dims] : [];
    case 'assign':
      return [stmt.value];
    case 'output':
      return stmt.values;
  }
}

function argumentIn(e: Expr, offset: number): ArgumentHit | undefined {
  if (!contains(e.range, offset)) return undefined;
  if (e.kind === 'call') {
    let position = 0;
    for (const arg of e.args) {
      const at = arg.name ? -1 : position++;
      if (arg.name && contains(arg.name.range, offset)) return { call: e, arg, position: at, part: 'name', range: arg.name.range };
      if ((arg.value.kind === 'name' || arg.value.kind === 'bool') && contains(arg.value.range, offset)) {
        return { call: e, arg, position: at, part: 'value', range: arg.value.range };
      }
    }
  }
  let found: ArgumentHit | undefined;
  forEachChild(e, (c) => {
    found ??= argumentIn(c, offset);
  });
  return found;
}

/**
 * The hover over an argument of a layer or block call: its type, default,
 * allowed values and documentation; on a word given as its value, what that
 * value means. Undefined when the cursor is on no argument, or on a name
 * that is a symbol (that one's hover applies).
 */
export function argumentHover(analysis: Analysis, offset: number, docUri: string | undefined, read: ReadText = () => undefined): HoverText | undefined {
  const hit = argumentAt(analysis.file, offset);
  if (!hit) return undefined;
  if (hit.part === 'value' && symbolAt(analysis.symbols, offset, docUri)) return undefined;
  const callee = hit.call.callee.name;
  // The analysis' order: a name in scope or a block before a registry layer.
  if (symbolAt(analysis.symbols, hit.call.callee.range.start.offset, docUri)?.symbol.kind === 'block') {
    // The file's own block, or an imported one (its parameters read from its file).
    const block = docUri === undefined ? analysis.blocks.find((b) => b.name === callee) : callableBlock(analysis, docUri, callee, read);
    // An argument's name, or a word given to it (by name or position): the parameter it fills.
    const param = hit.arg.name ? hit.arg.name.name : block?.params[hit.position]?.name;
    const markdown = block && param !== undefined ? blockParamMarkdown(block, param) : undefined;
    return markdown ? { markdown, range: hit.range } : undefined;
  }
  if (symbolAt(analysis.symbols, hit.call.callee.range.start.offset, docUri)) return undefined;
  const spec = getLayer(callee);
  if (!spec) return undefined;
  const arg = hit.arg.name ? spec.args.find((a) => a.name === hit.arg.name!.name) : positionalArg(spec, hit.position);
  if (!arg) return undefined;
  const value = hit.part === 'value' ? (hit.arg.value.kind === 'name' ? hit.arg.value.name : hit.arg.value.kind === 'bool' ? String(hit.arg.value.value) : undefined) : undefined;
  return { markdown: argumentMarkdown(spec, arg, value), range: hit.range };
}

/** The argument a positional one fills: in its place, or the variadic one (`concat(a, b, c)`) that takes the rest. */
function positionalArg(spec: LayerSpec, position: number): ArgSpec | undefined {
  const variadic = spec.args.findIndex((a) => a.type === 'tensors');
  return variadic >= 0 && variadic <= position ? spec.args[variadic] : spec.args[position];
}

function blockParamMarkdown(block: BlockInfoSummary, name: string): string | undefined {
  const p = block.params.find((x) => x.name === name);
  if (!p) return undefined;
  const head = codeBlock(`(parameter) ${block.name}.${p.name}${p.default !== undefined ? ` = ${p.default}` : ''}`);
  return head + '\n\n' + (p.default !== undefined ? `Default: \`${p.default}\`.` : 'Required.');
}

/** The values an argument takes, as shown: `valid | same`, `int ≥ 1`. */
function allowedText(arg: ArgSpec): string {
  const values = allowedValues(arg);
  if (values) return values.join(' | ');
  if (arg.type === 'tensors') return 'values...';
  const bounds = arg.min !== undefined && arg.max !== undefined ? ` in [${arg.min}, ${arg.max}]` : arg.min !== undefined ? ` ≥ ${arg.min}` : arg.max !== undefined ? ` ≤ ${arg.max}` : '';
  return arg.type + bounds;
}

function allowedValues(arg: ArgSpec): readonly string[] | undefined {
  if (arg.type === 'enum' || arg.type === 'activation') return arg.enum ?? (arg.type === 'activation' ? activationNames() : undefined);
  if (arg.type === 'bool') return ['true', 'false'];
  return undefined;
}

function activationNames(): string[] {
  return ['none', ...[...LAYERS.values()].filter((l) => l.category === 'activation').map((l) => l.name)];
}

/**
 * Markdown for argument `arg` of layer `spec`; with `value`, for that value
 * given to it: its meaning first (the layer's documentation lines about
 * `arg=value`, the clause of the argument's documentation about it, or for an
 * activation that layer's summary), then the argument's documentation.
 */
export function argumentMarkdown(spec: LayerSpec, arg: ArgSpec, value?: string): string {
  const d = formatDefault(arg);
  const parts: string[] = [];
  if (value === undefined) {
    parts.push(codeBlock(`(argument) ${spec.name}.${arg.name}: ${allowedText(arg)}${d !== undefined ? ` = ${d}` : ''}`));
  } else {
    parts.push(codeBlock(`(argument) ${spec.name}.${arg.name} = ${value}`));
    const allowed = allowedValues(arg);
    if (allowed && !allowed.includes(value)) parts.push(`\`${value}\` is not a value of \`${arg.name}\`: one of ${allowed.map((v) => `\`${v}\``).join(', ')}.`);
    else {
      const meaning = valueMeaning(spec, arg, value);
      if (meaning.length) parts.push(meaning.join('  \n'));
    }
    parts.push(`\`${allowedText(arg)}\`${d !== undefined ? ` · default \`${d}\`` : ''}`);
  }
  const facts: string[] = [];
  if (arg.doc) facts.push(value === undefined ? arg.doc : `**${arg.name}** — ${arg.doc}`);
  if (value === undefined) facts.push(d !== undefined ? `Default: \`${d}\`.` : 'Required.');
  parts.push(facts.join('  \n'));
  return parts.join('\n\n');
}

function valueMeaning(spec: LayerSpec, arg: ArgSpec, value: string): string[] {
  const out: string[] = [];
  // The argument's documentation names each value: "`same` (keep the size at stride 1)" or "learned: a trained vector".
  const paren = new RegExp('`' + value + '`\\s*\\(((?:[^()]|\\([^()]*\\))*)\\)').exec(arg.doc);
  const colon = new RegExp('(?:^|[;,]\\s*|\\bor\\s+)`?' + value + '`?:\\s*([^;]+?)\\.?(?:;|$)').exec(arg.doc);
  const clause = paren?.[1] ?? colon?.[1];
  if (clause) out.push(`\`${value}\`: ${clause}`);
  if (arg.type === 'activation') {
    const layer = value === 'none' ? undefined : getLayer(value);
    if (value === 'none') out.push('`none`: no activation, the output as computed.');
    else if (layer) out.push(`\`${value}\`: ${layer.summary}`);
  }
  // The layer's own lines about this setting, "- `padding=same`: `h' = ⌈h / stride⌉` (zeros around the border)",
  // without what the same line says about the argument's other values.
  const setting = new RegExp('`' + arg.name + '\\s*=\\s*' + value + '`');
  const next = new RegExp(';\\s+(?=`' + arg.name + '\\s*=)');
  for (const line of spec.doc.split('\n')) {
    for (const part of line.replace(/^\s*-\s*/, '').split(next)) if (setting.test(part)) out.push(part);
  }
  return out;
}
