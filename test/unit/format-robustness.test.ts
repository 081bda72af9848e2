/**
 * The formatter on files as editors and other systems save them: line endings
 * other than LF, byte-order marks, tabs, trailing blanks, no final newline.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { format } from '../../extension/core/syntax/format';

const PRETTY = ['model A {', '  input x: [3]', '  output x -> relu  # c', '}', ''];

test('a file with CR line endings (classic Mac) keeps them, as CRLF and LF files keep theirs', () => {
  for (const eol of ['\r', '\r\n', '\n']) {
    const ugly = ['model A {', '    input x:[3]   ', '  output x->relu # c', '}'].join(eol);
    const out = format(ugly);
    assert.equal(out, PRETTY.join(eol), JSON.stringify(eol));
    assert.equal(format(out), out, `idempotent with ${JSON.stringify(eol)}`);
  }
});

test('mixed line endings become those of the first line', () => {
  assert.equal(format('model A {\r\n  input x: [3]\n  output x -> relu  # c\r}\n'), PRETTY.join('\r\n'));
  assert.equal(format('model A {\r  input x: [3]\r\n  output x -> relu  # c\n}'), PRETTY.join('\r'));
  assert.equal(format('model A {\n  input x: [3]\r\n  output x -> relu  # c\r}\r\n'), PRETTY.join('\n'));
});
