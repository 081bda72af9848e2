// The docstring of an exported model with several outputs said `returns:` once per
// output (five lines of `returns: [B, 8]` for a five-output model), which reads as
// five alternatives; forward returns one tuple. It now says so, naming each
// element as the `return` line does, in its order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { exportPyTorch } from '../../extension/core/export/pytorch';

function exported(text: string): string {
  const r = exportPyTorch(analyze(text, { uri: 'm.nnmodel' }), { sourceName: 'm.nnmodel' });
  if (!r.ok) assert.fail(r.errors.map((e) => e.message).join('\n'));
  return r.code;
}

test('several outputs: the docstring says forward returns a tuple and names each element in order', () => {
  const code = exported(`model Heads {
  input image: [16, 16, 3]
  f = image -> conv2d(8, 3, padding = same)
  label = f -> global_avgpool -> dense(10)
  mask = f -> conv2d(1, 1) -> sigmoid
  output label, mask
}
`);
  const ret = /^        return (.+)$/m.exec(code)?.[1].split(', ');
  assert.equal(ret?.length, 2, code);
  const doc = /class Heads\(nn\.Module\):\n    """([^]*?)"""/.exec(code)?.[1] ?? '';
  assert.match(doc, new RegExp(`returns a tuple of 2:\\n        ${ret![0]}: \\[B, 10\\]\\n        ${ret![1]}: \\[B, 1, 16, 16\\]\\n`));
  assert.doesNotMatch(doc, /returns: /);
});

test('one output keeps the one line', () => {
  const code = exported(`model One {
  input x: [4]
  output x -> dense(2)
}
`);
  assert.match(code, /\n    returns: \[B, 2\]\n/);
  assert.doesNotMatch(code, /returns a tuple/);
});
