// Editor navigation without VS Code: Smart Select ranges, folding ranges and
// the workspace symbol index (extension/vscode/pure/{selectionRanges,folding,workspaceSymbols}.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '../../extension/core/syntax';
import { foldingRanges, type Fold } from '../../extension/vscode/pure/folding';
import { selectionRangesAt } from '../../extension/vscode/pure/selectionRanges';
import {
  declarationsOf,
  excludeGlob,
  excludePatterns,
  exclusionMatcher,
  expandBraces,
  fuzzyScore,
  WorkspaceSymbolIndex,
  type Declaration,
} from '../../extension/vscode/pure/workspaceSymbols';
import { nnmodelFiles } from '../fixtures/examples';

const examplesDir = join(__dirname, '..', '..', 'examples');
const examples = nnmodelFiles(examplesDir)
  .map((f) => ({ name: f, text: readFileSync(join(examplesDir, f), 'utf8') }));

const LENET = `# LeNet-5
# as in 1998
model LeNet5 {
  input image: [32, 32, 1]
  output image -> conv2d(6, 5) -> tanh -> avgpool(2)
               -> conv2d(16, 5) -> tanh -> avgpool(2)
               -> flatten -> dense(120) -> tanh -> dense(84) -> tanh
               -> dense(10) -> softmax
}

train LeNet5 {
  data: digits(samples = 6000, size = 32)   # synthetic
  optimizer: adam(lr = 1e-3)
  epochs: 5
}
`;

const BLOCKS = `block res(filters, k = 3) {
  input x
  y = x -> conv2d(filters, k, padding = same) -> relu
  output (x + y) -> relu
}

model Net {
  input t: [16, 8]
  h = t -> dense(8)
  h = h + h -> layernorm -> attention(2)
  output h -> res(8) * 4 -> flatten
}
`;

/** The selections at the first `needle` (plus `delta` characters), innermost first, as source text. */
function selections(text: string, needle: string, delta = 0): string[] {
  const at = text.indexOf(needle);
  assert.ok(at >= 0, `'${needle}' in the source`);
  return selectionRangesAt(parse(text), at + delta, text).map((r) => text.slice(r.start.offset, r.end.offset));
}

const LENET_CHAIN = LENET.slice(LENET.indexOf('image ->'), LENET.indexOf('softmax') + 'softmax'.length);
const LENET_MODEL = LENET.slice(LENET.indexOf('model'), LENET.indexOf('}') + 1);
const LENET_BODY = LENET_MODEL.slice(LENET_MODEL.indexOf('{'));

test('smart select in a chain with continuation lines: value, arguments, call, chain, statement, body, declaration, file', () => {
  const steps = selections(LENET, 'dense(120)', 'dense('.length + 1);
  assert.deepEqual(steps, [
    '120',
    '(120)',
    'dense(120)',
    LENET_CHAIN,
    `output ${LENET_CHAIN}`,
    LENET_BODY.slice(LENET_BODY.indexOf('input'), LENET_BODY.lastIndexOf('softmax') + 'softmax'.length),
    LENET_BODY,
    LENET_MODEL,
    LENET,
  ]);
});

test('smart select in positional arguments goes through the arguments without their parentheses', () => {
  const steps = selections(LENET, 'conv2d(16, 5)', 'conv2d(16, '.length);
  assert.deepEqual(steps.slice(0, 5), ['5', '16, 5', '(16, 5)', 'conv2d(16, 5)', LENET_CHAIN]);
});

test('smart select in a train section: argument value, named argument, call, entry, entries, body, section', () => {
  const steps = selections(LENET, '1e-3');
  const section = LENET.slice(LENET.indexOf('train'), LENET.lastIndexOf('}') + 1);
  assert.deepEqual(steps, [
    '1e-3',
    'lr = 1e-3',
    '(lr = 1e-3)',
    'adam(lr = 1e-3)',
    'optimizer: adam(lr = 1e-3)',
    section.slice(section.indexOf('data'), section.indexOf('epochs: 5') + 'epochs: 5'.length),
    section.slice(section.indexOf('{')),
    section,
    LENET,
  ]);
  // On the argument's name: the name, then the whole argument.
  assert.deepEqual(selections(LENET, 'samples =', 1).slice(0, 2), ['samples', 'samples = 6000']);
});

