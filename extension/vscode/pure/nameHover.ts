/**
 * Hover text over a name (a block parameter, an input, a value or a layer
 * object) and over an argument of a call (its name, or a word given as its
 * value such as `same`). Pure functions of an analysis, so the editor's
 * hover provider stays glue.
 */
import { blockInputSite } from '../../core/analysis/blockInputs';
import type { Analysis, BlockInfoSummary, SiteInfo } from '../../core/analysis/types';
import { nodeAtRange, objectWeights, weightsAtSite } from '../../core/analysis/weights';
import { appliesBare, getLayer, LAYERS } from '../../core/layers';
import type { ArgSpec, LayerSpec } from '../../core/layers/types';
import { exprText } from '../../core/analysis/analyze';
import { shapeToString } from '../../core/analysis/sym';
import { arithmetic } from '../../core/analysis/values';
import type { Arg, BlockDecl, CallExpr, Comment, Expr, Range, SourceFile, Statement } from '../../core/syntax/ast';
import { forEachChild } from '../../core/syntax/children';
import { parse } from '../../core/syntax/parser';
import { callableBlock, type ReadText } from './blocks';
import { paramUse } from './paramUse';
import { contains, isLocal, siteAt, siteStartingAt, symbolAt, type SymbolHit } from './lookup';
import { blockSignature, formatDefault, layerHoverMarkdown, valueHoverMarkdown } from './text';

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
  // A parameter applied as a layer (`-> act`, given `gelu`): the hover of the layer it applies (hover.ts, appliedWordLine).
  if (symbol.kind === 'param' && !hit.isDeclaration && appliedWordSite(analysis, range)) return undefined;
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
    // `e = d`: another name for the object d, the same layer.
    const assigned = assignmentOf(analysis.file, symbol.range);
    const alias = assigned?.value.kind === 'name' ? assigned.value.name : undefined;
    const target = alias === undefined ? undefined : analysis.symbols.filter((s) => s.kind === 'object' && s.name === alias && s.uri === undefined && s.container === symbol.container && s.range.start.offset < symbol.range.start.offset).pop();
    const of = target && analysis.sites.find((x) => x.kind === 'object' && contains(target.fullRange, x.range.start.offset));
    const layer = of ? getLayer(of.name) : undefined;
    if (of && layer) {
      return {
        markdown: codeBlock(`(layer object) ${symbol.name} = ${alias}`) + `\n\nAnother name for \`${alias}\`: the same layer, one set of weights for both names.\n\n` + layerHoverMarkdown(of, layer, undefined, objectWeights(analysis, of.model, alias!)),
        range,
      };
    }
  }
  if (symbol.kind === 'param') return { markdown: codeBlock('(parameter) ' + symbol.name), range };
  // `width = 16`, `hidden = 4 * width`: a number (or a choice, a list) has no shape but a value.
  const assigned = symbol.kind === 'value' ? assignmentOf(analysis.file, symbol.range) : undefined;
  const failed = assigned && analysis.diagnostics.some((d) => d.severity === 'error' && isLocal(d.uri, analysis.uri) && contains(assigned.range, d.range.start.offset));
  const known = assigned && !failed ? constantValue(analysis, assigned.value, analysis.uri) : undefined;
  if (assigned && known !== undefined) {
    const written = exprText(assigned.value);
    return { markdown: codeBlock(`(value) ${symbol.name} = ${known}`) + (written !== known ? `\n\n\`${symbol.name} = ${written}\`` : ''), range };
  }
  if (assigned && !failed && symbol.container && isPlainValue(assigned.value) && mentionsParam(analysis, assigned.value, analysis.uri)) {
    return { markdown: codeBlock(`(value) ${symbol.name} = ${exprText(assigned.value)}`) + `\n\nIts value depends on the call of block \`${symbol.container}\`.`, range };
  }
  return { markdown: codeBlock(`(${KIND_TEXT[symbol.kind]}) ${symbol.name}`) + '\n\n' + unknownShapeText(analysis, symbol.fullRange), range };
}

/** The layer site of a name applied as a layer at exactly `range` (`-> act`, a block parameter given `gelu`), if any. */
function appliedWordSite(analysis: Analysis, range: Range): SiteInfo | undefined {
  const site = siteStartingAt(analysis.sites, range, ['layer']);
  if (!site || site.range.end.offset !== range.end.offset) return undefined;
  return analysis.file.text?.slice(range.start.offset, range.end.offset) !== site.name ? site : undefined;
}

