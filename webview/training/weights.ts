/**
 * Trained weights in the inspector: the last checkpoint of each
 * (document, model), from a run in this page, Load Weights or a checkpoint
 * on disk, is kept and loaded into every new session of that
 * model (the session is rebuilt on each edit), layer by layer where the
 * graph still fits (see core/runtime/checkpoint.ts).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { WeightsMessage } from '../../extension/core/protocol';
import { decodeWeights, graphSignature, matchSignature, type ModelJson } from '../../extension/core/runtime/checkpoint';
import { asTokenizerSpec, type TokenizerSpec } from '../../extension/core/runtime/tokenizers';
import type { EpochLogs } from '../../extension/core/runtime/train';
import { historyEntries } from './curves';
import type { ModelSession } from '../host/session';

export interface AppliedWeights {
  epoch: number;
  /** The checkpoint folder when the host read them from disk. */
  from?: string;
  loaded: number;
  problems: string[];
  /** The tokeniser of the text the weights were trained on (the attention view encodes typed text with it). */
  tokenizer?: TokenizerSpec;
  /** The checkpoint's per-epoch figures (`nnmodel.history`, checked entry by entry): the Training tab draws them. */
  history: EpochLogs[];
}

export class TrainedWeights {
  private readonly last = new Map<string, WeightsMessage>();

  remember(msg: WeightsMessage): void {
    this.last.set(`${msg.uri}#${msg.model}`, msg);
  }

  has(uri: string, model: string): boolean {
    return this.last.has(`${uri}#${model}`);
  }

  /** Loads the remembered weights of (uri, model) into `session`; undefined when there are none. */
  applyTo(session: ModelSession, uri: string, model: string): AppliedWeights | undefined {
    const msg = this.last.get(`${uri}#${model}`);
    if (!msg) return undefined;
    const json = JSON.parse(msg.modelJson) as ModelJson;
    const values = decodeWeights(json, msg.weights);
    const match = matchSignature(json.nnmodel.signature, graphSignature(session.built));
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
    return { epoch: msg.epoch, from: msg.from, loaded: byPath.size, problems: match.problems, tokenizer: asTokenizerSpec(json.nnmodel.data?.tokenizer), history: historyEntries(json.nnmodel.history) };
  }
}
