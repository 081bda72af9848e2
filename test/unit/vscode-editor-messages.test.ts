// What the editor shows, with a fake `vscode` (test/unit/vscodeMock.ts):
// a problem inside an imported file names it by its workspace path, not its
// uri (diagnostics.ts); Format Document on a file with syntax errors says
// why it changes nothing (formatting.ts); the outline's details give the
// shapes of outputs and block inputs and mark incomplete totals (symbols.ts).
import { reset, resetWindow, sourceDocument, state, ui, Uri, type DocumentSymbol } from './vscodeMock'; // first: installs the fake `vscode`
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../../extension/core';
import { convertDiagnostics } from '../../extension/vscode/diagnostics';
import { registerFormatting } from '../../extension/vscode/formatting';
import { documentSymbols } from '../../extension/vscode/symbols';

function readImport(fromUri: string | undefined, path: string) {
  const target = Uri.joinPath(Uri.parse(fromUri!), '..', path);
  const text = state.files.get(target.path);
  return text === undefined ? undefined : { uri: target.toString(), text };
}

test('a problem found in an imported file names the file by its workspace path, as the CLI does, with its place as related information', () => {
  reset(['/w']);
  state.files.set('/w/lib/b4.nnmodel', 'block b4(u) {\n  input x\n  output x -> conv2d(u, 3)\n}\n');
  const text = 'import "lib/b4.nnmodel"\n\nmodel M {\n  input x: [8]\n  output x -> b4(4)\n}\n';
  const uri = Uri.file('/w/m.nnmodel');
  const analysis = analyze(text, { uri: uri.toString(), readImport });
  const raw = analysis.diagnostics.find((d) => d.related?.some((r) => r.uri === 'file:///w/lib/b4.nnmodel'));
  assert.ok(raw, analysis.diagnostics.map((d) => d.message).join('\n'));
  assert.match(raw.message, /\(in file:\/\/\/w\/lib\/b4\.nnmodel at 3:15\)$/, 'the core names the file as it was given');
  const shown = convertDiagnostics(uri as never, analysis).find((d) => d.message.startsWith(raw.message.slice(0, raw.message.indexOf(' (in '))));
  assert.ok(shown);
  assert.equal(shown.message, raw.message.replace('(in file:///w/lib/b4.nnmodel at 3:15)', '(in lib/b4.nnmodel at 3:15)'));
  const related = shown.relatedInformation!.map((r) => `${r.location.uri.toString()}:${r.location.range.start.line + 1}:${r.location.range.start.character + 1}`);
  assert.ok(related.includes('file:///w/lib/b4.nnmodel:3:15'), related.join(', '));
  // A message that only mentions a uri elsewhere is left as it is.
  assert.ok(convertDiagnostics(uri as never, analysis).every((d) => !d.message.includes('file://')));
});

test('Format Document on a file with a syntax error changes nothing and says why in the status bar; a file that parses says nothing', () => {
  reset(['/w']);
  resetWindow();
  registerFormatting([{ language: 'nnmodel' }]);
  const broken = sourceDocument('/w/broken.nnmodel', 'model Broken{\n  input x:[8]\n  output x->dense( 4\n}\n');
  const options = { insertSpaces: true, tabSize: 2 };
  assert.deepEqual(state.providers.formatting!.provideDocumentFormattingEdits(broken, options), []);
  assert.equal(ui.statusMessages.length, 1);
  assert.match(ui.statusMessages[0].text, /^\$\(warning\) Not formatting broken\.nnmodel: it has 1 syntax error \(at 3:21: expected '\)'/);
  assert.ok(ui.statusMessages[0].ms! >= 3000, 'shown for a few seconds');
  // Format Selection too.
  const range = { start: { line: 0, character: 0 }, end: { line: 3, character: 1 }, startLine: 0, endLine: 3, startCharacter: 0, endCharacter: 1 };
  assert.deepEqual(state.providers.rangeFormatting!.provideDocumentRangeFormattingEdits(broken, range as never, options), []);
  assert.equal(ui.statusMessages.length, 2);
  const messy = sourceDocument('/w/messy.nnmodel', 'model Messy{\n  input x:[8]\n  output x->dense( 4 )\n}\n');
  assert.ok(state.providers.formatting!.provideDocumentFormattingEdits(messy, options).length > 0);
  assert.equal(ui.statusMessages.length, 2, 'no message for a file that formats');
});

const UNET = readFileSync(join(__dirname, '..', '..', 'examples', 'unet_small.nnmodel'), 'utf8');

function outline(text: string, path = '/w/x.nnmodel'): DocumentSymbol[] {
  const uri = `file://${path}`;
  return documentSymbols(analyze(text, { uri }), uri) as unknown as DocumentSymbol[];
}

const child = (s: DocumentSymbol, name: string, nth = 0) => {
  const found = s.children.filter((c) => c.name === name)[nth];
  assert.ok(found, `${name} under ${s.name}: ${s.children.map((c) => c.name).join(', ')}`);
  return found;
};

test("the outline gives the shape of each output and of a block's inputs and output, as its first call received and gave them", () => {
  const symbols = outline(UNET);
  const unet = symbols.find((s) => s.name === 'UNetSmall')!;
  assert.equal(child(unet, 'output').detail, '[64, 64, 1]');
  assert.equal(child(unet, 'image').detail, '[64, 64, 1]');
  const doubleConv = symbols.find((s) => s.name === 'double_conv')!;
  // First called as image -> double_conv(16).
  assert.equal(child(doubleConv, 'x').detail, '[64, 64, 1]');
  assert.equal(child(doubleConv, 'output').detail, '[64, 64, 16]');
  const up = symbols.find((s) => s.name === 'up')!;
  assert.equal(child(up, 'x').detail, '[8, 8, 128]');
  assert.equal(child(up, 'skip').detail, '[16, 16, 64]');
  assert.equal(child(up, 'output').detail, '[16, 16, 64]');
  // Several outputs: one shape each, in order.
  const two = outline('model Two {\n  input x: [8]\n  h = x -> dense(4)\n  output h, h -> dense(2)\n}\n');
  assert.equal(child(two[0], 'output').detail, '[4], [2]');
  // A block nobody calls: no shapes to give.
  const unused = outline('block lone(u) {\n  input x\n  output x -> dense(u)\n}\n');
  assert.equal(child(unused[0], 'x').detail, '');
});

test("the outline matches a block's calls to its declaration, not its name: a second block of the name, which no call reaches, shows no shapes", () => {
  const text = 'block b(n) {\n  input x\n  output x -> dense(n)\n}\nblock b(n) {\n  input x\n  output x -> dense(n) -> dense(2)\n}\nmodel M {\n  input t: [4]\n  output t -> b(3)\n}\n';
  const [first, second] = outline(text).filter((s) => s.name === 'b');
  assert.equal(child(first, 'x').detail, '[4]');
  assert.equal(child(first, 'output').detail, '[3]');
  // The calls mean the first `b` (name.duplicate on the second): the second's body was never analysed for them.
  assert.equal(child(second, 'x').detail, '');
  assert.equal(child(second, 'output').detail, '');
});

test("a model with errors shows its parameters in the outline marked incomplete, as its CodeLens does", () => {
  const symbols = outline('model Deep {\n  input x: [8]\n  h = x -> dense(64)\n  output h -> nope(3)\n}\n\nmodel Fine {\n  input x: [8]\n  output x -> dense(4)\n}\n');
  assert.equal(symbols.find((s) => s.name === 'Deep')!.detail, '⚠ incomplete: 576 params');
  assert.equal(symbols.find((s) => s.name === 'Fine')!.detail, '36 params');
});
