// Format Document / Format Selection without VS Code: the editor's indentation
// (FormattingOptions insertSpaces, tabSize) reaches the core formatter
// (extension/vscode/pure/formatting.ts, used by extension/vscode/formatting.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bodyIndentWidth, formatOptionsOf, formattingEdits } from '../../extension/vscode/pure/formatting';
import { applyEdits } from '../../extension/vscode/pure/lineDiff';
import { format } from '../../extension/core/syntax/format';

const SRC = 'model A {\n  input x:[1]\n  output x->dense(2)\n}\n\nmodel B {\n  input y:[1]\n  output   y\n}\n';

test('FormattingOptions map to a tab per level, or tabSize spaces', () => {
  assert.deepEqual(formatOptionsOf({ insertSpaces: false, tabSize: 4 }), { indent: '\t', tabSize: 4 });
  assert.deepEqual(formatOptionsOf({ insertSpaces: false, tabSize: 2 }), { indent: '\t', tabSize: 2 });
  assert.deepEqual(formatOptionsOf({ insertSpaces: true, tabSize: 2 }), { indent: '  ', tabSize: 2 });
  assert.deepEqual(formatOptionsOf({ insertSpaces: true, tabSize: 4 }), { indent: '    ', tabSize: 4 });
  // Not a positive integer: VS Code's default width rather than an error while saving.
  assert.deepEqual(formatOptionsOf({ insertSpaces: true, tabSize: 0 }), { indent: '    ', tabSize: 4 });
});

test('Format Document indents with the editor tabs, or its number of spaces', () => {
  const tabs = applyEdits(SRC, formattingEdits(SRC, { insertSpaces: false, tabSize: 4 }));
  assert.equal(tabs, 'model A {\n\tinput x: [1]\n\toutput x -> dense(2)\n}\n\nmodel B {\n\tinput y: [1]\n\toutput y\n}\n');
  const four = applyEdits(SRC, formattingEdits(SRC, { insertSpaces: true, tabSize: 4 }));
  assert.equal(four, tabs.replace(/\t/g, '    '));
  assert.equal(applyEdits(SRC, formattingEdits(SRC, { insertSpaces: true, tabSize: 2 })), format(SRC));
  // A tab-indented file formatted with tabs is left alone: no edit to apply on save.
  assert.deepEqual(formattingEdits(tabs, { insertSpaces: false, tabSize: 4 }), []);
  // Only the lines whose indentation differs are touched.
  const edits = formattingEdits(tabs.replace('\toutput y', '  output y'), { insertSpaces: false, tabSize: 4 });
  assert.equal(edits.length, 1);
  assert.equal(edits[0].newText, '\toutput y\n');
});

test('Format Selection uses the same indentation and keeps to the selected lines', () => {
  const edits = formattingEdits(SRC, { insertSpaces: false, tabSize: 4 }, { from: 6, to: 7 });
  assert.equal(applyEdits(SRC, edits), 'model A {\n  input x:[1]\n  output x->dense(2)\n}\n\nmodel B {\n\tinput y: [1]\n\toutput y\n}\n');
});

test("with spaces and detectIndentation, a file keeps its bodies' width: VS Code's guess from continued chains (6, 8) does not re-indent a formatted file", () => {
  // Three long chains, continued under their first `->`: the steps between lines are mostly 6 or 8 columns.
  const chain = (n: string) => `  ${n} = x -> conv2d(16, 3, padding = same) -> batchnorm -> relu -> conv2d(32, 3, padding = same) -> batchnorm -> relu -> maxpool(2)`;
  const formatted = format(`model M {\n  input x: [32, 32, 3]\n${chain('a')}\n${chain('b')}\n${chain('c')}\n  output a + b + c\n}\n`);
  assert.ok(formatted.split('\n').some((l) => /^ {6,}->/.test(l)), 'the chains are continued');
  for (const guess of [6, 8, 4]) assert.deepEqual(formattingEdits(formatted, { insertSpaces: true, tabSize: guess, detectIndentation: true }), [], `tabSize ${guess}`);
  // Without detection the width is the user's setting, and the file is re-indented to it.
  assert.match(applyEdits(formatted, formattingEdits(formatted, { insertSpaces: true, tabSize: 4 })), /^ {4}input x/m);
  assert.equal(bodyIndentWidth(formatted), 2);
  assert.equal(bodyIndentWidth('model M {\n\n    # four\n    input x: [1]\n    output x\n}\n'), 4);
  // No indented body (tabs, or nothing yet): the editor's width.
  assert.equal(bodyIndentWidth('model M {\n\tinput x: [1]\n}\n'), undefined);
  assert.equal(bodyIndentWidth('model M {}\n'), undefined);
  assert.deepEqual(formatOptionsOf({ insertSpaces: true, tabSize: 4, detectIndentation: true }, 'model M {\ninput x: [1]\noutput x\n}\n'), { indent: '    ', tabSize: 4 });
  assert.deepEqual(formatOptionsOf({ insertSpaces: true, tabSize: 6, detectIndentation: true }, formatted), { indent: '  ', tabSize: 6 });
  assert.deepEqual(formatOptionsOf({ insertSpaces: true, tabSize: 6 }, formatted), { indent: '      ', tabSize: 6 });
});

test('a comment at column 0 opening a body does not hide its indentation from detection', () => {
  const text = 'model M {\n# the input\n    input x: [4]\n    output x -> dense(2)\n}\n';
  assert.equal(bodyIndentWidth(text), 4);
  // With the width VS Code guessed (2), the file keeps its four spaces.
  assert.equal(formatOptionsOf({ insertSpaces: true, tabSize: 2, detectIndentation: true }, text).indent, '    ');
});

test("a file whose first body is not indented takes the editor's width, not a later body's stray space", () => {
  // A student's file laid out by hand: the block's body at column 0, the model's at one space. Format Document
  // indented the whole file with one space.
  const messy = 'block   enc(d,heads){\ninput x\n   x=(x+x->attention(heads))->layernorm\n      output x\n}\nmodel  Tiny{\n input src:int[n]\n output src->embedding(100,32)->enc(32,4)\n}\n';
  assert.equal(bodyIndentWidth(messy), undefined);
  assert.match(applyEdits(messy, formattingEdits(messy, { insertSpaces: true, tabSize: 2, detectIndentation: true })), /^block enc\(d, heads\) \{\n {2}input x\n {2}x = /);
  // An empty first body says nothing: the next body's width is kept.
  assert.equal(bodyIndentWidth('model A {\n}\nmodel B {\n    input x: [1]\n    output x\n}\n'), 4);
});
