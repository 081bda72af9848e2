// The Training tab's images of a generative objective (pure parts, no DOM):
// strips kept as bytes in a bounded history spread over the run, nearest-
// neighbour upscaling, captions and labels, the slider's choice of strip,
// the `samples` event's validation, and the curves of a GAN's metrics
// (d_loss with the loss, d_real/d_fake on [0, 1]) beside a classifier's;
// and a tiny diffusion run through the page's TrainingRun (in Node, on
// wasm): its strips reach the page's tab, never the host.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { analyze } from '../../extension/core/analysis/analyze';
import { MAX_STRIP_IMAGES, parseHostMessage, parseWebviewMessage, serializeModel, type TrainingEvent, type WebviewToHost } from '../../extension/core/protocol';
import type { SampleStrip } from '../../extension/core/runtime/train';
import { dataPayload } from '../../extension/core/runtime/trainTransfer';
import { TrainingCurves } from '../../webview/training/curves';
import { TrainingRun } from '../../webview/training/runner';
import { TINY_DENOISER } from '../fixtures/generative';
import {
  addStrip,
  forwardCaption,
  generatedCaption,
  historyText,
  imageLabel,
  imageRgba,
  imageScale,
  MAX_STRIPS,
  shownIndex,
  storeStrip,
  stripLimit,
  toByte,
  type StoredStrip,
} from '../../webview/training/stripModel';

/** A strip whose image n has every value (n + 1) / (count + 1), or `pixels` as given. */
function strip(kind: 'forward' | 'generated', epoch: number, shape: [number, number, number], count: number, captions?: string[]): SampleStrip {
  const size = shape[0] * shape[1] * shape[2];
  const pixels = new Float32Array(count * size);
  for (let n = 0; n < count; n++) pixels.fill((n + 1) / (count + 1), n * size, (n + 1) * size);
  return { kind, epoch, shape, count, pixels, ...(captions ? { captions } : {}) };
}

/** `storeStrip` of a well-formed strip. */
function keep(s: SampleStrip): StoredStrip {
  const r = storeStrip(s);
  assert.ok(r, 'a well-formed strip is kept');
  return r;
}

const stored = (epoch: number): StoredStrip => ({ kind: 'generated', epoch, shape: [1, 1, 1], count: 1, bytes: new Uint8Array(1) });

test('values become bytes as the CLI PNG makes them: clamped, NaN black', () => {
  assert.deepEqual([0, 0.5, 1, -3, 7, Number.NaN, Number.POSITIVE_INFINITY].map(toByte), [0, 128, 255, 0, 255, 0, 0]);
  const s = keep({ kind: 'generated', epoch: 2, shape: [1, 2, 1], count: 2, pixels: new Float32Array([0, 1, 0.25, 2]), captions: ['a', 'b'] });
  assert.deepEqual([...s.bytes], [0, 255, 64, 255]);
  assert.deepEqual(s.captions, ['a', 'b']);
  assert.equal(s.bytes.byteLength, 4, 'a quarter of the float pixels');
});

test('a 28×28 digit is drawn at 84 px and a 16×16 one at 64 px, each pixel a whole block (nearest neighbour)', () => {
  assert.equal(imageScale([28, 28, 1]), 3);
  assert.equal(imageScale([16, 16, 1]), 4);
  assert.equal(imageScale([32, 32, 3]), 2);
  assert.equal(imageScale([200, 100, 3]), 1);
  // A 2×2 grey image: values 0, 1 / 0.5, 0.
  const s = keep({ kind: 'generated', epoch: 1, shape: [2, 2, 1], count: 2, pixels: new Float32Array([0, 1, 0.5, 0, 1, 1, 1, 1]) });
  const { width, height, rgba } = imageRgba(s, 0, 3);
  assert.equal(width, 6);
  assert.equal(height, 6);
  const at = (x: number, y: number) => [...rgba.slice((y * width + x) * 4, (y * width + x) * 4 + 4)];
  for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) assert.deepEqual(at(x, y), [0, 0, 0, 255]);
  for (let y = 0; y < 3; y++) for (let x = 3; x < 6; x++) assert.deepEqual(at(x, y), [255, 255, 255, 255]);
  for (let y = 3; y < 6; y++) assert.deepEqual(at(2, y), [128, 128, 128, 255]);
  assert.deepEqual(at(5, 5), [0, 0, 0, 255]);
  // The second image, not the first's bytes again.
  assert.deepEqual([...imageRgba(s, 1, 1).rgba.slice(0, 4)], [255, 255, 255, 255]);
  assert.throws(() => imageRgba(s, 2), /image 2 of a strip of 2/);
});

