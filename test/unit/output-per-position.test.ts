// Feature maps' output strip for a classifier that forgot its flatten: the
// output [6, 6, 10] is a softmax at each of 6 × 6 positions, so there are no
// top classes to show; the strip says why instead of vanishing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { analyze } from '../../extension/core/analysis/analyze';
import { outputPlan, perPositionNote } from '../../webview/views/outputModel';
import { nnmodelFiles } from '../fixtures/examples';

const cnn = (tail: string) => `model SmallCNN {
  input image: [32, 32, 3]
  x = image -> conv2d(32, 3) -> relu -> maxpool(2)
  x = x -> conv2d(64, 3) -> relu -> maxpool(2)
  output x${tail}
}
`;
const model = (text: string) => analyze(text).models[0];

test('a CNN without flatten: no top classes, and the note names the output, its positions and the fix', () => {
  const m = model(cnn(' -> dense(10) -> softmax'));
  assert.equal(outputPlan(m, {}).kind, 'none');
  assert.equal(
    perPositionNote(m, {}),
    'No top classes: the output [6, 6, 10] has 10 scores at each of its 6 × 6 positions, not one set for the whole image. ' +
      'A classifier flattens before its last dense layer: -> flatten -> dense(10) -> softmax (or global_avgpool instead of flatten).',
  );
  // Logits (dense without an activation) and a sigmoid get the ending they had.
  assert.match(perPositionNote(model(cnn(' -> dense(10)')), {})!, /-> flatten -> dense\(10\) \(or global_avgpool/);
  assert.match(perPositionNote(model(cnn(' -> dense(3) -> sigmoid')), {})!, /\[6, 6, 3\] has 3 scores .* -> flatten -> dense\(3\) -> sigmoid/);
  // Trained with crossentropy it is still a classifier.
  assert.ok(perPositionNote(m, {}, 'crossentropy'));
});

test('no note when the strip shows classes, when the output is not scores, or is trained as values', () => {
  assert.equal(perPositionNote(model(cnn(' -> flatten -> dense(10) -> softmax')), {}), undefined);
  assert.equal(perPositionNote(model(cnn(' -> relu')), {}), undefined);
  assert.equal(perPositionNote(model(cnn(' -> dense(10)')), {}, 'mse'), undefined);
});

test('a per-pixel map the size of the image (U-Net segmentation) is meant that way: no note', () => {
  const unet = `model Seg {
  input image: [32, 32, 3]
  output image -> conv2d(8, 3, padding = same) -> relu -> conv2d(4, 1) -> softmax
}
`;
  assert.equal(outputPlan(model(unet), {}).kind, 'none');
  assert.equal(perPositionNote(model(unet), {}), undefined);
});

test('none of the examples gets the note', () => {
  const root = `${process.cwd()}/examples`;
  const readImport = (_from: string | undefined, path: string) => ({ uri: `file://${root}/${path}`, text: readFileSync(`${root}/${path}`, 'utf8') });
  for (const file of nnmodelFiles(root)) {
    const analysis = analyze(readFileSync(`${root}/${file}`, 'utf8'), { uri: `file://${root}/${file}`, readImport });
    for (const m of analysis.models) {
      const train = analysis.trains.find((t) => t.model === m.name);
      assert.equal(perPositionNote(m, { seq: 16 }, train?.config.loss), undefined, `${file}: ${m.name}`);
    }
  }
});
