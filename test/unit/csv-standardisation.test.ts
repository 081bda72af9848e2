// A model trained on a CSV sees standardised features (x' = (x - mean) / std
// per column, runtime/data/files.ts loadCsv). The statistics are part of the
// trained model: computed from the training rows only, said once in the
// training log, saved with the checkpoint, reused (never recomputed) on
// resume and evaluation, and carried by the PyTorch export, whose module
// must take the CSV's raw rows and give TensorFlow.js's outputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import { buildModel } from '../../extension/core/runtime/build';
import { applyCheckpoint, readCheckpoint, type ModelJson } from '../../extension/core/runtime/checkpoint';
import { loadDataset, parseCsv, type FeatureStats } from '../../extension/core/runtime/data/files';
import { nodeCheckpointFs, nodeDataFs } from '../../extension/core/runtime/nodeFs';
import { validationSplit } from '../../extension/core/runtime/train';
import { exportPyTorch } from '../../extension/core/export/pytorch';
import { decodeSafetensors } from '../../extension/core/export/weights';
import { runCli as cli } from '../fixtures/cli';
import { runEvaluateJob } from '../../extension/cli/trainJob';
import { useCpuBackend } from '../fixtures/tfjs';
import { PYTHON, skipWithoutTorch } from '../fixtures/torch';

const root = process.cwd();
const FRUIT_CSV = readFileSync(join(root, 'examples', 'data', 'fruit.csv'), 'utf8');

/** examples/mlp_fruit.nnmodel's model and train section, for a few epochs. */
const FRUIT = `model FruitMLP {
  input features: [4]
  output features -> dense(16, activation = relu) -> dense(16, activation = relu)
                  -> dense(3) -> softmax
}

train FruitMLP {
  data: csv("data/fruit.csv", label = "fruit")
  loss: crossentropy
  optimizer: adam(lr = 1e-2)
  epochs: 3
  batch: 16
  validation: 0.2
  metrics: [accuracy]
}
`;

useCpuBackend();

function workspace(csv = FRUIT_CSV): string {
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-csv-std-'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'fruit.csv'), csv);
  writeFileSync(join(dir, 'fruit.nnmodel'), FRUIT);
  return dir;
}

const ckDir = (dir: string) => join(dir, '.nnmodel', 'fruit', 'FruitMLP');
const savedJson = (dir: string) => JSON.parse(readFileSync(join(ckDir(dir), 'model.json'), 'utf8')) as ModelJson;

/** The feature rows of a CSV as written (no scaling), and its labels. */
function rawRows(csv: string): { rows: number[][]; labels: string[] } {
  const [header, ...data] = parseCsv(csv, 'fruit.csv');
  const label = header.fields.indexOf('fruit');
  return {
    rows: data.map((r) => r.fields.filter((_, i) => i !== label).map(Number)),
    labels: data.map((r) => r.fields[label]),
  };
}

/** Mean and population std of each column over `rows` of `xs`. */
function statsOf(xs: number[][], rows: ArrayLike<number>): { mean: number[]; std: number[] } {
  const idx = Array.from(rows);
  const f = xs[0].length;
  const mean = Array.from({ length: f }, (_, j) => idx.reduce((s, r) => s + Math.fround(xs[r][j]), 0) / idx.length);
  const std = mean.map((m, j) => Math.sqrt(idx.reduce((s, r) => s + (Math.fround(xs[r][j]) - m) ** 2, 0) / idx.length));
  return { mean, std };
}

function close(a: number[], b: number[], tol: number, what: string): void {
  assert.equal(a.length, b.length, what);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) <= tol * Math.max(1, Math.abs(b[i])), `${what}[${i}]: ${x} vs ${b[i]}`));
}

const HARNESS = String.raw`
import importlib.util, json, sys
import torch
torch.set_num_threads(1)
job = json.load(open(sys.argv[1]))
spec = importlib.util.spec_from_file_location("fruit_export", job["file"])
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
model = mod.FruitMLP()
mod.load_nnmodel_weights(model, job["weights"])
model.eval()
with torch.no_grad():
    out = model(torch.tensor(job["rows"], dtype=torch.float32))
print(json.dumps({"values": out.tolist(), "buffers": sorted(k for k, _ in model.named_buffers())}))
`;

