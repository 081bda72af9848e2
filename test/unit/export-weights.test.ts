// Trained weights in the PyTorch export (`nnmodel export --weights`,
// extension/core/export/weights.ts): models built by our TensorFlow.js
// runtime get random, non-symmetric weights, a real checkpoint is written,
// the CLI exports code + safetensors, and PyTorch (Debian's python3-torch)
// must give the same outputs as TensorFlow.js. A wrong transpose, gate order
// or flatten order changes the outputs, so the comparison catches it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import type { Analysis, ModelInfo } from '../../extension/core/analysis/types';
import { buildModel, type BuiltModel } from '../../extension/core/runtime/build';
import { encodeCheckpoint, writeCheckpoint } from '../../extension/core/runtime/checkpoint';
import { nodeCheckpointFs } from '../../extension/core/runtime/nodeFs';
import { channelsFirstFlattenPerm, decodeSafetensors, encodeSafetensors, permuteAxes } from '../../extension/core/export/weights';
import { exportPyTorch, minVocab } from '../../extension/core/export/pytorch';
import { analyzeFile } from '../../extension/cli/diagnostics';
import { runCli as cli } from '../fixtures/cli';
import { SHARED_IN_BLOCK_MODEL, SHARED_MODEL } from './exportFixtures';
import { randomizeWeights, useCpuBackend } from '../fixtures/tfjs';
import { PYTHON, torchHarness, skipWithoutTorch } from '../fixtures/torch';

const root = process.cwd();
/** Symbolic dimensions (seq) take this value in both runtimes. */
const SEQ = 6;

useCpuBackend();

/** Layers the examples do not cover together: groups, causal conv1d, groupnorm, rnn, concat after an image flatten, residual blocks * N. */
const MIXED = `block res(ch) {
  input x
  y = x -> conv2d(ch, 3, padding = same) -> groupnorm(2) -> relu
  output x + y
}

model Mixed {
  input image: [9, 7, 3]
  input signal: [seq, 6]
  a = image -> conv2d(8, 3, stride = 2, padding = same) -> batchnorm -> res(8) * 2 -> conv2d(8, [3, 1], groups = 2, padding = same)
  f = a -> flatten -> dropout(0.2) -> relu -> batchnorm -> layernorm -> layer_scale(0.5)
  s = signal -> conv1d(6, 3, padding = causal, dilation = 2) -> conv1d(4, 3, padding = same) -> layernorm -> rnn(5)
  output f -> concat(s) -> dense(7) -> batchnorm -> softmax
}
`;

/** Attention with key_dim, causal and a context; learned positions; cls token; tied unembed with a bias. */
const SEQUENCES = `model Seq {
  input tokens: int[seq]
  input memory: [5, 12]
  emb = embedding(20, 12)
  x = tokens -> emb -> positional(learned, maxlen = 16) -> cls_token
  y = x -> attention(3, key_dim = 5, causal = true) -> attention(2, context = memory) -> layernorm
  output y -> unembed(emb, bias = true) -> softmax
}
`;

/** Keras's GRU (reset gate before the recurrent product): KerasGRU in the export. */
const GRU = `model Gru {
  input x: [seq, 5]
  output x -> gru(7, return_sequences = true) -> gru(4) -> dense(3)
}
`;

/**
 * Bidirectional recurrent layers (forward weights as PyTorch's, backward ones as its `*_reverse`; without
 * return_sequences, the backward state is the one after reading the whole sequence backwards): nn.LSTM
 * and nn.RNN with bidirectional=True, KerasGRU with its reverse weights.
 */
const BIDIRECTIONAL = `model Bi {
  input x: [seq, 5]
  a = x -> lstm(6, bidirectional = true, return_sequences = true) -> rnn(3, bidirectional = true, return_sequences = true)
  a = a -> gru(4, bidirectional = true, return_sequences = true)
  s = a -> lstm(5, bidirectional = true)
  g = a -> gru(3, bidirectional = true)
  r = a -> rnn(2, bidirectional = true)
  output s -> concat(g, r) -> dense(2)
}
`;

