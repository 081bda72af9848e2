// imageTransform (layers/imageTransform.ts): tf.image.transform (bilinear)
// from differentiable ops, so that random_rotation, random_translation and
// random_zoom pass gradients to the layers before them (the Transform
// kernel has none). Same values as tf.image.transform on cpu and wasm.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { analyze } from '../../extension/core/analysis/analyze';
import { buildModel } from '../../extension/core/runtime/build';
import { startTrainingBackend } from '../../extension/core/runtime/kernels';
import { rotationTransform, translationTransform, zoomTransform } from '../../extension/core/layers/augment';
import { imageTransform, type TransformFill, type TransformPath } from '../../extension/core/layers/imageTransform';
import { runCli } from '../fixtures/cli';
import { getLayer } from '../../extension/core/layers';

before(async () => {
  await startTrainingBackend(tf, 'wasm');
});

async function onBackend(name: string, body: () => void | Promise<void>): Promise<void> {
  const was = tf.getBackend();
  await tf.setBackend(name);
  try {
    await body();
  } finally {
    await tf.setBackend(was);
  }
}

/** A fixed LCG in [-1, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31) - 1;
}

const FILLS: TransformFill[] = ['reflect', 'constant', 'nearest'];
/** Both ways imageTransform computes ('auto' picks the loop on cpu and wasm, the gather elsewhere). */
const PATHS: TransformPath[] = ['loop', 'ops'];

/** Rows of translations (whole, fractional, beyond the image), zooms (in and out, anisotropic), rotations and mixes for n images of h × w. */
function transformsFor(h: number, w: number, rnd: () => number): number[][] {
  const rows = [
    translationTransform(0, 0),
    translationTransform(1, -2),
    translationTransform(0.37, 1.61),
    translationTransform(-2.5, 0.25),
    translationTransform(w + 1.3, -h - 0.7),
    translationTransform(-3 * w - 0.4, 2.2 * h),
    zoomTransform(0.5, 0.5, h, w),
    zoomTransform(1.7, 1.3, h, w),
    zoomTransform(0.8, 2.9, h, w),
    rotationTransform(Math.PI / 2, h, w),
    rotationTransform(-0.4, h, w),
    rotationTransform(2.7, h, w),
  ];
  for (let i = 0; i < 6; i++) {
    const r = rotationTransform(rnd() * Math.PI, h, w);
    const z = 1 + rnd() * 0.6;
    rows.push([r[0] * z, r[1] * z, r[2] + rnd() * 3, r[3] * z, r[4] * z, r[5] + rnd() * 3, 0, 0]);
  }
  return rows;
}

/**
 * tf.image.transform of each image by its own row, on the cpu backend (the
 * reference: its kernel of tfjs 4.22 transforms only a batch's first image,
 * hence one call per image; the wasm kernel's reflect fill differs, see below).
 */
