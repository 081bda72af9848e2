/**
 * What one analysis of a file produces. Everything the editor, the CLI, the
 * inspector and the runtime show comes from here. The graph IR is plain data
 * (after `toJSON`) that crosses the webview boundary unchanged.
 */
import type { Range, SourceFile } from '../syntax/ast';
import type { ArgValue, InternalActivation, LayerCategory, WeightSpec } from '../layers/types';
import type { Shape, Sym } from './sym';

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface TextEdit {
  range: Range;
  newText: string;
}

export interface Fix {
  title: string;
  edits: TextEdit[];
  /** The fix an editor should offer first (e.g. the one "did you mean"). */
  preferred?: boolean;
}

export interface Diagnostic {
  /** Stable code: 'syntax.expected', 'name.unknown_layer', 'shape.mismatch', ... */
  code: string;
  severity: Severity;
  message: string;
  range: Range;
  /** File the range is in, when not the analysed file (imports). */
  uri?: string;
  fixes?: Fix[];
  /** 'unnecessary' fades the range (unused values). */
  tags?: 'unnecessary'[];
  related?: { message: string; range: Range; uri?: string }[];
}

export interface Params {
  trainable: Sym;
  nonTrainable: Sym;
}

// ------------------------------------------------------------------ graph IR

/** A model input or, inside a group's body, the port a group input arrives on. */
export interface InputNode {
  kind: 'input';
  id: number;
  name: string;
  shape: Shape;
  range: Range;
  /** Index among the graph's inputs. */
  port: number;
}

export interface LayerNode {
  kind: 'layer';
  id: number;
  /** Registry name: 'conv2d'. */
  op: string;
  category: LayerCategory;
  /**
   * Short text for people (diagrams, summaries): 'conv2d(6, 5)'; in a block
   * body, with the values its parameters had: 'dense(512)' for `dense(hidden)`.
   */
  label: string;
  /** The call as written ('dense(hidden)') when `label` shows values in its place, else undefined. */
  source?: string;
  args: Readonly<Record<string, ArgValue>>;
  /** Node ids feeding it, in the order the runtime applies them (see LayerSpec.tfjs). */
  inputs: number[];
  shape: Shape;
  weights: WeightSpec[];
  /** Counted once per weight set: 0 on second and later uses of a shared layer object. */
  params: Params;
  macs: Sym;
  /** What the layer keeps inside itself besides its output (LayerSpec.internalActivations); undefined when nothing. */
  internal?: InternalActivation[];
  /** The call in source. */
  range: Range;
  uri?: string;
  /** Layer object name, when the layer is one (`wte`). */
  object?: string;
  /**
   * The layer object's identity, when the layer is one: every node with this id, in any graph of the
   * model (block bodies and repeats included), applies one set of weights. Each instance of a body
   * that defines the object (see `Graph.objects`) has its own.
   */
  objectId?: string;
  /**
   * Set when the layer object was applied before (weights shared; params 0): the id of the node that
   * first applied it when that node is in this graph, else -1 (it is in another graph: an enclosing
   * one, or an earlier block call's body).
   */
  sharedWith?: number;
  /** Diagnostics that are about this node (errors are marked in the diagram). */
  severity?: Severity;
}

/**
 * A block call, or a repeated call (`* N`). The body is analysed once per
 * distinct instantiation: `runs` lists consecutive identical instantiations
 * with their counts, so `gpt_block(768, 12) * 12` holds one body, count 12.
 */
export interface GroupNode {
  kind: 'group';
  id: number;
  /** Block name, or the layer name for a repeated plain layer. */
  label: string;
  block?: string;
  /** Total repeat count (sum of run counts). */
  repeat: number;
  runs: { count: number; body: Graph }[];
  inputs: number[];
  shape: Shape;
  /** Totals over all repeats. */
  params: Params;
  macs: Sym;
  range: Range;
  uri?: string;
  severity?: Severity;
}

export type GraphNode = InputNode | LayerNode | GroupNode;

export interface Graph {
  /** Topologically ordered. Ids are unique within this graph; a group body has its own. */
  nodes: GraphNode[];
  /** Input node ids in port order. */
  inputs: number[];
  /** Output node ids. */
  outputs: number[];
  /**
   * Ids of the layer objects defined in this body (`p = dense(4)` in a block): each instance of the
   * body has its own weights for them. Objects of the model are the model graph's. Undefined when none.
   */
  objects?: string[];
}

export interface Memory {
  /** float32 parameter bytes (trainable + non-trainable). */
  paramBytes: Sym;
  /**
   * Bytes of one example's activations: every layer's output, plus what a
   * layer keeps inside itself for the backward pass (attention's weights).
   */
  activationBytes: Sym;
}

export interface ModelInfo {
  name: string;
  range: Range;
  nameRange: Range;
  uri?: string;
  graph: Graph;
  inputs: { name: string; shape: Shape; range: Range }[];
  outputs: { shape: Shape; range: Range; nodeId: number }[];
  params: Params & { total: Sym };
  macs: Sym;
  memory: Memory;
  /** Symbolic dimension names in the inputs. */
  symbols: string[];
  /** Whether errors prevented a full analysis (counts then cover what was analysed). */
  hasErrors: boolean;
}

