/**
 * The sequence half of the layer registry: token and position layers,
 * attention and recurrent layers. `index.ts` adds `sequenceLayers` to the
 * registry; the runtime and the inspector use the exported tfjs helpers
 * (`isAttentionLayer` to find the layers that keep attention heatmaps).
 */
import type { LayerSpec } from './types';
import { clsToken, embedding, positional, sinusoidal, unembed } from './embedding';
import { attention } from './attention';
import { gru, lstm, rnn } from './recurrent';

export const sequenceLayers: LayerSpec[] = [embedding, unembed, positional, sinusoidal, clsToken, attention, rnn, lstm, gru];

export { attentionLayerClass, alibiSlopes, isAttentionLayer, type AttentionLayer, type AttentionOptions } from './attention';
export {
  tokenLayerClasses,
  sinusoidalTable,
  sinusoidalFrequencies,
  SINUSOIDAL_DEFAULT_MAXLEN,
  SINUSOIDAL_MAX_PERIOD,
  type UnembedLayer,
} from './embedding';