test('smart select in block parameters: default value, parameter, parameters, parenthesised list, declaration', () => {
  const steps = selections(BLOCKS, 'k = 3', 'k = '.length);
  const block = BLOCKS.slice(0, BLOCKS.indexOf('}') + 1);
  assert.deepEqual(steps, ['3', 'k = 3', 'filters, k = 3', '(filters, k = 3)', block, BLOCKS]);
});

test('smart select in a residual sum, brackets and a repeat', () => {
  // `->` binds tighter than `+`: the layer, its chain, the sum, the statement.
  assert.deepEqual(selections(BLOCKS, 'layernorm', 2).slice(0, 4), [
    'layernorm',
    'h -> layernorm -> attention(2)',
    'h + h -> layernorm -> attention(2)',
    'h = h + h -> layernorm -> attention(2)',
  ]);
  assert.deepEqual(selections(BLOCKS, '(x + y)', 1).slice(0, 5), ['x', 'x + y', '(x + y)', '(x + y) -> relu', 'output (x + y) -> relu']);
  // The repeated call without its count, then with it.
  assert.deepEqual(selections(BLOCKS, 'res(8) * 4', 4).slice(0, 5), ['8', '(8)', 'res(8)', 'res(8) * 4', 'h -> res(8) * 4 -> flatten']);
});

test('smart select in a comment: the comment, its run of comment lines, the file', () => {
  assert.deepEqual(selections(LENET, '1998'), ['# as in 1998', '# LeNet-5\n# as in 1998', LENET]);
  // A comment after code is not part of a run; it sits in its declaration.
  const steps = selections(LENET, '# synthetic', 3);
  assert.equal(steps[0], '# synthetic');
  assert.ok(steps[1].startsWith('data: digits') && steps[1].endsWith('epochs: 5'), steps[1]);
});

test('smart select: at every offset of every example, a chain of strictly growing ranges from one holding the offset to the file', () => {
  for (const { name, text } of examples) {
    const file = parse(text);
    for (let offset = 0; offset <= text.length; offset++) {
      const ranges = selectionRangesAt(file, offset, text);
      assert.ok(ranges.length >= 1, `${name}@${offset}`);
      const first = ranges[0];
      assert.ok(first.start.offset <= offset && offset <= first.end.offset, `${name}@${offset}: innermost range holds the offset`);
      for (let i = 1; i < ranges.length; i++) {
        const [a, b] = [ranges[i - 1], ranges[i]];
        const inside = b.start.offset <= a.start.offset && a.end.offset <= b.end.offset;
        const larger = b.end.offset - b.start.offset > a.end.offset - a.start.offset;
        assert.ok(inside && larger, `${name}@${offset}: range ${i} strictly contains range ${i - 1}`);
      }
      const last = ranges[ranges.length - 1];
      assert.deepEqual([last.start.offset, last.end.offset], [0, text.length], `${name}@${offset}: the last range is the file`);
    }
  }
});

test('smart select on broken input (unclosed body and call) still nests and never throws', () => {
  const text = 'model M {\n  input x: [4]\n  output x -> dense(4, \n';
  const file = parse(text);
  for (let offset = 0; offset <= text.length; offset++) {
    const ranges = selectionRangesAt(file, offset, text);
    assert.deepEqual([ranges.at(-1)!.start.offset, ranges.at(-1)!.end.offset], [0, text.length]);
  }
  assert.equal(selections(text, 'dense')[0], 'dense');
});

// ------------------------------------------------------------------ folding

function folds(text: string): Fold[] {
  return foldingRanges(parse(text), text);
}

test('folding: comment runs, declaration bodies up to the line before their brace, and chains over continuation lines', () => {
  assert.deepEqual(folds(LENET), [
    { start: 0, end: 1, kind: 'comment' },
    { start: 2, end: 7 }, // model LeNet5 { ... the line before }
    { start: 4, end: 7 }, // output image -> ... -> softmax
    { start: 10, end: 13 }, // train LeNet5
  ]);
});