/**
 * Facts about one place in source, for hovers and inlay hints: a layer call,
 * a block call, a bound name or an input. Sorted by start offset.
 */
export interface SiteInfo {
  range: Range;
  kind: 'layer' | 'block' | 'value' | 'input' | 'object';
  /** Registry layer or block name, or the bound name. */
  name: string;
  /** Model in which this instance was seen (first instantiation wins). */
  model: string;
  inShapes: Shape[];
  outShape?: Shape;
  params?: Params;
  macs?: Sym;
  /** For layer calls: what the layer keeps inside itself besides its output (LayerSpec.internalActivations). */
  internal?: InternalActivation[];
  /** For block calls: how many times it repeats. */
  repeat?: number;
  /**
   * A site in a block body is analysed once per distinct instantiation, and
   * the fields above describe the first. Set when more than one reached it:
   * how many calls of this file (`calls`, by the outermost call each came
   * through) and what each distinct result was, the first call that gave it
   * first (`outcomes[0]` is the one shown above; at most 16 are kept).
   */
  instances?: SiteInstances;
}

export interface SiteInstances {
  calls: number;
  outcomes: SiteOutcome[];
  /** Distinct results beyond those kept in `outcomes`. */
  moreOutcomes: number;
}

export interface SiteOutcome {
  /** The call in the analysed file this instantiation came through (outermost when blocks nest). */
  via: Range;
  /** Its source text, shortened: `b(64)`. */
  call: string;
  outShape?: Shape;
  params?: Params;
}

/** A name that can be jumped to, renamed and referenced. */
export interface SymbolInfo {
  name: string;
  kind: 'model' | 'block' | 'param' | 'value' | 'input' | 'object' | 'train';
  /** Where it is declared (the identifier). */
  range: Range;
  uri?: string;
  /** The whole declaration (for outline). */
  fullRange: Range;
  /** Enclosing model or block name. */
  container?: string;
  references: { range: Range; uri?: string }[];
}

export interface TrainInfo {
  model: string;
  range: Range;
  /** Resolved settings, defaults filled in. */
  config: TrainConfig;
}

export type DataSource =
  | {
      kind: 'digits' | 'shapes' | 'sequences' | 'waves';
      options: Record<string, ArgValue>;
      /** `digits`/`shapes` without `size`: `options.size` is the side of the model's square image input (train.ts `withModelSize`). */
      sizeFromModel?: boolean;
    }
  | { kind: 'images'; path: string; options: Record<string, ArgValue> }
  | { kind: 'csv'; path: string; options: Record<string, ArgValue> }
  | { kind: 'text'; path: string; options: Record<string, ArgValue> };

/** `loss: denoise(...)`: a diffusion model learns to predict the noise added to its data (runtime/diffusion.ts). */
export interface DenoiseConfig {
  /** Noising steps T (DDPM: 1000). */
  steps: number;
  /** How the noise grows over the steps: DDPM's linear βs or Nichol & Dhariwal's cosine ᾱ. */
  schedule: 'linear' | 'cosine';
  /** Images generated after each epoch for the training view. */
  samples: number;
  /** Denoising steps of the sampler that makes them. */
  sampleSteps: number;
}

/** `loss: adversarial(Discriminator)`: the trained model is a GAN's generator, played against a second model of the file (runtime/gan.ts). */
export interface AdversarialConfig {
  /** The discriminator: a model of the same file. */
  discriminator: string;
  /** Images generated after each epoch for the training view. */
  samples: number;
}

export interface TrainConfig {
  data?: DataSource;
  loss: 'crossentropy' | 'mse' | 'mae' | 'binary_crossentropy' | 'denoise' | 'adversarial';
  /** Settings of `loss: denoise(...)`: present when `loss` is 'denoise' and its options are valid (an invalid option is an error, which stops training). */
  denoise?: DenoiseConfig;
  /** Settings of `loss: adversarial(...)`: present when `loss` is 'adversarial' and its options are valid. */
  adversarial?: AdversarialConfig;
  /** `beta1`: Adam's first-moment decay (default 0.9; DCGAN uses 0.5). */
  optimizer: { kind: 'adam' | 'sgd' | 'rmsprop'; lr: number; momentum?: number; beta1?: number };
  epochs: number;
  batch: number;
  validation: number;
  metrics: string[];
  /** `mixup: α`: each training batch mixed with a permutation of itself by λ ~ Beta(α, α), inputs and targets (runtime/train.ts `mixBatch`); absent: off. */
  mixup?: number;
  /**
   * `mask: rate`: masked language modelling on `text` (runtime/masking.ts):
   * the share of each window's positions chosen; the model gives back the
   * original token there. Absent: next-token prediction.
   */
  mask?: number;
}

export interface BlockInfoSummary {
  name: string;
  range: Range;
  nameRange: Range;
  params: { name: string; default?: string }[];
  uri?: string;
}

export interface Analysis {
  uri?: string;
  file: SourceFile;
  diagnostics: Diagnostic[];
  models: ModelInfo[];
  blocks: BlockInfoSummary[];
  sites: SiteInfo[];
  symbols: SymbolInfo[];
  trains: TrainInfo[];
}
