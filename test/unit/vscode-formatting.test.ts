// Format Document / Format Selection without VS Code: the editor's indentation
// (FormattingOptions insertSpaces, tabSize) reaches the core formatter
// (extension/vscode/pure/formatting.ts, used by extension/vscode/formatting.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatOptionsOf, formattingEdits } from '../../extension/vscode/pure/formatting';
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