test('folding: block parameters, the body from its brace, and arguments spread over lines, each closing bracket left visible', () => {
  const text = `block b(
  filters,
  k = 3
) {
  input x
  output x -> dense(8)
           -> conv2d(
    filters,
    k
  )
}
`;
  assert.deepEqual(folds(text), [
    { start: 0, end: 2 }, // the parameters, `) {` left visible
    { start: 3, end: 9 }, // the body, from its `{` to the line before `}`
    { start: 5, end: 9 }, // output spread over lines (no closing token: to its last line)
    { start: 6, end: 8 }, // conv2d( ... ) with `)` on its own line
  ]);
});

test('folding: runs of imports, a trailing comment is not a comment run, one-line bodies do not fold, an unclosed body folds to its end', () => {
  const text = `import "a.nnmodel"
import "b.nnmodel"

model A { input x: [4]  output x }
model B {
  input x: [4]   # one
  output x       # two
`;
  const got = folds(text);
  assert.deepEqual(got, [
    { start: 0, end: 1, kind: 'imports' },
    { start: 4, end: 6 },
  ]);
});

/**
 * Which folds VS Code keeps of what a provider returns: its sanitizeRanges
 * (src/vs/editor/contrib/folding/browser/syntaxRangeProvider.ts, 1.100),
 * reduced to the ranges it keeps. Sorted by start line (stable), it drops a
 * fold starting on the same line as the one before; nested or overlapping
 * folds on later lines are all kept.
 */
function vscodeKeeps(ranges: readonly Fold[]): Fold[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const kept: Fold[] = [];
  let top: Fold | undefined;
  for (const entry of sorted) {
    if (!top || entry.start > top.start) {
      top = entry;
      kept.push(entry);
    }
  }
  return kept;
}

test('folding: a body folds when its block\'s parameter list closes on the line of its `{`', () => {
  const text = `block b(filters,
        k = 3) {
  input x
  output x -> dense(filters)
}
`;
  // The parameters (lines 0-1) would fold the \`) {\` line away: they do not fold, the body does, from its \`{\`.
  assert.deepEqual(folds(text), [{ start: 1, end: 3 }]);
  const longer = `block b(
  filters,
  k = 3) {
  input x
  output x
}
`;
  assert.deepEqual(folds(longer), [
    { start: 0, end: 1 }, // the parameters up to the line before \`) {\`
    { start: 2, end: 4 }, // the body
  ]);
  assert.deepEqual(vscodeKeeps(folds(longer)), folds(longer));
});

test('folding: a call whose arguments start on the line where the previous call\'s arguments end folds too', () => {
  const text = `model M {
  input x: [4]
  output x
    -> dense(4,
      bias = true) -> dense(2,
      bias = false)
}
`;
  const got = folds(text);
  assert.deepEqual(got, [
    { start: 0, end: 5 }, // the body
    { start: 2, end: 5 }, // the output statement over four lines
    { start: 3, end: 4 }, // the first dense's arguments
    { start: 4, end: 5 }, // the second dense's arguments, starting where the first's end: overlapping, not nested
  ]);
  assert.deepEqual(vscodeKeeps(got), got);
});

test('folding: every example gives folds sorted by start line, one per line, all of which VS Code keeps', () => {
  for (const { name, text } of examples) {
    const got = folds(text);
    const lines = text.split('\n').length;
    assert.ok(got.length > 0, name);
    for (let i = 0; i < got.length; i++) {
      const f = got[i];
      assert.ok(f.start < f.end && f.end < lines, `${name}: ${JSON.stringify(f)}`);
      if (i > 0) assert.ok(got[i - 1].start < f.start, `${name}: sorted, one fold per start line`);
    }
    assert.deepEqual(vscodeKeeps(got), got, name);
    // Every model, block and train section with a body over several lines folds.
    for (const item of parse(text).items) {
      if (item.kind === 'import' || item.range.end.line - item.range.start.line < 2) continue;
      assert.ok(got.some((f) => f.start === item.bodyRange?.start.line && !f.kind), `${name}: ${item.kind} ${item.name.name} folds`);
    }
  }
});

