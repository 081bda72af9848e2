/**
 * Go to Symbol in Workspace (Ctrl+T, `#` in Quick Open): the models, blocks
 * and train sections of every `.nnmodel` file of the workspace, open or not.
 *
 * The index is built on the first query, from `findFiles` and a parse of
 * each file (declarations only: no analysis for a closed file), then kept
 * current by a file system watcher and by the analyses of open documents,
 * whose unsaved text wins over the file on disk.
 */
import * as vscode from 'vscode';
import { parse } from '../core/syntax';
import { isNnmodel, type AnalysisCache } from './analysisCache';
import { declarationsOf, excludeGlob, WorkspaceSymbolIndex, type Declaration, type DeclRange } from './pure/workspaceSymbols';

/** Most files indexed: a workspace with more is indexed up to here (findFiles returns them in no set order). */
export const MAX_FILES = 5_000;
/** Files larger than this are not indexed (a model file is a few KB; a 5 000-line one about 200 KB). */
export const MAX_FILE_BYTES = 1 << 20;
/** Most symbols returned for one query (the best matches). */
export const MAX_RESULTS = 500;
/** Files read at once while indexing. */
const CONCURRENT_READS = 8;

/** Documents of these schemes are indexed from their editors (others, e.g. git's diff views, would repeat files). */
const EDITOR_SCHEMES = new Set(['file', 'untitled', 'vscode-vfs', 'vscode-remote']);

const KINDS: Record<Declaration['kind'], vscode.SymbolKind> = {
  model: vscode.SymbolKind.Class,
  block: vscode.SymbolKind.Function,
  train: vscode.SymbolKind.Module,
};

function toRange(r: DeclRange): vscode.Range {
  return new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
}

class WorkspaceSymbols implements vscode.WorkspaceSymbolProvider, vscode.Disposable {
  private readonly index = new WorkspaceSymbolIndex();
  private readonly disposables: vscode.Disposable[] = [];
  /** Stops the scan and pending reads when the extension is disposed. */
  private readonly stop = new vscode.CancellationTokenSource();
  /** The scan of the workspace, started by the first query (a workspace nobody searches costs nothing). */
  private scan: Promise<void> | undefined;
  /** Sequence number of the latest disk read per uri: an older read that finishes later must not win. */
  private readonly reads = new Map<string, number>();
  private readSeq = 0;

