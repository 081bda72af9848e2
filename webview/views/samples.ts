/**
 * The Samples tab, shown for a model whose train section is `loss: denoise`
 * (diffusion) or `loss: adversarial` (GAN): what the model generates with
 * its current weights (trained when a checkpoint is loaded, else the
 * initial ones; the tab says which).
 *
 * Diffusion: Generate runs the training's DDIM sampler (same schedule, same
 * number of steps) from seeded noise and shows, per image, the reverse
 * process: x at `SNAPSHOTS` states from t = T − 1 (noise) down to x̂₀.
 * GAN: a grid of G(z) for seeded z and the latent walk from z₀ to z₁ (the
 * grid's first two). "New noise" draws another seed. A newer run, Stop (the
 * Generate button while a run is in flight), a training start (`cancel`) or
 * a new model (`dispose`) cancels the one in flight; the sampler yields
 * between steps. `dispose` also takes the view out of its container: a view
 * whose session is gone must offer nothing to press.
 *
 * Accessibility: the status line (role=status) announces a run's start and
 * its result only; the step counter is a separate, non-live element that
 * moves in tenths, and the view is aria-busy while a run is in flight.
 *
 * Same module contract as the other tabs (views/types.ts), plus the train
 * section the shell passes in.
 */
import { plural } from '../../extension/core/plural';
import type { TrainRunConfig } from '../../extension/core/protocol';
import { makeSchedule, modelPredictor } from '../../extension/core/runtime/diffusion';
import { gaussianNoise } from '../../extension/core/runtime/gan';
import { createRng } from '../../extension/core/runtime/data/random';
import { storeStrip, type StoredStrip } from '../training/stripModel';
import { imageCell } from '../training/samples';
import { diffusionRoles, generatorImages, generatorShapes, reverseProcess } from '../probes/generate';
import { generativeKind, imageCount, imagesText, latentWalk, progressText, snapshotPlan, SNAPSHOTS, WALK_STEPS, walkCaptions, weightsNote } from './samplesModel';
import type { ViewContext } from './types';
import { button, el } from '../dom';

/** What the shell knows besides the view context: the train section and which weights the session has. */
export interface SamplesInput {
  train: TrainRunConfig;
  trained?: { epoch: number; from?: string; loaded?: number; total?: number };
  /** Lets the page breathe between sampler steps (training/runner.ts pageYield). */
  yieldNow: () => Promise<void>;
}

/** The run in flight: a newer run, `cancel` or `dispose` cancels it; `onEnd` puts the toolbar back. */
let run: { cancelled: boolean; onEnd?: () => void } | undefined;
let seed = 1;
/** The view drawn by the last `render` (removed by `dispose`). */
let view: HTMLElement | undefined;

/** Cancels the run in flight, if any (the view stays, ready for another Generate): training starts, Stop. */
export function cancel(): void {
  const r = run;
  run = undefined;
  if (!r) return;
  r.cancelled = true;
  r.onEnd?.();
}

/** Cancels the run and removes the view: its session is gone (the shell puts a placeholder in the panel). */
export function dispose(): void {
  cancel();
  view?.remove();
  view = undefined;
}

/** One image of `strip` as a canvas with its caption. */
function cell(strip: StoredStrip, index: number, label: string, caption: string): HTMLElement {
  return imageCell(strip, index, label, caption, 'nn-sample-image nn-gen-image');
}

/**
 * One snapshot of a reverse process: a cell that shrinks with the panel
 * (media/inspector.css `.nn-gen-process`), never wider than the image's
 * drawn size, the canvas filling it (pixelated, its aspect kept), so a row of
 * snapshots fits the panel's width and x̂₀, at its end, is always in view.
 */
function shrinkingCell(strip: StoredStrip, index: number, label: string, caption: string): HTMLElement {
  const c = cell(strip, index, label, caption);
  const canvas = c.querySelector('canvas');
  if (canvas) {
    // imageCell fixes the canvas's CSS size to its bitmap's; here the cell decides it.
    c.style.maxWidth = canvas.style.width;
    canvas.style.width = '100%';
    canvas.style.height = 'auto';
  }
  return c;
}

/** `count` images of `shape`, flat in [0, 1], as a strip for `imageRgba` (undefined when malformed). */
function strip(shape: [number, number, number], pixels: Float32Array, count: number): StoredStrip | undefined {
  return storeStrip({ kind: 'generated', epoch: 0, shape, pixels, count });
}

