/**
 * A sample strip (runtime/train.ts `SampleStrip`) as a PNG grid, for the
 * command line: `nnmodel train` writes the images a generative objective
 * makes (the forward noising strip, the generated images of the last epoch)
 * beside the checkpoint.
 */
import { PNG } from 'pngjs';
import type { SampleStrip } from '../core/runtime/train';
import { writeFileAtomic } from './files';
import { plural } from '../core/plural';

/** Pixels between images, grey. */
const GAP = 2;
/** Images per row of the grid. */
const PER_ROW = 8;

/**
 * Encodes the strip as one PNG: its images in rows of up to eight, values
 * in [0, 1] to bytes (clamped), one channel as grey. Each image is scaled up
 * by a whole factor so that a 28-pixel digit is not a speck.
 */
export function encodeSampleStrip(strip: SampleStrip): Buffer {
  const [h, w, c] = strip.shape;
  if (c !== 1 && c !== 3) throw new Error(`a sample strip has 1 or 3 channels, not ${c}`);
  if (strip.pixels.length !== strip.count * h * w * c) throw new Error(`a sample strip of ${plural(strip.count, 'image')} of [${h}, ${w}, ${c}] has ${strip.pixels.length} values`);
  const scale = Math.max(1, Math.floor(64 / Math.max(h, w)));
  const cols = Math.max(1, Math.min(PER_ROW, strip.count));
  const rows = Math.max(1, Math.ceil(strip.count / cols));
  const cw = w * scale;
  const ch = h * scale;
  const png = new PNG({ width: cols * cw + (cols + 1) * GAP, height: rows * ch + (rows + 1) * GAP });
  png.data.fill(128);
  for (let i = 0; i < png.data.length; i += 4) png.data[i + 3] = 255;
  const byte = (v: number) => Math.round(Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)) * 255);
  for (let n = 0; n < strip.count; n++) {
    const x0 = GAP + (n % cols) * (cw + GAP);
    const y0 = GAP + Math.floor(n / cols) * (ch + GAP);
    const base = n * h * w * c;
    for (let y = 0; y < ch; y++) {
      for (let x = 0; x < cw; x++) {
        const src = base + (Math.floor(y / scale) * w + Math.floor(x / scale)) * c;
        const dst = ((y0 + y) * png.width + x0 + x) * 4;
        const r = byte(strip.pixels[src]);
        png.data[dst] = r;
        png.data[dst + 1] = c === 3 ? byte(strip.pixels[src + 1]) : r;
        png.data[dst + 2] = c === 3 ? byte(strip.pixels[src + 2]) : r;
      }
    }
  }
  return PNG.sync.write(png);
}

/** Writes the strip's PNG to `path` atomically. */
export function writeSampleStrip(path: string, strip: SampleStrip, cwd: string): void {
  writeFileAtomic(path, encodeSampleStrip(strip), cwd);
}
