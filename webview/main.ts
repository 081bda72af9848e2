/**
 * The inspector page: receives the model from the extension host, builds it
 * in TensorFlow.js on the chosen backend and shows it in tabs (graph,
 * summary, feature maps, kernels, attention). Built once per panel: every
 * update arrives by message (see extension/core/protocol.ts).
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import * as tf from '@tensorflow/tfjs';
import {
  parseHostMessage,
  droppedHostMessage,
  reviveModel,
  BACKEND_SETTINGS,
  type BackendSetting,
  type HostToWebview,
  type ModelMessage,
  type TrainStartMessage,
  type WebviewToHost,
} from '../extension/core/protocol';
import type { Range } from '../extension/core/syntax/ast';
import { configureWasm, selectBackend, type ActiveBackend } from './host/backend';
import { ImageRefused, decodeImage } from './host/image';
import { parseCssColour, setDivergingBackground } from './probes/colormap';
import { ModelSession } from './host/session';
import { GraphView } from './views/graph';
import { SummaryView } from './views/summary';
import { notRunningText } from './views/notRunningModel';
import { pathAt } from './views/sourceLink';
import type { ViewContext, ViewModule } from './views/types';
import * as attention from './views/attention';
import * as featureMaps from './views/featureMaps';
import * as kernels from './views/kernels';
import * as samples from './views/samples';
import { generativeKind } from './views/samplesModel';
import * as forecast from './views/forecast';
import { forecastOffered, wavesExampleShape } from './views/forecastModel';
import { tabAfterModel, type DisplacedTab } from './host/offeredTabs';
import { TrainingView } from './training/view';
import { initialSignalsUnavailable, measureInitialSignals } from './training/signalsInit';
import { modelStructure } from './training/signalsModel';
import { appliedText, TrainedWeights } from './training/weights';
import type { TokenizerSpec } from '../extension/core/runtime/tokenizers';
import { pageYield, TrainingRun } from './training/runner';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const post = (msg: WebviewToHost): void => vscode.postMessage(msg);

// ------------------------------------------------------------------ layout

const body = document.body;
configureWasm(body.dataset.wasmBase ?? '');
const initial = readInitial(body.dataset.initial);

function readInitial(raw: string | undefined): { backend: BackendSetting } {
  try {
    const v = JSON.parse(raw ?? '{}') as { backend?: unknown };
    if (typeof v.backend === 'string' && (BACKEND_SETTINGS as readonly string[]).includes(v.backend)) return { backend: v.backend as BackendSetting };
  } catch {
    // fall through to the default
  }
  return { backend: 'auto' };
}

function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: { id?: string; className?: string; text?: string } = {}, ...children: Node[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (props.id) e.id = props.id;
  if (props.className) e.className = props.className;
  if (props.text !== undefined) e.textContent = props.text;
  e.append(...children);
  return e;
}

const app = document.getElementById('app')!;
const modelSelect = document.createElement('vscode-single-select');
modelSelect.id = 'nn-model-select';
modelSelect.title = 'Model to inspect';
// The accessible name of the select's inner combobox (vscode-single-select's own `label`).
modelSelect.setAttribute('label', 'Model to inspect');
const titleEl = h('span', { id: 'nn-title', className: 'nn-title-text' });
// The runtime line is short ("WASM · 4.4 ms", or why the model does not run); why this backend, the
// WebGL renderer and the tensor counts are in its tooltip and in the details it opens.
const backendEl = h('span', { id: 'nn-backend', className: 'nn-backend', text: 'starting…' });
const forwardEl = h('span', { id: 'nn-forward', className: 'nn-forward' });
const reasonEl = h('div', { id: 'nn-backend-reason', className: 'nn-backend-reason' });
const rendererEl = h('div', { id: 'nn-renderer', className: 'nn-renderer' });
const forwardDetailEl = h('div', { id: 'nn-forward-detail' });
const debugEl = h('div', { id: 'nn-debug', className: 'nn-debug' });
const runtimeSummary = h('summary', { className: 'nn-runtime-summary' }, backendEl, forwardEl);
const runtimeDetails = h('details', { id: 'nn-runtime-details', className: 'nn-runtime-details' }, runtimeSummary, h('div', { className: 'nn-runtime-more' }, reasonEl, rendererEl, forwardDetailEl, debugEl));
const messageEl = h('div', { id: 'nn-message', className: 'nn-message' });
const header = h(
  'header',
  { className: 'nn-header' },
  h('div', { className: 'nn-header-row' }, titleEl, modelSelect),
  h('div', { className: 'nn-header-row nn-runtime' }, runtimeDetails),
);

const TABS = [
  { id: 'graph', title: 'Graph' },
  { id: 'summary', title: 'Summary' },
  { id: 'featureMaps', title: 'Feature maps' },
  { id: 'kernels', title: 'Kernels' },
  { id: 'attention', title: 'Attention' },
  { id: 'training', title: 'Training' },
  // Last, so that the saved tab index of the others stays valid; shown only for a generative train section.
  { id: 'samples', title: 'Samples' },
  // After Samples, for the same reason; shown only for a model trained on waves (a sequence regression).
  { id: 'forecast', title: 'Forecast' },
] as const;
type TabId = (typeof TABS)[number]['id'];

/** Tabs in the strip only for the models they are for (offerTab). */
const OFFERED_TABS: ReadonlySet<TabId> = new Set<TabId>(['samples', 'forecast']);

