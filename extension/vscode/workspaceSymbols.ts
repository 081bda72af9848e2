/**
 * Go to Symbol in Workspace (Ctrl+T, `#` in Quick Open): the models, blocks
 * and train sections of every `.nnmodel` file of the workspace, open or not.
 *
 * The index is built from the first query on, from `findFiles` per
 * workspace folder (with that folder's `files.exclude` and
 * `search.exclude`) and a parse of each file (declarations only: no
 * analysis for a closed file). A query returns what is indexed so far once
 * the scan is done or after {@link FIRST_QUERY_WAIT_MS}, whichever comes
 * first. Two file system watchers keep it current: one for `.nnmodel`
 * files, one for deleted and created folders (a folder deleted, moved or
 * renamed outside VS Code comes as one event for the folder). Open
 * documents' analyses win over the file on disk.
 */
import * as vscode from 'vscode';
import { parse } from '../core/syntax';
import { isNnmodel, type AnalysisCache } from './analysisCache';
import {
  declarationsOf,
  excludeGlob,
  excludePatterns,
  exclusionMatcher,
  WorkspaceSymbolIndex,
  type Declaration,
  type DeclRange,
} from './pure/workspaceSymbols';

/** Most files indexed: a workspace with more is indexed up to here (findFiles returns them in no set order). */
export const MAX_FILES = 5_000;
/** Files larger than this are not indexed (a model file is a few KB; a 5 000-line one about 200 KB). */
export const MAX_FILE_BYTES = 1 << 20;
/** Most symbols returned for one query (the best matches). */
export const MAX_RESULTS = 500;
/**
 * Longest a query waits for a running scan before answering from what is
 * indexed so far: a small workspace is scanned within it and answers in
 * full; a large one answers at once with part of its files, and Quick Open
 * asks again on the next keystroke.
 */
export const FIRST_QUERY_WAIT_MS = 300;
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

const isModelPath = (uri: vscode.Uri): boolean => uri.path.endsWith('.nnmodel');

/** A workspace folder's exclusions: the glob for `findFiles` and the matcher for watcher events. */
interface FolderExclusions {
  glob: string | undefined;
  excludes: (relativePath: string) => boolean;
}

class WorkspaceSymbols implements vscode.WorkspaceSymbolProvider, vscode.Disposable {
  private readonly index = new WorkspaceSymbolIndex();
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;
  /** The scan of the workspace, started by the first query (a workspace nobody searches costs nothing). */
  private scan: Promise<void> | undefined;
  /**
   * Cancels the current scan and every read it or a watcher event started:
   * a rescan (other folders or exclusions) or dispose cancels it, so that a
   * read of the old set of files cannot land in the new index.
   */
  private scanCts: vscode.CancellationTokenSource | undefined;
  /**
   * Sequence number of the read in flight per uri: an older read that
   * finishes later must not win, and a file deleted while read must not come
   * back. Holds only reads in flight (an entry leaves when its read ends or
   * the file is forgotten), so it stays small however many events arrive.
   */
  private readonly reads = new Map<string, number>();
  private readSeq = 0;
  /** Per workspace folder uri; cleared when folders or exclusions change. */
  private readonly exclusionsByFolder = new Map<string, FolderExclusions>();

