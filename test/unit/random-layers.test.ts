// dropout and gaussian_noise draw on the backend with seeds of their own
// stream (layers/draws.ts): Keras's semantics (inverted dropout, identity at
// inference), one seed per training call, restarted by reseedRandomLayers
// from (run seed, model, epoch) and known by the layer's name, so a model
// rebuilt with another build seed draws the same.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { analyze } from '../../extension/core/analysis/analyze';
import { buildModel, type BuiltModel } from '../../extension/core/runtime/build';
import { reseedRandomLayers } from '../../extension/core/layers/augment';
import { mixSeeds } from '../../extension/core/layers/draws';

before(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});

function build(body: string, seed = 1, name = 'Net'): BuiltModel {
  const a = analyze(`model ${name} {\n${body}\n}\n`);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return buildModel(tf, a.models[0], { seed });
}

/** The model's layers of tfjs class `className`, in build order. */
const layersOf = (b: BuiltModel, className: string) => b.model.layers.filter((l) => l.getClassName() === className);

/** `layer` applied in training (or not) to `x`, as numbers. */
function draw(layer: tf.layers.Layer, x: tf.Tensor, training = true): number[] {
  return tf.tidy(() => Array.from((layer.apply(x, { training }) as tf.Tensor).dataSync()));
}

