import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../extension/core/runtime/data/random';
import { DIGIT_CLASSES, SHAPE_CLASSES, digits, sampleImages, sequences, shapes, waves } from '../../extension/core/runtime/data/synthetic';
import { useCpuBackend } from '../fixtures/tfjs';

useCpuBackend();

const sum = (a: ArrayLike<number>, from = 0, to = a.length) => {
  let s = 0;
  for (let i = from; i < to; i++) s += a[i];
  return s;
};

test('the random stream is seeded: same seed, same numbers; normals have mean 0 and sd 1', () => {
  const a = createRng(7);
  const b = createRng(7);
  const xs = Array.from({ length: 5 }, () => a.next());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b.next()));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, () => createRng(8).next()));
  const r = createRng(1);
  const n = Array.from({ length: 20000 }, () => r.normal());
  const mean = sum(n) / n.length;
  const sd = Math.sqrt(sum(n.map((v) => (v - mean) ** 2)) / n.length);
  assert.ok(Math.abs(mean) < 0.03 && Math.abs(sd - 1) < 0.03, `mean ${mean}, sd ${sd}`);
  assert.ok(Array.from({ length: 1000 }, () => r.int(3)).every((v) => v === 0 || v === 1 || v === 2));
});

test('digits: shape, range, balanced labels, ink in every image, same seed same data', () => {
  const d = digits({ samples: 200, seed: 3 });
  assert.equal(d.count, 200);
  assert.deepEqual(d.exampleShape, [28, 28, 1]);
  assert.deepEqual(d.targetShape, []);
  assert.deepEqual(d.classes, [...DIGIT_CLASSES]);
  assert.equal(d.xs.length, 200 * 28 * 28);
  assert.ok(d.xs.every((v) => v >= 0 && v <= 1));
  for (let c = 0; c < 10; c++) assert.equal(d.ys.filter((y) => y === c).length, 20);
  for (let i = 0; i < d.count; i++) {
    const ink = sum(d.xs, i * 784, (i + 1) * 784);
    assert.ok(ink > 25 && ink < 300, `image ${i} (digit ${d.ys[i]}) has ink ${ink}`);
  }
  const again = digits({ samples: 200, seed: 3 });
  assert.deepEqual(again.xs, d.xs);
  assert.deepEqual(again.ys, d.ys);
  assert.notDeepEqual(digits({ samples: 200, seed: 4 }).xs, d.xs);
});

test('digits: size 32 keeps the 28-pixel digit scale and adds a border (LeNet inputs)', () => {
  const d = digits({ samples: 50, size: 32, seed: 1, noise: 0 });
  assert.deepEqual(d.exampleShape, [32, 32, 1]);
  let edge = 0;
  for (let i = 0; i < d.count; i++) {
    const o = i * 1024;
    for (let k = 0; k < 32; k++) edge += d.xs[o + k] + d.xs[o + 31 * 32 + k] + d.xs[o + k * 32] + d.xs[o + k * 32 + 31];
  }
  assert.ok(edge / d.count < 0.5, `the outermost pixels should stay almost empty, got ${edge / d.count} per image`);
  assert.throws(() => digits({ samples: 0 }), /samples/);
  assert.throws(() => digits({ samples: 10, size: 4 }), /size/);
});

test('digits are learnable: a small network trained for 3 epochs on 16×16 digits classifies held-out ones', async () => {
  const n = 1500;
  const size = 16;
  const d = digits({ samples: n, size, seed: 11 });
  const nv = 300;
  const model = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [size, size, 1] }),
      tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(3e-3), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const x = tf.tensor4d(d.xs, [n, size, size, 1]);
  const y = tf.tensor1d(Float32Array.from(d.ys));
  try {
    const xTrain = x.slice(0, n - nv);
    const yTrain = y.slice(0, n - nv);
    await model.fit(xTrain, yTrain, { epochs: 3, batchSize: 32, shuffle: false, verbose: 0 });
    const pred = tf.tidy(() => (model.predict(x.slice(n - nv)) as tf.Tensor).argMax(-1).dataSync());
    let right = 0;
    for (let i = 0; i < nv; i++) if (pred[i] === d.ys[n - nv + i]) right++;
    tf.dispose([xTrain, yTrain]);
    assert.ok(right / nv > 0.8, `held-out accuracy ${right / nv}`);
  } finally {
    tf.dispose([x, y]);
    model.dispose();
  }
});

