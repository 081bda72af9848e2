/**
 * The pure side of the inspector's Samples tab (no DOM, no tensors; unit
 * tested in Node): which states of the DDIM reverse process are shown and
 * how they are captioned, the GAN's latent walk between two noise vectors,
 * and the tab's texts. samples.ts draws, probes/generate.ts computes.
 */
import { samplerSteps } from '../../extension/core/runtime/diffusion';
import type { TrainRunConfig } from '../../extension/core/protocol';

/** Snapshots shown per image of the reverse process. */
export const SNAPSHOTS = 8;
/** Images of the latent walk between two noise vectors (both ends included). */
export const WALK_STEPS = 8;
/** Most images one Generate makes (the section's `samples` may ask for up to this). */
export const MAX_IMAGES = 64;

/** Which kind of generative model a train section trains, if any: decides whether the tab is shown. */
export function generativeKind(train: Pick<TrainRunConfig, 'loss' | 'denoise' | 'adversarial'> | undefined): 'diffusion' | 'gan' | undefined {
  if (train?.loss === 'denoise' && train.denoise) return 'diffusion';
  if (train?.loss === 'adversarial' && train.adversarial) return 'gan';
  return undefined;
}

/** One state of the reverse process that the tab shows. */
export interface Snapshot {
  /** DDIM steps done to reach it: 0 is the starting noise, `stepsTotal` the result. */
  done: number;
  /** The noise step x is at (the last state, x̂₀, is at 0). */
  t: number;
  caption: string;
}

/**
 * The states of a DDIM run of `sampleSteps` over a schedule of `steps`
 * (`ddimSample`: x starts at t = T − 1; after k steps it is at
 * taus[K − 1 − k], after the last, K, it is x̂₀), `want` of them evenly
 * spaced in t along the reverse process, from the starting noise to x̂₀
 * (both always shown), captioned with their t. Each state between is the
 * one nearest to its even share of the way from T − 1 down to 0; x̂₀ stands
 * at t = 0, so the state x reaches at taus[0] = 0, one step before it (ᾱ₀ ≈
 * 1: the same picture), is not shown beside it. Evenly spaced by steps done
 * instead, the x̂₀ step (which moves t by nothing) and the rounding of K / (want − 1)
 * made the gaps in t uneven (1000 steps, 50 sampler steps: 143 … 163 … 122).
 */
export function snapshotPlan(steps: number, sampleSteps: number, want = SNAPSHOTS): { stepsTotal: number; snapshots: Snapshot[] } {
  const taus = samplerSteps(steps, sampleSteps);
  const K = taus.length;
  const tOf = (done: number) => (done === K ? 0 : taus[K - 1 - done]);
  // The states at distinct noise levels, t falling: every state but the one at t = 0, then x̂₀.
  const states = Array.from({ length: K + 1 }, (_, done) => done).filter((done) => done === K || tOf(done) > 0);
  const n = states.length;
  const k = Math.max(1, Math.min(Math.floor(want), n));
  let picked: number[];
  if (k === n) picked = states;
  else if (k === 1) picked = [K];
  else {
    const top = tOf(0);
    picked = [states[0]];
    let from = 1;
    for (let i = 1; i < k - 1; i++) {
      const target = top * (1 - i / (k - 1));
      // Leave room for the picks still to come (distinct, in order), x̂₀ last.
      const to = n - 1 - (k - 1 - i);
      let best = from;
      for (let j = from + 1; j <= to; j++) if (Math.abs(tOf(states[j]) - target) < Math.abs(tOf(states[best]) - target)) best = j;
      picked.push(states[best]);
      from = best + 1;
    }
    picked.push(K);
  }
  const snapshots = picked.map((done): Snapshot => (done === K ? { done, t: 0, caption: 't = 0 (x̂₀)' } : { done, t: tOf(done), caption: `t = ${tOf(done)}` }));
  return { stepsTotal: K, snapshots };
}

/**
 * `count` noise vectors from z₀ to z₁ (both included) along the great
 * circle between them, spherical interpolation (White 2016, "Sampling
 * generative networks"): why not a straight line: a Gaussian z of many
 * dimensions lies near the sphere of radius √d, and the middle of a chord
 * is shorter than any z the generator saw in training. Vectors pointing the
 * same way are interpolated linearly (the chord is the arc); vectors pointing
 * opposite ways have no one great circle, and the chord passes through z = 0,
 * so the walk takes the half circle through a direction perpendicular to z₀,
 * its norm going linearly from |z₀| to |z₁| (only 1-value vectors, which
 * have no perpendicular, fall back to the line). Throws on lengths that differ.
 */
