/**
 * The inspector: a webview beside the source that runs the model at the
 * cursor in TensorFlow.js and shows its graph, summary, feature maps,
 * kernels and attention. This side follows the active .nnmodel editor and
 * its cursor, sends each new analysis as a `model` message (the page is
 * built once: its HTML is never reset, which would throw away the tfjs
 * state), and serves the page's requests (reveal, pick an image, save a file).
 * Training runs in the page too: training.ts talks to it through
 * `inspectorForTraining`. Trained weights reach the page from a run in it,
 * from Load Weights (`publishWeights`) and, when the page first shows a
 * model, from a checkpoint already on disk.
 */
import * as vscode from 'vscode';
import {
  forPostMessage,
  parseWebviewMessage,
  refusedCheckpoint,
  BACKEND_SETTINGS,
  type BackendSetting,
  type CheckpointMessage,
  type CheckpointSavedMessage,
  type HostToWebview,
  type StopTrainingMessage,
  type TrainEventMessage,
  type TrainDataInfo,
  type TrainStartMessage,
  type WebviewToHost,
  type WeightsMessage,
} from '../core/protocol';
import type { Analysis, ModelInfo } from '../core/analysis/types';
import { readModelCheckpoint } from '../core/runtime/checkpoint';
import { nodeCheckpointFs } from '../core/runtime/nodeFs';
import type { Range } from '../core/syntax/ast';
import { isNnmodel, type AnalysisCache } from './analysisCache';
import { toPosition, toRange } from './convert';
import { inspectorHtml, makeNonce } from './inspector/html';
import { documentFolder, listTrainImages, readTrainImage } from './inspector/trainImages';
import { chooseModel, localModels, modelMessage, revealSteps, statusLogLine } from './inspector/messages';
import { DIMENSIONS_SETTING, sizesFor } from './sizes';

/** The last weights published for each (document, model) in this session, for the page and for a page opened later. */
const latestWeights = new Map<string, WeightsMessage>();

/**
 * Shows trained weights in the inspector (Load Weights, a run's checkpoint):
 * kept for an inspector opened later; `post: false` when the page already
 * has them (they came from a run in it).
 */
export function publishWeights(msg: WeightsMessage, options: { post: boolean } = { post: true }): void {
  latestWeights.set(`${msg.uri}#${msg.model}`, msg);
  if (options.post) InspectorPanel.current?.postWeights(msg);
}

/** The inspector page as a training run sees it. */
export interface TrainingBridge {
  /** Progress and checkpoints from the page. */
  readonly onMessage: vscode.Event<TrainEventMessage | CheckpointMessage>;
  /** The page is gone (panel closed) or was reloaded: a run in it has ended. The argument says which. */
  readonly onDidEnd: vscode.Event<string>;
  post(msg: TrainStartMessage | StopTrainingMessage | CheckpointSavedMessage): void;
}

/**
 * Opens (or reveals) the inspector on `doc` with `model` shown and resolves
 * once its page listens. Rejects when the page does not answer in time.
 */
export async function inspectorForTraining(doc: vscode.TextDocument, model: string, timeoutMs = 60_000): Promise<TrainingBridge> {
  await vscode.commands.executeCommand('nnmodel.openInspector', doc.uri, model);
  const panel = InspectorPanel.current;
  if (!panel) throw new Error('the inspector did not open');
  await panel.whenReady(timeoutMs);
  return panel.bridge;
}

export const INSPECTOR_VIEW_TYPE = 'nnmodel.inspector';
const MAX_IMAGE_BYTES = 20 * 1024 * 1024;
const IMAGE_MIME: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  bmp: 'image/bmp',
  webp: 'image/webp',
};

function backendSetting(): BackendSetting {
  const v = vscode.workspace.getConfiguration('nnmodel').get<string>('backend', 'auto');
  return (BACKEND_SETTINGS as readonly string[]).includes(v) ? (v as BackendSetting) : 'auto';
}