async function reference(x: tf.Tensor4D, rows: number[][], fill: TransformFill, fillValue = 0): Promise<Float32Array> {
  const [n, h, w, c] = x.shape;
  const values = x.dataSync();
  const out = new Float32Array(n * h * w * c);
  await onBackend('cpu', () => {
    for (let i = 0; i < n; i++) {
      const y = tf.tidy(() => tf.image.transform(tf.tensor4d(values.subarray(i * h * w * c, (i + 1) * h * w * c), [1, h, w, c]), tf.tensor2d([rows[i]], [1, 8]), 'bilinear', fill, fillValue));
      out.set(y.dataSync(), i * h * w * c);
      y.dispose();
    }
  });
  return out;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

for (const backend of ['cpu', 'wasm']) {
  test(`imageTransform gives tf.image.transform's values on ${backend}: every fill mode, translations, zooms, rotations, batches, odd shapes`, async () => {
    const rnd = lcg(7);
    let checked = 0;
    for (const [h, w, c] of [[5, 7, 2], [8, 8, 3], [1, 1, 1], [1, 6, 2], [6, 1, 1], [4, 3, 1]]) {
      const rows = transformsFor(h, w, rnd);
      const n = rows.length;
      const values = Array.from({ length: n * h * w * c }, () => rnd() * 3);
      for (const fill of FILLS) {
        for (const fillValue of [0, 0.75]) {
          const want = await reference(tf.tensor4d(values, [n, h, w, c]), rows, fill, fillValue);
          await onBackend(backend, () => {
            const before = tf.memory().numTensors;
            for (const path of PATHS) {
              const d = maxDiff(tf.tidy(() => imageTransform(tf, tf.tensor4d(values, [n, h, w, c]), rows.flat(), fill, fillValue, path).dataSync()), want);
              assert.ok(d < 1e-5, `${backend} ${path} ${h}×${w}×${c} ${fill} fill ${fillValue}: max |difference| ${d}`);
            }
            const got = tf.tidy(() => imageTransform(tf, tf.tensor4d(values, [n, h, w, c]), rows.flat(), fill, fillValue).dataSync());
            assert.ok(maxDiff(got, want) < 1e-5);
            assert.equal(tf.memory().numTensors, before);
            if (backend === 'wasm' && fill !== 'reflect') {
              // The wasm kernel transforms a whole batch in one call: the same again.
              const kernel = tf.tidy(() => tf.image.transform(tf.tensor4d(values, [n, h, w, c]), tf.tensor2d(rows), 'bilinear', fill, fillValue).dataSync());
              assert.ok(maxDiff(got, kernel) < 1e-5, `${h}×${w}×${c} ${fill} as one batch on the wasm kernel`);
            }
          });
          checked++;
        }
      }
    }
    assert.equal(checked, 6 * 3 * 2);
  });
}

test("reflect fill mirrors [dcba|abcd|dcba] as the cpu kernel (and Keras) do, on wasm too, whose Transform kernel reads other pixels left of / above the image", async () => {
  // One row 0 1 2 3 4 moved 2 pixels right: the two uncovered pixels mirror the row's start (1 0), edge included.
  const row = [0, 1, 2, 3, 4];
  const moved = [1, 0, 0, 1, 2];
  for (const backend of ['cpu', 'wasm']) {
    await onBackend(backend, () => {
      for (const path of PATHS) {
        const got = tf.tidy(() => Array.from(imageTransform(tf, tf.tensor4d(row, [1, 1, 5, 1]), translationTransform(2, 0), 'reflect', 0, path).dataSync()));
        assert.deepEqual(got, moved, `${backend} ${path}`);
      }
    });
  }
  await onBackend('cpu', () => {
    assert.deepEqual(tf.tidy(() => Array.from(tf.image.transform(tf.tensor4d(row, [1, 1, 5, 1]), tf.tensor2d([translationTransform(2, 0)]), 'bilinear', 'reflect').dataSync())), moved);
  });
});

test('random_translation, random_zoom and random_rotation give the same images on wasm as on cpu (reflect fill included), for the same draws', async () => {
  const rnd = lcg(11);
  const values = Array.from({ length: 4 * 6 * 7 * 2 }, () => rnd());
  for (const layer of ['random_translation(0.4, 0.5)', 'random_zoom(0.5, 0.3)', 'random_rotation(0.3)', 'random_translation(0.4, fill_mode = nearest)']) {
    const out: Record<string, Float32Array> = {};
    for (const backend of ['cpu', 'wasm']) {
      await onBackend(backend, () => {
        const a = analyze(`model Net {\n  input image: [6, 7, 2]\n  output image -> ${layer}\n}\n`);
        const { model } = buildModel(tf, a.models[0], { seed: 21 });
        out[backend] = tf.tidy(() => (model.apply(tf.tensor4d(values, [4, 6, 7, 2]), { training: true }) as tf.Tensor).dataSync() as Float32Array);
        model.dispose();
      });
    }
    assert.ok(maxDiff(out.cpu, out.wasm) < 1e-5, `${layer}: max |cpu − wasm| ${maxDiff(out.cpu, out.wasm)}`);
    assert.ok(maxDiff(out.cpu, values) > 0.1, `${layer} moves the images`);
  }
});

test('imageTransform: the gradient with respect to the image is the transposed transform (checked pixel by pixel), both ways on cpu and wasm', async () => {
  for (const backend of ['cpu', 'wasm']) {
    await onBackend(backend, () => {
      const [n, h, w, c] = [2, 3, 4, 2];
      const rows = [...rotationTransform(0.6, h, w), ...zoomTransform(0.7, 1.4, h, w)];
      const rnd = lcg(3);
      const r = tf.tensor4d(Array.from({ length: n * h * w * c }, () => rnd()), [n, h, w, c]);
      for (const fill of FILLS) {
        // The transform is linear: d/dx_i of sum(T(x)·r) is sum(T(e_i)·r).
        const want = Array.from({ length: n * h * w * c }, (_, i) =>
          tf.tidy(() => {
            const e = tf.reshape(tf.oneHot(tf.tensor1d([i], 'int32'), n * h * w * c), [n, h, w, c]).toFloat();
            return tf.sum(tf.mul(imageTransform(tf, e, rows, fill, 0, 'ops'), r)).dataSync()[0];
          }),
        );
        assert.ok(want.some((v) => Math.abs(v) > 0.1));
        for (const path of PATHS) {
          const grad = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(imageTransform(tf, x, rows, fill, 0.5, path), r)))(tf.zeros([n, h, w, c])).dataSync());
          assert.ok(maxDiff(grad, want) < 1e-5, `${backend} ${path} ${fill}`);
        }
      }
      r.dispose();
    });
  }
});

