// Find All References and Rename of a block across files, with a fake
// `vscode` (test/unit/vscodeMock.ts): the block's calls in every workspace
// file that imports its file, directly or through another import, and in no
// file that does not see it (extension/vscode/definition.ts, blockReferences.ts).
import { reset, sourceDocument, state, CancellationTokenSource, Position, Uri, type Location, type SourceDocument } from './vscodeMock'; // first: installs the fake `vscode`
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core';
import type { AnalysisCache } from '../../extension/vscode/analysisCache';
import { parameterAt, registerDefinitions } from '../../extension/vscode/definition';
import { registerWorkspaceSymbols } from '../../extension/vscode/workspaceSymbols';
import { blockOccurrences, mayImportBlock } from '../../extension/vscode/pure/blockReferences';

const FILES: Record<string, string> = {
  '/w/lib.nnmodel': `block blk(u) {
  input x
  output x -> dense(u)
}

model LibModel {
  input x: [8]
  output x -> blk(4)
}
`,
  '/w/app.nnmodel': `import "lib.nnmodel"

model App {
  input x: [8]
  h = x -> blk(16)
  output h -> blk(2)
}
`,
  // Sees blk through app.nnmodel.
  '/w/sub/deep.nnmodel': `import "../app.nnmodel"

model Deep {
  input x: [8]
  output x -> blk(3)
}
`,
  // Imports lib, but its own blk wins.
  '/w/own.nnmodel': `import "lib.nnmodel"

block blk(u) {
  input x
  output x -> dense(u) -> relu
}

model Own {
  input x: [8]
  output x -> blk(5)
}
`,
  // Neither imports lib nor declares blk: the call is an unknown name.
  '/w/none.nnmodel': `model None {
  input x: [8]
  output x -> blk(6)
}
`,
  // A block of the same name in a file that imports nothing.
  '/w/other.nnmodel': `block blk(u) {
  input x
  output x -> dense(u)
}

model Other {
  input x: [8]
  output x -> blk(7)
}
`,
};

function readImport(fromUri: string | undefined, path: string) {
  const target = Uri.joinPath(Uri.parse(fromUri!), '..', path);
  const text = state.files.get(target.path);
  return text === undefined ? undefined : { uri: target.toString(), text };
}

const cache = {
  get: (doc: SourceDocument) => analyze(doc.getText(), { uri: doc.uri.toString(), readImport }),
  onDidAnalyze: () => ({ dispose() {} }),
  peek: () => undefined,
  current: () => undefined,
} as unknown as AnalysisCache;

/** Where `needle` is (its `occurrence`-th time, plus `delta` characters) in a workspace file. */
function at(path: string, needle: string, occurrence = 0, delta = 0): Position {
  const text = state.files.get(path)!;
  let i = -1;
  for (let k = 0; k <= occurrence; k++) i = text.indexOf(needle, i + 1);
  assert.ok(i >= 0, `${needle} in ${path}`);
  const before = text.slice(0, i + delta).split('\n');
  return new Position(before.length - 1, before[before.length - 1].length);
}

const place = (path: string, p: Position) => `${path}:${p.line + 1}:${p.character + 1}`;
const placesOf = (locations: readonly Location[]) => locations.map((l) => `${l.uri.path}:${l.range.startLine + 1}:${l.range.startCharacter + 1}`).sort();

function setUp() {
  reset(['/w']);
  for (const [path, text] of Object.entries(FILES)) state.files.set(path, text);
  const workspace = registerWorkspaceSymbols(cache);
  const definitions = registerDefinitions([{ language: 'nnmodel' }], cache, workspace);
  return { dispose: () => (definitions.dispose(), workspace.dispose()) };
}

/** The declaration and calls of lib.nnmodel's blk that the workspace holds. */
const EXPECTED = [
  place('/w/lib.nnmodel', at2('/w/lib.nnmodel', 'blk(u)')),
  place('/w/lib.nnmodel', at2('/w/lib.nnmodel', 'blk(4)')),
  place('/w/app.nnmodel', at2('/w/app.nnmodel', 'blk(16)')),
  place('/w/app.nnmodel', at2('/w/app.nnmodel', 'blk(2)')),
  place('/w/sub/deep.nnmodel', at2('/w/sub/deep.nnmodel', 'blk(3)')),
].sort();