// ------------------------------------------------------------ workspace symbols

test('declarations: models, blocks and train sections with their name ranges, imports and unnamed items left out', () => {
  const text = `import "x.nnmodel"\n${BLOCKS}\ntrain Net {\n  epochs: 1\n}\n`;
  const decls = declarationsOf(parse(text));
  assert.deepEqual(
    decls.map((d) => [d.name, d.kind, d.selection.start.line, d.selection.start.character, d.range.start.character]),
    [
      ['res', 'block', 1, 6, 0],
      ['Net', 'model', 7, 6, 0],
      ['train Net', 'train', 14, 6, 0],
    ],
  );
  const lines = text.split('\n');
  for (const d of decls) {
    assert.equal(lines[d.selection.start.line].slice(d.selection.start.character, d.selection.end.character), d.name.replace('train ', ''));
  }
  // Ranges are copies: an incremental parse moving its positions later cannot move the index's.
  const file = parse(text);
  const copy = declarationsOf(file);
  file.items[1].range.start.line = 99;
  assert.equal(copy[0].range.start.line, 1);
});

test('fuzzy match: case-insensitive subsequence, exact before prefix before substring before scattered letters', () => {
  assert.notEqual(fuzzyScore('dblk', 'down_block'), undefined);
  assert.notEqual(fuzzyScore('RESNET', 'ResNet18'), undefined);
  assert.notEqual(fuzzyScore('res 18', 'ResNet18'), undefined);
  assert.equal(fuzzyScore('blockd', 'down_block'), undefined);
  assert.equal(fuzzyScore('xyz', 'down_block'), undefined);
  assert.equal(fuzzyScore('', 'anything'), 0);
  const names = ['gpt_block', 'block', 'basic_block', 'blocky', 'b_l_o_c_k'];
  const ranked = names
    .map((n) => ({ n, s: fuzzyScore('block', n) }))
    .filter((x) => x.s !== undefined)
    .sort((a, b) => b.s! - a.s!)
    .map((x) => x.n);
  assert.deepEqual(ranked, ['block', 'blocky', 'gpt_block', 'basic_block', 'b_l_o_c_k'].filter((n) => ranked.includes(n)));
  assert.equal(ranked[0], 'block');
  assert.equal(ranked.at(-1), 'b_l_o_c_k');
  // Word starts count: `gb` prefers gpt_block over a name with g…b inside words.
  assert.ok(fuzzyScore('gb', 'gpt_block')! > fuzzyScore('gb', 'agility_lab')!);
});

function decl(name: string, kind: Declaration['kind'] = 'block', line = 0): Declaration {
  const r = { start: { line, character: 0 }, end: { line, character: name.length } };
  return { name, kind, range: r, selection: r };
}

test('index: an open editor wins over the disk, closing it falls back to the disk, editor-only files leave', () => {
  const index = new WorkspaceSymbolIndex();
  index.setDisk('file:///a.nnmodel', [decl('on_disk')]);
  index.setEditor('file:///a.nnmodel', [decl('unsaved')]);
  index.setEditor('untitled:Untitled-1', [decl('scratch')]);
  assert.deepEqual(index.query('', 10).map((h) => h.declaration.name).sort(), ['scratch', 'unsaved']);
  // A disk read while the editor is open (the watcher) does not replace what the user sees.
  index.setDisk('file:///a.nnmodel', [decl('on_disk_2')]);
  assert.deepEqual(index.declarations('file:///a.nnmodel').map((d) => d.name), ['unsaved']);
  index.deleteEditor('file:///a.nnmodel');
  index.deleteEditor('untitled:Untitled-1');
  assert.deepEqual(index.query('', 10).map((h) => [h.uri, h.declaration.name]), [['file:///a.nnmodel', 'on_disk_2']]);
  assert.equal(index.size, 1);
  index.deleteDisk('file:///a.nnmodel');
  assert.equal(index.size, 0);
  assert.deepEqual(index.query('', 10), []);
});

