// The inspector's output strip without the DOM (webview/views/outputModel.ts): which outputs are class vectors or
// next-token distributions, softmax or logits; softmax with a temperature; the top k; the texts of the rows; and
// appending a clicked token to the typed text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { analyze } from '../../extension/core/analysis/analyze';
import { sampleToken, temperatureSoftmax } from '../../extension/core/runtime/generate';
import { charTokenizer, idTokenizer, wordTokenizer } from '../../extension/core/runtime/tokenizers';
import {
  activationText,
  appendedText,
  classNames,
  classRows,
  outputActivation,
  outputPlan,
  percentText,
  temperatureOf,
  temperatureText,
  topK,
  typable,
  untrainedText,
  visibleToken,
  firstOutput,
} from '../../webview/views/outputModel';

const root = `${process.cwd()}/examples`;
const readImport = (_from: string | undefined, path: string) => ({ uri: `file://${root}/${path}`, text: readFileSync(`${root}/${path}`, 'utf8') });
const example = (file: string, name: string) => {
  const analysis = analyze(readFileSync(`${root}/${file}`, 'utf8'), { uri: `file://${root}/${file}`, readImport });
  const model = analysis.models.find((m) => m.name === name);
  assert.ok(model, `${name} in ${file}`);
  return model;
};
const model = (text: string) => {
  const analysis = analyze(text);
  assert.deepEqual(analysis.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return analysis.models[0];
};
const close = (a: ArrayLike<number>, b: ArrayLike<number>, eps = 1e-9) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < eps, `[${i}] ${a[i]} ≠ ${b[i]}`);
};

test('the examples: LeNet-5 and ViT are softmax classifiers, the GPTs language models (softmax or logits), the U-Net and a wave model neither', () => {
  assert.deepEqual(outputPlan(example('lenet5.nnmodel', 'LeNet5'), {}), { kind: 'classes', classes: 10, activation: 'softmax' });
  assert.deepEqual(outputPlan(example('vit.nnmodel', 'ViTSmall'), {}), { kind: 'classes', classes: 3, activation: 'softmax' });
  assert.deepEqual(outputPlan(example('mlp_fruit.nnmodel', 'FruitMLP'), {}, 'crossentropy'), { kind: 'classes', classes: 3, activation: 'softmax' });
  assert.deepEqual(outputPlan(example('gpt_small.nnmodel', 'GPTSmall'), { seq: 11 }), { kind: 'tokens', vocab: 64, activation: 'softmax' });
  // GPT-2 ends in unembed(wte): logits over 50 257 tokens.
  assert.deepEqual(outputPlan(example('gpt2_small.nnmodel', 'GPT2Small'), { seq: 11 }), { kind: 'tokens', vocab: 50257, activation: 'logits' });
  // One probability per pixel is not a class vector.
  const unet = outputPlan(example('unet_small.nnmodel', 'UNetSmall'), {});
  assert.equal(unet.kind, 'none');
  const tcn = outputPlan(example('tcn_waves.nnmodel', 'TCN'), { len: 128 }, 'mse');
  assert.equal(tcn.kind, 'none');
});

test('logits or probabilities: softmax and sigmoid as layers or activations, a linear dense or unembed, looking through dropout and blocks', () => {
  const end = (body: string) => outputActivation(model(`model M {\n  input x: [8]\n  output x -> ${body}\n}`).graph);
  assert.equal(end('dense(10) -> softmax'), 'softmax');
  assert.equal(end('dense(10, activation = softmax)'), 'softmax');
  assert.equal(end('dense(10)'), 'logits');
  assert.equal(end('dense(10, activation = none)'), 'logits');
  assert.equal(end('dense(10) -> dropout(0.5)'), 'logits');
  assert.equal(end('dense(1) -> sigmoid'), 'sigmoid');
  assert.equal(end('dense(10) -> relu'), 'other');
  assert.equal(end('dense(10, activation = tanh)'), 'other');
  assert.equal(end('layernorm'), 'other');
  // The last layer of a block's last repeat decides.
  const blocky = model(`block head(n) {\n  input x\n  output x -> dense(n) -> softmax\n}\nmodel M {\n  input x: [8]\n  output x -> head(4) * 2\n}`);
  assert.equal(outputActivation(blocky.graph), 'softmax');
  assert.deepEqual(outputPlan(blocky, {}), { kind: 'classes', classes: 4, activation: 'softmax' });
});

