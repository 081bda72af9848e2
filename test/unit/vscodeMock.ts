// A small fake of the `vscode` module, enough to drive the workspace symbol
// provider (extension/vscode/workspaceSymbols.ts) in node: a workspace of
// in-memory files, file system watchers whose events a test fires, settings,
// findFiles and fs.stat/readFile with a delay; documents with positions and
// the classes the completion, hover, signature help and document link
// providers build (extension/vscode/completion.ts and the like). Importing
// this file installs it as `vscode` for every later `require('vscode')` of the test's bundle
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
    /** Decoded, as VS Code keeps it: a command link's JSON arguments. */
    readonly query = '',
  ) {}
  toString(): string {
    return this.query ? `${this.scheme}:${this.path}?${encodeURIComponent(this.query)}` : `${this.scheme}://${this.path}`;
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
    if (m) return new Uri(m[1], m[2]);
    // A command link, `command:id?ENCODED-JSON`.
    const c = /^command:([^?]*)(?:\?(.*))?$/.exec(s);
    if (!c) throw new Error(`not a uri: ${s}`);
    return new Uri('command', c[1], decodeURIComponent(c[2] ?? ''));
  }
  static file(p: string): Uri {
    return new Uri('file', p);
  }
}

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}

/** `new Range(startLine, startCharacter, endLine, endCharacter)` or `new Range(start, end)`, as in VS Code. */
export class Range {
  readonly startLine: number;
  readonly startCharacter: number;
  readonly endLine: number;
  readonly endCharacter: number;
  constructor(a: number | Position, b: number | Position, c?: number, d?: number) {
    const start = a instanceof Position ? a : new Position(a, b as number);
    const end = a instanceof Position ? (b as Position) : new Position(c!, d!);
    [this.startLine, this.startCharacter, this.endLine, this.endCharacter] = [start.line, start.character, end.line, end.character];
  }
  get start(): Position {
    return new Position(this.startLine, this.startCharacter);
  }
  get end(): Position {
    return new Position(this.endLine, this.endCharacter);
  }
  /** The smallest range holding both (document symbols' full ranges). */
  union(o: Range): Range {
    const before = (a: Position, b: Position) => a.line < b.line || (a.line === b.line && a.character <= b.character);
    return new Range(before(this.start, o.start) ? this.start : o.start, before(this.end, o.end) ? o.end : this.end);
  }
}

// ------------------------------------------------- edits, diagnostics, document symbols (definition, formatting, outline)

export class TextEdit {
  constructor(
    readonly range: Range,
    readonly newText: string,
  ) {}
}
/** The edits of a rename, in the order made. */
export class WorkspaceEdit {
  readonly edits: { uri: Uri; range: Range; newText: string }[] = [];
  replace(uri: Uri, range: Range, newText: string): void {
    this.edits.push({ uri, range, newText });
  }
}
export const DiagnosticSeverity = { Error: 0, Warning: 1, Information: 2, Hint: 3 };
export const DiagnosticTag = { Unnecessary: 1 };
export class DiagnosticRelatedInformation {
  constructor(
    readonly location: Location,
    readonly message: string,
  ) {}
}
export class Diagnostic {
  source?: string;
  code?: string;
  tags?: number[];
  relatedInformation?: DiagnosticRelatedInformation[];
  constructor(
    readonly range: Range,
    readonly message: string,
    readonly severity: number,
  ) {}
}
export class DocumentSymbol {
  children: DocumentSymbol[] = [];
  constructor(
    readonly name: string,
    readonly detail: string,
    readonly kind: number,
    readonly range: Range,
    readonly selectionRange: Range,
  ) {}
}

// ------------------------------------------------- language features (completion, hover, signature help)

export class MarkdownString {
  isTrusted = false;
  supportHtml = false;
  constructor(readonly value = '') {}
}
export class SnippetString {
  constructor(readonly value = '') {}
}
export const CompletionItemKind = { Field: 4, Variable: 5, Class: 6, Property: 9, Keyword: 13, Snippet: 14, Constant: 20, EnumMember: 19, TypeParameter: 24, Function: 2 };
export class CompletionItem {
  range?: Range;
  sortText?: string;
  insertText?: string | SnippetString;
  detail?: string;
  documentation?: string | MarkdownString;
  command?: { command: string; title: string };
  constructor(
    public label: string | { label: string; description?: string },
    readonly kind?: number,
  ) {}
}
export class InlayHint {
  paddingLeft?: boolean;
  paddingRight?: boolean;
  tooltip?: MarkdownString | string;
  constructor(
    public position: Position,
    public label: string,
  ) {}
}

