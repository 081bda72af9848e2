// The inspector's runtime host in Node (tfjs CPU backend): building a session
// per edit, timing a forward pass, the weights hook, and the tensor count
// staying flat across re-renders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import { reviveModel, serializeModel } from '../../extension/core/protocol';
import { ModelSession } from '../../webview/host/session';
import { fallbackReason, isSoftwareRenderer, planBackends } from '../../webview/host/backendChoice';
import { LENET5 as LENET } from '../fixtures/contract';


const TINY_GPT = `block gpt_block(dim, heads, hidden = 4 * dim, p = 0.1) {
  input x
  x = x + x -> layernorm -> attention(heads, causal = true) -> dropout(p)
  output x + x -> layernorm -> dense(hidden) -> gelu -> dense(dim) -> dropout(p)
}
model Tiny {
  input tokens: int[seq]
  wte = embedding(50, 16)
  h = tokens -> wte -> positional(learned, maxlen = 32) -> dropout(0.1)
  output h -> gpt_block(16, 2) * 2 -> layernorm -> unembed(wte)
}
`;

/** The model as the webview gets it: serialised, through JSON, revived. */
function viaWire(text: string) {
  const a = analyze(text);
  assert.equal(a.diagnostics.filter((d) => d.severity === 'error').length, 0, JSON.stringify(a.diagnostics));
  return reviveModel(JSON.parse(JSON.stringify(serializeModel(a.models[0]))));
}

test('setup: cpu backend', async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

test('a LeNet session builds from the wire form, runs forward and matches the analysis counts', async () => {
  const info = viaWire(LENET);
  const s = ModelSession.create(tf, info, { seed: 0 });
  try {
    assert.equal(s.built.model.countParams(), 61706);
    assert.equal(s.built.layerPaths.length, 13);
    assert.equal(s.activations.paths.length, 13);
    const ms = await s.forward();
    assert.ok(ms >= 0 && Number.isFinite(ms));
    const [x] = s.sampleInputs();
    assert.deepEqual(x.shape, [1, 32, 32, 1]);
    const y = s.built.model.predict(x) as tf.Tensor;
    const sum = (await y.sum().data())[0];
    assert.ok(Math.abs(sum - 1) < 1e-4, `softmax output sums to 1 (got ${sum})`);
    tf.dispose([x, y]);
  } finally {
    s.dispose();
  }
});

test('the same seed builds the same weights; another seed other weights', async () => {
  const info = viaWire(LENET);
  const first = async (seed: number) => {
    const s = ModelSession.create(tf, info, { seed });
    const w = await s.built.model.getWeights()[0].data();
    s.dispose();
    return Array.from(w.slice(0, 8));
  };
  assert.deepEqual(await first(0), await first(0));
  assert.notDeepEqual(await first(0), await first(1));
});

test('setWeights replaces a layer\'s weights by node path and rejects wrong shapes without changing anything', async () => {
  const s = ModelSession.create(tf, viaWire(LENET), { seed: 0 });
  try {
    const path = s.built.layerPaths[0];
    const layer = s.built.layerOf.get(path)!;
    const shapes = layer.getWeights().map((w) => w.shape);
    const ones = shapes.map((sh) => tf.ones(sh));
    s.setWeights(new Map([[path, ones]]));
    assert.equal((await layer.getWeights()[0].sum().data())[0], 5 * 5 * 1 * 6);
    const wrong = [tf.ones([3, 3, 1, 6]), tf.ones([6])];
    assert.throws(() => s.setWeights(new Map([[path, wrong]])), /shape/);
    assert.throws(() => s.setWeights(new Map([['999', ones]])), /no layer/);
    assert.equal((await layer.getWeights()[0].sum().data())[0], 150, 'unchanged after the rejected call');
    tf.dispose([...ones, ...wrong]);
  } finally {
    s.dispose();
  }
});

for (const [name, text] of [
  ['LeNet5', LENET],
  ['a tiny GPT (shared embedding, repeated blocks, symbolic seq)', TINY_GPT],
] as const) {
  test(`tensor count stays flat over 50 re-renders of ${name}`, async () => {
    const info = viaWire(text);
    // One render as the inspector does it: build, time a forward pass, run the all-outputs model, dispose.
    const render = async () => {
      const s = ModelSession.create(tf, info, { seed: 0 });
      await s.forward();
      const xs = s.sampleInputs();
      const outs = s.activations.model.predict(xs.length === 1 ? xs[0] : xs);
      tf.dispose(outs);
      tf.dispose(xs);
      s.dispose();
    };
    await render();
    const before = tf.memory();
    for (let i = 0; i < 50; i++) await render();
    const after = tf.memory();
    assert.equal(after.numTensors, before.numTensors);
    assert.equal(after.numBytes, before.numBytes);
  });
}

test('a tiny GPT session takes any sequence length and token ids below the vocabulary', async () => {
  const s = ModelSession.create(tf, viaWire(TINY_GPT), { seed: 0 });
  try {
    assert.equal(s.dims.seq, 16);
    const [x] = s.sampleInputs();
    assert.equal(x.dtype, 'int32');
    assert.ok((await x.max().data())[0] < 50);
    const long = tf.zeros([1, 24], 'int32');
    const y = s.built.model.predict(long) as tf.Tensor;
    assert.deepEqual(y.shape, [1, 24, 50]);
    tf.dispose([x, long, y]);
  } finally {
    s.dispose();
  }
});

test('backend plan: auto prefers GPU WebGL, WASM on software GL or none; settings force', () => {
  const swift = 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)';
  const gpu = 'ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 Direct3D11 vs_5_0 ps_5_0, D3D11)';
  assert.ok(isSoftwareRenderer(swift));
  assert.ok(isSoftwareRenderer('llvmpipe (LLVM 15.0.6, 256 bits)'));
  assert.ok(isSoftwareRenderer('Google SwiftShader'));
  assert.ok(!isSoftwareRenderer(gpu));
  assert.ok(!isSoftwareRenderer('Apple M1'));
  assert.ok(!isSoftwareRenderer(undefined));

  const autoGpu = planBackends('auto', { available: true, renderer: gpu });
  assert.deepEqual(autoGpu.order, ['webgl', 'wasm', 'cpu']);
  assert.match(autoGpu.reason, /GPU/);
  const autoSw = planBackends('auto', { available: true, renderer: swift });
  assert.deepEqual(autoSw.order, ['wasm', 'cpu']);
  assert.match(autoSw.reason, /software-rendered/);
  assert.equal(autoSw.allowSoftwareWebgl, false);
  assert.deepEqual(planBackends('auto', { available: false }).order, ['wasm', 'cpu']);

  const forced = planBackends('webgl', { available: true, renderer: swift });
  assert.deepEqual(forced.order, ['webgl', 'wasm', 'cpu']);
  assert.equal(forced.allowSoftwareWebgl, true);
  assert.match(forced.reason, /nnmodel\.backend = webgl/);
  assert.deepEqual(planBackends('wasm', { available: true, renderer: gpu }).order, ['wasm', 'cpu']);
  assert.deepEqual(planBackends('cpu', { available: true, renderer: gpu }).order, ['cpu']);

  assert.equal(fallbackReason(forced, [], 'webgl'), forced.reason);
  assert.match(fallbackReason(forced, [{ backend: 'webgl', error: 'no context' }], 'wasm'), /webgl failed \(no context\).*fell back to wasm/);
});
