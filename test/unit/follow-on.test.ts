// One mistake, one diagnostic: a "never used" warning that is only the
// consequence of another diagnostic (a misspelt use, a use above the
// assignment, a body without `output`) is not given as well; the one error
// says what happened. In an editor session too, where unchanged models are
// replayed rather than analysed again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { AnalysisSession } from '../../extension/core/analysis/session';
import { applyFix } from './sourceText';

const codes = (text: string) => analyze(text).diagnostics.map((d) => d.code);

test('a misspelt input or value: the name.unknown with its fix, no "never used" for the name it meant', () => {
  const text = 'model M {\n  input image: [4]\n  output imag -> dense(3)\n}\n';
  const [d, ...more] = analyze(text).diagnostics;
  assert.equal(more.length, 0);
  assert.equal(d.code, 'name.unknown');
  assert.deepEqual(analyze(applyFix(text, d)).diagnostics, []);
  assert.deepEqual(codes('model M {\n  input x: [4]\n  h = x -> dense(8)\n  output hh -> dense(3)\n}\n'), ['name.unknown']);
  // A value unused for a reason of its own is still said.
  assert.deepEqual(codes('model M {\n  input x: [4]\n  unused = x -> dense(8)\n  output x -> dense(3)\n}\n'), ['value.unused']);
});

test('a value used above the line that assigns it: said so (with the line), and the assignment is not "never used"', () => {
  const text = 'model M {\n  input x: [4]\n  output h -> dense(2)\n  h = x -> dense(3)\n}\n';
  const [d, ...more] = analyze(text).diagnostics;
  assert.equal(more.length, 0);
  assert.equal(d.code, 'name.unknown');
  assert.equal(d.message, "'h' is not defined yet: it is assigned below, on line 4. Statements run in order, so a value is used on a line after the one that assigns it: move this line below line 4.");
  assert.equal(text.slice(d.related![0].range.start.offset, d.related![0].range.end.offset), 'h');
});

test('a model or block without output: the error with its fix, and the value the fix outputs is not "never used"', () => {
  const text = 'model M {\n  input x: [4]\n  h = x -> dense(3)\n}\n';
  const [d, ...more] = analyze(text).diagnostics;
  assert.equal(more.length, 0);
  assert.equal(d.code, 'model.no_output');
  assert.deepEqual(analyze(applyFix(text, d)).diagnostics, []);
  assert.deepEqual(codes('block b(n) {\n  input x\n  h = x -> dense(n)\n}\nmodel M {\n  input x: [4]\n  output x -> b(3)\n}\n'), ['block.no_output']);
  // An earlier value that nothing uses is still said.
  assert.deepEqual(codes('model M {\n  input x: [4]\n  a = x -> dense(8)\n  h = x -> dense(3)\n}\n'), ['model.no_output', 'value.unused']);
});

test('an editor session gives the same one diagnostic after an edit elsewhere (the model is replayed)', () => {
  const broken = 'model M {\n  input image: [4]\n  output imag -> dense(3)\n}\n';
  const other = 'model N {\n  input x: [4]\n  output x -> dense(2)\n}\n';
  const session = new AnalysisSession();
  const first = session.update(broken + other).diagnostics.map((d) => d.code);
  const after = session.update(broken + other.replace('dense(2)', 'dense(5)')).diagnostics.map((d) => d.code);
  assert.deepEqual(first, ['name.unknown']);
  assert.deepEqual(after, first);
});