const tabs = document.createElement('vscode-tabs');
tabs.id = 'nn-tabs';
const panels = new Map<TabId, HTMLElement>();
const tabHeaders = new Map<TabId, HTMLElement>();
/** The vscode-tab-panel of each tab (the Samples one goes in and out of the DOM with its header). */
const tabPanels = new Map<TabId, HTMLElement>();
for (const t of TABS) {
  const th = document.createElement('vscode-tab-header');
  th.slot = 'header';
  // vscode-tabs assigns its own ids to headers and panels (for aria); tests find tabs by this attribute.
  th.dataset.tab = t.id;
  th.textContent = t.title;
  tabHeaders.set(t.id, th);
  const panel = document.createElement('vscode-tab-panel');
  const content = h('div', { id: `nn-panel-${t.id}`, className: `nn-panel nn-panel-${t.id}` });
  panel.appendChild(content);
  panels.set(t.id, content);
  tabPanels.set(t.id, panel);
  // The Samples and Forecast tabs go in when a model with a generative or a waves train section arrives (onModel).
  if (!OFFERED_TABS.has(t.id)) tabs.append(th, panel);
}
app.replaceChildren(header, messageEl, tabs);
wrapTabStrip(tabs);

/**
 * Lets the tab headers wrap onto more rows in a narrow panel instead of
 * running off its right edge (where a selected tab scrolled the whole page
 * sideways). The strip is in vscode-tabs' shadow root, which the page's CSS
 * cannot reach: a constructed sheet is added to it (the CSP allows these).
 */
function wrapTabStrip(el: HTMLElement): void {
  const root = el.shadowRoot;
  if (!root) return;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync('.header { min-width: 0; } .tablist { flex-wrap: wrap; min-width: 0; }');
  root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
}

/**
 * Puts an offered tab's header and panel (Samples, Forecast) in the tab
 * strip, or takes them out. Out of the DOM, not hidden: vscode-tabs moves
 * the keyboard focus by index over every header it has, hidden or not, and
 * Enter would select a hidden tab. They come last, so the other tabs'
 * indices (and the saved one) stay; vscode-tabs counts only the headers in
 * the strip, which `tabIndex` and `tabAt` translate.
 */
function offerTab(id: TabId, offer: boolean): void {
  const th = tabHeaders.get(id)!;
  if (offer === th.isConnected) return;
  if (offer) tabs.append(th, tabPanels.get(id)!);
  else {
    th.remove();
    tabPanels.get(id)!.remove();
  }
  // An offered tab that is the active one (a saved tab, before its model came) is selected at its place in the strip.
  if (offer && activeTab === id) tabs.setAttribute('selected-index', String(tabIndex(id)));
}

/** The headers in the strip, in order. */
function stripHeaders(): HTMLElement[] {
  return Array.from(tabs.children).filter((c): c is HTMLElement => c.tagName.toLowerCase() === 'vscode-tab-header');
}

/** vscode-tabs' index of tab `id` (its place among the headers in the strip); its TABS index while it is not in the strip. */
function tabIndex(id: TabId): number {
  const i = stripHeaders().findIndex((h) => h.dataset.tab === id);
  return i >= 0 ? i : TABS.findIndex((t) => t.id === id);
}

/** The tab at vscode-tabs' index `index`. */
function tabAt(index: number): TabId | undefined {
  const id = stripHeaders()[index]?.dataset.tab;
  return TABS.find((t) => t.id === id)?.id;
}

