/**
 * Completion: layers, blocks and layer objects in chains; argument names,
 * enum values and names in calls; names in expressions; top-level keywords;
 * keys and values of train sections.
 */
import * as vscode from 'vscode';
import { getLayer, LAYERS, type Analysis, type ArgSpec, type LayerSpec, type Shape, type SymbolInfo } from '../core';
import { bareLayerNames } from '../core/layers';
import type { BlockDecl, Expr } from '../core/syntax/ast';
import { readUriText, type AnalysisCache } from './analysisCache';
import { toMarkdown } from './convert';
import { callableBlock, callableBlockDecl, callableBlockInputs, callableBlocks } from './pure/blocks';
import { chainInputShape, inputMismatch, objectLayer } from './pure/chainInput';
import { completionContext, type CallContext, type Container } from './pure/context';
import { firstSiteFrom, isLocal, namesInScope } from './pure/lookup';
import { TOP_LEVEL_KEYWORDS, TOP_LEVEL_TEMPLATES } from './pure/keywords';
import { paramUse, type ParamUse } from './pure/paramUse';
import { activeParameter, callSnippet, formatDefault, givenParameters, isRequired, layerSignature } from './pure/text';
import { TRAIN_KEYS, trainFunction, trainKey, type TrainFn } from './pure/trainSchema';

const K = vscode.CompletionItemKind;

/** Sort groups: names in scope first, then layers, then keywords and the top-level templates; last the layers that do not take the piped input's rank. */
const SORT = { arg: '0', name: '1', object: '2', block: '3', layer: '4', keyword: '5', template: '6', otherRank: '7' } as const;

interface Env {
  analysis: Analysis;
  docUri: string;
  offset: number;
  range: vscode.Range;
  container?: Container;
  /** Where the statement holding the cursor starts (what it binds is not in scope yet). */
  statementStart?: number;
}

function item(label: string, kind: vscode.CompletionItemKind, env: Env, sort: string): vscode.CompletionItem {
  const it = new vscode.CompletionItem(label, kind);
  it.range = env.range;
  it.sortText = sort + label;
  return it;
}

function snippetItem(label: string, kind: vscode.CompletionItemKind, snippet: string, env: Env, sort: string): vscode.CompletionItem {
  const it = item(label, kind, env, sort);
  it.insertText = new vscode.SnippetString(snippet);
  return it;
}

function layerDocs(spec: LayerSpec): vscode.MarkdownString {
  return toMarkdown('```nnmodel\n' + layerSignature(spec).label + '\n```\n\n' + spec.doc);
}

/** The layers; after `->` with a known input (`piped`), those that do not take its rank are listed last and say why. */
function layerItems(env: Env, piped?: Shape): vscode.CompletionItem[] {
  return [...LAYERS.values()].map((spec) => {
    const required = spec.args.filter(isRequired).map((a) => a.name);
    const mismatch = piped && inputMismatch(spec, piped);
    const it = snippetItem(spec.name, K.Function, callSnippet(spec.name, required), env, mismatch ? SORT.otherRank : SORT.layer);
    it.detail = mismatch ? `${spec.summary} (${mismatch.why})` : spec.summary;
    it.documentation = layerDocs(spec);
    it.label = { label: spec.name, description: mismatch ? `${spec.category} · ${mismatch.needs}` : spec.category };
    if (required.length) it.command = { command: 'editor.action.triggerParameterHints', title: 'Signature' };
    return it;
  });
}

function blockItems(env: Env): vscode.CompletionItem[] {
  return callableBlocks(env.analysis, env.docUri, readUriText)
    .filter((b) => b.name !== env.container?.name)
    .map((b) => {
      const required = b.params.filter((p) => p.default === undefined).map((p) => p.name);
      const it = snippetItem(b.name, K.Class, callSnippet(b.name, required), env, SORT.block);
      const sig = `block ${b.name}(${b.params.map((p) => (p.default === undefined ? p.name : `${p.name} = ${p.default}`)).join(', ')})`;
      it.detail = sig;
      it.label = { label: b.name, description: isLocal(b.uri, env.docUri) ? 'block' : 'imported block' };
      return it;
    });
}

function scopeNames(env: Env): SymbolInfo[] {
  if (!env.container || env.container.kind === 'train') return [];
  return namesInScope(env.analysis.symbols, env.container.name, env.offset, env.docUri, env.statementStart);
}

