/**
 * Go to definition, find references and rename, from the analysis' symbols
 * (which span imported files through their uris).
 */
import * as vscode from 'vscode';
import { getLayer, type Range } from '../core';
import { KEYWORDS } from './pure/context';
import type { AnalysisCache } from './analysisCache';
import { toLocation, toRange, toUri } from './convert';
import { symbolAt } from './pure/lookup';

const KEYWORDS_FOR_RENAME: ReadonlySet<string> = new Set(KEYWORDS);

export function registerDefinitions(selector: vscode.DocumentSelector, cache: AnalysisCache): vscode.Disposable {
  const hitAt = (doc: vscode.TextDocument, position: vscode.Position) =>
    symbolAt(cache.get(doc).symbols, doc.offsetAt(position), doc.uri.toString());

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
    provideReferences(doc, position, context) {
      const hit = hitAt(doc, position);
      if (!hit) return undefined;
      const out = hit.symbol.references.map((r) => toLocation(r.uri, r.range, doc.uri));
      if (context.includeDeclaration) out.unshift(toLocation(hit.symbol.uri, hit.symbol.range, doc.uri));
      return out;
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
    provideRenameEdits(doc, position, newName) {
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
      add(hit.symbol.uri, hit.symbol.range);
      for (const r of hit.symbol.references) add(r.uri, r.range);
      return edit;
    },
  };

  return vscode.Disposable.from(
    vscode.languages.registerDefinitionProvider(selector, definition),
    vscode.languages.registerReferenceProvider(selector, references),
    vscode.languages.registerRenameProvider(selector, rename),
  );
}