// Training runs here (training/runner.ts); the tab draws its curves, and trained weights load into each new session.
const trainingView = new TrainingView();
panels.get('training')!.append(trainingView.element);
const trainedWeights = new TrainedWeights();
/** The tokeniser the current session's trained weights were trained with (see ViewContext.trainedTokenizer). */
let trainedTokenizer: TokenizerSpec | undefined;
/** The epoch (and folder) of the trained weights in the current session, and how many of the model's layers took them; undefined for initial weights (the Samples and Forecast tabs say which). */
let trainedState: { epoch: number; from?: string; loaded: number; total: number } | undefined;
/** The class names of the data the current session's trained weights learned from (the output strip's labels). */
let trainedClasses: string[] | undefined;
/** The masking rate the current session's trained weights were trained with (a masked language model), from their checkpoint. */
let trainedMask: number | undefined;
function applyTrainedWeights(s: ModelSession, msg: ModelMessage): void {
  trainedTokenizer = undefined;
  trainedState = undefined;
  trainedClasses = undefined;
  trainedMask = undefined;
  try {
    const r = trainedWeights.applyTo(s, msg.uri, msg.model.name);
    // The Training tab says which weights these are and draws the epochs that trained them.
    trainingView.showWeights(msg.model.name, r);
    trainedTokenizer = r?.tokenizer;
    trainedClasses = r?.classes;
    trainedMask = r?.mask;
    if (r) trainedState = { epoch: r.epoch, ...(r.from ? { from: r.from } : {}), loaded: r.loaded, total: r.total };
    // Tests and the kernel views can tell trained weights from initial ones.
    if (r) document.body.dataset.trainedEpoch = String(r.epoch);
    else delete document.body.dataset.trainedEpoch;
    if (r?.from) document.body.dataset.trainedFrom = r.from;
    else delete document.body.dataset.trainedFrom;
    // The note about weights from disk (or what did not fit) goes when other weights replace them.
    const note = r && appliedText(r);
    if (note) showMessage(note);
    else if (messageEl.dataset.about === 'weights') showMessage('');
    if (r && (r.problems.length || r.from)) messageEl.dataset.about = 'weights';
  } catch (e) {
    // The session keeps its initial weights: the Training tab must not go on showing the previous model's.
    trainingView.showWeights(msg.model.name, undefined);
    delete document.body.dataset.trainedEpoch;
    delete document.body.dataset.trainedFrom;
    reportError(`loading trained weights failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

// ------------------------------------------------------------------ state

/**
 * What VS Code keeps of the page with its panel: the tab, and the document
 * and model shown, from which the extension restores the inspector when the
 * window reloads (its webview panel serializer).
 */
interface SavedState {
  tab?: number;
  uri?: string;
  model?: string;
}
const saved = (vscode.getState() ?? {}) as SavedState;
function saveState(patch: SavedState): void {
  Object.assign(saved, patch);
  vscode.setState(saved);
}
// A saved Samples tab stays active until the first model says whether it is offered (onModel falls back to the Graph).
/** A Samples or Forecast tab the page left for Graph while its model did not offer it (tabAfterModel). */
let displacedTab: DisplacedTab<TabId> | undefined;
let activeTab: TabId = TABS[typeof saved.tab === 'number' && saved.tab >= 0 && saved.tab < TABS.length ? saved.tab : 0].id;
tabs.setAttribute('selected-index', String(tabIndex(activeTab)));
trainingView.setVisible(activeTab === 'training');

let current: ModelMessage | undefined;
let setting: BackendSetting = initial.backend;
let backend: ActiveBackend | undefined;
let backendFor: BackendSetting | undefined;
let session: ModelSession | undefined;
let sessionKey: string | undefined;
let context: { ctx: ViewContext; abort: AbortController } | undefined;
/** The image each model (`uri#model`) was shown on: a model starts on its own default, not on the image another model was shown on. */
const images = new Map<string, { data: ImageData; name: string }>();
const currentImage = () => (current ? images.get(`${current.uri}#${current.model.name}`) : undefined);
const imageListeners = new Set<(image: ImageData, name: string) => void>();
/** The training images of the current model's `images(...)` folder: from its model message, then from the host's `trainImages` messages (it lists them after). */
let trainImages: { uri: string; model: string; images: string[] } | undefined;
const trainDataListeners = new Set<() => void>();
let renders = 0;
let lastForwardMs: number | undefined;
let nextRequest = 1;
const pendingSaves = new Map<number, (path: string | undefined) => void>();

const reveal = (range: Range): void => {
  if (current) post({ type: 'reveal', uri: current.uri, version: current.version, range });
};
const reportError = (message: string): void => {
  post({ type: 'error', uri: current?.uri, version: current?.version, message });
};

const graph = new GraphView(panels.get('graph')!, {
  reveal,
  error: (m) => {
    showMessage(m, 'error');
    reportError(m);
  },
  save: (suggestedName, data) =>
    new Promise((resolve) => {
      const requestId = nextRequest++;
      pendingSaves.set(requestId, resolve);
      post({ type: 'saveFile', requestId, suggestedName, data });
    }),
});
const summary = new SummaryView(panels.get('summary')!, { reveal });

const probeViews: Record<'featureMaps' | 'kernels' | 'attention', ViewModule> = { featureMaps, kernels, attention };
/** Probe views rendered for the current context (to dispose before the next). */
const rendered = new Set<keyof typeof probeViews>();

/**
 * Centres the diverging colour map (kernels, position encodings) on the
 * page's background, so that a zero weight reads as nothing in every theme;
 * on a theme change (VS Code rewrites the variables on <html> and the
 * body's class), the Kernels tab is drawn again with the new centre.
 */
function followThemeBackground(): void {
  const colour = parseCssColour(getComputedStyle(document.documentElement).getPropertyValue('--vscode-editor-background')) ?? parseCssColour(getComputedStyle(body).backgroundColor);
  if (!colour || !setDivergingBackground(colour)) return;
  body.dataset.divergingCentre = colour.join(',');
  if (!rendered.has('kernels')) return;
  probeViews.kernels.dispose();
  rendered.delete('kernels');
  if (activeTab === 'kernels') void renderActiveProbe();
}
followThemeBackground();
new MutationObserver(followThemeBackground).observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
new MutationObserver(followThemeBackground).observe(body, { attributes: true, attributeFilter: ['class'] });

function showMessage(text: string, kind: 'info' | 'error' = 'info'): void {
  delete messageEl.dataset.about;
  messageEl.textContent = text;
  messageEl.className = `nn-message nn-message-${kind}`;
  messageEl.hidden = !text;
}
showMessage('');

function updateDebug(): void {
  const m = tf.memory();
  debugEl.textContent = `Memory: ${m.numTensors} tensor${m.numTensors === 1 ? '' : 's'} · ${(m.numBytes / 1024 / 1024).toFixed(1)} MiB · ${renders} render${renders === 1 ? '' : 's'}`;
  debugEl.dataset.tensors = String(m.numTensors);
  debugEl.dataset.renders = String(renders);
  updateRuntimeTitle();
}

/** The runtime line's tooltip: everything its details say. */
function updateRuntimeTitle(): void {
  runtimeSummary.title = [reasonEl, rendererEl, forwardDetailEl, debugEl]
    .map((e) => e.textContent ?? '')
    .filter(Boolean)
    .join('\n');
}

/** The runtime line says the model does not run, and why (`text`, shown in full: it is not a detail). */
function showNotRunning(text: string): void {
  forwardEl.textContent = `not running: ${text}`;
  forwardEl.dataset.ms = '';
  forwardEl.classList.add('nn-not-running');
  forwardDetailEl.textContent = '';
  updateRuntimeTitle();
}

function updateRuntimeLine(): void {
  if (!backend) return;
  const name = backend.name === 'webgl' ? 'WebGL' : backend.name.toUpperCase();
  backendEl.textContent = name;
  backendEl.dataset.backend = backend.name;
  reasonEl.textContent = `Why ${name}: ${backend.reason}`;
  rendererEl.textContent = backend.renderer ? `WebGL renderer: ${backend.renderer}` : '';
  forwardEl.classList.remove('nn-not-running');
  forwardEl.textContent = lastForwardMs === undefined ? '' : `${lastForwardMs.toFixed(1)} ms`;
  forwardEl.dataset.ms = lastForwardMs === undefined ? '' : lastForwardMs.toFixed(3);
  forwardDetailEl.textContent = lastForwardMs === undefined ? '' : `Last forward pass: ${lastForwardMs.toFixed(1)} ms (one example through the whole model)`;
  updateRuntimeTitle();
}

// ---------------------------------------------------------- runtime work

/**
 * Runtime work runs one job at a time; while one runs, newer requests
 * replace each other, so a burst of edits builds only the last model.
 */
let running = false;
let queued = false;
function scheduleRuntime(): void {
  if (running) {
    queued = true;
    return;
  }
  running = true;
  void (async () => {
    try {
      do {
        queued = false;
        await runtimeJob();
      } while (queued);
    } finally {
      running = false;
    }
  })();
}

async function runtimeJob(): Promise<void> {
  try {
    // A run's tensors live on the backend it started on: a new backend setting waits until the run ends.
    if (!backend || (backendFor !== setting && !training && !trainingClaimed)) {
      teardownSession();
      backendEl.textContent = `starting (${setting})…`;
      backend = await selectBackend(setting);
      backendFor = setting;
      lastForwardMs = undefined;
      updateRuntimeLine();
    }
    const msg = current;
    if (!msg) {
      teardownSession();
      return;
    }
    // The sizes of symbolic dimensions too: a change of the setting rebuilds at the new ones.
    const key = `${msg.uri}@${msg.version}#${msg.model.name}@${backend.name}@${JSON.stringify(msg.dims ?? {})}`;
    if (key === sessionKey && session && !session.isDisposed) return;
    teardownSession();
    buildFailure = undefined;
    if (msg.model.hasErrors) {
      showNotRunning('fix the errors in the model first');
      // The open tab says so too (with the first error), rather than staying blank.
      await renderActiveProbe();
      return;
    }
    const info = reviveModel(msg.model);
    let next: ModelSession;
    try {
      // Built at the size its trained weights (else its train section's waves) give a size-dependent model: the weights fit, the forecast's windows feed.
      const exampleShape = trainedWeights.exampleShape(msg.uri, msg.model.name) ?? wavesExampleShape(msg.sample);
      next = ModelSession.create(tf, info, { seed: msg.seed, ...(exampleShape ? { exampleShape } : {}), ...(msg.dims ? { givenDims: msg.dims, ...(msg.dimSources ? { givenSources: msg.dimSources } : {}) } : {}) });
    } catch (e) {
      buildFailure = e instanceof Error ? e.message : String(e);
      showNotRunning(buildFailure);
      await renderActiveProbe();
      return;
    }
    session = next;
    applyTrainedWeights(next, msg);
    // The first pass compiles shaders / kernels; the second is the time worth showing.
    await next.forward();
    if (queued || next.isDisposed) {
      // A newer model or setting is waiting: drop this one, the next job builds afresh.
      teardownSession();
      return;
    }
    lastForwardMs = await next.forward();
    // Only a fully rendered session counts as current for `key`.
    sessionKey = key;
    renders++;
    updateRuntimeLine();
    const abort = new AbortController();
    context = { ctx: makeContext(msg, next, abort.signal), abort };
    await renderActiveProbe();
    updateDebug();
    post({
      type: 'status',
      uri: msg.uri,
      version: msg.version,
      backend: backend.name,
      reason: backend.reason,
      forwardMs: lastForwardMs,
      numTensors: tf.memory().numTensors,
    });
  } catch (e) {
    const m = e instanceof Error ? e.message : String(e);
    showMessage(`The model could not run: ${m}`, 'error');
    reportError(m);
  } finally {
    updateDebug();
  }
}

function teardownSession(): void {
  if (context) {
    context.abort.abort();
    for (const id of rendered) {
      try {
        probeViews[id].dispose();
      } catch (e) {
        reportError(`disposing the ${id} view failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    rendered.clear();
    if (samplesRendered) {
      // The view's buttons would run on the disposed model: a placeholder until the next session renders.
      samples.dispose();
      panels.get('samples')!.replaceChildren(notRunning());
    }
    samplesRendered = false;
    if (forecastRendered) {
      forecast.dispose();
      panels.get('forecast')!.replaceChildren(notRunning());
    }
    forecastRendered = false;
    context = undefined;
  }
  session?.dispose();
  session = undefined;
  sessionKey = undefined;
}

function makeContext(msg: ModelMessage, s: ModelSession, signal: AbortSignal): ViewContext {
  return {
    tf,
    backend: backend!.name,
    model: s.built.model,
    built: s.built,
    activations: s.activations,
    dims: s.dims,
    dimSources: s.dimSources,
    dimReasons: s.dimReasons,
    info: msg.model,
    modelInfo: s.modelInfo,
    rows: msg.rows,
    diagnostics: msg.diagnostics,
    doc: { uri: msg.uri, version: msg.version },
    postMessage: post,
    reveal,
    get image() {
      return currentImage()?.data;
    },
    get imageName() {
      return currentImage()?.name;
    },
    setImage: (data, name) => setImage(data, name),
    pickImage: () => post({ type: 'pickImage' }),
    get trainData() {
      const data = msg.trainData;
      if (data?.kind !== 'images') return data;
      const listed = trainImages && trainImages.uri === msg.uri && trainImages.model === msg.model.name ? trainImages.images : data.images;
      return listed ? { kind: data.kind, images: listed } : data;
    },
    onTrainData(callback) {
      trainDataListeners.add(callback);
      return () => trainDataListeners.delete(callback);
    },
    openImage: (path) => post({ type: 'openImage', uri: msg.uri, path }),
    onImage(callback) {
      imageListeners.add(callback);
      return () => imageListeners.delete(callback);
    },
    signal,
    trainedTokenizer,
    weights: trainedState
      ? { kind: 'trained', epoch: trainedState.epoch, ...(trainedClasses ? { classes: trainedClasses } : {}), ...(trainedMask !== undefined ? { mask: trainedMask } : {}) }
      : { kind: 'initial', init: s.zeroWeights ? 'zeros' : 'random' },
    ...(msg.train ? { trainLoss: msg.train.loss } : {}),
    ...(msg.train?.mask !== undefined ? { trainMask: msg.train.mask } : {}),
  };
}

function setImage(data: ImageData, name: string): void {
  if (current) images.set(`${current.uri}#${current.model.name}`, { data, name });
  for (const l of [...imageListeners]) {
    try {
      l(data, name);
    } catch (e) {
      reportError(`an image listener failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

/** Whether the Samples tab was rendered for the current context. */
let samplesRendered = false;

/** Why the current model could not be built although it has no errors (the builder's message), for the tabs' placeholder. */
let buildFailure: string | undefined;

/** What a probe tab says while there is no session to run: why, and the first error with a link to its line. */
function notRunning(): HTMLElement {
  const said = notRunningText(current?.model.hasErrors ?? false, current?.diagnostics ?? [], buildFailure);
  const box = h('div', { className: 'nn-empty nn-not-running-note' }, h('p', { text: said.text }));
  const error = said.error;
  if (error) {
    const link = h('a', { className: 'nn-error-link', text: `Line ${error.line}` });
    link.href = '#';
    link.title = 'Show it in the editor';
    link.addEventListener('click', (e) => {
      e.preventDefault();
      reveal(error.range);
    });
    const more = error.more > 0 ? ` (and ${error.more} more error${error.more === 1 ? '' : 's'}: see the Problems panel)` : '';
    box.append(h('p', { className: 'nn-first-error' }, link, document.createTextNode(`: ${error.message}${more}`)));
  }
  return box;
}

/**
 * The session and the message of the current model, when they belong together: for a moment after a switch
 * (say from a classifier to a diffusion model) the context is still the old model's, and its weights must not
 * meet the new train section. The Samples and Forecast tabs draw only then.
 */
function currentSession(): { ctx: ViewContext; msg: ModelMessage } | undefined {
  const ctx = context?.ctx;
  const msg = current;
  if (!ctx || !msg || ctx.info.name !== msg.model.name || ctx.doc.uri !== msg.uri || ctx.doc.version !== msg.version) return undefined;
  return { ctx, msg };
}

async function renderSamples(): Promise<void> {
  const container = panels.get('samples')!;
  const session = currentSession();
  if (!session) {
    container.replaceChildren(notRunning());
    return;
  }
  const { ctx, msg } = session;
  const train = msg.train;
  if (!train) {
    container.replaceChildren(h('p', { className: 'nn-empty', text: `${msg.model.name} has no train section: the Samples tab shows what a model trained with loss: denoise or loss: adversarial generates.` }));
    return;
  }
  if (samplesRendered) return;
  samplesRendered = true;
  try {
    await samples.render(container, ctx, { train, trained: trainedState, yieldNow });
  } catch (e) {
    if (ctx.signal.aborted) return;
    const m = e instanceof Error ? e.message : String(e);
    container.replaceChildren(h('p', { className: 'nn-message nn-message-error', text: `This view failed: ${m}` }));
    reportError(`samples: ${m}`);
  }
}

/** Whether the Forecast tab was rendered for the current context. */
let forecastRendered = false;

async function renderForecast(): Promise<void> {
  const container = panels.get('forecast')!;
  const session = currentSession();
  if (!session) {
    container.replaceChildren(notRunning());
    return;
  }
  const { ctx, msg } = session;
  const sample = msg.sample;
  if (!forecastOffered(sample)) {
    container.replaceChildren(h('p', { className: 'nn-empty', text: `${msg.model.name} is not trained on waves: the Forecast tab continues a series with a model trained on data: waves(...).` }));
    return;
  }
  if (forecastRendered) return;
  forecastRendered = true;
  try {
    await forecast.render(container, ctx, { sample, validation: msg.train?.validation ?? 0, trained: trainedState, yieldNow });
  } catch (e) {
    if (ctx.signal.aborted) return;
    const m = e instanceof Error ? e.message : String(e);
    container.replaceChildren(h('p', { className: 'nn-message nn-message-error', text: `This view failed: ${m}` }));
    reportError(`forecast: ${m}`);
  }
}

async function renderActiveProbe(): Promise<void> {
  if (activeTab === 'samples') return renderSamples();
  if (activeTab === 'forecast') return renderForecast();
  if (activeTab !== 'featureMaps' && activeTab !== 'kernels' && activeTab !== 'attention') return;
  const id = activeTab;
  const ctx = context?.ctx;
  const container = panels.get(id)!;
  if (!ctx) {
    container.replaceChildren(notRunning());
    return;
  }
  if (rendered.has(id)) return;
  rendered.add(id);
  try {
    await probeViews[id].render(container, ctx);
  } catch (e) {
    if (ctx.signal.aborted) return;
    const m = e instanceof Error ? e.message : String(e);
    container.replaceChildren(h('p', { className: 'nn-message nn-message-error', text: `This view failed: ${m}` }));
    reportError(`${id}: ${m}`);
  }
}

// ------------------------------------------------------------ messages

function onModel(msg: ModelMessage): void {
  current = msg;
  trainImages = msg.trainData?.images ? { uri: msg.uri, model: msg.model.name, images: msg.trainData.images } : undefined;
  if (saved.uri !== msg.uri || saved.model !== msg.model.name) saveState({ uri: msg.uri, model: msg.model.name });
  showMessage('');
  titleEl.textContent = msg.model.name;
  tabs.hidden = false;
  const names = msg.models;
  modelSelect.hidden = names.length < 2;
  modelSelect.replaceChildren(
    ...names.map((n) => {
      const o = document.createElement('vscode-option');
      o.textContent = n;
      o.setAttribute('value', n);
      if (n === msg.model.name) o.setAttribute('selected', '');
      return o;
    }),
  );
  modelSelect.value = msg.model.name;
  // The Samples tab only for a model trained as a generator (loss: denoise or loss: adversarial).
  const generative = generativeKind(msg.train) !== undefined;
  offerTab('samples', generative);
  // The Forecast tab only for a model trained on waves (the next value at every step).
  const forecasts = forecastOffered(msg.sample);
  offerTab('forecast', forecasts);
  // Signal & gradients at initialisation, on the page's tfjs once no model build or backend switch runs.
  const noSignals = initialSignalsUnavailable(msg);
  trainingView.offerInitialSignals(
    msg.model.name,
    noSignals
      ? { unavailable: noSignals }
      : {
          measure: async () => {
            if (!backend) scheduleRuntime();
            await runtimeIdle();
            return measureInitialSignals(tf, msg);
          },
        },
    msg.uri,
    modelStructure(msg),
  );
  // A Samples or Forecast tab no longer offered shows Graph; it comes back when the same model offers it again (offeredTabs.ts).
  const offered = (t: TabId) => (t === 'samples' ? generative : t === 'forecast' ? forecasts : true);
  const next = tabAfterModel(activeTab, offered, `${msg.uri}#${msg.model.name}`, displacedTab, 'graph');
  displacedTab = next.displaced;
  if (next.active !== activeTab) {
    activeTab = next.active;
    tabs.setAttribute('selected-index', String(tabIndex(activeTab)));
    saveState({ tab: TABS.findIndex((t) => t.id === activeTab) });
  }
  void graph.update(msg.model, msg.diagnostics);
  summary.update(msg.model, msg.rows);
  scheduleRuntime();
}

modelSelect.addEventListener('change', () => {
  const name = modelSelect.value;
  if (current && name && name !== current.model.name) post({ type: 'selectModel', uri: current.uri, name });
});

tabs.addEventListener('vsc-tabs-select', (e) => {
  // vscode-tabs counts the headers in the strip (Samples and Forecast come and go); the saved state, TABS'.
  const id = tabAt((e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex);
  if (!id) return;
  activeTab = id;
  // The user's pick: a tab the page left earlier does not come back over it.
  displacedTab = undefined;
  trainingView.setVisible(activeTab === 'training');
  saveState({ tab: TABS.findIndex((t) => t.id === id) });
  // The cursor may have moved while the table was hidden: bring its row into view.
  if (id === 'summary') requestAnimationFrame(() => summary.scrollToCurrent());
  void renderActiveProbe();
});

/** The layer sections of the Feature maps, Kernels and Attention tabs (each carries its layer's node path). */
const LAYER_SECTIONS = 'section.nn-fm-layer[data-path], section.nn-kernel-layer[data-path], section.nn-pos-layer[data-path], section.nn-attn-layer[data-path]';

/** In the open Feature maps, Kernels or Attention tab, marks the section of the layer the editor's cursor is in and scrolls to it. */
function followCursor(offset: number | undefined): void {
  if (!current || offset === undefined || (activeTab !== 'featureMaps' && activeTab !== 'kernels' && activeTab !== 'attention')) return;
  const panel = panels.get(activeTab)!;
  const sections = [...panel.querySelectorAll<HTMLElement>(LAYER_SECTIONS)];
  const path = pathAt(current.model.graph, sections.map((s) => s.dataset.path!), offset);
  const section = path === undefined ? undefined : sections.find((s) => s.dataset.path === path);
  for (const s of panel.querySelectorAll<HTMLElement>('section.nn-cursor-layer')) if (s !== section) s.classList.remove('nn-cursor-layer');
  if (!section || section.classList.contains('nn-cursor-layer')) return;
  section.classList.add('nn-cursor-layer');
  section.scrollIntoView({ block: 'nearest' });
}

/** Shows tab `id` as a click on its header would (vscode-tabs fires its select event only for the user's clicks and keys). */
function selectTab(id: TabId): void {
  const index = TABS.findIndex((t) => t.id === id);
  if (index < 0 || activeTab === id) return;
  tabs.setAttribute('selected-index', String(tabIndex(id)));
  activeTab = id;
  displacedTab = undefined;
  trainingView.setVisible(activeTab === 'training');
  saveState({ tab: index });
  void renderActiveProbe();
}

async function onMessage(msg: HostToWebview): Promise<void> {
  switch (msg.type) {
    case 'model':
      onModel(msg);
      return;
    case 'empty':
      current = undefined;
      titleEl.textContent = '';
      modelSelect.hidden = true;
      showMessage(msg.reason);
      tabs.hidden = true;
      scheduleRuntime();
      return;
    case 'cursor':
      if (current && msg.uri === current.uri) {
        graph.highlight(msg.offset);
        summary.highlight(msg.offset);
        followCursor(msg.offset);
      }
      return;
    case 'settings':
      if (msg.backend !== setting || !backend) {
        setting = msg.backend;
        scheduleRuntime();
      }
      return;
    case 'trainImages':
      if (current && current.uri === msg.uri && current.model.name === msg.model && current.trainData?.kind === 'images') {
        trainImages = { uri: msg.uri, model: msg.model, images: msg.images };
        for (const l of [...trainDataListeners]) {
          try {
            l();
          } catch (e) {
            reportError(`a training-images listener failed: ${e instanceof Error ? e.message : String(e)}`);
          }
        }
      }
      return;
    case 'image':
      try {
        setImage(await decodeImage(msg.bytes, msg.mime, msg.name), msg.name);
      } catch (e) {
        const m = e instanceof ImageRefused ? e.message : `${msg.name} could not be read as an image: ${e instanceof Error ? e.message : String(e)}`;
        showMessage(m, 'error');
        reportError(m);
      }
      return;
    case 'saved': {
      const resolve = pendingSaves.get(msg.requestId);
      pendingSaves.delete(msg.requestId);
      if (msg.error) showMessage(`Export failed: ${msg.error}`, 'error');
      resolve?.(msg.path);
      return;
    }
    case 'train':
      void startTraining(msg);
      return;
    case 'stopTraining':
      if (training && training.run === msg.run && training.msg.uri === msg.uri) {
        training.stop();
        trainingView.stopping(msg.run);
      }
      return;
    case 'checkpointSaved': {
      const key = `${msg.run}:${msg.epoch}`;
      const resolve = pendingCheckpoints.get(key);
      pendingCheckpoints.delete(key);
      resolve?.({ dir: msg.dir, error: msg.error });
      return;
    }
    case 'weights':
      trainedWeights.remember(msg);
      if (current && current.uri === msg.uri && current.model.name === msg.model) {
        // A fresh session picks the weights up as it is built.
        sessionKey = undefined;
        scheduleRuntime();
      }
      return;
    default: {
      const never: never = msg;
      reportError(`unhandled message ${JSON.stringify(never)}`);
    }
  }
}

// ---------------------------------------------------------------- training

let training: TrainingRun | undefined;
/** Set while a run waits for the runtime to be idle, before `training` is set. */
let trainingClaimed = false;
const pendingCheckpoints = new Map<string, (r: { dir?: string; error?: string }) => void>();
const yieldNow = pageYield();

/** Waits until no model build or backend switch is in progress (they share the tfjs engine with the run). */
async function runtimeIdle(): Promise<void> {
  while (running) await new Promise((r) => setTimeout(r, 20));
}

async function startTraining(msg: TrainStartMessage): Promise<void> {
  const refuse = (message: string) => {
    trainingView.handle(msg.run, msg.model.name, { kind: 'done', status: 'failed', message }, msg.uri);
    post({ type: 'trainEvent', uri: msg.uri, version: msg.version, run: msg.run, model: msg.model.name, event: { kind: 'done', status: 'failed', message } });
  };
  if (training || trainingClaimed) {
    refuse(`${training?.msg.model.name ?? 'A model'} is already training in this inspector; stop it first.`);
    return;
  }
  // A Samples run competes with training for the backend, and each epoch's rebuild would cancel it anyway.
  samples.cancel();
  forecast.cancel();
  // Claim the runtime so that no backend switch starts under the run; the runtime queue starts the backend if needed.
  trainingClaimed = true;
  try {
    if (!backend) scheduleRuntime();
    await runtimeIdle();
    if (!backend) {
      refuse('no TensorFlow.js backend could start (see the message above).');
      return;
    }
  } finally {
    trainingClaimed = false;
  }
  const started = new TrainingRun(msg, {
    tf,
    post,
    yieldNow,
    onEvent: (r, model, event) => trainingView.handle(r, model, event, msg.uri),
    waitSaved: (r, epoch) => new Promise((resolve) => pendingCheckpoints.set(`${r}:${epoch}`, resolve)),
    onWeights: (w) => {
      trainedWeights.remember(w);
      if (current && current.uri === w.uri && current.model.name === w.model) {
        // The views show the weights of the last complete epoch: rebuild the session with them.
        sessionKey = undefined;
        scheduleRuntime();
      }
    },
  });
  training = started;
  // Train Model (the command, the lens) shows the run: its progress, curves and signals are in the Training tab.
  selectTab('training');
  await started.done;
  training = undefined;
  for (const [key, resolve] of pendingCheckpoints) if (key.startsWith(`${msg.run}:`)) resolve({ error: 'the run ended' });
  updateDebug();
  // A backend setting changed during the run applies now.
  if (backendFor !== setting) scheduleRuntime();
}

window.addEventListener('message', (e: MessageEvent) => {
  const msg = parseHostMessage(e.data);
  if (msg) void onMessage(msg);
  else {
    // Never silent: a dropped host message is a bug the user and the log should see.
    const dropped = droppedHostMessage(e.data);
    if (dropped) {
      showMessage(dropped, 'error');
      reportError(dropped);
    }
  }
});

updateDebug();
post({ type: 'ready' });
