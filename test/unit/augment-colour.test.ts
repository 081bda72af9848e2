// random_brightness and random_contrast (extension/core/layers/augment.ts): Keras's
// RandomBrightness and RandomContrast. The analysis (shape, parameters, argument errors),
// the TensorFlow.js layers (what they do to the values, clipping, identity at inference,
// seeded and reproducible draws), the augmentation preview, and the PyTorch export, run by
// the real PyTorch with the same draws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import type { ModelInfo } from '../../extension/core/analysis/types';
import { getLayer } from '../../extension/core/layers';
import { reseedRandomLayers } from '../../extension/core/layers/augment';
import { mulberry32 } from '../../extension/core/layers/common';
import { withDefaults } from '../../extension/core/layers/context';
import type { ArgValue } from '../../extension/core/layers/types';
import { exportPyTorch } from '../../extension/core/export/pytorch';
import { AUGMENT_VIEWS, augmentationChain, augmentedViews } from '../../webview/views/augmentModel';
import { useCpuBackend } from '../fixtures/tfjs';
import { PYTHON } from '../fixtures/torch';

/** Debian's python3 has torch (see export.test.ts). */

useCpuBackend();

function errors(text: string): { code: string; message: string }[] {
  return analyze(text, { uri: 'colour.nnmodel' })
    .diagnostics.filter((d) => d.severity === 'error')
    .map((d) => ({ code: d.code, message: d.message }));
}