function shapeOf(env: Env, s: SymbolInfo): string | undefined {
  // Sites are sorted by where they start: a binary search, not a scan per name (a long model has thousands of both).
  const sites = env.analysis.sites;
  const at = s.range.start.offset;
  for (let i = firstSiteFrom(sites, at); i < sites.length && sites[i].range.start.offset === at; i++) {
    const shape = sites[i].outShape;
    if (shape) return `${shape.isInt ? 'int' : ''}[${shape.dims.map((d) => d.toString()).join(', ')}]`;
  }
  return undefined;
}

/** The layer objects after `->`; one whose layer does not take the piped value (`wte` after vectors) comes last and says why. */
function objectItems(env: Env, piped?: Shape): vscode.CompletionItem[] {
  return nameItems(env, ['object']).map((it) => {
    const symbol = scopeNames(env).find((s) => s.kind === 'object' && s.name === it.label);
    const layer = symbol && objectLayer(env.analysis, symbol);
    const spec = layer ? getLayer(layer) : undefined;
    const mismatch = piped && spec && inputMismatch(spec, piped);
    if (mismatch) {
      it.sortText = SORT.otherRank + String(it.label);
      it.detail = `layer object (${layer}): ${mismatch.why}`;
      it.label = { label: String(it.label), description: `layer object · ${mismatch.needs}` };
    }
    return it;
  });
}

function nameItems(env: Env, kinds: readonly SymbolInfo['kind'][]): vscode.CompletionItem[] {
  return symbolItems(env, scopeNames(env).filter((s) => kinds.includes(s.kind)));
}

function symbolItems(env: Env, symbols: readonly SymbolInfo[]): vscode.CompletionItem[] {
  return symbols.map((s) => {
    const kind = s.kind === 'param' ? K.TypeParameter : s.kind === 'object' ? K.Constant : K.Variable;
    const it = item(s.name, kind, env, s.kind === 'object' ? SORT.object : SORT.name);
    const shape = shapeOf(env, s);
    it.detail = `${s.kind === 'object' ? 'layer object' : s.kind}${shape ? `: ${shape}` : ''}`;
    return it;
  });
}

/** The declaration of the block the cursor is in, if any. */
function containerDecl(env: Env): BlockDecl | undefined {
  return env.container?.kind === 'block' ? callableBlockDecl(env.analysis, env.docUri, env.container.name, readUriText) : undefined;
}

/** How the body of `decl` uses its parameter `name` (a block given it on is looked up as this document sees it). */
function useOf(decl: BlockDecl, name: string, env: Env): ParamUse {
  return paramUse(decl, name, (n) => callableBlockDecl(env.analysis, env.docUri, n, readUriText));
}

/** The enclosing block's parameters whose use passes `test` (`act` applied as `-> act`, `pad` given as `padding = pad`). */
function paramsUsedAs(env: Env, test: (use: ParamUse) => boolean): SymbolInfo[] {
  const decl = containerDecl(env);
  if (!decl) return [];
  const declared = new Set(decl.params.map((p) => p.name.name));
  return scopeNames(env).filter((s) => s.kind === 'param' && declared.has(s.name) && test(useOf(decl, s.name, env)));
}

/**
 * The names in scope that hold a number, what fits in a number argument and
 * in arithmetic (`dense(2 * |)`, `reshape([-1, |])`): the enclosing block's
 * parameters used as numbers (or whose use does not show), the sizes its
 * input shapes bind (`input x: [seq, d]`), and the values bound to
 * arithmetic (`width = 4`, `hidden = 4 * d`), never a tensor, a layer object
 * or a parameter that stands for a layer or a choice.
 */