function at2(path: string, needle: string): Position {
  const text = FILES[path];
  const before = text.slice(0, text.indexOf(needle)).split('\n');
  return new Position(before.length - 1, before[before.length - 1].length);
}

test("Find All References on a block lists its calls in the files that import its file, directly or not, and in no other file", async () => {
  const d = setUp();
  try {
    const doc = sourceDocument('/w/lib.nnmodel', FILES['/w/lib.nnmodel']);
    const token = new CancellationTokenSource().token;
    const all = await state.providers.references!.provideReferences(doc, at('/w/lib.nnmodel', 'blk(u)', 0, 1), { includeDeclaration: true }, token);
    assert.deepEqual(placesOf(all!), EXPECTED);
    assert.equal(new Set(all!.map((l) => l.uri.path)).size, 3, '3 files');
    // Without the declaration, from a call in an importer: the same calls.
    const app = sourceDocument('/w/app.nnmodel', FILES['/w/app.nnmodel']);
    const calls = await state.providers.references!.provideReferences(app, at('/w/app.nnmodel', 'blk(2)', 0, 1), { includeDeclaration: false }, token);
    assert.deepEqual(placesOf(calls!), EXPECTED.filter((p) => p !== place('/w/lib.nnmodel', at2('/w/lib.nnmodel', 'blk(u)'))));
  } finally {
    d.dispose();
  }
});

test('Rename of a block from a call in an importing file edits the declaration and every call that resolves to it, in every file', async () => {
  const d = setUp();
  try {
    const app = sourceDocument('/w/app.nnmodel', FILES['/w/app.nnmodel']);
    const edit = await state.providers.rename!.provideRenameEdits(app, at('/w/app.nnmodel', 'blk(16)', 0, 2), 'layer', new CancellationTokenSource().token);
    const edits = edit!.edits;
    assert.deepEqual(edits.map((e) => `${e.uri.path}:${e.range.startLine + 1}:${e.range.startCharacter + 1}`).sort(), EXPECTED);
    assert.ok(edits.every((e) => e.newText === 'layer' && e.range.endCharacter - e.range.startCharacter === 'blk'.length));
    // Applied, every importer analyses without an unknown name.
    const applied = new Map(Object.entries(FILES));
    for (const path of applied.keys()) {
      const lines = applied.get(path)!.split('\n');
      for (const e of edits.filter((x) => x.uri.path === path).sort((a, b) => b.range.startCharacter - a.range.startCharacter)) {
        const l = lines[e.range.startLine];
        lines[e.range.startLine] = l.slice(0, e.range.startCharacter) + e.newText + l.slice(e.range.endCharacter);
      }
      applied.set(path, lines.join('\n'));
    }
    for (const [path, text] of applied) state.files.set(path, text);
    for (const path of ['/w/app.nnmodel', '/w/sub/deep.nnmodel', '/w/lib.nnmodel', '/w/own.nnmodel', '/w/other.nnmodel']) {
      const errors = analyze(applied.get(path)!, { uri: Uri.file(path).toString(), readImport }).diagnostics.filter((x) => x.severity === 'error');
      assert.deepEqual(errors.map((x) => x.message), [], path);
    }
  } finally {
    d.dispose();
  }
});

