// digits/shapes without `size` take the model's square image size (the contract's own train
// example), and `batch: 1` with batchnorm warns (train.batchnorm_batch).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../../extension/core/analysis/analyze';
import { AnalysisSession } from '../../extension/core/analysis/session';
import { dataSummary } from '../../extension/core/analysis/train';
import type { DataSource } from '../../extension/core/analysis/types';
import { loadDataset } from '../../extension/core/runtime/data/files';
import { nodeDataFs, runTrainJob } from '../../extension/cli/trainJob';

// Copied verbatim from the design contract (/work/shared/design/language.md, "Training" and
// "Worked figures"): it must parse, analyse and train as written.
const CONTRACT_TRAIN = `train LeNet5 {
  data: digits(samples = 6000)                      # built-in synthetic data set
  # data: images("data/shapes", size = [28, 28], grayscale = true)   # folder per class
  # data: csv("data/iris.csv", label = "species")
  # data: text("data/tiny.txt", tokenizer = char, context = 64)       # next-token prediction
  loss: crossentropy          # or mse, binary_crossentropy
  optimizer: adam(lr = 1e-3)  # sgd(lr, momentum), rmsprop(lr)
  epochs: 5
  batch: 64
  validation: 0.1
  metrics: [accuracy]
}
`;
const CONTRACT_LENET = `model LeNet5 {
  input image: [32, 32, 1]
  output image -> conv2d(6, 5) -> tanh -> avgpool(2)
               -> conv2d(16, 5) -> tanh -> avgpool(2)
               -> flatten -> dense(120) -> tanh -> dense(84) -> tanh
               -> dense(10) -> softmax
}
`;

const problems = (text: string) => analyze(text).diagnostics.map((d) => `${d.severity} ${d.code}: ${d.message}`);
const dataOf = (text: string) => analyze(text).trains[0].config.data!;

const dir = mkdtempSync(join(tmpdir(), 'nnmodel-size-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test("the contract's train example analyses without problems on the contract's LeNet5, at 32×32", () => {
  const text = CONTRACT_LENET + CONTRACT_TRAIN;
  assert.deepEqual(problems(text), []);
  const data = dataOf(text);
  assert.equal(data.kind, 'digits');
  assert.equal(data.options.size, 32);
  assert.equal(data.options.samples, 6000);
  assert.equal(dataSummary(data), "digits: 6,000 grey-scale images 32×32 (the model's input size)");
});

test("the contract's train example trains one short epoch through the CLI's job on 32×32 digits", async () => {
  const text = CONTRACT_LENET + CONTRACT_TRAIN.replace('samples = 6000', 'samples = 64');
  const file = join(dir, 'contract.nnmodel');
  writeFileSync(file, text);
  let start: { examples: number; validation?: number } | undefined;
  const { history, job } = await runTrainJob(
    { file, epochs: 1, roots: [dir], backend: 'cpu' },
    { onStart: (s) => void (start = s) },
    { cancelled: false },
  );
  assert.equal(history.status, 'completed');
  assert.equal(history.epochs.length, 1);
  assert.ok(Number.isFinite(history.epochs[0].loss));
  assert.deepEqual(job.data.exampleShape, [32, 32, 1]);
  // The examples trained on, and those held out (the contract's validation: 0.1 of 64).
  assert.deepEqual([start?.examples, start?.validation], [58, 6]);
});

test('an explicit size is kept, and then a model of another size is an error with the size to write', () => {
  const model = CONTRACT_LENET;
  assert.equal(dataOf(model + 'train LeNet5 { data: digits(size = 32) }').options.size, 32);
  const sized = analyze(model + 'train LeNet5 { data: digits(size = 28) }');
  assert.deepEqual(
    sized.diagnostics.map((d) => d.code),
    ['train.data_shape'],
  );
  assert.match(sized.diagnostics[0].message, /digits gives examples of \[28, 28, 1\].*Use digits\(size = 32\)\./);
  // The size written in its place among the positional options counts as written.
  assert.deepEqual(problems(model + 'train LeNet5 { data: digits(100, 28) }').map((p) => p.split(':')[0]), ['error train.data_shape']);
  const explicit = dataOf(model + 'train LeNet5 { data: digits(100, 32) }');
  assert.ok(!('sizeFromModel' in explicit));
  assert.equal(dataSummary(explicit), 'digits: 100 grey-scale images 32×32');
});