function model(text: string): ModelInfo {
  const a = analyze(text, { uri: 'colour.nnmodel' });
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`), []);
  return a.models[0];
}

const one = (layer: string, shape = '[8, 6, 3]') => `model M {\n  input image: ${shape}\n  output image -> ${layer}\n}\n`;

let uid = 0;
/** The tfjs layer the registry builds for `name(given)` on `[h, w, c]` images, seeded `seed`. */
function build(name: string, given: Record<string, ArgValue>, dims: number[], seed: number): tf.layers.Layer {
  const spec = getLayer(name);
  assert.ok(spec?.tfjs, name);
  return spec.tfjs({
    tf,
    args: withDefaults(spec, given),
    inputs: [{ dims: [] }],
    tensors: {},
    name: `${name}_colour_${++uid}`,
    seed,
    layerObject: () => {
      throw new Error('no layer objects');
    },
  });
}

function apply(layer: tf.layers.Layer, x: tf.Tensor, training?: boolean): Float32Array {
  const y = layer.apply(x, training === undefined ? {} : { training }) as tf.Tensor;
  const out = y.dataSync() as Float32Array;
  y.dispose();
  return out;
}

/** `n` images `[h, w, c]` with values `lo + (hi − lo)·(something in [0, 1))`, different per pixel and channel. */
function images(n: number, [h, w, c]: number[], lo: number, hi: number): { data: number[]; x: tf.Tensor4D } {
  const data = Array.from({ length: n * h * w * c }, (_, k) => lo + (hi - lo) * (0.5 + 0.5 * Math.sin(1.7 * k + 0.3)) * 0.999);
  return { data, x: tf.tensor4d(data, [n, h, w, c]) };
}

/** The first `n` draws of a layer seeded `seed` (its stream: one uniform draw per image). */
const draws = (seed: number, n: number): number[] => {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => r());
};

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

// ------------------------------------------------------------------ analysis

test('analysis: shape unchanged, 0 parameters, 0 MACs, training only, in the augmentation category', () => {
  const m = model(one('random_brightness(0.2) -> random_contrast(0.3) -> random_brightness(0.1, value_range = [0, 255])', '[h, w, 3]'));
  const nodes = m.graph.nodes.filter((n) => n.kind === 'layer');
  assert.deepEqual(nodes.map((n) => n.op), ['random_brightness', 'random_contrast', 'random_brightness']);
  for (const n of nodes) {
    assert.equal(n.kind === 'layer' && n.category, 'augmentation');
    assert.deepEqual(n.shape.dims.map((d) => d.toString()), ['h', 'w', '3']);
  }
  assert.equal(m.params.total.evaluate({ h: 8, w: 8 }), 0);
  assert.equal(m.macs.evaluate({ h: 8, w: 8 }), 0);
  for (const name of ['random_brightness', 'random_contrast']) {
    const spec = getLayer(name)!;
    assert.equal(spec.trainingOnly, true, name);
    assert.ok(spec.doc.includes(`**${name}(`) && spec.doc.includes('Keras'), `${name}: hover docs`);
    for (const a of spec.args) assert.ok(a.doc.length > 10, `${name}.${a.name}: argument doc`);
  }
  assert.deepEqual(withDefaults(getLayer('random_brightness')!, { factor: 0.2 }).value_range, [0, 1], 'value_range defaults to [0, 1]');
  assert.equal(getLayer('random_brightness')!.args[1].defaultText, '[0, 1]');
});

test('analysis: out-of-range factors, a bad value_range and a non-image input are errors on the argument', () => {
  for (const layer of ['random_brightness(1.5)', 'random_brightness(-0.1)', 'random_contrast(1.2)', 'random_contrast(-0.5)']) {
    const e = errors(one(layer));
    assert.equal(e.length, 1, `${layer}: ${JSON.stringify(e)}`);
    assert.equal(e[0].code, 'arg.range', layer);
  }
  const reversed = errors(one('random_brightness(0.2, value_range = [1, 0])'));
  assert.deepEqual(reversed.map((e) => e.code), ['arg.range']);
  assert.match(reversed[0].message, /value_range takes two numbers \[low, high\] with low < high.*got \[1, 0\]/);
  assert.deepEqual(errors(one('random_brightness(0.2, value_range = 255)')).map((e) => e.code), ['arg.range'], 'one number is not a range');
  assert.deepEqual(errors(one('random_brightness(0.2, value_range = [0, 1, 2])')).map((e) => e.code), ['arg.type']);
  assert.deepEqual(errors(one('random_brightness(0.2, value_range = [0, 0.5])')).map((e) => e.code), ['arg.type'], 'whole numbers only');
  for (const layer of ['random_brightness(0.2)', 'random_contrast(0.2)']) {
    assert.deepEqual(errors(one(layer, '[16, 3]')).map((e) => e.code), ['shape.rank'], `${layer} on a sequence`);
  }
});

// ------------------------------------------------------------------ tfjs: brightness

test('random_brightness: adds one delta per image, within ±factor of the value range, drawn from the seeded stream', () => {
  const dims = [5, 4, 3];
  const per = 5 * 4 * 3;
  const { data, x } = images(6, dims, 0.3, 0.7);
  const layer = build('random_brightness', { factor: 0.2 }, dims, 11);
  const y = apply(layer, x, true);
  const u = draws(11, 6);
  const deltas: number[] = [];
  for (let i = 0; i < 6; i++) {
    const d = y[i * per] - data[i * per];
    for (let k = i * per; k < (i + 1) * per; k++) assert.ok(Math.abs(y[k] - data[k] - d) < 1e-6, `image ${i}: the same delta everywhere`);
    assert.ok(Math.abs(d) <= 0.2 + 1e-6, `image ${i}: |delta| ${d} ≤ 0.2`);
    assert.ok(Math.abs(d - (2 * u[i] - 1) * 0.2) < 1e-6, `image ${i}: delta is the stream's draw mapped to [−0.2, 0.2]`);
    deltas.push(d);
  }
  assert.ok(new Set(deltas.map((d) => d.toFixed(5))).size === 6, 'each image draws its own delta');
  // The mean over the batch moves by the mean delta, and never by more than the factor.
  const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;
  assert.ok(Math.abs(mean(y) - mean(data) - mean(deltas)) < 1e-5);
  x.dispose();
});