test('colour images keep their channels', () => {
  const s = keep({ kind: 'generated', epoch: 1, shape: [1, 2, 3], count: 1, pixels: new Float32Array([1, 0, 0, 0, 0, 1]) });
  const { rgba } = imageRgba(s, 0, 1);
  assert.deepEqual([...rgba], [255, 0, 0, 255, 0, 0, 255, 255]);
});

test('the forward strip is captioned with its first and last step; generated ones with their epoch', () => {
  const steps = ['t = 0', 't = 125', 't = 250', 't = 999'];
  const f = keep(strip('forward', 0, [4, 4, 1], 4, steps));
  assert.equal(forwardCaption(f), 'how the data is noised: t = 0 … 999');
  assert.equal(forwardCaption(keep(strip('forward', 0, [4, 4, 1], 2))), 'how the data is noised');
  assert.equal(forwardCaption(keep(strip('forward', 0, [4, 4, 1], 2, ['clean', 'noisy']))), 'how the data is noised: clean … noisy');
  assert.equal(imageLabel(f, 1), 'training 4×4 grey image noised at t = 125, 2 of 4');
  const g = keep(strip('generated', 3, [28, 28, 3], 16));
  assert.equal(generatedCaption(g, true), 'after epoch 3 (latest)');
  assert.equal(generatedCaption(g, false), 'after epoch 3');
  assert.equal(imageLabel(g, 15), 'generated 28×28 colour image 16 of 16, after epoch 3');
});

test('the history keeps at most MAX_STRIPS, the first and the latest always, the rest spread over the run', () => {
  let h: StoredStrip[] = [];
  for (let e = 1; e <= 500; e++) h = addStrip(h, stored(e));
  const epochs = h.map((s) => s.epoch);
  assert.equal(h.length, MAX_STRIPS);
  assert.equal(epochs[0], 1);
  assert.equal(epochs.at(-1), 500);
  assert.deepEqual(epochs, [...epochs].sort((a, b) => a - b));
  // Spread: no gap more than three times the even spacing (≈ 10 epochs).
  const gaps = epochs.slice(1).map((e, i) => e - epochs[i]);
  const even = 499 / (MAX_STRIPS - 1);
  assert.ok(Math.max(...gaps) <= 3 * even, `largest gap ${Math.max(...gaps)} against an even ${even.toFixed(1)}: ${epochs.join(' ')}`);
  // A strip of an epoch already there (a resumed run) replaces it; order by epoch whatever the arrival.
  h = addStrip(addStrip([stored(1), stored(3)], stored(2)), { ...stored(3), count: 9 });
  assert.deepEqual(h.map((s) => [s.epoch, s.count]), [[1, 1], [2, 1], [3, 9]]);
});

test('the view follows the latest strip until the user pins an epoch, then stays on it (or the nearest kept)', () => {
  const h = [stored(1), stored(5), stored(9)];
  assert.equal(shownIndex([], undefined), -1);
  assert.equal(shownIndex(h, undefined), 2);
  assert.equal(shownIndex(h, 5), 1);
  assert.equal(shownIndex([...h, stored(12)], 5), 1, 'a new strip does not move a pinned view');
  assert.equal(shownIndex(h, 4), 1, 'a thinned-out epoch shows the nearest one kept');
  assert.equal(historyText(h), 'epochs 1–9, 3 kept');
  assert.equal(historyText([stored(1), stored(2)]), 'epochs 1–2');
  assert.equal(historyText([stored(4)]), 'epoch 4');
});

test('curves keep the forward strip and the generated history per run; a new run drops them', () => {
  const c = new TrainingCurves();
  const ev = (s: SampleStrip): TrainingEvent => ({ kind: 'samples', strip: s });
  c.apply(1, 'D', { kind: 'start', epochs: 3, examples: 64, backend: 'wasm', source: 'digits' });
  assert.equal(c.apply(1, 'D', ev(strip('forward', 0, [16, 16, 1], 8, Array.from({ length: 8 }, (_, i) => `t = ${i * 14}`)))), true);
  for (const e of [1, 2, 3]) c.apply(1, 'D', ev(strip('generated', e, [16, 16, 1], 4)));
  assert.equal(c.forward?.count, 8);
  assert.deepEqual(c.generated.map((s) => s.epoch), [1, 2, 3]);
  assert.equal(c.generated[0].bytes[0], toByte(1 / 5));
  // An older run's late strip is ignored; a new run starts without images.
  assert.equal(c.apply(0, 'D', ev(strip('generated', 4, [16, 16, 1], 4))), false);
  c.apply(2, 'D', { kind: 'start', epochs: 1, examples: 64, backend: 'wasm', source: 'digits' });
  assert.equal(c.forward, undefined);
  assert.deepEqual(c.generated, []);
});

