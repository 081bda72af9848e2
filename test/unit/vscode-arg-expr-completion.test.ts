// Completion inside an argument's value (extension/vscode/completion.ts): in a part of
// it (`reshape([-1, |])`, `dense(2 * |)`, `conv2d(16, (|`) only the names that hold a
// number, never a layer or a tensor; a block parameter's value by how the block uses
// it (`-> act`: layer objects and the layers that need no arguments, its default first;
// `activation = act`: the activations, its default first;
// `dense(n)`: numbers and its default); the arguments of catalogue layers as before.
import { sourceDocument, state, type CompletionItem } from './vscodeMock';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core';
import type { AnalysisCache } from '../../extension/vscode/analysisCache';
import { registerCompletion } from '../../extension/vscode/completion';

/** The items at the `|` of `marked`, in the order VS Code sorts them (by sortText). */
function complete(marked: string, triggerCharacter?: string): CompletionItem[] {
  const offset = marked.indexOf('|');
  const text = marked.slice(0, offset) + marked.slice(offset + 1);
  const path = '/w/args.nnmodel';
  const doc = sourceDocument(path, text);
  const analysis = analyze(text, { uri: `file://${path}` });
  registerCompletion('nnmodel', { get: () => analysis } as unknown as AnalysisCache);
  const items: CompletionItem[] = state.providers.completion!.provideCompletionItems(doc, doc.positionAt(offset), undefined, { triggerCharacter });
  return [...items].sort((a, b) => (a.sortText ?? '').localeCompare(b.sortText ?? ''));
}

function labelOf(it: CompletionItem): string {
  return typeof it.label === 'string' ? it.label : it.label.label;
}

function labels(marked: string): string[] {
  return complete(marked).map(labelOf);
}

/** Blocks whose parameters are used as a layer (act), a choice (act, pad, bias), numbers (n, k), and one passing its own on (pass). */
const BLOCKS = `block b(n, act = relu) {
  input x: [seq, d]
  output x -> dense(n) -> act
}
block e(n, act = gelu, pad = same, k = 3, bias = true) {
  input x
  output x -> conv1d(n, k, activation = act, padding = pad, bias = bias)
}
block pass(m, f) {
  input x
  output x -> e(m, act = f)
}
`;

/** The cursor in the body of a block with a size (d), parameters of each use (q number, lay layer, a2 activation, p2 padding), a number (w2) and a word (pick). */
function inBlock(line: string): string {
  return `${BLOCKS}block outer(q, lay, a2, p2 = valid) {
  input x: [seq, d]
  w2 = 2 * q
  pick = same
  y = x -> lay -> e(q, act = a2, pad = p2)
  ${line}
}
`;
}

/** The cursor in a model with a number (width), a layer object (lin) and tensors (t, h). */
function inModel(line: string): string {
  return `${BLOCKS}model M {
  input t: [seq, 8]
  width = 4
  lin = dense(3)
  h = t -> dense(16)
  ${line}
}
`;
}

const NO_LAYER = ['dense', 'relu', 'conv2d', 'reshape', 'b', 'e', 'pass'];

test('in a part of an argument (a list, parentheses, after an operator): the names holding a number, no layer, block or tensor', () => {
  for (const line of ['output y -> reshape([-1, |])', 'output y -> dense(2 * |)', 'output y -> dense(2 * w|)', 'output y -> conv1d(16, (|', 'output y -> e(4, k = 2 * |)']) {
    const got = labels(inBlock(line));
    assert.deepEqual([...got].sort(), ['d', 'q', 'seq', 'w2'], `${line}: ${got.join(', ')}`);
  }
  for (const line of ['output h -> reshape([-1, |])', 'output h -> dense(2 * |)', 'output h -> conv1d(16, (|', 'output h -> b(2 * |)']) {
    const got = labels(inModel(line));
    assert.deepEqual(got, ['width'], `${line}: ${got.join(', ')}`);
    for (const l of NO_LAYER) assert.ok(!got.includes(l), `${line}: ${l} offered`);
  }
});

test('a space typed after * or / in an argument opens the list; a space after a number does not', () => {
  assert.deepEqual(complete(inModel('output h -> dense(2 * |)'), ' ').map(labelOf), ['width']);
  assert.deepEqual(complete(inModel('output h -> dense(8 / |)'), ' ').map(labelOf), ['width']);
  assert.deepEqual(complete(inModel('output h -> dense(2 |)'), ' ').map(labelOf), []);
});

