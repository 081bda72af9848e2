// How a block's body uses its parameters (extension/vscode/pure/paramUse.ts), which
// completion reads to offer a parameter's values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from '../../extension/core/syntax/parser';
import type { BlockDecl } from '../../extension/core/syntax/ast';
import { paramUse } from '../../extension/vscode/pure/paramUse';

function uses(text: string, block: string): (name: string) => string {
  const decls = parse(text).items.filter((i): i is BlockDecl => i.kind === 'block');
  const named = (n: string) => decls.find((d) => d.name.name === n);
  return (name) => {
    const u = paramUse(named(block)!, name, named);
    return u.kind === 'choice' ? `choice ${u.arg.name}` : u.kind;
  };
}

test('a layer, a choice, a number, or unknown, by the first use that shows', () => {
  const use = uses(
    `block b(act, pad, n, k, rep, c, hid = 4 * c, free, word) {
  input x: [h, w, c]
  y = x -> conv2d(n, [k, k], padding = pad) -> act -> dense(hid) * rep
  output y + x
}`,
    'b',
  );
  assert.equal(use('act'), 'layer');
  assert.equal(use('pad'), 'choice padding');
  for (const n of ['n', 'k', 'rep', 'c']) assert.equal(use(n), 'number', n);
  assert.equal(use('free'), 'unknown');
});

test('given on to another block: that parameter\'s use; after a binding of the same name, another value', () => {
  const text = `block inner(a, f) {
  input x
  output x -> dense(a, activation = f)
}
block outer(g, n) {
  input x
  n = x -> dense(4)
  output n -> inner(2, f = g) -> n
}
block loop(p) {
  input x
  output x -> loop2(p)
}
block loop2(p) {
  input x
  output x -> loop(p)
}`;
  assert.equal(uses(text, 'outer')('g'), 'choice activation');
  // `n` is bound again before its use as a layer: that use is the value's.
  assert.equal(uses(text, 'outer')('n'), 'unknown');
  // Blocks giving a parameter on to each other end (the analysis reports the recursion).
  assert.equal(uses(text, 'loop')('p'), 'unknown');
});
