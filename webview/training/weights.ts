/**
 * Trained weights in the inspector: the last checkpoint of each
 * (document, model), from a run in this page, Load Weights or a checkpoint
 * on disk, is kept and loaded into every new session of that
 * model (the session is rebuilt on each edit), layer by layer where the
 * graph still fits (see core/runtime/checkpoint.ts).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { WeightsMessage } from '../../extension/core/protocol';
import { checkpointExampleShape, checkpointMask, decodeWeights, graphSignature, layersLoadedText, matchSignature, type ModelJson } from '../../extension/core/runtime/checkpoint';
import { asTokenizerSpec, type TokenizerSpec } from '../../extension/core/runtime/tokenizers';
import type { EpochLogs } from '../../extension/core/runtime/train';
import { historyEntries } from './curves';
import { plural } from '../../extension/core/plural';
import type { ModelSession } from '../host/session';

export interface AppliedWeights {
  /**
   * Which weights message these came from (TrainedWeights.remember numbers
   * each one): the same for every session rebuilt from one message, new for
   * each message, even of the same checkpoint loaded again.
   */
  seq: number;
  epoch: number;
  /** The checkpoint folder when the host read them from disk. */
  from?: string;
  loaded: number;
  /** The model's layers with weights: `loaded` of them took the checkpoint's. */
  total: number;
  problems: string[];
  /** The tokeniser of the text the weights were trained on (the attention view encodes typed text with it). */
  tokenizer?: TokenizerSpec;
  /** The checkpoint's per-epoch figures (`nnmodel.history`, checked entry by entry): the Training tab draws them. */
  history: EpochLogs[];
  /** The names of the classes of the data the weights were trained on (`nnmodel.data.classes`), when it has them. */
  classes?: string[];
  /** The share of tokens masked when the weights were trained as a masked language model (`nnmodel.objective.mask`). */
  mask?: number;
}

export class TrainedWeights {
  private readonly last = new Map<string, { msg: WeightsMessage; seq: number }>();
  private seq = 0;

  /** Keeps `msg` as the weights of its (document, model), replacing earlier ones; each call is a new `seq`. */
  remember(msg: WeightsMessage): void {
    this.last.set(`${msg.uri}#${msg.model}`, { msg, seq: ++this.seq });
  }

  has(uri: string, model: string): boolean {
    return this.last.has(`${uri}#${model}`);
  }

  /**
   * The shape of one example of the data the remembered weights of (uri,
   * model) were trained on (`nnmodel.data.exampleShape`): the session is
   * built at it, so that weights whose size follows it fit. Undefined
   * without weights or without a shape of whole sizes.
   */
  exampleShape(uri: string, model: string): number[] | undefined {
    const kept = this.last.get(`${uri}#${model}`);
    if (!kept) return undefined;
    try {
      const meta = (JSON.parse(kept.msg.modelJson) as ModelJson).nnmodel;
      return meta ? checkpointExampleShape(meta) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Loads the remembered weights of (uri, model) into `session`; undefined when there are none. */
  applyTo(session: ModelSession, uri: string, model: string): AppliedWeights | undefined {
    const kept = this.last.get(`${uri}#${model}`);
    if (!kept) return undefined;
    const { msg, seq } = kept;
    const json = JSON.parse(msg.modelJson) as ModelJson;
    const values = decodeWeights(json, msg.weights);
    const current = graphSignature(session.built);
    const match = matchSignature(json.nnmodel.signature, current);
    const { tf } = session;
    const byPath = new Map<string, tfTypes.Tensor[]>();
    try {
      for (const { saved, current } of match.pairs) {
        const ws = values.get(saved);
        if (ws) byPath.set(current, ws.map((w) => tf.tensor(w.values, w.shape, 'float32')));
      }
      session.setWeights(byPath);
    } finally {
      for (const ts of byPath.values()) tf.dispose(ts);
    }
    return { seq, epoch: msg.epoch, from: msg.from, loaded: byPath.size, total: current.length, problems: match.problems, tokenizer: asTokenizerSpec(json.nnmodel.data?.tokenizer), history: historyEntries(json.nnmodel.history), ...classesOf(json.nnmodel.data?.classes), ...maskOf(json.nnmodel) };
  }
}

/** A checkpoint's masking rate (`checkpointMask`), when it records one. */
function maskOf(meta: Parameters<typeof checkpointMask>[0]): { mask?: number } {
  const mask = checkpointMask(meta);
  return mask === undefined ? {} : { mask };
}

/** A checkpoint's class names, when it has a list of strings (older or foreign files may not). */
function classesOf(x: unknown): { classes?: string[] } {
  return Array.isArray(x) && x.length > 0 && x.every((c) => typeof c === 'string') ? { classes: [...(x as string[])] } : {};
}

/**
 * The inspector's note about applied weights: what did not fit, or which
 * checkpoint on disk they came from; undefined for a run's own weights that
 * all fit (nothing to say).
 */
export function appliedText(r: Pick<AppliedWeights, 'epoch' | 'from' | 'loaded' | 'problems'> & { total?: number }): string | undefined {
  const loaded = r.total !== undefined ? layersLoadedText(r.loaded, r.total) : `${plural(r.loaded, 'layer')} loaded`;
  if (r.problems.length) return `Trained weights (epoch ${r.epoch}${r.from ? ` from ${r.from}` : ''}): ${loaded}; ${r.problems.join(' ')}`;
  if (r.from) return `Showing the trained weights of epoch ${r.epoch}, loaded from the checkpoint in ${r.from}.`;
  return undefined;
}