test('shapes takes the size of an RGB square input; the runtime generates that size', async () => {
  const text = `model M {
  input x: [16, 16, 3]
  output x -> flatten -> dense(3) -> softmax
}
train M { data: shapes(samples = 20) }
`;
  assert.deepEqual(problems(text), []);
  const data = dataOf(text);
  assert.equal(data.options.size, 16);
  const ds = await loadDataset(data, { baseDir: dir, roots: [dir], fs: nodeDataFs(), loss: 'crossentropy' });
  assert.deepEqual(ds.exampleShape, [16, 16, 3]);
  assert.equal(dataSummary(data), "shapes: 20 RGB images 16×16 (the model's input size)");
});

test('a size digits cannot make keeps the default and says why', () => {
  const cases: [string, RegExp][] = [
    // Not square.
    ['[32, 28, 1]', /digits gives examples of \[28, 28, 1\], but 'M' takes \[32, 28, 1\]\. digits makes square images; give the model a square input, e.g\. \[32, 32, 1\]\./],
    // Below digits' smallest size (8): no fix naming a size it refuses.
    ['[4, 4, 1]', /digits gives examples of \[28, 28, 1\], but 'M' takes \[4, 4, 1\]\. digits draws images of 8 to 256 pixels a side\./],
    // Three channels: digits is grey-scale.
    ['[32, 32, 3]', /digits gives examples of \[28, 28, 1\], but 'M' takes \[32, 32, 3\]\.$/],
  ];
  for (const [shape, message] of cases) {
    const a = analyze(`model M {\n  input x: ${shape}\n  output x -> flatten -> dense(10) -> softmax\n}\ntrain M { data: digits() }\n`);
    assert.equal(a.trains[0].config.data!.options.size, 28, shape);
    assert.deepEqual(a.diagnostics.map((d) => d.code), ['train.data_shape'], shape);
    assert.match(a.diagnostics[0].message, message);
  }
});

test('a GAN and a denoiser take the size of the image they make or read', () => {
  const gan = `model G {
  input z: [8]
  output z -> dense(144) -> reshape([12, 12, 1]) -> tanh
}
model D {
  input x: [12, 12, 1]
  output x -> flatten -> dense(1) -> sigmoid
}
train G {
  data: digits(samples = 100)
  loss: adversarial(D)
}
`;
  assert.deepEqual(problems(gan), []);
  assert.equal(dataOf(gan).options.size, 12);
  const denoise = `model U {
  input x: [12, 12, 1]
  input t: int[1]
  e = t -> embedding(1000, 4) -> flatten -> dense(1)
  output x -> conv2d(4, 3, padding = same) -> relu -> conv2d(1, 3, padding = same)
}
train U {
  data: digits(samples = 100)
  loss: denoise(steps = 100)
}
`;
  assert.equal(dataOf(denoise).options.size, 12);
  assert.deepEqual(analyze(denoise).diagnostics.filter((d) => d.code.startsWith('train.data')), []);
});

test('in an editor session the resolved size follows the model when only the model is edited', () => {
  // The train section's tree is reused (its text is unchanged), its memo too: the size must not go stale.
  const at = (n: number) => `model M {\n  input x: [${n}, ${n}, 1]\n  output x -> flatten -> dense(10) -> softmax\n}\ntrain M { data: digits(samples = 50) }\n`;
  const session = new AnalysisSession();
  assert.equal(session.update(at(20)).trains[0].config.data!.options.size, 20);
  const edited = session.update(at(24));
  assert.equal(edited.trains[0].config.data!.options.size, 24);
  assert.deepEqual(edited.diagnostics, []);
  // A model with errors still has its declared input: the size follows it.
  const broken = session.update(at(24).replace('dense(10)', 'dense(q)'));
  assert.equal(broken.trains[0].config.data!.options.size, 24);
});

