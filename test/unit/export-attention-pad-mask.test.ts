// Padding masks in the PyTorch export (`attention(..., pad_mask = ids, pad_id = n)`):
// MultiHeadAttention takes the ids (`forward(x, context=None, pad_ids=None)`, `pad_id=n`)
// and hides the same keys as the TensorFlow.js layer. Models built by our runtime get
// random weights, their checkpoint is exported with `nnmodel export --weights`, and
// PyTorch (Debian's python3-torch) must give the same outputs on padded ids: left padding
// with causal self-attention (queries whose every readable key is padding included: the
// runtime gives finite values there, and so must PyTorch, not NaN), cross-attention masked
// by the source's ids, a repeated block that passes the ids on, and a pad_id other than 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import type { ModelInfo } from '../../extension/core/analysis/types';
import { buildModel } from '../../extension/core/runtime/build';
import { encodeCheckpoint, writeCheckpoint } from '../../extension/core/runtime/checkpoint';
import { nodeCheckpointFs } from '../../extension/core/runtime/nodeFs';
import { exportPyTorch } from '../../extension/core/export/pytorch';
import { runCli as cli } from '../fixtures/cli';
import { randomizeWeights, useCpuBackend } from '../fixtures/tfjs';
import { PYTHON, torchHarness, skipWithoutTorch } from '../fixtures/torch';

useCpuBackend();

const SOURCE = `block enc(heads) {
  input x
  input ids
  output (x + x -> attention(heads, pad_mask = ids)) -> layernorm
}

block dec(heads) {
  input x
  input memory
  input tgt
  input src
  x = (x + x -> attention(heads, causal = true, pad_mask = tgt)) -> layernorm
  output (x + x -> attention(heads, context = memory, pad_mask = src)) -> layernorm
}

model LeftPadded {
  input tokens: int[8]
  x = tokens -> embedding(20, 12) -> positional(learned, maxlen = 16)
  x = x -> attention(3, key_dim = 5, causal = true, pad_mask = tokens)
  output x -> attention(2, causal = true, position = alibi, pad_mask = tokens, pad_id = 7) -> dense(4)
}

model Cross {
  input src: int[6]
  input tgt: int[5]
  memory = src -> embedding(20, 12)
  output tgt -> embedding(20, 8) -> attention(2, context = memory, pad_mask = src) -> layernorm
}

model PadTransformer {
  input source: int[6]
  input target: int[seq]
  emb = embedding(20, 12)
  memory = source -> emb -> positional(learned, maxlen = 16) -> enc(3, ids = source) * 2
  output target -> emb -> dec(3, memory = memory, tgt = target, src = source) * 2 -> dense(5)
}
`;

/** Per model, its inputs' ids (batch of 2): padding on the left of causal inputs, on the right of sources. */
const IDS: Record<string, number[][][]> = {
  // Row 2 is padding up to its last position: queries 0–6 read only padding (and, through the second layer's pad_id 7, none of row 1's 7).
  LeftPadded: [
    [
      [0, 0, 0, 4, 5, 6, 7, 8],
      [0, 0, 0, 0, 0, 0, 0, 3],
    ],
  ],
  // Row 2's source is all padding: every key of every query is hidden.
  Cross: [
    [
      [1, 2, 3, 0, 0, 0],
      [0, 0, 0, 0, 0, 0],
    ],
    [
      [4, 5, 6, 7, 8],
      [9, 1, 2, 0, 0],
    ],
  ],
  PadTransformer: [
    [
      [1, 2, 3, 0, 0, 0],
      [5, 0, 0, 0, 0, 0],
    ],
    [
      [0, 0, 3, 4, 5, 6],
      [1, 2, 3, 4, 5, 6],
    ],
  ],
};


function predict(model: tf.LayersModel, ids: number[][][]): number[] {
  const xs = ids.map((rows) => tf.tensor2d(rows, undefined, 'int32'));
  const out = model.predict(xs.length === 1 ? xs[0] : xs) as tf.Tensor;
  const values = Array.from(out.dataSync());
  tf.dispose([...xs, out]);
  return values;
}

const HARNESS = torchHarness(String.raw`
    with torch.no_grad():
        out = model(*[torch.tensor(i, dtype=torch.int64) for i in job["ids"]])
    print(json.dumps({"model": job["cls"], "values": [v if v == v else "NaN" for v in out.flatten().tolist()]}), flush=True)
`);