test('index: deleting or renaming a folder forgets the files under it, not its namesakes, and keeps open editors', () => {
  const index = new WorkspaceSymbolIndex();
  index.setDisk('file:///w/models/a.nnmodel', [decl('a_block')]);
  index.setDisk('file:///w/models/deep/b.nnmodel', [decl('b_block')]);
  index.setDisk('file:///w/models2/c.nnmodel', [decl('c_block')]);
  index.setEditor('file:///w/models/deep/b.nnmodel', [decl('b_unsaved')]);
  assert.deepEqual(index.deleteDiskUnder('file:///w/models').sort(), ['file:///w/models/a.nnmodel', 'file:///w/models/deep/b.nnmodel']);
  assert.deepEqual(index.query('', 10).map((h) => h.declaration.name).sort(), ['b_unsaved', 'c_block']);
  assert.deepEqual(index.deleteDiskUnder('file:///w/models2/c.nnmodel'), ['file:///w/models2/c.nnmodel']);
  assert.deepEqual(index.query('', 10).map((h) => h.declaration.name), ['b_unsaved']);
});

test('index: a delete event costs a look-up, not a walk over every file; only a folder holding files walks them', () => {
  const index = new WorkspaceSymbolIndex();
  for (let i = 0; i < 5000; i++) index.setDisk(`file:///w/d${i % 50}/f${i}.nnmodel`, [decl(`b${i}`)]);
  index.setEditor('untitled:Untitled-1', [decl('scratch')]);
  // Count the walks over the keys.
  const files = (index as unknown as { files: Map<string, unknown> }).files;
  const keys = files.keys.bind(files);
  let walks = 0;
  files.keys = () => {
    walks++;
    return keys();
  };
  for (let i = 0; i < 2500; i++) assert.deepEqual(index.deleteDiskUnder(`file:///w/d${i % 50}/f${i}.nnmodel`), [`file:///w/d${i % 50}/f${i}.nnmodel`]);
  for (let i = 0; i < 1000; i++) assert.deepEqual(index.deleteDiskUnder(`file:///w/other/never${i}.txt`), []);
  assert.deepEqual(index.deleteDiskUnder('file:///w/d7/f7.nnmodel'), []); // already gone
  assert.equal(walks, 0);
  assert.equal(index.size, 2501);
  // A folder: one walk, its files only; then nothing is left under it to walk for.
  assert.equal(index.deleteDiskUnder('file:///w/d3/').length, 50);
  assert.equal(walks, 1);
  assert.deepEqual(index.deleteDiskUnder('file:///w/d3'), []);
  assert.equal(walks, 1);
  // The whole workspace folder: the rest, the untitled document stays.
  assert.equal(index.deleteDiskUnder('file:///w').length, 2450);
  assert.deepEqual(index.query('', 10).map((h) => h.declaration.name), ['scratch']);
});

test('index: clearing the disk declarations keeps what open editors hold', () => {
  const index = new WorkspaceSymbolIndex();
  index.setDisk('file:///w/a.nnmodel', [decl('a_disk')]);
  index.setDisk('file:///w/b.nnmodel', [decl('b_disk')]);
  index.setEditor('file:///w/b.nnmodel', [decl('b_unsaved')]);
  index.clearDisk();
  assert.deepEqual(index.query('', 10).map((h) => h.declaration.name), ['b_unsaved']);
  index.deleteEditor('file:///w/b.nnmodel');
  assert.equal(index.size, 0);
  // Its folder counts went with the files.
  assert.equal((index as unknown as { folders: Map<string, number> }).folders.size, 0);
});