test("a GAN's d_loss joins the loss chart, d_real and d_fake the metrics on [0, 1]; a classifier's curves are as before", () => {
  const gan = new TrainingCurves();
  gan.apply(1, 'G', { kind: 'start', epochs: 2, examples: 64, backend: 'wasm', source: 'digits' });
  gan.apply(1, 'G', { kind: 'batch', epoch: 1, batch: 1, batches: 1, loss: 2 });
  gan.apply(1, 'G', { kind: 'epoch', epoch: 1, loss: 1.9, metrics: { d_loss: 0.6, d_real: 0.8, d_fake: 0.3 }, ms: 10, examples: 64 });
  gan.apply(1, 'G', { kind: 'epoch', epoch: 2, loss: 1.2, metrics: { d_loss: 0.9, d_real: 0.6, d_fake: 0.45 }, ms: 10, examples: 64 });
  assert.deepEqual(gan.lossMetricNames(), ['d_loss']);
  assert.deepEqual(gan.metricNames(), ['d_real', 'd_fake']);
  assert.deepEqual(gan.metricRange(), [0, 1]);
  // No validation figures (a GAN holds nothing out): no empty validation series beyond val_loss's fixed place.
  assert.deepEqual([...gan.validated()], []);
  // The batch at x = 1 and epoch 1's figures share one row.
  assert.deepEqual(gan.lossSeries(), [
    [1, 2],
    [2, null],
    [1.9, 1.2],
    [null, null],
    [0.6, 0.9],
  ]);
  assert.deepEqual(gan.metricSeries(), [[1, 2], [0.8, 0.6], [0.3, 0.45]]);
  // With validation figures, each metric's validation series follows its training one.
  gan.apply(1, 'G', { kind: 'epoch', epoch: 3, loss: 1, metrics: { d_loss: 0.7, d_real: 0.5, d_fake: 0.5 }, valLoss: 1.1, valMetrics: { d_loss: 0.8, d_real: 0.4 }, ms: 10, examples: 64 });
  assert.deepEqual([...gan.validated()].sort(), ['d_loss', 'd_real', 'loss']);
  assert.deepEqual(gan.lossSeries().slice(4), [[0.6, 0.9, 0.7], [null, null, 0.8]]);
  assert.deepEqual(gan.metricSeries(), [[1, 2, 3], [0.8, 0.6, 0.5], [null, null, 0.4], [0.3, 0.45, 0.5]]);

  const cls = new TrainingCurves();
  cls.apply(1, 'C', { kind: 'epoch', epoch: 1, loss: 1, metrics: { accuracy: 0.5 }, valLoss: 1.1, valMetrics: { accuracy: 0.4 }, ms: 10, examples: 5 });
  assert.equal(cls.lossSeries().length, 4, 'no extra loss series without a loss-like metric');
  assert.deepEqual(cls.metricNames(), ['accuracy']);
  assert.deepEqual(cls.metricRange(), [0, 1]);
  const reg = new TrainingCurves();
  reg.apply(1, 'R', { kind: 'epoch', epoch: 1, loss: 1, metrics: { mae: 3.5 }, ms: 10, examples: 5 });
  assert.equal(reg.metricRange(), undefined, 'an error in data units is not squeezed into [0, 1]');
});

test('a samples event passes validation only with pixels that fit its count and shape', () => {
  const msg = (s: unknown) => ({ type: 'trainEvent', uri: 'file:///a', version: 1, run: 1, model: 'D', event: { kind: 'samples', strip: s } });
  const ok = strip('forward', 0, [4, 4, 1], 2, ['t = 0', 't = 99']);
  const parsed = parseWebviewMessage(msg(ok));
  assert.ok(parsed && parsed.type === 'trainEvent' && parsed.event.kind === 'samples');
  assert.equal(parseWebviewMessage(msg({ ...ok, pixels: new Float32Array(31) })), undefined, 'too few values');
  assert.equal(parseWebviewMessage(msg({ ...ok, pixels: Array.from(ok.pixels) })), undefined, 'a plain array');
  assert.equal(parseWebviewMessage(msg({ ...ok, shape: [4, 4, 2], pixels: new Float32Array(64) })), undefined, 'two channels');
  assert.equal(parseWebviewMessage(msg({ ...ok, captions: ['t = 0'] })), undefined, 'a caption short');
  assert.equal(parseWebviewMessage(msg({ ...ok, kind: 'other' })), undefined);
  assert.equal(parseWebviewMessage(msg(strip('generated', 1, [1, 1, 1], MAX_STRIP_IMAGES + 1))), undefined, 'too many images');
  assert.equal(parseWebviewMessage(msg(strip('generated', 1, [300, 1, 1], 1))), undefined, 'too large an image');
});