/**
 * Mobile and modern CNNs, WaveNet: depthwise convolutions with relu6 and silu, MobileNetV3's hard_swish
 * and its squeeze-excite gated by hard_sigmoid, squeeze-excite
 * (a channel vector reshaped to [1, 1, c] gating an image through multiply, at two widths:
 * one class with -1 in the reshape), ConvNeXt's layernorm and dense per pixel with a
 * depthwise 1×1 layer scale, and WaveNet's gated causal convolutions with summed skips.
 * A vector added to or multiplied with an image broadcasts over its pixels (Keras's merge
 * layers expand it after the batch axis). DenseNet's growing `grow * 2`: one nn.Sequential
 * whose copies take 6 and 9 channels.
 */
const MOBILE = `block se(squeeze) {
  input x: [h, w, c]
  s = x -> global_avgpool -> dense(squeeze) -> silu -> dense(c) -> sigmoid -> reshape([1, 1, c])
  output x -> multiply(s)
}

block se3(squeeze) {
  input x: [h, w, c]
  s = x -> global_avgpool -> dense(squeeze, activation = relu) -> dense(c) -> hard_sigmoid -> reshape([1, 1, c])
  output x -> multiply(s)
}

block grow(growth = 3) {
  input x
  output x -> concat(x -> batchnorm -> relu -> conv2d(growth, 3, padding = same, bias = false))
}

block next(c) {
  input x
  y = x -> conv2d(c, 7, padding = same, groups = c) -> layernorm(epsilon = 1e-6) -> dense(4 * c) -> gelu -> dense(c) -> layer_scale -> drop_path(0.1)
  output x + y -> conv2d(c, 1, groups = c, bias = false)
}

model Mobile {
  input image: [9, 9, 4]
  input audio: [seq, 3]
  x = image -> conv2d(8, 1, bias = false) -> batchnorm -> relu6
            -> conv2d(8, 3, stride = 2, padding = same, groups = 8) -> batchnorm -> silu -> se(2)
            -> conv2d(6, 1) -> grow * 2 -> se(3) -> layernorm -> next(12)
            -> conv2d(12, 1, activation = hard_swish) -> hard_swish -> se3(4) -> conv2d(12, 1, activation = hard_sigmoid)
  v = x -> global_avgpool -> dense(12) -> sigmoid
  x = v + x -> multiply(v)
  z = audio -> conv1d(4, 2, padding = causal, dilation = 2) -> tanh
  g = audio -> conv1d(4, 2, padding = causal, dilation = 2) -> sigmoid
  a = z -> multiply(g)
  skip = (a -> conv1d(5, 1)) + ((a + a -> conv1d(4, 1)) -> conv1d(5, 1))
  output x -> global_avgpool -> concat(skip -> relu -> take(-1)) -> dense(3)
}
`;

interface Source {
  name: string;
  /** An example file, or inline text. */
  file?: string;
  text?: string;
  model: string;
}

const SOURCES: Source[] = [
  { name: 'lenet5', file: 'lenet5.nnmodel', model: 'LeNet5' },
  { name: 'vgg_small', file: 'vgg_small.nnmodel', model: 'VGGSmall' },
  { name: 'char_lstm', file: 'char_lstm.nnmodel', model: 'CharLSTM' },
  { name: 'gpt_small', file: 'gpt_small.nnmodel', model: 'GPTSmall' },
  { name: 'unet_small', file: 'unet_small.nnmodel', model: 'UNetSmall' },
  { name: 'gru', text: GRU, model: 'Gru' },
  { name: 'bidirectional', text: BIDIRECTIONAL, model: 'Bi' },
  { name: 'mixed', text: MIXED, model: 'Mixed' },
  { name: 'seq', text: SEQUENCES, model: 'Seq' },
  { name: 'shared', text: SHARED_MODEL, model: 'Shared' },
  // A layer object first applied in a block body, then by the caller; in a repeated block; in two calls; defined in a block.
  { name: 'shared_first_in_block', text: SHARED_IN_BLOCK_MODEL, model: 'FirstInBlock' },
  { name: 'shared_repeated_in_block', text: SHARED_IN_BLOCK_MODEL, model: 'RepeatedInBlock' },
  { name: 'shared_two_calls', text: SHARED_IN_BLOCK_MODEL, model: 'TwoCalls' },
  { name: 'shared_own', text: SHARED_IN_BLOCK_MODEL, model: 'OwnObjects' },
  { name: 'mobile', text: MOBILE, model: 'Mobile' },
];