test('the sizes an input pattern binds are offered as sizes', () => {
  const items = complete(inBlock('output y -> reshape([-1, |])'));
  assert.equal(items.find((it) => labelOf(it) === 'd')?.detail, 'size');
  assert.equal(items.find((it) => labelOf(it) === 'seq')?.detail, 'size');
});

test('a number argument as a whole takes the names holding a number too, after the argument names', () => {
  assert.deepEqual(labels(inModel('output h -> dense(|)')), ['units', 'bias', 'activation', 'width']);
  assert.deepEqual(labels(inModel('output h -> dense(units = |)')), ['width']);
});

test("a block parameter applied as a layer (`-> act`) takes a layer object (those in scope, and the enclosing block's parameters applied as layers) or a layer that needs no arguments", () => {
  for (const line of ['output h -> b(4, act = |)', 'output h -> b(4, act = l|)', 'output h -> b(4, |)']) {
    const got = labels(inModel(line));
    assert.ok(got.includes('lin'), `${line}: ${got.join(', ')}`);
    for (const l of ['relu', 'gelu', 'layernorm']) assert.ok(got.includes(l), `${line}: ${l} not offered: ${got.join(', ')}`);
    for (const l of [...NO_LAYER.filter((x) => x !== 'relu'), 'width', 'h', 't']) assert.ok(!got.includes(l), `${line}: ${l} offered: ${got.join(', ')}`);
  }
  // The default first, then the names in scope, then the other layers.
  const inner = labels(inBlock('output y -> b(4, act = |)'));
  assert.deepEqual(inner.slice(0, 3), ['relu', 'lay', 'batchnorm'], inner.join(', '));
});

test("a block parameter given as a layer's choice takes its choices, the default first; the enclosing block's parameters given as the same choice after them", () => {
  const acts = complete(inBlock('output y -> e(4, act = |)'));
  assert.equal(labelOf(acts[0]), 'gelu');
  assert.equal(acts[0].detail, 'default of act');
  const got = acts.map(labelOf);
  for (const l of ['relu', 'none', 'softmax', 'a2']) assert.ok(got.includes(l), `${l}: ${got.join(', ')}`);
  for (const l of ['q', 'p2', 'lay', 'dense', 'conv2d']) assert.ok(!got.includes(l), `${l}: ${got.join(', ')}`);
  assert.deepEqual(labels(inBlock('output y -> e(4, pad = s|)')), ['same', 'causal', 'valid', 'p2']);
  assert.deepEqual(labels(inBlock('output y -> e(4, bias = |)')), ['true', 'false']);
  // Given on to another block's parameter: that one's use (pass's f is e's act).
  const passed = labels(inModel('output h -> pass(4, f = |)'));
  assert.ok(passed.includes('relu') && passed.includes('gelu') && !passed.includes('lin') && !passed.includes('width'), passed.join(', '));
});

test('a block parameter used as a number takes its default and the names holding a number; by position too', () => {
  const k = complete(inModel('output h -> e(4, k = |)'));
  assert.deepEqual(k.map(labelOf), ['3', 'width']);
  assert.equal(k[0].detail, 'default of k');
  assert.deepEqual(labels(inModel('output h -> b(|)')), ['n', 'act', 'width']);
  assert.deepEqual(labels(inBlock('output y -> b(|)')), ['n', 'act', 'd', 'q', 'seq', 'w2']);
});

test('the arguments of catalogue layers: enum values by name, argument names after a comma', () => {
  const acts = labels(inModel('output h -> dense(64, activation = |)'));
  assert.ok(['none', 'relu', 'gelu', 'softmax'].every((l) => acts.includes(l)), acts.join(', '));
  assert.ok(!acts.includes('dense') && !acts.includes('width'), acts.join(', '));
  assert.deepEqual(labels(inModel('output h -> conv1d(16, 3, padding = |)')), ['causal', 'same', 'valid']);
  assert.deepEqual(labels(inModel('output h -> conv1d(16, 3, padding = s|)')), ['causal', 'same', 'valid']);
  const names = complete(inModel('output h -> conv1d(16, 3, |)'));
  const argNames = names.filter((it) => String(it.insertText ?? '').endsWith(' = ')).map(labelOf);
  assert.deepEqual(argNames, ['stride', 'padding', 'dilation', 'groups', 'bias', 'activation']);
  assert.equal(names.find((it) => labelOf(it) === 'padding')?.insertText, 'padding = ');
});
