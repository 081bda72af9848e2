/**
 * Document links on the paths a `.nnmodel` file names (extension/vscode/pure/documentLinks.ts):
 * Ctrl+click on an import opens the imported file, on a data path
 * (`csv("data/fruit.csv")`, `text(...)`) the file, and on an image folder
 * (`images("photos")`) reveals the folder in the Explorer. Each path is
 * resolved as what reads it resolves it: an import as the analysis
 * (`resolveImport`: relative to the file, an untitled file's to the first
 * workspace folder), a data path as training (`loadDataset`: `joinPath` on
 * the file's folder; an untitled file has none, so only an absolute path).
 *
 * A path that does not exist gets no link (its diagnostic says so). That
 * takes a `stat` per path when the links are asked for, which VS Code does
 * after a pause in typing: a file names a handful of paths, each `stat`ed
 * once and all at once. Lazy resolution (`resolveDocumentLink`) would save
 * nothing: it cannot take back a link shown, and whether a path is a file
 * (open it) or a folder (reveal it) decides what the link is.
 */
import * as vscode from 'vscode';
import { parse } from '../core/syntax';
import { isAbsolutePath, joinPath } from '../core/runtime/data/files';
import { resolveImport, type AnalysisCache } from './analysisCache';
import { toRange } from './convert';
import { documentFolder } from './inspector/trainImages';
import { pathStrings, type PathString } from './pure/documentLinks';

/** Registers the document link provider of `.nnmodel` files (`selector`). */
export function registerDocumentLinks(selector: vscode.DocumentSelector, cache: AnalysisCache): vscode.Disposable {
  return vscode.languages.registerDocumentLinkProvider(selector, {
    async provideDocumentLinks(doc, token) {
      // The tree is all it needs: the current analysis's when there is one, else a parse (cheap), so as not to force an analysis the cache is debouncing.
      const strings = pathStrings(cache.current(doc)?.file ?? parse(doc.getText()));
      if (strings.length === 0) return [];
      const types = new Map<string, Promise<vscode.FileType | undefined>>();
      const typeOf = (uri: vscode.Uri) => {
        const key = uri.toString();
        let t = types.get(key);
        if (!t) {
          t = Promise.resolve(vscode.workspace.fs.stat(uri)).then(
            (s) => s.type,
            () => undefined,
          );
          types.set(key, t);
        }
        return t;
      };
      const links = await Promise.all(
        strings.map(async (s) => {
          const target = targetOf(doc.uri, s);
          return target ? linkTo(s, target, await typeOf(target)) : undefined;
        }),
      );
      if (token.isCancellationRequested) return [];
      return links.filter((l): l is vscode.DocumentLink => l !== undefined);
    },
  });
}

/** Where the path `s` of the document at `doc` points, as the analysis (imports) or training (data) reads it; undefined where they read nothing. */
function targetOf(doc: vscode.Uri, s: PathString): vscode.Uri | undefined {
  if (s.kind === 'import') return resolveImport(doc.toString(), s.path);
  // Training reads data only beside a file on disk (Train Model asks to save an untitled file first).
  if (doc.scheme === 'file') return vscode.Uri.file(joinPath(documentFolder(doc.fsPath), s.path));
  if (doc.scheme === 'untitled' && isAbsolutePath(s.path)) return vscode.Uri.file(joinPath('/', s.path));
  return undefined;
}

/**
 * The link on `s`: a file opens, a folder of the workspace is revealed in
 * the Explorer (outside it, `revealInExplorer` has nothing to show, so no
 * link), and a path that does not exist (`type` undefined) has none.
 */
function linkTo(s: PathString, target: vscode.Uri, type: vscode.FileType | undefined): vscode.DocumentLink | undefined {
  if (type === undefined) return undefined;
  const range = toRange(s.range);
  if (type & vscode.FileType.Directory) {
    if (!vscode.workspace.getWorkspaceFolder(target)) return undefined;
    const link = new vscode.DocumentLink(range, vscode.Uri.parse(`command:revealInExplorer?${encodeURIComponent(JSON.stringify([target]))}`));
    link.tooltip = `Reveal ${s.path} in the Explorer`;
    return link;
  }
  if (!(type & vscode.FileType.File)) return undefined;
  const link = new vscode.DocumentLink(range, target);
  link.tooltip = `Open ${s.path}`;
  return link;
}