/**
 * For the hover of layer site `site`: when it applies the word a block
 * parameter holds (`-> act`, given `gelu`), what that parameter is and that
 * each application is a layer of its own (unlike a layer object given for
 * it, which shares its weights). Undefined for a layer called by its name.
 */
export function appliedWordLine(analysis: Analysis, site: SiteInfo, docUri: string | undefined): string | undefined {
  if (site.kind !== 'layer' || appliedWordSite(analysis, site.range) !== site) return undefined;
  const hit = symbolAt(analysis.symbols, site.range.start.offset, docUri);
  if (hit?.symbol.kind !== 'param') return undefined;
  const name = hit.symbol.name;
  const block = hit.symbol.container ? ` of block \`${hit.symbol.container}\`` : '';
  const own = site.params && !totalIsZero(site) ? ', with its own weights' : '';
  return (
    `\`${name}\` is a parameter${block} that names the layer it applies: here **${site.name}**, with its defaults. ` +
    `Each \`-> ${name}\` is a layer of its own${own} (a layer object given for \`${name}\` would share one set of weights at every application).`
  );
}

function totalIsZero(site: SiteInfo): boolean {
  return site.params !== undefined && site.params.trainable.equals(0) && site.params.nonTrainable.equals(0);
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
  // A block's input (or a value above the error): the call that reached the block stopped at an error further down its body.
  const later = body?.kind === 'block' ? errors.find((d) => contains(body.range, d.range.start.offset)) : undefined;
  if (later) {
    const via = later.related?.map((r) => /^reached through (.+)$/.exec(r.message)?.[1]).find((c) => c);
    return `Shape unknown: ${via ? `the call \`${via}\`` : 'the call of this block'} stopped at the error on line ${later.range.start.line + 1}: ${later.message}`;
  }
  return 'Shape unknown: the analysis did not reach this statement.';
}

/** An argument of a call under the cursor: on its name, or on a word (name or `true`/`false`) given as its value. */
export interface ArgumentHit {
  call: CallExpr;
  arg: Arg;
  /** Index among the call's positional arguments; -1 for a named one. */
  position: number;
  part: 'name' | 'value';
  /** On the value: whether it is a word (a name, `true`/`false`) rather than a number or an expression such as `2 * width`. */
  word: boolean;
  /** The word under the cursor, or the whole value when it is no word. */
  range: Range;
}

/**
 * The argument at `offset` in a model or block of `file`, if the cursor is on
 * its name, on a word given as its value, or on a value that holds no call
 * (`64`, `2 * width`, `[3, 3]`; a name inside one is that name's hover first).
 */
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
      if (arg.name && contains(arg.name.range, offset)) return { call: e, arg, position: at, part: 'name', word: false, range: arg.name.range };
      if ((arg.value.kind === 'name' || arg.value.kind === 'bool') && contains(arg.value.range, offset)) {
        return { call: e, arg, position: at, part: 'value', word: true, range: arg.value.range };
      }
      if (contains(arg.value.range, offset) && isPlainValue(arg.value)) return { call: e, arg, position: at, part: 'value', word: false, range: arg.value.range };
    }
  }
  let found: ArgumentHit | undefined;
  forEachChild(e, (c) => {
    found ??= argumentIn(c, offset);
  });
  return found;
}

/** A value that holds no call or chain: a number, string, word, list, or arithmetic of those. */
function isPlainValue(e: Expr): boolean {
  switch (e.kind) {
    case 'number':
    case 'string':
    case 'bool':
    case 'name':
      return true;
    case 'list':
      return e.items.every(isPlainValue);
    case 'paren':
      return isPlainValue(e.expr);
    case 'unary':
      return isPlainValue(e.operand);
    case 'binary':
      return isPlainValue(e.left) && isPlainValue(e.right);
    default:
      return false;
  }
}

/**
 * The hover over an argument of a layer or block call. Of a layer: its type,
 * default, allowed values and documentation; on a word given as its value,
 * what that value means (a number given to a layer keeps the layer's hover).
 * Of a block (the file's own or an imported one, alike), on the argument's
 * name or anywhere on its value: the parameter it fills with the value this
 * call gives it, its declared default, its block and its comment; on the name
 * of an input given by name, that input and the value's shape. Undefined
 * when the cursor is on no argument, or on a name that is a symbol (that
 * one's hover applies).
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
    const markdown = block ? blockArgumentMarkdown(analysis, block, hit, docUri, read) : undefined;
    return markdown ? { markdown, range: hit.range } : undefined;
  }
  if (symbolAt(analysis.symbols, hit.call.callee.range.start.offset, docUri)) return undefined;
  if (hit.part === 'value' && !hit.word) return undefined;
  const spec = getLayer(callee);
  if (!spec) return undefined;
  const arg = hit.arg.name ? spec.args.find((a) => a.name === hit.arg.name!.name) : positionalArg(spec, hit.position);
  if (!arg) return undefined;
  const value = hit.part === 'value' ? (hit.arg.value.kind === 'name' ? hit.arg.value.name : hit.arg.value.kind === 'bool' ? String(hit.arg.value.value) : undefined) : undefined;
  return { markdown: argumentMarkdown(spec, arg, value, value === undefined ? callFacts(analysis, hit, spec, arg) : undefined), range: hit.range };
}

/** What a window argument decides in a conv or pooling layer: its output size, and for `stride` what it saves. */
const WINDOW_ARGS = new Set(['kernel', 'size', 'stride', 'padding', 'dilation']);

/**
 * The value a layer call gives `arg` as written (`stride = 2`), with its value
 * as analysed when that differs (`kernel = k`, which is `3`, in a block
 * body: its first call's), and the call's hover notes
 * about it (the output size arithmetic for a window argument): the
 * declaration's default alone would read as the value used.
 */
function callFacts(analysis: Analysis, hit: ArgumentHit, spec: LayerSpec, arg: ArgSpec): { given: string; notes: string[] } | undefined {
  const written = exprText(hit.arg.value);
  const site = siteAt(analysis.sites, hit.call.callee.range.start.offset, ['layer']);
  const model = site && site.name === spec.name ? analysis.models.find((m) => m.name === site.model) : undefined;
  const node = model && site ? nodeAtRange(model, site.range, 'layer') : undefined;
  const v = node?.args[arg.name];
  const analysed = typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? String(v) : Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v.length === 1 ? String(v[0]) : `[${v.join(', ')}]`) : undefined;
  const given = analysed === undefined || analysed === written ? `\`${arg.name} = ${written}\`` : `\`${arg.name} = ${written}\`, which is ${analysed}`;
  if (!node || !site || !WINDOW_ARGS.has(arg.name) || (spec.category !== 'conv' && spec.category !== 'pool')) return { given, notes: [] };
  // A pooling's explicit padding also says what the padding holds (never the max; zeros counted in the mean).
  const notes = (spec.notes?.(node.args, site.inShapes) ?? []).filter(
    (n) => n.startsWith('Output size') || (arg.name === 'stride' && n.startsWith('Stride')) || (arg.name === 'padding' && n.startsWith('The padding')),
  );
  return { given, notes };
}

