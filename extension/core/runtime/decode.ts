/**
 * Greedy decoding of an encoder-decoder model (two token inputs: source,
 * then the decoder's input), as it was trained by teacher forcing on
 * `sequences` (data/synthetic.ts `sequencePairs`): the decoder starts from
 * the start token and appends its most likely next token, one position at a
 * time. `nnmodel generate` writes answers with it; the attention view fills
 * the decoder's input with the model's own answer (webview/probes/decode.ts,
 * with heads switched off). No DOM; every tensor made here is disposed.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { Tf } from '../layers/types';

export interface GreedyDecoding {
  /** What the decoder read: the start token, then the answer without its last token. */
  decoderInput: number[];
  /** The model's answer: its most likely token at every position of the last pass. */
  answer: number[];
}

/**
 * Decodes `length` tokens for `source` (default: as many as the source has)
 * starting from `bos`. The model's output is `[1, positions, classes]`
 * (probabilities or logits: the most likely token is the same).
 */
export function greedyDecode(tf: Tf, model: tfTypes.LayersModel, source: readonly number[], bos: number, length = source.length): GreedyDecoding {
  if (length < 1 || source.length < 1) return { decoderInput: [], answer: [] };
  const decoderInput = [bos];
  const src = tf.tensor2d([Array.from(source)], [1, source.length], 'int32');
  try {
    for (;;) {
      const best = tf.tidy(() => {
        const tgt = tf.tensor2d([decoderInput], [1, decoderInput.length], 'int32');
        const out = model.predict([src, tgt]) as tfTypes.Tensor;
        return tf.argMax(out, -1).dataSync();
      });
      const answer = Array.from(best);
      if (decoderInput.length >= length) return { decoderInput, answer };
      decoderInput.push(answer[answer.length - 1]);
    }
  } finally {
    src.dispose();
  }
}
