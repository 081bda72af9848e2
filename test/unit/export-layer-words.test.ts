// Blocks whose parameters are applied as layers and given layers' names
// (`-> act` with `act = gelu`, `-> norm` twice with `norm = layernorm`) in
// the PyTorch export: each application is a module of its own (two
// LayerNorms for two `-> norm`), a block called with other words is another
// class, and with the weights our runtime built and randomised, PyTorch
// (Debian's python3-torch) gives the outputs of TensorFlow.js and counts the
// analysis' parameters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import { buildModel } from '../../extension/core/runtime/build';
import { encodeCheckpoint, writeCheckpoint } from '../../extension/core/runtime/checkpoint';
import { nodeCheckpointFs } from '../../extension/core/runtime/nodeFs';
import { exportPyTorch } from '../../extension/core/export/pytorch';
import { runCli as cli } from '../fixtures/cli';
import { randomizeWeights, useCpuBackend } from '../fixtures/tfjs';
import { PYTHON, torchHarness, skipWithoutTorch } from '../fixtures/torch';

useCpuBackend();

const SOURCE = `block unit(n, act = relu, norm = layernorm) {
  input x
  output x -> norm -> dense(n) -> norm -> act
}

model Words {
  input x: [6]
  output x -> unit(8, act = gelu) -> unit(5, act = tanh, norm = batchnorm) -> unit(3, act = softmax)
}
`;

const ROWS = [
  [0.5, -1.2, 2.0, 0.1, -0.3, 0.9],
  [-0.7, 0.4, 1.1, -2.2, 0.6, 0.0],
];


const HARNESS = torchHarness(String.raw`
    with torch.no_grad():
        out = model(torch.tensor(job["rows"], dtype=torch.float32))
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    buffers = sum(b.numel() for n, b in model.named_buffers() if not n.endswith("num_batches_tracked"))
    print(json.dumps({"values": out.flatten().tolist(), "shape": list(out.shape), "trainable": trainable, "buffers": buffers}), flush=True)
`);

test('export: each application of a word is a module of its own; other words are another class', () => {
  const a = analyze(SOURCE);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  const r = exportPyTorch(a);
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  // `-> norm` twice in the body: two LayerNorms (6 and 8 wide) in the first class, two BatchNorm1d in the second.
  assert.match(r.code, /self\.ln1 = nn\.LayerNorm\(6\)  # line 3: norm\n/);
  assert.match(r.code, /self\.ln2 = nn\.LayerNorm\(8\)  # line 3: norm\n/);
  assert.equal((r.code.match(/nn\.BatchNorm1d\(/g) ?? []).length, 2, r.code);
  assert.match(r.code, /F\.gelu\(/);
  assert.match(r.code, /torch\.tanh\(|F\.tanh\(/);
  assert.match(r.code, /softmax\(/);
  // Comments give the line of `-> act` and the name as written.
  assert.match(r.code, /# line 3: act/);
});

test('export with trained weights: PyTorch gives the outputs of TensorFlow.js and the analysis counts', async (t) => {
  if (skipWithoutTorch(t, 'LAYER WORDS EXPORT TEST')) return;
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-words-'));
  try {
    writeFileSync(join(dir, 'words.nnmodel'), SOURCE);
    const analysis = analyze(SOURCE, { uri: join(dir, 'words.nnmodel') });
    assert.deepEqual(analysis.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
    const m = analysis.models[0];
    const built = buildModel(tf, m, { seed: 5 });
    const x = tf.tensor2d(ROWS);
    tf.dispose(built.model.predict(x) as tf.Tensor); // builds every layer before its weights are written
    randomizeWeights(built.model, 5);
    const out = built.model.predict(x) as tf.Tensor;
    const want = Array.from(out.dataSync());
    tf.dispose([x, out]);
    const ckDir = join(dir, 'ck');
    await writeCheckpoint(nodeCheckpointFs(), ckDir, await encodeCheckpoint(built, { model: m.name, source: 'words.nnmodel', epoch: 1, history: [] }));
    built.model.dispose();
    const r = await cli(dir, 'export', 'words.nnmodel', '--out', 'words.py', '--weights', ckDir);
    assert.equal(r.code, 0, r.err);
    writeFileSync(join(dir, 'jobs.json'), JSON.stringify([{ file: join(dir, 'words.py'), module: 'words', cls: 'Words', weights: join(dir, 'words.safetensors'), rows: ROWS }]));
    writeFileSync(join(dir, 'harness.py'), HARNESS);
    const run = spawnSync(PYTHON, [join(dir, 'harness.py'), join(dir, 'jobs.json')], { encoding: 'utf8', maxBuffer: 16 << 20, timeout: 300_000 });
    assert.equal(run.status, 0, `python failed:\n${run.stderr}`);
    const got = JSON.parse(run.stdout.trim()) as { values: number[]; shape: number[]; trainable: number; buffers: number };
    assert.deepEqual(got.shape, [2, 3]);
    assert.equal(got.trainable, m.params.trainable.value, 'trainable parameters');
    assert.equal(got.buffers, m.params.nonTrainable.value, 'batchnorm statistics');
    const scale = Math.max(1e-6, ...want.map(Math.abs));
    const worst = want.reduce((w, v, j) => Math.max(w, Math.abs(v - got.values[j])), 0) / scale;
    t.diagnostic(`${want.length} values, worst difference ${worst.toExponential(2)} of the largest`);
    assert.ok(worst <= 1e-4, `PyTorch differs from TensorFlow.js by ${worst} of the largest value`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
