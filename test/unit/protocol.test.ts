import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { summaryRows } from '../../extension/core/analysis/summary';
import { Sym } from '../../extension/core/analysis/sym';
import {
  parseHostMessage,
  parseSym,
  parseWebviewMessage,
  reviveModel,
  serializeModel,
  serializeRows,
  type HostToWebview,
  type WebviewToHost,
} from '../../extension/core/protocol';
import { LENET5 as LENET } from '../fixtures/contract';


const GPT = `block gpt_block(dim, heads, hidden = 4 * dim, p = 0.1) {
  input x
  x = x + x -> layernorm -> attention(heads, causal = true) -> dropout(p)
  output x + x -> layernorm -> dense(hidden) -> gelu -> dense(dim) -> dropout(p)
}
model Tiny {
  input tokens: int[seq]
  wte = embedding(100, 32)
  h = tokens -> wte -> positional(learned, maxlen = 64) -> dropout(0.1)
  output h -> gpt_block(32, 4) * 3 -> layernorm -> unembed(wte)
}
`;

/** Whether a value is made only of JSON types (no class instances, no undefined, no functions). */
function isPlainJson(x: unknown): boolean {
  if (x === null || typeof x === 'string' || typeof x === 'boolean') return true;
  if (typeof x === 'number') return Number.isFinite(x);
  if (Array.isArray(x)) return x.every(isPlainJson);
  if (typeof x === 'object') {
    const proto = Object.getPrototypeOf(x);
    if (proto !== Object.prototype && proto !== null) return false;
    return Object.values(x as object).every((v) => v !== undefined && isPlainJson(v));
  }
  return false;
}

for (const [name, text] of [
  ['LeNet5', LENET],
  ['Tiny GPT (symbolic seq, groups)', GPT],
] as const) {
  test(`serializeModel(${name}) is plain JSON, survives JSON.stringify and revives to the same model`, () => {
    const a = analyze(text);
    assert.equal(a.models.length, 1);
    const model = a.models[0];
    const plain = serializeModel(model);
    assert.ok(isPlainJson(plain), 'only JSON types');
    assert.deepEqual(JSON.parse(JSON.stringify(plain)), plain);
    // Reviving and serialising again gives the same JSON: nothing was lost on the way.
    const revived = reviveModel(plain);
    assert.deepEqual(serializeModel(revived), plain);
    assert.ok(revived.params.total.equals(model.params.total));
    assert.ok(revived.macs.equals(model.macs));
    assert.ok(revived.memory.activationBytes.equals(model.memory.activationBytes));
    const rows = serializeRows(summaryRows(model));
    assert.ok(isPlainJson(rows));
    assert.ok(rows.length > 0);
  });
}

test('LeNet5 serialises its counts as numbers', () => {
  const plain = serializeModel(analyze(LENET).models[0]);
  assert.equal(plain.params.total, 61706);
  assert.equal(plain.macs, 416520);
  const layers = plain.graph.nodes.filter((n) => n.kind === 'layer');
  assert.equal(layers.length, 13); // conv tanh pool ×2, flatten, (dense tanh) ×2, dense softmax
  assert.deepEqual(layers[0].kind === 'layer' && layers[0].shape.dims, [28, 28, 6]);
});

test('the symbolic model keeps its formulas as strings', () => {
  const plain = serializeModel(analyze(GPT).models[0]);
  assert.equal(typeof plain.macs, 'string');
  assert.match(String(plain.macs), /seq/);
  assert.deepEqual(plain.inputs[0].shape, { dims: ['seq'], isInt: true });
});

test('parseSym inverts Sym.toJSON', () => {
  const seq = Sym.atom('seq');
  const d = Sym.atom('d');
  const cases = [
    Sym.ZERO,
    Sym.of(-7),
    seq,
    seq.add(1),
    seq.sub(1),
    seq.neg().add(3),
    seq.mul(seq).mul(d).mul(2).add(seq.mul(-3)).add(5),
    seq.sub(3).floorDiv(2),
    seq.sub(3).floorDiv(2).mul(seq.sub(3).floorDiv(2)).add(seq.ceilDiv(4).mul(-2)),
  ];
  for (const s of cases) {
    const back = parseSym(s.toJSON());
    assert.ok(back.equals(s), `${s.toString()} came back as ${back.toString()}`);
  }
});

const range = { start: { line: 2, character: 4, offset: 40 }, end: { line: 2, character: 16, offset: 52 } };