/** The argument a positional one fills: in its place, or the variadic one (`concat(a, b, c)`) that takes the rest. */
function positionalArg(spec: LayerSpec, position: number): ArgSpec | undefined {
  const variadic = spec.args.findIndex((a) => a.type === 'tensors');
  return variadic >= 0 && variadic <= position ? spec.args[variadic] : spec.args[position];
}

/**
 * The argument `hit` of a call of `block`: the parameter it fills (by name or
 * position) with the value this call gives it, or the input it binds by name.
 */
function blockArgumentMarkdown(analysis: Analysis, block: BlockInfoSummary, hit: ArgumentHit, docUri: string | undefined, read: ReadText): string | undefined {
  const name = hit.arg.name ? hit.arg.name.name : block.params[hit.position]?.name;
  if (name === undefined) return undefined;
  const source = declarationOf(analysis, block, docUri, read);
  const imported = block.uri !== undefined && !isLocal(block.uri, docUri) ? ` (imported from \`${fileName(block.uri)}\`)` : '';
  const owner = `block \`${blockSignature(block).label.slice('block '.length)}\`${imported}`;
  const given = exprText(hit.arg.value);
  const p = block.params.find((x) => x.name === name);
  if (!p) {
    // `skip = e`: an input of the block bound by name.
    if (!hit.arg.name || !source?.decl.body.some((st) => st.kind === 'input' && st.name.name === name)) return undefined;
    const shape = tensorShape(analysis, hit.arg.value, docUri);
    return (
      codeBlock(`(input) ${block.name}.${name}${shape ? `: ${shape}` : ''}`) +
      `\n\nAt this call: \`${name} = ${given}\`  \nAn input of ${owner} — the value given binds to its \`input ${name}\``
    );
  }
  const value = constantValue(analysis, hit.arg.value, docUri);
  const lines: string[] = [];
  const how = hit.arg.name ? '' : ' (given by position)';
  // No punctuation right after a code span (see text.ts): the value it comes to is plain text.
  if (value === undefined || value === given) lines.push(`At this call: \`${name} = ${given}\`${how}`);
  else lines.push(`At this call: \`${name} = ${given}\`${how}, which is ${value}`);
  const applied = value !== undefined && source ? appliedLayerText(analysis, source.decl, name, value, docUri, read) : undefined;
  if (applied) lines.push(applied);
  if (value === undefined) {
    const container = analysis.file.items.find((i) => i.kind === 'block' && contains(i.range, hit.arg.range.start.offset));
    if (container?.kind === 'block' && mentionsParam(analysis, hit.arg.value, docUri)) lines.push(`Its value depends on the call of block \`${container.name.name}\``);
  }
  lines.push(`${p.default !== undefined ? `Declared default ${p.default}` : 'Required: no default'}; a parameter of ${owner}`);
  const doc = source && paramComment(source, name);
  return codeBlock(`(parameter) ${block.name}.${name} = ${value ?? given}`) + '\n\n' + lines.join('  \n') + (doc ? `\n\n${doc}` : '');
}