test('outputPlan: a single linear score or a regression loss is not a class output; one sigmoid unit is a yes/no class', () => {
  const m = (body: string) => model(`model M {\n  input x: [8]\n  output x -> ${body}\n}`);
  assert.deepEqual(outputPlan(m('dense(3)'), {}), { kind: 'classes', classes: 3, activation: 'logits' });
  assert.match((outputPlan(m('dense(3)'), {}, 'mse') as { reason: string }).reason, /loss: mse/);
  assert.deepEqual(outputPlan(m('dense(1) -> sigmoid'), {}, 'binary_crossentropy'), { kind: 'classes', classes: 1, activation: 'sigmoid' });
  assert.match((outputPlan(m('dense(1)'), {}) as { reason: string }).reason, /single score/);
  assert.match((outputPlan(m('dense(4) -> relu'), {}) as { reason: string }).reason, /not a softmax, sigmoid or linear/);
  // [seq, n] without a token input (a sequence of floats) is not a language model.
  const seq = model(`model S {\n  input x: [seq, 4]\n  output x -> dense(5) -> softmax\n}`);
  assert.equal(outputPlan(seq, { seq: 6 }).kind, 'none');
});

test('temperatureSoftmax: softmax of logits / T; a softmax output re-tempered as p^(1/T); T = 1 leaves probabilities alone', () => {
  const logits = [1, 2, 3];
  const e = logits.map((z) => Math.exp(z));
  const s = e.reduce((a, b) => a + b, 0);
  close(temperatureSoftmax(logits, 'logits'), e.map((v) => v / s));
  const e2 = logits.map((z) => Math.exp(z / 2));
  const s2 = e2.reduce((a, b) => a + b, 0);
  close(temperatureSoftmax(logits, 'logits', 2), e2.map((v) => v / s2));
  // Large logits do not overflow.
  close(temperatureSoftmax([1000, 1000], 'logits'), [0.5, 0.5]);
  const probs = [0.7, 0.2, 0.1, 0];
  close(temperatureSoftmax(probs, 'probabilities', 1), probs, 1e-12);
  // T = 0.5: p² renormalised; T = 2: √p renormalised.
  const sq = probs.map((p) => p * p);
  close(temperatureSoftmax(probs, 'probabilities', 0.5), sq.map((v) => v / sq.reduce((a, b) => a + b, 0)));
  const rt = probs.map((p) => Math.sqrt(p));
  close(temperatureSoftmax(probs, 'probabilities', 2), rt.map((v) => v / rt.reduce((a, b) => a + b, 0)));
  // Sharper below 1, flatter above, order kept, zero stays impossible.
  assert.ok(temperatureSoftmax(probs, 'probabilities', 0.1)[0] > 0.99);
  assert.ok(temperatureSoftmax(probs, 'probabilities', 2)[0] < 0.7);
  assert.equal(temperatureSoftmax(probs, 'probabilities', 2)[3], 0);
  close([temperatureSoftmax(logits, 'logits', 0.3).reduce((a, b) => a + b, 0)], [1]);
  assert.throws(() => temperatureSoftmax(logits, 'logits', Number.NaN), /temperature must be a finite number/);
  assert.throws(() => temperatureSoftmax(logits, 'logits', Infinity), /temperature must be a finite number/);
  // Nothing possible: all zeros, not NaN.
  assert.deepEqual([...temperatureSoftmax([0, 0], 'probabilities')], [0, 0]);
  assert.deepEqual([...temperatureSoftmax([-Infinity, Number.NaN], 'logits')], [0, 0]);
});

