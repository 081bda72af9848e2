// The demo of an exported file's `__main__` runs the model at sizes its layers take: a symbolic length read by a
// `positional` layer stays within its maxlen (the exported layer refuses a longer sequence), and the comment says
// how far each dimension may go instead of "any value works".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { DEMO_DIM, exportPyTorch } from '../../extension/core/export/pytorch';

function mainOf(text: string): string {
  const r = exportPyTorch(analyze(text, {}));
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('; '));
  return r.code.slice(r.code.indexOf('if __name__ == "__main__":'));
}

test('a length capped by a learned position table is lowered to its maxlen (n + 1 after a cls_token: maxlen − 1)', () => {
  assert.ok(DEMO_DIM > 8);
  const main = mainOf(`
model Short {
  input tokens: int[n]
  input other: int[k]
  x = tokens -> embedding(50, 8) -> cls_token -> positional(learned, maxlen = 8)
  y = other -> embedding(50, 8) -> positional(learned, maxlen = 512)
  output concat(x -> mean(0), y -> mean(0))
}
`);
  assert.match(main, /\n {4}n = 7 {2}# a symbolic dimension: any value up to 7 works \(maxlen of positional\(learned, maxlen = 8\), line 5\)/);
  assert.match(main, new RegExp(`\\n {4}k = ${DEMO_DIM} {2}# a symbolic dimension: any value up to 512 works \\(maxlen of positional\\(learned, maxlen = 512\\), line 6\\)`));
});

test('a length no layer caps keeps the demo size and "any value works"', () => {
  const main = mainOf(`
model Free {
  input x: [seq, 4]
  output x -> lstm(8)
}
`);
  assert.match(main, new RegExp(`\\n {4}seq = ${DEMO_DIM} {2}# a symbolic dimension: any value works\\n`));
});