test('CSV standardisation: from the training rows, said once, saved with the checkpoint; the PyTorch export with weights gives TensorFlow.js\'s predictions on raw rows', async (t) => {
  const dir = workspace();
  try {
    const train = await cli(dir, 'train', 'fruit.nnmodel');
    assert.equal(train.code, 0, train.err);
    const said = train.err.split('\n').filter((l) => /standardised/.test(l));
    assert.deepEqual(said, ['standardised 4 feature columns (weight, length, width, redness) with the mean/std of the 120 training rows']);

    // The statistics are those of the 120 training rows of the run's split (seed 1), not of all 150.
    const { rows, labels } = rawRows(FRUIT_CSV);
    const split = validationSplit(rows.length, 0.2, 1);
    const want = statsOf(rows, split.train);
    const all = statsOf(rows, rows.map((_, i) => i));
    const stats = savedJson(dir).nnmodel.data!.featureStats!;
    assert.deepEqual([stats.names, stats.rows], [['weight', 'length', 'width', 'redness'], 120]);
    close(stats.mean, want.mean, 1e-9, 'mean');
    close(stats.std, want.std, 1e-9, 'std');
    assert.ok(Math.abs(stats.mean[0] - all.mean[0]) > 1e-3, 'the validation rows change the mean: the test tells them apart');

    const exp = await cli(dir, 'export', 'fruit.nnmodel', '--out', 'fruit.py', '--weights', '.nnmodel/fruit/FruitMLP');
    assert.equal(exp.code, 0, exp.err);
    assert.match(exp.err, /^wrote fruit\.py \(1 model: FruitMLP\) and fruit\.safetensors \(403 values from 3 layers of the checkpoint of epoch 3, and the mean\/std that standardise its 4 CSV feature columns\)$/m);
    const code = readFileSync(join(dir, 'fruit.py'), 'utf8');
    assert.match(code, /# The CSV features are standardised as in training, x' = \(x - mean\) \/ std per column, with the mean and\n\s+# \(population\) standard deviation of the 120 training rows, saved in the checkpoint of epoch 3 \(\.nnmodel\/fruit\/FruitMLP\)\.\n\s+# Columns: weight, length, width, redness\./);
    assert.match(code, /self\.register_buffer\("feature_mean", torch\.tensor\(\[[-\d.e, ]+\]\)\)/);
    assert.match(code, /def forward\(self, features\):\n\s+features = \(features - self\.feature_mean\) \/ self\.feature_std  # raw CSV rows -> standardised features, as in training\n/);
    assert.match(code, /features are the CSV's raw feature values \(weight, length, width, redness\): forward standardises them/);
    const file = decodeSafetensors(readFileSync(join(dir, 'fruit.safetensors')));
    const inFile = (name: string) => Array.from(file.tensors.find((x) => x.name === name)?.values ?? []);
    close(inFile('feature_mean'), stats.mean, 1e-6, 'feature_mean in the weights file');
    close(inFile('feature_std'), stats.std, 1e-6, 'feature_std in the weights file');

    // TensorFlow.js on the raw rows, as nnmodel feeds them: loadDataset standardises with the checkpoint's statistics.
    const analysis = analyze(FRUIT, { uri: join(dir, 'fruit.nnmodel') });
    const info = analysis.models[0];
    const built = buildModel(tf, info, { seed: 1 });
    const ck = await readCheckpoint(nodeCheckpointFs(), ckDir(dir));
    assert.deepEqual(applyCheckpoint(tf, built, ck.modelJson, ck.weights).problems, []);
    const data = await loadDataset(analysis.trains[0].config.data!, { baseDir: dir, roots: [dir], fs: nodeDataFs(), loss: 'crossentropy', featureStats: stats });
    const x = tf.tensor2d(data.xs as Float32Array, [data.count, 4]);
    const y = built.model.predict(x) as tf.Tensor;
    const tfjs = (await y.array()) as number[][];
    tf.dispose([x, y]);
    built.model.dispose();
    const accuracy = tfjs.filter((p, i) => data.classes[p.indexOf(Math.max(...p))] === labels[i]).length / labels.length;
    t.diagnostic(`TensorFlow.js accuracy on the 150 rows after 3 epochs: ${accuracy.toFixed(3)}`);

    if (skipWithoutTorch(t, 'CSV STANDARDISATION TEST')) return;
    writeFileSync(join(dir, 'job.json'), JSON.stringify({ file: join(dir, 'fruit.py'), weights: join(dir, 'fruit.safetensors'), rows }));
    writeFileSync(join(dir, 'harness.py'), HARNESS);
    const run = spawnSync(PYTHON, [join(dir, 'harness.py'), join(dir, 'job.json')], { encoding: 'utf8', timeout: 300_000 });
    assert.equal(run.status, 0, `python failed:\n${run.stderr}`);
    const got = JSON.parse(run.stdout) as { values: number[][]; buffers: string[] };
    assert.deepEqual(got.buffers, ['feature_mean', 'feature_std']);
    let worst = 0;
    got.values.forEach((p, i) => p.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - tfjs[i][k])))));
    t.diagnostic(`PyTorch on raw rows vs TensorFlow.js: worst difference ${worst.toExponential(2)}`);
    assert.ok(worst <= 1e-4, `PyTorch's outputs on the raw rows differ from TensorFlow.js's by ${worst}`);
    const argmax = (p: number[]) => p.indexOf(Math.max(...p));
    assert.deepEqual(got.values.map(argmax), tfjs.map(argmax), 'the same predicted classes');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('resume and evaluate reuse the checkpoint\'s statistics, not new ones from a changed CSV; other columns are refused', async () => {
  const dir = workspace();
  try {
    assert.equal((await cli(dir, 'train', 'fruit.nnmodel', '--epochs', '1')).code, 0);
    const first = savedJson(dir).nnmodel.data!.featureStats as FeatureStats;
    // More rows, far from the others: new statistics would differ.
    const more = FRUIT_CSV.trimEnd() + '\n' + Array.from({ length: 30 }, (_, i) => `${900 + i},${20 + i},${15},0.5,banana`).join('\n') + '\n';
    writeFileSync(join(dir, 'data', 'fruit.csv'), more);

    const ev = await runEvaluateJob({ file: join(dir, 'fruit.nnmodel'), roots: [dir], backend: 'wasm' });
    assert.deepEqual(ev.job.data.featureStats, first, 'evaluate standardises with the checkpoint\'s statistics');

    const resumed = await cli(dir, 'train', 'fruit.nnmodel', '--epochs', '1', '--resume');
    assert.equal(resumed.code, 0, resumed.err);
    assert.deepEqual(
      resumed.err.split('\n').filter((l) => /standardised/.test(l)),
      ["standardised 4 feature columns (weight, length, width, redness) with the checkpoint's mean/std (of the 120 training rows it was trained on)"],
    );
    const second = savedJson(dir).nnmodel;
    assert.equal(second.epoch, 2);
    assert.deepEqual(second.data!.featureStats, first, 'the resumed checkpoint keeps the statistics');

    // Starting over computes them afresh, from the new file's training rows.
    const fresh = await cli(dir, 'train', 'fruit.nnmodel', '--epochs', '1');
    assert.equal(fresh.code, 0, fresh.err);
    assert.match(fresh.err, /^standardised 4 feature columns \(weight, length, width, redness\) with the mean\/std of the 144 training rows$/m);
    assert.notDeepEqual(savedJson(dir).nnmodel.data!.featureStats!.mean, first.mean);

    // Other columns than the checkpoint's: a sentence, not a silent misfit.
    writeFileSync(join(dir, 'data', 'fruit.csv'), FRUIT_CSV.replace('weight,length', 'mass,length'));
    const other = await cli(dir, 'train', 'fruit.nnmodel', '--epochs', '1', '--resume');
    assert.notEqual(other.code, 0);
    assert.match(other.err, /data\/fruit\.csv:1: its feature columns \(mass, length, width, redness\) are not those the checkpoint was trained on \(weight, length, width, redness\); the saved standardisation cannot be applied\. Restore those columns, or train the model again from scratch on this file\./);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a damaged standardisation in the checkpoint is named; an export without weights says its input must be standardised', async () => {
  const dir = workspace();
  try {
    assert.equal((await cli(dir, 'train', 'fruit.nnmodel', '--epochs', '1')).code, 0);
    const json = savedJson(dir);
    json.nnmodel.data!.featureStats!.std[1] = 0;
    writeFileSync(join(ckDir(dir), 'model.json'), JSON.stringify(json));
    const exp = await cli(dir, 'export', 'fruit.nnmodel', '--out', 'fruit.py', '--weights', '.nnmodel/fruit/FruitMLP');
    // A checkpoint the command cannot use: 1, as for evaluate (2 is for a folder that holds none).
    assert.equal(exp.code, 1);
    assert.match(exp.err, /model\.json: its feature standardisation \(data\.featureStats\) is malformed; the checkpoint is damaged\./);
    const ev = await cli(dir, 'evaluate', 'fruit.nnmodel');
    assert.notEqual(ev.code, 0);
    assert.match(ev.err, /its feature standardisation \(data\.featureStats\) is malformed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const analysis = analyze(FRUIT, { uri: 'fruit.nnmodel' });
  const plain = exportPyTorch(analysis);
  assert.ok(plain.ok);
  if (plain.ok) {
    assert.doesNotMatch(plain.code, /feature_mean|register_buffer/);
    assert.match(plain.code, /Its train section reads csv\("data\/fruit\.csv"\), whose feature columns nnmodel standardises before training\n\s+\(x' = \(x - mean\) \/ std per column, mean and std of the training rows\)\. This file has no trained weights and\n\s+so no statistics: features must be standardised features\./);
  }
  // Statistics that do not fit the model's input are refused, with the model's line.
  const misfit = exportPyTorch(analysis, { model: 'FruitMLP', weightsFile: 'f.safetensors', featureStats: { names: ['a', 'b', 'c'], mean: [0, 0, 0], std: [1, 1, 1] } });
  assert.equal(misfit.ok, false);
  if (!misfit.ok) assert.match(misfit.errors[0].message, /its weights were trained on 3 standardised CSV feature columns \(a, b, c\), but its input is features: \[4\], not one vector of 3 numbers/);
});