test('dataSummary describes the other sources; file sources known only once read give none', () => {
  const src = (kind: string, options: Record<string, unknown>) => ({ kind, options }) as DataSource;
  assert.equal(dataSummary(src('digits', { samples: 6000, size: 28 })), 'digits: 6,000 grey-scale images 28×28');
  assert.equal(dataSummary(src('sequences', { samples: 500, length: 16, vocab: 10, task: 'copy' })), 'sequences: 500 sequences of 16 tokens (task copy, vocab 10)');
  assert.equal(dataSummary(src('waves', { samples: 10, length: 128 })), 'waves: 10 waves of 128 steps');
  assert.equal(dataSummary({ kind: 'images', path: 'x', options: { size: [28, 28], grayscale: true } }), 'images: every image resized to 28×28, grey-scale');
  assert.equal(dataSummary({ kind: 'csv', path: 'x', options: { label: 'y' } }), undefined);
});

// ------------------------------------------------------------------ batch 1 with batchnorm

const BN_DENSE = `model M {
  input x: [8, 8, 1]
  output x -> flatten -> dense(32) -> batchnorm -> relu -> dense(10) -> softmax
}
`;

test('batch: 1 with batchnorm on a dense output warns on the batch value, saying every unit becomes β', () => {
  const text = BN_DENSE + 'train M {\n  data: digits(samples = 100)\n  batch: 1\n}\n';
  const a = analyze(text);
  const d = a.diagnostics.filter((x) => x.code === 'train.batchnorm_batch');
  assert.equal(d.length, 1, JSON.stringify(a.diagnostics.map((x) => x.code)));
  assert.equal(d[0].severity, 'warning');
  assert.match(d[0].message, /^batch: 1 with batchnorm in 'M': in training, batchnorm normalises by the mean and variance of the batch; here it normalises a \[32\] output, and over one example each unit is its own mean, so every unit outputs β/);
  assert.match(d[0].message, /Use a batch of at least 8, or layernorm or groupnorm, which normalise each example on its own\.$/);
  // The range is the `1` of `batch: 1`; the related location is the batchnorm call.
  const lines = text.split('\n');
  const at = (r: { start: { line: number; character: number }; end: { character: number } }) => lines[r.start.line].slice(r.start.character, r.end.character);
  assert.equal(at(d[0].range), '1');
  assert.equal(at(d[0].related![0].range), 'batchnorm');
});

test('batch: 1 with batchnorm inside a repeated block on images warns with the image reason', () => {
  const text = `block cbr(f) {
  input x
  output x -> conv2d(f, 3, padding = same) -> batchnorm -> relu
}
model M {
  input x: [8, 8, 1]
  output x -> cbr(4) * 2 -> flatten -> dense(10) -> softmax
}
train M {
  data: digits(samples = 100)
  batch: 1
}
`;
  const d = analyze(text).diagnostics.filter((x) => x.code === 'train.batchnorm_batch');
  assert.equal(d.length, 1);
  assert.match(d[0].message, /with one example per step these come from that example alone, so they are noisy and the moving averages used at inference do not match what training saw/);
});

test('no batchnorm warning for batch 8, the default batch, or a model without batchnorm', () => {
  const img = BN_DENSE;
  const codes = (t: string) => analyze(t).diagnostics.map((d) => d.code);
  assert.deepEqual(codes(img + 'train M {\n  data: digits()\n  batch: 8\n}\n'), []);
  assert.deepEqual(codes(img + 'train M {\n  data: digits()\n}\n'), []);
  assert.deepEqual(codes(img.replace('-> batchnorm ', '-> layernorm ') + 'train M {\n  data: digits()\n  batch: 1\n}\n'), []);
});
