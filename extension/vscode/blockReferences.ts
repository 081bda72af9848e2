/**
 * A block's declaration and calls in every file of the workspace that sees
 * it through its imports (Find All References and Rename of a block): the
 * files are those Go to Symbol in Workspace indexes, plus open documents;
 * each that imports something and holds the name is analysed (open ones
 * through the shared cache, with their unsaved text), and keeps the calls
 * its analysis resolves to the block (see pure/blockReferences.ts).
 */
import * as vscode from 'vscode';
import { analyze, type Analysis, type SymbolInfo } from '../core';
import { isNnmodel, readImport, resolveImport, type AnalysisCache } from './analysisCache';
import { blockOccurrences, mayImportBlock, uniqueRanges, type FileRange } from './pure/blockReferences';
import { MAX_FILE_BYTES, type WorkspaceFiles } from './workspaceSymbols';

/** Files read at once while looking for a block's importers. */
const CONCURRENT_READS = 8;

/**
 * The declaration (first) and every call of block `symbol`, found in the
 * analysis of `doc`: in the block's own file and in every workspace or open
 * `.nnmodel` file whose analysis resolves its name to it, directly or
 * through imports of imports. Each range once. `onFile` is given the
 * analysis of each of those files (the block's own included).
 */
export async function blockEverywhere(
  cache: AnalysisCache,
  workspace: WorkspaceFiles,
  doc: vscode.TextDocument,
  symbol: SymbolInfo,
  token: vscode.CancellationToken,
  onFile?: (uri: string, analysis: Analysis) => void,
): Promise<FileRange[]> {
  const own = doc.uri.toString();
  const defUri = symbol.uri ?? own;
  const open = new Map<string, vscode.TextDocument>();
  for (const d of vscode.workspace.textDocuments) if (isNnmodel(d) && !d.isClosed) open.set(d.uri.toString(), d);
  const uris = new Set([own, defUri, ...open.keys(), ...(await workspace.files(token))]);
  // Closed files' texts, read once through the workspace file system: the analyses below import them from here.
  const texts = new Map<string, string>();
  const pending = [...uris].filter((u) => !open.has(u));
  let next = 0;
  const worker = async () => {
    while (next < pending.length && !token.isCancellationRequested) {
      const uri = pending[next++];
      try {
        const target = vscode.Uri.parse(uri);
        const stat = await vscode.workspace.fs.stat(target);
        if ((stat.type & vscode.FileType.File) === 0 || stat.size > MAX_FILE_BYTES) continue;
        texts.set(uri, new TextDecoder().decode(await vscode.workspace.fs.readFile(target)));
      } catch {
        // Gone or unreadable: it calls nothing.
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENT_READS, pending.length) }, worker));
  // As the editor's analyses import: open documents first, then the texts read above, then the disk.
  const read = (fromUri: string | undefined, path: string) => {
    const target = resolveImport(fromUri ?? defUri, path)?.toString();
    const text = target === undefined || open.has(target) ? undefined : texts.get(target);
    return target !== undefined && text !== undefined ? { uri: target, text } : readImport(fromUri ?? defUri, path);
  };
  const isDeclaration = (r: FileRange) => r.uri === defUri && r.range.start.offset === symbol.range.start.offset;
  const found: FileRange[] = [];
  for (const uri of uris) {
    if (token.isCancellationRequested) break;
    const d = open.get(uri);
    const text = d ? d.getText() : texts.get(uri);
    if (text === undefined || (uri !== defUri && !mayImportBlock(text, symbol.name))) continue;
    const analysis: Analysis = d ? cache.get(d) : analyze(text, { uri, readImport: read });
    const { declaration, references } = blockOccurrences(analysis, uri, defUri, symbol.name);
    if (declaration) {
      found.push(declaration);
      onFile?.(uri, analysis);
    }
    found.push(...references);
  }
  // Every file that sees the block names its declaration: keep it once, first.
  const declaration = found.find(isDeclaration) ?? { uri: defUri, range: symbol.range };
  return uniqueRanges([declaration, ...found.filter((r) => !isDeclaration(r))]);
}
