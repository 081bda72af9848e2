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
 * grid's first two). "New noise" draws another seed. A newer run (or a new
 * model) cancels the one in flight; the sampler yields between steps.
 *
 * Same module contract as the other tabs (views/types.ts), plus the train
 * section the shell passes in.
 */
import type { TrainRunConfig } from '../../extension/core/protocol';
import { makeSchedule } from '../../extension/core/runtime/diffusion';
import { gaussianNoise } from '../../extension/core/runtime/gan';
import { createRng } from '../../extension/core/runtime/data/random';
import { storeStrip, type StoredStrip } from '../training/stripModel';
import { imageCell } from '../training/samples';
import { diffusionRoles, generatorImages, generatorShapes, reverseProcessOf } from '../probes/generate';
import { generativeKind, latentWalk, MAX_IMAGES, SNAPSHOTS, WALK_STEPS, walkCaptions, weightsNote } from './samplesModel';
import type { ViewContext } from './types';

/** What the shell knows besides the view context: the train section and which weights the session has. */
export interface SamplesInput {
  train: TrainRunConfig;
  trained?: { epoch: number; from?: string };
  /** Lets the page breathe between sampler steps (training/runner.ts pageYield). */
  yieldNow: () => Promise<void>;
}

/** The run in flight: a newer run or `dispose` cancels it. */
let run: { cancelled: boolean } | undefined;
let seed = 1;

export function dispose(): void {
  if (run) run.cancelled = true;
  run = undefined;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function button(label: string, className: string, onClick: () => void): HTMLElement {
  const b = document.createElement('vscode-button');
  b.className = className;
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}

/** One image of `strip` as a canvas with its caption. */
function cell(strip: StoredStrip, index: number, label: string, caption: string): HTMLElement {
  return imageCell(strip, index, label, caption, 'nn-sample-image nn-gen-image');
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
  const note = el('p', 'nn-gen-weights', weightsNote(input.trained));
  const body = el('div', 'nn-gen-body');
  root.append(toolbar, note, body);
  container.replaceChildren(root);
  if (!kind) {
    body.append(el('p', 'nn-empty', 'The Samples tab shows what a generative model makes: train it with loss: denoise or loss: adversarial.'));
    return;
  }
  root.dataset.kind = kind;
  const go = (fresh: boolean) => {
    if (fresh) seed++;
    const token = { cancelled: false };
    dispose();
    run = token;
    const work = kind === 'diffusion' ? diffusion(ctx, input, token, body, status, root) : gan(ctx, input, token, body, status, root);
    work.catch((e: unknown) => {
      if (token.cancelled || ctx.signal.aborted) return;
      root.dataset.state = 'failed';
      status.textContent = `Generating failed: ${e instanceof Error ? e.message : String(e)}`;
    });
  };
  if (kind === 'diffusion') {
    toolbar.append(button('Generate', 'nn-gen-generate', () => go(false)), button('New noise', 'nn-gen-new', () => go(true)), status);
    const d = input.train.denoise!;
    status.textContent = `${Math.min(MAX_IMAGES, d.samples)} images, ${d.sampleSteps} DDIM steps of the ${d.schedule} schedule over T = ${d.steps}: press Generate.`;
    root.dataset.state = 'idle';
  } else {
    toolbar.append(button('New noise', 'nn-gen-new', () => go(true)), status);
    // One forward pass of the generator: cheap enough to draw at once.
    go(false);
  }
  ctx.signal.addEventListener('abort', dispose, { once: true });
}

async function diffusion(ctx: ViewContext, input: SamplesInput, token: { cancelled: boolean }, body: HTMLElement, status: HTMLElement, root: HTMLElement): Promise<void> {
  const { tf } = ctx;
  const d = input.train.denoise!;
  const found = diffusionRoles(ctx.model);
  if (typeof found === 'string') throw new Error(found);
  const { roles, shape } = found;
  const n = Math.max(1, Math.min(MAX_IMAGES, d.samples));
  const size = shape[0] * shape[1] * shape[2];
  const schedule = makeSchedule(d.steps, d.schedule);
  root.dataset.state = 'running';
  status.textContent = `Generating ${n} images in ${d.sampleSteps} steps (seed ${seed})…`;
  const noise = tf.tensor(gaussianNoise(n, shape, createRng(seed)), [n, ...shape], 'float32');
  const t0 = performance.now();
  let result;
  try {
    let done = 0;
    result = await reverseProcessOf(tf, ctx.model, roles, schedule, noise, d.sampleSteps, SNAPSHOTS, token, async () => {
      done++;
      status.textContent = `Generating ${n} images: step ${done} of ${d.sampleSteps} (seed ${seed})…`;
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
    snapshots.forEach((snap, k) => cells.append(cell(s, k, `image ${i + 1} of ${n} at ${snap.caption}${k === 0 ? ', the starting noise' : ''}`, snap.caption)));
    row.append(cap, cells);
    rows.push(row);
  }
  body.replaceChildren(...rows);
  root.dataset.state = 'done';
  root.dataset.ms = ms.toFixed(0);
  status.textContent = `${n} images, ${d.sampleSteps} DDIM steps, seed ${seed}: ${(ms / 1000).toFixed(1)} s (${ctx.backend}).`;
}

async function gan(ctx: ViewContext, input: SamplesInput, token: { cancelled: boolean }, body: HTMLElement, status: HTMLElement, root: HTMLElement): Promise<void> {
  const found = generatorShapes(ctx.model);
  if (typeof found === 'string') throw new Error(found);
  const n = Math.max(2, Math.min(MAX_IMAGES, input.train.adversarial!.samples));
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
  status.textContent = `${n} images and a walk of ${walkZ.length}, seed ${seed}: ${((performance.now() - t0) / 1000).toFixed(2)} s.`;
}