function sourceAnalysis(s: Source, dir: string): { analysis: Analysis; file: string } {
  const file = join(dir, `${s.name}.nnmodel`);
  if (s.file) {
    // gpt_small imports gpt2_small: analyse it where it is.
    const r = analyzeFile(join(root, 'examples', s.file), root);
    assert.ok(r.ok);
    writeFileSync(file, readFileSync(join(root, 'examples', s.file)));
    if (s.file === 'gpt_small.nnmodel') writeFileSync(join(dir, 'gpt2_small.nnmodel'), readFileSync(join(root, 'examples', 'gpt2_small.nnmodel')));
    return { analysis: r.analysis, file };
  }
  writeFileSync(file, s.text!);
  const analysis = analyze(s.text!, { uri: file });
  assert.deepEqual(analysis.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), [], s.name);
  return { analysis, file };
}

interface Input {
  data: number[];
  /** .nnmodel shape without the batch. */
  shape: number[];
  int: boolean;
  image: boolean;
}

function inputsFor(m: ModelInfo, env: Record<string, number>): Input[] {
  const vocab = minVocab(m.graph);
  return m.inputs.map((inp, k) => {
    const shape = inp.shape.dims.map((d) => d.evaluate(env)!);
    const n = 2 * shape.reduce((a, b) => a * b, 1);
    const data = Array.from({ length: n }, (_, i) => (inp.shape.isInt ? (i * 7 + 3 + k) % vocab : Math.sin(0.37 * i + 0.5 + k)));
    return { data, shape, int: inp.shape.isInt === true, image: !inp.shape.isInt && shape.length === 3 };
  });
}

function predict(built: BuiltModel, inputs: Input[]): number[][] {
  const xs = inputs.map((i) => tf.tensor(i.data, [2, ...i.shape], i.int ? 'int32' : 'float32'));
  const out = built.model.predict(xs.length === 1 ? xs[0] : xs) as tf.Tensor | tf.Tensor[];
  const list = Array.isArray(out) ? out : [out];
  const values = list.map((t) => Array.from(t.dataSync()));
  tf.dispose([...xs, ...list]);
  return values;
}

/** Builds `model` in tfjs with random weights, writes its checkpoint into `ckDir`, returns its outputs. */
async function trainedCheckpoint(m: ModelInfo, env: Record<string, number>, ckDir: string, seed: number, inputs: Input[]): Promise<number[][]> {
  const built = buildModel(tf, m, { symbolicDims: env, seed });
  // predict once so that every layer is built before its weights are written
  predict(built, inputs);
  randomizeWeights(built.model, seed);
  const outputs = predict(built, inputs);
  const ck = await encodeCheckpoint(built, { model: m.name, source: `${m.name}.nnmodel`, epoch: 3, history: [] });
  await writeCheckpoint(nodeCheckpointFs(), ckDir, ck);
  built.model.dispose();
  return outputs;
}

const HARNESS = torchHarness(String.raw`
    xs = []
    for i in job["inputs"]:
        t = torch.tensor(i["data"], dtype=torch.int64 if i["int"] else torch.float32).reshape([2] + i["shape"])
        xs.append(t.permute(0, 3, 1, 2) if i["image"] else t)
    with torch.no_grad():
        out = model(*xs)
    outs = list(out) if isinstance(out, tuple) else [out]
    res = {"id": job["id"], "values": [(o.permute(0, 2, 3, 1) if o.dim() == 4 else o).flatten().tolist() for o in outs]}
    if job["main"]:
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            runpy.run_path(job["file"], run_name="__main__")
        res["main"] = printed.getvalue()
    print(json.dumps(res), flush=True)
`);

/** Worst difference relative to the largest expected value, per output. */
function worstRelative(want: number[], got: number[]): number {
  assert.equal(got.length, want.length, 'output size');
  const scale = Math.max(1e-6, ...want.map(Math.abs));
  return want.reduce((m, v, j) => Math.max(m, Math.abs(v - got[j])), 0) / scale;
}

