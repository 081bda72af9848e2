// A CNN without flatten trained on one class per example (digits, shapes,
// images, csv): its output keeps positions ([15, 15, 3]) and `nnmodel train`
// refuses it; the analysis must say so first, where to change it, with fixes
// whose result analyses clean. Per-position data (text, waves, sequences)
// keeps its own check (train.positions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import type { Diagnostic, Fix } from '../../extension/core/analysis/types';
import { outputFitsLabels } from '../../extension/core/analysis/trainLabels';

const cnn = (head: string, data = 'shapes(samples = 300, size = 32)', loss = 'crossentropy', input = '[32, 32, 3]') => `model M {
  input image: ${input}
  output image -> conv2d(16, 3) -> relu -> maxpool(2)${head}
}
train M {
  data: ${data}
  loss: ${loss}
  optimizer: adam(lr = 1e-3)
  epochs: 1
  batch: 32
}
`;

const problems = (text: string) => analyze(text).diagnostics.filter((d) => d.severity === 'error' || d.severity === 'warning');
const apply = (text: string, fix: Fix) => {
  const edits = [...fix.edits].sort((a, b) => b.range.start.offset - a.range.start.offset);
  for (const e of edits) text = text.slice(0, e.range.start.offset) + e.newText + text.slice(e.range.end.offset);
  return text;
};
const one = (text: string): Diagnostic => {
  const got = problems(text);
  assert.equal(got.length, 1, JSON.stringify(got.map((d) => `${d.code}: ${d.message}`)));
  return got[0];
};

test("the student's CNN: an error on dense(3) saying the output keeps positions, with flatten and global_avgpool fixes that analyse clean", () => {
  const text = cnn(' -> dense(3) -> softmax');
  const d = one(text);
  assert.equal(d.code, 'train.output_positions');
  assert.equal(d.severity, 'error');
  assert.equal(
    d.message,
    "shapes gives one class per example, but 'M' outputs [15, 15, 3]: a prediction at each of 15×15 positions, because dense(3) works on the last axis only and keeps the axes before it. " +
      "Insert '-> flatten' before dense(3) (or '-> global_avgpool', the mean of each channel over the positions), so that it sees the whole example at once.",
  );
  // At the place to change: the dense call on the model's output line.
  assert.equal(text.slice(d.range.start.offset, d.range.end.offset), 'dense(3)');
  assert.equal(d.related?.[0].message, 'shapes gives one class per example');
  assert.deepEqual(d.fixes?.map((f) => f.title), ["Insert '-> flatten'", "Insert '-> global_avgpool'"]);
  assert.equal(d.fixes![0].preferred, true);
  const flat = apply(text, d.fixes![0]);
  assert.match(flat, /maxpool\(2\) -> flatten -> dense\(3\) -> softmax/);
  assert.deepEqual(problems(flat), []);
  const pooled = apply(text, d.fixes![1]);
  assert.match(pooled, /maxpool\(2\) -> global_avgpool -> dense\(3\) -> softmax/);
  assert.deepEqual(problems(pooled), []);
});

test('a head of several layers: the fix goes before its first dense', () => {
  const text = cnn(' -> dense(64) -> relu -> dropout(0.5) -> dense(3) -> softmax');
  const d = one(text);
  assert.equal(text.slice(d.range.start.offset, d.range.end.offset), 'dense(64)');
  assert.deepEqual(problems(apply(text, d.fixes![0])), []);
});

test('every source with one label per example, and every loss training would refuse', () => {
  for (const [data, loss, labels] of [
    ['digits(samples = 300, size = 32)', 'crossentropy', 'class'],
    ['images("pics", size = 32)', 'crossentropy', 'class'],
    ['csv("table.csv")', 'crossentropy', 'label'],
    ['csv("table.csv")', 'mse', 'label'],
    ['shapes(samples = 300, size = 32)', 'binary_crossentropy', 'class'],
  ]) {
    const input = data.startsWith('digits') ? '[32, 32, 1]' : '[32, 32, 3]';
    const text = cnn(' -> dense(1)', data, loss, input);
    const got = problems(text).filter((d) => d.code === 'train.output_positions');
    assert.equal(got.length, 1, `${data} ${loss}: ${JSON.stringify(problems(text).map((d) => d.message))}`);
    assert.match(got[0].message, new RegExp(`gives one ${labels} per example, but 'M' outputs \\[15, 15, 1\\]`));
  }
});

