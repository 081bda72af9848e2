/**
 * Completion: layers, blocks and layer objects in chains; argument names,
 * enum values and names in calls; names in expressions; top-level keywords;
 * keys and values of train sections.
 */
import * as vscode from 'vscode';
import { getLayer, LAYERS, type Analysis, type ArgSpec, type LayerSpec, type Shape, type SymbolInfo } from '../core';
import { readUriText, type AnalysisCache } from './analysisCache';
import { toMarkdown } from './convert';
import { callableBlock, callableBlockInputs, callableBlocks } from './pure/blocks';
import { chainInputShape, inputMismatch, objectLayer } from './pure/chainInput';
import { completionContext, type CallContext, type Container } from './pure/context';
import { firstSiteFrom, isLocal, namesInScope } from './pure/lookup';
import { TOP_LEVEL_KEYWORDS, TOP_LEVEL_TEMPLATES } from './pure/keywords';
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
  return scopeNames(env)
    .filter((s) => kinds.includes(s.kind))
    .map((s) => {
      const kind = s.kind === 'param' ? K.TypeParameter : s.kind === 'object' ? K.Constant : K.Variable;
      const it = item(s.name, kind, env, s.kind === 'object' ? SORT.object : SORT.name);
      const shape = shapeOf(env, s);
      it.detail = `${s.kind === 'object' ? 'layer object' : s.kind}${shape ? `: ${shape}` : ''}`;
      return it;
    });
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

function valuesFor(arg: ArgSpec, env: Env): vscode.CompletionItem[] {
  switch (arg.type) {
    case 'enum':
      return (arg.enum ?? []).map((v) => enumItem(v, env, `${arg.name}`));
    case 'bool':
      return ['true', 'false'].map((v) => enumItem(v, env));
    case 'activation':
      return activationNames().map((v) => enumItem(v, env, 'activation'));
    case 'layer':
      return nameItems(env, ['object']);
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
      return nameItems(env, ['param']);
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
  if (call.inValue) {
    const arg = call.argName ? spec.args.find((a) => a.name === call.argName) : undefined;
    if (arg) out.push(...valuesFor(arg, env));
    else out.push(...nameItems(env, ['param', 'value', 'input']));
    return out;
  }
  const names = spec.args.map((a) => a.name);
  const variadic = spec.args.find((a) => a.type === 'tensors')?.name;
  const active = activeParameter(names, call, variadic);
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
 * Inside a block call: the names in scope where a value fits (a parameter the
 * cursor is on; an input given by name takes a tensor), then the parameters
 * and the inputs not given yet, by name (the first input only when nothing is
 * piped into the call). Past the last parameter, no value: inputs are given
 * by name only.
 */
function blockArgItems(name: string, call: CallContext, piped: boolean, env: Env): vscode.CompletionItem[] {
  const block = callableBlock(env.analysis, env.docUri, name, readUriText);
  const inputs = block && callableBlockInputs(env.analysis, env.docUri, name, readUriText);
  const anyValue = () => nameItems(env, ['param', 'value', 'input', 'object']);
  if (!block || !inputs) return anyValue();
  const paramNames = block.params.map((p) => p.name);
  // A parameter takes a value known while analysing (a number, a word, a list): the parameters and the
  // values in scope that are no tensor (`width = 8`), never an input, a layer object or a chain's result.
  const paramValue = () => nameItems(env, ['param', 'value']).filter((it) => !/^value: /.test(String(it.detail)));
  if (call.inValue) {
    if (call.argName && inputs.includes(call.argName) && !paramNames.includes(call.argName)) return nameItems(env, ['value', 'input']);
    return call.argName && paramNames.includes(call.argName) ? paramValue() : anyValue();
  }
  const out: vscode.CompletionItem[] = [];
  // Positional arguments fill the parameters only; inputs are given by name.
  const given = givenParameters(paramNames, call);
  const active = activeParameter(paramNames, call);
  if (!call.argName && active >= 0 && !given.includes(paramNames[active])) out.push(...paramValue());
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

/** Contexts where a space typed after an operator (`-> `, `= `, `, `, `: `) should open the list. */
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
    if (!AFTER_SPACE.has(where.context.kind) || !/(->|[=,:(+])$/.test(before)) return [];
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