test('index: a query returns the best matches first, at most the limit, and nothing once cancelled', () => {
  const index = new WorkspaceSymbolIndex();
  index.setDisk('file:///resnet18.nnmodel', [decl('basic_block'), decl('down_block', 'block', 9), decl('ResNet18', 'model', 17)]);
  index.setDisk('file:///gpt.nnmodel', [decl('gpt_block'), decl('GPT2Small', 'model', 12), decl('train GPT2Small', 'train', 30)]);
  const hits = index.query('block', 10);
  assert.deepEqual(hits.map((h) => h.declaration.name), ['gpt_block', 'down_block', 'basic_block']);
  assert.deepEqual(index.query('db', 10).map((h) => [h.uri, h.declaration.name, h.declaration.selection.start.line]), [
    ['file:///resnet18.nnmodel', 'down_block', 9],
  ]);
  assert.deepEqual(index.query('gpt2small', 10).map((h) => h.declaration.name), ['GPT2Small', 'train GPT2Small']);
  assert.equal(index.query('', 2).length, 2);
  // Many files: the limit holds and cancellation stops the walk.
  for (let i = 0; i < 2000; i++) index.setDisk(`file:///many/${i}.nnmodel`, [decl(`block_${i}`)]);
  assert.equal(index.query('block', 50).length, 50);
  assert.deepEqual(index.query('block', 50, () => true), []);
});

test('exclude glob: the true entries of files.exclude and search.exclude in one union, braces expanded into entries', () => {
  assert.equal(excludeGlob(undefined, {}), undefined);
  assert.equal(excludeGlob({ '**/.git': true }), '**/.git');
  assert.equal(
    excludeGlob({ '**/.git': true, '**/build': false, '**/*.{js,map}': true, '**/x': { when: '$(basename).ts' } }, { '**/node_modules': true, '**/.git': true }),
    '{**/.git,**/*.js,**/*.map,**/node_modules}',
  );
  // VS Code's globs do not nest braces: an entry with braces becomes several entries, none is dropped.
  assert.equal(excludeGlob({ '**/.git': true }, { '**/node_modules': true, '**/{dist,build}': true }), '{**/.git,**/node_modules,**/dist,**/build}');
  assert.equal(excludeGlob({ '**/{dist,build}': true }), '{**/dist,**/build}');
  assert.deepEqual(expandBraces('{a,b{c,d}}/*.{x,y}'), ['a/*.x', 'a/*.y', 'bc/*.x', 'bc/*.y', 'bd/*.x', 'bd/*.y']);
  assert.deepEqual(expandBraces('no/braces'), ['no/braces']);
  // What cannot go into a union (an unpaired brace, a comma in a class) is left out rather than breaking it.
  assert.deepEqual(excludePatterns({ 'a{b': true, '[,]x': true, c: true }), ['a{b', '[,]x', 'c']);
  assert.equal(excludeGlob({ 'a{b': true, '[,]x': true, c: true }), 'c');
});

test('exclusion matcher: workspace-relative paths against files.exclude-like globs, an excluded folder excludes its contents', () => {
  const excluded = exclusionMatcher(excludePatterns({ '**/node_modules': true, 'out': true, '**/*.{tmp,bak}.nnmodel': true, 'gen/**': true, 'a?c/[!x]y': true }));
  for (const p of ['node_modules/p/x.nnmodel', 'sub/node_modules/x.nnmodel', 'out/m.nnmodel', 'm.tmp.nnmodel', 'deep/m.bak.nnmodel', 'gen', 'gen/a/b.nnmodel', 'abc/zy/m.nnmodel']) {
    assert.equal(excluded(p), true, p);
  }
  for (const p of ['m.nnmodel', 'sub/out/m.nnmodel', 'node_modules_x/m.nnmodel', 'm.tmp2.nnmodel', 'general/m.nnmodel', 'abc/xy/m.nnmodel', 'outer.nnmodel']) {
    assert.equal(excluded(p), false, p);
  }
  assert.equal(exclusionMatcher([])('anything'), false);
  // Regular-expression characters in a name are literal.
  assert.equal(exclusionMatcher(['a+b (1)'])('a+b (1)/m.nnmodel'), true);
  assert.equal(exclusionMatcher(['a+b (1)'])('aab 1/m.nnmodel'), false);
});

test('the extension activates in a workspace holding .nnmodel files, so Go to Symbol in Workspace works before one is opened', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { activationEvents: string[] };
  assert.ok(pkg.activationEvents.includes('workspaceContains:**/*.nnmodel'), pkg.activationEvents.join(', '));
});
