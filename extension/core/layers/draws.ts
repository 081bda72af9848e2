/**
 * Seeds for the random tensors that layers draw in training: dropout's masks
 * and `gaussian_noise`'s noise, drawn on the backend by `tf.randomUniform` /
 * `tf.randomNormal` with an explicit seed.
 *
 * The seed of a draw is a function of (the run's seed and model, the epoch,
 * the layer, the number of draws the layer made before in that epoch) only.
 * The trainers restart every layer's stream at the start of each epoch
 * (`reseedRandomLayers`, augment.ts), so a run resumed after epoch n draws in
 * epoch n + 1 exactly what an uninterrupted run draws, and two runs with the
 * same seed draw the same. A layer is known by its name, which the builder
 * derives from the source (not by its build seed), so a model rebuilt with
 * another seed to receive a checkpoint's weights still draws the same.
 */
import { oneTensor, type TfConfigDict, type TfKwargs, type TfLayerArgs, type TfShape, type TfTensor } from './common';
import { fnv1a } from '../hash';
import type { Tf } from './types';

/** murmur3's 32-bit finaliser: every input bit moves every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * One 32-bit seed from integers, order-sensitive; never 0 (tfjs's random
 * ops take a seed of 0 as "no seed" and draw from `Math.random`).
 */
export function mixSeeds(...parts: number[]): number {
  let h = 0x243f6a88;
  for (const p of parts) h = fmix32(h ^ fmix32(Math.trunc(p) >>> 0));
  return h === 0 ? 1 : h;
}

/** FNV-1a of a string, 32 bits. */
export function hashName(s: string): number {
  return fnv1a(s) >>> 0;
}

/**
 * The stream of seeds of one layer. Before any trainer restarts it (a layer
 * called in training outside the trainers), it draws from its build seed.
 */
export class TrainingDraws {
  private readonly layer: number;
  private epochKey: number;
  private calls = 0;

  constructor(name: string, buildSeed: number) {
    this.layer = hashName(name);
    this.epochKey = mixSeeds(0x5eed, buildSeed, this.layer);
  }

  /** Starts epoch `epoch` (0-based) of the run whose stream is `run` (`reseedRandomLayers`). */
  restart(run: number, epoch: number): void {
    this.epochKey = mixSeeds(run, epoch, this.layer);
    this.calls = 0;
  }

  /** The seed of the next draw: one per training call. */
  next(): number {
    return mixSeeds(this.epochKey, this.calls++);
  }
}

/**
 * A layer that draws in training and is the identity at inference (dropout,
 * `gaussian_noise`): in training, when `active(amount)`, its output is
 * `draw(x, amount, seed)` with the next seed of its own stream, restarted
 * per epoch by `reseedRandomLayers` (augment.ts). Registered for
 * serialisation as `className`, its amount saved under `key` (Keras's
 * `rate`, `stddev`). Made once per `tf` module (wrap in `perTf`).
 */
export function seededLayerClass(
  tf: Tf,
  className: string,
  key: string,
  active: (amount: number) => boolean,
  draw: (x: TfTensor, amount: number, seed: number) => TfTensor,
): new (args: TfLayerArgs & { seed: number } & Record<string, unknown>) => InstanceType<Tf['layers']['Layer']> {
  class SeededLayer extends tf.layers.Layer {
    static className = className;
    readonly amount: number;
    readonly seed: number;
    private readonly draws: TrainingDraws;
    constructor(args: TfLayerArgs & { seed: number } & Record<string, unknown>) {
      super(args);
      this.amount = args[key] as number;
      this.seed = args.seed;
      this.supportsMasking = true;
      this.draws = new TrainingDraws(this.name, args.seed);
    }
    /** See `reseedRandomLayers` (augment.ts). */
    reseedForEpoch(epoch: number, run: number): void {
      this.draws.restart(run, epoch);
    }
    override computeOutputShape(inputShape: TfShape | TfShape[]): TfShape | TfShape[] {
      return inputShape;
    }
    override call(inputs: TfTensor | TfTensor[], kwargs: TfKwargs): TfTensor {
      const x = oneTensor(inputs);
      if (kwargs['training'] !== true || !active(this.amount)) return x;
      return tf.tidy(() => draw(x, this.amount, this.draws.next()));
    }
    override getConfig(): TfConfigDict {
      return { ...super.getConfig(), [key]: this.amount, seed: this.seed };
    }
  }
  tf.serialization.registerClass(SeededLayer);
  return SeededLayer;
}