test('Rename of a block to a layer of the catalogue, or to a name a file that calls it already has, is refused with the reason; nothing is edited', async () => {
  const d = setUp();
  try {
    const token = new CancellationTokenSource().token;
    const lib = sourceDocument('/w/lib.nnmodel', FILES['/w/lib.nnmodel']);
    const app = sourceDocument('/w/app.nnmodel', FILES['/w/app.nnmodel']);
    const rename = (doc: SourceDocument, pos: Position, name: string) => state.providers.rename!.provideRenameEdits(doc, pos, name, token);
    // `relu` would make the block's calls the layer (name.layer_name), from its declaration or a call in an importer.
    await assert.rejects(rename(lib, at('/w/lib.nnmodel', 'blk(u)', 0, 1), 'relu'), /^Error: 'relu' is a layer of the catalogue; a block cannot take its name .*'relu_block'/);
    await assert.rejects(rename(app, at('/w/app.nnmodel', 'blk(16)', 0, 1), 'dense'), /'dense' is a layer of the catalogue/);
    // A model of the block's own file.
    await assert.rejects(rename(lib, at('/w/lib.nnmodel', 'blk(u)', 0, 1), 'LibModel'), /^Error: 'LibModel' is already the name of model 'LibModel' \(lib\.nnmodel:6\): renaming block 'blk'/);
    // A model of a file that calls it (app.nnmodel), and a block of one that sees it through app (sub/deep.nnmodel).
    await assert.rejects(rename(lib, at('/w/lib.nnmodel', 'blk(u)', 0, 1), 'App'), /'App' is already the name of model 'App' \(app\.nnmodel:3\)/);
    state.files.set('/w/sub/deep.nnmodel', FILES['/w/sub/deep.nnmodel'] + '\nblock helper(u) {\n  input x\n  output x -> dense(u)\n}\n');
    await assert.rejects(rename(app, at('/w/app.nnmodel', 'blk(2)', 0, 1), 'helper'), /'helper' is already the name of block 'helper' \(sub\/deep\.nnmodel:8\)/);
    // A file whose own block of the name means its calls (own.nnmodel has its own `blk`) does not stop it: its calls are not this block's.
    state.files.set('/w/own.nnmodel', FILES['/w/own.nnmodel'].replace('model Own', 'block fresh(u) {\n  input x\n  output x\n}\n\nmodel Own'));
    const edit = await rename(lib, at('/w/lib.nnmodel', 'blk(u)', 0, 1), 'fresh');
    assert.equal(edit!.edits.length, EXPECTED.length);
    // The same name changes nothing to refuse; a value may take a layer's name.
    assert.equal((await rename(lib, at('/w/lib.nnmodel', 'blk(u)', 0, 1), 'blk'))!.edits.length, EXPECTED.length);
    assert.deepEqual((await rename(app, at('/w/app.nnmodel', 'h = x', 0, 0), 'relu'))!.edits.map((e) => `${e.range.startLine + 1}:${e.newText}`), ['5:relu', '6:relu']);
  } finally {
    d.dispose();
  }
});

test('Rename of a value, parameter or layer object to a name its body already binds or uses is refused: it would change what the model computes', async () => {
  const d = setUp();
  try {
    const token = new CancellationTokenSource().token;
    const path = '/w/local.nnmodel';
    const text = 'block b(n, m = 4) {\n  input x\n  output x -> dense(n) -> dense(m)\n}\nmodel M {\n  input x: [8]\n  shared = dense(8)\n  h = x -> shared -> relu -> shared\n  output h + x -> b(16)\n}\n';
    state.files.set(path, text);
    const doc = sourceDocument(path, text);
    const rename = (what: string, nth: number, name: string) => state.providers.rename!.provideRenameEdits(doc, at(path, what, nth, 0), name, token);
    // `h` renamed `x`: the residual `h + x` would become `x + x`.
    await assert.rejects(rename('h = x', 0, 'x'), /^Error: 'x' is already an input of M \(line 6\): renaming value 'h' to it would make its uses mean that one\./);
    // `shared` renamed `relu`: the `-> relu` of that body would apply the dense layer.
    await assert.rejects(rename('shared = ', 0, 'relu'), /^Error: 'relu' is used in M already \(line 8: the layer relu\): renaming layer object 'shared' to it/);
    // A parameter renamed to the block's other parameter.
    await assert.rejects(rename('n, m', 0, 'm'), /'m' is already a parameter of b \(line 1\)/);
    // A fresh name is renamed everywhere, the call's nothing to follow here.
    const edit = await rename('h = x', 0, 'hidden');
    assert.deepEqual(edit!.edits.map((e) => `${e.range.startLine + 1}:${e.newText}`), ['8:hidden', '9:hidden']);
  } finally {
    d.dispose();
  }
});

test("a file's own block of the same name, or one that does not import the block's file, resolves elsewhere", () => {
  reset(['/w']);
  for (const [path, text] of Object.entries(FILES)) state.files.set(path, text);
  const libUri = 'file:///w/lib.nnmodel';
  const see = (path: string) => blockOccurrences(analyze(FILES[path], { uri: `file://${path}`, readImport }), `file://${path}`, libUri, 'blk');
  assert.equal(see('/w/app.nnmodel').references.length, 2);
  assert.equal(see('/w/sub/deep.nnmodel').references.length, 1);
  for (const path of ['/w/own.nnmodel', '/w/none.nnmodel', '/w/other.nnmodel']) assert.deepEqual(see(path), { references: [] }, path);
  // The filter before analysing: an import and the name as a word.
  assert.equal(mayImportBlock(FILES['/w/app.nnmodel'], 'blk'), true);
  assert.equal(mayImportBlock(FILES['/w/none.nnmodel'], 'blk'), false, 'no import');
  assert.equal(mayImportBlock('import "x.nnmodel"\nmodel M { input x: [1]\n output x -> blk2 }', 'blk'), false, 'only a longer word');
});

