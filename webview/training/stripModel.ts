/**
 * The pure side of the Training tab's sample images (no DOM, unit tested in
 * Node): how a generative objective's `SampleStrip` (runtime/train.ts) is
 * kept (as bytes, a bounded history of generated strips spread over the
 * run), how big one image is drawn, its pixels scaled up by nearest
 * neighbour, and the captions and labels the view shows. samples.ts draws
 * what this computes.
 */
import type { SampleStrip } from '../../extension/core/runtime/train';

/** Most generated strips kept per run (the forward strip is kept besides). */
export const MAX_STRIPS = 50;

/** Longest side, in CSS pixels, an image is scaled up to at least (by a whole factor). */
export const MIN_IMAGE_PX = 64;

/** A strip as the view keeps it: values in [0, 1] quantised to bytes (a quarter of the memory, and what a canvas takes). */
export interface StoredStrip {
  kind: 'forward' | 'generated';
  epoch: number;
  /** [h, w, c], c 1 (grey) or 3 (RGB). */
  shape: [number, number, number];
  count: number;
  /** count · h · w · c bytes, image after image, channels last. */
  bytes: Uint8Array;
  captions?: string[];
}

/** A value in [0, 1] as a byte; out of range clamped, NaN black (as the CLI's PNG, cli/samplesPng.ts). */
export function toByte(v: number): number {
  return Math.round(Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)) * 255);
}

/** Longest side an image is kept at: larger images (an `images(size = 512)` GAN) are kept every k-th pixel. */
export const MAX_KEPT_SIDE = 256;

/** Bytes of generated strips kept per run at most: fewer than `MAX_STRIPS` strips of large images. */
export const MAX_KEPT_BYTES = 64 * 1024 * 1024;

/**
 * The strip as bytes, its images reduced (every k-th row and column) so
 * that no side exceeds `MAX_KEPT_SIDE`; undefined when it is malformed
 * (its pixels do not match its shape and count), which the caller reports.
 */
export function storeStrip(strip: SampleStrip): StoredStrip | undefined {
  const [h, w, c] = strip.shape;
  const whole = (n: number) => Number.isInteger(n) && n >= 1;
  if (!whole(h) || !whole(w) || (c !== 1 && c !== 3) || !whole(strip.count) || strip.pixels.length !== strip.count * h * w * c) return undefined;
  if (strip.captions && strip.captions.length !== strip.count) return undefined;
  const k = Math.ceil(Math.max(h, w) / MAX_KEPT_SIDE);
  const kh = Math.ceil(h / k);
  const kw = Math.ceil(w / k);
  const bytes = new Uint8Array(strip.count * kh * kw * c);
  let o = 0;
  for (let n = 0; n < strip.count; n++) {
    for (let y = 0; y < kh; y++) {
      for (let x = 0; x < kw; x++) {
        const src = ((n * h + y * k) * w + x * k) * c;
        for (let ch = 0; ch < c; ch++) bytes[o++] = toByte(strip.pixels[src + ch]);
      }
    }
  }
  return {
    kind: strip.kind,
    epoch: strip.epoch,
    shape: [kh, kw, c],
    count: strip.count,
    bytes,
    ...(strip.captions ? { captions: [...strip.captions] } : {}),
  };
}

/** How many generated strips like `strip` are kept: `MAX_STRIPS`, fewer when they would pass `MAX_KEPT_BYTES` (never under 2: the first and the latest). */
export function stripLimit(strip: StoredStrip): number {
  return Math.max(2, Math.min(MAX_STRIPS, Math.floor(MAX_KEPT_BYTES / Math.max(1, strip.bytes.length))));
}

/**
 * Adds a generated strip to `history` (sorted by epoch; a strip of an epoch
 * already there replaces it) and, past `max`, drops strips so that those
 * kept stay spread over the whole run: the first and the latest always
 * stay, and each drop removes the strip whose neighbours are closest
 * together in epochs (the one whose loss leaves the smallest gap). Why not
 * simply the oldest: the point of looking back is to compare early samples
 * with late ones. Returns the new history.
 */
export function addStrip(history: readonly StoredStrip[], strip: StoredStrip, max = stripLimit(strip)): StoredStrip[] {
  const out = history.filter((s) => s.epoch !== strip.epoch);
  out.push(strip);
  out.sort((a, b) => a.epoch - b.epoch);
  while (out.length > Math.max(2, max)) {
    let drop = 1;
    let gap = Infinity;
    for (let i = 1; i < out.length - 1; i++) {
      const g = out[i + 1].epoch - out[i - 1].epoch;
      // Ties drop the older strip: the recent ones are looked at most.
      if (g < gap) {
        gap = g;
        drop = i;
      }
    }
    out.splice(drop, 1);
  }
  return out;
}

