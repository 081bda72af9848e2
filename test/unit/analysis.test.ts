import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { Sym, shapeToString } from '../../extension/core/analysis/sym';
import { summaryRows } from '../../extension/core/analysis/summary';
import type { Analysis, Diagnostic, Graph, GroupNode, LayerNode } from '../../extension/core/analysis/types';
import { SHARED_IN_BLOCK_MODEL } from './exportFixtures';
import { LENET5 as LENET, GPT2_SMALL as GPT2 } from '../fixtures/contract';



function errors(a: Analysis): Diagnostic[] {
  return a.diagnostics.filter((d) => d.severity === 'error');
}

function only(a: Analysis, code: string): Diagnostic {
  const found = a.diagnostics.filter((d) => d.code === code);
  assert.equal(found.length, 1, `expected one ${code}, got: ${JSON.stringify(a.diagnostics.map((d) => [d.code, d.message]))}`);
  return found[0];
}

function model(src: string) {
  const a = analyze(src);
  assert.deepEqual(errors(a).map((d) => d.message), []);
  return a.models[0];
}

test('LeNet-5: the contract figures hold exactly', () => {
  const a = analyze(LENET);
  assert.deepEqual(a.diagnostics, []);
  const m = a.models[0];
  assert.equal(m.params.trainable.value, 61706);
  assert.equal(m.params.nonTrainable.value, 0);
  assert.equal(m.macs.value, 416520);
  assert.equal(shapeToString(m.outputs[0].shape), '[10]');
  const layers = m.graph.nodes.filter((n) => n.kind === 'layer');
  const shapes = layers.filter((n) => n.kind === 'layer' && ['conv2d', 'avgpool', 'flatten', 'dense'].includes(n.op)).map((n) => shapeToString(n.shape));
  assert.deepEqual(shapes, ['[28, 28, 6]', '[14, 14, 6]', '[10, 10, 16]', '[5, 5, 16]', '[400]', '[120]', '[84]', '[10]']);
  const params = layers.filter((n) => n.kind === 'layer' && n.params.trainable.value! > 0).map((n) => (n.kind === 'layer' ? n.params.trainable.value : 0));
  assert.deepEqual(params, [156, 2416, 48120, 10164, 850]);
  const macs = layers.filter((n) => n.kind === 'layer' && n.macs.value! > 0).map((n) => (n.kind === 'layer' ? n.macs.value : 0));
  assert.deepEqual(macs, [117600, 240000, 48000, 10080, 840]);
});

test('GPT-2 small: 124 439 808 trainable parameters, output [seq, 50257], symbolic MACs', () => {
  const a = analyze(GPT2);
  assert.deepEqual(errors(a), []);
  const m = a.models[0];
  assert.equal(m.params.trainable.value, 124439808);
  assert.equal(shapeToString(m.outputs[0].shape), '[seq, 50257]');
  assert.deepEqual(m.symbols, ['seq']);
  assert.equal(m.macs.value, undefined, 'MACs depend on seq');
  assert.ok(m.macs.toString().includes('seq^2'), m.macs.toString());
  // A repeated block that keeps its shape is analysed once: one run of 12.
  const group = m.graph.nodes.find((n): n is GroupNode => n.kind === 'group')!;
  assert.equal(group.repeat, 12);
  assert.equal(group.runs.length, 1);
  assert.equal(group.runs[0].count, 12);
});

test('shared layer objects count their weights once', () => {
  const m = model(`model Tied {
  input t: int[seq]
  emb = embedding(100, 16)
  a = t -> emb
  b = t -> emb
  output (a + b) -> unembed(emb)
}`);
  assert.equal(m.params.trainable.value, 1600);
  const uses = m.graph.nodes.filter((n) => n.kind === 'layer' && n.object === 'emb');
  assert.equal(uses.length, 2);
  assert.equal(uses[1].kind === 'layer' && uses[1].sharedWith, uses[0].id);
});

test('a layer object first applied in a block body is one set of weights: caller, other calls, repeats', () => {
  const a = analyze(`${SHARED_IN_BLOCK_MODEL}
model OtherD {
  input x: [4]
  d = dense(8)
  output x -> apply_once(d) -> dense(3)
}

model Alias {
  input x: [4]
  d = dense(4)
  e = d
  output x -> e -> relu -> d -> dense(3)
}
`);
  assert.deepEqual(errors(a).map((d) => d.message), []);
  const params = (name: string) => a.models.find((m) => m.name === name)!.params.trainable.value;
  // d: 4·4 + 4 = 20, once; dense(3): 15.
  assert.equal(params('FirstInBlock'), 35);
  assert.equal(params('RepeatedInBlock'), 35);
  assert.equal(params('TwoCalls'), 35);
  // Each call of own_proj has its own p (20), applied twice in it.
  assert.equal(params('OwnObjects'), 55);
  // Another model's `d` is another layer, not the cached body of apply_once(d) of the models above: 4·8 + 8 + 8·3 + 3.
  assert.equal(params('OtherD'), 67);
  // A name bound to the object is the object, applied before or after the binding.
  assert.equal(params('Alias'), 35);
  for (const name of ['FirstInBlock', 'RepeatedInBlock', 'TwoCalls']) {
    const uses: LayerNode[] = [];
    const walk = (g: Graph) => {
      for (const n of g.nodes) {
        if (n.kind === 'layer' && n.object === 'd') uses.push(n);
        if (n.kind === 'group') for (const r of n.runs) walk(r.body);
      }
    };
    walk(a.models.find((m) => m.name === name)!.graph);
    assert.ok(uses.length >= 2, name);
    assert.equal(new Set(uses.map((n) => n.objectId)).size, 1, `${name}: one object`);
    assert.equal(uses.filter((n) => n.sharedWith === undefined).length, 1, `${name}: one application holds the weights`);
    assert.equal(uses.filter((n) => n.params.trainable.value === 20).length, 1, name);
  }
});

test('rebinding: the later binding wins', () => {
  const m = model(`model M {
  input x: [8]
  x = x -> dense(4)
  x = x -> dense(2)
  output x
}`);
  assert.equal(shapeToString(m.outputs[0].shape), '[2]');
  assert.equal(m.params.trainable.value, 8 * 4 + 4 + 4 * 2 + 2);
});

test('block defaults use earlier parameters; other inputs bind by name', () => {
  const a = analyze(`block mlp(dim, hidden = 4 * dim) {
  input x
  output x -> dense(hidden) -> dense(dim)
}
block cross(heads) {
  input x
  input memory
  output x + x -> attention(heads, context = memory)
}
model M {
  input a: [10, 32]
  input b: [7, 32]
  output a -> mlp(32) -> cross(4, memory = b)
}`);
  assert.deepEqual(errors(a), []);
  const m = a.models[0];
  assert.equal(shapeToString(m.outputs[0].shape), '[10, 32]');
  // mlp: 32*128+128 + 128*32+32 ; attention 4*(32*32+32)
  assert.equal(m.params.trainable.value, 32 * 128 + 128 + 128 * 32 + 32 + 4 * (32 * 32 + 32));
});