test('the exported MultiHeadAttention takes the ids and pad_id: self-attention, cross-attention, blocks passing the ids on', () => {
  const r = exportPyTorch(analyze(SOURCE, {}));
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  const code = r.code;
  assert.match(code, /def forward\(self, x, context=None, pad_ids=None\):/);
  assert.match(code, /MultiHeadAttention\(12, 3, key_dim=5, causal=True, pad_id=0\)/);
  assert.match(code, /MultiHeadAttention\(12, 2, causal=True, alibi=True, pad_id=7\)/);
  assert.match(code, /= self\.attn1\(x, pad_ids=tokens\)/);
  // Cross-attention: the context second, the ids by name (not taken for the context).
  assert.match(code, /MultiHeadAttention\(8, 2, context_dim=12, pad_id=0\)/);
  assert.match(code, /= self\.attn1\(\w+, memory, pad_ids=src\)/);
  // Blocks take the ids as parameters; the repeated ones are called with them.
  assert.match(code, /def forward\(self, x, ids\):/);
  assert.match(code, /def forward\(self, x, memory, tgt, src\):/);
  assert.match(code, /pad_ids=ids\)/);
  assert.match(code, /pad_ids=tgt\)/);
  assert.match(code, /pad_ids=src\)/);
  // Masked scores get a large negative number, as in the runtime, not -inf: -2e9 for the future, -1e9 for padding.
  assert.match(code, /scores = torch\.where\(future, scores - 2e9, scores\)/);
  assert.match(code, /padding = \(pad_ids == self\.pad_id\)\.view\(b, 1, 1, tk\)\n\s+scores = torch\.where\(padding, scores - 1e9, scores\)/);
  assert.doesNotMatch(code, /float\("-inf"\)/);
  // A model without a padding mask calls the module as before.
  const plain = exportPyTorch(analyze('model P {\n  input tokens: int[8]\n  output tokens -> embedding(20, 12) -> attention(3, causal = true)\n}\n', {}));
  assert.ok(plain.ok);
  assert.match(plain.code, /MultiHeadAttention\(12, 3, causal=True\)  #/);
  assert.match(plain.code, /= self\.attn1\(x\)  #/);
});

test('trained weights with padding masks: PyTorch gives the outputs of TensorFlow.js on padded ids, and no NaN', async (t) => {
  if (skipWithoutTorch(t, 'PAD_MASK TEST')) return;
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-padmask-'));
  try {
    writeFileSync(join(dir, 'pad.nnmodel'), SOURCE);
    const analysis = analyze(SOURCE, { uri: join(dir, 'pad.nnmodel') });
    assert.deepEqual(analysis.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
    const expected = new Map<string, number[]>();
    const jobs: unknown[] = [];
    for (const [i, m] of analysis.models.entries() as IterableIterator<[number, ModelInfo]>) {
      const ids = IDS[m.name];
      const env = Object.fromEntries(m.symbols.map((s) => [s, 6]));
      const built = buildModel(tf, m, { symbolicDims: env, seed: 3 + i });
      predict(built.model, ids); // builds every layer before its weights are written
      randomizeWeights(built.model, 3 + i);
      const want = predict(built.model, ids);
      assert.ok(want.every(Number.isFinite), `${m.name}: TensorFlow.js gives finite values`);
      expected.set(m.name, want);
      const ckDir = join(dir, `ck-${m.name}`);
      await writeCheckpoint(nodeCheckpointFs(), ckDir, await encodeCheckpoint(built, { model: m.name, source: 'pad.nnmodel', epoch: 1, history: [] }));
      built.model.dispose();
      const r = await cli(dir, 'export', 'pad.nnmodel', '--model', m.name, '--out', `${m.name}.py`, '--weights', ckDir);
      assert.equal(r.code, 0, `${m.name}: ${r.err}`);
      jobs.push({ file: join(dir, `${m.name}.py`), module: `pad_${m.name}`, cls: m.name, weights: join(dir, `${m.name}.safetensors`), ids });
    }
    writeFileSync(join(dir, 'jobs.json'), JSON.stringify(jobs));
    writeFileSync(join(dir, 'harness.py'), HARNESS);
    const run = spawnSync(PYTHON, [join(dir, 'harness.py'), join(dir, 'jobs.json')], { encoding: 'utf8', maxBuffer: 16 << 20, timeout: 300_000 });
    assert.equal(run.status, 0, `python failed:\n${run.stderr}`);
    const results = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { model: string; values: (number | 'NaN')[] });
    assert.deepEqual(results.map((r) => r.model), ['LeftPadded', 'Cross', 'PadTransformer']);
    // Every model's verdict, not only the first one's.
    const failures: string[] = [];
    for (const r of results) {
      const want = expected.get(r.model)!;
      assert.equal(r.values.length, want.length, `${r.model}: output size`);
      if (r.values.includes('NaN')) {
        failures.push(`${r.model}: PyTorch gives NaN`);
        continue;
      }
      const got = r.values as number[];
      const scale = Math.max(1e-6, ...want.map(Math.abs));
      const worst = want.reduce((w, v, j) => Math.max(w, Math.abs(v - got[j])), 0) / scale;
      t.diagnostic(`${r.model}: ${want.length} values, worst difference ${worst.toExponential(2)} of the largest`);
      if (worst > 1e-4) failures.push(`${r.model}: PyTorch differs from TensorFlow.js by ${worst} of the largest value`);
    }
    assert.deepEqual(failures, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
