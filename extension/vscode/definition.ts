/**
 * Go to definition, find references and rename, from the analysis' symbols
 * (which span imported files through their uris). Definition goes to the
 * binding in scope at the cursor; references and rename take every binding
 * of the name in its body (`bindingChain`): `x = x -> f` renames as one `x`.
 */
import * as vscode from 'vscode';
import { getLayer, type Analysis, type Range, type SymbolInfo } from '../core';
import { bindingChain } from '../core/analysis/symbols';
import { KEYWORDS } from './pure/context';
import { readUriText, type AnalysisCache } from './analysisCache';
import { blockEverywhere } from './blockReferences';
import { namedArgRanges, type FileRange } from './pure/blockReferences';
import { toLocation, toRange, toUri } from './convert';
import { contains, symbolAt, type SymbolHit } from './pure/lookup';
import { argumentAt } from './pure/nameHover';
import type { ReadText } from './pure/blocks';
import { parse } from '../core/syntax/parser';
import type { WorkspaceFiles } from './workspaceSymbols';

const KEYWORDS_FOR_RENAME: ReadonlySet<string> = new Set(KEYWORDS);

export function registerDefinitions(selector: vscode.DocumentSelector, cache: AnalysisCache, workspace: WorkspaceFiles): vscode.Disposable {
  /** The symbol at the cursor; on an argument's name in a call of one of this file's blocks (`b(act = relu)`), that parameter. */
  const hitAt = (doc: vscode.TextDocument, position: vscode.Position) => {
    const analysis = cache.get(doc);
    const offset = doc.offsetAt(position);
    return symbolAt(analysis.symbols, offset, doc.uri.toString()) ?? parameterAt(analysis, offset, readUriText);
  };
  /** A parameter of an imported block, reached from a named argument here: renamed from its own file, where its uses are. */
  const refuseImportedParameter = (hit: SymbolHit) => {
    if ((hit.symbol.kind === 'param' || hit.symbol.kind === 'input') && hit.symbol.uri !== undefined) {
      const file = hit.symbol.uri.slice(hit.symbol.uri.lastIndexOf('/') + 1);
      throw new Error(`'${hit.symbol.name}' is a parameter of block '${hit.symbol.container}' in ${file}: rename it there (its uses and the calls that name it, in every file, follow).`);
    }
  };
  const chainOf = (doc: vscode.TextDocument, symbol: SymbolInfo) => {
    const analysis = cache.get(doc);
    return bindingChain(analysis.symbols, analysis.file, symbol);
  };

  /**
   * For a block's parameter or input (`symbol`, in `doc`): the names of the
   * arguments that give it by name (`b(act = relu)`) in every call of the
   * block, in its file and the files that import it.
   */
  const namedArgsOf = async (doc: vscode.TextDocument, symbol: SymbolInfo, token: vscode.CancellationToken): Promise<FileRange[]> => {
    if ((symbol.kind !== 'param' && symbol.kind !== 'input') || symbol.uri !== undefined) return [];
    const analysis = cache.get(doc);
    const block = analysis.symbols.find(
      (s) => s.kind === 'block' && s.name === symbol.container && s.uri === undefined && contains(s.fullRange, symbol.range.start.offset),
    );
    if (!block) return [];
    const files = new Map<string, Analysis>();
    const [, ...calls] = await blockEverywhere(cache, workspace, doc, block, token, (uri, a) => files.set(uri, a));
    return namedArgRanges(calls, files, symbol.name);
  };

  const definition: vscode.DefinitionProvider = {
    provideDefinition(doc, position) {
      const hit = hitAt(doc, position);
      if (!hit) return undefined;
      const link: vscode.LocationLink = {
        originSelectionRange: toRange(hit.range),
        targetUri: toUri(hit.symbol.uri, doc.uri),
        targetRange: toRange(hit.symbol.fullRange),
        targetSelectionRange: toRange(hit.symbol.range),
      };
      return [link];
    },
  };

  const references: vscode.ReferenceProvider = {
    async provideReferences(doc, position, context, token) {
      const hit = hitAt(doc, position);
      if (!hit) return undefined;
      // A block: its calls in the files that import its file too (its declaration comes first).
      if (hit.symbol.kind === 'block') {
        const [declaration, ...calls] = await blockEverywhere(cache, workspace, doc, hit.symbol, token);
        return (context.includeDeclaration ? [declaration, ...calls] : calls).map((r) => toLocation(r.uri, r.range, doc.uri));
      }
      // The first binding is the declaration; later bindings are writes, listed with the uses.
      const [first, ...later] = chainOf(doc, hit.symbol);
      const found: { uri?: string; range: Range }[] = [...later, ...first.references];
      for (const s of later) found.push(...s.references);
      found.sort((a, b) => a.range.start.offset - b.range.start.offset);
      // A block's parameter given by name in its calls (`b(act = relu)`), here and in importing files.
      found.push(...(await namedArgsOf(doc, first, token)));
      if (context.includeDeclaration) found.unshift(first);
      return found.map((r) => toLocation(r.uri, r.range, doc.uri));
    },
  };

  const rename: vscode.RenameProvider = {
    prepareRename(doc, position) {
      const hit = hitAt(doc, position);
      if (!hit) {
        const word = doc.getWordRangeAtPosition(position);
        const text = word ? doc.getText(word) : '';
        if (getLayer(text)) throw new Error(`'${text}' is a built-in layer and cannot be renamed.`);
        if (KEYWORDS_FOR_RENAME.has(text)) throw new Error(`'${text}' is a keyword.`);
        throw new Error('Only models, blocks, parameters, inputs and values can be renamed.');
      }
      refuseImportedParameter(hit);
      return { range: toRange(hit.range), placeholder: hit.symbol.name };
    },
    async provideRenameEdits(doc, position, newName, token) {
      const hit = hitAt(doc, position);
      if (!hit) return undefined;
      refuseImportedParameter(hit);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(newName)) throw new Error(`'${newName}' is not a valid name.`);
      if (KEYWORDS_FOR_RENAME.has(newName)) throw new Error(`'${newName}' is a keyword.`);
      const { kind } = hit.symbol;
      // As the analysis' name.layer_name: calls of a catalogue layer's name mean the layer.
      if (kind === 'block' && getLayer(newName)) {
        throw new Error(`'${newName}' is a layer of the catalogue; a block cannot take its name (its calls would mean the layer). Try '${newName}_block'.`);
      }
      const renamed = newName !== hit.symbol.name && (kind === 'block' || kind === 'model');
      if (renamed) refuseTaken(cache.get(doc), doc.uri.toString(), newName, hit.symbol);
      if (newName !== hit.symbol.name && (kind === 'param' || kind === 'value' || kind === 'input' || kind === 'object')) refuseLocalTaken(cache.get(doc), newName, hit.symbol);
      const edit = new vscode.WorkspaceEdit();
      const seen = new Set<string>();
      const add = (uri: string | undefined, r: Range) => {
        const target = toUri(uri, doc.uri);
        const key = `${target.toString()}#${r.start.offset}`;
        if (seen.has(key)) return;
        seen.add(key);
        edit.replace(target, toRange(r), newName);
      };
      const chain = chainOf(doc, hit.symbol);
      for (const s of chain) {
        add(s.uri, s.range);
        for (const r of s.references) add(r.uri, r.range);
      }
      // A block's parameter or input given by name in calls: `b(act = relu)` must follow it.
      for (const r of await namedArgsOf(doc, chain[0], token)) add(r.uri, r.range);
      // A block is called by that name in the files that import its file too.
      if (kind === 'block') {
        // Every file whose calls mean this block must not know the new name already: its calls would mean that one.
        const seeing: { uri: string; analysis: Analysis }[] = [];
        const calls = await blockEverywhere(cache, workspace, doc, hit.symbol, token, (uri, analysis) => seeing.push({ uri, analysis }));
        if (renamed) for (const f of seeing) refuseTaken(f.analysis, f.uri, newName, hit.symbol);
        for (const r of calls) add(r.uri, r.range);
      }
      return edit;
    },
  };

  return vscode.Disposable.from(
    vscode.languages.registerDefinitionProvider(selector, definition),
    vscode.languages.registerReferenceProvider(selector, references),
    vscode.languages.registerRenameProvider(selector, rename),
  );
}