test('parseWebviewMessage accepts every well-formed message', () => {
  const good: WebviewToHost[] = [
    { type: 'ready' },
    { type: 'pickImage' },
    { type: 'reveal', uri: 'file:///a.nnmodel', version: 3, range },
    { type: 'selectModel', uri: 'file:///a.nnmodel', name: 'LeNet5' },
    { type: 'status', backend: 'wasm', reason: 'auto: WebGL is software-rendered (SwiftShader)', forwardMs: 3.5, numTensors: 12 },
    { type: 'status', uri: 'file:///a.nnmodel', version: 1, backend: 'webgl', reason: 'setting' },
    { type: 'error', message: 'boom' },
    { type: 'saveFile', requestId: 1, suggestedName: 'LeNet5.svg', data: '<svg/>' },
    { type: 'saveFile', requestId: 2, suggestedName: 'LeNet5.png', data: new Uint8Array([137, 80, 78, 71]) },
  ];
  for (const m of good) assert.deepEqual(parseWebviewMessage(m), m, JSON.stringify(m));
});

test('parseWebviewMessage rejects malformed messages', () => {
  const bad: unknown[] = [
    null,
    undefined,
    42,
    'ready',
    [],
    {},
    { type: 'nope' },
    { type: 'toString' },
    { type: 'reveal', uri: 'file:///a.nnmodel', version: 3 },
    { type: 'reveal', uri: 'file:///a.nnmodel', version: '3', range },
    { type: 'reveal', uri: 'file:///a.nnmodel', version: 3, range: { start: range.end, end: range.start } },
    { type: 'reveal', uri: 'file:///a.nnmodel', version: 3, range: { start: { line: -1, character: 0, offset: 0 }, end: range.end } },
    { type: 'status', backend: 'webgpu', reason: 'x' },
    { type: 'status', backend: 'wasm' },
    { type: 'status', backend: 'wasm', reason: 'x', forwardMs: 'fast' },
    { type: 'status', backend: 'wasm', reason: 'x', forwardMs: Number.NaN },
    { type: 'error' },
    { type: 'selectModel', uri: 'file:///a.nnmodel' },
    { type: 'saveFile', requestId: 1, suggestedName: '../../etc/passwd', data: 'x' },
    { type: 'saveFile', requestId: 1, suggestedName: '.bashrc', data: 'x' },
    { type: 'saveFile', requestId: 1, suggestedName: 'a/b.svg', data: 'x' },
    { type: 'saveFile', requestId: 1, suggestedName: 'a.png', data: [1, 2, 3] },
    { type: 'saveFile', requestId: -1, suggestedName: 'a.png', data: 'x' },
  ];
  for (const m of bad) assert.equal(parseWebviewMessage(m), undefined, JSON.stringify(m));
});

test('parseWebviewMessage copies only the known fields', () => {
  const m = parseWebviewMessage({ type: 'selectModel', uri: 'u', name: 'M', extra: { evil: true } });
  assert.deepEqual(m, { type: 'selectModel', uri: 'u', name: 'M' });
});

test('parseHostMessage accepts well-formed messages and rejects malformed ones', () => {
  const model = serializeModel(analyze(LENET).models[0]);
  const good: HostToWebview[] = [
    { type: 'model', uri: 'file:///a.nnmodel', version: 2, model, models: ['LeNet5'], rows: [], diagnostics: [], seed: 1 },
    { type: 'empty', reason: 'no model' },
    { type: 'cursor', uri: 'file:///a.nnmodel', version: 2, offset: 45, range },
    { type: 'settings', backend: 'auto' },
    { type: 'image', name: 'cat.png', mime: 'image/png', bytes: new Uint8Array([1]) },
    { type: 'saved', requestId: 4, path: '/tmp/x.svg' },
    { type: 'saved', requestId: 5 },
  ];
  for (const m of good) assert.deepEqual(parseHostMessage(m), m);
  const bad: unknown[] = [
    { type: 'model', uri: 'file:///a.nnmodel', version: 2, models: [], rows: [], diagnostics: [], seed: 1 },
    { type: 'model', uri: 'file:///a.nnmodel', version: 2, model, models: [1], rows: [], diagnostics: [], seed: 1 },
    { type: 'model', uri: 'file:///a.nnmodel', version: 2, model, models: [], rows: [], diagnostics: [{ code: 'x' }], seed: 1 },
    { type: 'settings', backend: 'gpu' },
    { type: 'cursor', uri: 'file:///a.nnmodel', offset: 1, range },
    { type: 'image', name: 'a', mime: 'image/png', bytes: 'AAAA' },
    { type: 'ready' },
  ];
  for (const m of bad) assert.equal(parseHostMessage(m), undefined, JSON.stringify(m));
});
