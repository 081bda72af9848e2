/**
 * Go to definition, find references and rename, from the analysis' symbols
 * (which span imported files through their uris). Definition goes to the
 * binding in scope at the cursor; references and rename take every binding
 * of the name in its body (`bindingChain`): `x = x -> f` renames as one `x`.
 */
import * as vscode from 'vscode';
import { getLayer, type Range, type SymbolInfo } from '../core';
import { bindingChain } from '../core/analysis/symbols';
import { KEYWORDS } from './pure/context';
import type { AnalysisCache } from './analysisCache';
import { blockEverywhere } from './blockReferences';
import { toLocation, toRange, toUri } from './convert';
import { symbolAt } from './pure/lookup';
import type { WorkspaceFiles } from './workspaceSymbols';

const KEYWORDS_FOR_RENAME: ReadonlySet<string> = new Set(KEYWORDS);

export function registerDefinitions(selector: vscode.DocumentSelector, cache: AnalysisCache, workspace: WorkspaceFiles): vscode.Disposable {
  const hitAt = (doc: vscode.TextDocument, position: vscode.Position) =>
    symbolAt(cache.get(doc).symbols, doc.offsetAt(position), doc.uri.toString());
  const chainOf = (doc: vscode.TextDocument, symbol: SymbolInfo) => {
    const analysis = cache.get(doc);
    return bindingChain(analysis.symbols, analysis.file, symbol);
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
      return { range: toRange(hit.range), placeholder: hit.symbol.name };
    },
    async provideRenameEdits(doc, position, newName, token) {
      const hit = hitAt(doc, position);
      if (!hit) return undefined;
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(newName)) throw new Error(`'${newName}' is not a valid name.`);
      if (KEYWORDS_FOR_RENAME.has(newName)) throw new Error(`'${newName}' is a keyword.`);
      const edit = new vscode.WorkspaceEdit();
      const seen = new Set<string>();
      const add = (uri: string | undefined, r: Range) => {
        const target = toUri(uri, doc.uri);
        const key = `${target.toString()}#${r.start.offset}`;
        if (seen.has(key)) return;
        seen.add(key);
        edit.replace(target, toRange(r), newName);
      };
      for (const s of chainOf(doc, hit.symbol)) {
        add(s.uri, s.range);
        for (const r of s.references) add(r.uri, r.range);
      }
      // A block is called by that name in the files that import its file too.
      if (hit.symbol.kind === 'block') for (const r of await blockEverywhere(cache, workspace, doc, hit.symbol, token)) add(r.uri, r.range);
      return edit;
    },
  };

  return vscode.Disposable.from(
    vscode.languages.registerDefinitionProvider(selector, definition),
    vscode.languages.registerReferenceProvider(selector, references),
    vscode.languages.registerRenameProvider(selector, rename),
  );
}
