/**
 * The contract between the inspector shell (webview/main.ts) and the views
 * in its tabs (graph, summary, feature maps, kernels, attention).
 *
 * A view module exports:
 *
 *   export function render(container: HTMLElement, ctx: ViewContext): void | Promise<void>;
 *   export function dispose(): void;
 *
 * `render` is called when the tab is shown and again whenever the model or
 * the runtime changes (a new analysis, another backend); `container` is the
 * tab's own element, emptied by the view as it sees fit. `dispose` is called
 * before the next `render` of a different model and when the panel closes:
 * the view must release every tensor it holds (the shell checks that
 * `tf.memory().numTensors` stays flat across re-renders) and every listener.
 * `ctx.signal` is aborted when the context is superseded, so long async work
 * can stop early.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { ModelInfo } from '../../extension/core/analysis/types';
import type { BuiltModel } from '../../extension/core/runtime/build';
import type { Range } from '../../extension/core/syntax/ast';
import type { TokenizerSpec } from '../../extension/core/runtime/tokenizers';
import type { BackendName, DocRef, PlainDiagnostic, PlainModelInfo, PlainSummaryRow, TrainDataInfo, WebviewToHost } from '../../extension/core/protocol';
import type { DimSource } from '../host/session';

export type Tf = typeof tfTypes;

export interface ViewContext {
  /** The TensorFlow.js module, backend already set. */
  readonly tf: Tf;
  /** The backend that runs (`tf.getBackend()`). */
  readonly backend: BackendName;
  /** The model built from the graph by the core's runtime builder, initial (seeded) or trained weights. */
  readonly model: tfTypes.LayersModel;
  /**
   * Everything the builder returned: `layerOf` (node path → tfjs layer),
   * `outputOf`, `nodeOf` (node path → IR node), `layerPaths` (topological).
   * Node paths are described in extension/core/runtime/build.ts.
   */
  readonly built: BuiltModel;
  /**
   * A model over the same layers (same weights) whose outputs are every
   * layer node's output, in the order of `paths` (`buildActivationModel`).
   * The shell owns it; views must not dispose it.
   */
  readonly activations: { readonly model: tfTypes.LayersModel; readonly paths: readonly string[] };
  /** Values given to the model's symbolic dimensions when building (`{ seq: 32 }`). */
  readonly dims: Readonly<Record<string, number>>;
  /** Where each of `dims` comes from (trained weights, the setting nnmodel.dimensions, the train section, the sample size, the least size the layers accept). */
  readonly dimSources?: Readonly<Record<string, DimSource>>;
  /** Why a size the layers raised above the sample size is what it is (`ModelSession.dimReasons`). */
  readonly dimReasons?: Readonly<Record<string, string>>;
  /** The model as the host sent it (plain JSON). */
  readonly info: PlainModelInfo;
  /** The same model with symbolic sizes restored (what the builder consumed). */
  readonly modelInfo: ModelInfo;
  /** Summary rows (same as the CLI and hovers). */
  readonly rows: readonly PlainSummaryRow[];
  readonly diagnostics: readonly PlainDiagnostic[];
  /** Document and version this context was built for. */
  readonly doc: DocRef;
  /** Sends a message to the extension host. */
  postMessage(msg: WebviewToHost): void;
  /** Selects a source range in the editor (e.g. a clicked node's call). */
  reveal(range: Range): void;
  /** The current sample image (user-picked or built-in), if any. */
  readonly image: ImageData | undefined;
  /** Name of the current image (a sample's name, or the file's), as given to `setImage` or picked; undefined while there is none. */
  readonly imageName: string | undefined;
  /** Sets the current sample image for every view (e.g. a built-in sample chosen in a view). */
  setImage(image: ImageData, name: string): void;
  /** Asks the host to let the user pick an image file; `onImage` listeners get it. */
  pickImage(): void;
  /** What the model's train section reads (for `images(...)`, the images `openImage` may ask for, as listed so far). */
  readonly trainData?: TrainDataInfo;
  /** Called when the host has listed new training images (`trainData.images` changed); returns a function that unsubscribes. */
  onTrainData(callback: () => void): () => void;
  /** Asks the host for one of `trainData.images`; `onImage` listeners get it. */
  openImage(path: string): void;
  /** Called whenever a new image is chosen; returns a function that unsubscribes. */
  onImage(callback: (image: ImageData, name: string) => void): () => void;
  /** Aborted when this context is superseded (new model, new backend, panel closing). */
  readonly signal: AbortSignal;
  /** The tokeniser of the text the loaded trained weights learned from, when they did (`data: text(...)`). */
  readonly trainedTokenizer?: TokenizerSpec;
  /** Which weights the model holds (the output strip says when they were never trained). */
  readonly weights?: WeightsState;
  /** The loss of the model's train section, when it has one (a class output is one trained as classes). */
  readonly trainLoss?: string;
  /** The train section's `mask: rate` (masked language modelling), when it has one. */
  readonly trainMask?: number;
}

/**
 * The weights a session holds: trained ones (their epoch, and the class
 * names of the data they learned from when it had names, from the
 * checkpoint, and its `objective.mask` when they were trained as a masked
 * language model), or the initial ones (seeded random values, or zeros for a
 * model too large to initialise at random).
 */
export type WeightsState = { kind: 'trained'; epoch: number; classes?: readonly string[]; mask?: number } | { kind: 'initial'; init: 'random' | 'zeros' };

/** What a tab module exports. */
export interface ViewModule {
  render(container: HTMLElement, ctx: ViewContext): void | Promise<void>;
  dispose(): void;
}