export async function render(container: HTMLElement, ctx: ViewContext, input: SamplesInput): Promise<void> {
  dispose();
  const kind = generativeKind(input.train);
  const root = el('div', 'nn-gen-view');
  const toolbar = el('div', 'nn-toolbar');
  const status = el('span', 'nn-toolbar-status');
  status.setAttribute('role', 'status');
  status.setAttribute('aria-live', 'polite');
  // Not live: rewritten as the sampler goes, which a screen reader must not read out step by step.
  const progress = el('span', 'nn-gen-progress');
  progress.setAttribute('aria-hidden', 'true');
  const note = el('p', 'nn-gen-weights', weightsNote(input.trained));
  const body = el('div', 'nn-gen-body');
  root.append(toolbar, note, body);
  container.replaceChildren(root);
  view = root;
  if (!kind) {
    body.append(el('p', 'nn-empty', 'The Samples tab shows what a generative model makes: train it with loss: denoise or loss: adversarial.'));
    return;
  }
  root.dataset.kind = kind;
  let generate: HTMLElement | undefined;
  const go = (fresh: boolean) => {
    // The session is gone (its model disposed): nothing to run on; the shell draws the next one.
    if (ctx.signal.aborted) return;
    if (fresh) seed++;
    cancel();
    const token: { cancelled: boolean; onEnd?: () => void } = { cancelled: false };
    const end = () => {
      root.removeAttribute('aria-busy');
      progress.textContent = '';
      if (generate) generate.textContent = 'Generate';
      if (run === token) run = undefined;
    };
    token.onEnd = () => {
      end();
      if (root.dataset.state === 'running') {
        root.dataset.state = 'stopped';
        status.textContent = 'Stopped.';
      }
    };
    run = token;
    root.setAttribute('aria-busy', 'true');
    if (generate) generate.textContent = 'Stop';
    const work = kind === 'diffusion' ? diffusion(ctx, input, token, body, status, progress, root) : gan(ctx, input, token, body, status, root);
    work.then(
      () => {
        if (!token.cancelled) end();
      },
      (e: unknown) => {
        if (token.cancelled || ctx.signal.aborted) return;
        end();
        root.dataset.state = 'failed';
        status.textContent = `Generating failed: ${e instanceof Error ? e.message : String(e)}`;
      },
    );
  };
  if (kind === 'diffusion') {
    // Generate turns into Stop while a run is in flight.
    generate = button('Generate', () => (run ? cancel() : go(false)), { className: 'nn-gen-generate', primary: true });
    toolbar.append(generate, button('New noise', () => go(true), { className: 'nn-gen-new', primary: true }), status, progress);
    const d = input.train.denoise!;
    status.textContent = `${imagesText(imageCount(d.samples, 1))}, ${d.sampleSteps} DDIM steps of the ${d.schedule} schedule over T = ${d.steps}: press Generate.`;
    root.dataset.state = 'idle';
  } else {
    toolbar.append(button('New noise', () => go(true), { className: 'nn-gen-new', primary: true }), status);
    // One forward pass of the generator: cheap enough to draw at once.
    go(false);
  }
  ctx.signal.addEventListener('abort', dispose, { once: true });
}