test('no dense to put it before: an error on the data saying what to end with', () => {
  const text = cnn(' -> conv2d(3, 1) -> softmax');
  const d = one(text);
  assert.equal(d.code, 'train.output_positions');
  assert.equal(text.slice(d.range.start.offset, d.range.end.offset), 'shapes(samples = 300, size = 32)');
  assert.match(d.message, /End the model with one prediction per example: '-> flatten -> dense\(3\)'/);
  assert.equal(d.fixes, undefined);
});

test('what trains is left alone: a flattened CNN, and per-position data on per-position outputs', () => {
  assert.deepEqual(problems(cnn(' -> flatten -> dense(3) -> softmax')), []);
  assert.deepEqual(problems(cnn(' -> global_avgpool -> dense(3) -> softmax')), []);
  const waves = `model F {
  input x: [128, 1]
  output x -> conv1d(16, 5, padding = causal) -> relu -> dense(1)
}
train F {
  data: waves(samples = 100, length = 128)
  loss: mse
}
`;
  assert.deepEqual(problems(waves), []);
  const lm = `model LM {
  input t: int[seq]
  output t -> embedding(65, 32) -> lstm(32, return_sequences = true) -> dense(65) -> softmax
}
train LM {
  data: text("input.txt", context = 32)
}
`;
  assert.deepEqual(problems(lm).filter((d) => d.code === 'train.output_positions'), []);
});

test("the rule is nnmodel train's: crossentropy takes one class per position, the other losses as many values as the labels", () => {
  assert.equal(outputFitsLabels([3], [], 'crossentropy'), true);
  assert.equal(outputFitsLabels([15, 15, 3], [], 'crossentropy'), false);
  assert.equal(outputFitsLabels([64, 65], [64], 'crossentropy'), true);
  assert.equal(outputFitsLabels([15, 15, 1], [], 'mse'), false);
  assert.equal(outputFitsLabels([1], [1], 'mse'), true);
  assert.equal(outputFitsLabels([128, 1], [128, 1], 'mse'), true);
  assert.equal(outputFitsLabels([null, 1], [128, 1], 'mse'), true);
});

test("the editor and nnmodel train agree: the analysis reports an output that keeps positions exactly when training refuses it", async () => {
  const { checkDataFits } = await import('../../extension/core/runtime/train');
  const heads = [' -> dense(3) -> softmax', ' -> dense(3)', ' -> flatten -> dense(3) -> softmax', ' -> global_avgpool -> dense(3) -> softmax', ' -> conv2d(3, 1) -> softmax', ' -> dense(64) -> relu -> dense(3) -> softmax'];
  for (const head of heads) {
    for (const loss of ['crossentropy', 'mse']) {
      const a = analyze(cnn(head, 'shapes(samples = 300, size = 32)', loss));
      const info = a.models[0];
      const out = info.outputs[0].shape.dims.map((d) => d.value ?? null);
      // The tfjs model as checkDataFits reads it: its inputs' and output's shapes with the batch axis.
      const model = { inputs: [{ shape: [null, 32, 32, 3], dtype: 'float32' }], outputs: [{ shape: [null, ...out] }] };
      const data = { source: 'shapes', count: 1, xs: new Float32Array(32 * 32 * 3), xDtype: 'float32', exampleShape: [32, 32, 3], ys: new Int32Array(1), targetShape: [], classes: ['circle', 'square', 'triangle'] };
      let refused: string | undefined;
      try {
        checkDataFits(model as never, info, data as never, a.trains[0].config);
      } catch (e) {
        refused = (e as Error).message;
      }
      const reported = a.diagnostics.some((d) => d.code === 'train.output_positions');
      // Training also refuses `dense(3)` under mse on class ids (3 values for 1 label): not this check's; only what keeps positions is compared.
      const keeps = out.length > 1;
      assert.equal(reported, keeps && refused !== undefined, `${head} (${loss}): analysis ${reported}, training ${refused ?? 'trains'}`);
      if (keeps) assert.ok(refused, `${head} (${loss}): training should refuse an output of ${JSON.stringify(out)}`);
    }
  }
});
