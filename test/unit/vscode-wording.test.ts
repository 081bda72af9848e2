// Messages that read correctly: counts ("1 epoch", "2 epochs", never "1 epochs") and
// the prompt pieces a tokeniser does not know (said, not silently dropped).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { epochRange, groupedPlural, plural } from '../../extension/core/plural';
import { TrainingProgress } from '../../extension/vscode/inspector/trainingProgress';
import { trainStartLine } from '../../extension/cli/train';
import { charTokenizer, idTokenizer, trainBpe, unknownPieces, unknownPiecesWarning, wordTokenizer } from '../../extension/core/runtime/tokenizers';

test('plural: the noun agrees with the count, including 0, negatives and irregular nouns', () => {
  assert.equal(plural(1, 'epoch'), '1 epoch');
  assert.equal(plural(0, 'epoch'), '0 epochs');
  assert.equal(plural(2, 'more epoch'), '2 more epochs');
  assert.equal(plural(1, 'more epoch'), '1 more epoch');
  assert.equal(plural(-1, 'parameter'), '-1 parameter');
  assert.equal(plural(-4, 'parameter'), '-4 parameters');
  assert.equal(plural(3, 'info', 'info'), '3 info');
});

test('groupedPlural: as plural, with the digits grouped', () => {
  assert.equal(groupedPlural(50257, 'id'), '50,257 ids');
  assert.equal(groupedPlural(1, 'patch', 'patches'), '1 patch');
  assert.equal(groupedPlural(1000, 'patch', 'patches'), '1,000 patches');
  assert.equal(groupedPlural(0, 'token'), '0 tokens');
});

test('epochRange: one epoch is "epoch N", several "epochs A–B"', () => {
  assert.equal(epochRange(3, 3), 'epoch 3');
  assert.equal(epochRange(1, 1), 'epoch 1');
  assert.equal(epochRange(2, 3), 'epochs 2–3');
});

test('the CLI start line of a one-epoch run says "1 epoch"; several say "epochs"', () => {
  const s = { model: 'LeNet5', source: 'digits', examples: 1797, epochs: 1, batch: 64, backend: 'wasm' };
  assert.equal(trainStartLine(s), 'training LeNet5 on digits (1797 training examples) for 1 epoch, batch 64, backend wasm');
  assert.equal(trainStartLine({ ...s, epochs: 2, examples: 1, resumedFrom: 4 }), 'training LeNet5 on digits (1 training example) for 2 epochs, batch 64, backend wasm, from epoch 4');
  // The examples held out for validation, when there are any, after those trained on.
  assert.equal(trainStartLine({ ...s, examples: 1438, validation: 359 }), 'training LeNet5 on digits (1438 training examples, 359 for validation) for 1 epoch, batch 64, backend wasm');
  assert.match(trainStartLine({ ...s, model: 'G', loss: 'adversarial' }), /^training G \(a GAN: generator and discriminator\) on digits \(1797 training examples\) for 1 epoch,/);
  // mixup: α, as the train section sets it, with the other training settings.
  assert.equal(trainStartLine({ ...s, mixup: 0.2 }), 'training LeNet5 on digits (1797 training examples) for 1 epoch, batch 64, mixup α = 0.2, backend wasm');
  assert.equal(trainStartLine({ ...s, mixup: 1, resumedFrom: 3 }), 'training LeNet5 on digits (1797 training examples) for 1 epoch, batch 64, mixup α = 1, backend wasm, from epoch 3');
});

test('the output channel names one epoch as "epoch N" and a run of them as "epochs A–B"', () => {
  const resumed = new TrainingProgress('LeNet5', 64, '.nnmodel/lenet5/LeNet5');
  const one = resumed.apply({ kind: 'start', epochs: 3, examples: 1, backend: 'wasm', source: 'digits', resumedFrom: 2 });
  assert.equal(one.lines[0], "digits (1 training example), epoch 3, batch 64, backend wasm (the inspector's), continuing from the checkpoint of epoch 2");
  const fresh = new TrainingProgress('LeNet5', 64, '.nnmodel/lenet5/LeNet5');
  assert.match(fresh.apply({ kind: 'start', epochs: 3, examples: 6000, backend: 'wasm', source: 'digits', resumedFrom: 1 }).lines[0], /^digits \(6000 training examples\), epochs 2–3, batch 64,/);
  // mixup: α after the batch, as the CLI's start line says it.
  const mixed = new TrainingProgress('LeNet5', 64, '.nnmodel/lenet5/LeNet5', 0.2);
  assert.equal(mixed.apply({ kind: 'start', epochs: 3, examples: 6000, backend: 'wasm', source: 'digits' }).lines[0], "digits (6000 training examples), epochs 1–3, batch 64, mixup α = 0.2, backend wasm (the inspector's)");
});

test('unknownPieces: what each tokeniser reads as the unknown token, each once, in order', () => {
  const chars = charTokenizer('abc ');
  assert.deepEqual(unknownPieces(chars, 'Zé€ abcé\n'), ['Z', 'é', '€', '\n']);
  assert.deepEqual(unknownPieces(chars, 'cab a'), []);
  // Characters outside the basic plane are one piece each, not two UTF-16 halves.
  assert.deepEqual(unknownPieces(chars, 'a😀'), ['😀']);
  assert.deepEqual(unknownPieces(wordTokenizer('the cat sat.'), 'the dog sat, the cat.'), ['dog', ',']);
  const bpe = trainBpe('low lower lowest', 20);
  assert.deepEqual(unknownPieces(bpe, 'qlow lowest lowz'), ['q', 'z']);
  assert.deepEqual(unknownPieces(idTokenizer(5), '3 1 4, 1 5 x 0'), ['5', 'x']);
});

test('unknownPiecesWarning names the pieces and the vocabulary, or says nothing', () => {
  const chars = charTokenizer('abc ');
  assert.equal(unknownPiecesWarning(chars, 'abc', "M's training text"), undefined);
  assert.equal(
    unknownPiecesWarning(chars, 'aé', "M's training text"),
    `the prompt has 1 character not in the vocabulary of M's training text: "é"; the model reads it as the unknown token.`,
  );
  assert.match(unknownPiecesWarning(wordTokenizer('a b'), 'a c d', 'x') ?? '', /^the prompt has 2 words not in the vocabulary of x: "c", "d";/);
  assert.match(unknownPiecesWarning(idTokenizer(5), '1 7', 'x') ?? '', /^the prompt has 1 item not an id below 5: "7";/);
  const many = unknownPiecesWarning(charTokenizer('a'), 'bcdefghijklmnopqrstuvwxyz', 'x') ?? '';
  assert.match(many, /^the prompt has 25 characters .*"u", …; the model reads each/);
});
