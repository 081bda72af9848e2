// Broadcasting between values of different ranks in the PyTorch export, checked by numbers:
// our TensorFlow.js runtime (Keras's merge layers expand the value with fewer axes after the
// batch axis) and the exported module, given the same random weights through a checkpoint,
// must give the same outputs. The image is channels-first in PyTorch and channels-last here,
// so a gate broadcast over the wrong axis (height or width instead of channels) changes the
// values; the sizes are all different (h 5, w 7, c 6) so that no wrong axis fits by chance.
// Also: growing `block * N` (one nn.Sequential over the index) with string and tuple
// arguments in the copies (`padding = same`, `kernel [3, 1]`), and its weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import type { ModelInfo } from '../../extension/core/analysis/types';
import { buildModel, type BuiltModel } from '../../extension/core/runtime/build';
import { encodeCheckpoint, writeCheckpoint } from '../../extension/core/runtime/checkpoint';
import { nodeCheckpointFs } from '../../extension/core/runtime/nodeFs';
import { exportPyTorch } from '../../extension/core/export/pytorch';
import { runCli as cli } from '../fixtures/cli';
import { randomizeWeights, useCpuBackend } from '../fixtures/tfjs';
import { PYTHON, torchHarness, torchMissing } from '../fixtures/torch';

const SEQ = 6;

useCpuBackend();

/** Squeeze-excite gates as [1, 1, c], [1, c] and [c], on either side of add and multiply. */
const GATES = `block se(squeeze) {
  input x: [h, w, c]
  s = x -> global_avgpool -> dense(squeeze) -> relu -> dense(c) -> sigmoid
  output x -> multiply(s -> reshape([1, 1, c])) + s -> multiply(x) + (s -> reshape([1, c])) + s
}

model Gates {
  input image: [5, 7, 4]
  input t: [4]
  x = image -> conv2d(6, 3, padding = same) -> se(2)
  y = t -> dense(6)
  z = y + x -> multiply(y -> reshape([1, 6])) -> multiply(y -> reshape([1, 1, 6]))
  g = (y -> reshape([1, 6])) -> multiply(z) + (y -> reshape([1, 1, 6])) + x
  output g -> conv2d(3, 1) -> se(1)
}
`;

/** A gate block taking the image and the vector as two inputs; a sequence (channels-first after conv1d) plus vectors. */
const PORTS = `block gate() {
  input x: [h, w, c]
  input v: [c]
  output v -> multiply(x) + x -> multiply(v -> reshape([1, 1, c]))
}

model Ports {
  input image: [5, 7, 3]
  input signal: [seq, 5]
  x = image -> conv2d(6, 3, padding = same)
  v = x -> global_avgpool -> dense(6) -> sigmoid
  x = x -> gate(v = v) -> conv2d(4, 1)
  u = x -> global_maxpool -> dense(4) -> tanh
  x = x -> gate(v = u)
  s = signal -> conv1d(4, 3, padding = same)
  w = s -> mean(0)
  s = w + s -> multiply(w -> reshape([1, 4])) -> conv1d(4, 1)
  output x -> global_avgpool -> concat(s -> take(-1)) -> dense(3)
}
`;

/** Growing copies (a progression) whose layers take strings and tuples: padding = same, [3, 1] kernels. */
const GROWING = `block grow(growth = 3) {
  input x
  y = x -> batchnorm -> relu -> conv2d(growth, [3, 1], padding = same, bias = false) -> conv2d(growth, [1, 3], stride = 1, padding = same, dilation = 2)
  output x -> concat(y)
}

model Growing {
  input image: [6, 5, 4]
  output image -> conv2d(5, 1) -> grow * 3 -> global_avgpool -> dense(2)
}
`;

/** Spatial attention ([h, w, 1] gates), [w, c] and [1, c] rows (one made by conv1d, channels-first there), [h, w, 1] times [c]. */
const ROWS = `block gated(n) {
  input x: [h, w, c]
  input v: [c]
  output x -> multiply(v)
}

model Rows {
  input image: [5, 7, 4]
  input row: [7, 4]
  input t: [4]
  x = image -> conv2d(6, 3, padding = same)
  a = x -> conv2d(1, 1) -> sigmoid
  x = a -> multiply(x) + x -> multiply(a)
  r = row -> conv1d(6, 3, padding = same)
  x = r + x -> multiply(r)
  p = row -> conv1d(6, 7) -> relu
  x = p -> multiply(x) + x + (t -> dense(6)) + (image -> conv2d(1, 1))
  q = image -> conv2d(1, 1) -> multiply(t -> dense(6))
  x = x + q -> gated(1, v = t -> dense(6)) * 2
  output x -> conv2d(3, 1)
}
`;

interface Source {
  name: string;
  text: string;
  model: string;
}

const SOURCES: Source[] = [
  { name: 'gates', text: GATES, model: 'Gates' },
  { name: 'ports', text: PORTS, model: 'Ports' },
  { name: 'growing', text: GROWING, model: 'Growing' },
  { name: 'rows', text: ROWS, model: 'Rows' },
];


interface Input {
  data: number[];
  shape: number[];
  image: boolean;
}