test('shapes: RGB images of three classes, varied colours, same seed same data', () => {
  const s = shapes({ samples: 90, seed: 5 });
  assert.deepEqual(s.exampleShape, [32, 32, 3]);
  assert.deepEqual(s.classes, [...SHAPE_CLASSES]);
  assert.equal(s.xs.length, 90 * 32 * 32 * 3);
  assert.ok(s.xs.every((v) => v >= 0 && v <= 1));
  for (let c = 0; c < 3; c++) assert.equal(s.ys.filter((y) => y === c).length, 30);
  // The shape differs from the background: each image has clearly different pixels.
  const means = new Set<string>();
  for (let i = 0; i < s.count; i++) {
    const img = s.xs.subarray(i * 3072, (i + 1) * 3072);
    const first = [img[0], img[1], img[2]];
    let far = 0;
    for (let p = 0; p < 1024; p++) if (Math.abs(img[p * 3] - first[0]) + Math.abs(img[p * 3 + 1] - first[1]) + Math.abs(img[p * 3 + 2] - first[2]) > 0.3) far++;
    assert.ok(far > 15, `image ${i} (${s.classes[s.ys[i]]}) shows no shape: ${far} pixels differ from the background`);
    means.add((sum(img) / 3072).toFixed(2));
  }
  assert.ok(means.size > 30, 'colours vary');
  assert.deepEqual(shapes({ samples: 90, seed: 5 }).xs, s.xs);
});

test('shapes cover the area their geometry predicts', () => {
  const [, , , , circle, square, triangle] = sampleImages();
  const ink = (img: { data: Float32Array }) => {
    // Pixels that differ from the top-left (background) pixel.
    let n = 0;
    for (let p = 0; p < 1024; p++) if (Math.abs(img.data[p * 3] - img.data[0]) > 0.2) n++;
    return n;
  };
  assert.equal(circle.name, 'circle');
  // Radius 11: π·121 ≈ 380; square of side 16: 256; triangle of circumradius 11: ≈ 157.
  assert.ok(Math.abs(ink(circle) - 380) < 25, `circle ${ink(circle)}`);
  assert.ok(Math.abs(ink(square) - 256) < 25, `square ${ink(square)}`);
  assert.ok(Math.abs(ink(triangle) - 157) < 25, `triangle ${ink(triangle)}`);
});

test('sequences: copy, reverse and sort targets at every position', () => {
  for (const task of ['copy', 'reverse', 'sort'] as const) {
    const s = sequences({ samples: 20, task, length: 6, vocab: 9, seed: 2 });
    assert.equal(s.xDtype, 'int32');
    assert.deepEqual(s.exampleShape, [6]);
    assert.deepEqual(s.targetShape, [6]);
    assert.equal(s.classes.length, 9);
    for (let i = 0; i < s.count; i++) {
      const x = Array.from(s.xs.subarray(i * 6, i * 6 + 6));
      const y = Array.from(s.ys.subarray(i * 6, i * 6 + 6));
      assert.ok(x.every((t) => Number.isInteger(t) && t >= 0 && t < 9));
      const want = task === 'copy' ? x : task === 'reverse' ? [...x].reverse() : [...x].sort((a, b) => a - b);
      assert.deepEqual(y, want);
    }
  }
  assert.throws(() => sequences({ samples: 2, task: 'shuffle' as never, length: 3, vocab: 4 }), /task/);
});

test('waves: the target is the next value of the same series', () => {
  const w = waves({ samples: 10, length: 50, seed: 9 });
  assert.deepEqual(w.exampleShape, [50, 1]);
  assert.deepEqual(w.targetShape, [50, 1]);
  assert.deepEqual(w.classes, []);
  for (let i = 0; i < w.count; i++) {
    for (let t = 0; t + 1 < 50; t++) assert.equal(w.ys[i * 50 + t], w.xs[i * 50 + t + 1]);
    const series = w.xs.subarray(i * 50, i * 50 + 50);
    assert.ok(series.every((v) => Math.abs(v) < 1.4));
    assert.ok(Math.max(...series) - Math.min(...series) > 0.3, 'a wave, not a flat line');
  }
  assert.deepEqual(waves({ samples: 10, length: 50, seed: 9 }).xs, w.xs);
});

test('sample images for the picker: named, sized, in range', () => {
  const samples = sampleImages();
  assert.deepEqual(
    samples.map((s) => `${s.name} ${s.width}x${s.height}x${s.channels}`),
    ['digit 0 28x28x1', 'digit 3 28x28x1', 'digit 7 28x28x1', 'digit 8 28x28x1', 'circle 32x32x3', 'square 32x32x3', 'triangle 32x32x3'],
  );
  for (const s of samples) {
    assert.equal(s.data.length, s.width * s.height * s.channels);
    assert.ok(s.data.every((v) => v >= 0 && v <= 1));
  }
  assert.deepEqual(sampleImages()[1].data, samples[1].data);
});