test('a conv before random_zoom / random_translation / random_rotation trains: gradients reach its kernel and a step changes it', async () => {
  for (const backend of ['cpu', 'wasm']) {
    await onBackend(backend, () => {
      for (const aug of ['random_zoom(0.2)', 'random_translation(0.1, fill_mode = constant)', 'random_rotation(0.1)']) {
        const a = analyze(`model Net {\n  input image: [6, 5, 1]\n  output image -> conv2d(2, 3, padding = same) -> ${aug} -> flatten -> dense(3) -> softmax\n}\n`);
        assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
        const { model } = buildModel(tf, a.models[0], { seed: 4 });
        const conv = model.layers.find((l) => l.getClassName() === 'Conv2D')!;
        const kernel = conv.trainableWeights[0];
        const x = tf.randomUniform([3, 6, 5, 1], 0, 1, 'float32', 9);
        const y = tf.oneHot(tf.tensor1d([0, 1, 2], 'int32'), 3).toFloat();
        const loss = () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;
        const { value, grads } = tf.variableGrads(loss, [kernel.read() as tf.Variable]);
        const g = grads[(kernel.read() as tf.Variable).name].dataSync();
        assert.ok(g.every(Number.isFinite) && g.some((v) => v !== 0), `${backend} ${aug}: gradient reaches the conv`);
        const before = kernel.read().dataSync().slice();
        tf.train.sgd(0.5).applyGradients(grads);
        assert.ok(maxDiff(kernel.read().dataSync(), before) > 1e-4, `${backend} ${aug}: a step changes the conv`);
        tf.dispose([value, x, y, ...Object.values(grads)]);
        model.dispose();
      }
    });
  }
});

test('the hover docs of random_rotation / random_translation / random_zoom say what the test above shows: the gradient passes back through them', () => {
  for (const op of ['random_rotation', 'random_translation', 'random_zoom']) {
    const doc = getLayer(op)!.doc;
    assert.doesNotMatch(doc, /no gradient/i, `${op}'s doc says it passes no gradient back, but the layer before it trains`);
    assert.match(doc, /gradient/i, `${op}'s doc says where it can go (the gradient reaches the layers before it)`);
  }
});

const CONV_ZOOM = `model G {
  input image: [8, 8, 1]
  output image -> conv2d(4, 3, padding = same) -> random_zoom(0.2) -> cutout(2) -> flatten -> dense(10) -> softmax
}
train G {
  data: digits(samples = 64, size = 8)
  epochs: 1
  batch: 32
}
`;

const GAN = `model Generator {
  input z: [16]
  output z -> dense(32) -> batchnorm -> leaky_relu(0.2) -> dense(64) -> tanh -> reshape([8, 8, 1])
}

model Discriminator {
  input image: [8, 8, 1]
  output image -> random_translation(0.1) -> flatten -> dense(16) -> leaky_relu(0.2) -> dense(1) -> sigmoid
}

train Generator {
  data: digits(samples = 64, size = 8)
  loss: adversarial(Discriminator, samples = 16)
  optimizer: adam(lr = 5e-4, beta1 = 0.5)
  epochs: 1
  batch: 32
}
`;

for (const [what, text] of [
  ['a conv before random_zoom', CONV_ZOOM],
  ["a GAN whose discriminator augments its input (the generator's gradient goes through random_translation)", GAN],
]) {
  // On cpu only the GAN (a conv's gradient takes seconds a step there; the conv's gradient on cpu is tested above).
  for (const backend of text === GAN ? ['wasm', 'cpu'] : ['wasm']) {
    test(`nnmodel train: ${what} trains an epoch on ${backend}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'nnmodel-transform-'));
      try {
        writeFileSync(join(dir, 'g.nnmodel'), text);
        const { code, out, err } = await runCli(dir, 'train', 'g.nnmodel', '--backend', backend);
        assert.equal(code, 0, err);
        assert.doesNotMatch(err, /gradient function not found|internal error/);
        assert.match(out, /^epoch 1\/1 · /m, out + err);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
}
