// What the inspector's Feature maps, Kernels and Attention tabs say while the
// model cannot run (webview/views/notRunningModel.ts): for a model with
// errors, the first error in the file with its line, from the diagnostics the
// model message carries; otherwise why it could not be built.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { serializeDiagnostic } from '../../extension/core/protocol';
import { notRunningText } from '../../webview/views/notRunningModel';
import { graphStatus } from '../../webview/views/graphModel';

const LENET_BAD = `model LeNet5 {
  input image: [32, 32, 1]
  output image -> conv2d(6, 5) -> tanh -> avgpool(2)
               -> conv2d(16, 50) -> tanh -> avgpool(2)
               -> flatten -> dense(120) -> tanh -> dense(84) -> tanh
               -> dense(10) -> softmax
}
`;

test('a model with an error: the tab names the first error and its line', () => {
  const a = analyze(LENET_BAD, { uri: 'file:///w/lenet.nnmodel' });
  assert.equal(a.models[0].hasErrors, true);
  const diagnostics = a.diagnostics.map(serializeDiagnostic);
  const said = notRunningText(true, diagnostics);
  assert.equal(said.text, 'Fix the errors in the model to run it.');
  assert.equal(said.error?.more, 0);
  assert.ok(said.error, 'the first error is given');
  assert.equal(said.error.line, 4, 'conv2d(16, 50) is on line 4');
  assert.equal(said.error.message, diagnostics.find((d) => d.severity === 'error')!.message);
  assert.match(LENET_BAD.slice(said.error.range.start.offset, said.error.range.end.offset), /50|conv2d/);
});

test('the earliest error comes first whatever the order of the diagnostics, warnings do not count', () => {
  const at = (line: number, offset: number) => ({ start: { line, character: 0, offset }, end: { line, character: 3, offset: offset + 3 } });
  const said = notRunningText(true, [
    { code: 'b', severity: 'error', message: 'later', range: at(9, 200) },
    { code: 'w', severity: 'warning', message: 'a warning first', range: at(1, 10) },
    { code: 'a', severity: 'error', message: 'earlier', range: at(4, 80) },
  ]);
  assert.deepEqual([said.error?.line, said.error?.message, said.error?.more], [5, 'earlier', 1]);
  assert.equal(said.text, 'Fix the errors in the model to run it.');
});

test('no error to show, or no error at all', () => {
  assert.deepEqual(notRunningText(true, []), { text: 'Fix the errors in the model to run it.' });
  assert.deepEqual(notRunningText(false, []), { text: 'The model is not built yet.' });
  assert.match(notRunningText(false, [], 'the model has 300,000,000 parameters').text, /could not be built: the model has 300,000,000 parameters/);
});

test('the graph status says a model with errors is drawn only up to its first error', () => {
  const a = analyze(LENET_BAD, { uri: 'file:///w/lenet.nnmodel' });
  const m = a.models[0];
  const diagnostics = a.diagnostics.map(serializeDiagnostic);
  const s = graphStatus({ layer: 3, group: 0 }, m.hasErrors, diagnostics);
  assert.equal(s.text, '3 layers · incomplete: error on line 4');
  assert.match(s.error!, /^Line 4: /);
  assert.deepEqual(graphStatus({ layer: 1, group: 2 }, false, diagnostics), { text: '1 layer, 2 blocks' });
  assert.equal(graphStatus({ layer: 0, group: 0 }, true, []).text, '0 layers · incomplete: the model has errors');
});
