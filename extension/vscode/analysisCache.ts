/**
 * One analysis per (document, version), shared by every feature. An edit is
 * re-analysed as soon as the extension host is free (changes that arrive
 * together share one analysis), so its problems are published without a
 * fixed delay; only a document whose last analysis was slow waits for
 * `nnmodel.diagnostics.debounce` after the last keystroke. A feature that
 * asks earlier gets a fresh analysis at once (the answer must match the text).
 * Imports are read through the workspace: open documents first, then files.
 */
import * as fs from 'node:fs';
import { MAX_SOURCE_BYTES, readSourceFile } from '../cli/files';
import * as vscode from 'vscode';
import { AnalysisSession, type Analysis, type AnalyzeOptions } from '../core';
import { analysisDelay, runAfter, smoothedCost, type Pending } from './pure/schedule';

export const LANGUAGE_ID = 'nnmodel';

export function isNnmodel(doc: vscode.TextDocument): boolean {
  return doc.languageId === LANGUAGE_ID;
}

interface Entry {
  version: number;
  analysis: Analysis;
  /** Uris (strings) of the files this analysis imported. */
  deps: Set<string>;
  /** Set when an imported file changed: re-analyse even at the same version. */
  stale: boolean;
}

/**
 * Incremental analysis of one document: unchanged models are reused, so a
 * keystroke in a long file costs about one model's analysis. The session
 * moves the previous result's ranges in place, so only the latest analysis
 * of a document is kept.
 */
interface Session {
  session: AnalysisSession;
  /** Imports read by the last update. */
  deps: Set<string>;
  /** Stable across updates: the session reuses its cache only for the same reader. */
  readImport: NonNullable<AnalyzeOptions['readImport']>;
}

export interface AnalysisEvent {
  document: vscode.TextDocument;
  analysis: Analysis;
  /**
   * Why it ran: 'open' for the first analysis of a document, 'edit' for a
   * new version of its text, 'dependency' for the same text re-analysed
   * because an imported file changed. VS Code re-asks its features (tokens,
   * hints, lenses) after an edit by itself; only 'dependency' needs them
   * told, and telling them after every edit would postpone their requests.
   */
  cause: 'open' | 'edit' | 'dependency';
}

export class AnalysisCache implements vscode.Disposable {
  private readonly entries = new Map<string, Entry>();
  private readonly sessions = new Map<string, Session>();
  private readonly timers = new Map<string, Pending>();
  /** What an edit's analysis of each document costs, in ms (see smoothedCost; picks the delay of the next one). */
  private readonly costs = new Map<string, number>();
  private readonly emitter = new vscode.EventEmitter<AnalysisEvent>();
  private readonly disposables: vscode.Disposable[] = [];

  /** Fires after a new analysis of an open document. */
  readonly onDidAnalyze = this.emitter.event;

  constructor() {
    this.disposables.push(
      this.emitter,
      vscode.workspace.onDidOpenTextDocument((d) => this.refresh(d)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length === 0) return;
        if (isNnmodel(e.document)) this.schedule(e.document);
        this.invalidateDependents(e.document.uri.toString());
      }),
      vscode.workspace.onDidCloseTextDocument((d) => this.forget(d.uri.toString())),
      vscode.workspace.onDidSaveTextDocument((d) => this.invalidateDependents(d.uri.toString())),
    );
    // Imported files edited outside the editor (or by git) change what importers see.
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.nnmodel');
    const onFile = (uri: vscode.Uri) => this.invalidateDependents(uri.toString());
    this.disposables.push(watcher, watcher.onDidChange(onFile), watcher.onDidCreate(onFile), watcher.onDidDelete(onFile));
    for (const d of vscode.workspace.textDocuments) this.refresh(d);
  }

  /** The analysis of the document's current version. */
  get(doc: vscode.TextDocument): Analysis {
    const key = doc.uri.toString();
    const e = this.entries.get(key);
    if (e && e.version === doc.version && !e.stale) return e.analysis;
    return this.run(doc);
  }

  /** The analysis of the document's current version if it has run already; never analyses. */
  current(doc: vscode.TextDocument): Analysis | undefined {
    const e = this.entries.get(doc.uri.toString());
    return e && e.version === doc.version && !e.stale ? e.analysis : undefined;
  }

  /** The last analysis, whatever its version (for cheap UI like the status bar). */
  peek(uri: vscode.Uri): Analysis | undefined {
    return this.entries.get(uri.toString())?.analysis;
  }

  private run(doc: vscode.TextDocument): Analysis {
    const key = doc.uri.toString();
    const timer = this.timers.get(key);
    if (timer) {
      timer.cancel();
      this.timers.delete(key);
    }
    const previous = this.entries.get(key);
    const cause: AnalysisEvent['cause'] = !previous ? 'open' : previous.version === doc.version ? 'dependency' : 'edit';
    const started = performance.now();
    const cpu = process.cpuUsage();
    const text = doc.getText();
    const session = this.sessionFor(key);
    session.deps = new Set();
    let analysis: Analysis;
    try {
      analysis = session.session.update(text, { uri: key, readImport: session.readImport, importBase: importBase(doc.uri) });
    } catch (err) {
      // The core promises never to throw; if it does, every feature still gets an answer.
      analysis = failedAnalysis(key, text, err);
      this.sessions.delete(key);
    }
    // Only edits count: the first analysis of a file is cold and says little about the next keystroke's.
    if (cause === 'edit') this.costs.set(key, smoothedCost(this.costs.get(key), performance.now() - started, process.cpuUsage(cpu)));
    const deps = session.deps;
    this.entries.set(key, { version: doc.version, analysis, deps, stale: false });
    // Diagnostics subscribe first (see extension.ts), so the Problems panel is updated before anything else.
    this.emitter.fire({ document: doc, analysis, cause });
    return analysis;
  }

  private sessionFor(key: string): Session {
    let s = this.sessions.get(key);
    if (!s) {
      const created: Session = {
        session: new AnalysisSession(),
        deps: new Set(),
        readImport: (fromUri, path) => {
          const r = readImport(fromUri ?? key, path);
          if (r) created.deps.add(r.uri);
          return r;
        },
      };
      this.sessions.set(key, created);
      s = created;
    }
    return s;
  }

  private refresh(doc: vscode.TextDocument): void {
    if (isNnmodel(doc)) this.get(doc);
  }

  private schedule(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    this.timers.get(key)?.cancel();
    const debounce = vscode.workspace.getConfiguration('nnmodel', doc).get<number>('diagnostics.debounce', 150);
    const delay = analysisDelay(debounce, this.costs.get(key));
    // Even with no delay, deferred: the changes VS Code sends in one batch then share one analysis.
    this.timers.set(
      key,
      runAfter(delay, () => {
        this.timers.delete(key);
        // The document may have closed or changed again; only its current version counts.
        if (doc.isClosed) return;
        this.get(doc);
      }),
    );
  }

  private invalidateDependents(changed: string): void {
    for (const [key, e] of this.entries) {
      if (key === changed || !e.deps.has(changed)) continue;
      e.stale = true;
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
      if (doc) this.schedule(doc);
    }
  }

  private forget(key: string): void {
    this.timers.get(key)?.cancel();
    this.timers.delete(key);
    this.entries.delete(key);
    this.sessions.delete(key);
    this.costs.delete(key);
  }

  dispose(): void {
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    this.entries.clear();
    this.sessions.clear();
    this.costs.clear();
    for (const d of this.disposables) d.dispose();
  }
}

