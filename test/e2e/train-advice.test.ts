// In VS Code: the data size a train section takes from its model (hover on the source's
// name), the linear-stack advice with its quick fix, and the warning on a language
// model whose attention is not masked.
import assert from 'node:assert/strict';
import { e2eTest, poll, positionOf } from './harness';

// The design contract's LeNet-5 and train example, as written there.
const CONTRACT = `model LeNet5 {
  input image: [32, 32, 1]
  output image -> conv2d(6, 5) -> tanh -> avgpool(2)
               -> conv2d(16, 5) -> tanh -> avgpool(2)
               -> flatten -> dense(120) -> tanh -> dense(84) -> tanh
               -> dense(10) -> softmax
}
train LeNet5 {
  data: digits(samples = 6000)                      # built-in synthetic data set
  loss: crossentropy          # or mse, binary_crossentropy
  optimizer: adam(lr = 1e-3)  # sgd(lr, momentum), rmsprop(lr)
  epochs: 5
  batch: 64
  validation: 0.1
  metrics: [accuracy]
}
`;

const TWO_LINEAR = `model TwoLinear {
  input x: [10]
  output x -> dense(20) -> dense(5)
}
`;

e2eTest("hovering digits in the contract's train section says it draws 32×32 images, the model's input size", { files: { 'contract.nnmodel': CONTRACT } }, async (wb) => {
  await wb.openFile('contract.nnmodel');
  const at = positionOf(CONTRACT, 'digits(samples');
  const text = await wb.hoverAt(at.line, at.column + 2, '32×32');
  assert.match(text, /digits: 6,000 grey-scale images 32×32 \(the model's input size\)/);
});

e2eTest('dense -> dense is listed in Problems as info, and the quick fix inserts -> relu', { files: { 'two.nnmodel': TWO_LINEAR } }, async (wb) => {
  await wb.openFile('two.nnmodel');
  const rows = await wb.waitForProblem(/one linear map/);
  assert.ok(rows.some((r) => /325 parameters that can do no more than one dense\(5\) does with 55/.test(r)), rows.join(' | '));
  const at = positionOf(TWO_LINEAR, 'dense(5)');
  await wb.goTo(at.line, at.column + 1);
  await wb.applyQuickFix("Insert '-> relu' after dense(20)");
  const text = await wb.step('save fixed', () => wb.saveAndRead('two.nnmodel', TWO_LINEAR));
  assert.equal(text, TWO_LINEAR.replace('dense(20) -> dense(5)', 'dense(20) -> relu -> dense(5)'));
});

const UNMASKED = `model LM {
  input tokens: int[seq]
  h = tokens -> embedding(64, 32) -> positional(learned, maxlen = 32)
  h = h + h -> layernorm -> attention(4)
  output h -> dense(64) -> softmax
}
train LM {
  data: text("tiny.txt", context = 32)
}
`;

e2eTest('a language model on text without causal = true is a warning in Problems; its quick fix masks the attention and the warning goes', { files: { 'lm.nnmodel': UNMASKED } }, async (wb) => {
  await wb.openFile('lm.nnmodel');
  const rows = await wb.waitForProblem(/train\.not_causal|sees later tokens/);
  assert.ok(rows.some((r) => /attention\(4\) lets every position attend to all positions/.test(r) && /Set causal = true in attention\(4\)/.test(r)), rows.join(' | '));
  // The quick fix is offered on the data source, where the warning is.
  const at = positionOf(UNMASKED, 'text("tiny.txt"');
  await wb.goTo(at.line, at.column + 1);
  await wb.applyQuickFix('Set causal = true in attention(4)');
  const text = await wb.step('save fixed', () => wb.saveAndRead('lm.nnmodel', UNMASKED));
  assert.equal(text, UNMASKED.replace('attention(4)', 'attention(4, causal = true)'));
  await wb.step('the warning goes', () =>
    poll('no train.not_causal row in Problems', async () => !(await wb.problems()).some((r) => /sees later tokens/.test(r)), {
      seen: async () => (await wb.problems()).join(' | ') || '(no problems)',
    }),
  );
});

const ONE_WAY = `model Reverse {
  input tokens: int[8]
  x = tokens -> embedding(16, 32) -> lstm(64, return_sequences = true)
  output x -> dense(16) -> softmax
}
train Reverse {
  data: sequences(samples = 400, task = reverse, length = 8, vocab = 16)
}
`;

e2eTest('a one-way lstm asked to reverse is a warning in Problems; the quick fix makes it bidirectional, its hover shows [8, 128], and the warning goes', { files: { 'reverse.nnmodel': ONE_WAY } }, async (wb) => {
  await wb.openFile('reverse.nnmodel');
  const rows = await wb.waitForProblem(/must guess the first/);
  assert.ok(rows.some((r) => /lstm\(64, return_sequences = true\) reads the tokens one way/.test(r) && /Set bidirectional = true in lstm\(64, return_sequences = true\)/.test(r)), rows.join(' | '));
  const at = positionOf(ONE_WAY, 'sequences(samples');
  await wb.goTo(at.line, at.column + 1);
  await wb.applyQuickFix('Set bidirectional = true in lstm(64, return_sequences = true)');
  const fixed = ONE_WAY.replace('lstm(64, return_sequences = true)', 'lstm(64, return_sequences = true, bidirectional = true)');
  const text = await wb.step('save fixed', () => wb.saveAndRead('reverse.nnmodel', ONE_WAY));
  assert.equal(text, fixed);
  await wb.step('the warning goes', () =>
    poll('no train.sees_no_later row in Problems', async () => !(await wb.problems()).some((r) => /must guess the first/.test(r)), {
      seen: async () => (await wb.problems()).join(' | ') || '(no problems)',
    }),
  );
  // Both directions joined: 2·64 wide, twice an lstm(64)'s parameters.
  const lstm = positionOf(fixed, 'lstm(64');
  const hover = await wb.hoverAt(lstm.line, lstm.column + 2, '[8, 128]');
  assert.match(hover, /\[8, 128\]/);
  assert.match(hover, /49,664/);
});