test('temperature 0: the strip and sampling agree on the most likely token (the first of equals), where the strip used to throw', () => {
  // Generate Text's temperature 0 takes the most likely token; the shared distribution is that token with probability 1.
  assert.deepEqual([...temperatureSoftmax([-1, 5, 2, 9], 'logits', 0)], [0, 0, 0, 1]);
  assert.deepEqual([...temperatureSoftmax([0.1, 0.4, 0.4, 0.1], 'probabilities', 0)], [0, 1, 0, 0]);
  assert.deepEqual([...temperatureSoftmax([0, 0], 'probabilities', 0)], [0, 0]);
  assert.equal(sampleToken([-1, 5, 2, 9], 'logits', 0, 0, 0.5), 3);
  assert.equal(sampleToken([0.1, 0.4, 0.4, 0.1], 'probabilities', 0, 0, 0.99), 1);
});

test('sampling reads the strip\'s distribution: a probability of 0 or a non-finite logit is never drawn, at any temperature', () => {
  // The largest u a draw can give: sampling used to floor a 0 at 1e-30, which the last u drew at temperature 2.
  const lastU = 1 - 2 ** -53;
  for (const t of [0.5, 1, 2, 10]) {
    assert.notEqual(sampleToken([0.5, 0.5, 0], 'probabilities', t, 0, lastU), 2, `temperature ${t}`);
    assert.equal(temperatureSoftmax([0.5, 0.5, 0], 'probabilities', t)[2], 0);
    // A NaN logit (a diverged model) is impossible, as in the strip.
    for (let u = 0; u < 1; u += 0.05) assert.notEqual(sampleToken([1, Number.NaN, 2], 'logits', t, 0, u), 1, `temperature ${t}, u ${u}`);
  }
  // The draws follow the strip's probabilities at the same temperature.
  const scores = [2, 0.5, -1, 1];
  const p = temperatureSoftmax(scores, 'logits', 0.7);
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 2000; i++) counts[sampleToken(scores, 'logits', 0.7, 0, (i + 0.5) / 2000)]++;
  counts.forEach((c, i) => assert.ok(Math.abs(c / 2000 - p[i]) < 0.002, `token ${i}: ${c / 2000} vs ${p[i]}`));
});

test('topK: largest first, ties in index order, k beyond the length', () => {
  assert.deepEqual(topK([0.1, 0.5, 0.2, 0.5, 0.05], 3), [
    { index: 1, p: 0.5 },
    { index: 3, p: 0.5 },
    { index: 2, p: 0.2 },
  ]);
  assert.deepEqual(topK([0.3, 0.7], 5), [
    { index: 1, p: 0.7 },
    { index: 0, p: 0.3 },
  ]);
  assert.deepEqual(topK([1, 2], 0), []);
  // Agrees with a full sort on random values.
  const xs = Array.from({ length: 500 }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 - Math.floor(Math.sin(i * 12.9898) * 43758.5453));
  const sorted = xs.map((p, index) => ({ index, p })).sort((a, b) => b.p - a.p || a.index - b.index).slice(0, 10);
  assert.deepEqual(topK(xs, 10), sorted);
});

test('classRows: five rows summing to at most 1; logits get a softmax; one sigmoid unit gives class 1 and class 0', () => {
  const logits = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const rows = classRows(logits, 'logits', 5);
  assert.deepEqual(rows.map((r) => r.index), [9, 8, 7, 6, 5]);
  const total = rows.reduce((s, r) => s + r.p, 0);
  assert.ok(total <= 1 && total > 0.99, String(total));
  const soft = classRows([0.1, 0.9], 'softmax', 5);
  assert.deepEqual(soft.map((r) => r.index), [1, 0]);
  close(soft.map((r) => r.p), [0.9, 0.1], 1e-12);
  const yes = classRows([0.8], 'sigmoid');
  assert.deepEqual(yes.map((r) => r.index), [1, 0]);
  close(yes.map((r) => r.p), [0.8, 0.2]);
  assert.deepEqual(classRows([0.9, 0.8, 1.0000001], 'sigmoid').map((r) => [r.index, r.p]), [[2, 1], [0, 0.9], [1, 0.8]]);
});