function numberItems(env: Env): vscode.CompletionItem[] {
  const decl = containerDecl(env);
  const declared = new Set(decl?.params.map((p) => p.name.name));
  const scope = scopeNames(env);
  const numeric = new Set(scope.filter((s) => s.kind === 'param' || s.kind === 'value').map((s) => s.name));
  // What each value is bound to, by where its name is written.
  const assigned = new Map<number, Expr>();
  const body = env.container && env.analysis.file.items.find((i) => (i.kind === 'model' || i.kind === 'block') && i.name.name === env.container!.name);
  if (body && (body.kind === 'model' || body.kind === 'block')) for (const st of body.body) if (st.kind === 'assign') assigned.set(st.target.range.start.offset, st.value);
  const out: vscode.CompletionItem[] = [];
  for (const s of scope) {
    if (s.kind === 'param') {
      if (decl && declared.has(s.name)) {
        const use = useOf(decl, s.name, env).kind;
        if (use === 'number' || use === 'unknown') out.push(...symbolItems(env, [s]));
      } else {
        // Bound by an input shape's pattern: the size the call brings.
        const [it] = symbolItems(env, [s]);
        it.detail = 'size';
        out.push(it);
      }
    } else if (s.kind === 'value') {
      const e = assigned.get(s.range.start.offset);
      if (e && isArithmetic(e, numeric) && !shapeOf(env, s)) out.push(...symbolItems(env, [s]));
    }
  }
  return out;
}

/** Whether `e` is arithmetic on numbers and on names of `numeric` (a bare word such as `same` is a choice). */
function isArithmetic(e: Expr, numeric: ReadonlySet<string>): boolean {
  switch (e.kind) {
    case 'number':
      return true;
    case 'name':
      return numeric.has(e.name);
    case 'unary':
      return isArithmetic(e.operand, numeric);
    case 'paren':
      return isArithmetic(e.expr, numeric);
    case 'binary':
      return isArithmetic(e.left, numeric) && isArithmetic(e.right, numeric);
    default:
      return false;
  }
}

/** What a layer argument (`unembed(e)`) or a block parameter applied as a layer (`-> act`) takes: the layer objects in scope, and the enclosing block's parameters applied as layers. */
function layerValueItems(env: Env): vscode.CompletionItem[] {
  return [...nameItems(env, ['object']), ...symbolItems(env, paramsUsedAs(env, (u) => u.kind === 'layer'))];
}

function keyword(label: string, snippet: string, doc: string, env: Env): vscode.CompletionItem {
  const it = snippetItem(label, K.Keyword, snippet, env, SORT.keyword);
  it.documentation = toMarkdown(doc);
  return it;
}

function topLevelItems(env: Env): vscode.CompletionItem[] {
  // One entry per keyword, inserting its template; then the templates of whole items (no snippet is contributed: VS Code would list it everywhere).
  const keywords = TOP_LEVEL_KEYWORDS.map((k) => {
    const it = keyword(k.label, k.snippet, k.doc, env);
    it.detail = k.detail;
    return it;
  });
  const templates = TOP_LEVEL_TEMPLATES.map((t) => {
    const it = snippetItem(t.label, K.Snippet, t.snippet, env, SORT.template);
    it.detail = t.detail;
    it.documentation = toMarkdown(t.doc);
    return it;
  });
  return [...keywords, ...templates];
}

function statementItems(env: Env): vscode.CompletionItem[] {
  const out: vscode.CompletionItem[] = [];
  if (env.container?.kind === 'model') out.push(keyword('input', 'input ${1:x}: [${2:28, 28, 1}]', 'A model input and its shape (batch implicit).', env));
  else out.push(keyword('input', 'input ${1:x}', 'A block input: the piped value binds to the first.', env));
  out.push(keyword('output', 'output ', 'The outputs of the model or block.', env));
  out.push(...nameItems(env, ['value', 'input', 'object']));
  return out;
}

function activationNames(): string[] {
  return ['none', ...[...LAYERS.values()].filter((l) => l.category === 'activation').map((l) => l.name)];
}

function enumItem(value: string, env: Env, detail?: string): vscode.CompletionItem {
  // The values of the argument at the cursor before the names of the others (argNameItem).
  const it = item(value, K.EnumMember, env, SORT.arg + '0');
  if (detail) it.detail = detail;
  return it;
}

/** The choices of an argument, then the enclosing block's parameters given as the same kind of argument (`padding = pad`). */
function choiceItems(arg: ArgSpec, env: Env): vscode.CompletionItem[] {
  const values =
    arg.type === 'enum'
      ? (arg.enum ?? []).map((v) => enumItem(v, env, `${arg.name}`))
      : arg.type === 'bool'
        ? ['true', 'false'].map((v) => enumItem(v, env))
        : activationNames().map((v) => enumItem(v, env, 'activation'));
  const same = (u: ParamUse) => u.kind === 'choice' && u.arg.type === arg.type && (arg.type !== 'enum' || u.arg.enum?.join() === arg.enum?.join());
  return [...values, ...symbolItems(env, paramsUsedAs(env, same))];
}