export function latentWalk(z0: ArrayLike<number>, z1: ArrayLike<number>, count = WALK_STEPS): Float32Array[] {
  if (z0.length !== z1.length) throw new RangeError(`noise vectors of ${z0.length} and ${z1.length} values`);
  const n = Math.max(2, Math.floor(count));
  let dot = 0;
  let n0 = 0;
  let n1 = 0;
  for (let i = 0; i < z0.length; i++) {
    dot += z0[i] * z1[i];
    n0 += z0[i] * z0[i];
    n1 += z1[i] * z1[i];
  }
  const cos = n0 > 0 && n1 > 0 ? Math.min(1, Math.max(-1, dot / Math.sqrt(n0 * n1))) : 1;
  const omega = Math.acos(cos);
  const sin = Math.sin(omega);
  const out: Float32Array[] = [];
  if (sin < 1e-6 && cos < 0 && z0.length > 1) {
    const r0 = Math.sqrt(n0);
    const r1 = Math.sqrt(n1);
    const perp = perpendicularUnit(z0, r0);
    for (let k = 0; k < n; k++) {
      const u = k / (n - 1);
      const r = (1 - u) * r0 + u * r1;
      const [c, s] = [Math.cos(Math.PI * u), Math.sin(Math.PI * u)];
      const z = new Float32Array(z0.length);
      for (let i = 0; i < z.length; i++) z[i] = r * (c * (z0[i] / r0) + s * perp[i]);
      out.push(z);
    }
    // The ends exactly (the arc's cos π is −1 only to rounding).
    out[n - 1] = Float32Array.from(z1);
    return out;
  }
  for (let k = 0; k < n; k++) {
    const u = k / (n - 1);
    const [a, b] = sin < 1e-6 ? [1 - u, u] : [Math.sin((1 - u) * omega) / sin, Math.sin(u * omega) / sin];
    const z = new Float32Array(z0.length);
    for (let i = 0; i < z.length; i++) z[i] = a * z0[i] + b * z1[i];
    out.push(z);
  }
  return out;
}

/** A unit vector perpendicular to `z` (of norm `norm` > 0, at least 2 values): the axis least along z, minus its part along z. */
function perpendicularUnit(z: ArrayLike<number>, norm: number): Float64Array {
  let j = 0;
  for (let i = 1; i < z.length; i++) if (Math.abs(z[i]) < Math.abs(z[j])) j = i;
  const e = new Float64Array(z.length);
  const along = z[j] / norm;
  for (let i = 0; i < z.length; i++) e[i] = (i === j ? 1 : 0) - along * (z[i] / norm);
  const len = Math.hypot(...e);
  for (let i = 0; i < e.length; i++) e[i] /= len;
  return e;
}

/**
 * How many images one Generate makes for a train section's `samples`: at
 * least `least` (1 for a diffusion model; 2 for a GAN, whose walk needs two
 * ends), at most MAX_IMAGES. The tab says this number, not `samples`.
 */
export function imageCount(samples: number, least: 1 | 2): number {
  return Math.max(least, Math.min(MAX_IMAGES, Number.isFinite(samples) ? Math.floor(samples) : least));
}

/** "1 image", "4 images". */
export function imagesText(n: number): string {
  return `${n} image${n === 1 ? '' : 's'}`;
}

/**
 * The progress line of a DDIM run of `total` steps after `done` of them, or
 * undefined when it should not change: it moves in about tenths (and at the
 * first and the last step), so that the page does not redraw text on every step.
 */
export function progressText(done: number, total: number, shown: number | undefined): string | undefined {
  const bucket = (k: number) => Math.floor((10 * k) / Math.max(1, total));
  if (shown !== undefined && done !== total && bucket(done) === bucket(shown)) return undefined;
  return `step ${done} of ${total}`;
}

/** Captions of the latent walk: z₀, the fractions between, z₁. */
export function walkCaptions(count = WALK_STEPS): string[] {
  const n = Math.max(2, Math.floor(count));
  return Array.from({ length: n }, (_, k) => (k === 0 ? 'z₀' : k === n - 1 ? 'z₁' : `${Math.round((100 * k) / (n - 1))} %`));
}

/** Which weights generate: the trained ones of an epoch (and where they came from), or the initial random ones. */
export function weightsNote(trained: { epoch: number; from?: string; loaded?: number; total?: number } | undefined): string {
  if (!trained) return 'Initial (untrained, random) weights: train the model, or open a folder with its checkpoint, to see what it learned.';
  const from = trained.from ? `, from the checkpoint in ${trained.from}` : '';
  // A checkpoint of an earlier version of the model: the layers that no longer fit keep their random weights.
  if (trained.loaded !== undefined && trained.total !== undefined && trained.loaded < trained.total) {
    const rest = trained.total - trained.loaded;
    return `Trained weights of epoch ${trained.epoch} in only ${trained.loaded} of ${trained.total} layers${from}: the model changed since, and the ${rest === 1 ? 'layer that no longer fits keeps its' : `${rest} layers that no longer fit keep their`} initial (random) weights. Train the model again to see what it learns.`;
  }
  return `Trained weights of epoch ${trained.epoch}${from}.`;
}

/** [−1, 1] (a diffusion model's pixel range) to [0, 1], clipped; NaN stays NaN (drawn black by `toByte`). */
export function unitFromSigned(v: ArrayLike<number>): Float32Array {
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = Math.min(1, Math.max(0, (v[i] + 1) / 2));
  return out;
}

/** [h, w, c] of an image example shape (a 2-D example is one channel); undefined when not an image (or sizes unknown). */
export function imageShape(shape: readonly (number | null)[]): [number, number, number] | undefined {
  if (!shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d > 0)) return undefined;
  if (shape.length === 3 && (shape[2] === 1 || shape[2] === 3)) return [shape[0]!, shape[1]!, shape[2]!];
  if (shape.length === 2) return [shape[0]!, shape[1]!, 1];
  return undefined;
}