test('random_brightness: the delta scales with value_range and the output is clipped to it', () => {
  const dims = [4, 4, 1];
  const per = 16;
  // Raw pixels in [0, 255]: the delta is a fraction of 255.
  const raw = images(4, dims, 100, 150);
  const y = apply(build('random_brightness', { factor: 0.1, value_range: [0, 255] }, dims, 5), raw.x, true);
  const u = draws(5, 4);
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(y[i * per] - raw.data[i * per] - (2 * u[i] - 1) * 0.1 * 255) < 1e-3, `image ${i}: delta × 255`);
  // factor 1 on values spread over [0, 1]: whatever the draw, nothing leaves [0, 1], and something is clipped.
  const full = images(8, dims, 0, 1);
  const z = apply(build('random_brightness', { factor: 1 }, dims, 3), full.x, true);
  assert.ok(z.every((v) => v >= 0 && v <= 1), 'clipped to value_range [0, 1]');
  const clipped = Array.from(z).filter((v) => v === 0 || v === 1).length;
  assert.ok(clipped > 0, 'large deltas are clipped');
  const d = draws(3, 8).map((r) => 2 * r - 1);
  const expected = full.data.map((v, k) => Math.min(1, Math.max(0, v + d[Math.floor(k / per)])));
  assert.ok(maxDiff(z, expected) < 1e-6, 'clip(x + delta, 0, 1)');
  // value_range [-1, 1]: a delta of d·2, clipped to [-1, 1].
  const signed = images(3, dims, -1, 1);
  const s = apply(build('random_brightness', { factor: 0.5, value_range: [-1, 1] }, dims, 9), signed.x, true);
  const ds = draws(9, 3).map((r) => (2 * r - 1) * 0.5 * 2);
  assert.ok(maxDiff(s, signed.data.map((v, k) => Math.min(1, Math.max(-1, v + ds[Math.floor(k / per)])))) < 1e-6);
  for (const t of [raw.x, full.x, signed.x]) t.dispose();
});

// ------------------------------------------------------------------ tfjs: contrast

test('random_contrast: keeps each channel\'s mean and scales its deviations by one factor per image in [1 − f, 1 + f]', () => {
  const [h, w, c] = [5, 6, 3];
  const per = h * w * c;
  // Values well inside [0, 255], so nothing is clipped.
  const { data, x } = images(5, [h, w, c], 100, 160);
  const y = apply(build('random_contrast', { factor: 0.4 }, [h, w, c], 22), x, true);
  const u = draws(22, 5);
  const factors: number[] = [];
  for (let i = 0; i < 5; i++) {
    const k = 0.6 + u[i] * 0.8;
    assert.ok(k >= 0.6 && k <= 1.4);
    for (let ch = 0; ch < c; ch++) {
      const idx = Array.from({ length: h * w }, (_, p) => i * per + p * c + ch);
      const mx = idx.reduce((s, j) => s + data[j], 0) / idx.length;
      const my = idx.reduce((s, j) => s + y[j], 0) / idx.length;
      assert.ok(Math.abs(my - mx) < 1e-3, `image ${i} channel ${ch}: mean kept (${mx} → ${my})`);
      for (const j of idx) assert.ok(Math.abs(y[j] - my - k * (data[j] - mx)) < 1e-3, `image ${i} channel ${ch}: deviation × ${k}`);
      // The spread (standard deviation) is scaled by the same k.
      const sd = (vs: number[], m: number) => Math.sqrt(vs.reduce((s, v) => s + (v - m) ** 2, 0) / vs.length);
      assert.ok(Math.abs(sd(idx.map((j) => y[j]), my) - k * sd(idx.map((j) => data[j]), mx)) < 1e-3);
    }
    factors.push(k);
  }
  assert.ok(factors.some((k) => k < 1) && factors.some((k) => k > 1), `both directions drawn: ${factors.join(', ')}`);
  x.dispose();
});

test('random_contrast: clipped to [0, 255] as Keras does (on [0, 1] images only below 0 is cut)', () => {
  const [h, w, c] = [4, 4, 2];
  const per = h * w * c;
  // Half the pixels at `lo`, half at `hi`: mean (lo + hi) / 2, so a factor above 1 pushes both ends out.
  const ends = (lo: number, hi: number, n: number) => Array.from({ length: n * per }, (_, k) => (Math.floor(k / c) % 2 === 0 ? lo : hi));
  const check = (lo: number, hi: number) => {
    const data = ends(lo, hi, 8);
    const x = tf.tensor4d(data, [8, h, w, c]);
    const y = apply(build('random_contrast', { factor: 1 }, [h, w, c], 4), x, true);
    const ks = draws(4, 8).map((r) => r * 2);
    const m = (lo + hi) / 2;
    const expected = data.map((v, k) => Math.min(255, Math.max(0, (v - m) * ks[Math.floor(k / per)] + m)));
    assert.ok(maxDiff(y, expected) < 1e-4, `clip((x − mean)·k + mean, 0, 255) for values ${lo}/${hi}`);
    assert.ok(y.every((v) => v >= 0 && v <= 255));
    x.dispose();
    return { y, ks };
  };
  const raw = check(0, 255);
  assert.ok(raw.ks.some((k) => k > 1), 'some factor above 1 drawn');
  assert.ok(Array.from(raw.y).some((v) => v === 0) && Array.from(raw.y).some((v) => v === 255), 'both ends clipped on raw pixels');
  const unit = check(0, 1);
  assert.ok(Array.from(unit.y).some((v) => v > 1), 'on [0, 1] images values above 1 are kept (Keras clips to [0, 255])');
});