test('dropout: zeroes about `rate` of the values and scales the rest by 1 / (1 − rate), gradient through the mask; identity at inference', () => {
  const before = tf.memory().numTensors;
  const n = 20000;
  const b = build(`  input x: [${n}]\n  output x -> dropout(0.3)`);
  const [layer] = layersOf(b, 'NnDropout');
  const ones = tf.ones([1, n]);
  assert.deepEqual(draw(layer, ones, false), new Array(n).fill(1), 'inference: the input');
  const y = draw(layer, ones);
  const kept = 1 / 0.7;
  assert.ok(y.every((v) => v === 0 || Math.abs(v - kept) < 1e-6), 'values are 0 or 1 / (1 − rate)');
  // The dropped fraction's own spread is √(0.3 · 0.7 / 20000) ≈ 0.0032: the bound is 6 of them.
  const dropped = y.filter((v) => v === 0).length / n;
  assert.ok(Math.abs(dropped - 0.3) < 0.02, `dropped ${dropped}`);
  // The gradient is the mask: the same seed (the stream restarted) gives the mask of `y`.
  reseedRandomLayers(b.model, 0, 5);
  const first = draw(layer, ones);
  reseedRandomLayers(b.model, 0, 5);
  const grad = tf.tidy(() => Array.from(tf.grad((x: tf.Tensor) => tf.sum(layer.apply(x, { training: true }) as tf.Tensor))(ones).dataSync()));
  assert.deepEqual(grad.map((g) => Math.fround(g)), first.map((v) => Math.fround(v)));
  // rate 0: nothing dropped in training either.
  const none = build('  input x: [5]\n  output x -> dropout(0)');
  const five = tf.ones([1, 5]);
  assert.deepEqual(draw(layersOf(none, 'NnDropout')[0], five), [1, 1, 1, 1, 1]);
  tf.dispose([ones, five]);
  b.model.dispose();
  none.model.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test('each training call draws anew; restarting the stream for the same (seed, epoch) repeats the draws; another epoch, seed or layer draws others', () => {
  for (const [op, className] of [['dropout(0.5)', 'NnDropout'], ['gaussian_noise(1)', 'NnGaussianNoise']] as const) {
    const b = build(`  input x: [64]\n  a = x -> ${op}\n  output a -> ${op}`);
    const [l1, l2] = layersOf(b, className);
    assert.ok(l1 && l2, `${op}: two layers`);
    const x = tf.ones([2, 64]);
    const calls = (seed: number, epoch: number) => {
      reseedRandomLayers(b.model, epoch, seed);
      return [draw(l1, x), draw(l1, x), draw(l2, x)];
    };
    const [c1, c2, other] = calls(7, 3);
    assert.notDeepEqual(c1, c2, `${op}: the second call draws anew`);
    assert.notDeepEqual(c1, other, `${op}: another layer draws others`);
    assert.notDeepEqual(c1.slice(0, 64), c1.slice(64), `${op}: each example its own draws`);
    assert.deepEqual(calls(7, 3), [c1, c2, other], `${op}: restarted, the same draws`);
    assert.notDeepEqual(calls(7, 4)[0], c1, `${op}: another epoch`);
    assert.notDeepEqual(calls(8, 3)[0], c1, `${op}: another run seed`);
    // Rebuilt with another build seed (to receive a checkpoint's weights): known by name, the same draws.
    const rebuilt = build(`  input x: [64]\n  a = x -> ${op}\n  output a -> ${op}`, 99);
    reseedRandomLayers(rebuilt.model, 3, 7);
    assert.deepEqual(draw(layersOf(rebuilt, className)[0], x), c1, `${op}: another build seed, the same draws`);
    // A model of another name (a GAN's other player) with the same layer names draws others.
    const named = build(`  input x: [64]\n  a = x -> ${op}\n  output a -> ${op}`, 1, 'Other');
    assert.equal(layersOf(named, className)[0].name, l1.name);
    reseedRandomLayers(named.model, 3, 7);
    assert.notDeepEqual(draw(layersOf(named, className)[0], x), c1, `${op}: another model's layer`);
    // Inference draws nothing: the stream is where it was.
    reseedRandomLayers(b.model, 3, 7);
    assert.deepEqual(draw(l1, x, false), new Array(128).fill(1));
    assert.deepEqual(draw(l1, x), c1, `${op}: inference calls do not advance the stream`);
    tf.dispose(x);
    for (const m of [b, rebuilt, named]) m.model.dispose();
  }
});

test('the layers serialise under their own class names and come back from the topology', async () => {
  const b = build('  input x: [8]\n  output x -> gaussian_noise(0.25) -> dense(4) -> dropout(0.4)');
  const topology = b.model.toJSON(undefined, false) as tf.io.ModelJSON['modelTopology'];
  const { layers } = (topology as unknown as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }).config;
  const byClass = new Map(layers.map((l) => [l.class_name, l.config]));
  assert.equal(byClass.get('NnDropout')?.rate, 0.4);
  assert.equal(byClass.get('NnGaussianNoise')?.stddev, 0.25);
  const back = await tf.models.modelFromJSON({ modelTopology: topology });
  assert.deepEqual(back.layers.map((l) => l.getClassName()), b.model.layers.map((l) => l.getClassName()));
  const x = tf.ones([1, 8]);
  back.setWeights(b.model.getWeights());
  assert.deepEqual(Array.from((back.predict(x) as tf.Tensor).dataSync()), Array.from((b.model.predict(x) as tf.Tensor).dataSync()));
  tf.dispose(x);
  back.dispose();
  b.model.dispose();
});

test('mixSeeds: order-sensitive, never 0 (tfjs reads a seed of 0 as none)', () => {
  assert.notEqual(mixSeeds(1, 2), mixSeeds(2, 1));
  assert.notEqual(mixSeeds(1, 2, 0), mixSeeds(1, 2));
  const seen = new Set<number>();
  for (let i = 0; i < 10000; i++) {
    const s = mixSeeds(7, i);
    assert.ok(Number.isInteger(s) && s > 0 && s < 2 ** 32);
    seen.add(s);
  }
  assert.equal(seen.size, 10000);
});

test('on WASM the image transforms run as one batch: every image of it is moved (a flat image stays flat)', () => {
  const b = build('  input x: [5, 6, 2]\n  output x -> random_rotation(0.2) -> random_translation(0.3) -> random_zoom(0.3) -> cutout(2)');
  const x = tf.fill([6, 5, 6, 2], 5);
  const y = draw(b.model, x);
  // Cutout's 2 × 2 hole is the only change: 4 pixels × 2 channels per image.
  assert.equal(y.filter((v) => v === 0).length, 6 * 8);
  assert.ok(y.every((v) => v === 0 || Math.abs(v - 5) < 1e-4), 'rotated, shifted and zoomed, all six images stay flat');
  tf.dispose(x);
  b.model.dispose();
});

test('random_translation, random_zoom and cutout come back from the topology with their arguments', async () => {
  const b = build('  input x: [6, 6, 1]\n  output x -> random_translation(0.1, 0.2, fill_mode = nearest) -> random_zoom(0.3) -> cutout(2, 3) -> flatten');
  const topology = b.model.toJSON(undefined, false) as tf.io.ModelJSON['modelTopology'];
  const back = await tf.models.modelFromJSON({ modelTopology: topology });
  const config = (m: tf.LayersModel, cls: string): Record<string, unknown> => {
    const c = m.layers.find((l) => l.getClassName() === cls)!.getConfig();
    return { ...c, name: undefined };
  };
  for (const cls of ['NnRandomTranslation', 'NnRandomZoom', 'NnCutout']) assert.deepEqual(config(back, cls), config(b.model, cls), cls);
  assert.deepEqual(
    [config(back, 'NnRandomTranslation').widthFactor, config(back, 'NnRandomTranslation').fillMode, config(back, 'NnRandomZoom').widthFactor, config(back, 'NnCutout').width],
    [0.2, 'nearest', null, 3],
  );
  back.dispose();
  b.model.dispose();
});

test('drop_path: in training each example is kept whole (scaled by 1 / (1 − rate)) or dropped whole, about `rate` of them; identity at inference; seeded', () => {
  const before = tf.memory().numTensors;
  const batch = 4000;
  const b = build('  input x: [3, 5]\n  output x -> drop_path(0.25)');
  const [layer] = layersOf(b, 'NnDropPath');
  assert.ok(layer, 'built as NnDropPath');
  const ones = tf.ones([batch, 3, 5]);
  assert.deepEqual(draw(layer, ones, false), new Array(batch * 15).fill(1), 'inference: the input');
  reseedRandomLayers(b.model, 0, 2);
  const y = draw(layer, ones);
  const kept = 1 / 0.75;
  let dropped = 0;
  for (let e = 0; e < batch; e++) {
    const row = y.slice(e * 15, (e + 1) * 15);
    const whole = row.every((v) => v === 0) || row.every((v) => Math.abs(v - kept) < 1e-6);
    assert.ok(whole, `example ${e} is neither dropped nor kept whole: ${row.join(', ')}`);
    if (row[0] === 0) dropped++;
  }
  // √(0.25 · 0.75 / 4000) ≈ 0.0068: the bound is 6 of them.
  assert.ok(Math.abs(dropped / batch - 0.25) < 0.041, `dropped ${dropped} of ${batch}`);
  // The same stream restarted draws the same examples.
  reseedRandomLayers(b.model, 0, 2);
  assert.deepEqual(draw(layer, ones), y);
  tf.dispose(ones);
  b.model.dispose();
  assert.equal(tf.memory().numTensors, before);
});