export function registerInspector(context: vscode.ExtensionContext, cache: AnalysisCache): vscode.Disposable {
  let log: vscode.LogOutputChannel | undefined;
  const logger = () => (log ??= vscode.window.createOutputChannel('nnmodel Inspector', { log: true }));
  return vscode.Disposable.from(
    vscode.commands.registerCommand('nnmodel.openInspector', async (uri?: unknown, modelName?: unknown) => {
      let doc: vscode.TextDocument | undefined;
      if (uri instanceof vscode.Uri) doc = await vscode.workspace.openTextDocument(uri);
      else {
        const editor = vscode.window.activeTextEditor;
        doc = editor && isNnmodel(editor.document) ? editor.document : undefined;
      }
      const panel = InspectorPanel.show(context.extensionUri, cache, logger);
      if (doc) panel.follow(doc, typeof modelName === 'string' ? modelName : undefined);
    }),
    // Brings the inspector back, on the document and model it showed, when the window reloads.
    vscode.window.registerWebviewPanelSerializer(INSPECTOR_VIEW_TYPE, {
      deserializeWebviewPanel: (panel, state) => InspectorPanel.restore(panel, state, context.extensionUri, cache, logger),
    }),
    { dispose: () => InspectorPanel.current?.dispose() },
    { dispose: () => log?.dispose() },
  );
}

/** What the page saves with its panel (webview/main.ts SavedState): the document and model it showed. */
function restoredTarget(state: unknown): { uri: vscode.Uri; model?: string } | undefined {
  if (typeof state !== 'object' || state === null) return undefined;
  const { uri, model } = state as { uri?: unknown; model?: unknown };
  if (typeof uri !== 'string') return undefined;
  try {
    return { uri: vscode.Uri.parse(uri, true), model: typeof model === 'string' ? model : undefined };
  } catch {
    return undefined;
  }
}

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

class InspectorPanel implements vscode.Disposable {
  static current: InspectorPanel | undefined;

  private readonly disposables: vscode.Disposable[] = [];
  private doc: vscode.TextDocument | undefined;
  private pinned: string | undefined;
  /** The model the cursor was in when `pinned` was set: moving into another one ends the pin. */
  private pinnedFrom: string | undefined;
  private shown: string | undefined;
  /** `uri@version#model` of the last `model` message, to send each analysis once. */
  private lastKey: string | undefined;
  private ready = false;
  private disposed = false;
  /** The backend and reason of the last `status` logged at info level (statusLogLine). */
  private lastStatus: string | undefined;
  private readyWaiters: (() => void)[] = [];
  private readonly trainingEmitter = new vscode.EventEmitter<TrainEventMessage | CheckpointMessage>();
  private readonly endEmitter = new vscode.EventEmitter<string>();
  /** `uri#model` whose checkpoint on disk was looked for in this page. */
  private readonly checkedDisk = new Set<string>();
  /** The training images last offered to the page, by document (with the folder they were listed from): `openImage` reads only these. */
  private readonly offeredImages = new Map<string, { folder: string; images: string[]; paths: Set<string> }>();
  /** The listing of training images in progress (`uri` and folder), stopped when the page shows a model that does not read that folder. */
  private listing: { key: string; abort: AbortController } | undefined;
  readonly bridge: TrainingBridge = {
    onMessage: this.trainingEmitter.event,
    onDidEnd: this.endEmitter.event,
    post: (msg) => this.post(msg),
  };