test("Rename and Find All References of a block's parameter follow the calls that give it by name, in every file that calls the block", async () => {
  const d = setUp();
  try {
    // Calls that name the parameter: in lib itself, in app (an importer) and in deep (through app); own.nnmodel's blk is another block.
    state.files.set('/w/lib.nnmodel', FILES['/w/lib.nnmodel'].replace('blk(4)', 'blk(u = 4)'));
    state.files.set('/w/app.nnmodel', FILES['/w/app.nnmodel'].replace('blk(16)', 'blk(u = 16)'));
    state.files.set('/w/sub/deep.nnmodel', FILES['/w/sub/deep.nnmodel'].replace('blk(3)', 'blk(u = 3)'));
    state.files.set('/w/own.nnmodel', FILES['/w/own.nnmodel'].replace('blk(5)', 'blk(u = 5)'));
    const lib = sourceDocument('/w/lib.nnmodel', state.files.get('/w/lib.nnmodel')!);
    const token = new CancellationTokenSource().token;
    const paramAt = at('/w/lib.nnmodel', 'blk(u)', 0, 4);
    const edit = await state.providers.rename!.provideRenameEdits(lib, paramAt, 'units', token);
    const places = edit!.edits.map((e) => `${e.uri.path}:${e.range.startLine + 1}:${e.range.startCharacter + 1}`).sort();
    assert.deepEqual(places, [
      '/w/app.nnmodel:5:16', // blk(u = 16)
      '/w/lib.nnmodel:1:11', // the parameter
      '/w/lib.nnmodel:3:21', // dense(u)
      '/w/lib.nnmodel:8:19', // blk(u = 4)
      '/w/sub/deep.nnmodel:5:19', // blk(u = 3)
    ]);
    assert.ok(edit!.edits.every((e) => e.newText === 'units'));
    const refs = await state.providers.references!.provideReferences(lib, paramAt, { includeDeclaration: false }, token);
    assert.deepEqual(placesOf(refs!), places.filter((p) => p !== '/w/lib.nnmodel:1:11'));
    // From the argument's name in a call of the file's own block: the same edits, and Go to Definition reaches the parameter.
    const argAt = at('/w/lib.nnmodel', 'u = 4', 0, 0);
    const fromArg = await state.providers.rename!.provideRenameEdits(lib, argAt, 'units', token);
    assert.deepEqual(fromArg!.edits.map((e) => `${e.uri.path}:${e.range.startLine + 1}:${e.range.startCharacter + 1}`).sort(), places);
    const def = (await state.providers.definition!.provideDefinition(lib, argAt, token)) as { targetSelectionRange: { startLine: number; startCharacter: number } }[];
    assert.deepEqual([def[0].targetSelectionRange.startLine + 1, def[0].targetSelectionRange.startCharacter + 1], [1, 11]);
  } finally {
    d.dispose();
  }
});

test("a named argument of an imported block's call reaches that parameter in its file: definition there, rename refused with where to do it", async () => {
  const d = setUp();
  try {
    const appText = FILES['/w/app.nnmodel'].replace('blk(16)', 'blk(u = 16)');
    state.files.set('/w/app.nnmodel', appText);
    const appUri = 'file:///w/app.nnmodel';
    const a = analyze(appText, { uri: appUri, readImport });
    const offset = appText.indexOf('u = 16');
    const hit = parameterAt(a, offset, (uri) => (uri === 'file:///w/lib.nnmodel' ? FILES['/w/lib.nnmodel'] : undefined));
    assert.ok(hit);
    assert.equal(hit.symbol.uri, 'file:///w/lib.nnmodel');
    assert.equal(hit.symbol.kind, 'param');
    // `block blk(u)`: the parameter on line 1, column 11 of lib.nnmodel.
    assert.deepEqual([hit.symbol.range.start.line + 1, hit.symbol.range.start.character + 1], [1, 11]);
    assert.equal(appText.slice(hit.range.start.offset, hit.range.end.offset), 'u');
    // Without the file's text there is nothing to go to.
    assert.equal(parameterAt(a, offset, () => undefined), undefined);
  } finally {
    d.dispose();
  }
});
