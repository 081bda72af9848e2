// "Measure at initialisation" in the Training tab's Signal & gradients (webview/training/signals.ts): the last
// measurement is drawn as the shown model's only when it measured that model of that file as it is now
// (signalsModel.ts modelStructure, initialStanding). Keyed by the model's name alone, the figures of a model
// before an edit (a layer added, a size changed) or of a same-named model in another file were drawn as its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { modelMessage } from '../../extension/vscode/inspector/messages';
import { parseHostMessage, type ModelMessage } from '../../extension/core/protocol';
import { initialStanding, modelStructure, type InitialSubject } from '../../webview/training/signalsModel';

const URI = 'file:///w/net.nnmodel';

/** A model `Net` with a train section on built-in digits, as the file reads with `layers` between flatten and the output. */
const source = (layers: string, batch = 32, above = '') =>
  `${above}model Net {\n  input image: [28, 28, 1]\n  output image -> flatten -> ${layers} -> dense(10) -> softmax  # the classes\n}\n\ntrain Net {\n  data: digits(samples = 200)\n  epochs: 2\n  batch: ${batch}\n}\n`;

/** What the inspector passes for `text`'s model Net in `uri`: as the page gets the model message (through its validation). */
function subject(text: string, uri = URI): InitialSubject {
  const a = analyze(text);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  const msg = parseHostMessage(JSON.parse(JSON.stringify(modelMessage(a, a.models.find((m) => m.name === 'Net')!, uri, 1)))) as ModelMessage;
  return { uri, model: msg.model.name, structure: modelStructure(msg) };
}

const BASE = source('dense(64) -> sigmoid -> dense(64) -> sigmoid');

test('the same model, analysed again or edited within a line, is the one measured', () => {
  const measured = subject(BASE);
  assert.equal(initialStanding(measured, subject(BASE)), 'current');
  // A comment and spaces within a line: the same layers on the same lines.
  assert.equal(initialStanding(measured, subject(BASE.replace('# the classes', '#  ten classes').replace('-> sigmoid ->', '->  sigmoid  ->'))), 'current');
});

test('after an edit of the layers, their sizes or the train section, the measurement is of the model before it', () => {
  const measured = subject(BASE);
  const edits: Record<string, string> = {
    'a layer added': source('dense(64) -> sigmoid -> dense(64) -> sigmoid -> dense(64) -> sigmoid'),
    'a size changed': source('dense(32) -> sigmoid -> dense(64) -> sigmoid'),
    'an activation changed (same shapes and parameters)': source('dense(64) -> relu -> dense(64) -> sigmoid'),
    'the batch measured': source('dense(64) -> sigmoid -> dense(64) -> sigmoid', 16),
    // The chart names each layer by its line: a line above the model moves every layer.
    'a line added above the model': source('dense(64) -> sigmoid -> dense(64) -> sigmoid', 32, '# Net\n'),
  };
  for (const [edit, text] of Object.entries(edits)) {
    const now = subject(text);
    // What the tab compared: the name, which all these keep.
    assert.equal(now.model, measured.model, edit);
    assert.equal(initialStanding(measured, now), 'earlier', edit);
  }
  // Undone, the measurement is the model's again.
  assert.equal(initialStanding(measured, subject(source('dense(32) -> sigmoid -> dense(64) -> sigmoid'))), 'earlier');
  assert.equal(initialStanding(measured, subject(BASE)), 'current');
});

test('a same-named model in another file, another model, or no measurement: nothing of it is drawn', () => {
  const measured = subject(BASE);
  // The very same text in another file is another model.
  assert.equal(initialStanding(measured, subject(BASE, 'file:///w/other/net.nnmodel')), undefined);
  assert.equal(initialStanding(measured, { ...measured, model: 'Other' }), undefined);
  assert.equal(initialStanding(undefined, measured), undefined);
  assert.equal(initialStanding(measured, undefined), undefined);
});

test('a layer inside a repeated block: its size is part of the structure', () => {
  const block = (units: number) =>
    `block plain(units) {\n  input x\n  output x -> dense(units) -> sigmoid\n}\n\n${source(`dense(64) -> sigmoid -> plain(${units}) * 3`)}`;
  const measured = subject(block(64));
  assert.equal(initialStanding(measured, subject(block(64))), 'current');
  assert.equal(initialStanding(measured, subject(block(48))), 'earlier');
  assert.equal(initialStanding(measured, subject(block(64).replace('* 3', '* 4'))), 'earlier');
});