test('a repeat whose shape changes keeps one run per distinct step', () => {
  const m = model(`model M {
  input x: [32, 32, 3]
  output x -> maxpool(2) * 3
}`);
  assert.equal(shapeToString(m.outputs[0].shape), '[4, 4, 3]');
  const g = m.graph.nodes.find((n): n is GroupNode => n.kind === 'group')!;
  assert.equal(g.runs.length, 3);
});

test('symbolic arithmetic is kept where exact', () => {
  const m = model(`model M {
  input x: [seq, 16]
  output x -> cls_token -> conv1d(8, 3, padding = valid)
}`);
  assert.equal(shapeToString(m.outputs[0].shape), '[seq - 1, 8]');
});

test('absurd repeat counts are bounded, not hung', () => {
  const t0 = Date.now();
  const a = analyze(`model M {
  input x: [8]
  output x -> dense(8) * 1000000
}`);
  assert.ok(Date.now() - t0 < 1000);
  only(a, 'repeat.too_large');
});

test('an output size past what a number holds is said as more than the limit, not Infinity', () => {
  const a = analyze(`model M {\n  input x: [${new Array(2000).fill(2).join(', ')}]\n  output x -> flatten\n}\n`);
  only(a, 'shape.too_large');
  assert.equal(errors(a)[0].message, 'flatten would give an output of [more than 2147483647], larger than any runtime allows.');
});

test('a shape-keeping repeat of 10 000 costs one analysis', () => {
  const t0 = Date.now();
  const a = analyze(`model M {
  input x: [8]
  output x -> dense(8) * 10000
}`);
  assert.ok(Date.now() - t0 < 500);
  assert.equal(a.models[0].params.trainable.value, 10000 * 72);
});

// ------------------------------------------------------------- diagnostics

test('unknown layer: did you mean, with a quick fix', () => {
  const a = analyze(`model M {
  input x: [8]
  output x -> dense(10) -> softmx
}`);
  const d = only(a, 'name.unknown_layer');
  assert.match(d.message, /softmx/);
  assert.match(d.message, /softmax/);
  assert.equal(d.range.start.line, 2);
  assert.equal(d.range.start.character, 27);
  assert.equal(d.fixes?.[0].edits[0].newText, 'softmax');
  assert.equal(d.fixes?.[0].preferred, true);
});

test('unknown name and argument, with suggestions', () => {
  const a = analyze(`model M {
  input image: [8, 8, 1]
  output imag -> conv2d(4, 3, paddng = same)
}`);
  assert.match(only(a, 'name.unknown').message, /Did you mean 'image'/);
  const arg = only(a, 'arg.unknown');
  assert.match(arg.message, /padding/);
});

test("PyTorch's and Keras's spellings are suggested: layer names, a case-only difference alone, Python's True", () => {
  const text = 'model M {\n  input x: int[seq]\n  h = x -> embedding(100, 32) -> attention(4, causal = True) -> attention(4, causal = yes)\n  output h -> Linear(10) -> MultiheadAttention(2) -> BatchNorm2d -> ReLU -> AdaptiveAvgPool2d\n}\n';
  const a = analyze(text);
  assert.deepEqual(a.diagnostics.map((d) => d.message), [
    "attention's 'causal' takes true or false; got the word 'True'. Did you mean 'true'?",
    "attention's 'causal' takes true or false; got the word 'yes'.",
    "unknown layer or block 'Linear'. Did you mean 'dense'?",
    "unknown layer or block 'MultiheadAttention'. Did you mean 'attention'?",
    "unknown layer or block 'BatchNorm2d'. Did you mean 'batchnorm'?",
    "unknown layer or block 'ReLU'. Did you mean 'relu'?",
    "unknown layer or block 'AdaptiveAvgPool2d'. Did you mean 'global_avgpool'?",
  ]);
  assert.deepEqual(a.diagnostics[1].fixes, undefined);
  let fixed = text;
  for (const d of [...a.diagnostics].reverse()) {
    const e = d.fixes?.[0]?.edits[0];
    if (e) fixed = fixed.slice(0, e.range.start.offset) + e.newText + fixed.slice(e.range.end.offset);
  }
  assert.match(fixed, /attention\(4, causal = true\)/);
  assert.match(fixed, /output h -> dense\(10\) -> attention\(2\) -> batchnorm -> relu -> global_avgpool/);
});

test("a PyTorch name for an argument given already by position is not offered a fix that gives it twice", () => {
  const a = analyze('model M {\n  input x: [32, 32, 3]\n  y = x -> conv2d(3, 32, kernel_size = 3)\n  output y -> conv2d(8, kernel_size = 3)\n}\n');
  const [pos, named] = a.diagnostics.filter((d) => d.code === 'arg.unknown');
  assert.match(pos.message, /^conv2d has no argument 'kernel_size'\. Its 'kernel' is given already, by position: 32\. The input's channels are not an argument \(as PyTorch's in_channels is\): conv2d\(filters, kernel, \.\.\.\)\./);
  assert.deepEqual(pos.fixes, []);
  // Not given yet: renamed as before.
  assert.equal(named.fixes?.[0].title, "Change to 'kernel'");
});

test('wrong type, enum and range of arguments', () => {
  const a = analyze(`model M {
  input x: [8, 8, 1]
  y = x -> conv2d(4, 3, padding = sme)
  z = x -> conv2d(4.5, 3)
  w = x -> dropout(1.5)
  output y, z, w
}`);
  assert.match(only(a, 'arg.enum').message, /Did you mean 'same'/);
  assert.match(only(a, 'arg.type').message, /whole number/);
  assert.match(only(a, 'arg.range').message, /rate/);
});

test("a word of another argument given by position says whose it is, with a fix that names it (\`conv2d(16, 3, same)\`)", () => {
  const text = 'model M {\n  input x: [8, 8, 3]\n  output x -> conv2d(4, 3, same) -> flatten -> dense(2, relu)\n}\n';
  const a = analyze(text);
  assert.deepEqual(
    a.diagnostics.map((d) => d.message),
    [
      "'same' is not a value for conv2d's 3rd argument, 'stride'; it is one for 'padding': write padding = same.",
      "'relu' is not a value for dense's 2nd argument, 'bias'; it is one for 'activation': write activation = relu.",
    ],
  );
  let fixed = text;
  for (const d of [...a.diagnostics].reverse()) {
    const e = d.fixes![0].edits[0];
    fixed = fixed.slice(0, e.range.start.offset) + e.newText + fixed.slice(e.range.end.offset);
  }
  assert.match(fixed, /conv2d\(4, 3, padding = same\) -> flatten -> dense\(2, activation = relu\)/);
  assert.deepEqual(analyze(fixed).diagnostics, []);
  // Given by name to the wrong argument, and the right one already given: the message, no fix that would give it twice.
  const named = only(analyze('model M {\n  input x: [8, 8, 3]\n  output x -> conv2d(4, 3, stride = same, padding = valid)\n}\n'), 'arg.type');
  assert.equal(named.message, "'same' is not a value for conv2d's 'stride'; it is one for 'padding': write padding = same.");
  assert.equal(named.fixes, undefined);
  // A word of no argument stays an unknown name.
  assert.match(only(analyze('model M {\n  input x: [8, 8, 3]\n  output x -> conv2d(4, 3, sane)\n}\n'), 'name.unknown').message, /'sane' is not defined here/);
});

