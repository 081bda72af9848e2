import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../../extension/core/analysis/analyze';
import { Sym, displaySym, shapeToString } from '../../extension/core/analysis/sym';
import { parseSym } from '../../extension/core/protocol';
import { runCli } from '../fixtures/cli';

// Floor atoms are named by their formula, which can itself hold a product
// (`⌊(2*seq - 3)/4⌋`): a monomial of such atoms must never be cut inside one.

const seq = Sym.atom('seq');
const d = Sym.atom('d');
/** `⌊(2*seq - 3)/4⌋`: the inner polynomial has a product term. */
const F = seq.mul(2).sub(3).floorDiv(4);
const FN = '⌊(2*seq - 3)/4⌋';
/** `⌊(d*seq - 1)/2⌋`: a product of two atoms inside. */
const G = seq.mul(d).sub(1).floorDiv(2);
const GN = '⌊(d*seq - 1)/2⌋';

/** Throws unless every ⌊⌋, ⌈⌉ and () in `s` is balanced and properly nested. */
function assertWellFormed(s: string): void {
  const open: Record<string, string> = { ')': '(', '⌋': '⌊', '⌉': '⌈' };
  const stack: string[] = [];
  for (const c of s) {
    if (c === '(' || c === '⌊' || c === '⌈') stack.push(c);
    else if (c in open) assert.equal(stack.pop(), open[c], `unbalanced '${c}' in ${JSON.stringify(s)}`);
  }
  assert.deepEqual(stack, [], `unclosed brackets in ${JSON.stringify(s)}`);
}

/** Every string anywhere in `x`. */
function strings(x: unknown, out: string[] = []): string[] {
  if (typeof x === 'string') out.push(x);
  else if (Array.isArray(x)) for (const v of x) strings(v, out);
  else if (x && typeof x === 'object') for (const v of Object.values(x)) strings(v, out);
  return out;
}

test('floorDiv names its atom by the formula, products included', () => {
  assert.equal(F.toString(), FN);
  assert.equal(G.toString(), GN);
  assert.deepEqual(F.atoms(), [FN]);
});

test('a floor atom with a product inside, squared, prints whole', () => {
  const sq = F.mul(F);
  assert.equal(sq.toString(), `${FN}^2`);
  assert.deepEqual(sq.atoms(), [FN]);
  assert.deepEqual(sq.monomials(), [{ coef: 1, atoms: [[FN, 2]] }]);
  assertWellFormed(sq.toString());
});

test('the product of two floor atoms whose inners have products', () => {
  const p = F.mul(G);
  // Atoms of a monomial in code-unit order of their names: '2' < 'd'.
  assert.equal(p.toString(), `${FN}*${GN}`);
  assert.deepEqual(p.atoms(), [FN, GN]);
  assert.deepEqual(p.monomials(), [{ coef: 1, atoms: [[FN, 1], [GN, 1]] }]);
  const q = F.add(1).mul(G.add(seq)).mul(3);
  assert.equal(q.toString(), `3*${FN}*${GN} + 3*seq*${FN} + 3*${GN} + 3*seq`);
  assertWellFormed(q.toString());
  assert.deepEqual(q.atoms(), ['seq', FN, GN]);
});

test('equality and canonical order do not depend on how a Sym was built', () => {
  const a = F.mul(G).add(seq.mul(F)).add(F.mul(F)).add(7);
  const b = Sym.of(7).add(F.mul(F)).add(F.mul(seq)).add(G.mul(F));
  assert.ok(a.equals(b));
  assert.equal(a.toString(), b.toString());
  assert.equal(a.toString(), `${FN}^2 + ${FN}*${GN} + seq*${FN} + 7`);
  assert.ok(!F.mul(F).equals(F.mul(G)));
  assert.ok(!F.mul(F).equals(F.mul(2)));
  assert.ok(F.mul(G).sub(G.mul(F)).equals(0));
  // Highest degree first, then by name.
  assert.equal(seq.mul(seq).mul(seq).add(F.mul(F)).add(seq).toString(), `seq^3 + ${FN}^2 + seq`);
});

test('a floor of a formula that already holds a floor atom', () => {
  const h = F.mul(F).sub(1).floorDiv(4);
  const hn = `⌊(${FN}^2 - 1)/4⌋`;
  assert.equal(h.toString(), hn);
  assert.equal(h.mul(h).mul(F).toString(), `${FN}*${hn}^2`);
  assert.deepEqual(h.mul(F).atoms(), [FN, hn]);
});

