// Quick fixes and messages of this session's diagnostics, found wrong by a review: each fix applied gives
// valid code (a call kept whole, no overlapping edits, a newline kept), a misspelt parameter in a default
// keeps its "did you mean", a percentage's fraction is written as a person would, and a train section's
// error shown in its model does not stop `nnmodel export`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import type { Diagnostic } from '../../extension/core/analysis/types';
import { splitTrainSectionErrors } from '../../extension/core/export/pytorch';
import { lintModels } from '../../extension/core/analysis/lints';
import { generateFile } from '../../bench/generate';
import { runCli as run, withWorkspace as inWorkspace } from '../fixtures/cli';

const errors = (text: string) => analyze(text).diagnostics.filter((d) => d.severity === 'error');

/** `text` with the first fix of `d` applied as VS Code applies a workspace edit: refused when two edits overlap. */
function apply(text: string, d: Diagnostic): string {
  const edits = [...(d.fixes?.[0]?.edits ?? [])].sort((a, b) => a.range.start.offset - b.range.start.offset);
  assert.ok(edits.length > 0, `a fix on ${d.message}`);
  for (let i = 1; i < edits.length; i++) assert.ok(edits[i - 1].range.end.offset <= edits[i].range.start.offset, `edits of '${d.fixes![0].title}' overlap`);
  for (const e of edits.reverse()) text = text.slice(0, e.range.start.offset) + e.newText + text.slice(e.range.end.offset);
  return text;
}

test("missing ','s in a list holding a call: the fix keeps the call whole", () => {
  const text = 'model M {\n  input x: [8]\n  a = x -> dense(4)\n  output concat(a x -> dense(2) x)\n}\n';
  const [d] = errors(text);
  assert.equal(d.fixes?.[0].title, "Insert the 2 missing ','");
  const fixed = apply(text, d);
  assert.match(fixed, /concat\(a, x -> dense\(2\), x\)/);
  assert.deepEqual(errors(fixed), []);
  // A call's `(` where a parameter was due (`block k(i(`): no ',' to insert, so no fix that inserts none.
  assert.deepEqual(errors('block k(i(').flatMap((e) => e.fixes ?? []).filter((f) => /missing|Insert ','/.test(f.title)), []);
});

test('too many values for a block without parameters: one edit removes them all, leaving `b()`', () => {
  const text = 'block b() {\n  input x\n  output x -> relu\n}\nmodel M {\n  input x: [8]\n  output x -> b(2, 3)\n}\n';
  const [d] = errors(text);
  assert.equal(d.code, 'arg.too_many');
  const fixed = apply(text, d);
  assert.match(fixed, /output x -> b\(\)\n/);
  assert.deepEqual(errors(fixed), []);
  // After a named input, the values before it go with the ',' after them.
  const named = 'block c() {\n  input x\n  output x -> relu\n}\nmodel M {\n  input x: [8]\n  output c(2, 3, x = x)\n}\n';
  assert.match(apply(named, errors(named)[0]), /output c\(x = x\)\n/);
});

test("a default misspelling an earlier parameter says so, with the fix (a choice word stays a choice)", () => {
  const text = 'block b(units, out = unit) {\n  input x\n  output x -> dense(out)\n}\nmodel M {\n  input x: [8]\n  output x -> b(2)\n}\n';
  const [d] = errors(text);
  assert.equal(d.code, 'name.unknown');
  assert.match(d.message, /'unit' is not defined here\. Did you mean 'units'\?/);
  assert.deepEqual(errors(apply(text, d)), []);
  // `act = relu` after a parameter `rel`: relu is a choice, not a misspelt `rel`.
  assert.deepEqual(errors('block b(rel, act = relu) {\n  input x\n  output x -> dense(rel, activation = act)\n}\nmodel M {\n  input x: [8]\n  output x -> b(2)\n}\n'), []);
});

test('a percentage rate: the fraction is written as a person writes it', () => {
  const text = 'model M {\n  input x: [8]\n  output x -> dropout(1.1)\n}\n';
  const [d] = errors(text);
  assert.equal(d.message, "dropout's 'rate' must be between 0 and 1; got 1.1. For 1.1%, write 0.011.");
  assert.equal(d.fixes?.[0].title, 'Change to 0.011');
});

test("'output =' at the end of a line: removing the '=' keeps the line break", () => {
  const text = 'model M {\n  input x: [8]\n  output =\n}\n';
  const d = errors(text).find((e) => e.message.includes("'output' is a keyword"))!;
  assert.equal(apply(text, d), 'model M {\n  input x: [8]\n  output \n}\n');
});

const POSITIONS = `model M {
  input img: [16, 16, 3]
  output img -> conv2d(8, 3, padding = same) -> relu -> dense(3)
}

train M {
  data: shapes()
}
`;

test(
  "export: train.output_positions, shown at the model's dense, is the train section's error: the model is exported",
  inWorkspace('nnmodel-review-', { 'pos.nnmodel': POSITIONS }, async (dir) => {
    const split = splitTrainSectionErrors(analyze(POSITIONS));
    assert.deepEqual(
      split.train.map((t) => [t.model, t.diagnostic.code]),
      [['M', 'train.output_positions']],
    );
    assert.deepEqual(split.rest, []);
    const r = await run(dir, 'export', 'pos.nnmodel');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^class M\(nn\.Module\):/m);
    const lines = r.err.trimEnd().split('\n');
    assert.match(lines[0], /^pos\.nnmodel:3:57: warning train\.output_positions /);
    assert.match(lines[1], /^pos\.nnmodel:6:1: warning export M: its train section has 1 error \(above\)/);
  }),
);

test("the channels-first lint searches the file's items only for an input that looks channels-first (not once per model)", () => {
  const a = analyze(generateFile(2000));
  let searches = 0;
  const items = Object.assign([...a.file.items], {
    find(...args: Parameters<typeof Array.prototype.find>) {
      searches++;
      return Array.prototype.find.apply(this, args);
    },
  });
  lintModels(a.models, undefined, { ...a.file, items });
  assert.ok(a.models.length > 100);
  assert.equal(searches, 0);
  // One that does is still found.
  const cf = 'model M {\n  input img: [3, 32, 32]\n  output img -> conv2d(8, 3) -> flatten -> dense(2)\n}\n';
  assert.deepEqual(analyze(cf).diagnostics.map((d) => d.code), ['input.channels_first']);
});

test("a channels-first input for digits or shapes: the data's hint moves the channels last, as the lint's fix does (not a square [3, 3, 16])", () => {
  const text = 'model M {\n  input img: [3, 16, 16]\n  output img -> conv2d(8, 3) -> flatten -> dense(3)\n}\ntrain M {\n  data: shapes()\n}\n';
  const d = errors(text).find((e) => e.code === 'train.data_shape')!;
  assert.match(d.message, /Its channels come first, as in PyTorch; shapes gives \[height, width, channels\]: write the input as \[16, 16, 3\]\.$/);
  // A non-square channels-last input keeps its hint.
  const wide = errors(text.replace('[3, 16, 16]', '[16, 24, 3]')).find((e) => e.code === 'train.data_shape')!;
  assert.match(wide.message, /makes square images; give the model a square input, e\.g\. \[16, 16, 3\]\./);
});