/** Where an untitled file's imports are looked for, as import messages say it (see `resolveImport`); undefined for a saved file's ('this file'). */
function importBase(uri: vscode.Uri): string | undefined {
  if (uri.scheme !== 'untitled') return undefined;
  return vscode.workspace.workspaceFolders?.[0] ? 'the first workspace folder: an untitled file has no folder of its own' : 'a folder, which an untitled file outside a workspace does not have: save it first';
}

/** Resolves `path` (as written in an import) against the importing file. */
export function resolveImport(fromUri: string, path: string): vscode.Uri | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(path) && !/^[a-z]:[\\/]/i.test(path)) return vscode.Uri.parse(path);
  if (path.startsWith('/') || /^[a-z]:[\\/]/i.test(path)) return vscode.Uri.file(path);
  const from = vscode.Uri.parse(fromUri);
  if (from.scheme === 'untitled') {
    // An untitled file has no folder: resolve against the first workspace folder.
    const root = vscode.workspace.workspaceFolders?.[0]?.uri;
    return root ? vscode.Uri.joinPath(root, path) : undefined;
  }
  return vscode.Uri.joinPath(from, '..', path);
}

/** Reads an imported file as the analysis does: an open document's text, else the file on disk. */
export function readImport(fromUri: string, path: string): { uri: string; text: string } | undefined {
  const target = resolveImport(fromUri, path);
  if (!target) return undefined;
  const text = readUriText(target);
  return text === undefined ? undefined : { uri: target.toString(), text };
}

/** A file's text as imports read it: an open document's, else the file on disk; undefined when neither is there. */
export function readUriText(target: vscode.Uri | string): string | undefined {
  const uri = typeof target === 'string' ? vscode.Uri.parse(target) : target;
  const key = uri.toString();
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
  if (open) return open.getText();
  if (uri.scheme !== 'file') return undefined;
  try {
    // Only a regular file of a source's size: `import "/dev/zero"` (or a FIFO) typed in the editor would
    // never end, and this runs in the extension host. Read as the command line reads it (UTF-16 with its mark).
    const st = fs.statSync(uri.fsPath);
    if (!st.isFile() || st.size > MAX_SOURCE_BYTES) return undefined;
    return readSourceFile(uri.fsPath, '/').text;
  } catch {
    return undefined;
  }
}

function failedAnalysis(uri: string, text: string, err: unknown): Analysis {
  const lines = text.split('\n');
  const end = { line: lines.length - 1, character: lines[lines.length - 1].length, offset: text.length };
  const start = { line: 0, character: 0, offset: 0 };
  const firstLineEnd = { line: 0, character: lines[0].length, offset: lines[0].length };
  const message = err instanceof Error ? err.message : String(err);
  return {
    uri,
    file: { items: [], comments: [], errors: [], range: { start, end } },
    diagnostics: [
      { code: 'internal', severity: 'error', message: `nnmodel could not analyse this file: ${message}`, range: { start, end: firstLineEnd } },
    ],
    models: [],
    blocks: [],
    sites: [],
    symbols: [],
    trains: [],
  };
}