test('evaluate takes values for whole atoms, a floor atom included', () => {
  const x = F.mul(F).mul(3).add(F.mul(seq)).add(1);
  assert.equal(x.evaluate({ seq: 10, [FN]: 8 }), 3 * 64 + 80 + 1);
  assert.equal(x.evaluate({ seq: 10, [FN]: 7 }), 3 * 49 + 70 + 1, 'a value given for the atom wins over its formula');
  assert.equal(F.mul(G).evaluate({ [FN]: 2, [GN]: 5 }), 10);
});

test('evaluate computes floor and ceil atoms from their formulas, nested ones and parsed ones included', () => {
  // ⌊(2·10 − 3)/4⌋ = ⌊17/4⌋ = 4
  const x = F.mul(F).mul(3).add(F.mul(seq)).add(1);
  assert.equal(x.evaluate({ seq: 10 }), 3 * 16 + 40 + 1);
  // Negative numerators round towards −∞ (floor) and +∞ (ceil), as the layers' rules do for constants.
  assert.equal(F.evaluate({ seq: 1 }), Math.floor(-1 / 4));
  const C = seq.sub(4).ceilDiv(3);
  assert.equal(C.toString(), '⌈(seq - 4)/3⌉');
  assert.equal(C.evaluate({ seq: 11 }), 3);
  assert.equal(C.evaluate({ seq: 1 }), -1);
  // ⌊(⌊(2·seq − 3)/4⌋² − 1)/4⌋ at seq = 10: ⌊(16 − 1)/4⌋ = 3
  const h = F.mul(F).sub(1).floorDiv(4);
  assert.equal(h.evaluate({ seq: 10 }), 3);
  assert.equal(h.mul(G).evaluate({ seq: 10, d: 3 }), 3 * Math.floor(29 / 2));
  // What crossed to the webview as text evaluates alike.
  assert.equal(parseSym(h.mul(G).add(seq).toJSON()).evaluate({ seq: 10, d: 3 }), 3 * 14 + 10);
  // Missing atoms of the formula still give undefined; a user atom is never read as a formula.
  assert.equal(G.evaluate({ seq: 10 }), undefined);
  assert.equal(Sym.atom('seq').evaluate({}), undefined);
  assert.equal(Sym.atom('⌊(seq)/2⌋ + ⌊(seq)/3⌋').evaluate({ seq: 12 }), undefined, 'two atoms written as one name are not one atom');
  assert.equal(seq.evaluate({ ['constructor' as string]: 1 }), undefined);
  assert.equal(Sym.atom('constructor').evaluate({}), undefined, 'names are looked up in the values given, not their prototype');
});

test('floor and ceil of a formula whose atoms all divide exactly round only the constant', () => {
  const h = Sym.atom('h');
  const w = Sym.atom('w');
  assert.equal(h.mul(2).sub(3).floorDiv(2).toString(), 'h - 2');
  assert.equal(h.mul(2).sub(3).ceilDiv(2).toString(), 'h - 1');
  assert.equal(h.mul(w).mul(4).add(h.mul(8)).add(5).floorDiv(4).toString(), 'h*w + 2*h + 1');
  assert.equal(h.mul(4).add(6).ceilDiv(-4).toString(), '-h - 1', 'ceil(-1.5) = -1');
  // A coefficient the divisor does not divide keeps the whole formula in one atom, written as the textbook writes it.
  assert.equal(h.sub(3).floorDiv(2).toString(), '⌊(h - 3)/2⌋');
  assert.equal(h.mul(2).add(w).floorDiv(2).toString(), '⌊(2*h + w)/2⌋');
  // Each agrees with the rounded division for whole values of the atoms.
  for (const hv of [1, 2, 7, 10]) {
    assert.equal(h.mul(2).sub(3).floorDiv(2).evaluate({ h: hv }), Math.floor((2 * hv - 3) / 2));
    assert.equal(h.mul(2).sub(3).ceilDiv(2).evaluate({ h: hv }), Math.ceil((2 * hv - 3) / 2) + 0); // + 0: -0 is 0
  }
});

test('analysis: upsample then a strided conv on a symbolic size gives a plain formula', () => {
  // torch: Upsample(scale_factor=2) then Conv2d(3, 8, 3, stride=2) on 10×12 gives 9×11: h - 1, w - 1.
  const a = analyze('model U {\n  input x: [h, w, 3]\n  output x -> upsample(2) -> conv2d(8, 3, stride = 2)\n}\n');
  const out = a.models[0].outputs[0].shape;
  assert.equal(shapeToString(out), '[h - 1, w - 1, 8]');
  assert.equal(a.models[0].macs.toString(), '216*h*w - 216*h - 216*w + 216');
});

