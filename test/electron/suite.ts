/**
 * Extension tests that run inside a desktop VS Code (@vscode/test-electron):
 * the language features checked through the vscode API rather than the UI.
 * VS Code loads this bundle and calls `run()`; a rejected promise fails the run.
 * Uses node:assert and a small sequential runner instead of mocha.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'nnmodel.nnmodel';
const TEST_TIMEOUT_MS = 30_000;

interface Case {
  name: string;
  body: () => Promise<void>;
}

const cases: Case[] = [];
function test(name: string, body: () => Promise<void>): void {
  cases.push({ name, body });
}

async function poll<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeout = 15_000): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function examplesDir(): string {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  assert.ok(folder, 'the test run opens the examples folder as the workspace');
  return folder;
}

async function open(content: string): Promise<vscode.TextDocument> {
  const doc = await vscode.workspace.openTextDocument({ language: 'nnmodel', content });
  await vscode.window.showTextDocument(doc);
  return doc;
}

function positionAfter(doc: vscode.TextDocument, needle: string, offset = 0): vscode.Position {
  const at = doc.getText().indexOf(needle);
  assert.ok(at >= 0, `'${needle}' is in the document`);
  return doc.positionAt(at + offset);
}

function hoverText(hovers: vscode.Hover[]): string {
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : c.value))
    .join('\n');
}

function labelText(label: string | vscode.InlayHintLabelPart[]): string {
  return typeof label === 'string' ? label : label.map((p) => p.value).join('');
}

const LENET5_FILE = 'lenet5.nnmodel';

test('the extension activates', async () => {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is installed in the test instance`);
  await ext.activate();
  assert.ok(ext.isActive);
});

test('hover on conv2d in LeNet5 shows [28, 28, 6]', async () => {
  const doc = await vscode.workspace.openTextDocument(path.join(examplesDir(), LENET5_FILE));
  const pos = positionAfter(doc, '-> conv2d(6', 4);
  const text = await poll('a hover with [28, 28, 6]', async () => {
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, pos);
    const t = hoverText(hovers);
    return t.includes('[28, 28, 6]') ? t : undefined;
  });
  assert.match(text, /\[28, 28, 6\]/);
});

test('an unknown name is a diagnostic that names it', async () => {
  const doc = await open('model Broken {\n  input x: [4]\n  output nothing_here\n}\n');
  const diags = await poll('a diagnostic about nothing_here', () => {
    const d = vscode.languages.getDiagnostics(doc.uri);
    return d.some((x) => x.message.includes('nothing_here')) ? d : undefined;
  });
  const diag = diags.find((x) => x.message.includes('nothing_here'));
  assert.ok(diag);
  assert.equal(diag.severity, vscode.DiagnosticSeverity.Error);
  assert.equal(diag.range.start.line, 2);
});

test('inlay hints carry the LeNet5 shapes', async () => {
  const doc = await vscode.workspace.openTextDocument(path.join(examplesDir(), LENET5_FILE));
  const full = new vscode.Range(0, 0, doc.lineCount, 0);
  const labels = await poll('inlay hints', async () => {
    const hints = await vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', doc.uri, full);
    return hints.length ? hints.map((h) => labelText(h.label)) : undefined;
  });
  assert.ok(labels.some((l) => l.includes('[14, 14, 6]') || l.includes('[28, 28, 6]')), `hints: ${labels.join(' | ')}`);
});

test('completion after -> lists conv2d', async () => {
  const doc = await open('model C {\n  input image: [28, 28, 1]\n  output image -> con\n}\n');
  const pos = positionAfter(doc, '-> con', '-> con'.length);
  const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, pos);
  const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
  assert.ok(labels.includes('conv2d'), `labels: ${labels.join(', ')}`);
});

test('document symbols list the model LeNet5', async () => {
  const doc = await vscode.workspace.openTextDocument(path.join(examplesDir(), LENET5_FILE));
  const symbols = await vscode.commands.executeCommand<(vscode.DocumentSymbol | vscode.SymbolInformation)[]>(
    'vscode.executeDocumentSymbolProvider',
    doc.uri,
  );
  assert.ok(symbols.some((s) => s.name === 'LeNet5'), `symbols: ${symbols.map((s) => s.name).join(', ')}`);
});

test('formatting a messy file returns edits that lay it out', async () => {
  const doc = await open('model   Messy{\ninput x:[8]\n    output x->dense( 4 )\n}\n');
  const edits = await vscode.commands.executeCommand<vscode.TextEdit[]>('vscode.executeFormatDocumentProvider', doc.uri, {
    tabSize: 2,
    insertSpaces: true,
  });
  assert.ok(edits && edits.length > 0, 'the formatter returns edits');
  const we = new vscode.WorkspaceEdit();
  we.set(doc.uri, edits);
  assert.ok(await vscode.workspace.applyEdit(we));
  assert.match(doc.getText(), /^model Messy \{\n {2}input x: \[8\]\n {2}output x -> dense\(4\)\n\}\n$/);
});

test("a misspelled layer has the quick fix Change to 'softmax'", async () => {
  const doc = await open('model T {\n  input x: [16]\n  output x -> dense(10) -> softmx\n}\n');
  const pos = positionAfter(doc, 'softmx', 2);
  await poll('a diagnostic on softmx', () => (vscode.languages.getDiagnostics(doc.uri).length ? true : undefined));
  const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, new vscode.Range(pos, pos));
  const titles = actions.map((a) => a.title);
  assert.ok(titles.includes("Change to 'softmax'"), `actions: ${titles.join(' | ')}`);
});

/** Entry point called by VS Code's test runner. */
export async function run(): Promise<void> {
  let passed = 0;
  const failures: string[] = [];
  for (const c of cases) {
    const started = Date.now();
    try {
      await Promise.race([
        c.body(),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${TEST_TIMEOUT_MS} ms`)), TEST_TIMEOUT_MS)),
      ]);
      passed++;
      console.log(`ok - ${c.name} (${Date.now() - started} ms)`);
    } catch (e) {
      failures.push(c.name);
      console.log(`not ok - ${c.name}\n  ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  }
  console.log(`${passed} passed, ${failures.length} failed`);
  if (failures.length) throw new Error(`${failures.length} test(s) failed: ${failures.join('; ')}`);
}