  constructor(private readonly cache: AnalysisCache) {
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.nnmodel');
    // Before the first scan there is nothing to update: the scan reads every file.
    const onFile = (uri: vscode.Uri) => {
      if (this.scan) void this.readFile(uri);
    };
    this.disposables.push(
      this.stop,
      watcher,
      watcher.onDidCreate(onFile),
      watcher.onDidChange(onFile),
      watcher.onDidDelete((uri) => this.forget(uri)),
      // A deleted or renamed folder may come from the watcher as the folder alone, which '**/*.nnmodel' does not match.
      vscode.workspace.onDidDeleteFiles((e) => e.files.forEach((uri) => this.forget(uri))),
      vscode.workspace.onDidRenameFiles((e) => {
        for (const { oldUri, newUri } of e.files) {
          this.forget(oldUri);
          if (this.scan) void this.readUnder(newUri);
        }
      }),
      cache.onDidAnalyze(({ document, analysis }) => {
        if (EDITOR_SCHEMES.has(document.uri.scheme)) this.index.setEditor(document.uri.toString(), declarationsOf(analysis.file));
      }),
      vscode.workspace.onDidCloseTextDocument((d) => this.index.deleteEditor(d.uri.toString())),
      // Other folders, or other exclusions, make another set of files: scan again on the next query.
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.rescan()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('files.exclude') || e.affectsConfiguration('search.exclude')) this.rescan();
      }),
    );
    // Documents analysed before this provider subscribed.
    for (const doc of vscode.workspace.textDocuments) {
      if (!isNnmodel(doc) || !EDITOR_SCHEMES.has(doc.uri.scheme)) continue;
      const analysis = cache.peek(doc.uri);
      if (analysis) this.index.setEditor(doc.uri.toString(), declarationsOf(analysis.file));
    }
  }

  async provideWorkspaceSymbols(query: string, token: vscode.CancellationToken): Promise<vscode.SymbolInformation[]> {
    this.scan ??= this.scanWorkspace();
    // The scan is shared by all queries: a cancelled query stops waiting for it, the scan goes on for the next one.
    await untilDoneOrCancelled(this.scan, token);
    if (token.isCancellationRequested) return [];
    // An open document edited since its last analysis: its current text, not the one analysed before the edit.
    for (const doc of vscode.workspace.textDocuments) {
      if (isNnmodel(doc) && EDITOR_SCHEMES.has(doc.uri.scheme) && !this.cache.current(doc)) {
        this.index.setEditor(doc.uri.toString(), declarationsOf(parse(doc.getText())));
      }
    }
    return this.index.query(query, MAX_RESULTS, () => token.isCancellationRequested).map(
      ({ uri, declaration: d }) =>
        // The location is the name: Go to Symbol puts the cursor at the start of the location's range.
        new vscode.SymbolInformation(d.name, KINDS[d.kind], '', new vscode.Location(vscode.Uri.parse(uri), toRange(d.selection))),
    );
  }

  /** `uri` (a file or a folder) is gone from disk: its files leave the index, and reads still running for them are void. */
  private forget(uri: vscode.Uri): void {
    for (const key of [uri.toString(), ...this.index.deleteDiskUnder(uri.toString())]) this.reads.set(key, ++this.readSeq);
  }

  /** Indexes a renamed file, or the `.nnmodel` files of a renamed folder. */
  private async readUnder(uri: vscode.Uri): Promise<void> {
    if (uri.path.endsWith('.nnmodel')) return this.readFile(uri);
    try {
      if (((await vscode.workspace.fs.stat(uri)).type & vscode.FileType.Directory) === 0) return;
      const files = await vscode.workspace.findFiles(new vscode.RelativePattern(uri, '**/*.nnmodel'), excludeGlob(...this.exclusions()), MAX_FILES, this.stop.token);
      for (const f of files) await this.readFile(f);
    } catch {
      // Gone again, or no search provider: the next change or scan brings it back.
    }
  }

  private exclusions(): (Record<string, unknown> | undefined)[] {
    return [
      vscode.workspace.getConfiguration('files').get<Record<string, unknown>>('exclude'),
      vscode.workspace.getConfiguration('search').get<Record<string, unknown>>('exclude'),
    ];
  }

  private rescan(): void {
    if (!this.scan) return;
    this.scan = undefined;
    // Files the new scan does not find must not linger: start from the editors' declarations only.
    for (const uri of this.reads.keys()) this.index.deleteDisk(uri);
    this.reads.clear();
  }

  private async scanWorkspace(): Promise<void> {
    let uris: vscode.Uri[];
    try {
      uris = await vscode.workspace.findFiles('**/*.nnmodel', excludeGlob(...this.exclusions()), MAX_FILES, this.stop.token);
    } catch {
      // No search provider (some virtual workspaces): open documents still count.
      return;
    }
    let next = 0;
    const worker = async () => {
      while (next < uris.length && !this.stop.token.isCancellationRequested) await this.readFile(uris[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENT_READS, uris.length) }, worker));
  }

  /** Reads and parses one file into the index; a missing, unreadable or oversized file leaves it. */
  private async readFile(uri: vscode.Uri): Promise<void> {
    const key = uri.toString();
    const seq = ++this.readSeq;
    this.reads.set(key, seq);
    const latest = () => this.reads.get(key) === seq && !this.stop.token.isCancellationRequested;
    try {
      const stat = await vscode.workspace.fs.stat(uri);
      if ((stat.type & vscode.FileType.File) === 0 || stat.size > MAX_FILE_BYTES) {
        if (latest()) this.index.deleteDisk(key);
        return;
      }
      const bytes = await vscode.workspace.fs.readFile(uri);
      if (!latest()) return;
      this.index.setDisk(key, declarationsOf(parse(new TextDecoder().decode(bytes))));
    } catch {
      if (latest()) this.index.deleteDisk(key);
    }
  }

  dispose(): void {
    this.stop.cancel();
    for (const d of this.disposables) d.dispose();
  }
}

/** Resolves when `work` settles or `token` is cancelled, whichever comes first. */
function untilDoneOrCancelled(work: Promise<void>, token: vscode.CancellationToken): Promise<void> {
  if (token.isCancellationRequested) return Promise.resolve();
  return new Promise((resolve) => {
    const sub = token.onCancellationRequested(() => {
      sub.dispose();
      resolve();
    });
    work.then(
      () => {
        sub.dispose();
        resolve();
      },
      () => {
        sub.dispose();
        resolve();
      },
    );
  });
}

export function registerWorkspaceSymbols(cache: AnalysisCache): vscode.Disposable {
  const provider = new WorkspaceSymbols(cache);
  return vscode.Disposable.from(provider, vscode.languages.registerWorkspaceSymbolProvider(provider));
}