before(async () => {
  const warn = console.warn;
  console.warn = () => undefined;
  await tf.setBackend('wasm');
  await tf.ready();
  console.warn = warn;
});

test("a diffusion run in the page: the forward strip and each epoch's generated strip reach the tab, not the host", async () => {
  const a = analyze(TINY_DENOISER);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error'), []);
  const { data, ...config } = a.trains[0].config;
  // As the host sends it: through JSON and the page's validator.
  const msg = parseHostMessage(JSON.parse(JSON.stringify({ type: 'train', uri: 'file:///w/tiny.nnmodel', version: 1, run: 1, model: serializeModel(a.models[0]), config, seed: 1, data: dataPayload(data!, undefined) })));
  assert.ok(msg && msg.type === 'train', 'the host\'s train message for a denoise section passes validation');
  const posted: WebviewToHost[] = [];
  const curves = new TrainingCurves();
  const run = new TrainingRun(msg, {
    tf,
    post: (m) => {
      const parsed = parseWebviewMessage(m);
      assert.ok(parsed, `the page sent a malformed ${m.type}`);
      posted.push(parsed);
    },
    onEvent: (r, model, e) => void curves.apply(r, model, e),
    waitSaved: async () => ({ dir: '/tmp/x' }),
    onWeights: () => undefined,
    yieldNow: () => new Promise<void>((resolve) => setImmediate(resolve)),
  });
  assert.equal(await run.done, 'completed', curves.message);
  assert.equal(curves.status, 'completed');
  const f = curves.forward;
  assert.ok(f, 'the forward strip');
  assert.deepEqual(f.shape, [16, 16, 1]);
  assert.equal(f.captions?.[0], 't = 0');
  assert.equal(f.captions?.at(-1), 't = 99');
  assert.equal(forwardCaption(f), 'how the data is noised: t = 0 … 99');
  assert.deepEqual(curves.generated.map((s) => [s.epoch, s.count]), [[1, 4], [2, 4]]);
  // Drawn, not blank: the pixels of a generated image differ.
  const px = imageRgba(curves.generated[1], 0).rgba;
  assert.ok(new Set(px.filter((_, i) => i % 4 === 0)).size > 1, 'a generated image is not one flat colour');
  // The host hears start, batches, epochs and done, and no pixels.
  const kinds = new Set(posted.flatMap((m) => (m.type === 'trainEvent' ? [m.event.kind] : [])));
  assert.ok(kinds.has('epoch') && kinds.has('done'));
  assert.equal(kinds.has('samples'), false, 'no samples event goes to the host');
});

test('large images are kept every k-th pixel, malformed strips not at all, and big strips fewer times', () => {
  // 600 × 300 colour: k = ceil(600 / 256) = 3 → 200 × 100.
  const big = keep(strip('generated', 1, [600, 300, 3], 2));
  assert.deepEqual(big.shape, [200, 100, 3]);
  assert.equal(big.bytes.length, 2 * 200 * 100 * 3);
  // Pixel (y, x) kept is (3y, 3x) of the original: mark one and find it.
  const marked = strip('generated', 1, [600, 300, 1], 1);
  marked.pixels.fill(0);
  marked.pixels[(3 * 10) * 300 + 3 * 7] = 1;
  marked.pixels[(3 * 10 + 1) * 300 + 3 * 7] = 1; // not on the grid: dropped
  const m = keep(marked);
  assert.equal(m.bytes[10 * 100 + 7], 255);
  assert.equal(m.bytes.reduce((a, b) => a + b, 0), 255);
  assert.equal(storeStrip({ kind: 'generated', epoch: 1, shape: [2, 2, 1], count: 2, pixels: new Float32Array(7) }), undefined);
  assert.equal(storeStrip({ kind: 'generated', epoch: 1, shape: [2, 2, 2], count: 1, pixels: new Float32Array(8) }), undefined);
  assert.equal(storeStrip({ kind: 'generated', epoch: 1, shape: [1, 1, 1], count: 2, pixels: new Float32Array(2), captions: ['one'] }), undefined);
  // 64 images of 256 × 256 × 3 are 12.6 MB a strip: 5 kept within 64 MiB, small strips 50.
  const huge: StoredStrip = { kind: 'generated', epoch: 1, shape: [256, 256, 3], count: 64, bytes: new Uint8Array(64 * 256 * 256 * 3) };
  assert.equal(stripLimit(huge), 5);
  assert.equal(stripLimit(stored(1)), MAX_STRIPS);
  let h: StoredStrip[] = [];
  for (let e = 1; e <= 20; e++) h = addStrip(h, { ...huge, epoch: e });
  assert.equal(h.length, 5);
  assert.equal(h[0].epoch, 1);
  assert.equal(h[h.length - 1].epoch, 20);
});