/**
 * For a block argument given `value` for parameter `name` of `decl`: when the
 * body applies the parameter as a layer (`-> act`) and the value names a layer
 * that needs no arguments, that it is applied so (`gelu`, with its defaults),
 * a layer of its own at each application.
 */
function appliedLayerText(analysis: Analysis, decl: BlockDecl, name: string, value: string, docUri: string | undefined, read: ReadText): string | undefined {
  const spec = getLayer(value);
  if (!spec || !appliesBare(spec)) return undefined;
  const blockNamed = (n: string) => {
    const b = analysis.blocks.find((x) => x.name === n);
    return b ? declarationOf(analysis, b, docUri, read)?.decl : undefined;
  };
  const use = paramUse(decl, name, blockNamed);
  if (use.kind !== 'layer' || !use.applied) return undefined;
  return `Applied as a layer by \`-> ${name}\` in the block: **${value}**, with its defaults, a layer of its own at each application (with its own weights, where it has any)`;
}

/** The last segment of a uri, as a file name (`my%20lib.nnmodel` as `my lib.nnmodel`). */
function fileName(uri: string): string {
  const last = uri.slice(uri.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

/** A block's declaration with the text and comments it was parsed from (the file's own, or the imported file's). */
interface BlockSource {
  decl: BlockDecl;
  text: string;
  comments: readonly Comment[];
}

function declarationOf(analysis: Analysis, block: BlockInfoSummary, docUri: string | undefined, read: ReadText): BlockSource | undefined {
  if (block.uri === undefined || isLocal(block.uri, docUri)) {
    const decl = analysis.file.items.find((i) => i.kind === 'block' && i.name.name === block.name);
    const text = analysis.file.text;
    return decl?.kind === 'block' && text !== undefined ? { decl, text, comments: analysis.file.comments } : undefined;
  }
  const text = read(block.uri)?.slice(block.range.start.offset, block.range.end.offset);
  if (text === undefined) return undefined;
  const file = parse(text);
  const decl = file.items.find((i) => i.kind === 'block' && i.name.name === block.name);
  return decl?.kind === 'block' ? { decl, text, comments: file.comments } : undefined;
}

/**
 * The comment that documents parameter `name`: full-line comments right above
 * it, and a comment after it on its line, inside the parameter list (a
 * comment after the `)` is about the block, and one on a line holding other
 * parameters is no one's).
 */
function paramComment(source: BlockSource, name: string): string | undefined {
  const { decl, text } = source;
  const list = decl.paramsRange;
  const i = decl.params.findIndex((p) => p.name.name === name);
  if (!list || i < 0) return undefined;
  const p = decl.params[i];
  const prev = decl.params[i - 1];
  const next = decl.params[i + 1];
  const inside = source.comments.filter((c) => c.range.start.offset > list.start.offset && c.range.start.offset < list.end.offset);
  const fullLine = (c: Comment) => text.slice(c.range.start.offset - c.range.start.character, c.range.start.offset).trim() === '';
  const above: string[] = [];
  let line = p.range.start.line - 1;
  for (let k = inside.length - 1; k >= 0; k--) {
    const c = inside[k];
    if (c.range.start.offset >= p.range.start.offset) continue;
    if (c.range.start.line !== line || !fullLine(c) || (prev && c.range.start.offset < prev.range.end.offset)) break;
    above.unshift(commentText(c));
    line--;
  }
  const alone = (!next || next.range.start.line > p.range.end.line) && (!prev || prev.range.end.line < p.range.start.line);
  const after = alone ? inside.find((c) => c.range.start.line === p.range.end.line && c.range.start.offset >= p.range.end.offset) : undefined;
  const parts = [...above, ...(after ? [commentText(after)] : [])].filter((t) => t !== '');
  return parts.length ? parts.join(' ') : undefined;
}

function commentText(c: Comment): string {
  return c.text.replace(/^(#|\/\/)\s*/, '').trim();
}

/** The `name = value` statement that declares the value at `name` (its identifier). */
function assignmentOf(file: SourceFile, name: Range): Extract<Statement, { kind: 'assign' }> | undefined {
  for (const item of file.items) {
    if ((item.kind !== 'model' && item.kind !== 'block') || !contains(item.range, name.start.offset)) continue;
    for (const st of item.body) if (st.kind === 'assign' && st.target.range.start.offset === name.start.offset) return st;
  }
  return undefined;
}

const MAX_VALUE_DEPTH = 16;

/**
 * The value of an argument as the analysis evaluates it, as text (`32`,
 * `gelu`, `[3, 3]`): numbers and their arithmetic, words (choices such as
 * `gelu`), lists, and names bound above to such values (followed through the
 * binding in scope, `width = 16`). Undefined when unknown here: a tensor, a
 * parameter of the enclosing block (it depends on the call), a division by
 * zero, an expression with an error.
 */
function constantValue(analysis: Analysis, e: Expr, docUri: string | undefined, depth = 0): string | undefined {
  const v = evaluate(analysis, e, docUri, depth);
  if (v === undefined) return undefined;
  return typeof v === 'number' ? formatValue(v) : v;
}

type Constant = number | string;

function evaluate(analysis: Analysis, e: Expr, docUri: string | undefined, depth: number): Constant | undefined {
  if (depth > MAX_VALUE_DEPTH) return undefined;
  switch (e.kind) {
    case 'number':
      return e.value;
    case 'string':
      return JSON.stringify(e.value);
    case 'bool':
      return String(e.value);
    case 'paren':
      return evaluate(analysis, e.expr, docUri, depth + 1);
    case 'unary': {
      const v = evaluate(analysis, e.operand, docUri, depth + 1);
      return typeof v === 'number' ? -v : undefined;
    }
    case 'binary': {
      const l = evaluate(analysis, e.left, docUri, depth + 1);
      const r = evaluate(analysis, e.right, docUri, depth + 1);
      return typeof l === 'number' && typeof r === 'number' ? arithmetic(e.op, l, r) : undefined;
    }
    case 'list': {
      const items = e.items.map((x) => constantValue(analysis, x, docUri, depth + 1));
      return items.every((x) => x !== undefined) ? `[${items.join(', ')}]` : undefined;
    }
    case 'name': {
      const hit = symbolAt(analysis.symbols, e.range.start.offset, docUri);
      // A word that names nothing in scope is a choice (`gelu`, `same`): the analysis reads it as itself.
      if (!hit) return e.name;
      if (hit.symbol.kind !== 'value') return undefined;
      const st = assignmentOf(analysis.file, hit.symbol.range);
      return st ? evaluate(analysis, st.value, docUri, depth + 1) : undefined;
    }
    default:
      return undefined;
  }
}

/** A computed number as the editor shows it: `0.30000000000000004` as `0.3`. */
function formatValue(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(12)));
}

/** Whether a value names a parameter of the block around it (its value then depends on the call). */
function mentionsParam(analysis: Analysis, e: Expr, docUri: string | undefined): boolean {
  if (e.kind === 'name') {
    const s = symbolAt(analysis.symbols, e.range.start.offset, docUri)?.symbol;
    if (s?.kind === 'param') return true;
    if (s?.kind !== 'value') return false;
    const st = assignmentOf(analysis.file, s.range);
    return st !== undefined && st.range.start.offset < e.range.start.offset && mentionsParam(analysis, st.value, docUri);
  }
  let found = false;
  forEachChild(e, (c) => {
    found ||= mentionsParam(analysis, c, docUri);
  });
  return found;
}

/** The shape of a tensor given as an argument (`skip = e`): the shape of the binding its name refers to. */
function tensorShape(analysis: Analysis, e: Expr, docUri: string | undefined): string | undefined {
  // `skip = e -> relu`: the shape its last call gives.
  const last = e.kind === 'chain' ? e.calls[e.calls.length - 1] : e.kind === 'call' ? e : undefined;
  if (last) {
    const site = analysis.sites.find((x) => (x.kind === 'layer' || x.kind === 'block') && x.range.start.offset === last.range.start.offset && x.range.end.offset === last.range.end.offset);
    return site?.outShape ? shapeToString(site.outShape) : undefined;
  }
  if (e.kind !== 'name') return undefined;
  const hit = symbolAt(analysis.symbols, e.range.start.offset, docUri);
  if (!hit || (hit.symbol.kind !== 'value' && hit.symbol.kind !== 'input')) return undefined;
  const site = siteStartingAt(analysis.sites, hit.symbol.range, DECLARATION_SITES);
  return site?.outShape ? shapeToString(site.outShape) : undefined;
}

/** The values an argument takes, as shown: `valid | same`, `int ≥ 1`. */
function allowedText(arg: ArgSpec): string {
  const values = allowedValues(arg);
  // Explicit padding: a whole number, or one per spatial axis (`padding = 2`, `[1, 2]`).
  if (values && arg.orInts) return [...values, 'int', 'int[]'].join(' | ');
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
export function argumentMarkdown(spec: LayerSpec, arg: ArgSpec, value?: string, call?: { given: string; notes: readonly string[] }): string {
  const d = formatDefault(arg);
  const parts: string[] = [];
  if (value === undefined && call) {
    // A value the call gives (a number, a list, arithmetic): that value, not the declaration's default.
    parts.push(codeBlock(`(argument) ${spec.name}.${arg.name}: ${allowedText(arg)}`));
    parts.push(`At this call: ${call.given}${d !== undefined ? ` (default ${d})` : ''}${call.notes.length ? `  \n${call.notes.join('  \n')}` : ''}`);
    if (arg.doc) parts.push(`**${arg.name}** — ${arg.doc}`);
    return parts.join('\n\n');
  }
  if (value === undefined) {
    parts.push(codeBlock(`(argument) ${spec.name}.${arg.name}: ${allowedText(arg)}${d !== undefined ? ` = ${d}` : ''}`));
  } else {
    parts.push(codeBlock(`(argument) ${spec.name}.${arg.name} = ${value}`));
    const allowed = allowedValues(arg);
    if (allowed && !allowed.includes(value)) parts.push(`\`${value}\` is not a value of \`${arg.name}\` — one of ${allowed.map((v) => `\`${v}\``).join(' ')}`);
    else {
      const meaning = valueMeaning(spec, arg, value);
      if (meaning.length) parts.push(meaning.join('  \n'));
    }
    parts.push(`\`${allowedText(arg)}\`${d !== undefined ? ` · default \`${d}\`` : ''}`);
  }
  const facts: string[] = [];
  if (arg.doc) facts.push(value === undefined ? arg.doc : `**${arg.name}** — ${arg.doc}`);
  if (value === undefined) facts.push(d !== undefined ? `Default: \`${d}\`` : 'Required.');
  parts.push(facts.join('  \n'));
  return parts.join('\n\n');
}

function valueMeaning(spec: LayerSpec, arg: ArgSpec, value: string): string[] {
  const out: string[] = [];
  // The argument's documentation names each value: "`same` (keep the size at stride 1)" or "learned: a trained vector".
  const paren = new RegExp('`' + value + '`\\s*\\(((?:[^()]|\\([^()]*\\))*)\\)').exec(arg.doc);
  const colon = new RegExp('(?:^|[;,]\\s*|\\bor\\s+)`?' + value + '`?:\\s*([^;]+?)\\.?(?:;|$)').exec(arg.doc);
  const clause = paren?.[1] ?? colon?.[1];
  if (clause) out.push(`**${value}** — ${clause}`);
  if (arg.type === 'activation') {
    const layer = value === 'none' ? undefined : getLayer(value);
    if (value === 'none') out.push('**none** — no activation, the output as computed.');
    else if (layer) out.push(`**${value}** — ${layer.summary}`);
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
