// Found by exploratory QA as a student would use the inspector: a CNN
// for 32×32 images that forgot its flatten has an output [6, 6, 10], a
// softmax at each position, so Feature maps has no top classes to show. The
// strip used to vanish without a word; now it says why, and what to write.
import assert from 'node:assert/strict';
import { e2eTest, openInspector, openTab, poll } from './harness';

const NO_FLATTEN = `model SmallCNN {
  input image: [32, 32, 3]
  x = image -> conv2d(32, 3) -> relu -> maxpool(2)
  x = x -> conv2d(64, 3) -> relu -> maxpool(2)
  output x -> dense(10) -> softmax
}
`;

e2eTest('Feature maps of a CNN without flatten say why there are no top classes, and how to end a classifier', { files: { 'no_flatten.nnmodel': NO_FLATTEN }, timeout: 300_000 }, async (wb) => {
  const frame = await openInspector(wb, 'no_flatten.nnmodel');
  await openTab(wb, frame, 'featureMaps');
  const status = frame.locator('#nn-panel-featureMaps .nn-toolbar-status');
  await wb.step('feature maps drawn', () =>
    poll('feature maps drawn for the start image', async () => /· \d+ layers?/.test(await status.innerText()), { timeout: 90_000, seen: () => status.innerText() }),
  );
  const noteEl = frame.locator('#nn-panel-featureMaps .nn-fm-no-classes');
  const text = await wb.step('the note where the classes would be', () =>
    poll('the no-classes note', async () => ((await noteEl.count()) > 0 ? noteEl.innerText() : undefined), {
      seen: async () => (await frame.locator('#nn-panel-featureMaps').innerText()).slice(0, 600),
    }),
  );
  assert.match(text, /the output \[6, 6, 10\] has 10 scores at each of its 6 × 6 positions/);
  assert.match(text, /-> flatten -> dense\(10\) -> softmax/);
  // No class rows: there is no one set of class scores to rank.
  assert.equal(await frame.locator('#nn-panel-featureMaps').getByText('Most likely').count(), 0);
});