async function diffusion(ctx: ViewContext, input: SamplesInput, token: { cancelled: boolean }, body: HTMLElement, status: HTMLElement, progress: HTMLElement, root: HTMLElement): Promise<void> {
  const { tf } = ctx;
  const d = input.train.denoise!;
  const found = diffusionRoles(ctx.model);
  if (typeof found === 'string') throw new Error(found);
  const { roles, shape } = found;
  const n = imageCount(d.samples, 1);
  const size = shape[0] * shape[1] * shape[2];
  const schedule = makeSchedule(d.steps, d.schedule);
  // The steps the sampler really takes (samplerSteps may take fewer than asked for on a short schedule).
  const total = snapshotPlan(d.steps, d.sampleSteps).stepsTotal;
  root.dataset.state = 'running';
  status.textContent = `Generating ${imagesText(n)} in ${total} steps (seed ${seed})…`;
  const noise = tf.tensor(gaussianNoise(n, shape, createRng(seed)), [n, ...shape], 'float32');
  const t0 = performance.now();
  let result;
  try {
    // ddimSample yields between steps (after step k, before step k + 1): the counter shows the step in flight, 1 … K.
    let step = 1;
    let shown: number | undefined;
    const show = () => {
      const text = progressText(step, total, shown);
      if (text === undefined) return;
      shown = step;
      progress.textContent = text;
    };
    show();
    result = await reverseProcess(tf, modelPredictor(tf, ctx.model, roles), schedule, noise, d.sampleSteps, SNAPSHOTS, token, async () => {
      step = Math.min(total, step + 1);
      if (!token.cancelled) show();
      await input.yieldNow();
    });
  } finally {
    noise.dispose();
  }
  if (!result || token.cancelled || ctx.signal.aborted) return;
  const ms = performance.now() - t0;
  const { snapshots, frames } = result;
  const rows: HTMLElement[] = [];
  for (let i = 0; i < n; i++) {
    const pixels = new Float32Array(snapshots.length * size);
    frames.forEach((f, k) => pixels.set(f.subarray(i * size, (i + 1) * size), k * size));
    const s = strip(shape, pixels, snapshots.length);
    if (!s) throw new Error('the sampler gave images of another size than the model takes');
    const row = el('figure', 'nn-gen-process');
    row.setAttribute('aria-label', `reverse process of image ${i + 1} of ${n}`);
    const cap = el('figcaption', 'nn-samples-caption', `Image ${i + 1}`);
    const cells = el('div', 'nn-samples-row');
    snapshots.forEach((snap, k) => cells.append(shrinkingCell(s, k, `image ${i + 1} of ${n} at ${snap.caption}${k === 0 ? ', the starting noise' : ''}`, snap.caption)));
    row.append(cap, cells);
    rows.push(row);
  }
  body.replaceChildren(...rows);
  root.dataset.state = 'done';
  root.dataset.ms = ms.toFixed(0);
  status.textContent = `${imagesText(n)}, ${total} DDIM steps, seed ${seed}: ${(ms / 1000).toFixed(1)} s (${ctx.backend}).`;
}

async function gan(ctx: ViewContext, input: SamplesInput, token: { cancelled: boolean }, body: HTMLElement, status: HTMLElement, root: HTMLElement): Promise<void> {
  const found = generatorShapes(ctx.model);
  if (typeof found === 'string') throw new Error(found);
  const n = imageCount(input.train.adversarial!.samples, 2);
  const zSize = found.z.reduce((p, v) => p * v, 1);
  root.dataset.state = 'running';
  const t0 = performance.now();
  const z = gaussianNoise(n, found.z, createRng(seed));
  const grid = await generatorImages(ctx.tf, ctx.model, ctx.modelInfo, z, found.z, n);
  const walkZ = latentWalk(z.subarray(0, zSize), z.subarray(zSize, 2 * zSize), WALK_STEPS);
  const flat = new Float32Array(walkZ.length * zSize);
  walkZ.forEach((v, k) => flat.set(v, k * zSize));
  const walk = await generatorImages(ctx.tf, ctx.model, ctx.modelInfo, flat, found.z, walkZ.length);
  if (token.cancelled || ctx.signal.aborted) return;
  const gs = strip(found.image, grid, n);
  const ws = strip(found.image, walk, walkZ.length);
  if (!gs || !ws) throw new Error('the generator made images of another size than it declares');
  const gridFig = el('figure', 'nn-gen-grid');
  const gridRow = el('div', 'nn-samples-row');
  for (let i = 0; i < n; i++) gridRow.append(cell(gs, i, `G(z) image ${i + 1} of ${n}${i < 2 ? `, z${i === 0 ? '₀' : '₁'} of the walk` : ''}`, i === 0 ? 'z₀' : i === 1 ? 'z₁' : `#${i + 1}`));
  gridFig.append(el('figcaption', 'nn-samples-caption', `G(z) for ${n} noise vectors (seed ${seed})`), gridRow);
  const walkFig = el('figure', 'nn-gen-walk');
  const walkRow = el('div', 'nn-samples-row');
  const caps = walkCaptions(walkZ.length);
  caps.forEach((c, k) => walkRow.append(cell(ws, k, `latent walk image ${k + 1} of ${caps.length}: ${c} of the way from z₀ to z₁`, c)));
  walkFig.append(el('figcaption', 'nn-samples-caption', 'Latent walk from z₀ to z₁ (spherical interpolation)'), walkRow);
  body.replaceChildren(gridFig, walkFig);
  root.dataset.state = 'done';
  status.textContent = `${plural(n, 'image')} and a walk of ${walkZ.length}, seed ${seed}: ${((performance.now() - t0) / 1000).toFixed(2)} s.`;
}