test('class names: the trained data\'s when they fit the output, else class 0…N−1; texts', () => {
  assert.deepEqual(classNames(3, ['circle', 'square', 'triangle']), ['circle', 'square', 'triangle']);
  assert.deepEqual(classNames(3, undefined), ['class 0', 'class 1', 'class 2']);
  // Checkpoint classes of another size (a text's vocabulary, a changed output) are not used.
  assert.deepEqual(classNames(2, ['a', 'b', 'c']), ['class 0', 'class 1']);
  assert.deepEqual(classNames(1, ['no', 'yes'], 'sigmoid'), ['no', 'yes']);
  assert.deepEqual(classNames(1, undefined, 'sigmoid'), ['class 0', 'class 1']);
  assert.equal(percentText(0.9213), '92 %');
  assert.equal(percentText(0.0996), '10 %');
  assert.equal(percentText(0.043), '4.3 %');
  assert.equal(percentText(0.0004), '< 0.1 %');
  assert.equal(percentText(0), '0 %');
  assert.equal(activationText('logits', 10, 'classes'), 'logits over 10 classes: softmax applied here');
  assert.equal(activationText('softmax', 50257, 'tokens'), 'softmax output over 50,257 tokens');
  assert.equal(activationText('sigmoid', 1, 'classes'), 'one sigmoid output: the probability of class 1');
  assert.equal(untrainedText('random'), 'random weights: load trained weights to see a prediction');
  assert.match(untrainedText('zeros'), /^zero weights .*every answer is equally likely/);
});

