// In VS Code: the data size a train section takes from its model (hover on the source's
// name), and the linear-stack advice with its quick fix.
import assert from 'node:assert/strict';
import { e2eTest, positionOf } from './harness';

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
