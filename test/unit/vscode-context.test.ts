import { test } from 'node:test';
import assert from 'node:assert/strict';
import { callAt, completionContext } from '../../extension/vscode/pure/context';
import { codeLength, isFloorDiv, scan } from '../../extension/vscode/pure/scan';

/** Context at the `|` marker. */
function at(src: string) {
  const offset = src.indexOf('|');
  assert.ok(offset >= 0, 'marker');
  const text = src.slice(0, offset) + src.slice(offset + 1);
  return completionContext(text, offset);
}

function callAtMarker(src: string) {
  const offset = src.indexOf('|');
  return callAt(src.slice(0, offset) + src.slice(offset + 1), offset);
}

const LENET_HEAD = 'model LeNet5 {\n  input image: [32, 32, 1]\n  output image ';

test('after -> with a partial name: chain, with the prefix to replace', () => {
  const r = at(`${LENET_HEAD}-> con|\n}`);
  assert.equal(r.context.kind, 'chain');
  assert.equal(r.prefix, 'con');
  assert.deepEqual(r.container, { kind: 'model', name: 'LeNet5' });
  assert.equal(r.prefixStart, `${LENET_HEAD}-> `.length);
});

test('a continuation line starting with -> is still the same statement', () => {
  assert.equal(at(`${LENET_HEAD}-> conv2d(6, 5)\n      -> |\n}`).context.kind, 'chain');
  assert.equal(at(`${LENET_HEAD}-> conv2d(6, 5) ->\n      t|\n}`).context.kind, 'chain');
});

test('inside a call: argument position, index and names given', () => {
  const r = at(`${LENET_HEAD}-> conv2d(|)\n}`);
  assert.equal(r.context.kind, 'arg');
  if (r.context.kind !== 'arg') return;
  assert.equal(r.context.call.callee, 'conv2d');
  assert.equal(r.context.call.argIndex, 0);
  assert.equal(r.context.call.inValue, false);

  const r2 = at(`${LENET_HEAD}-> conv2d(6, 5, stride = 2, pa|)\n}`);
  assert.equal(r2.context.kind, 'arg');
  if (r2.context.kind !== 'arg') return;
  assert.equal(r2.prefix, 'pa');
  assert.equal(r2.context.call.argIndex, 3);
  assert.equal(r2.context.call.positionalBefore, 2);
  assert.deepEqual(r2.context.call.given, ['stride']);
});

test('after name = inside a call: the value of that argument', () => {
  const r = at(`${LENET_HEAD}-> conv2d(6, 5, padding = s|)\n}`);
  assert.equal(r.context.kind, 'arg');
  if (r.context.kind !== 'arg') return;
  assert.equal(r.context.call.argName, 'padding');
  assert.equal(r.context.call.inValue, true);
  assert.equal(r.prefix, 's');
});

test('after a complete positional argument there is nothing to offer', () => {
  assert.equal(at(`${LENET_HEAD}-> conv2d(6 |)\n}`).context.kind, 'none');
  assert.equal(at(`${LENET_HEAD}-> conv2d(6|)\n}`).context.kind, 'none');
});

test('a block parameter list is not a call', () => {
  assert.equal(at('block mlp(dim, hid|) {\n}').context.kind, 'none');
  assert.equal(callAtMarker('block mlp(dim, |) {\n}'), undefined);
});

test('statement starts, expressions and top level', () => {
  assert.equal(at('model M {\n  |\n}').context.kind, 'statement');
  assert.equal(at('model M {\n  input x: [4]\n  y = |\n}').context.kind, 'expression');
  assert.equal(at('model M {\n  input x: [4]\n  output |\n}').context.kind, 'expression');
  assert.equal(at('model M {\n  input x: [4]\n  output x + |\n}').context.kind, 'expression');
  assert.equal(at('model M {\n  input x: [4]\n  output x\n  |\n}').context.kind, 'statement');
  assert.equal(at('model M {\n  input |').context.kind, 'none');
  assert.equal(at('|').context.kind, 'topLevel');
  assert.equal(at('model M {\n  input x: [4]\n  output x\n}\nmo|').context.kind, 'topLevel');
  assert.equal(at('model M {\n}\ntrain |').context.kind, 'modelName');
});