function valuesFor(arg: ArgSpec, env: Env): vscode.CompletionItem[] {
  switch (arg.type) {
    case 'enum':
    case 'bool':
    case 'activation':
      return choiceItems(arg, env);
    case 'layer':
      return layerValueItems(env);
    case 'tensor':
    case 'tensors':
      // Token ids are no value to attend to or join (`shape.not_float`): listed last, after the vectors.
      return nameItems(env, ['value', 'input']).map((it) => {
        if (/: int\[/.test(String(it.detail))) it.sortText = SORT.otherRank + String(it.label);
        return it;
      });
    case 'int':
    case 'number':
    case 'ints':
    case 'int_list':
      return numberItems(env);
    case 'string':
      return [];
  }
}

/** An argument's name; `order` is its place in the signature, the order the list keeps (`heads` first in `attention(`, not `bias`). */
function argNameItem(name: string, detail: string | undefined, doc: string, env: Env, order: number): vscode.CompletionItem {
  const it = item(name, K.Field, env, SORT.arg + '1');
  it.sortText = `${SORT.arg}1${String(order).padStart(4, '0')}${name}`;
  it.insertText = `${name} = `;
  if (detail) it.detail = detail;
  if (doc) it.documentation = toMarkdown(doc);
  // Offer the values right after `name = `.
  it.command = { command: 'editor.action.triggerSuggest', title: 'Values' };
  return it;
}

function layerArgItems(spec: LayerSpec, call: CallContext, env: Env): vscode.CompletionItem[] {
  const out: vscode.CompletionItem[] = [];
  const names = spec.args.map((a) => a.name);
  const variadic = spec.args.find((a) => a.type === 'tensors')?.name;
  const active = activeParameter(names, call, variadic);
  if (call.nested) {
    // A part of the value (`2 * |`, `[-1, |]`): a number, or a value for a tensor argument (`concat(a, (|`); never a layer.
    const type = spec.args[active]?.type;
    return type === 'tensor' || type === 'tensors' ? valuesFor(spec.args[active], env) : numberItems(env);
  }
  if (call.inValue) {
    const arg = call.argName ? spec.args.find((a) => a.name === call.argName) : undefined;
    if (arg) out.push(...valuesFor(arg, env));
    else out.push(...nameItems(env, ['param', 'value', 'input']));
    return out;
  }
  const given = givenParameters(names, call, variadic);
  if (active >= 0 && !given.includes(names[active])) out.push(...valuesFor(spec.args[active], env));
  spec.args.forEach((a, i) => {
    if (given.includes(a.name) || a.type === 'tensors') return;
    const d = formatDefault(a);
    const type = a.type === 'enum' && a.enum ? a.enum.join(' | ') : a.type;
    out.push(argNameItem(a.name, d === undefined ? `${type} (required)` : `${type} = ${d}`, a.doc, env, i));
  });
  return out;
}

/**
 * What fits as the value of parameter `name` of `decl`, by how its body uses
 * it: for one applied as a layer (`-> act`) a layer object or the name of a
 * layer that needs no arguments (`gelu`), the choices of
 * the layer argument it is given as (`activation = act`: the activations),
 * else the numbers in scope; its default first, when it is one of these.
 */
function paramValueItems(decl: BlockDecl, name: string, env: Env): vscode.CompletionItem[] {
  const use = useOf(decl, name, env);
  const def = decl.params.find((p) => p.name.name === name)?.default;
  if (use.kind === 'layer') return use.applied ? [...layerValueItems(env), ...layerWordItems(name, def, env)] : layerValueItems(env);
  if (use.kind === 'choice') {
    const out = choiceItems(use.arg, env);
    const d = def && (def.kind === 'name' ? def.name : def.kind === 'bool' ? String(def.value) : undefined);
    const it = out.find((x) => x.kind === K.EnumMember && x.label === d);
    if (it) {
      it.detail = `default of ${name}`;
      it.sortText = SORT.arg + '0 ' + d;
    }
    return out;
  }
  const out = numberItems(env);
  if (def?.kind === 'number') {
    const it = item(def.text, K.Value, env, SORT.arg + '0');
    it.detail = `default of ${name}`;
    out.unshift(it);
  }
  return out;
}

/**
 * For a parameter applied as a layer (`-> act`): the layers that apply by
 * their name alone (`gelu`, `layernorm`), each a layer of its own at every
 * application; its default first, the others after the names in scope.
 */
function layerWordItems(name: string, def: Expr | undefined, env: Env): vscode.CompletionItem[] {
  const d = def?.kind === 'name' ? def.name : undefined;
  return bareLayerNames().map((layer) => {
    const spec = getLayer(layer)!;
    // The default first; the others after the layer objects and parameters, which are this file's own.
    const it = item(layer, K.Function, env, layer === d ? SORT.arg + '0 ' : SORT.layer);
    it.detail = layer === d ? `default of ${name}` : `${spec.summary} (applied with its defaults)`;
    it.label = { label: layer, description: spec.category };
    it.documentation = layerDocs(spec);
    return it;
  });
}

/**
 * Inside a block call: what fits the parameter the cursor is on
 * (paramValueItems; an input given by name takes a tensor), then the
 * parameters and the inputs not given yet, by name (the first input only
 * when nothing is piped into the call). Past the last parameter, no value:
 * inputs are given by name only.
 */
function blockArgItems(name: string, call: CallContext, piped: boolean, env: Env): vscode.CompletionItem[] {
  const block = callableBlock(env.analysis, env.docUri, name, readUriText);
  const decl = block && callableBlockDecl(env.analysis, env.docUri, name, readUriText);
  const inputs = block && callableBlockInputs(env.analysis, env.docUri, name, readUriText);
  const anyValue = () => nameItems(env, ['param', 'value', 'input', 'object']);
  if (!block || !decl || !inputs) return call.nested ? numberItems(env) : anyValue();
  const paramNames = block.params.map((p) => p.name);
  const isInput = (n: string | undefined) => n !== undefined && inputs.includes(n) && !paramNames.includes(n);
  if (call.nested) return isInput(call.argName) ? nameItems(env, ['value', 'input']) : numberItems(env);
  if (call.inValue) {
    if (isInput(call.argName)) return nameItems(env, ['value', 'input']);
    return call.argName && paramNames.includes(call.argName) ? paramValueItems(decl, call.argName, env) : anyValue();
  }
  const out: vscode.CompletionItem[] = [];
  // Positional arguments fill the parameters only; inputs are given by name.
  const given = givenParameters(paramNames, call);
  const active = activeParameter(paramNames, call);
  if (!call.argName && active >= 0 && !given.includes(paramNames[active])) out.push(...paramValueItems(decl, paramNames[active], env));
  block.params.forEach((p, i) => {
    if (!given.includes(p.name)) out.push(argNameItem(p.name, p.default === undefined ? 'required' : `= ${p.default}`, '', env, i));
  });
  inputs.forEach((input, i) => {
    if ((i === 0 && piped) || call.given.includes(input) || paramNames.includes(input)) return;
    out.push(argNameItem(input, i === 0 ? 'input (nothing is piped in)' : 'input', '', env, block.params.length + i));
  });
  return out;
}

function trainKeyItems(given: readonly string[], env: Env): vscode.CompletionItem[] {
  return TRAIN_KEYS.filter((k) => !given.includes(k.name)).map((k) => {
    const it = snippetItem(k.name, K.Property, `${k.name}: ${k.snippet}`, env, SORT.arg);
    it.documentation = toMarkdown(k.doc);
    return it;
  });
}

function trainFnItem(fn: TrainFn, env: Env): vscode.CompletionItem {
  const required = fn.args.filter((a) => a.default === undefined).map((a) => a.name);
  const snippet = required.length
    ? `${fn.name}(${required.map((r, i) => (r === 'path' ? `"\${${i + 1}:${r}}"` : `${r} = \${${i + 1}}`)).join(', ')})`
    : `${fn.name}($1)`;
  const it = snippetItem(fn.name, K.Function, snippet, env, SORT.layer);
  it.detail = `${fn.name}(${fn.args.map((a) => (a.default === undefined ? a.name : `${a.name} = ${a.default}`)).join(', ')})`;
  it.documentation = toMarkdown(fn.doc);
  return it;
}

function trainValueItems(key: string, env: Env): vscode.CompletionItem[] {
  const k = trainKey(key);
  if (!k) return [];
  const out = (k.values ?? []).map((v) => {
    const it = enumItem(v.name, env);
    it.documentation = toMarkdown(v.doc);
    return it;
  });
  out.push(...(k.functions ?? []).map((f) => trainFnItem(f, env)));
  return out;
}

function trainArgItems(key: string, call: CallContext, env: Env): vscode.CompletionItem[] {
  const fn = trainFunction(key, call.callee);
  if (!fn) return [];
  if (call.inValue) {
    const a = fn.args.find((x) => x.name === call.argName);
    return (a?.values ?? []).map((v) => enumItem(v, env));
  }
  const given = givenParameters(fn.args.map((a) => a.name), call);
  return fn.args
    .map((a, i) => ({ a, i }))
    .filter(({ a }) => !given.includes(a.name))
    .map(({ a, i }) => argNameItem(a.name, a.default === undefined ? 'required' : `= ${a.default}`, a.doc, env, i));
}

/** Contexts where a space typed after an operator (`-> `, `= `, `, `, `: `, `2 * `) should open the list. */
const AFTER_SPACE: ReadonlySet<string> = new Set(['chain', 'expression', 'arg', 'trainValue', 'trainArg']);

export function provideCompletions(
  doc: vscode.TextDocument,
  position: vscode.Position,
  cache: AnalysisCache,
  triggerCharacter?: string,
): vscode.CompletionItem[] {
  const text = doc.getText();
  const offset = doc.offsetAt(position);
  const where = completionContext(text, offset);
  if (where.context.kind === 'none') return [];
  if (triggerCharacter === ' ') {
    // Only right after an operator: a space typed anywhere else (indentation, between words) should stay quiet.
    const before = text.slice(0, offset).replace(/ +$/, '');
    // In an argument, also after `*` and `/` (`dense(2 * `): the names holding a number.
    const operator = where.context.kind === 'arg' ? /(->|[=,:(+*/])$/ : /(->|[=,:(+])$/;
    if (!AFTER_SPACE.has(where.context.kind) || !operator.test(before)) return [];
  }
  const analysis = cache.get(doc);
  const env: Env = {
    analysis,
    docUri: doc.uri.toString(),
    offset,
    range: new vscode.Range(doc.positionAt(where.prefixStart), position),
    container: where.container,
    statementStart: where.statementStart,
  };
  const ctx = where.context;
  switch (ctx.kind) {
    case 'topLevel':
      return topLevelItems(env);
    case 'modelName':
      return analysis.models.filter((m) => isLocal(m.uri, env.docUri)).map((m) => item(m.name, K.Class, env, SORT.name));
    case 'statement':
      return statementItems(env);
    case 'chain': {
      const piped = chainInputShape(analysis, text, where.prefixStart, scopeNames(env));
      return [...objectItems(env, piped), ...blockItems(env), ...layerItems(env, piped)];
    }
    case 'expression':
      return [...nameItems(env, ['value', 'input', 'param', 'object']), ...blockItems(env), ...layerItems(env)];
    case 'arg': {
      const spec = getLayer(ctx.call.callee);
      if (spec) return layerArgItems(spec, ctx.call, env);
      // Piped (`x -> b(...)`): the value binds to the block's first input, which is then not offered by name.
      const piped = /->\s*$/.test(text.slice(Math.max(0, ctx.call.calleeStart - 256), ctx.call.calleeStart));
      return blockArgItems(ctx.call.callee, ctx.call, piped, env);
    }
    case 'trainKey':
      return trainKeyItems(ctx.given, env);
    case 'trainValue':
      return trainValueItems(ctx.key, env);
    case 'trainArg':
      return trainArgItems(ctx.key, ctx.call, env);
  }
}

export function registerCompletion(selector: vscode.DocumentSelector, cache: AnalysisCache): vscode.Disposable {
  return vscode.languages.registerCompletionItemProvider(
    selector,
    { provideCompletionItems: (doc, position, _token, ctx) => provideCompletions(doc, position, cache, ctx.triggerCharacter) },
    '>',
    ' ',
    '(',
    ',',
    '=',
    ':',
    '[',
  );
}