  static show(extensionUri: vscode.Uri, cache: AnalysisCache, logger: () => vscode.LogOutputChannel): InspectorPanel {
    if (InspectorPanel.current) {
      InspectorPanel.current.panel.reveal(undefined, true);
      return InspectorPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(
      INSPECTOR_VIEW_TYPE,
      'nnmodel Inspector',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      {
        ...webviewOptions(extensionUri),
        // The page holds a built tfjs model and its GPU/WASM state; rebuilding it on every tab switch would be slow.
        retainContextWhenHidden: true,
      },
    );
    InspectorPanel.current = new InspectorPanel(panel, extensionUri, cache, logger);
    return InspectorPanel.current;
  }

  /**
   * A panel VS Code restored after a reload: a fresh page in it, following
   * the document and model it showed (when that file can still be opened;
   * else the page asks for a .nnmodel file, as a new inspector does).
   */
  static async restore(
    panel: vscode.WebviewPanel,
    state: unknown,
    extensionUri: vscode.Uri,
    cache: AnalysisCache,
    logger: () => vscode.LogOutputChannel,
  ): Promise<void> {
    if (InspectorPanel.current) {
      // One inspector at a time: one was opened before this one came back.
      panel.dispose();
      return;
    }
    panel.webview.options = webviewOptions(extensionUri);
    const inspector = (InspectorPanel.current = new InspectorPanel(panel, extensionUri, cache, logger));
    const target = restoredTarget(state);
    if (!target) return;
    try {
      const doc = await vscode.workspace.openTextDocument(target.uri);
      if (isNnmodel(doc) && !inspector.disposed && !inspector.doc) inspector.follow(doc, target.model);
    } catch (e) {
      logger().info(`the inspector did not reopen ${target.uri.toString()}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly cache: AnalysisCache,
    private readonly logger: () => vscode.LogOutputChannel,
  ) {
    const webview = panel.webview;
    const asUri = (...p: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...p)).toString();
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'inspector.svg');
    // Set once: later updates go through postMessage.
    webview.html = inspectorHtml({
      cspSource: webview.cspSource,
      nonce: makeNonce(),
      scriptUri: asUri('dist', 'webview.js'),
      styleUri: asUri('media', 'inspector.css'),
      wasmBase: `${asUri('dist')}/`,
      initial: { backend: backendSetting() },
    });
    this.disposables.push(
      webview.onDidReceiveMessage((raw: unknown) => {
        const msg = parseWebviewMessage(raw);
        if (msg) void this.onMessage(msg);
        else {
          // A refused checkpoint still gets its answer: the page waits for one before it trains on.
          const refused = refusedCheckpoint(raw);
          if (refused) this.post({ type: 'checkpointSaved', uri: refused.uri, run: refused.run, epoch: refused.epoch, error: refused.error });
          this.logger().warn(refused ? `refused a checkpoint from the inspector webview: ${refused.error}` : 'ignored a malformed message from the inspector webview');
        }
      }),
      panel.onDidDispose(() => this.dispose()),
      vscode.window.onDidChangeActiveTextEditor((e) => {
        // Focusing the panel itself leaves no active text editor: keep following the last one.
        if (e && isNnmodel(e.document) && e.document !== this.doc) this.follow(e.document);
      }),
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (e.textEditor.document !== this.doc) return;
        this.onCursor(e.textEditor);
      }),
      cache.onDidAnalyze((e) => {
        if (e.document === this.doc) this.update();
      }),
      vscode.workspace.onDidCloseTextDocument((d) => {
        if (d !== this.doc) return;
        this.doc = undefined;
        this.lastKey = undefined;
        this.post({ type: 'empty', reason: 'The file was closed. Open a .nnmodel file to inspect its model.' });
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('nnmodel.backend')) this.post({ type: 'settings', backend: backendSetting() });
        // New sizes for symbolic dimensions: the model is sent again, and the page runs it at them.
        if (e.affectsConfiguration(DIMENSIONS_SETTING)) this.update();
      }),
      this.trainingEmitter,
      this.endEmitter,
    );
  }

  /** Resolves once the page has said `ready`; rejects after `timeoutMs`. */
  whenReady(timeoutMs: number): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the inspector page did not start within ${timeoutMs / 1000} s`)), timeoutMs);
      this.readyWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  postWeights(msg: WeightsMessage): void {
    this.post(msg);
  }

  /** Follows `doc`; `modelName` pins a model (from the CodeLens or the selector). */
  follow(doc: vscode.TextDocument, modelName?: string): void {
    if (doc !== this.doc) {
      this.doc = doc;
      this.pinned = undefined;
      this.pinnedFrom = undefined;
      this.shown = undefined;
    }
    if (modelName !== undefined) this.pin(modelName);
    this.update();
  }

  private pin(name: string): void {
    this.pinned = name;
    const doc = this.doc;
    const editor = doc && this.editorOf(doc);
    this.pinnedFrom = doc && editor ? this.modelAtCursor(editor)?.name : undefined;
  }

  private modelAtCursor(editor: vscode.TextEditor): { name: string } | undefined {
    const doc = editor.document;
    const offset = doc.offsetAt(editor.selection.active);
    return localModels(this.cache.get(doc), doc.uri.toString()).find((m) => m.range.start.offset <= offset && offset <= m.range.end.offset);
  }

  private editorOf(doc: vscode.TextDocument): vscode.TextEditor | undefined {
    const active = vscode.window.activeTextEditor;
    if (active?.document === doc) return active;
    return vscode.window.visibleTextEditors.find((e) => e.document === doc);
  }

  private update(): void {
    const doc = this.doc;
    if (!doc || !this.ready) return;
    const uri = doc.uri.toString();
    const analysis = this.cache.get(doc);
    const editor = this.editorOf(doc);
    const model = chooseModel(analysis, uri, {
      pinned: this.pinned,
      cursor: editor ? doc.offsetAt(editor.selection.active) : undefined,
      previous: this.shown,
    });
    if (!model) {
      this.shown = undefined;
      this.lastKey = undefined;
      this.post({ type: 'empty', uri, version: doc.version, reason: `${basename(doc.uri)} declares no model yet.` });
      return;
    }
    // The sizes the hovers and the summary use for its symbolic dimensions: the page runs the model at them too.
    const sizes = sizesFor(doc, analysis, model);
    const dims = sizes.values;
    const key = `${uri}@${doc.version}#${model.name}@${JSON.stringify(dims)}`;
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.shown = model.name;
    this.panel.title = `Inspect ${model.name}`;
    const trainData = this.trainDataInfo(doc, analysis, model);
    this.post({ ...modelMessage(analysis, model, uri, doc.version), ...(trainData ? { trainData: trainData.info } : {}), ...(Object.keys(dims).length ? { dims, dimSources: sizes.from } : {}) });
    if (editor) this.sendCursor(editor);
    this.refreshTrainImages(doc, trainData?.folder);
    void this.loadCheckpointFromDisk(doc, model.name);
  }

  /**
   * What `model`'s train section reads. For `images(...)` in a trusted
   * workspace, `folder` is the folder to list (`listTrainImages`) and the
   * info carries the images last listed for it, if any: the listing reads
   * the disk, so the model message does not wait for it.
   */
  private trainDataInfo(doc: vscode.TextDocument, analysis: Analysis, model: ModelInfo): { info: TrainDataInfo; folder?: string } | undefined {
    const source = analysis.trains.find((t) => t.model === model.name)?.config.data;
    if (!source) return undefined;
    if (source.kind === 'text') {
      const t = source.options.tokenizer;
      return { info: { kind: 'text', tokenizer: t === 'word' || t === 'bpe' ? t : 'char' } };
    }
    if (source.kind !== 'images') return { info: { kind: source.kind } };
    if (doc.uri.scheme !== 'file' || !vscode.workspace.isTrusted) return { info: { kind: 'images' } };
    const offered = this.offeredImages.get(doc.uri.toString());
    return { info: { kind: 'images', ...(offered?.folder === source.path ? { images: offered.images } : {}) }, folder: source.path };
  }

  /**
   * Lists the training images of `folder` (an `images(...)` folder of `doc`;
   * undefined when the model shown reads none) off the model message's path,
   * and sends them to the page when they differ from what it was last
   * offered. A listing of the same folder in progress is joined (each edit
   * sends a model message); one of another folder is stopped.
   */
  private refreshTrainImages(doc: vscode.TextDocument, folder: string | undefined): void {
    const uri = doc.uri.toString();
    const key = folder === undefined ? undefined : `${uri}\n${folder}`;
    if (this.listing && this.listing.key !== key) {
      this.listing.abort.abort();
      this.listing = undefined;
    }
    if (key === undefined || folder === undefined || this.listing) return;
    const listing = { key, abort: new AbortController() };
    this.listing = listing;
    const docDir = documentFolder(doc.uri.fsPath);
    listTrainImages(docDir, folder, workspaceRoots(docDir), { signal: listing.abort.signal }).then(
      (images) => {
        if (this.listing === listing) this.listing = undefined;
        if (listing.abort.signal.aborted || this.disposed) return;
        const before = this.offeredImages.get(uri);
        this.offeredImages.set(uri, { folder, images, paths: new Set(images) });
        if (before?.folder === folder && before.images.length === images.length && before.images.every((p, i) => p === images[i])) return;
        // Any model shown since the listing started reads this folder too (another one would have stopped it).
        if (this.doc === doc && this.shown !== undefined) this.post({ type: 'trainImages', uri, model: this.shown, images });
      },
      (e: unknown) => {
        if (this.listing === listing) this.listing = undefined;
        if (!(e instanceof Error && e.name === 'AbortError')) this.logger().warn(`could not list the training images in ${folder}: ${e instanceof Error ? e.message : String(e)}`);
      },
    );
  }

  /** Reads a training image the page was offered and sends it as the image to show. */
  private async openImage(uri: string, path: string): Promise<void> {
    const doc = this.doc;
    if (!doc || doc.uri.toString() !== uri || !this.offeredImages.get(uri)?.paths.has(path)) {
      this.logger().warn(`the inspector asked for ${path}, which is not one of the training images it was offered`);
      return;
    }
    const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
    try {
      // Its real path is checked now: a link that leads outside the workspace is refused, even one changed since the listing.
      const docDir = documentFolder(doc.uri.fsPath);
      const bytes = await readTrainImage(docDir, path, workspaceRoots(docDir), MAX_IMAGE_BYTES);
      this.post({ type: 'image', name: path, mime: IMAGE_MIME[ext] ?? 'image/png', bytes });
    } catch (e) {
      const m = `Could not read ${path}: ${e instanceof Error ? e.message : String(e)}`;
      this.logger().warn(m);
      void vscode.window.showWarningMessage(m);
    }
  }

  /**
   * The first time the page shows a model, loads the checkpoint on disk for
   * it (when there is one and no weights were published in this session),
   * so that an inspector opened after training shows the trained model.
   * The page loads the layers that still fit and says which do not.
   */
  private async loadCheckpointFromDisk(doc: vscode.TextDocument, model: string): Promise<void> {
    const key = `${doc.uri.toString()}#${model}`;
    if (this.checkedDisk.has(key)) return;
    this.checkedDisk.add(key);
    if (latestWeights.has(key) || doc.uri.scheme !== 'file' || !vscode.workspace.isTrusted) return;
    const folder = vscode.workspace.getConfiguration('nnmodel', doc).get<string>('checkpoints.folder') || undefined;
    try {
      const ck = await readModelCheckpoint(nodeCheckpointFs(), doc.uri.fsPath, model, folder);
      const dir = ck.dir;
      if (ck.modelJson.nnmodel.model !== model || latestWeights.has(key) || this.disposed) return;
      const rel = vscode.workspace.asRelativePath(dir, false);
      const msg: WeightsMessage = { type: 'weights', uri: doc.uri.toString(), model, epoch: ck.modelJson.nnmodel.epoch, modelJson: JSON.stringify(ck.modelJson), weights: ck.weights, from: rel };
      latestWeights.set(key, msg);
      this.post(msg);
      this.logger().info(`loaded the checkpoint of ${model} (epoch ${msg.epoch}) from ${dir}`);
    } catch (e) {
      const m = e instanceof Error ? e.message : String(e);
      // No checkpoint is the common case; a damaged one is worth a line in the log.
      if (!/no checkpoint here/.test(m)) this.logger().warn(`did not load the checkpoint of ${model}: ${m}`);
    }
  }

  private onCursor(editor: vscode.TextEditor): void {
    if (this.ready) {
      // Moving into another model switches to it; a model picked in the selector or
      // the CodeLens stays until the cursor enters a model other than the one it was in.
      const here = this.modelAtCursor(editor);
      if (here && this.pinned !== undefined && here.name !== this.pinnedFrom) this.pinned = undefined;
      if (here && this.pinned === undefined && here.name !== this.shown) {
        this.update();
        return;
      }
    }
    this.sendCursor(editor);
  }

  private sendCursor(editor: vscode.TextEditor): void {
    const doc = editor.document;
    const sel = editor.selection;
    const pos = (p: vscode.Position) => ({ line: p.line, character: p.character, offset: doc.offsetAt(p) });
    this.post({
      type: 'cursor',
      uri: doc.uri.toString(),
      version: doc.version,
      offset: doc.offsetAt(sel.active),
      range: { start: pos(sel.start), end: pos(sel.end) },
    });
  }

  private post(msg: HostToWebview): void {
    if (!this.ready) return;
    // Byte fields as plain Uint8Arrays: a Node Buffer would reach the page as a plain object, and the page would drop the message.
    void this.panel.webview.postMessage(forPostMessage(msg));
  }

  private async onMessage(msg: WebviewToHost): Promise<void> {
    switch (msg.type) {
      case 'ready':
        // A second `ready` means the page reloaded: whatever ran in it is gone.
        if (this.ready) this.endEmitter.fire('the inspector page reloaded');
        this.ready = true;
        this.lastKey = undefined;
        this.post({ type: 'settings', backend: backendSetting() });
        for (const w of latestWeights.values()) this.post(w);
        for (const resolve of this.readyWaiters.splice(0)) resolve();
        if (this.doc) this.update();
        else this.post({ type: 'empty', reason: 'Open a .nnmodel file to inspect its model.' });
        return;
      case 'reveal':
        await this.reveal(msg.uri, msg.range);
        return;
      case 'selectModel':
        if (this.doc?.uri.toString() === msg.uri) {
          this.pin(msg.name);
          this.update();
        }
        return;
      case 'pickImage':
        await this.pickImage();
        return;
      case 'openImage':
        await this.openImage(msg.uri, msg.path);
        return;
      case 'status': {
        const line = statusLogLine(msg, this.lastStatus);
        this.lastStatus = line.key;
        this.logger()[line.level](line.text);
        return;
      }
      case 'error':
        this.logger().error(msg.message);
        return;
      case 'saveFile':
        await this.saveFile(msg.requestId, msg.suggestedName, msg.data);
        return;
      case 'trainEvent':
      case 'checkpoint':
        this.trainingEmitter.fire(msg);
        return;
      default: {
        const never: never = msg;
        this.logger().warn(`unhandled inspector message ${JSON.stringify(never)}`);
      }
    }
  }

  private async reveal(uri: string, range: Range): Promise<void> {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
    if (!doc) return;
    const target = doc.validateRange(toRange(range));
    // The cursor goes to the start of the call, the selection covers it.
    const selection = new vscode.Selection(target.end, doc.validatePosition(toPosition(range.start)));
    const column = this.editorOf(doc)?.viewColumn;
    const editor = await vscode.window.showTextDocument(doc, { viewColumn: column, preserveFocus: false });
    // Set after showing: the show option takes a Range and would put the cursor at the end.
    editor.selection = selection;
    // Horizontal scroll back to the line's start first, then only as far right as the call needs (revealSteps says why).
    for (const step of revealSteps(target.start, target.end, doc.lineCount)) {
      const r = new vscode.Range(step.start.line, step.start.character, step.end.line, step.end.character);
      editor.revealRange(r, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    }
  }

  private async pickImage(): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showInformationMessage('nnmodel reads no files in an untrusted workspace; use a built-in sample image instead.');
      return;
    }
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false,
      openLabel: 'Use image',
      defaultUri: this.doc && this.doc.uri.scheme !== 'untitled' ? vscode.Uri.joinPath(this.doc.uri, '..') : vscode.workspace.workspaceFolders?.[0]?.uri,
      filters: { Images: Object.keys(IMAGE_MIME) },
    });
    const file = picked?.[0];
    if (!file) return;
    const ext = file.path.slice(file.path.lastIndexOf('.') + 1).toLowerCase();
    const mime = IMAGE_MIME[ext];
    if (!mime) {
      void vscode.window.showWarningMessage(`${basename(file)} is not an image the inspector reads (${Object.keys(IMAGE_MIME).join(', ')}).`);
      return;
    }
    const stat = await vscode.workspace.fs.stat(file);
    if (stat.size > MAX_IMAGE_BYTES) {
      void vscode.window.showWarningMessage(`${basename(file)} is larger than ${MAX_IMAGE_BYTES / 1024 / 1024} MiB.`);
      return;
    }
    const bytes = await vscode.workspace.fs.readFile(file);
    this.post({ type: 'image', name: basename(file), mime, bytes });
  }

  private async saveFile(requestId: number, suggestedName: string, data: string | Uint8Array): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      this.post({ type: 'saved', requestId, error: 'nnmodel writes no files in an untrusted workspace.' });
      return;
    }
    const ext = suggestedName.slice(suggestedName.lastIndexOf('.') + 1).toLowerCase();
    const folder =
      this.doc && this.doc.uri.scheme !== 'untitled' ? vscode.Uri.joinPath(this.doc.uri, '..') : vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, suggestedName) : undefined,
      filters: ext === 'svg' ? { 'SVG image': ['svg'] } : ext === 'png' ? { 'PNG image': ['png'] } : undefined,
      saveLabel: 'Export',
    });
    if (!target) {
      this.post({ type: 'saved', requestId });
      return;
    }
    try {
      await vscode.workspace.fs.writeFile(target, typeof data === 'string' ? new TextEncoder().encode(data) : data);
      this.post({ type: 'saved', requestId, path: target.fsPath });
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      this.post({ type: 'saved', requestId, error });
      void vscode.window.showErrorMessage(`Could not save ${basename(target)}: ${error}`);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.listing?.abort.abort();
    if (InspectorPanel.current === this) InspectorPanel.current = undefined;
    this.endEmitter.fire('the inspector was closed');
    this.panel.dispose();
    while (this.disposables.length) this.disposables.pop()?.dispose();
  }
}

function basename(uri: vscode.Uri): string {
  return uri.path.slice(uri.path.lastIndexOf('/') + 1);
}

/** The workspace folders on disk, or the document's folder `docDir` when there are none: the training images must be inside. */
function workspaceRoots(docDir: string): string[] {
  const roots = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
  return roots.length ? roots : [docDir];
}