  constructor(private readonly cache: AnalysisCache) {
    const models = vscode.workspace.createFileSystemWatcher('**/*.nnmodel');
    // Folders: a folder deleted, renamed or moved outside VS Code comes as one event for the folder, which
    // '**/*.nnmodel' does not match (onDidDeleteFiles/onDidRenameFiles fire only for operations made in VS Code).
    // Changes to other files are of no interest, so that watcher ignores them.
    const anything = vscode.workspace.createFileSystemWatcher('**/*', false, true, false);
    // Before the first scan there is nothing to update: the scan reads every file.
    const onModel = (uri: vscode.Uri) => {
      if (this.scanCts && !this.excluded(uri)) void this.readFile(uri, this.scanCts.token);
    };
    this.disposables.push(
      models,
      anything,
      models.onDidCreate(onModel),
      models.onDidChange(onModel),
      models.onDidDelete((uri) => this.forget(uri)),
      anything.onDidDelete((uri) => {
        if (!isModelPath(uri)) this.forget(uri);
      }),
      anything.onDidCreate((uri) => {
        if (!isModelPath(uri)) void this.readUnder(uri);
      }),
      vscode.workspace.onDidDeleteFiles((e) => e.files.forEach((uri) => this.forget(uri))),
      vscode.workspace.onDidRenameFiles((e) => {
        for (const { oldUri, newUri } of e.files) {
          this.forget(oldUri);
          void this.readUnder(newUri);
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

  /** Starts the scan of the workspace unless it runs or ran already (the first query or file listing starts it). */
  private startScan(): void {
    if (!this.scan && !this.disposed) {
      const cts = new vscode.CancellationTokenSource();
      this.scanCts = cts;
      this.scan = this.scanWorkspace(cts.token);
    }
  }

  /**
   * The uris of the workspace's `.nnmodel` files (those Go to Symbol in
   * Workspace searches) and of open `.nnmodel` documents, once the scan is
   * done or `token` is cancelled (then what is indexed so far).
   */
  async files(token: vscode.CancellationToken): Promise<string[]> {
    this.startScan();
    if (this.scan) await untilDoneOrCancelled(this.scan, token, Number.POSITIVE_INFINITY);
    return this.index.uris();
  }

  async provideWorkspaceSymbols(query: string, token: vscode.CancellationToken): Promise<vscode.SymbolInformation[]> {
    this.startScan();
    // The scan is shared by all queries: a query waits for it a little, then answers from what is indexed so far;
    // a cancelled query stops waiting, and the scan goes on for the next one.
    if (this.scan) await untilDoneOrCancelled(this.scan, token, FIRST_QUERY_WAIT_MS);
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
    const key = uri.toString().replace(/\/+$/, '');
    this.index.deleteDiskUnder(key);
    // Reads in flight are few (the scan's workers and recent events): dropping theirs under `uri` voids them.
    const folder = `${key}/`;
    for (const k of [...this.reads.keys()]) if (k === key || k.startsWith(folder)) this.reads.delete(k);
  }

  /** The exclusions of the workspace folder holding `folder` (its own settings: folder-scoped ones differ in a multi-root workspace). */
  private exclusionsOf(folder: vscode.WorkspaceFolder): FolderExclusions {
    const key = folder.uri.toString();
    let e = this.exclusionsByFolder.get(key);
    if (!e) {
      const settings = [
        vscode.workspace.getConfiguration('files', folder.uri).get<Record<string, unknown>>('exclude'),
        vscode.workspace.getConfiguration('search', folder.uri).get<Record<string, unknown>>('exclude'),
      ];
      e = { glob: excludeGlob(...settings), excludes: exclusionMatcher(excludePatterns(...settings)) };
      this.exclusionsByFolder.set(key, e);
    }
    return e;
  }

  /**
   * Whether `uri` is not one of the workspace's files to index: outside every
   * workspace folder, or excluded by its folder's `files.exclude` or
   * `search.exclude` (as the scan's `findFiles` excludes it).
   */
  private excluded(uri: vscode.Uri): boolean {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (!folder) return true;
    const relative = uri.path.slice(folder.uri.path.length).replace(/^\/+/, '');
    return relative !== '' && this.exclusionsOf(folder).excludes(relative);
  }

  /**
   * Indexes a created or renamed file, or the `.nnmodel` files of a created
   * or renamed folder, unless excluded. Only once the first scan has begun.
   */
  private async readUnder(uri: vscode.Uri): Promise<void> {
    const cts = this.scanCts;
    if (!cts || this.excluded(uri)) return;
    if (isModelPath(uri)) return this.readFile(uri, cts.token);
    try {
      if (((await vscode.workspace.fs.stat(uri)).type & vscode.FileType.Directory) === 0) return;
      const folder = vscode.workspace.getWorkspaceFolder(uri);
      if (!folder || cts.token.isCancellationRequested) return;
      const files = await vscode.workspace.findFiles(new vscode.RelativePattern(uri, '**/*.nnmodel'), this.exclusionsOf(folder).glob, MAX_FILES, cts.token);
      // The exclude glob is matched relative to `uri` there, not to the workspace folder: check each file's workspace path.
      for (const f of files) if (!this.excluded(f)) await this.readFile(f, cts.token);
    } catch {
      // Gone again, or no search provider: the next change or scan brings it back.
    }
  }

  private rescan(): void {
    if (!this.scan) return;
    this.scanCts?.cancel();
    this.scanCts = undefined;
    this.scan = undefined;
    this.exclusionsByFolder.clear();
    // Files the new scan does not find must not linger: start from the editors' declarations only.
    this.index.clearDisk();
    this.reads.clear();
  }

  private async scanWorkspace(token: vscode.CancellationToken): Promise<void> {
    const uris: vscode.Uri[] = [];
    // One search per folder, each with its own exclusions (settings can differ per folder in a multi-root workspace).
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      if (token.isCancellationRequested || uris.length >= MAX_FILES) break;
      try {
        const { glob } = this.exclusionsOf(folder);
        uris.push(...(await vscode.workspace.findFiles(new vscode.RelativePattern(folder, '**/*.nnmodel'), glob, MAX_FILES - uris.length, token)));
      } catch {
        // No search provider (some virtual workspaces): open documents still count.
      }
    }
    let next = 0;
    const worker = async () => {
      while (next < uris.length && !token.isCancellationRequested) await this.readFile(uris[next++], token);
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENT_READS, uris.length) }, worker));
  }

  /**
   * Reads and parses one file into the index; a missing, unreadable or
   * oversized file leaves it. Lands only if it is still the latest read of
   * `uri` and `token` (its scan's) is not cancelled.
   */
  private async readFile(uri: vscode.Uri, token: vscode.CancellationToken): Promise<void> {
    const key = uri.toString();
    const seq = ++this.readSeq;
    this.reads.set(key, seq);
    const latest = () => this.reads.get(key) === seq && !token.isCancellationRequested;
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
    } finally {
      if (this.reads.get(key) === seq) this.reads.delete(key);
    }
  }

  dispose(): void {
    this.disposed = true;
    this.scanCts?.cancel();
    for (const d of this.disposables) d.dispose();
  }
}

/** Resolves when `work` settles, `token` is cancelled or `timeoutMs` pass, whichever comes first. */
function untilDoneOrCancelled(work: Promise<void>, token: vscode.CancellationToken, timeoutMs: number): Promise<void> {
  if (token.isCancellationRequested) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      sub.dispose();
      clearTimeout(timer);
      resolve();
    };
    const sub = token.onCancellationRequested(done);
    const timer = timeoutMs === Number.POSITIVE_INFINITY ? undefined : setTimeout(done, timeoutMs);
    work.then(done, done);
  });
}

/** The workspace's `.nnmodel` files, as the workspace symbol index knows them (see {@link WorkspaceSymbols.files}). */
export interface WorkspaceFiles {
  files(token: vscode.CancellationToken): Promise<string[]>;
}

export function registerWorkspaceSymbols(cache: AnalysisCache): vscode.Disposable & WorkspaceFiles {
  const provider = new WorkspaceSymbols(cache);
  const registration = vscode.Disposable.from(provider, vscode.languages.registerWorkspaceSymbolProvider(provider));
  return { files: (token) => provider.files(token), dispose: () => registration.dispose() };
}