test('too many values for a block: one error per call, on the extra values, with a fix that removes them', () => {
  const text = 'block b(filters) {\n  input x\n  output x -> dense(filters)\n}\nmodel M {\n  input x: [8]\n  y = x -> b(4, 2, 3)\n  output y -> b(2, 5)\n}\n';
  const a = analyze(text);
  assert.deepEqual(
    a.diagnostics.map((d) => `${d.code}@${d.range.start.line}:${d.range.start.character}-${d.range.end.character}`),
    ['arg.too_many@6:16-20', 'arg.too_many@7:19-20'],
  );
  assert.equal(a.diagnostics[0].message, "block 'b' takes 1 parameter: filters; this call gives 3 values by position.");
  assert.deepEqual(a.diagnostics[0].related?.map((r) => [r.message, r.range.start.line]), [["block 'b' is declared here", 0]]);
  let fixed = text;
  for (const d of [...a.diagnostics].reverse()) {
    for (const e of [...d.fixes![0].edits].reverse()) fixed = fixed.slice(0, e.range.start.offset) + e.newText + fixed.slice(e.range.end.offset);
  }
  assert.match(fixed, /y = x -> b\(4\)\n  output y -> b\(2\)/);
  assert.deepEqual(analyze(fixed).diagnostics, []);
  // A block without parameters: the first value is removed with the ',' after it.
  const none = 'block c() {\n  input x\n  output x -> relu\n}\nmodel M {\n  input x: [8]\n  output x -> c(3, x = x)\n}\n';
  const e = only(analyze(none), 'arg.too_many').fixes![0].edits[0];
  assert.match(none.slice(0, e.range.start.offset) + none.slice(e.range.end.offset), /c\(x = x\)/);
});

test("a block parameter's default may be a word (\`act = relu\`), read as the choice it names", () => {
  const block = 'block b(units, act = relu) {\n  input x\n  output x -> dense(units, activation = act)\n}\n';
  const a = analyze(`${block}model M {\n  input x: [8]\n  output x -> b(4) -> b(2, act = softmax)\n}\n`);
  assert.deepEqual(a.diagnostics, []);
  assert.equal(a.models[0].params.total.toString(), String(8 * 4 + 4 + 4 * 2 + 2));
  // A misspelt word is reported at the default, where it is written.
  const bad = only(analyze(`${block.replace('act = relu', 'act = rleu')}model M {\n  input x: [8]\n  output x -> b(4)\n}\n`), 'arg.enum');
  assert.equal(bad.range.start.line, 0);
  assert.match(bad.message, /got 'rleu'\. Did you mean 'relu'\?/);
});

test('missing required argument', () => {
  const a = analyze(`model M {
  input x: [8]
  output x -> dense
}`);
  assert.match(only(a, 'arg.missing').message, /units/);
});

test('shape mismatch in + and concat shows both shapes', () => {
  const a = analyze(`model M {
  input x: [8, 8, 16]
  y = x -> conv2d(32, 1)
  output x + y
}`);
  const d = only(a, 'shape.mismatch');
  assert.match(d.message, /\[8, 8, 16\]/);
  assert.match(d.message, /\[8, 8, 32\]/);
  const b = analyze(`model M {
  input x: [8, 16]
  input y: [9, 16]
  output concat(x, y, axis = -1)
}`);
  const c = only(b, 'shape.mismatch');
  assert.match(c.message, /\[8, 16\]/);
  assert.match(c.message, /\[9, 16\]/);
});

test('an input of a rank the layer does not take gets the rank message, not an error of the rule reading the wrong axes', () => {
  // attention on [4, 5, 16] read axis 1 as the features ("attention dim 5 is not divisible by heads 4");
  // positional read axis 0 as the positions ("raise maxlen"): fixing either exposed the rank error.
  const a = analyze(`model B {
  input img: [4, 5, 16]
  b = img -> attention(4)
  c = img -> positional(learned, maxlen = 2)
  output b, c
}`);
  assert.deepEqual(
    a.diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.character]),
    [
      ['shape.rank', 2, 13],
      ['shape.rank', 3, 13],
    ],
  );
  assert.match(a.diagnostics[0].message, /^attention expects an input of rank 2, but got \[4, 5, 16\] \(rank 3\)/);
  // A rule's own rank message, the more specific one, still wins.
  const d = analyze(`model M {
  input x: [784]
  output x -> conv2d(8, 3)
}`);
  assert.match(only(d, 'shape.rank').message, /reshape\(\[28, 28, 1\]\)/);
});

test('a block named like a layer is refused and calls keep the layer; a parameter given twice or named like an input is reported', () => {
  const a = analyze(`block dense(n) {
  input x
  output x -> relu
}
block b(d, d) {
  input x
  output x -> dense(d)
}
block c(x) {
  input x
  output x
}
model M {
  input y: [8]
  output y -> dense(3) -> b(2) -> c(1)
}`);
  assert.deepEqual(
    a.diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.character]),
    [
      ['name.layer_name', 0, 6],
      ['name.duplicate', 4, 11],
      ['name.duplicate', 9, 8],
    ],
  );
  assert.match(a.diagnostics[0].message, /'dense' is a layer of the catalogue; a block cannot take its name/);
  assert.deepEqual(a.diagnostics[0].fixes?.[0].edits[0].newText, 'dense_block');
  assert.deepEqual(a.diagnostics[1].related?.[0].range.start.character, 8);
  // dense(3) is the layer (it had silently become the block: 0 parameters, output [8]).
  assert.equal(a.models[0].params.trainable.value, 8 * 3 + 3 + 3 * 2 + 2);
});

test("a block's own mistakes are reported when every call of it stops before its body (an error upstream, a bad repeat)", () => {
  const block = `block res(f) {
  input x
  y = x -> conv2d(f, 3, paddng = same) -> relu
}
`;
  for (const call of ['image -> conv2d(8, 3) -> res(8)', 'image -> res(8) * 0', 'image -> res(8) * 1000000']) {
    const a = analyze(`${block}model M {
  input image: [784]
  output ${call}
}`);
    const codes = a.diagnostics.map((d) => `${d.code}@${d.range.start.line}:${d.range.start.character}`);
    assert.ok(codes.includes('block.no_output@0:6'), `${call}: ${codes.join(' ')}`);
    assert.ok(codes.includes('arg.unknown@2:24'), `${call}: ${codes.join(' ')}`);
  }
});

