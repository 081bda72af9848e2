// A small fake of the `vscode` module, enough to drive the workspace symbol
// provider (extension/vscode/workspaceSymbols.ts) in node: a workspace of
// in-memory files, file system watchers whose events a test fires, settings,
// findFiles and fs.stat/readFile with a delay. Importing this file installs
// it as `vscode` for every later `require('vscode')` of the test's bundle
// (test/unit bundles keep `vscode` external), so import it first.
import Module from 'node:module';

type Listener<T> = (e: T) => void;

export class EventEmitter<T> {
  private readonly listeners = new Set<Listener<T>>();
  readonly event = (f: Listener<T>) => {
    this.listeners.add(f);
    return { dispose: () => this.listeners.delete(f) };
  };
  fire(e: T): void {
    for (const f of [...this.listeners]) f(e);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

export class Disposable {
  constructor(private readonly f?: () => void) {}
  dispose(): void {
    this.f?.();
  }
  static from(...ds: { dispose(): void }[]): Disposable {
    return new Disposable(() => ds.forEach((d) => d.dispose()));
  }
}

export class CancellationTokenSource {
  private readonly emitter = new EventEmitter<void>();
  readonly token = { isCancellationRequested: false, onCancellationRequested: this.emitter.event };
  cancel(): void {
    if (this.token.isCancellationRequested) return;
    this.token.isCancellationRequested = true;
    this.emitter.fire();
  }
  dispose(): void {}
}

export class Uri {
  constructor(
    readonly scheme: string,
    readonly path: string,
  ) {}
  toString(): string {
    return `${this.scheme}://${this.path}`;
  }
  get fsPath(): string {
    return this.path;
  }
  static joinPath(base: Uri, ...parts: string[]): Uri {
    const segments = base.path.split('/');
    for (const p of parts.flatMap((x) => x.split('/'))) {
      if (p === '..') segments.pop();
      else if (p && p !== '.') segments.push(p);
    }
    return new Uri(base.scheme, segments.join('/'));
  }
  static parse(s: string): Uri {
    const m = /^(\w[\w+.-]*):\/\/(.*)$/.exec(s);
    if (!m) throw new Error(`not a uri: ${s}`);
    return new Uri(m[1], m[2]);
  }
  static file(p: string): Uri {
    return new Uri('file', p);
  }
}

export class Range {
  constructor(
    readonly startLine: number,
    readonly startCharacter: number,
    readonly endLine: number,
    readonly endCharacter: number,
  ) {}
}
export class Location {
  constructor(
    readonly uri: Uri,
    readonly range: Range,
  ) {}
}
export class SymbolInformation {
  constructor(
    readonly name: string,
    readonly kind: number,
    readonly containerName: string,
    readonly location: Location,
  ) {}
}
interface WorkspaceFolder {
  uri: Uri;
  name: string;
  index: number;
}
export class RelativePattern {
  readonly baseUri: Uri;
  constructor(
    base: Uri | WorkspaceFolder,
    readonly pattern: string,
  ) {
    this.baseUri = base instanceof Uri ? base : base.uri;
  }
}
export const FileType = { File: 1, Directory: 2 };
export const SymbolKind = { Module: 1, Class: 4, Function: 11 };

/** A watcher as the provider made it: its glob, what it ignores, and emitters a test fires. */
export interface FakeWatcher {
  glob: string;
  ignoreCreate: boolean;
  ignoreChange: boolean;
  ignoreDelete: boolean;
  create: EventEmitter<Uri>;
  change: EventEmitter<Uri>;
  delete: EventEmitter<Uri>;
}

/**
 * findFiles' exclusion, independent of the code under test: a glob or a
 * `{a,b}` union of globs made of `**`/`name` folders and `*`, matched
 * against the path relative to the search's base and each of its folders.
 */
function excludedBy(glob: string | undefined, relative: string): boolean {
  if (!glob) return false;
  const alternatives = glob.startsWith('{') && glob.endsWith('}') ? glob.slice(1, -1).split(',') : [glob];
  if (alternatives.some((a) => /[{}]/.test(a))) throw new Error(`findFiles: nested braces in the exclude glob ${glob}`);
  const res = alternatives.map(
    (a) => new RegExp(`^${a.replace(/[.+^$()|[\]\\]/g, '\\$&').replace(/\*\*\//g, '\u0001').replace(/\*/g, '[^/]*').replace(/\u0001/g, '(?:.*/)?')}(?:/.*)?$`),
  );
  return res.some((r) => r.test(relative));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The fake workspace, reset by {@link reset}. */
export const state = {
  /** Files on "disk": path → text. */
  files: new Map<string, string>(),
  /** Delay of each stat and read, ms. */
  readDelay: 0,
  /** Settings per section, and per folder path for folder-scoped ones (they win over `config`). */
  config: {} as Record<string, Record<string, unknown>>,
  folderConfig: {} as Record<string, Record<string, Record<string, unknown>>>,
  folders: [] as WorkspaceFolder[],
  watchers: [] as FakeWatcher[],
  provider: undefined as undefined | { provideWorkspaceSymbols(q: string, t: unknown): Promise<SymbolInformation[]> },
  stats: 0,
  reads: 0,
  findFiles: 0,
};

export const events = {
  deleteFiles: new EventEmitter<{ files: Uri[] }>(),
  renameFiles: new EventEmitter<{ files: { oldUri: Uri; newUri: Uri }[] }>(),
  closeDocument: new EventEmitter<unknown>(),
  folders: new EventEmitter<unknown>(),
  configuration: new EventEmitter<{ affectsConfiguration(s: string): boolean }>(),
};

export function reset(folders: string[] = ['/w']): void {
  state.files.clear();
  state.readDelay = 0;
  state.config = { files: { exclude: {} }, search: { exclude: {} } };
  state.folderConfig = {};
  state.folders = folders.map((p, index) => ({ uri: Uri.file(p), name: p.slice(p.lastIndexOf('/') + 1), index }));
  state.watchers = [];
  state.provider = undefined;
  state.stats = state.reads = state.findFiles = 0;
}

/** The watcher made for `glob`. */
export function watcher(glob: string): FakeWatcher {
  const w = state.watchers.find((x) => x.glob === glob);
  if (!w) throw new Error(`no watcher for ${glob}: ${state.watchers.map((x) => x.glob).join(', ')}`);
  return w;
}

/** Fires a watcher event the way VS Code does: to every watcher whose glob matches and which does not ignore the kind. */
export function fire(kind: 'create' | 'change' | 'delete', path: string): void {
  const uri = Uri.file(path);
  for (const w of state.watchers) {
    const ignored = kind === 'create' ? w.ignoreCreate : kind === 'change' ? w.ignoreChange : w.ignoreDelete;
    if (ignored) continue;
    if (w.glob === '**/*.nnmodel' && !path.endsWith('.nnmodel')) continue;
    if (w.glob !== '**/*.nnmodel' && w.glob !== '**/*') throw new Error(`fake watcher glob ${w.glob} not supported`);
    w[kind].fire(uri);
  }
}

function folderOf(uri: Uri): WorkspaceFolder | undefined {
  return state.folders.find((f) => uri.path === f.uri.path || uri.path.startsWith(`${f.uri.path}/`));
}

export const workspace = {
  get textDocuments() {
    return [];
  },
  get isTrusted() {
    return ui.trusted;
  },
  async openTextDocument(uri: Uri) {
    const doc = ui.documents.get(uri.toString());
    if (!doc) throw new Error(`fake openTextDocument: no document ${uri.toString()}`);
    return doc;
  },
  asRelativePath(p: string | Uri) {
    const path = typeof p === 'string' ? p : p.path;
    const f = folderOf(Uri.file(path));
    return f && path.startsWith(`${f.uri.path}/`) ? path.slice(f.uri.path.length + 1) : path;
  },
  get workspaceFolders() {
    return state.folders.length ? state.folders : undefined;
  },
  getWorkspaceFolder: folderOf,
  createFileSystemWatcher(glob: string, ignoreCreate = false, ignoreChange = false, ignoreDelete = false) {
    const w: FakeWatcher = { glob, ignoreCreate, ignoreChange, ignoreDelete, create: new EventEmitter(), change: new EventEmitter(), delete: new EventEmitter() };
    state.watchers.push(w);
    return { onDidCreate: w.create.event, onDidChange: w.change.event, onDidDelete: w.delete.event, dispose() {} };
  },
  onDidDeleteFiles: events.deleteFiles.event,
  onDidRenameFiles: events.renameFiles.event,
  onDidCloseTextDocument: events.closeDocument.event,
  onDidChangeWorkspaceFolders: events.folders.event,
  onDidChangeConfiguration: events.configuration.event,
  getConfiguration(section: string, scopeOrDocument?: Uri | { uri: Uri }) {
    const scope = scopeOrDocument instanceof Uri ? scopeOrDocument : scopeOrDocument?.uri;
    return {
      get: (key: string, fallback?: unknown) => {
        const folder = scope && folderOf(scope);
        const own = folder && state.folderConfig[folder.uri.path]?.[section];
        return (own && key in own ? own[key] : state.config[section]?.[key]) ?? fallback;
      },
    };
  },
  async findFiles(include: RelativePattern | string, exclude: string | undefined, max: number, token?: { isCancellationRequested: boolean }) {
    state.findFiles++;
    await sleep(1);
    // A string include searches every workspace folder, the exclude matched relative to each.
    const pattern = include instanceof RelativePattern ? include.pattern : include;
    if (pattern !== '**/*.nnmodel') throw new Error(`fake findFiles: ${pattern}`);
    const bases = include instanceof RelativePattern ? [`${include.baseUri.path}/`] : state.folders.map((f) => `${f.uri.path}/`);
    const out: Uri[] = [];
    for (const p of state.files.keys()) {
      if (token?.isCancellationRequested) break;
      const base = bases.find((b) => p.startsWith(b));
      if (!base || !p.endsWith('.nnmodel') || excludedBy(exclude, p.slice(base.length))) continue;
      out.push(Uri.file(p));
      if (out.length >= max) break;
    }
    return out;
  },
  fs: {
    async stat(uri: Uri) {
      state.stats++;
      await sleep(state.readDelay);
      const t = state.files.get(uri.path);
      if (t !== undefined) return { type: FileType.File, size: t.length };
      if ([...state.files.keys()].some((k) => k.startsWith(`${uri.path}/`))) return { type: FileType.Directory, size: 0 };
      throw new Error(`ENOENT ${uri.path}`);
    },
    async readFile(uri: Uri) {
      state.reads++;
      await sleep(state.readDelay);
      const t = state.files.get(uri.path);
      if (t === undefined) throw new Error(`ENOENT ${uri.path}`);
      return new TextEncoder().encode(t);
    },
  },
};

// ---------------------------------------------------------------- window and commands (training.ts)

/** A progress notification as `window.withProgress` shows it: open until its task settles. */
export interface FakeProgress {
  title: string;
  messages: string[];
  open: boolean;
  /** Clicks its Cancel. */
  cancel(): void;
  /** Settles when the notification closes. */
  closed: Promise<void>;
}

/** A message box: its text and buttons; `answer` clicks one (or dismisses it with undefined). */
export interface FakeMessage {
  severity: 'error' | 'warning' | 'info';
  text: string;
  items: string[];
  answer(item: string | undefined): void;
}

/** A quick pick or input box the code opened; `answer` picks an item (by label) or types text, undefined dismisses it. */
export interface FakeQuestion {
  /** An open dialog's `prompt` is its title and `placeHolder` the folder it opens on; `answer` picks a path. */
  kind: 'quickPick' | 'inputBox' | 'openDialog';
  placeHolder?: string;
  prompt?: string;
  labels: string[];
  /** A quick pick's item descriptions, in the order of `labels`. */
  descriptions?: (string | undefined)[];
  /** A quick pick's item details (the line under an item), in the order of `labels`. */
  details?: (string | undefined)[];
  answer(value: string | undefined): void;
}

/** What the window showed, reset by {@link resetWindow}. */
export const ui = {
  progress: [] as FakeProgress[],
  messages: [] as FakeMessage[],
  questions: [] as FakeQuestion[],
  output: [] as string[],
  commands: new Map<string, (...args: unknown[]) => unknown>(),
  executed: [] as { id: string; args: unknown[] }[],
  documents: new Map<string, FakeTextDocument>(),
  activeTextEditor: undefined as undefined | { document: FakeTextDocument; selection: { active: number } },
  trusted: true,
};

/** A text document whose positions are offsets (enough for `offsetAt(selection.active)`). */
export interface FakeTextDocument {
  uri: Uri;
  languageId: string;
  version: number;
  getText(): string;
  offsetAt(p: number): number;
}

export function textDocument(path: string, text: string, languageId = 'nnmodel'): FakeTextDocument {
  const doc: FakeTextDocument = { uri: Uri.file(path), languageId, version: 1, getText: () => text, offsetAt: (p) => p };
  ui.documents.set(doc.uri.toString(), doc);
  return doc;
}

export function resetWindow(): void {
  ui.progress = [];
  ui.messages = [];
  ui.questions = [];
  ui.output = [];
  ui.commands.clear();
  ui.executed = [];
  ui.documents.clear();
  ui.activeTextEditor = undefined;
  ui.trusted = true;
}

function message(severity: FakeMessage['severity']) {
  return (text: string, ...items: string[]) =>
    new Promise<string | undefined>((resolve) => {
      ui.messages.push({ severity, text, items, answer: resolve });
    });
}

export const ProgressLocation = { Notification: 15 };

export const window = {
  get activeTextEditor() {
    return ui.activeTextEditor;
  },
  get visibleTextEditors() {
    return ui.activeTextEditor ? [ui.activeTextEditor] : [];
  },
  createOutputChannel(_name: string) {
    return {
      appendLine: (line: string) => ui.output.push(line),
      append: (text: string) => ui.output.push(text),
      show() {},
      dispose() {},
    };
  },
  async withProgress<T>(o: { title: string; cancellable?: boolean }, task: (p: { report(m: { message?: string }): void }, token: CancellationTokenSource['token']) => Promise<T>): Promise<T> {
    const source = new CancellationTokenSource();
    let close!: () => void;
    const p: FakeProgress = { title: o.title, messages: [], open: true, cancel: () => source.cancel(), closed: new Promise((r) => (close = r)) };
    ui.progress.push(p);
    try {
      return await task({ report: (m) => m.message !== undefined && p.messages.push(m.message) }, source.token);
    } finally {
      p.open = false;
      close();
    }
  },
  showErrorMessage: message('error'),
  showWarningMessage: message('warning'),
  showInformationMessage: message('info'),
  showQuickPick<T extends { label: string; description?: string; detail?: string }>(items: T[], o?: { placeHolder?: string }) {
    return new Promise<T | undefined>((resolve) => {
      ui.questions.push({
        kind: 'quickPick',
        placeHolder: o?.placeHolder,
        labels: items.map((i) => i.label),
        descriptions: items.map((i) => i.description),
        details: items.map((i) => i.detail),
        answer: (v) => resolve(items.find((i) => i.label === v)),
      });
    });
  },
  showOpenDialog(o?: { title?: string; defaultUri?: Uri }) {
    return new Promise<Uri[] | undefined>((resolve) => {
      ui.questions.push({ kind: 'openDialog', prompt: o?.title, placeHolder: o?.defaultUri?.fsPath, labels: [], answer: (v) => resolve(v === undefined ? undefined : [Uri.file(v)]) });
    });
  },
  showInputBox(o?: { prompt?: string; placeHolder?: string }) {
    return new Promise<string | undefined>((resolve) => {
      ui.questions.push({ kind: 'inputBox', prompt: o?.prompt, placeHolder: o?.placeHolder, labels: [], answer: resolve });
    });
  },
};

export const commands = {
  registerCommand(id: string, f: (...args: unknown[]) => unknown) {
    ui.commands.set(id, f);
    return new Disposable(() => ui.commands.delete(id));
  },
  async executeCommand(id: string, ...args: unknown[]) {
    ui.executed.push({ id, args });
    return ui.commands.get(id)?.(...args);
  },
};

export const languages = {
  registerWorkspaceSymbolProvider(p: typeof state.provider) {
    state.provider = p;
    return new Disposable(() => {
      state.provider = undefined;
    });
  },
};

const api = {
  EventEmitter,
  Disposable,
  CancellationTokenSource,
  Uri,
  Range,
  Location,
  SymbolInformation,
  RelativePattern,
  FileType,
  SymbolKind,
  workspace,
  languages,
  window,
  commands,
  ProgressLocation,
};

// Node resolves `vscode` to this id, found in the module cache: no file on disk is needed.
const ID = '\0fake-vscode';
const M = Module as unknown as {
  _resolveFilename(request: string, ...rest: unknown[]): string;
  _cache: Record<string, unknown>;
};
const resolve = M._resolveFilename;
M._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]) {
  return request === 'vscode' ? ID : resolve.call(this, request, ...rest);
};
M._cache[ID] = { id: ID, filename: ID, loaded: true, exports: api, children: [], paths: [] };