test('trained weights: PyTorch gives the outputs of TensorFlow.js for CNNs, batchnorm, LSTM, GRU, attention, tied unembed, U-Net, shared layers', async (t) => {
  if (skipWithoutTorch(t, 'WEIGHTS TEST')) return;
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-weights-'));
  try {
    const jobs: unknown[] = [];
    const expected: number[][][] = [];
    for (const [i, s] of SOURCES.entries()) {
      const { analysis, file } = sourceAnalysis(s, dir);
      const m = analysis.models.find((x) => x.name === s.model)!;
      const env = Object.fromEntries(m.symbols.map((x) => [x, SEQ]));
      const inputs = inputsFor(m, env);
      const ckDir = join(dir, `ck-${s.name}`);
      expected.push(await trainedCheckpoint(m, env, ckDir, 11 + i, inputs));
      // The CLI, as a user runs it; the checkpoint named by its folder or by its model.json.
      const r = await cli(dir, 'export', `${s.name}.nnmodel`, '--model', s.model, '--out', `${s.name}.py`, '--weights', i % 2 ? join(ckDir, 'model.json') : ckDir);
      assert.equal(r.code, 0, `${s.name}: ${r.err}`);
      assert.match(r.err, new RegExp(`wrote ${s.name}\\.py \\(1 model: ${s.model}\\) and ${s.name}\\.safetensors \\([\\d,]+ values from \\d+ layers? of the checkpoint of epoch 3\\)`), r.err);
      if (s.name === 'char_lstm') assert.match(r.err, /^char_lstm\.nnmodel:25:40: note CharLSTM: lstm1\.bias_hh_l0 = 0, not a trained value: Keras has one bias vector, PyTorch two/m);
      assert.ok(existsSync(join(dir, `${s.name}.safetensors`)), s.name);
      void file;
      jobs.push({
        id: i,
        file: join(dir, `${s.name}.py`),
        module: `w_${s.name}`,
        cls: s.model,
        weights: join(dir, `${s.name}.safetensors`),
        inputs: inputs.map((x) => ({ data: x.data, shape: x.image ? [x.shape[0], x.shape[1], x.shape[2]] : x.shape, int: x.int, image: x.image })),
        main: s.name === 'lenet5',
      });
    }
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');
    writeFileSync(join(dir, 'jobs.json'), JSON.stringify(jobs));
    writeFileSync(join(dir, 'harness.py'), HARNESS);
    const run = spawnSync(PYTHON, [join(dir, 'harness.py'), join(dir, 'jobs.json')], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 600_000 });
    assert.equal(run.status, 0, `python failed:\n${run.stderr}`);
    const results = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: number; values: number[][]; main?: string });
    assert.equal(results.length, SOURCES.length);
    for (const r of results) {
      const s = SOURCES[r.id];
      const want = expected[r.id];
      assert.equal(r.values.length, want.length, `${s.name}: outputs`);
      want.forEach((w, k) => {
        const worst = worstRelative(w, r.values[k]);
        t.diagnostic(`${s.name} output ${k}: ${w.length} values, worst difference ${worst.toExponential(2)} of the largest`);
        assert.ok(worst <= 1e-4, `${s.name}: output ${k} differs from TensorFlow.js by ${worst} of the largest value`);
      });
      if (s.name === 'lenet5') assert.match(r.main ?? '', /LeNet5: loaded the trained weights of .*lenet5\.safetensors/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the generated code: loader, __main__, KerasGRU, softmax comment; the same code with weights', () => {
  const lenet = analyzeFile(join(root, 'examples', 'lenet5.nnmodel'), root);
  assert.ok(lenet.ok);
  const plain = exportPyTorch(lenet.analysis);
  const withWeights = exportPyTorch(lenet.analysis, { model: 'LeNet5', weightsFile: 'lenet5.safetensors' });
  assert.ok(plain.ok && withWeights.ok);
  assert.doesNotMatch(plain.code, /load_nnmodel_weights|import json/);
  assert.match(withWeights.code, /^import array\nimport json\nimport math\nimport os\nimport sys\n\nimport torch$/m);
  assert.match(withWeights.code, /^def load_nnmodel_weights\(model, path\):/m);
  assert.match(withWeights.code, /weights_file = os\.path\.join\(os\.path\.dirname\(os\.path\.abspath\(__file__\)\), "lenet5\.safetensors"\)\n\s+if os\.path\.exists\(weights_file\):\n\s+load_nnmodel_weights\(model, weights_file\)/);
  // The model itself is the same code: only the loader and the demo differ.
  const body = (code: string) => code.slice(code.indexOf('class LeNet5'), code.indexOf('if __name__'));
  assert.equal(body(withWeights.code), body(plain.code));
  // A final softmax is said where it is: the class doc and the return line.
  assert.match(plain.code, /The output ends in softmax: it is probabilities\. To train with nn\.CrossEntropyLoss/);
  assert.match(plain.code, /# probabilities \(softmax\): for nn\.CrossEntropyLoss drop this softmax .*\n\s+return /);
  const noSoftmax = exportPyTorch(analyze(GRU, {}));
  assert.ok(noSoftmax.ok);
  assert.doesNotMatch(noSoftmax.code, /probabilities/);
  // GRU: nn.GRU without weights (a noted difference), KerasGRU with them (Keras's parameter count).
  assert.match(noSoftmax.code, /nn\.GRU\(5, 7, batch_first=True\)/);
  const gru = exportPyTorch(analyze(GRU, {}), { weightsFile: 'gru.safetensors' });
  assert.ok(gru.ok);
  assert.match(gru.code, /self\.gru1 = KerasGRU\(5, 7\)/);
  assert.doesNotMatch(gru.code, /nn\.GRU\(/);
  assert.ok(!gru.notes.some((n) => n.trainableDelta !== 0), 'KerasGRU has Keras\'s parameters');
});

test('an image flatten the weights cannot follow is refused with the line', () => {
  const a = analyze('model M {\n  input image: [4, 4, 2]\n  output image -> flatten -> reshape([2, 16]) -> dense(3)\n}\n', {});
  assert.ok(exportPyTorch(a).ok, 'fine without weights');
  const r = exportPyTorch(a, { weightsFile: 'm.safetensors' });
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.match(r.errors[0].message, /cannot export reshape\(\[2, 16\]\) \(line 3\) to PyTorch: the trained weights cannot follow: its input is an image flattened in PyTorch's \[C, H, W\] order/);
    assert.equal(r.errors[0].range.start.line, 2);
  }
  // Left as the output (through an activation too), the flattened image would come out shuffled: refused, not shuffled.
  const out = analyze('model F {\n  input image: [6, 6, 1]\n  output image -> conv2d(4, 3) -> flatten -> relu\n}\n', {});
  assert.ok(exportPyTorch(out).ok, 'fine without weights');
  const rf = exportPyTorch(out, { weightsFile: 'f.safetensors' });
  assert.equal(rf.ok, false);
  if (!rf.ok) assert.match(rf.errors[0].message, /an output that is a flattened image comes out in PyTorch's \[C, H, W\] order/);
});

test('safetensors and the layout helpers', () => {
  // [C, H, W] position → [H, W, C] position, for H·W = 2·3 and C = 2.
  assert.deepEqual(channelsFirstFlattenPerm([2, 3], 2), [0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11]);
  // A [2, 3] transposed, and a [1, 2, 3, 4] HWIO-like kernel to [4, 3, 1, 2].
  assert.deepEqual(Array.from(permuteAxes({ shape: [2, 3], values: Float32Array.from([1, 2, 3, 4, 5, 6]) }, [1, 0]).values), [1, 4, 2, 5, 3, 6]);
  const k = { shape: [1, 2, 3, 4], values: Float32Array.from({ length: 24 }, (_, i) => i) };
  const p = permuteAxes(k, [3, 2, 0, 1]);
  assert.deepEqual(p.shape, [4, 3, 1, 2]);
  // p[o][i][0][w] = k[0][w][i][o] = w·12 + i·4 + o
  for (let o = 0; o < 4; o++) for (let i = 0; i < 3; i++) for (let w = 0; w < 2; w++) assert.equal(p.values[o * 6 + i * 2 + w], w * 12 + i * 4 + o);
  const bytes = encodeSafetensors(
    [
      { name: 'a.weight', shape: [2, 2], values: Float32Array.from([1, -2, 3.5, 4]) },
      { name: 'b', shape: [3], values: Float32Array.from([0.25, 0, -1]) },
    ],
    { format: 'pt' },
  );
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + n) % 8, 0, 'the data starts 8-byte aligned');
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  assert.deepEqual(header['a.weight'], { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] });
  assert.deepEqual(header.b.data_offsets, [16, 28]);
  assert.equal(bytes.length, 8 + n + 28);
  const back = decodeSafetensors(bytes);
  assert.deepEqual(back.metadata, { format: 'pt' });
  assert.deepEqual(back.tensors.map((x) => [x.name, Array.from(x.values)]), [
    ['a.weight', [1, -2, 3.5, 4]],
    ['b', [0.25, 0, -1]],
  ]);
});