test('analysis: strided layers on a symbolic length evaluate to what PyTorch computes', () => {
  // conv1d(16, 3, stride = 2) then maxpool(2) on [seq, 8]: torch.nn.Conv1d(8, 16, 3, stride=2) -> MaxPool1d(2)
  // on a length of 100 gives [1, 16, 24] (49 after the conv); padding = same with stride 3 gives ⌈seq/3⌉.
  const a = analyze('model W {\n  input x: [seq, 8]\n  h = x -> conv1d(16, 3, stride = 2) -> maxpool(2)\n  output h -> conv1d(4, 3, stride = 3, padding = same)\n}\n');
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error'), []);
  const [m] = a.models;
  const dims = (id: number) => (m.graph.nodes[id] as { shape: { dims: Sym[] } }).shape.dims.map((x) => x.evaluate({ seq: 100 }));
  const layers = m.graph.nodes.filter((n) => n.kind === 'layer');
  assert.deepEqual(layers.map((n) => dims(n.id)), [[49, 16], [24, 16], [8, 4]]);
});

test('parseSym reads back what toString writes, floor atoms with products included', () => {
  for (const x of [F.mul(F), F.mul(G), F.add(1).mul(G.add(seq)).mul(3), F.mul(F).sub(1).floorDiv(4).mul(F)]) {
    const back = parseSym(x.toJSON());
    assert.equal(back.toString(), x.toString());
    assert.ok(back.equals(x), x.toString());
  }
});

test('displaySym shows a squared floor atom whole', () => {
  assert.equal(displaySym(F.mul(F).mul(1024).add(F)), '1,024·⌊(2·seq - 3)/4⌋² + ⌊(2·seq - 3)/4⌋');
  // Ordinary formulas are unchanged.
  assert.equal(displaySym(seq.mul(seq).mul(1024).add(seq.mul(794624))), '1,024·seq² + 794,624·seq');
  assert.equal(seq.mul(seq).mul(d).mul(2).add(3).toString(), '2*d*seq^2 + 3');
});

test('an atom name must be non-empty and cannot hold the key separator', () => {
  assert.throws(() => Sym.atom(''), /atom name/);
  assert.throws(() => Sym.atom('a\u0000b'), /atom name/);
});

// ------------------------------------------------------------- end to end

// concat doubles seq, the conv of stride 4 floors `2*seq`, and attention
// multiplies the sequence length by itself: MACs hold ⌊(2*seq - 3)/4⌋².
const MODEL = `model M {
  input a: [seq, 16]
  output concat(a, a, axis = 0) -> conv1d(16, 3, stride = 4) -> attention(2)
}
`;
const ATTENTION_MACS = `32*${FN}^2 + 1088*${FN} + 1056`;
const TOTAL_MACS = `32*${FN}^2 + 1856*${FN} + 1824`;

test('analyze: MACs with a squared floor dimension are well formed', () => {
  const a = analyze(MODEL);
  assert.deepEqual(a.diagnostics.filter((x) => x.severity === 'error').map((x) => x.message), []);
  const m = a.models[0];
  assert.equal(m.macs.toString(), TOTAL_MACS);
  assertWellFormed(m.macs.toString());
  const att = m.graph.nodes.find((n) => n.kind === 'layer' && n.op === 'attention');
  assert.ok(att && att.kind === 'layer');
  assert.equal(shapeToString(att.shape), `[${FN} + 1, 16]`);
  assert.equal(att.macs.toString(), ATTENTION_MACS);
  assert.equal(displaySym(m.macs), '32·⌊(2·seq - 3)/4⌋² + 1,856·⌊(2·seq - 3)/4⌋ + 1,824');
  assert.deepEqual(m.macs.atoms(), [FN]);
  for (const n of m.graph.nodes) {
    if (n.kind !== 'layer') continue;
    assertWellFormed(n.macs.toString());
    for (const dim of n.shape.dims) assertWellFormed(dim.toString());
  }
});

test('summary --json: formulas with a squared floor dimension are well formed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-sym-'));
  try {
    writeFileSync(join(dir, 'm.nnmodel'), MODEL);
    const { code, out, err } = await runCli(dir, 'summary', 'm.nnmodel', '--json');
    assert.equal(code, 0, err);
    const json = JSON.parse(out);
    const m = json.models[0];
    assert.equal(m.macs, TOTAL_MACS);
    const att = m.layers.find((l: { op: string }) => l.op === 'attention');
    assert.equal(att.macs, ATTENTION_MACS);
    assert.deepEqual(att.shape, [`${FN} + 1`, 16]);
    const all = strings(json);
    assert.ok(all.some((s) => s.includes(`${FN}^2`)));
    for (const s of all) assertWellFormed(s);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
