import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEdits, lineEdits, splitLines } from '../../extension/vscode/pure/lineDiff';
import { mulberry32 } from '../../extension/core/runtime/data/random';

function mutate(lines: string[], rand: () => number): string[] {
  const out: string[] = [];
  for (const l of lines) {
    const r = rand();
    if (r < 0.1) continue; // delete
    if (r < 0.2) out.push(`  changed ${Math.floor(rand() * 100)}`);
    else out.push(l);
    if (rand() < 0.1) out.push(`inserted ${Math.floor(rand() * 100)}`);
  }
  return out;
}

test('splitLines keeps terminators so joining gives the text back', () => {
  for (const t of ['', 'a', 'a\n', 'a\nb', 'a\r\nb\r\n', '\n\n']) assert.equal(splitLines(t).join(''), t);
});

test('applying the edits turns the original into the formatted text (random cases)', () => {
  const rand = mulberry32(7);
  for (let round = 0; round < 200; round++) {
    const n = Math.floor(rand() * 30);
    const a = Array.from({ length: n }, (_, i) => `line ${i % 7}`);
    const b = mutate(a, rand);
    const original = a.join('\n') + (rand() < 0.5 ? '\n' : '');
    const formatted = b.join('\n') + (rand() < 0.5 ? '\n' : '');
    const edits = lineEdits(original, formatted);
    assert.equal(applyEdits(original, edits), formatted, `round ${round}`);
  }
});

test('unchanged lines are not touched: one edit per changed region', () => {
  const original = 'model M {\ninput x: [4]\n  output x -> relu\n}\n';
  const formatted = 'model M {\n  input x: [4]\n  output x -> relu\n}\n';
  const edits = lineEdits(original, formatted);
  assert.equal(edits.length, 1);
  assert.equal(original.slice(edits[0].start, edits[0].end), 'input x: [4]\n');
  assert.equal(edits[0].newText, '  input x: [4]\n');
  assert.deepEqual(lineEdits(original, original), []);
});

test('range formatting keeps only the changes touching the selected lines', () => {
  const original = 'a\n x\nb\n y\nc\n';
  const formatted = 'a\nx\nb\ny\nc\n';
  const only3 = lineEdits(original, formatted, { from: 3, to: 3 });
  assert.equal(applyEdits(original, only3), 'a\n x\nb\ny\nc\n');
  const all = lineEdits(original, formatted, { from: 0, to: 4 });
  assert.equal(applyEdits(original, all), formatted);
  assert.deepEqual(lineEdits(original, formatted, { from: 4, to: 4 }), []);
});

test('large inputs with scattered changes stay exact', () => {
  const a = Array.from({ length: 5000 }, (_, i) => `  x${i} = x${i - 1} -> dense(${i % 50})`);
  const b = a.map((l, i) => (i % 97 === 0 ? l.trim() : l));
  const original = a.join('\n') + '\n';
  const formatted = b.join('\n') + '\n';
  const edits = lineEdits(original, formatted);
  assert.equal(edits.length, Math.ceil(5000 / 97));
  assert.equal(applyEdits(original, edits), formatted);
});

test('range formatting of lines that all changed keeps to the selection (one hunk of as many lines is split by line), with LF, CRLF or CR endings', () => {
  for (const eol of ['\n', '\r\n', '\r']) {
    const original = ['model   M{', '  input x:[8]', '  h=x->dense(4)', '  output h+x->dense(4)', '}', ''].join(eol);
    const formatted = ['model M {', '  input x: [8]', '  h = x -> dense(4)', '  output h + x -> dense(4)', '}', ''].join(eol);
    const edits = lineEdits(original, formatted, { from: 2, to: 3 });
    assert.equal(applyEdits(original, edits), ['model   M{', '  input x:[8]', '  h = x -> dense(4)', '  output h + x -> dense(4)', '}', ''].join(eol), JSON.stringify(eol));
    assert.equal(applyEdits(original, lineEdits(original, formatted)), formatted);
  }
  assert.deepEqual(splitLines('a\rb\r\nc\nd'), ['a\r', 'b\r\n', 'c\n', 'd']);
});
