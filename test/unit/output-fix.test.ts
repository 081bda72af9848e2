// The "Add `output x`" quick fix follows the file's own text: its indentation (tabs or spaces, how many),
// its line breaks (LF or CR LF), and the blanks around comments, byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { AnalysisSession } from '../../extension/core/analysis/session';
import { addOutputFix } from '../../extension/core/analysis/outputFix';
import { parse } from '../../extension/core/syntax/parser';
import type { BlockDecl } from '../../extension/core/syntax/ast';
import type { Analysis, Fix } from '../../extension/core/analysis/types';

function fixOf(a: Analysis, code: string): Fix {
  const found = a.diagnostics.filter((d) => d.code === code);
  assert.equal(found.length, 1, `expected one ${code}, got: ${JSON.stringify(a.diagnostics.map((d) => [d.code, d.message]))}`);
  assert.equal(found[0].fixes?.length, 1, JSON.stringify(found[0].fixes));
  return found[0].fixes![0];
}

function apply(text: string, fix: Fix): string {
  let out = text;
  for (const e of [...fix.edits].sort((a, b) => b.range.start.offset - a.range.start.offset)) {
    out = out.slice(0, e.range.start.offset) + e.newText + out.slice(e.range.end.offset);
  }
  return out;
}

/** The text after the only fix of the only `code` diagnostic, checked to be titled `title` and to leave no error. */
function fixed(text: string, title: string, code = 'model.no_output'): string {
  const fix = fixOf(analyze(text), code);
  assert.equal(fix.title, title);
  const out = apply(text, fix);
  const left = analyze(out).diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(left.map((d) => d.message), [], out);
  return out;
}

test('a tab-indented body gets a tab-indented output line', () => {
  const text = 'model M {\n\tinput x: [8]\n\ty = x -> dense(4)\n}\n';
  assert.equal(fixed(text, 'Add `output y`'), 'model M {\n\tinput x: [8]\n\ty = x -> dense(4)\n\toutput y\n}\n');
  // Two tabs, a continued chain, and a block.
  const deep = 'block b(n) {\n\t\tinput x\n\t\ty = x\n\t\t\t-> dense(n)\n}\nmodel M {\n\tinput x: [8]\n\toutput x -> b(2)\n}\n';
  assert.equal(fixed(deep, 'Add `output y`', 'block.no_output'), deep.replace('\t\t\t-> dense(n)\n', '\t\t\t-> dense(n)\n\t\toutput y\n'));
});

test('the body keeps 2 or 4 spaces as the file has them', () => {
  for (const indent of ['  ', '    ']) {
    const text = `model M {\n${indent}input x: [8]\n${indent}y = x -> relu\n}\n`;
    assert.equal(fixed(text, 'Add `output y`'), text.replace('}\n', `${indent}output y\n}\n`), JSON.stringify(indent));
  }
});

test('comments after the last statement keep their blanks byte for byte', () => {
  // A tab before a trailing comment, blanks at the ends of lines, a tab-indented comment line, an empty line.
  const text = 'model M {\n\tinput x: [8]\n\ty = x -> dense(4)\t# → [4]  \n\t \n\t# done\t\n}\n';
  assert.equal(fixed(text, 'Add `output y`'), 'model M {\n\tinput x: [8]\n\ty = x -> dense(4)\t# → [4]  \n\t \n\t# done\t\n\toutput y\n}\n');
  // The brace's own line is kept as it is too.
  const indented = 'model M {\n\tinput x: [8]\n\t# last\n \t}\n';
  assert.equal(fixed(indented, 'Add `output x`'), 'model M {\n\tinput x: [8]\n\t# last\n\toutput x\n \t}\n');
});

test('CR LF line breaks stay CR LF', () => {
  const text = 'model M {\r\n\tinput x: [8]\r\n\ty = x -> dense(4)  # note\r\n\r\n}\r\n';
  assert.equal(fixed(text, 'Add `output y`'), 'model M {\r\n\tinput x: [8]\r\n\ty = x -> dense(4)  # note\r\n\r\n\toutput y\r\n}\r\n');
});

test('a brace on the last statement\'s line: the output and the brace on lines of their own', () => {
  const text = 'model M {\n\tinput x: [4]\n\ty = x -> dense(3) }\n';
  assert.equal(fixed(text, 'Add `output y`'), 'model M {\n\tinput x: [4]\n\ty = x -> dense(3)\n\toutput y\n}\n');
  const crlf = 'model M {\r\n    input x: [4]\r\n    y = x -> dense(3)\t}\r\n';
  assert.equal(fixed(crlf, 'Add `output y`'), 'model M {\r\n    input x: [4]\r\n    y = x -> dense(3)\r\n    output y\r\n}\r\n');
  // The first statement on the `{` line: the indentation of the statement that starts a line.
  const mixed = 'model M { input x: [4]\n\ty = x -> relu }\n';
  assert.equal(fixed(mixed, 'Add `output y`'), 'model M { input x: [4]\n\ty = x -> relu\n\toutput y\n}\n');
});

test('an editor session gives the same fix as a fresh analysis after lines above change', () => {
  const model = 'model M {\r\n\tinput x: [8]\r\n\ty = x -> dense(4)\t# → [4]\r\n}\r\n';
  const session = new AnalysisSession();
  const before = 'model A {\r\n\tinput a: [2]\r\n\toutput a\r\n}\r\n\r\n';
  session.update(before + model);
  const after = 'model A {\r\n\tinput a: [2]\r\n\r\n\toutput a -> relu\r\n}\r\n\r\n' + model;
  const a = session.update(after);
  assert.equal(session.stats.reusedModels, 1);
  const fix = fixOf(a, 'model.no_output');
  assert.deepEqual(fix, fixOf(analyze(after), 'model.no_output'));
  assert.equal(apply(after, fix), after.replace('# → [4]\r\n}', '# → [4]\r\n\toutput y\r\n}'));
});

test('no fix from the text of another file: a declaration must be the one the file\'s text holds', () => {
  const imported = parse('\n\nblock b {\n\tinput x\n\ty = x -> relu\n}\n');
  const decl = imported.items.find((i) => i.kind === 'block') as BlockDecl;
  assert.equal(addOutputFix(decl, imported)?.title, 'Add `output y`');
  // Another file's text at those offsets (an importing file) gives no fix rather than an edit of the wrong lines.
  assert.equal(addOutputFix(decl, parse('model M {\n  input x: [8]\n  output x -> b\n}\n')), undefined);
  // A tree without its text (built by hand) gives none either.
  assert.equal(addOutputFix(decl, { ...imported, text: undefined }), undefined);
});

test('a model written on one line: the file\'s line breaks (CR LF) and its indentation unit (tabs)', () => {
  // The declaration holds no line break and no indented line: both come from the rest of the file.
  const crlf = '# a model\r\nmodel M { input x: [4] }\r\n';
  assert.equal(fixed(crlf, 'Add `output x`'), '# a model\r\nmodel M { input x: [4]\r\n  output x\r\n}\r\n');
  const tabs = 'block b(n) {\n\tinput x\n\toutput x -> dense(n)\n}\n\nmodel M { input x: [4] }\n';
  assert.equal(fixed(tabs, 'Add `output x`'), 'block b(n) {\n\tinput x\n\toutput x -> dense(n)\n}\n\nmodel M { input x: [4]\n\toutput x\n}\n');
  const four = 'block b(n) {\n    input x\n    output x -> dense(n)\n}\n\nmodel M { input x: [4] }\n';
  assert.equal(fixed(four, 'Add `output x`'), four.replace('model M { input x: [4] }', 'model M { input x: [4]\n    output x\n}'));
});
