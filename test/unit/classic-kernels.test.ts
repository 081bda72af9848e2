// The Kernels tab's "Classic kernels" (webview/probes/classicKernels.ts):
// the course notes' kernels through TensorFlow.js conv2d against values
// worked out by hand, the centred cosine ranking of learned kernels, which
// layer is compared, and the chance level of the best match.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {
  CLASSIC_KERNELS,
  centredCosine,
  chanceBest,
  classicMaps,
  classicWeights,
  matchClassics,
  padKernel,
  pickMatchLayer,
  sameOnceCentred,
  type ClassicId,
  type ClassicKernel,
} from '../../webview/probes/classicKernels';
import { imageInput } from '../../webview/probes/input';
import { createRng } from '../../extension/core/runtime/data/random';
import { useCpuBackend } from '../fixtures/tfjs';

useCpuBackend();

function close(actual: ArrayLike<number>, expected: readonly number[], what: string, tol = 1e-5): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} ≠ ${expected[i]} (all: ${Array.from(actual).join(', ')})`);
  }
}

const kernel = (id: string) => CLASSIC_KERNELS.find((k) => k.id === id)!;

test('the four kernels of the notes, in their order, with the blur as 1/16 × integers', () => {
  assert.deepEqual(
    CLASSIC_KERNELS.map((k) => k.id),
    ['identity', 'blur', 'sharpen', 'edge'],
  );
  close(classicWeights(kernel('blur')), [1, 2, 1, 2, 4, 2, 1, 2, 1].map((v) => v / 16), 'blur');
  close(classicWeights(kernel('sharpen')), [0, -1, 0, -1, 5, -1, 0, -1, 0], 'sharpen');
  close(classicWeights(kernel('edge')), [-1, -1, -1, -1, 8, -1, -1, -1, -1], 'edge');
});

test('a 3×3 image [1..9] through each kernel, same padding (zeros beyond the border), equals the sums done by hand', () => {
  const image = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
  const before = tf.memory().numTensors;
  const maps = classicMaps(tf, image);
  assert.equal(tf.memory().numTensors, before, 'every tensor made is disposed');
  image.dispose();
  const byId = new Map(maps.map((m) => [m.id, m]));
  for (const m of maps) assert.deepEqual([m.h, m.w], [3, 3], `${m.id}: same padding keeps the size`);
  close(byId.get('identity')!.values, [1, 2, 3, 4, 5, 6, 7, 8, 9], 'identity');
  // Top-left: 4·1 + 2·2 + 2·4 + 1·5 = 21; centre: 80 (the whole window, weighted).
  close(byId.get('blur')!.values, [21, 36, 33, 52, 80, 68, 57, 84, 69].map((v) => v / 16), 'blur');
  // 5 × centre − the four neighbours (0 outside): top-left 5 − (2 + 4) = −1.
  close(byId.get('sharpen')!.values, [-1, 1, 7, 7, 5, 13, 23, 19, 31], 'sharpen');
  // 9 × centre − the window's sum: 0 on the (linear) middle, large at the zero-padded border.
  close(byId.get('edge')!.values, [-3, -3, 11, 9, 0, 21, 39, 33, 53], 'edge');
  assert.equal(byId.get('edge')!.min, -3);
  assert.equal(byId.get('edge')!.max, 53);
});

test('flat areas: blur and sharpen keep a constant image inside the border, edge detection gives 0 there', () => {
  const image = tf.fill([1, 4, 5, 1], 0.5) as tf.Tensor4D;
  const maps = classicMaps(tf, image);
  image.dispose();
  const inside = (v: Float32Array) => [6, 7, 8, 11, 12, 13].map((i) => v[i]);
  const byId = new Map(maps.map((m) => [m.id, m.values]));
  close(inside(byId.get('blur')!), [0.5, 0.5, 0.5, 0.5, 0.5, 0.5], 'blur inside');
  close(inside(byId.get('sharpen')!), [0.5, 0.5, 0.5, 0.5, 0.5, 0.5], 'sharpen inside');
  close(inside(byId.get('edge')!), [0, 0, 0, 0, 0, 0], 'edge inside');
  // Corner of the edge map: 8·0.5 − 3·0.5 (five neighbours are padding) = 2.5.
  assert.ok(Math.abs(byId.get('edge')![0] - 2.5) < 1e-6);
});

test('conv2d is not flipped (cross-correlation): a kernel reading the right neighbour gives it, not the left one', () => {
  const right: ClassicKernel = { id: 'identity', name: 'right', does: '', entries: [0, 0, 0, 0, 0, 1, 0, 0, 0], divisor: 1 };
  const image = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]);
  const [m] = classicMaps(tf, image, [right]);
  image.dispose();
  close(m.values, [2, 3, 0, 5, 6, 0], 'right neighbour');
});

test('an RGB image is filtered on its luminance (0.299 R + 0.587 G + 0.114 B), as the view reads it', () => {
  const rgb = { width: 2, height: 1, channels: 3, data: Float32Array.from([1, 0, 0, 0, 0, 1]) };
  const x = imageInput(tf, rgb, [null, null, 1]);
  const [identity] = classicMaps(tf, x, [kernel('identity')]);
  x.dispose();
  close(identity.values, [0.299, 0.114], 'luminance');
});

test('centred cosine: a kernel, scaled and shifted, is 1; its negative −1; a constant has none; sharpen vs edge 396/√168480 by hand', () => {
  const blur = classicWeights(kernel('blur'));
  assert.ok(Math.abs(centredCosine(blur, blur.map((v) => 3 * v + 0.5))! - 1) < 1e-6);
  assert.ok(Math.abs(centredCosine(blur, blur.map((v) => -v))! + 1) < 1e-6);
  assert.equal(centredCosine(blur, new Float32Array(9).fill(0.2)), undefined);
  assert.equal(centredCosine(new Float32Array(9), blur), undefined);
  const s = centredCosine(classicWeights(kernel('sharpen')), classicWeights(kernel('edge')))!;
  assert.ok(Math.abs(s - 396 / Math.sqrt(168480)) < 1e-6, `sharpen vs edge ${s}`);
  // Blur vs sharpen: centred ×144 and ×9 → dot 828, norms √612 and √2340.
  const b = centredCosine(blur, classicWeights(kernel('sharpen')))!;
  assert.ok(Math.abs(b - 828 / Math.sqrt(612 * 2340)) < 1e-6, `blur vs sharpen ${b}`);
});

test('identity and edge detection are the same pattern once centred at 3×3 (edge = 9 × identity − 1), no other pair is, and padded to 5×5 none is', () => {
  assert.deepEqual(sameOnceCentred(), [['identity', 'edge']]);
  assert.deepEqual(sameOnceCentred(5, 5), []);
  const identity5 = padKernel(classicWeights(kernel('identity')), 5, 5)!;
  const edge5 = padKernel(classicWeights(kernel('edge')), 5, 5)!;
  // Centred at 5×5: identity is 24/25 at the centre and −1/25 on the 24 others; edge 8, −1 on its ring, 0 outside:
  // dot = 8·24/25 + 8·1/25 = 8, norms² 600/625 and 72.
  const c = centredCosine(identity5, edge5)!;
  assert.ok(Math.abs(c - 8 / Math.sqrt(0.96 * 72)) < 1e-6, `${c}`);
  assert.deepEqual(sameOnceCentred(4, 4), []);
});

test('ranking hand-made kernels: a shifted, scaled blur; an edge detector; a Sobel; an inverted sharpen; a constant', () => {
  const blur = classicWeights(kernel('blur'));
  const sobel = [-1, 0, 1, -2, 0, 2, -1, 0, 1];
  const filters = [
    Array.from(blur, (v) => 3 * v + 0.5),
    [-1, -1, -1, -1, 8, -1, -1, -1, -1],
    sobel,
    [0, 1, 0, 1, -5, 1, 0, 1, 0],
    new Array(9).fill(0.7),
  ];
  const weights = Float32Array.from(filters.flat());
  const matches = matchClassics({ kh: 3, kw: 3, cin: 1, cout: 5, weights })!;
  const byId = new Map(matches.map((m) => [m.id, m]));
  const order = (id: ClassicId) => byId.get(id)!.ranking.map((s) => s.filter);
  const sims = (id: ClassicId) => byId.get(id)!.ranking.map((s) => s.similarity);

  assert.deepEqual(byId.get('blur')!.best && [byId.get('blur')!.best!.filter, Number(byId.get('blur')!.best!.similarity!.toFixed(6))], [0, 1]);
  // Sharpen: the edge detector (0.9648), the blur (0.6919), the Sobel (0: antisymmetric), the inverted sharpen (−1); the constant has no similarity.
  assert.deepEqual(order('sharpen'), [1, 0, 2, 3]);
  close(sims('sharpen'), [396 / Math.sqrt(168480), 828 / Math.sqrt(612 * 2340), 0, -1], 'sharpen similarities');
  assert.equal(byId.get('sharpen')!.compared, 4, 'the constant filter is left out');
  // Only the top 2 kept when asked.
  assert.deepEqual(matchClassics({ kh: 3, kw: 3, cin: 1, cout: 5, weights }, 2)!.find((m) => m.id === 'sharpen')!.ranking.map((r) => r.filter), [1, 0]);
  // The inverted sharpen (−1) is further from 0 than the best (0.96): it is reported as the opposite.
  assert.equal(byId.get('sharpen')!.opposite?.filter, 3);
  // Identity and edge detection rank the same (the same centred pattern): the edge detector at 1.
  assert.deepEqual(order('identity'), order('edge'));
  assert.equal(byId.get('edge')!.best!.filter, 1);
  assert.ok(Math.abs(byId.get('identity')!.best!.similarity! - 1) < 1e-6);
  assert.equal(byId.get('blur')!.opposite, undefined, 'nothing is closer to an inverted blur than filter 0 is to the blur');
});

test('several input channels: every (filter, channel) slice is a candidate; a 5×5 kernel is compared with the classic one padded with zeros', () => {
  // 2 filters × 2 channels; only filter 1 on channel 0 is a blur.
  const noise = createRng(7);
  const slice = () => Array.from({ length: 9 }, () => noise.normal());
  const blur = Array.from(classicWeights(kernel('blur')));
  const weights = Float32Array.from([...slice(), ...slice(), ...blur, ...slice()]);
  const [, blurMatch] = matchClassics({ kh: 3, kw: 3, cin: 2, cout: 2, weights })!;
  assert.deepEqual([blurMatch.best!.filter, blurMatch.best!.channel], [1, 0]);
  assert.equal(blurMatch.ranking.length, 4);
  // The fast path agrees with centredCosine slice by slice (random 3×3 kernels, 5 filters × 4 channels).
  const rnd = Float32Array.from({ length: 5 * 4 * 9 }, () => noise.normal());
  for (const m of matchClassics({ kh: 3, kw: 3, cin: 4, cout: 5, weights: rnd }, 20)!) {
    const target = classicWeights(kernel(m.id));
    const expected = Array.from({ length: 20 }, (_, s) => ({ s, v: centredCosine(rnd.subarray(s * 9, s * 9 + 9), target)! })).sort((a, b) => b.v - a.v);
    assert.deepEqual(m.ranking.map((r) => r.filter * 4 + r.channel), expected.map((e) => e.s), m.id);
    close(m.ranking.map((r) => r.similarity), expected.map((e) => e.v), m.id, 1e-9);
    assert.equal(m.opposite?.filter === undefined ? undefined : m.opposite.filter * 4 + m.opposite.channel, -expected[19].v > expected[0].v ? expected[19].s : undefined);
  }

  const padded = padKernel(classicWeights(kernel('edge')), 5, 5)!;
  assert.equal(padded[12], 8, 'centre');
  assert.equal(padded[6], -1, 'inner ring');
  assert.equal(padded[0], 0, 'outer ring is zero');
  assert.equal(padKernel(blur, 4, 4), undefined, 'an even size has no centre');
  assert.equal(padKernel(blur, 1, 1), undefined);
  const five = Float32Array.from([...padded, ...Array.from({ length: 25 }, (_, i) => (i % 5) - 2)]);
  const m = matchClassics({ kh: 5, kw: 5, cin: 1, cout: 2, weights: five })!;
  assert.equal(m.find((x) => x.id === 'edge')!.best!.filter, 0);
  assert.ok(Math.abs(m.find((x) => x.id === 'edge')!.best!.similarity! - 1) < 1e-6);
  assert.equal(matchClassics({ kh: 4, kw: 4, cin: 1, cout: 1, weights: new Float32Array(16) }), undefined);
});

test('the layer compared: the first conv2d with 3×3 kernels, else the first conv2d padded when odd, else skipped with the reason', () => {
  assert.deepEqual(pickMatchLayer([{ op: 'conv2d', kh: 7, kw: 7 }, { op: 'conv2d', kh: 3, kw: 3 }]), { index: 1, how: 'exact' });
  assert.deepEqual(pickMatchLayer([{ op: 'conv1d', kh: 1, kw: 3 }, { op: 'conv2d', kh: 5, kw: 5 }, { op: 'conv2d', kh: 5, kw: 5 }]), { index: 1, how: 'padded' });
  const even = pickMatchLayer([{ op: 'conv2d', kh: 4, kw: 4 }]);
  assert.equal(even?.how, 'skip');
  assert.match((even as { reason: string }).reason, /4×4 kernels have no centre/);
  assert.match((pickMatchLayer([{ op: 'conv2d', kh: 1, kw: 1 }]) as { reason: string }).reason, /smaller than 3×3/);
  assert.equal(pickMatchLayer([{ op: 'conv1d', kh: 1, kw: 3 }, { op: 'conv2d_transpose', kh: 3, kw: 3 }]), undefined);
  assert.equal(pickMatchLayer([]), undefined);
});

test('chance level: closed forms in 2 and 3 dimensions, and a seeded simulation of random Gaussian 3×3 kernels', () => {
  // 4 weights → 3 centred dimensions: the cosine is uniform on [−1, 1] (Archimedes), median of the best of n = 2·0.5^(1/n) − 1.
  assert.ok(Math.abs(chanceBest(4, 1)!) < 1e-4);
  assert.ok(Math.abs(chanceBest(4, 2)! - (2 * Math.SQRT1_2 - 1)) < 1e-4, `${chanceBest(4, 2)}`);
  // 3 weights → 2 dimensions: the angle is uniform, P(cos ≤ t) = 1 − acos(t)/π.
  assert.ok(Math.abs(chanceBest(3, 3)! - Math.cos(Math.PI * (1 - Math.cbrt(0.5)))) < 1e-4, `${chanceBest(3, 3)}`);
  assert.equal(chanceBest(2, 5), undefined);
  assert.equal(chanceBest(9, 0), undefined);
  // More candidates, higher chance level.
  assert.ok(chanceBest(9, 16)! > chanceBest(9, 6)!);
  assert.ok(chanceBest(25, 6)! < chanceBest(9, 6)!);

  const rng = createRng(2026);
  const trials = 2000;
  const best: number[] = [];
  for (let t = 0; t < trials; t++) {
    const weights = Float32Array.from({ length: 6 * 9 }, () => rng.normal());
    best.push(matchClassics({ kh: 3, kw: 3, cin: 1, cout: 6, weights })!.find((m) => m.id === 'edge')!.best!.similarity);
  }
  best.sort((a, b) => a - b);
  const median = (best[trials / 2 - 1] + best[trials / 2]) / 2;
  assert.ok(Math.abs(median - chanceBest(9, 6)!) < 0.03, `simulated ${median}, computed ${chanceBest(9, 6)}`);
});