/** The whole factor an image of `shape` is scaled up by: its longest side to at least `MIN_IMAGE_PX` (a 28-pixel digit: 3, 84 px). */
export function imageScale(shape: readonly [number, number, number]): number {
  return Math.max(1, Math.ceil(MIN_IMAGE_PX / Math.max(1, shape[0], shape[1])));
}

/**
 * Image `index` of the strip as RGBA bytes of a (w · scale) × (h · scale)
 * canvas, every source pixel a scale × scale block (nearest neighbour, so a
 * digit stays crisp); one channel is drawn as grey.
 */
export function imageRgba(strip: StoredStrip, index: number, scale = imageScale(strip.shape)): { width: number; height: number; rgba: Uint8ClampedArray<ArrayBuffer> } {
  const [h, w, c] = strip.shape;
  if (index < 0 || index >= strip.count) throw new RangeError(`image ${index} of a strip of ${strip.count}`);
  const width = w * scale;
  const height = h * scale;
  const rgba = new Uint8ClampedArray(width * height * 4);
  const base = index * h * w * c;
  for (let y = 0; y < height; y++) {
    const row = base + Math.floor(y / scale) * w * c;
    for (let x = 0; x < width; x++) {
      const src = row + Math.floor(x / scale) * c;
      const dst = (y * width + x) * 4;
      const r = strip.bytes[src];
      rgba[dst] = r;
      rgba[dst + 1] = c === 3 ? strip.bytes[src + 1] : r;
      rgba[dst + 2] = c === 3 ? strip.bytes[src + 2] : r;
      rgba[dst + 3] = 255;
    }
  }
  return { width, height, rgba };
}

/**
 * The forward strip's caption: "how the data is noised: t = 0 … 999" from
 * its first and last image's captions ('t = 0', 't = 999').
 */
export function forwardCaption(strip: StoredStrip): string {
  const caps = strip.captions;
  if (!caps || caps.length === 0) return 'how the data is noised';
  const first = caps[0];
  const last = caps[caps.length - 1];
  if (caps.length === 1) return `how the data is noised: ${first}`;
  // 't = 0' … 't = 999' reads as 't = 0 … 999'.
  const a = /^(\w+) = (.+)$/.exec(first);
  const b = /^(\w+) = (.+)$/.exec(last);
  return `how the data is noised: ${a && b && a[1] === b[1] ? `${first} … ${b[2]}` : `${first} … ${last}`}`;
}

/** The caption of a generated strip: "after epoch 3", and whether it is the latest. */
export function generatedCaption(strip: StoredStrip, latest: boolean): string {
  return `after epoch ${strip.epoch}${latest ? ' (latest)' : ''}`;
}

/** Beside the slider: the epochs it spans, and how many are kept when the history was thinned ("epochs 1–120, 50 kept"). */
export function historyText(history: readonly StoredStrip[]): string {
  if (history.length === 0) return '';
  const first = history[0].epoch;
  const last = history[history.length - 1].epoch;
  if (first === last) return `epoch ${first}`;
  return `epochs ${first}–${last}${history.length < last - first + 1 ? `, ${history.length} kept` : ''}`;
}

/** What a screen reader hears for image `index` of the strip. */
export function imageLabel(strip: StoredStrip, index: number): string {
  const [h, w, c] = strip.shape;
  const what = `${w}×${h} ${c === 1 ? 'grey' : 'colour'} image`;
  if (strip.kind === 'forward') return `training ${what} noised${strip.captions?.[index] ? ` at ${strip.captions[index]}` : ''}, ${index + 1} of ${strip.count}`;
  return `generated ${what} ${index + 1} of ${strip.count}, after epoch ${strip.epoch}${strip.captions?.[index] ? ` (${strip.captions[index]})` : ''}`;
}

/**
 * Which generated strip the view shows. `pinned` is the epoch the user
 * chose with the slider, or undefined to follow the latest: a new strip
 * moves the view only while it follows, so looking back at epoch 2 is not
 * interrupted by epoch 7 arriving. A pinned epoch thinned out of the
 * history shows the nearest kept one.
 */
export function shownIndex(history: readonly StoredStrip[], pinned: number | undefined): number {
  if (history.length === 0) return -1;
  if (pinned === undefined) return history.length - 1;
  let best = 0;
  for (let i = 1; i < history.length; i++) if (Math.abs(history[i].epoch - pinned) < Math.abs(history[best].epoch - pinned)) best = i;
  return best;
}