function inputsFor(m: ModelInfo, env: Record<string, number>): Input[] {
  return m.inputs.map((inp, k) => {
    const shape = inp.shape.dims.map((d) => d.evaluate(env)!);
    const n = 2 * shape.reduce((a, b) => a * b, 1);
    // Varies along every axis, and differently in the two examples of the batch.
    const data = Array.from({ length: n }, (_, i) => Math.sin(0.37 * i + 0.5 + k) + 0.3 * Math.cos(1.3 * i * i + k));
    return { data, shape, image: shape.length === 3 };
  });
}

function predict(built: BuiltModel, inputs: Input[]): number[][] {
  const xs = inputs.map((i) => tf.tensor(i.data, [2, ...i.shape], 'float32'));
  const out = built.model.predict(xs.length === 1 ? xs[0] : xs) as tf.Tensor | tf.Tensor[];
  const list = Array.isArray(out) ? out : [out];
  const values = list.map((t) => Array.from(t.dataSync()));
  tf.dispose([...xs, ...list]);
  return values;
}

const HARNESS = torchHarness(String.raw`
    xs = []
    for i in job["inputs"]:
        t = torch.tensor(i["data"], dtype=torch.float32).reshape([2] + i["shape"])
        xs.append(t.permute(0, 3, 1, 2) if i["image"] else t)
    with torch.no_grad():
        out = model(*xs)
    outs = list(out) if isinstance(out, tuple) else [out]
    print(json.dumps({"id": job["id"], "values": [(o.permute(0, 2, 3, 1) if o.dim() == 4 else o).flatten().tolist() for o in outs]}), flush=True)
`);

test('export: the code of broadcasts between ranks and of growing copies with string and tuple arguments', () => {
  for (const s of SOURCES) {
    const a = analyze(s.text, {});
    assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), [], s.name);
    assert.ok(exportPyTorch(a).ok, s.name);
  }
  const r = exportPyTorch(analyze(GROWING, {}));
  assert.ok(r.ok);
  assert.match(r.code, /self\.grows = nn\.Sequential\(\*\[Grow\(5 \+ 3 \* i\) for i in range\(3\)\]\)/);
  assert.match(r.code, /nn\.Conv2d\(in_channels, 3, \(3, 1\), padding="same", bias=False\)/);
});

test('export: PyTorch gives the outputs of TensorFlow.js where values of different ranks meet, with the image channels-first', async (t) => {
  const missing = torchMissing();
  if (missing) {
    t.skip(`PYTORCH BROADCAST PARITY SKIPPED: ${missing}. Install Debian's python3-torch.`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-broadcast-parity-'));
  try {
    const jobs: unknown[] = [];
    const expected: number[][][] = [];
    for (const [i, s] of SOURCES.entries()) {
      writeFileSync(join(dir, `${s.name}.nnmodel`), s.text);
      const analysis = analyze(s.text, { uri: join(dir, `${s.name}.nnmodel`) });
      const m = analysis.models.find((x) => x.name === s.model)!;
      const env = Object.fromEntries(m.symbols.map((x) => [x, SEQ]));
      const inputs = inputsFor(m, env);
      const seed = 31 + i;
      const built = buildModel(tf, m, { symbolicDims: env, seed });
      predict(built, inputs);
      randomizeWeights(built.model, seed);
      expected.push(predict(built, inputs));
      const ckDir = join(dir, `ck-${s.name}`);
      const ck = await encodeCheckpoint(built, { model: m.name, source: `${s.name}.nnmodel`, epoch: 1, history: [] });
      await writeCheckpoint(nodeCheckpointFs(), ckDir, ck);
      built.model.dispose();
      const r = await cli(dir, 'export', `${s.name}.nnmodel`, '--model', s.model, '--out', `${s.name}.py`, '--weights', ckDir);
      assert.equal(r.code, 0, `${s.name}: ${r.err}`);
      jobs.push({
        id: i,
        file: join(dir, `${s.name}.py`),
        module: `b_${s.name}`,
        cls: s.model,
        weights: join(dir, `${s.name}.safetensors`),
        inputs: inputs.map((x) => ({ data: x.data, shape: x.shape, image: x.image })),
      });
    }
    writeFileSync(join(dir, 'jobs.json'), JSON.stringify(jobs));
    writeFileSync(join(dir, 'harness.py'), HARNESS);
    const run = spawnSync(PYTHON, [join(dir, 'harness.py'), join(dir, 'jobs.json')], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 300_000 });
    assert.equal(run.status, 0, `python failed:\n${run.stderr}`);
    const results = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: number; values: number[][] });
    assert.equal(results.length, SOURCES.length);
    for (const r of results) {
      const s = SOURCES[r.id];
      const want = expected[r.id];
      assert.equal(r.values.length, want.length, `${s.name}: outputs`);
      want.forEach((w, k) => {
        const got = r.values[k];
        assert.equal(got.length, w.length, `${s.name}: output ${k} size`);
        const scale = Math.max(1e-6, ...w.map(Math.abs));
        const worst = w.reduce((m, v, j) => Math.max(m, Math.abs(v - got[j])), 0) / scale;
        t.diagnostic(`${s.name} output ${k}: ${w.length} values, worst difference ${worst.toExponential(2)} of the largest`);
        assert.ok(worst <= 1e-4, `${s.name}: output ${k} differs from TensorFlow.js by ${worst} of the largest value`);
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
