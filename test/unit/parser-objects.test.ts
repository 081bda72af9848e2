// What the parser's syntax tree costs in objects: one Position object per place, each listed once
// for the incremental session, and nodes built whole (one hidden class per shape).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { parse, parseWithPositions, reparse } from '../../extension/core/syntax/parser';
import { lexStore, LineMap } from '../../extension/core/syntax/lexer';
import type { BlockDecl, CallExpr, ChainExpr, InputStmt, ModelDecl, OutputStmt, Position } from '../../extension/core/syntax/ast';
import { generateFile } from '../../bench/generate';
import { LENET5 as LENET } from '../fixtures/contract';

const SRC = `block b(n, m = 2) {
  input x
  output x -> dense(n) -> dense (m) -> relu, x
}
model M {
  input image: [28, 28, 1]
  input ids: int[seq]
  h = image -> conv2d(8, 3, padding = same) -> relu -> b(4) * 2 -> b(4, m = 3) * (1 + 1)
  y = -h + [1, 2] * 3.5
  output h, y
}
model Empty {}
train M {
  epochs: 5
  optimizer: adam(lr = 1e-3)
}
${LENET}`;

/** Every Position object reachable from `v` (ranges of nested nodes included). */
function positionsOf(v: unknown): Set<Position> {
  const out = new Set<Position>();
  const seen = new Set<object>();
  const walk = (x: unknown): void => {
    if (x === null || typeof x !== 'object' || seen.has(x)) return;
    seen.add(x);
    if ('offset' in x && 'line' in x && 'character' in x) out.add(x as Position);
    else for (const y of Object.values(x)) walk(y);
  };
  walk(v);
  return out;
}

test('parser: one Position object per place in an item tree, and the positions listed for it are exactly its own', () => {
  for (const text of [SRC, generateFile(400)]) {
    const { file, positions } = parseWithPositions(text);
    assert.deepEqual(file.errors, []);
    assert.equal(positions.length, file.items.length);
    for (let i = 0; i < file.items.length; i++) {
      const own = positionsOf(file.items[i]);
      // Equal values in two objects are a position kept twice (`output`'s keyword start and the statement's were).
      const byOffset = new Map<number, Position>();
      for (const p of own) {
        const other = byOffset.get(p.offset);
        assert.ok(other === undefined, `item ${i}: two objects for ${p.line}:${p.character}`);
        byOffset.set(p.offset, p);
      }
      // Listed once each, all of the tree's, and nothing the tree does not hold (a body's `{` end was listed unused).
      assert.equal(new Set(positions[i]).size, positions[i].length, `item ${i}: a position listed twice`);
      assert.equal(positions[i].length, own.size, `item ${i}: listed ${positions[i].length}, the tree holds ${own.size}`);
      for (const p of positions[i]) assert.ok(own.has(p), `item ${i}: listed ${p.line}:${p.character}, not in the tree`);
    }
  }
});

test('parser: the statement `output` starts where its keyword does, as one object', () => {
  const model = parse('model M {\n  input x\n  output x\n}\n').items[0] as ModelDecl;
  const out = model.body[1] as OutputStmt;
  assert.equal(out.range.start, out.keywordRange.start);
  assert.equal(out.range.start.offset, 22);
});

test('parser: positions listed per item follow a reparse that moves items below an edit', () => {
  const text = generateFile(200);
  let state = reparse(text, undefined);
  const at = text.indexOf('\n', text.length >> 1);
  const edited = `${text.slice(0, at)}\n# a new line\n${text.slice(at)}`;
  state = reparse(edited, state);
  const fresh = parse(edited);
  assert.deepEqual(state.file, fresh);
  for (let i = 0; i < state.file.items.length; i++) assert.equal(state.positions[i].length, positionsOf(state.file.items[i]).size);
});

/** `%HaveSameMap`: whether two objects share V8's hidden class; undefined when natives syntax cannot be enabled. */
function sameMapTester(): ((a: object, b: object) => boolean) | undefined {
  try {
    setFlagsFromString('--allow-natives-syntax');
    return new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;
  } catch {
    return undefined;
  }
}