test('nnmodel export --weights: usage errors, a damaged or missing checkpoint, a checkpoint that does not fit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-weights-cli-'));
  try {
    const lenetText = readFileSync(join(root, 'examples', 'lenet5.nnmodel'), 'utf8');
    writeFileSync(join(dir, 'lenet5.nnmodel'), lenetText);
    const analysis = analyze(lenetText, { uri: 'lenet5.nnmodel' });
    const m = analysis.models[0];
    await trainedCheckpoint(m, {}, join(dir, 'ck'), 5, inputsFor(m, {}));

    const noOut = await cli(dir, 'export', 'lenet5.nnmodel', '--weights', 'ck');
    assert.equal(noOut.code, 2);
    assert.match(noOut.err, /--weights needs --out FILE\.py/);
    const notPy = await cli(dir, 'export', 'lenet5.nnmodel', '--weights', 'ck', '--out', 'x.txt');
    assert.equal(notPy.code, 2);
    assert.match(notPy.err, /--out must name a \.py file with --weights/);

    const none = await cli(dir, 'export', 'lenet5.nnmodel', '--weights', 'nowhere', '--out', 'x.py');
    assert.equal(none.code, 2);
    assert.match(none.err, /--weights: .*nowhere\/model\.json: no checkpoint here/);

    // A changed model: dense(120) is now dense(100), and a layer was added at the end.
    const edited = lenetText.replace('dense(120)', 'dense(100)').replace('dense(10) -> softmax', 'dense(10) -> dense(10) -> softmax');
    assert.notEqual(edited, lenetText);
    writeFileSync(join(dir, 'edited.nnmodel'), edited);
    const misfit = await cli(dir, 'export', 'edited.nnmodel', '--weights', 'ck', '--out', 'edited.py');
    assert.equal(misfit.code, 1, misfit.err);
    // Where the layer starts, file:line:col (it printed file:line: only).
    const at = edited.split('\n').findIndex((l) => l.includes('dense(100)'));
    const col = edited.split('\n')[at].indexOf('dense(100)') + 1;
    assert.match(misfit.err, new RegExp(`^edited\\.nnmodel:${at + 1}:${col}: error weights the checkpoint \\(ck\\) does not fit the model: dense\\(100\\) \\(line ${at + 1}\\) no longer fits`, 'm'));
    assert.match(misfit.err, /^edited\.nnmodel:\d+:\d+: error weights the checkpoint \(ck\) does not fit the model: dense\(100\) \(line \d+\) no longer fits: the checkpoint has kernel \[400, 120\], bias \[120\], the model now has kernel \[400, 100\], bias \[100\]/m);
    assert.match(misfit.err, /dense\(10\) \(line \d+\) is not in the checkpoint/);
    assert.match(misfit.err, /not exporting LeNet5 with the weights of .*ck\/model\.json/);
    assert.deepEqual(readdirSync(dir).filter((f) => /^edited\.(py|safetensors)$/.test(f)), [], 'nothing written');

    // A layer gone since training: the line the checkpoint names is in the source it was saved from, which may hold
    // anything now, so the error is located at the model's name (file:line:col; it printed the stale line alone).
    writeFileSync(join(dir, 'removed.nnmodel'), lenetText.replace(' -> dense(84) -> tanh', ''));
    const removed = await cli(dir, 'export', 'removed.nnmodel', '--weights', 'ck', '--out', 'removed.py');
    assert.equal(removed.code, 1, removed.err);
    assert.match(removed.err, /^removed\.nnmodel:22:7: error weights the checkpoint \(ck\) does not fit the model: dense\(10\) \(line 27 when saved\) is no longer in the model/m);
    assert.doesNotMatch(removed.err, /^removed\.nnmodel(:\d+)?: /m, 'every location has its column');

    // Layers without weights added after training do not matter: the layers are matched by place, then in order.
    writeFileSync(join(dir, 'dropout.nnmodel'), lenetText.replace('-> flatten', '-> dropout(0.1) -> flatten'));
    const dropout = await cli(dir, 'export', 'dropout.nnmodel', '--weights', 'ck', '--out', 'dropout.py');
    assert.equal(dropout.code, 0, dropout.err);
    assert.match(dropout.err, /wrote dropout\.py \(1 model: LeNet5\) and dropout\.safetensors/);

    // A damaged weights file is named.
    const bin = readdirSync(join(dir, 'ck')).find((f) => f.endsWith('.bin'))!;
    const good = readFileSync(join(dir, 'ck', bin));
    const bad = Buffer.from(good);
    bad[10] ^= 0xff;
    writeFileSync(join(dir, 'ck', bin), bad);
    const damaged = await cli(dir, 'export', 'lenet5.nnmodel', '--weights', 'ck', '--out', 'lenet.py');
    // A checkpoint the command cannot use: 1, as evaluate and train say it (a folder holding none is 2, above).
    assert.equal(damaged.code, 1);
    assert.match(damaged.err, /its checksum does not match model\.json; the checkpoint is damaged\. Training without --resume starts over and replaces it\./);
    writeFileSync(join(dir, 'ck', bin), good);

    // A file with two models: the checkpoint's model is the one exported; another one needs --model and must fit.
    writeFileSync(join(dir, 'two.nnmodel'), `${lenetText}\nmodel Other {\n  input x: [4]\n  output x -> dense(2)\n}\n`);
    const two = await cli(dir, 'export', 'two.nnmodel', '--weights', 'ck', '--out', 'two.py');
    assert.equal(two.code, 0, two.err);
    assert.match(two.err, /wrote two\.py \(1 model: LeNet5\) and two\.safetensors \(61,706 values from 5 layers of the checkpoint of epoch 3\)/);
    assert.match(readFileSync(join(dir, 'two.py'), 'utf8'), /"two\.safetensors"/);
    const tensors = decodeSafetensors(readFileSync(join(dir, 'two.safetensors')));
    assert.deepEqual(tensors.tensors.map((x) => x.name).sort(), ['conv1.bias', 'conv1.weight', 'conv2.bias', 'conv2.weight', 'fc1.bias', 'fc1.weight', 'fc2.bias', 'fc2.weight', 'fc3.bias', 'fc3.weight']);
    assert.equal(tensors.metadata.model, 'LeNet5');
    const other = await cli(dir, 'export', 'two.nnmodel', '--weights', 'ck', '--out', 'other.py', '--model', 'Other');
    assert.equal(other.code, 1);
    assert.match(other.err, /the checkpoint was saved for model 'LeNet5'; exporting 'Other' with it/);
    assert.match(other.err, /conv2d\(6, 5\) \(line \d+ when saved\) is no longer in the model/);
    // Two layers that read the same on one line are two places: each error at its own column (both said 3:22).
    writeFileSync(join(dir, 'twin.nnmodel'), 'model FruitMLP {\n  input features: [4]\n  output features -> dense(8) -> dense(8) -> dense(3) -> softmax\n}\n');
    const twin = await cli(dir, 'export', 'twin.nnmodel', '--weights', 'ck', '--out', 'twin.py');
    assert.equal(twin.code, 1, twin.err);
    const missing = twin.err.split('\n').filter((l) => /dense\(8\) \(line 3\) is not in the checkpoint/.test(l)).map((l) => l.split(': ')[0]);
    assert.deepEqual(missing, ['twin.nnmodel:3:22', 'twin.nnmodel:3:34'], twin.err);

    const help = await cli(dir, 'help', 'export');
    assert.match(help.out, /^Usage: nnmodel export FILE \[--model NAME\] \[--out FILE\.py\] \[--weights CHECKPOINT \[--checkpoint best\|last\]\]/);
    assert.match(help.out, /--weights CHECKPOINT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