test('in a list or parentheses inside an argument, or after an operator in it: that call, the cursor in a part of its value', () => {
  for (const [src, callee, argName] of [
    [`${LENET_HEAD}-> reshape([-1, |])\n}`, 'reshape', undefined],
    [`${LENET_HEAD}-> conv2d(16, kernel = [3, (2 + |`, 'conv2d', 'kernel'],
    [`${LENET_HEAD}-> conv2d(16, (3 + |`, 'conv2d', undefined],
    [`${LENET_HEAD}-> dense(2 * d|)\n}`, 'dense', undefined],
  ] as const) {
    const r = at(src);
    assert.equal(r.context.kind, 'arg', src);
    if (r.context.kind !== 'arg') continue;
    assert.equal(r.context.call.callee, callee);
    assert.equal(r.context.call.argName, argName);
    assert.equal(r.context.call.nested, true, src);
  }
  // The whole value of an argument is not nested.
  const whole = at(`${LENET_HEAD}-> conv2d(16, padding = |)\n}`);
  assert.ok(whole.context.kind === 'arg' && !whole.context.call.nested);
  // Brackets in no call: an expression, as before.
  assert.equal(at('model M {\n  input x: [4]\n  y = (|\n}').context.kind, 'expression');
});

test('comments and strings offer nothing', () => {
  assert.equal(at(`${LENET_HEAD}# -> con|\n}`).context.kind, 'none');
  assert.equal(at(`${LENET_HEAD}// -> con|\n}`).context.kind, 'none');
  assert.equal(at('import "lib/con|"').context.kind, 'none');
});

test('train sections: keys not yet given, values by key, arguments of functions', () => {
  const keys = at('train LeNet5 {\n  loss: mse\n  |\n}');
  assert.equal(keys.context.kind, 'trainKey');
  if (keys.context.kind === 'trainKey') assert.deepEqual(keys.context.given, ['loss']);
  assert.deepEqual(keys.container, { kind: 'train', name: 'LeNet5' });

  const value = at('train LeNet5 {\n  loss: cr|\n}');
  assert.equal(value.context.kind, 'trainValue');
  if (value.context.kind === 'trainValue') assert.equal(value.context.key, 'loss');

  const arg = at('train LeNet5 {\n  optimizer: adam(|)\n}');
  assert.equal(arg.context.kind, 'trainArg');
  if (arg.context.kind === 'trainArg') {
    assert.equal(arg.context.key, 'optimizer');
    assert.equal(arg.context.call.callee, 'adam');
  }
  const metrics = at('train LeNet5 {\n  metrics: [|]\n}');
  assert.equal(metrics.context.kind, 'trainValue');
});

test('callAt finds the innermost call and the active argument', () => {
  const c = callAtMarker(`${LENET_HEAD}-> conv2d(6, kernel = [3, |3])\n}`);
  assert.ok(c);
  assert.equal(c.callee, 'conv2d');
  assert.equal(c.argName, 'kernel');
  assert.equal(c.inTrain, false);
  const outer = callAtMarker(`${LENET_HEAD}-> conv2d(6, 5) -> dense(1|0)\n}`);
  assert.equal(outer?.callee, 'dense');
  assert.equal(callAtMarker(`${LENET_HEAD}-> conv2d(6, 5) -> |\n}`), undefined);
  const t = callAtMarker('train M {\n  optimizer: sgd(lr = 0.1, |)\n}');
  assert.equal(t?.callee, 'sgd');
  assert.equal(t?.inTrain, true);
  assert.equal(t?.key, 'optimizer');
  assert.equal(t?.positionalBefore, 0);
  assert.deepEqual(t?.given, ['lr']);
});

test('scan: numbers with exponents, strings, arrows and comments', () => {
  const { tokens } = scan('x = 1e-3 -> "a\\"b" # c\ny');
  assert.deepEqual(
    tokens.map((t) => `${t.kind}:${t.text}`),
    ['ident:x', 'op:=', 'number:1e-3', 'op:->', 'string:"a\\"b"', 'nl:\n', 'ident:y'],
  );
  assert.equal(scan('a # b', 4).inComment, true);
  assert.equal(scan('"ab', 2).inString, true);
});

test('// is floor division between operands, a comment elsewhere', () => {
  assert.equal(isFloorDiv('  h = dim // 2', 10), true);
  assert.equal(isFloorDiv('  // a comment', 2), false);
  assert.equal(isFloorDiv('  x -> relu // then more words', 13), false);
  assert.deepEqual(
    scan('h = dim // heads').tokens.map((t) => t.text),
    ['h', '=', 'dim', '//', 'heads'],
  );
  assert.deepEqual(
    scan('h = dim // two words').tokens.map((t) => t.text),
    ['h', '=', 'dim'],
  );
});

test('codeLength stops at comments but not inside strings', () => {
  assert.equal(codeLength('  x -> relu   # note'), '  x -> relu'.length);
  assert.equal(codeLength('import "a#b"  '), 'import "a#b"'.length);
  assert.equal(codeLength('h = dim // 2'), 'h = dim // 2'.length);
  assert.equal(codeLength('# only'), 0);
});