test('parser: nodes with optional fields are made whole, with the hidden class of a plain literal of their fields', (t) => {
  const same = sameMapTester();
  if (!same) {
    t.skip('natives syntax unavailable');
    return;
  }
  const file = parse(SRC);
  assert.deepEqual(file.errors, []);
  const block = file.items[0] as BlockDecl;
  const model = file.items[1] as ModelDecl;
  const calls = ((model.body[2] as { value: ChainExpr }).value as ChainExpr).calls;
  // conv2d(...), relu, b(4) * 2, b(4, m = 3) * (1 + 1)
  const [withArgs, bare, repeated] = [calls[0], calls[1], calls[3]];
  assert.deepEqual(Object.keys(withArgs), ['kind', 'callee', 'args', 'range', 'argsRange']);
  assert.deepEqual(Object.keys(bare), ['kind', 'callee', 'args', 'range']);
  assert.deepEqual(Object.keys(repeated), ['kind', 'callee', 'args', 'range', 'argsRange', 'repeat']);
  const c = withArgs;
  // A field added after the literal moves the object to a map of its own, with a property store beside it.
  assert.ok(same(c, { kind: c.kind, callee: c.callee, args: c.args, range: c.range, argsRange: c.argsRange }), 'call(args)');
  const r: CallExpr = repeated;
  assert.ok(same(r, { kind: r.kind, callee: r.callee, args: r.args, range: r.range, argsRange: r.argsRange, repeat: r.repeat }), 'call(args) * n');
  assert.ok(same(bare, { kind: bare.kind, callee: bare.callee, args: bare.args, range: bare.range }), 'bare call');
  const shaped = model.body[0] as InputStmt;
  assert.deepEqual(Object.keys(shaped), ['kind', 'name', 'range', 'shape']);
  assert.ok(same(shaped, { kind: shaped.kind, name: shaped.name, range: shaped.range, shape: shaped.shape }), 'input with shape');
  assert.deepEqual(Object.keys(block), ['kind', 'name', 'params', 'paramsRange', 'body', 'bodyRange', 'range']);
  const b = block;
  assert.ok(
    same(b, { kind: b.kind, name: b.name, params: b.params, paramsRange: b.paramsRange, body: b.body, bodyRange: b.bodyRange, range: b.range }),
    'block with parameters',
  );
});

test('lexer: an identifier reads as its own text wherever its token was made (whole file, `//` resolution, windows)', () => {
  const texts = [SRC, `${SRC}\nmodel D {\n  input x: [4]\n  output x // 2 -> dense(3) // dense_2\n}\n`];
  for (const text of texts) {
    const { store } = lexStore(text);
    for (let k = 0; k < store.count; k++) assert.equal(store.textOf(k), text.slice(store.start[k], store.end[k]));
  }
  const text = generateFile(100);
  const a = reparse(text, undefined);
  const b = reparse(text.replace('dense(', 'densex('), a);
  assert.deepEqual(b.file, parse(text.replace('dense(', 'densex(')));
});

test('lexer: the line map finds its line starts only when asked, and they and the file range are those the text gives', () => {
  const endings = ['', '\n', '\r\n', '\r', '\n\n', '\r\n  # last\r\n', '\n  '];
  for (const text of [...endings.map((e) => `${SRC}${e}`), 'model M {\r  input x: [4]\r  output x // 2\r}', '', '\n']) {
    const { lines } = lexStore(text);
    // A parse places its tokens and its end without them: a list of every line's start was garbage in every parse.
    if (!text.includes('//')) {
      const held = (lines as unknown as { lineStarts?: number[] }).lineStarts ?? Object.getOwnPropertyDescriptor(lines, 'starts')?.value;
      assert.equal(held, undefined, `line starts found while lexing ${JSON.stringify(text.slice(-12))}`);
    }
    const whole = LineMap.of(text);
    assert.deepEqual(lines.starts, whole.starts);
    assert.deepEqual(parse(text).range.end, whole.positionAt(text.length), JSON.stringify(text.slice(-12)));
  }
});