// ------------------------------------------------------------------ tfjs: inference and seeds

test('both: identity at inference, the same seed draws the same, the stream advances per call and restarts per epoch', () => {
  const dims = [4, 5, 3];
  const { data, x } = images(4, dims, 0.1, 0.9);
  for (const [name, given] of [
    ['random_brightness', { factor: 0.3 }],
    ['random_contrast', { factor: 0.5 }],
  ] as const) {
    const a = build(name, given, dims, 17);
    assert.deepEqual(Array.from(apply(a, x, false)), Array.from(new Float32Array(data)), `${name}: identity with training = false`);
    assert.deepEqual(Array.from(apply(a, x)), Array.from(new Float32Array(data)), `${name}: identity without a training flag`);
    const first = apply(a, x, true);
    assert.ok(maxDiff(first, data) > 1e-3, `${name}: changes the images in training`);
    const second = apply(a, x, true);
    assert.ok(maxDiff(first, second) > 1e-4, `${name}: the next batch draws anew`);
    const b = build(name, given, dims, 17);
    assert.deepEqual(Array.from(apply(b, x, true)), Array.from(first), `${name}: same seed, same output`);
    assert.deepEqual(Array.from(apply(b, x, true)), Array.from(second), `${name}: same seed, same second batch`);
    assert.ok(maxDiff(apply(build(name, given, dims, 18), x, true), first) > 1e-4, `${name}: another seed draws otherwise`);
    // The trainers restart the streams each epoch: epoch 0 again draws what the first batch drew.
    reseedRandomLayers({ layers: [a] }, 0, 1);
    assert.deepEqual(Array.from(apply(a, x, true)), Array.from(first), `${name}: epoch 0 restarts the stream`);
    reseedRandomLayers({ layers: [a] }, 1, 1);
    assert.ok(maxDiff(apply(a, x, true), first) > 1e-4, `${name}: epoch 1 draws its own`);
  }
  x.dispose();
});

test('the augmentation preview shows them: random copies of the image, brighter or darker, more or less contrasted', () => {
  const m = model(`model Net {
  input image: [6, 6, 1]
  output image -> random_brightness(0.3) -> random_contrast(0.5) -> flatten -> dense(2)
}`);
  const chain = augmentationChain(m.graph, 'image');
  assert.deepEqual(chain.map((n) => n.op), ['random_brightness', 'random_contrast']);
  const image = tf.div(tf.range(0, 36).reshape([1, 6, 6, 1]), 36);
  const views = augmentedViews(tf, chain, m.inputs[0].shape, image, AUGMENT_VIEWS, 2);
  assert.deepEqual(views.shape, [AUGMENT_VIEWS, 6, 6, 1]);
  const v = views.dataSync();
  const means = Array.from({ length: AUGMENT_VIEWS }, (_, i) => Array.from(v.slice(i * 36, (i + 1) * 36)).reduce((s, x) => s + x, 0) / 36);
  assert.equal(new Set(means.map((x) => x.toFixed(4))).size, AUGMENT_VIEWS, 'every copy has its own brightness');
  assert.ok(Array.from(v).every((x) => x >= 0 && x <= 1.5 + 1e-6));
  const again = augmentedViews(tf, chain, m.inputs[0].shape, image, AUGMENT_VIEWS, 2);
  assert.deepEqual(Array.from(again.dataSync()), Array.from(v), 'same preview seed, same copies');
  for (const t of [image, views, again]) t.dispose();
});

