// A block whose body has an error for the call that reaches it: hovering its
// input, or a value above the error, says why the shape is unknown (the
// error in the block, found through that call), not that the analysis never
// reached the statement (extension/vscode/pure/nameHover.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core';
import type { Analysis } from '../../extension/core/analysis/types';
import { symbolAt } from '../../extension/vscode/pure/lookup';
import { argumentHover, nameHover } from '../../extension/vscode/pure/nameHover';

const URI = 'file:///w/t.nnmodel';

function at(text: string, line: number, col: number): number {
  const lines = text.split('\n');
  let offset = 0;
  for (let i = 0; i < line - 1; i++) offset += lines[i].length + 1;
  return offset + col - 1;
}

function hoverAt(a: Analysis, text: string, line: number, col: number): string | undefined {
  const offset = at(text, line, col);
  const hit = symbolAt(a.symbols, offset, URI);
  return (hit && nameHover(a, hit, offset))?.markdown ?? argumentHover(a, offset, URI)?.markdown;
}

const RES = `block res(filters) {
  input x
  y = x -> conv2d(filters, 3, padding = same) -> relu
  output x + y
}
model M {
  input image: [32, 32, 16]
  output image -> res(32) -> flatten -> dense(10)
}
`;

test("a block input whose call stopped at an error below says so, naming the call and the error", () => {
  const a = analyze(RES, { uri: URI });
  for (const [line, col] of [[4, 10], [3, 7], [2, 9]] as const) {
    const md = hoverAt(a, RES, line, col);
    assert.ok(md, `hover at ${line}:${col}`);
    assert.match(md, /^```nnmodel\n\(input\) x/);
    assert.doesNotMatch(md, /did not reach/, `hover at ${line}:${col}`);
    assert.match(md, /Shape unknown: the call `res\(32\)` stopped at the error on line 4: cannot add \[32, 32, 16\] and \[32, 32, 32\]/, `hover at ${line}:${col}`);
  }
  // The value computed before the error keeps its shape.
  assert.match(hoverAt(a, RES, 3, 3)!, /\(value\) y: \[32, 32, 32\]/);
});