test('a mistake in a value a block call gave is shown on the call, with its fix there, not on the parameter in the block', () => {
  const a = analyze(`block b(act, n = 4) {
  input x
  output x -> dense(n, activation = act)
}
block outer(a) {
  input x
  output x -> b(a)
}
model M {
  input y: [8]
  output y -> b(gelu), y -> b(act = tanh), y -> b(softmx), y -> b(relu, 0), y -> outer(sigmoyd)
}`);
  const at = (d: Diagnostic) => `${d.code}@${d.range.start.line}:${d.range.start.character}`;
  assert.deepEqual(a.diagnostics.map(at), ['arg.enum@10:50', 'arg.range@10:72', 'arg.enum@10:87']);
  const [word, zero, passed] = a.diagnostics;
  // The fix edits the call's `softmx`; the body's `act` is related. It used to replace `act` in the block by 'softmax' for every caller.
  assert.deepEqual(word.fixes?.[0].edits[0], { range: word.range, newText: 'softmax' });
  assert.equal(word.related?.[0].message, "'act' is used here, in block 'b'");
  assert.equal(word.related?.[0].range.start.line, 2);
  assert.match(zero.message, /dense's 'units' must be at least 1; got 0/);
  // Passed on through another block's parameter (`outer(sigmoyd)` calls `b(a)`): on the call that wrote it, with
  // the fix there; it used to be reported on `act` in b's body, without a fix.
  assert.match(passed.message, /got 'sigmoyd'/);
  assert.deepEqual(passed.fixes?.[0].edits[0], { range: passed.range, newText: 'sigmoid' });
  assert.equal(passed.related?.[0].message, "'act' is used here, in block 'b'");
  // A default that is the wrong value (`m = 0`) is blamed on the default, where one edit mends every call.
  const b = analyze(`block inner(act, n) {
  input x
  output x -> dense(n, activation = act)
}
block outer(a, m = 0) {
  input x
  output x -> inner(a, m)
}
model M {
  input x: [8]
  output x -> outer(relu, 2), x -> outer(gelu)
}`);
  assert.deepEqual(b.diagnostics.map(at), ['arg.range@4:19']);
  assert.equal(b.diagnostics[0].related?.[0].message, "'n' is used here, in block 'inner'");
  // A value out of range passed on through two blocks: on the call that wrote it.
  const c = analyze(`block inner(act, n) {
  input x
  output x -> dense(n, activation = act)
}
block outer(a, m = 4) {
  input x
  output x -> inner(a, m)
}
model M {
  input x: [8]
  output x -> outer(relu, 0)
}`);
  assert.deepEqual(c.diagnostics.map(at), ['arg.range@10:26']);
  assert.equal(c.diagnostics[0].fixes, undefined);
});

test('a layer rule error about an argument a block parameter gave is shown on the call that gave it', () => {
  const a = analyze(`block enc(dim, heads) {
  input x
  output x + x -> layernorm -> attention(heads) -> dense(dim)
}
model M {
  input t: [16, 64]
  output t -> enc(64, 4), t -> enc(64, 5)
}`);
  const at = (d: Diagnostic) => `${d.code}@${d.range.start.line}:${d.range.start.character}`;
  // On the `5` of the second call, not on `heads` in the body (which both calls share).
  assert.deepEqual(a.diagnostics.map(at), ['arg.heads_divide@6:39']);
  assert.match(a.diagnostics[0].message, /attention dim 64 is not divisible by heads 5/);
  assert.equal(a.diagnostics[0].related?.[0].message, "'heads' is used here, in block 'enc'");
  // Written in the body itself, it stays there.
  const b = analyze(`block enc(dim) {
  input x
  output x -> attention(5) -> dense(dim)
}
model M {
  input t: [16, 64]
  output t -> enc(64)
}`);
  assert.deepEqual(b.diagnostics.map(at), ['arg.heads_divide@2:24']);
});

test('messages say what to change: later-parameter defaults, input sizes used as values, values after named ones, PyTorch argument names, every differing axis', () => {
  const a = analyze(`block b(h = 2 * d, d = 3) {
  input x
  input mem
  output x -> dense(h) + mem
}
model M {
  input t: [seq, 8]
  a = t -> reshape([seq, 8])
  c = t -> dense(units = 4, 3)
  d = t -> conv1d(16, kernel_size = 3)
  e = t -> b(4, memory = t)
  output a, c, d, e
}`);
  const by = (line: number) => a.diagnostics.filter((x) => x.range.start.line === line);
  assert.deepEqual(by(0).map((x) => x.message), ["'d' is a later parameter of block 'b': a default may use only the parameters before it. Move 'd' before 'h' in the block's parameters."]);
  assert.match(by(7)[0].message, /^'seq' is a symbolic size of the model's input, not a value: .*`reshape\(\[-1, 8\]\)`/);
  assert.match(by(8)[0].message, /^'units' is given twice: by name, and by this value's position \(values without a name fill dense's arguments in order: units, bias, activation\)/);
  // One mistake, one error: the misnamed argument is the missing one (no arg.missing for kernel), with its fix.
  assert.deepEqual(by(9).map((x) => x.code), ['arg.unknown']);
  assert.match(by(9)[0].message, /has no argument 'kernel_size'\. Did you mean 'kernel'\?/);
  assert.equal(by(9)[0].fixes?.[0].edits[0].newText, 'kernel');
  assert.match(by(10)[0].message, /Its parameters: h, d; its other inputs, given by name: mem\.$/);
  const add = analyze(`model M {
  input x: [16, 16, 3]
  a = x -> conv2d(16, 3, padding = same)
  b = x -> conv2d(32, 5)
  output a + b
}`);
  assert.match(only(add, 'shape.mismatch').message, /^cannot add \[16, 16, 16\] and \[12, 12, 32\]: height 16 ≠ 12, width 16 ≠ 12, channel 16 ≠ 32; .*`padding = same` keeps them/);
});

test('an error in a later step of a repeat says which step, and on what input', () => {
  const a = analyze(`block down(f) {
  input x
  output x -> conv2d(f, 3, stride = 2)
}
model M {
  input x: [16, 16, 3]
  a = x -> conv2d(8, 3, stride = 2) * 4
  b = x -> down(8) * 5
  c = x -> conv2d(8, 20) * 3
  output a, b, c
}`);
  const msgs = [...a.diagnostics].sort((x, y) => x.range.start.line - y.range.start.line).map((d) => `${d.range.start.line}: ${d.message}`);
  assert.equal(msgs.length, 3, msgs.join('\n'));
  assert.match(msgs[0], /^2: conv2d: kernel 3 is larger than the input's 1 \(height\).* \(in the 4th of the 5 repeats, on \[1, 1, 8\]: each repeat takes the output of the one before\)\.$/);
  assert.match(msgs[1], /^6: .* \(in the 4th of the 4 repeats, on \[1, 1, 8\]: each repeat takes the output of the one before\)\.$/);
  // The first step is the call as written: no note.
  assert.match(msgs[2], /^8: conv2d: kernel 20 is larger than the input's 16 \(height\)[^(]*$/);
});

test('an unclosed import path is one error: no import.not_found beside it, and a file that exists is still used', () => {
  const text = 'import "lib.nnmodel\nmodel A {\n  input x: [4]\n  output x -> b(2)\n}\n';
  assert.deepEqual(analyze(text, { readImport: () => undefined }).diagnostics.map((d) => d.code).filter((c) => c.startsWith('syntax') || c.startsWith('import')), ['syntax.unterminated_string']);
  const lib = { uri: 'lib.nnmodel', text: 'block b(n) {\n  input x\n  output x -> dense(n)\n}\n' };
  assert.deepEqual(analyze(text, { readImport: () => lib }).diagnostics.map((d) => d.code), ['syntax.unterminated_string']);
  // Closed, a missing file is still import.not_found.
  assert.ok(analyze(text.replace('nnmodel\n', 'nnmodel"\n'), { readImport: () => undefined }).diagnostics.some((d) => d.code === 'import.not_found'));
});

test('a wrong block argument is reported at every call that gives it, and at an imported block its use is related in that file', () => {
  const block = 'block b(act) {\n  input x\n  output x -> dense(4, activation = act)\n}\n';
  const a = analyze(`${block}model M {\n  input x: [8]\n  y = x -> b(softmx)\n  z = x -> b(softmx)\n  output y, z\n}\nmodel N {\n  input x: [8]\n  output x -> b(softmx)\n}\n`);
  assert.deepEqual(
    a.diagnostics.map((d) => `${d.code}@${d.range.start.line}:${d.range.start.character}`),
    ['arg.enum@6:13', 'arg.enum@7:13', 'arg.enum@12:16'],
  );
  const lib = { uri: 'file:///w/lib.nnmodel', text: block };
  const i = analyze('import "lib.nnmodel"\nmodel M {\n  input x: [8]\n  output x -> b(softmx)\n}\n', { uri: 'file:///w/app.nnmodel', readImport: () => lib });
  const d = only(i, 'arg.enum');
  assert.equal(d.range.start.line, 3);
  assert.deepEqual([d.related?.[0].uri, d.related?.[0].range.start.line], ['file:///w/lib.nnmodel', 2]);
});

test('an imported file\'s block named like a layer is not imported, and the import says so', () => {
  const lib = { uri: 'file:///w/lib.nnmodel', text: 'block dense(n) {\n  input x\n  output x -> relu\n}\n' };
  const a = analyze('import "lib.nnmodel"\nmodel M {\n  input x: [8]\n  output x -> dense(3)\n}\n', { uri: 'file:///w/app.nnmodel', readImport: () => lib });
  const d = only(a, 'name.layer_name');
  assert.equal(d.range.start.line, 0);
  assert.match(d.message, /^'lib\.nnmodel' has a block named like the layer 'dense' \(line 1\); it is not imported/);
  assert.equal(d.related?.[0].uri, 'file:///w/lib.nnmodel');
  assert.equal(a.models[0].params.trainable.value, 8 * 3 + 3);
});

test('an unknown argument of a layer that takes none says so', () => {
  const a = analyze(`model M {
  input x: [4]
  output x -> relu(foo = 1)
}`);
  assert.equal(only(a, 'arg.unknown').message, "relu has no argument 'foo'. It takes no arguments: write `relu`.");
});

test('wrong input rank, kernel larger than input, attention heads', () => {
  const a = analyze(`model M {
  input x: [784]
  output x -> conv2d(8, 3)
}`);
  assert.match(only(a, 'shape.rank').message, /\[784\]/);
  const b = analyze(`model M {
  input x: [3, 3, 1]
  output x -> conv2d(8, 5)
}`);
  assert.ok(b.diagnostics.some((d) => d.code === 'shape.kernel_too_large' || d.code === 'shape.output_below_1'));
  const c = analyze(`model M {
  input x: [10, 100]
  output x -> attention(8)
}`);
  assert.match(only(c, 'arg.heads_divide').message, /100/);
});

test('embedding on a non-integer input', () => {
  const a = analyze(`model M {
  input x: [10, 4]
  output x -> embedding(100, 8)
}`);
  only(a, 'shape.not_int');
});

test('unused value and input are warnings, faded', () => {
  const a = analyze(`model M {
  input x: [8]
  input extra: [3]
  y = x -> dense(4)
  output x -> dense(2)
}`);
  const v = only(a, 'value.unused');
  assert.equal(v.severity, 'warning');
  assert.deepEqual(v.tags, ['unnecessary']);
  assert.equal(only(a, 'input.unused').severity, 'warning');
});

test('model without output', () => {
  const a = analyze(`model M {
  input x: [8]
}`);
  only(a, 'model.no_output');
});

/** The text after the diagnostic's only fix, which the test expects to be titled `title`. */
function afterOnlyFix(text: string, code: string, title: string): string {
  const d = only(analyze(text), code);
  assert.equal(d.fixes?.length, 1, `${code}: ${JSON.stringify(d.fixes)}`);
  const fix = d.fixes![0];
  assert.equal(fix.title, title);
  let out = text;
  for (const e of [...fix.edits].sort((a, b) => b.range.start.offset - a.range.start.offset)) {
    out = out.slice(0, e.range.start.offset) + e.newText + out.slice(e.range.end.offset);
  }
  return out;
}

test('a missing output is fixed by outputting the last assigned value, or the input, with the body\'s indentation', () => {
  const chain = 'model M {\n    input x: [8]\n    h = x -> dense(4)\n    # a note\n    y = h\n        -> relu\n}\n';
  const fixed = afterOnlyFix(chain, 'model.no_output', 'Add `output y`');
  assert.equal(fixed, 'model M {\n    input x: [8]\n    h = x -> dense(4)\n    # a note\n    y = h\n        -> relu\n    output y\n}\n');
  assert.deepEqual(analyze(fixed).diagnostics, []);
  // No assignment: the (last) input; a brace indented with the model.
  const nested = '  model M {\n    input a: [8]\n    input b: [8]\n  }\n';
  assert.equal(afterOnlyFix(nested, 'model.no_output', 'Add `output b`'), '  model M {\n    input a: [8]\n    input b: [8]\n    output b\n  }\n');
  // Comments after the last statement stay where they are, the new line goes right above the brace.
  const commented = 'model M {\n  input x: [8]\n  y = x -> dense(4)   # → [4]\n\n  # done\n}\n';
  assert.equal(afterOnlyFix(commented, 'model.no_output', 'Add `output y`'), 'model M {\n  input x: [8]\n  y = x -> dense(4)   # → [4]\n\n  # done\n  output y\n}\n');
  // A body on one line gets the output and the brace on lines of their own.
  const one = afterOnlyFix('model M { input x: [8] }', 'model.no_output', 'Add `output x`');
  assert.equal(one, 'model M { input x: [8]\n  output x\n}');
  assert.ok(!analyze(one).diagnostics.some((d) => d.severity === 'error'), JSON.stringify(analyze(one).diagnostics));
  // A block: the same fix.
  const block = 'block b(n) {\n  input x\n  y = x -> dense(n)\n}\nmodel M {\n  input x: [8]\n  output x -> b(2)\n}\n';
  const fixedBlock = afterOnlyFix(block, 'block.no_output', 'Add `output y`');
  assert.equal(fixedBlock, block.replace('  y = x -> dense(n)\n', '  y = x -> dense(n)\n  output y\n'));
  assert.deepEqual(analyze(fixedBlock).diagnostics, []);
  // The brace on the last statement's line goes to the declaration's column, not to its old one.
  const tail = 'model M {\n  input x: [4]\n  y = x -> dense(3) }\n';
  assert.equal(afterOnlyFix(tail, 'model.no_output', 'Add `output y`'), 'model M {\n  input x: [4]\n  y = x -> dense(3)\n  output y\n}\n');
  // A layer object or a number cannot be an output: the last tensor is offered instead.
  const object = 'model M {\n  input x: int[8]\n  h = x -> embedding(10, 8)\n  wte = embedding(10, 8)\n}\n';
  assert.equal(afterOnlyFix(object, 'model.no_output', 'Add `output h`'), object.replace('}\n', '  output h\n}\n'));
  const number = 'block b {\n  input x\n  y = x -> relu\n  k = 3\n}\nmodel M {\n  input x: [8]\n  output x -> b\n}\n';
  const fixedNumber = afterOnlyFix(number, 'block.no_output', 'Add `output y`');
  assert.ok(!analyze(fixedNumber).diagnostics.some((d) => d.severity === 'error'), JSON.stringify(analyze(fixedNumber).diagnostics));
});

test('no output fix when there is nothing to output or the body did not parse', () => {
  assert.equal(only(analyze('model M {\n}\n'), 'model.no_output').fixes, undefined);
  // An unclosed bracket inside the body, reported there or where the file ends: the body is not what the text says.
  for (const text of ['model M {\n  input x: [8]\n  y = x -> dense(\n}\n', 'model M {\n  input x: [8]\n  y = x -> dense(3\n']) {
    assert.equal(only(analyze(text), 'model.no_output').fixes, undefined, text);
  }
  // A syntax error in another item does not stop it.
  const other = analyze('model M {\n  input x: [8]\n}\nmodel N {\n  input y: [8]\n  output y -> dense(\n}\n');
  assert.equal(only(other, 'model.no_output').fixes?.[0].title, 'Add `output x`');
});

test('recursive blocks are an error, not a hang', () => {
  const a = analyze(`block a(n) {
  input x
  output x -> b(n)
}
block b(n) {
  input x
  output x -> a(n)
}
model M {
  input x: [8]
  output x -> a(1)
}`);
  assert.ok(a.diagnostics.some((d) => d.code === 'block.recursive'));
});

test('train section: unknown model, bad data source, loss that does not fit', () => {
  const a = analyze(`${LENET}
train LeNet { data: digits() }
`);
  assert.match(only(a, 'train.unknown_model').message, /LeNet5/);
  const b = analyze(`${LENET}
train LeNet5 {
  data: digts(samples = 100)
}`);
  assert.match(only(b, 'train.bad_data').message, /digits/);
  const c = analyze(`model R {
  input x: [4]
  output x -> dense(1)
}
train R {
  data: csv("data/iris.csv", label = "y")
  loss: crossentropy
}`);
  only(c, 'train.loss_output');
  const d = analyze(`${LENET}
train LeNet5 {
  data: digits(samples = 100, size = 28)
}`);
  assert.match(only(d, 'train.data_shape').message, /digits\(size = 32\)/);
  const ok = analyze(`${LENET}
train LeNet5 {
  data: digits(samples = 600, size = 32)
  loss: crossentropy
  optimizer: adam(lr = 1e-3)
  epochs: 3
  batch: 64
  validation: 0.1
  metrics: [accuracy]
}`);
  assert.deepEqual(errors(ok), []);
  assert.equal(ok.trains[0].config.optimizer.lr, 1e-3);
  assert.equal(ok.trains[0].config.epochs, 3);
});

test('one syntax error leaves the rest of the file analysed', () => {
  const a = analyze(`model Broken {
  input x: [8]
  y = x -> dense(4
  output x
}
${LENET}`);
  assert.ok(a.diagnostics.some((d) => d.code.startsWith('syntax.')));
  const lenet = a.models.find((m) => m.name === 'LeNet5')!;
  assert.equal(lenet.params.trainable.value, 61706);
});

test('imports bring blocks of another file', () => {
  const files: Record<string, string> = {
    '/w/blocks.nnmodel': `block mlp(dim) {
  input x
  output x -> dense(dim) -> relu
}`,
  };
  const a = analyze(
    `import "blocks.nnmodel"
model M {
  input x: [8]
  output x -> mlp(4)
}`,
    {
      uri: '/w/main.nnmodel',
      readImport: (_from, path) => {
        const uri = `/w/${path}`;
        return files[uri] !== undefined ? { uri, text: files[uri] } : undefined;
      },
    },
  );
  assert.deepEqual(errors(a), []);
  assert.equal(a.models[0].params.trainable.value, 36);
  const missing = analyze(`import "nope.nnmodel"\nmodel M {\n  input x: [1]\n  output x\n}`, { uri: '/w/a.nnmodel', readImport: () => undefined });
  only(missing, 'import.not_found');
});

test('sites give hovers the shapes of each call; symbols give references', () => {
  const a = analyze(LENET);
  const conv = a.sites.find((s) => s.kind === 'layer' && s.name === 'conv2d')!;
  assert.equal(shapeToString(conv.outShape!), '[28, 28, 6]');
  assert.equal(shapeToString(conv.inShapes[0]), '[32, 32, 1]');
  assert.equal(conv.params?.trainable.value, 156);
  const g = analyze(GPT2);
  const wte = g.symbols.find((s) => s.name === 'wte')!;
  assert.equal(wte.kind, 'object');
  assert.equal(wte.references.length, 2);
  const block = g.symbols.find((s) => s.name === 'gpt_block')!;
  assert.equal(block.references.length, 1);
});

test('summary rows: layers with lines, groups with their repeat', () => {
  const g = analyze(GPT2);
  const rows = summaryRows(g.models[0]);
  const group = rows.find((r) => r.kind === 'group')!;
  assert.equal(group.label, 'gpt_block × 12');
  assert.equal(group.line, 10);
  assert.ok(rows.some((r) => r.depth === 1 && r.op === 'attention'));
});

test('with a uri, a block of the same file gets sites and in-place diagnostics', () => {
  const a = analyze(
    `block mlp(dim) {
  input x
  output x -> dense(dim) -> relu -> softmx
}
model M {
  input x: [8]
  output x -> mlp(4)
}`,
    { uri: 'file:///w/m.nnmodel' },
  );
  const d = only(a, 'name.unknown_layer');
  assert.equal(d.range.start.line, 2);
  assert.equal(d.related, undefined);
  const ok = analyze(GPT2, { uri: 'file:///w/gpt.nnmodel' });
  const attn = ok.sites.find((s) => s.kind === 'layer' && s.name === 'attention');
  assert.ok(attn, 'a layer inside a block has a site');
  assert.equal(shapeToString(attn!.outShape!), '[seq, 768]');
});

test('a layer applied again to the same arguments and shapes shares its results, and only those', () => {
  const a = analyze(`model A {
  input x: [8, 8, 3]
  input t: [seq, 16]
  a = x -> conv2d(4, 3, padding = same) -> relu
  b = x -> conv2d(4, 3, padding = same) -> relu
  c = x -> conv2d(4, kernel = 3, padding = same)
  d = x -> conv2d(4, 3)
  e = x -> conv2d(4, 3, padding = "same")
  f = t -> dense(32) -> dense(32)
  g = t -> dense(32)
  s = a + b
  output s, c, d, e, f, g, s + s
}
model B {
  input x: [8, 8, 3]
  output x -> conv2d(4, 3, padding = same)
}`);
  assert.deepEqual(errors(a), []);
  const [ma, mb] = a.models;
  const layers = ma.graph.nodes.filter((n) => n.kind === 'layer');
  const convs = layers.filter((n) => n.op === 'conv2d');
  assert.equal(convs.length, 5);
  const [ca, cb, cc, cd, ce] = convs;
  // Same arguments (however written) and input shape: one shape, weights, counts and argument record.
  for (const n of [cb, cc, ce]) {
    assert.equal(n.shape, ca.shape);
    assert.equal(n.weights, ca.weights);
    assert.equal(n.params, ca.params);
    assert.equal(n.args, ca.args);
    assert.notEqual(n.id, ca.id);
    assert.notEqual(n.label, undefined);
  }
  assert.equal(cc.label, 'conv2d(4, kernel = 3, padding = same)');
  // Across models of one analysis too.
  const other = mb.graph.nodes.find((n) => n.kind === 'layer' && n.op === 'conv2d')!;
  assert.equal(other.kind === 'layer' && other.weights, ca.weights);
  // Other arguments: other results, computed by the rules.
  assert.notEqual(cd.shape, ca.shape);
  assert.equal(shapeToString(cd.shape), '[6, 6, 4]');
  assert.equal(shapeToString(ca.shape), '[8, 8, 4]');
  assert.equal(ca.params.trainable.value, 4 * 27 + 4);
  // Same arguments on another shape: not shared.
  const dense = layers.filter((n) => n.op === 'dense');
  assert.deepEqual(dense.map((n) => shapeToString(n.shape)), ['[seq, 32]', '[seq, 32]', '[seq, 32]']);
  assert.notEqual(dense[1].weights, dense[0].weights);
  assert.equal(dense[2].weights, dense[0].weights);
  assert.equal(dense[1].params.trainable.value, 32 * 32 + 32);
  assert.equal(dense[0].params.trainable.value, 16 * 32 + 32);
  assert.equal(dense[0].macs.toString(), '512*seq');
  // `+` of equal shapes.
  const adds = layers.filter((n) => n.op === 'add');
  assert.equal(adds.length, 2);
  assert.equal(adds[1].shape, adds[0].shape);
  assert.equal(adds[1].args, adds[0].args);
  // The hovers (sites) of shared applications give the same figures.
  const sites = a.sites.filter((s) => s.kind === 'layer' && s.name === 'conv2d');
  assert.deepEqual(sites.map((s) => s.params?.trainable.value), [112, 112, 112, 112, 112, 112]);
  // A model's totals count every application.
  assert.equal(ma.params.trainable.value, 5 * 112 + (16 * 32 + 32) * 2 + (32 * 32 + 32));
  // JSON of the graph has no trace of the sharing.
  const json = JSON.parse(JSON.stringify(ma.graph));
  assert.deepEqual(json.nodes[convs[1].id].shape, json.nodes[convs[0].id].shape);
});

test('an application that failed is not remembered: the same mistake is reported each time', () => {
  const a = analyze(`model A {
  input x: [4, 4, 3]
  a = x -> conv2d(4, 7)
  b = x -> conv2d(4, 7)
  c = x -> conv2d(4, 3)
  output a, b, c
}`);
  const errs = errors(a);
  assert.equal(errs.length, 2, JSON.stringify(errs.map((d) => d.message)));
  assert.deepEqual(
    errs.map((d) => d.range.start.line),
    [2, 3],
  );
  assert.equal(a.models[0].outputs.length, 1);
});

test('Sym.sum equals adding one term at a time, cancellations included', () => {
  const seq = Sym.atom('seq');
  const d = Sym.atom('d');
  const xs = [seq.mul(3), seq.mul(seq).mul(2), d.add(5), seq.mul(-3), Sym.of(7), d.mul(seq).sub(1), seq.mul(seq).mul(-2)];
  const ks = [1, 4, 2, 1, 3, 5, 4];
  let expected: Sym = Sym.of(11);
  for (let i = 0; i < xs.length; i++) expected = expected.add(xs[i].mul(ks[i]));
  const got = Sym.sum(xs, ks, 11);
  assert.ok(got.equals(expected), `${got} vs ${expected}`);
  assert.equal(got.toString(), expected.toString());
  assert.equal(got.toString(), '5*d*seq + 2*d + 37');
  // All symbolic terms cancel: a constant again.
  const none = Sym.sum([seq, seq.mul(-1)], undefined, 4);
  assert.equal(none.value, 4);
  assert.ok(none.isConst());
});

test('block defaults: each sees the parameters before it, given or defaulted, in any mix', () => {
  const a = analyze(`block b(d, h = 2 * d, k = h + 1) {
  input x
  output x -> dense(h) -> dense(k)
}
model M {
  input x: [5]
  p = x -> b(4)
  q = x -> b(4, k = 3)
  r = x -> b(4, h = 3)
  s = x -> b(h = 6, d = 1)
  output p, q, r, s
}`);
  assert.deepEqual(errors(a), []);
  assert.deepEqual(
    a.models[0].outputs.map((o) => shapeToString(o.shape)),
    ['[9]', '[3]', '[4]', '[7]'],
  );
  const missing = analyze(`block b(d, h = 2 * d, k) {
  input x
  output x -> dense(k)
}
model M {
  input x: [5]
  output x -> b(4)
}`);
  assert.equal(only(missing, 'arg.missing').message, "block 'b' needs its parameter 'k'.");
});

test('nodes of every instantiation and model have their own inputs, and labels with the values of their parameters', () => {
  const a = analyze(`block two(n) {
  input x
  output x -> dense(n) -> relu -> dense(n, activation = relu)
}
model A {
  input x: [3]
  output x -> two(4) -> two(5) -> dense(2) * 3
}
model B {
  input y: [3]
  y = y -> dense(2) -> two(4)
  output y
}`);
  assert.deepEqual(errors(a), []);
  const check = (g: import('../../extension/core/analysis/types').Graph): void => {
    for (let i = 0; i < g.nodes.length; i++) {
      const n = g.nodes[i];
      assert.equal(n.id, i);
      if (n.kind === 'input') continue;
      // A chain: each node takes the one before it.
      assert.deepEqual(n.inputs, [i - 1]);
      if (n.kind === 'group') for (const r of n.runs) check(r.body);
    }
  };
  for (const m of a.models) check(m.graph);
  const labels = (g: import('../../extension/core/analysis/types').Graph): string[] =>
    g.nodes.flatMap((n) => (n.kind === 'layer' ? [n.label] : n.kind === 'group' ? n.runs.flatMap((r) => labels(r.body)) : []));
  assert.deepEqual(labels(a.models[0].graph), [
    'dense(4)', 'relu', 'dense(4, activation = relu)',
    'dense(5)', 'relu', 'dense(5, activation = relu)',
    // `dense(2) * 3` on [5]: one run from [5], one (count 2) from [2].
    'dense(2)', 'dense(2)',
  ]);
  assert.deepEqual(labels(a.models[1].graph), ['dense(2)', 'dense(4)', 'relu', 'dense(4, activation = relu)']);
  // Sites in file order; a repeated call's inner layer comes before its group (same range).
  const order = a.sites.map((s) => `${s.range.start.line}:${s.range.start.character}-${s.range.end.offset}:${s.kind}`);
  const sorted = [...a.sites].sort((x, y) => x.range.start.offset - y.range.start.offset || y.range.end.offset - x.range.end.offset);
  assert.deepEqual(a.sites, sorted);
  const rep = a.sites.filter((s) => s.range.start.line === 6 && s.name === 'dense');
  assert.deepEqual(rep.map((s) => s.kind), ['layer', 'block'], order.join(' '));
  assert.equal(rep[1].repeat, 3);
});

test("a block input's shape binds its free names to the sizes each call receives", () => {
  const src = `block attn(groups = 8) {
  input x: [h, w, c]
  output x + x -> groupnorm(groups) -> reshape([h * w, c]) -> attention(1) -> reshape([h, w, c])
}

block widen {
  input x: [len, c]
  output x -> dense(2 * c)
}

model M {
  input image: [8, 4, 32]
  a = image -> attn
  b = image -> reshape([32, 32]) -> widen
  output concat(a -> flatten, b -> flatten)
}
`;
  const a = analyze(src);
  assert.deepEqual(a.diagnostics, []);
  const m = a.models[0];
  const layers = (nodes: readonly import('../../extension/core/analysis/types').GraphNode[]): string[] =>
    nodes.flatMap((n) => (n.kind === 'layer' ? [`${n.label} ${shapeToString(n.shape)}`] : n.kind === 'group' ? n.runs.flatMap((r) => layers(r.body.nodes)) : []));
  const all = layers(m.graph.nodes);
  // h·w tokens of c channels, back to the map; dense(2·c) with c = 32 from the second call (labels show the values).
  assert.ok(all.includes('groupnorm(8) [8, 4, 32]'), all.join(' | '));
  assert.ok(all.includes('reshape([32, 32]) [32, 32]'), all.join(' | '));
  assert.ok(all.includes('reshape([8, 4, 32]) [8, 4, 32]'), all.join(' | '));
  assert.ok(all.includes('dense(64) [32, 64]'), all.join(' | '));
  // Names bound this way are the block's own: references and go to definition find the pattern.
  const c = a.symbols.find((s) => s.name === 'c' && s.container === 'attn')!;
  assert.equal(c.kind, 'param');
  assert.equal(c.references.length, 2);
});

test('a name repeated in a block input pattern must be one size; symbolic sizes are no layer argument', () => {
  const src = `block square {
  input x: [n, n, c]
  output x -> conv2d(c, 3, padding = same)
}

block perToken {
  input x: [len, d]
  output x -> dense(len)
}

model Ok {
  input image: [8, 8, 3]
  output image -> square
}

model NotSquare {
  input image: [8, 6, 3]
  output image -> square
}

model Symbolic {
  input tokens: [seq, 16]
  output tokens -> perToken
}
`;
  const a = analyze(src);
  const mismatch = only(a, 'shape.mismatch');
  assert.equal(mismatch.message, "block 'square' declares input 'x' as [n, n, c], but receives [8, 6, 3]: its 2nd axis is n = 8, not 6.");
  // The second n, where the sizes disagree.
  assert.equal(mismatch.range.start.line, 1);
  assert.equal(mismatch.range.start.character, 15);
  const arg = only(a, 'arg.type');
  assert.match(arg.message, /dense's 'units' takes a whole number, but this is the symbolic size seq/);
  assert.equal(a.models.find((m) => m.name === 'Ok')!.hasErrors, false);
  // No warning for a pattern name the body does not use (n in square).
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'warning'), []);
});

test('a block input pattern of the wrong rank, or with a parameter of another size, is a mismatch; unused blocks check quietly', () => {
  const src = `block sized(c) {
  input x: [h, w, c]
  output x -> relu
}

block unused {
  input x: [h, w, c]
  output x -> reshape([h * w, c]) -> dense(c)
}

model M {
  input v: [16]
  a = v -> sized(16)
  output a
}

model N {
  input image: [4, 4, 3]
  output image -> sized(8)
}
`;
  const a = analyze(src);
  const found = a.diagnostics.filter((d) => d.code === 'shape.mismatch').map((d) => d.message);
  assert.deepEqual(found.sort(), [
    "block 'sized' declares input 'x' as [h, w, c], but receives [16].",
    "block 'sized' declares input 'x' as [h, w, c], but receives [4, 4, 3]: its 3rd axis is c = 8, not 3.",
  ]);
  // The unused block is checked on its own with unknown sizes: no error from its pattern names.
  assert.deepEqual(a.diagnostics.filter((d) => d.range.start.line >= 5 && d.range.start.line <= 8 && d.severity === 'error'), []);
});

test('every model that uses a broken block has errors, though the block reports its error once', () => {
  for (const bad of ['nosuchlayer(3)', 'dense(-1)']) {
    const a = analyze(
      `block b(n) {\n  input x\n  output x -> ${bad} -> dense(n)\n}\n` +
        'model A {\n  input x: [4]\n  output x -> b(4)\n}\n' +
        'model B {\n  input x: [4]\n  output x -> b(4) * 2\n}\n' +
        'model C {\n  input x: [4]\n  output x -> dense(2)\n}\n',
    );
    assert.equal(errors(a).length, 1, `${bad}: one diagnostic`);
    // hasErrors stops a build and marks the totals incomplete: B reuses A's instantiation of b.
    assert.deepEqual(a.models.map((m) => [m.name, m.hasErrors]), [['A', true], ['B', true], ['C', false]], bad);
  }
});