test('temperature: the slider value clamped to 0.1–2, explained', () => {
  assert.equal(temperatureOf('0.35'), 0.35);
  assert.equal(temperatureOf('5'), 2);
  assert.equal(temperatureOf(0), 0.1);
  assert.equal(temperatureOf('x'), 1);
  assert.equal(temperatureText(1), "1.00 (the model's own distribution)");
  assert.match(temperatureText(0.5), /^0\.50 \(sharper/);
  assert.match(temperatureText(1.5), /^1\.50 \(flatter/);
});

test('tokens: white space shown, a clicked token appended as the tokeniser writes it, the unknown token not typable', () => {
  assert.equal(visibleToken(' a\n\t'), '␣a↵⇥');
  assert.equal(visibleToken(''), '∅');
  const chars = charTokenizer('abc ');
  const [space] = chars.encode(' ');
  const [c] = chars.encode('c');
  assert.equal(appendedText('ab', chars, space), 'ab ');
  assert.equal(appendedText('ab ', chars, c), 'ab c');
  // Characters the tokeniser does not know stay as typed.
  assert.equal(appendedText('xyz', chars, c), 'xyzc');
  assert.equal(typable(chars, 0), false);
  assert.equal(typable(chars, c), true);
  const words = wordTokenizer('the cat sat . on');
  const [sat] = words.encode('sat');
  const [dot] = words.encode('.');
  assert.equal(appendedText('the cat', words, sat), 'the cat sat');
  assert.equal(appendedText('the cat sat', words, dot), 'the cat sat.');
  const ids = idTokenizer(10);
  assert.equal(appendedText('3 1 4 ', ids, 1), '3 1 4 1');
  assert.equal(appendedText('', ids, 7), '7');
});

test('a checkpoint of a model trained on named classes: Load Weights passes the names on, the strip labels the rows with them', async () => {
  const tf = await import('@tensorflow/tfjs');
  const { reviveModel, serializeModel } = await import('../../extension/core/protocol');
  const { encodeCheckpoint } = await import('../../extension/core/runtime/checkpoint');
  const { ModelSession } = await import('../../webview/host/session');
  const { TrainedWeights } = await import('../../webview/training/weights');
  await tf.setBackend('cpu');
  await tf.ready();
  const text = `model M {\n  input x: [4]\n  output x -> dense(3)\n}\n`;
  const info = () => reviveModel(JSON.parse(JSON.stringify(serializeModel(analyze(text).models[0]))));
  const uri = 'file:///m.nnmodel';
  const checkpoint = async (data?: { source: string; classes: string[]; exampleShape: number[] }) => {
    const s = ModelSession.create(tf, info(), { seed: 1 });
    try {
      const ck = await encodeCheckpoint(s.built, { model: 'M', epoch: 2, history: [], ...(data ? { data } : {}) });
      return { type: 'weights' as const, uri, model: 'M', epoch: 2, modelJson: JSON.stringify(ck.modelJson), weights: ck.weights };
    } finally {
      s.dispose();
    }
  };
  const weights = new TrainedWeights();
  weights.remember(await checkpoint({ source: 'shapes', classes: ['circle', 'square', 'triangle'], exampleShape: [4] }));
  const s = ModelSession.create(tf, info(), { seed: 7 });
  try {
    const applied = weights.applyTo(s, uri, 'M');
    assert.deepEqual(applied?.classes, ['circle', 'square', 'triangle']);
    const plan = outputPlan(s.modelInfo, {}, 'crossentropy');
    assert.deepEqual(plan, { kind: 'classes', classes: 3, activation: 'logits' });
    const x = tf.tensor2d([[1, -2, 0.5, 3]]);
    const before = tf.memory().numTensors;
    const scores = firstOutput(tf, s.built.model, x);
    assert.equal(tf.memory().numTensors, before, 'firstOutput frees what it makes');
    const expected = (s.built.model.predict(x) as import('@tensorflow/tfjs').Tensor).softmax().dataSync();
    x.dispose();
    assert.equal(scores.length, 3);
    const rows = classRows(scores, 'logits', 5);
    close(rows.map((r) => r.p), rows.map((r) => expected[r.index]), 1e-6);
    const names = classNames(3, applied?.classes);
    assert.deepEqual(rows.map((r) => names[r.index]).sort(), ['circle', 'square', 'triangle']);
  } finally {
    s.dispose();
  }
  // A checkpoint without data (or of a regression) has no names.
  weights.remember(await checkpoint());
  const t = ModelSession.create(tf, info(), { seed: 7 });
  try {
    assert.equal(weights.applyTo(t, uri, 'M')?.classes, undefined);
  } finally {
    t.dispose();
  }
});

test('Feature maps read the output strip\'s scores from the pass that draws the maps: the same values as a forward pass of their own', async () => {
  const tf = await import('@tensorflow/tfjs');
  const { reviveModel, serializeModel } = await import('../../extension/core/protocol');
  const { ModelSession } = await import('../../webview/host/session');
  const { featureMaps } = await import('../../webview/probes/featureMaps');
  await tf.setBackend('cpu');
  await tf.ready();
  // A model ending in a block: its output is the block's last layer's.
  const text = `block head(n) {\n  input x\n  output x -> flatten -> dense(n) -> softmax\n}\nmodel M {\n  input image: [8, 8, 1]\n  output image -> conv2d(4, 3) -> maxpool(2) -> head(5)\n}\n`;
  const s = ModelSession.create(tf, reviveModel(JSON.parse(JSON.stringify(serializeModel(analyze(text).models[0])))), { seed: 3 });
  try {
    const path = s.activations.paths.find((p) => s.built.outputOf.get(p) === s.built.model.outputs[0]);
    assert.ok(path, `the model's output is one of the activation model's: ${s.activations.paths.join(', ')}`);
    const x = tf.randomUniform([1, 8, 8, 1], 0, 1, 'float32', 1);
    const before = tf.memory().numTensors;
    let read: Float32Array | undefined;
    const maps = featureMaps(tf, s.activations, x, [s.activations.paths[0]], { path, read: (t) => (read = Float32Array.from(t.dataSync())) });
    assert.equal(tf.memory().numTensors, before, 'nothing kept');
    assert.equal(maps.length, 1);
    const own = firstOutput(tf, s.built.model, x);
    x.dispose();
    assert.ok(read);
    close(read, own, 1e-6);
    assert.equal(read.length, 5);
  } finally {
    s.dispose();
  }
});
