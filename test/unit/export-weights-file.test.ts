// The weights file of the PyTorch export as both writers name and label it
// (`weightsPathFor`, `safetensorsMetadata` in extension/core/export/weights.ts):
// the CLI's `nnmodel export --weights` and the editor's Export to PyTorch
// (extension/vscode/export.ts, exercised by e2e (k2)) differ only in
// `generated_by`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import { buildModel } from '../../extension/core/runtime/build';
import { encodeCheckpoint, writeCheckpoint } from '../../extension/core/runtime/checkpoint';
import { nodeCheckpointFs } from '../../extension/core/runtime/nodeFs';
import { decodeSafetensors, encodeSafetensors, safetensorsMetadata, weightsPathFor } from '../../extension/core/export/weights';
import { runCli } from '../fixtures/cli';
import { useCpuBackend } from '../fixtures/tfjs';

useCpuBackend();

test('weightsPathFor: the .py beside which the weights go, folder kept, any case of .py', () => {
  assert.equal(weightsPathFor('lenet5.py'), 'lenet5.safetensors');
  assert.equal(weightsPathFor('out/LeNet5.py'), 'out/LeNet5.safetensors');
  assert.equal(weightsPathFor('/tmp/a.b/Model.PY'), '/tmp/a.b/Model.safetensors');
  // Only a final .py goes: a folder or a name that merely contains it stays.
  assert.equal(weightsPathFor('x.py/model.py'), 'x.py/model.safetensors');
  assert.equal(weightsPathFor('copy.pyc.py'), 'copy.pyc.safetensors');
});

test('safetensorsMetadata: format, model, source, epoch, generator; not_trained only when a tensor holds no trained value', () => {
  const plain = safetensorsMetadata({ model: 'LeNet5', source: 'lenet5.nnmodel', epoch: 2, generatedBy: 'nnmodel', filled: [] });
  assert.deepEqual(plain, { format: 'pt', model: 'LeNet5', source: 'lenet5.nnmodel', epoch: '2', generated_by: 'nnmodel' });
  assert.deepEqual(Object.keys(plain), ['format', 'model', 'source', 'epoch', 'generated_by']);
  const filled = [
    { what: 'rnn.bias_hh_l0 = 0', why: 'Keras has one bias', line: 3 },
    { what: 'lstm.bias_hh_l0 = 0', why: 'Keras has one bias', line: 4, uri: 'other.nnmodel' },
  ];
  const withFilled = safetensorsMetadata({ model: 'R', source: 'r.nnmodel', epoch: 10, generatedBy: 'nnmodel export --weights', filled });
  assert.deepEqual(Object.keys(withFilled), ['format', 'model', 'source', 'epoch', 'generated_by', 'not_trained']);
  assert.equal(withFilled.not_trained, 'rnn.bias_hh_l0 = 0: Keras has one bias; lstm.bias_hh_l0 = 0: Keras has one bias');
  assert.equal(withFilled.epoch, '10');
  assert.equal(withFilled.generated_by, 'nnmodel export --weights');
  // String values only, as the format requires: it survives the file unchanged.
  assert.deepEqual(decodeSafetensors(encodeSafetensors([], withFilled)).metadata, withFilled);
});

test('nnmodel export --weights writes the file weightsPathFor names, with the metadata of safetensorsMetadata', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-weights-file-'));
  try {
    const text = 'model Seq {\n  input x: [5, 3]\n  output x -> lstm(4) -> dense(2)\n}\n';
    writeFileSync(join(dir, 'seq.nnmodel'), text);
    const m = analyze(text, { uri: 'seq.nnmodel' }).models[0];
    const built = buildModel(tf, m, { seed: 1 });
    tf.tidy(() => built.model.predict(tf.zeros([1, 5, 3])));
    const ck = await encodeCheckpoint(built, { model: m.name, source: 'seq.nnmodel', epoch: 4, history: [] });
    await writeCheckpoint(nodeCheckpointFs(), join(dir, 'ck'), ck);
    built.model.dispose();

    const { code, err } = await runCli(dir, 'export', 'seq.nnmodel', '--weights', 'ck', '--out', 'Seq.PY');
    assert.equal(code, 0, err);
    assert.match(err, /wrote Seq\.PY \(1 model: Seq\) and Seq\.safetensors/);
    assert.match(readFileSync(join(dir, 'Seq.PY'), 'utf8'), /"Seq\.safetensors"/);
    const file = decodeSafetensors(readFileSync(join(dir, weightsPathFor('Seq.PY'))));
    // The LSTM's second bias is PyTorch's alone: the file says it is no trained value.
    assert.match(file.metadata.not_trained ?? '', /bias_hh_l0 = 0: /);
    const notTrained = file.metadata.not_trained!;
    assert.deepEqual(file.metadata, {
      format: 'pt',
      model: 'Seq',
      source: 'seq.nnmodel',
      epoch: '4',
      generated_by: 'nnmodel export --weights',
      not_trained: notTrained,
    });
    const [what, why] = notTrained.split(/: (.*)/s);
    assert.deepEqual(
      file.metadata,
      safetensorsMetadata({ model: 'Seq', source: 'seq.nnmodel', epoch: 4, generatedBy: 'nnmodel export --weights', filled: [{ what, why, line: 3 }] }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