export class Hover {
  constructor(
    readonly contents: MarkdownString,
    readonly range?: Range,
  ) {}
}
export class ParameterInformation {
  constructor(
    readonly label: string | [number, number],
    readonly documentation?: string | MarkdownString,
  ) {}
}
export class SignatureInformation {
  parameters: ParameterInformation[] = [];
  constructor(
    readonly label: string,
    readonly documentation?: string | MarkdownString,
  ) {}
}
export class SignatureHelp {
  signatures: SignatureInformation[] = [];
  activeSignature = 0;
  activeParameter = 0;
}

/** A text document with real line/character positions, for the language feature providers. */
export interface SourceDocument {
  uri: Uri;
  languageId: string;
  version: number;
  isClosed: boolean;
  getText(range?: Range): string;
  offsetAt(p: Position): number;
  positionAt(offset: number): Position;
  getWordRangeAtPosition(p: Position, regex?: RegExp): Range | undefined;
}

export function sourceDocument(path: string, text: string): SourceDocument {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  const offsetAt = (p: Position) => Math.min(starts[Math.min(p.line, starts.length - 1)] + p.character, text.length);
  const positionAt = (offset: number) => {
    let line = 0;
    while (line + 1 < starts.length && starts[line + 1] <= offset) line++;
    return new Position(line, offset - starts[line]);
  };
  return {
    uri: Uri.file(path),
    languageId: 'nnmodel',
    version: 1,
    isClosed: false,
    getText: (r) => (r ? text.slice(offsetAt(r.start), offsetAt(r.end)) : text),
    offsetAt,
    positionAt,
    getWordRangeAtPosition(p, regex = /[A-Za-z_][A-Za-z0-9_]*/) {
      const line = text.slice(starts[p.line], p.line + 1 < starts.length ? starts[p.line + 1] - 1 : text.length);
      const re = new RegExp(regex.source, 'g');
      for (let m = re.exec(line); m; m = re.exec(line)) {
        if (m.index <= p.character && p.character <= m.index + m[0].length) return new Range(p.line, m.index, p.line, m.index + m[0].length);
        if (m[0].length === 0) re.lastIndex++;
      }
      return undefined;
    },
  };
}
export class DocumentLink {
  tooltip?: string;
  constructor(
    readonly range: Range,
    readonly target?: Uri,
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
export const SymbolKind = { File: 0, Module: 1, Class: 4, Property: 6, Field: 7, Function: 11, Variable: 12, Constant: 13, Event: 23, TypeParameter: 25 };

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
  /** The language feature providers registered last (registerHover and the like). */
  providers: {} as {
    completion?: { provideCompletionItems(doc: unknown, p: Position, token: unknown, ctx: { triggerCharacter?: string }): CompletionItem[] };
    hover?: { provideHover(doc: unknown, p: Position, token?: unknown): Hover | undefined };
    signature?: { provideSignatureHelp(doc: unknown, p: Position, token?: unknown, ctx?: unknown): SignatureHelp | undefined };
    definition?: { provideDefinition(doc: unknown, p: Position, token?: unknown): unknown };
    references?: { provideReferences(doc: unknown, p: Position, ctx: { includeDeclaration: boolean }, token: unknown): Promise<Location[] | undefined> };
    rename?: { provideRenameEdits(doc: unknown, p: Position, newName: string, token: unknown): Promise<WorkspaceEdit | undefined> };
    formatting?: { provideDocumentFormattingEdits(doc: unknown, options: { insertSpaces: boolean; tabSize: number }, token?: unknown): TextEdit[] };
    rangeFormatting?: { provideDocumentRangeFormattingEdits(doc: unknown, range: Range, options: { insertSpaces: boolean; tabSize: number }, token?: unknown): TextEdit[] };
    links?: { provideDocumentLinks(doc: unknown, token: unknown): Promise<DocumentLink[]> };
    inlayHints?: { provideInlayHints(doc: unknown, range: Range, token?: unknown): InlayHint[]; resolveInlayHint?(hint: InlayHint, token?: unknown): InlayHint };
  },
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
  /** A modal dialog (`{ modal: true }`): VS Code adds its Cancel button, which answers undefined. */
  modal?: boolean;
  /** The dialog's text under the message (`{ detail }`). */
  detail?: string;
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
  /** Texts given to `window.setStatusBarMessage`, with how long they show. */
  statusMessages: [] as { text: string; ms?: number }[],
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
  ui.statusMessages = [];
}

function message(severity: FakeMessage['severity']) {
  return (text: string, ...rest: unknown[]) =>
    new Promise<string | undefined>((resolve) => {
      // As VS Code's: an options object may come before the items.
      const options = typeof rest[0] === 'object' && rest[0] !== null ? (rest.shift() as { modal?: boolean; detail?: string }) : undefined;
      ui.messages.push({
        severity,
        text,
        items: rest as string[],
        ...(options?.modal ? { modal: true } : {}),
        ...(options?.detail !== undefined ? { detail: options.detail } : {}),
        answer: resolve,
      });
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
  setStatusBarMessage(text: string, ms?: number) {
    ui.statusMessages.push({ text, ms });
    return new Disposable();
  },
  showErrorMessage: message('error'),
  showWarningMessage: message('warning'),
  showInformationMessage: message('info'),
  showQuickPick<T extends { label: string; description?: string; detail?: string }>(items: T[], o?: { placeHolder?: string }, token?: CancellationTokenSource['token']) {
    return new Promise<T | undefined>((resolve) => {
      // As VS Code's: a cancelled token closes the pick (or never opens it), which answers undefined.
      if (token?.isCancellationRequested) return resolve(undefined);
      token?.onCancellationRequested(() => resolve(undefined));
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
  showInputBox(o?: { prompt?: string; placeHolder?: string }, token?: CancellationTokenSource['token']) {
    return new Promise<string | undefined>((resolve) => {
      if (token?.isCancellationRequested) return resolve(undefined);
      token?.onCancellationRequested(() => resolve(undefined));
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
  registerCompletionItemProvider(_selector: unknown, p: NonNullable<typeof state.providers.completion>) {
    state.providers.completion = p;
    return new Disposable();
  },
  registerHoverProvider(_selector: unknown, p: NonNullable<typeof state.providers.hover>) {
    state.providers.hover = p;
    return new Disposable();
  },
  registerSignatureHelpProvider(_selector: unknown, p: NonNullable<typeof state.providers.signature>) {
    state.providers.signature = p;
    return new Disposable();
  },
  registerDefinitionProvider(_selector: unknown, p: NonNullable<typeof state.providers.definition>) {
    state.providers.definition = p;
    return new Disposable();
  },
  registerReferenceProvider(_selector: unknown, p: NonNullable<typeof state.providers.references>) {
    state.providers.references = p;
    return new Disposable();
  },
  registerRenameProvider(_selector: unknown, p: NonNullable<typeof state.providers.rename>) {
    state.providers.rename = p;
    return new Disposable();
  },
  registerDocumentFormattingEditProvider(_selector: unknown, p: NonNullable<typeof state.providers.formatting>) {
    state.providers.formatting = p;
    return new Disposable();
  },
  registerDocumentRangeFormattingEditProvider(_selector: unknown, p: NonNullable<typeof state.providers.rangeFormatting>) {
    state.providers.rangeFormatting = p;
    return new Disposable();
  },
  registerDocumentLinkProvider(_selector: unknown, p: NonNullable<typeof state.providers.links>) {
    state.providers.links = p;
    return new Disposable();
  },
  registerInlayHintsProvider(_selector: unknown, p: NonNullable<typeof state.providers.inlayHints>) {
    state.providers.inlayHints = p;
    return new Disposable();
  },
};

const api = {
  EventEmitter,
  Disposable,
  CancellationTokenSource,
  Uri,
  Position,
  Range,
  Location,
  DocumentLink,
  TextEdit,
  WorkspaceEdit,
  Diagnostic,
  DiagnosticSeverity,
  DiagnosticTag,
  DiagnosticRelatedInformation,
  DocumentSymbol,
  MarkdownString,
  SnippetString,
  CompletionItem,
  CompletionItemKind,
  Hover,
  InlayHint,
  ParameterInformation,
  SignatureInformation,
  SignatureHelp,
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