/**
 * Throws when renaming the local `symbol` (a value, parameter, input or layer
 * object) to `name` would change what the body computes: another binding of
 * `name` in the same body (`h` renamed `x` where `output h + x` adds the
 * input), or a use of the word there already (`-> relu` would then apply the
 * renamed value; so would `activation = relu`, or a call of a block of that
 * name).
 */
function refuseLocalTaken(analysis: Analysis, name: string, symbol: SymbolInfo): void {
  const body = analysis.file.items.find((i) => (i.kind === 'model' || i.kind === 'block') && i.range.start.offset <= symbol.range.start.offset && symbol.range.start.offset <= i.range.end.offset);
  if (!body) return;
  const what = `${symbol.kind === 'param' ? 'parameter' : symbol.kind === 'object' ? 'layer object' : symbol.kind} '${symbol.name}'`;
  const taken = analysis.symbols.find(
    (s) => s.uri === undefined && s.container === symbol.container && s.name === name && body.range.start.offset <= s.range.start.offset && s.range.start.offset <= body.range.end.offset,
  );
  if (taken) {
    throw new Error(`'${name}' is already ${taken.kind === 'param' ? 'a parameter' : taken.kind === 'input' ? 'an input' : 'a value'} of ${symbol.container ?? 'this body'} (line ${taken.range.start.line + 1}): renaming ${what} to it would make its uses mean that one. Choose another name.`);
  }
  const text = analysis.file.text ?? '';
  const start = body.range.start.offset;
  const code = text.slice(start, body.range.end.offset).replace(/(#|\/\/).*$/gm, (c) => ' '.repeat(c.length));
  const used = new RegExp(`(^|[^A-Za-z0-9_])${name}(?![A-Za-z0-9_])`).exec(code);
  if (used) {
    const at = start + used.index + used[1].length;
    const line = text.slice(0, at).split('\n').length;
    throw new Error(`'${name}' is used in ${symbol.container ?? 'this body'} already (line ${line}${getLayer(name) ? `: the layer ${name}` : ''}): renaming ${what} to it would make that use mean ${symbol.name}. Choose another name.`);
  }
}

/**
 * Throws when `name` already names a model or block that the file `uri`
 * (analysed as `analysis`) sees, its own or imported: renaming `symbol` to
 * it would make two of a name there (name.duplicate), or send its calls to
 * the other one.
 */
function refuseTaken(analysis: Analysis, uri: string, name: string, symbol: SymbolInfo): void {
  const taken = analysis.symbols.find((s) => s.container === undefined && s.name === name && (s.kind === 'block' || s.kind === 'model'));
  if (!taken) return;
  const where = `${vscode.workspace.asRelativePath(vscode.Uri.parse(taken.uri ?? uri))}:${taken.range.start.line + 1}`;
  const seen = taken.uri !== undefined && taken.uri !== uri ? `, which ${vscode.workspace.asRelativePath(vscode.Uri.parse(uri))} imports` : '';
  throw new Error(`'${name}' is already the name of ${taken.kind} '${name}' (${where}${seen}): renaming ${symbol.kind} '${symbol.name}' to it would make two of that name. Choose another name.`);
}

/**
 * On the name of an argument given by name to a block (`b(act = relu)`):
 * that block's parameter or input, as a hit whose range is the argument's
 * name. For an imported block, a symbol made from its declaration in its
 * own file (read with `read`), with that file's uri.
 */
export function parameterAt(analysis: Analysis, offset: number, read: ReadText): SymbolHit | undefined {
  const hit = argumentAt(analysis.file, offset);
  if (!hit || hit.part !== 'name' || !hit.arg.name) return undefined;
  const callee = hit.call.callee.name;
  const block = analysis.symbols.find((s) => s.kind === 'block' && s.name === callee && s.container === undefined);
  if (!block) return undefined;
  const name = hit.arg.name.name;
  if (block.uri !== undefined) {
    const text = read(block.uri);
    const decl = text === undefined ? undefined : parse(text).items.find((i) => i.kind === 'block' && i.name.name === callee && i.name.range.start.offset === block.range.start.offset);
    if (!decl || decl.kind !== 'block') return undefined;
    const param = decl.params.find((p) => p.name.name === name);
    const input = decl.body.find((st) => st.kind === 'input' && st.name.name === name);
    const at = param ? { range: param.name.range, fullRange: param.range, kind: 'param' as const } : input?.kind === 'input' ? { range: input.name.range, fullRange: input.range, kind: 'input' as const } : undefined;
    if (!at) return undefined;
    return { symbol: { name, kind: at.kind, range: at.range, fullRange: at.fullRange, container: callee, uri: block.uri, references: [] }, range: hit.range, isDeclaration: false };
  }
  const symbol = analysis.symbols.find(
    (s) => (s.kind === 'param' || s.kind === 'input') && s.name === name && s.container === callee && s.uri === undefined && contains(block.fullRange, s.range.start.offset),
  );
  return symbol && { symbol, range: hit.range, isDeclaration: false };
}