// ------------------------------------------------------------------ PyTorch export

test('export: RandomBrightness and RandomContrast modules that, run by PyTorch with the same draws, give what the TensorFlow.js layers give; identity in eval mode', (t) => {
  const [H, W, C] = [5, 6, 3];
  const layers: Record<string, [string, Record<string, ArgValue>]> = {
    Bright: ['random_brightness(0.2)', { factor: 0.2 }],
    BrightRaw: ['random_brightness(0.1, value_range = [0, 255])', { factor: 0.1, value_range: [0, 255] }],
    BrightSigned: ['random_brightness(0.9, value_range = [-1, 1])', { factor: 0.9, value_range: [-1, 1] }],
    Contrast: ['random_contrast(0.3)', { factor: 0.3 }],
    ContrastWide: ['random_contrast(1)', { factor: 1 }],
  };
  const source = Object.entries(layers)
    .map(([name, [layer]]) => `model ${name} {\n  input image: [${H}, ${W}, ${C}]\n  output image -> ${layer}\n}\n`)
    .join('\n');
  const a = analyze(source, { uri: 'colour.nnmodel' });
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  const r = exportPyTorch(a, { sourceName: 'colour.nnmodel' });
  if (!r.ok) assert.fail(r.errors.map((e) => e.message).join('\n'));
  const code = r.code;
  for (const cls of ['RandomBrightness', 'RandomContrast']) assert.match(code, new RegExp(`^class ${cls}\\(nn\\.Module\\):`, 'm'));
  assert.match(code, /RandomBrightness\(0\.2\)/);
  assert.match(code, /RandomBrightness\(0\.1, value_range=\(0\.0, 255\.0\)\)/);
  assert.match(code, /RandomBrightness\(0\.9, value_range=\(-1\.0, 1\.0\)\)/);
  assert.match(code, /RandomContrast\(0\.3\)/);
  assert.doesNotMatch(code, /torchvision/);

  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    t.skip(`${PYTHON} cannot import torch`);
    return;
  }
  // Two images with values spread over [−1, 1] (some clipping in every layer), and the TensorFlow.js layers' own outputs.
  const data = Array.from({ length: 2 * H * W * C }, (_, k) => Math.sin(0.37 * k + 0.5));
  const x = tf.tensor4d(data, [2, H, W, C]);
  const seed = 4;
  const u = draws(seed, 2);
  const expected: Record<string, number[]> = {};
  for (const [name, [, given]] of Object.entries(layers)) {
    const op = name.startsWith('Bright') ? 'random_brightness' : 'random_contrast';
    expected[name] = Array.from(apply(build(op, given, [H, W, C], seed), x, true));
  }
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-colour-'));
  try {
    writeFileSync(join(dir, 'colour.py'), code);
    const script = String.raw`
import json, runpy, sys, torch
ns = runpy.run_path(sys.argv[1])
u, data, names = json.loads(sys.argv[2])
x = torch.tensor(data, dtype=torch.float32).reshape(2, ${H}, ${W}, ${C}).permute(0, 3, 1, 2)
out = {}
real_rand = torch.rand
for name in names:
    torch.rand = lambda *a, **k: torch.tensor(u, dtype=torch.float32)
    model = ns[name]()
    model.train()
    y = model(x)
    torch.rand = real_rand
    model.eval()
    assert torch.equal(model(x), x), name + ": identity in eval mode"
    out[name] = y.permute(0, 2, 3, 1).flatten().tolist()
print(json.dumps(out))
`;
    writeFileSync(join(dir, 'run.py'), script);
    const run = spawnSync(PYTHON, [join(dir, 'run.py'), join(dir, 'colour.py'), JSON.stringify([u, data, Object.keys(layers)])], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const got = JSON.parse(run.stdout) as Record<string, number[]>;
    for (const name of Object.keys(layers)) {
      const worst = maxDiff(got[name], expected[name]);
      assert.ok(worst < 1e-4, `${name} (${layers[name][0]}): PyTorch differs from TensorFlow.js by ${worst}`);
      assert.ok(maxDiff(got[name], data) > 1e-3, `${name}: the training output is not the input`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    x.dispose();
  }
});
