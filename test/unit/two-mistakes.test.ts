// Two mistakes, two diagnostics: issue #2's "one mistake gives one diagnostic
// and the rest of the file is still analysed", its second half. The
// one-mistake test counts what a mistake adds; this one counts what it hides:
// pairs of single-token mistakes in the examples, each of which alone gives an
// error, placed in two different statements (of one body, of two models or
// blocks, or one in a block's body and one in a model that uses the block).
// With both made, each must still give its own error (the same code, on the
// same line or over the same text as alone).
//
// What may hide another mistake, by design (`justified` below tells these
// apart; the rest are defects, and their rate is bounded):
// - a brace: a deleted `{` or `}` runs one body into the next declaration;
// - downstream: the second mistake is in a statement that reads what the
//   first one's statement binds (through any chain of bindings), or in a
//   statement calling a block whose header or body holds the first one: that
//   value is unknown, so a later call on it cannot be checked (a broken block
//   header also mutes its calls by design: `headers` in analyze.ts's
//   `brokenParts`);
// - reported downstream: the second mistake's error stood at such a statement
//   (`int[]` is reported at the embedding that reads it);
// - its calls broken: the second mistake is in a block (a default, or a value
//   of its body) whose every call the first one broke, and is an error only
//   with the values a call gives; not a syntax error, unknown layer or
//   argument name, which the block shows alone;
// - train checks: a train section's checks of its model wait for the model
//   to be mended;
// - a dropped line: a line the parser could not read at all may be what
//   binds an unknown name or layer object of its body (`scoped`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../../extension/core/analysis/analyze';
import type { Diagnostic } from '../../extension/core/analysis/types';
import type { CallExpr, SourceFile, TopLevel } from '../../extension/core/syntax/ast';
import { lex } from '../../extension/core/syntax/lexer';
import { parse } from '../../extension/core/syntax/parser';
import { LAYERS } from '../../extension/core/layers';
import { importReader } from '../../extension/cli/files';
import { mulberry32 } from '../../extension/core/runtime/data/random';
import { nnmodelFiles } from '../fixtures/examples';

type Kind = 'delete' | 'zero' | 'layer' | 'arg';
interface Mutation {
  kind: Kind;
  start: number;
  end: number;
  text: string;
  /** What was there. */
  was: string;
  /** The item (index) and the unit in it: a statement, the header, a brace, a train entry. */
  item: number;
  unit: string;
  line: number;
  character: number;
}
type Relation = 'same body' | 'other item' | 'block and its use';

/** Every call and named argument in an item (a generic walk: the tree is plain data). */
function callsOf(node: unknown, calls: CallExpr[]): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const n of node) callsOf(n, calls);
    return;
  }
  const o = node as Record<string, unknown>;
  if (o.kind === 'call') calls.push(o as unknown as CallExpr);
  for (const k in o) if (k !== 'range' && k !== 'opRange' && k !== 'argsRange') callsOf(o[k], calls);
}

/** A misspelling: the 2nd and 3rd letters swapped (`dense` → `dnese`), or the last dropped. */
function misspell(name: string, known: (n: string) => boolean): string | undefined {
  const cands: string[] = [];
  if (name.length >= 3 && name[1] !== name[2]) cands.push(name[0] + name[2] + name[1] + name.slice(3));
  if (name.length >= 3) cands.push(name.slice(0, -1));
  return cands.find((c) => !known(c));
}

function unitOf(file: SourceFile, offset: number): { item: number; unit: string } | undefined {
  for (let i = 0; i < file.items.length; i++) {
    const it: TopLevel = file.items[i];
    if (offset < it.range.start.offset || offset >= it.range.end.offset) continue;
    if (it.kind === 'import') return { item: i, unit: 'import' };
    const body = it.bodyRange;
    if (!body || offset < body.start.offset) return { item: i, unit: 'header' };
    if (offset === body.start.offset) return { item: i, unit: '{' };
    if (offset === body.end.offset - 1) return { item: i, unit: '}' };
    const list = it.kind === 'train' ? it.entries : it.body;
    for (let s = 0; s < list.length; s++) if (offset >= list[s].range.start.offset && offset < list[s].range.end.offset) return { item: i, unit: `s${s}` };
    return undefined;
  }
  return undefined;
}

function mutationsOf(text: string): { muts: Mutation[]; file: SourceFile } {
  const file = parse(text);
  const blockNames = new Set(file.items.filter((i) => i.kind === 'block').map((i) => i.name.name));
  const known = (n: string) => LAYERS.has(n) || blockNames.has(n);
  const muts: Mutation[] = [];
  const add = (kind: Kind, start: number, end: number, repl: string, line: number, character: number) => {
    const u = unitOf(file, start);
    if (u) muts.push({ kind, start, end, text: repl, was: text.slice(start, end), line, character, ...u });
  };
  for (const t of lex(text).tokens) {
    if (t.end <= t.start) continue;
    add('delete', t.start, t.end, '', t.line, t.character);
    if (t.kind === 'number' && t.text !== '0') add('zero', t.start, t.end, '0', t.line, t.character);
  }
  const calls: CallExpr[] = [];
  callsOf(file.items, calls);
  for (const c of calls) {
    if (known(c.callee.name)) {
      const m = misspell(c.callee.name, known);
      if (m) add('layer', c.callee.range.start.offset, c.callee.range.end.offset, m, c.callee.range.start.line, c.callee.range.start.character);
    }
    for (const a of c.args) {
      if (!a.name) continue;
      const m = misspell(a.name.name, () => false);
      if (m) add('arg', a.name.range.start.offset, a.name.range.end.offset, m, a.name.range.start.line, a.name.range.start.character);
    }
  }
  return { muts, file };
}

/** Text with the mutations (non-overlapping) applied, later first. */
function apply(text: string, ms: Mutation[]): string {
  for (const m of [...ms].sort((a, b) => b.start - a.start)) text = text.slice(0, m.start) + m.text + text.slice(m.end);
  return text;
}

/** An offset of the text with `m` alone, moved to the text with `m` and `other` (tokens never span lines: lines do not move). */
function shift(offset: number, other: Mutation): number {
  return offset >= other.end ? offset + other.text.length - (other.end - other.start) : offset;
}

interface Hidden {
  relation: Relation;
  hider: Mutation;
  hidden: Mutation;
  hiddenCode: string;
  hiderCode: string;
  /** The text with the hiding mistake alone. */
  hiderText: string;
  /** Where the hidden mistake's errors stood alone (offsets). */
  hiddenAt: number[];
  file: string;
}

/** The names an expression or statement reads, callees included (a layer object applied is read). */
function namesOf(node: unknown, out: Set<string>): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const n of node) namesOf(n, out);
    return;
  }
  const o = node as Record<string, unknown>;
  if (o.kind === 'name') out.add(o.name as string);
  if (o.kind === 'call') out.add((o.callee as { name: string }).name);
  for (const k in o) if (k !== 'range' && k !== 'opRange' && k !== 'argsRange' && k !== 'target' && k !== 'callee') namesOf(o[k], out);
}

/**
 * The statements (as `item:unit` keys) whose values depend on what the
 * mutation `m` is in: later statements of its body that read what its
 * statement binds, through any chain of bindings; and where it is in a block
 * (header or body), every statement that calls that block (or a block that
 * calls it) and the statements that read what those bind. A mistake there
 * cannot be checked once the first one leaves its input unknown.
 */
function downstream(file: SourceFile, m: Mutation): Set<string> {
  const out = new Set<string>();
  const reads = (st: unknown) => {
    const r = new Set<string>();
    namesOf(st, r);
    return r;
  };
  const spread = (i: number, from: number[]) => {
    const it = file.items[i];
    if (it.kind !== 'model' && it.kind !== 'block') return;
    const bound = new Set<string>();
    for (let s = 0; s < it.body.length; s++) {
      const st = it.body[s];
      const hit = from.includes(s) || [...reads(st.kind === 'assign' ? st.value : st.kind === 'output' ? st.values : st.shape)].some((n) => bound.has(n));
      if (!hit) continue;
      out.add(`${i}:s${s}`);
      if (st.kind === 'assign') bound.add(st.target.name);
      if (st.kind === 'input') bound.add(st.name.name);
    }
    // Whatever feeds the output feeds the block's calls.
    if (it.kind === 'block' && it.body.some((st, s) => st.kind === 'output' && out.has(`${i}:s${s}`))) tainted.add(it.name.name);
  };
  const tainted = new Set<string>();
  const it = file.items[m.item];
  if (it.kind === 'block' && (m.unit === 'header' || m.unit.startsWith('s'))) tainted.add(it.name.name);
  if (m.unit.startsWith('s')) spread(m.item, [Number(m.unit.slice(1))]);
  // Blocks calling tainted blocks are tainted in turn (a fixed point: a few rounds at most).
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < file.items.length; i++) {
      const d = file.items[i];
      if (d.kind !== 'model' && d.kind !== 'block') continue;
      const roots = d.body.map((st, s) => ([...reads(st)].some((n) => tainted.has(n)) ? s : -1)).filter((s) => s >= 0);
      if (roots.length) spread(i, roots);
    }
  }
  for (const b of tainted) file.items.forEach((d, i) => d.kind === 'block' && d.name.name === b && out.add(`${i}:header`));
  return out;
}

/**
 * Whether the hiding is one the header comment lists as by design: a brace,
 * a mistake in a block's header hiding one in a call of it, or one whose
 * value the first mistake feeds.
 */
function justified(h: Hidden, file: SourceFile): string | undefined {
  if (h.hider.unit === '{' || h.hider.unit === '}') return 'a brace';
  const down = downstream(file, h.hider);
  down.add(`${h.hider.item}:${h.hider.unit}`);
  if (down.has(`${h.hidden.item}:${h.hidden.unit}`)) return 'downstream';
  // Its error stands at a call the first mistake feeds (`int[]` is reported at the embedding that reads it).
  if (h.hiddenAt.some((o) => {
    const u = unitOf(file, o);
    return u !== undefined && down.has(`${u.item}:${u.unit}`);
  })) return 'reported downstream';
  // In a block whose calls the first mistake breaks: a default or argument is checked with the values a call gives.
  const called = new Set<string>();
  namesOf(file.items.map((it, i) => (it.kind === 'model' || it.kind === 'block' ? it.body.filter((_, s) => down.has(`${i}:s${s}`)) : [])), called);
  for (let round = 0; round < 4; round++) for (const it of file.items) if (it.kind === 'block' && called.has(it.name.name)) namesOf(it.body, called);
  const hid = file.items[h.hidden.item];
  // Not a mistake any call would make (a syntax error, an unknown layer or argument name): the block alone shows it.
  const callFree = /^(syntax\.|name\.unknown_layer$|arg\.unknown$)/.test(h.hiddenCode);
  if (hid.kind === 'block' && called.has(hid.name.name) && !callFree) return 'its calls broken';
  // Data checks of a train section look at a model without errors only.
  // (a mistake in a model, whose train section's checks of it then wait for the model to be mended).
  if (h.hiddenCode.startsWith('train.') && file.items[h.hidden.item].kind !== 'train' && file.items[h.hider.item].kind !== 'train') return 'train checks';
  // A line the parser could not read at all may be what binds an unknown name or layer object of its body.
  if (h.hider.item === h.hidden.item && /^name\.unknown/.test(h.hiddenCode)) {
    const before = file.items[h.hider.item];
    const after = parse(h.hiderText).items[h.hider.item];
    if (after && after.kind === before.kind && 'body' in after && 'body' in before && after.body.length < before.body.length) return 'a dropped line';
  }
  return undefined;
}

function measure(pairsPerRelation: number) {
  const dir = join(process.cwd(), 'examples');
  const rnd = mulberry32(2026);
  let pairs = 0;
  const hidden: Hidden[] = [];
  const counted: Record<Relation, number> = { 'same body': 0, 'other item': 0, 'block and its use': 0 };
  for (const f of nnmodelFiles(dir)) {
    const text = readFileSync(join(dir, f), 'utf8');
    const options = { uri: join(dir, f), readImport: importReader(dir) };
    const errorsOf = (t: string) => analyze(t, options).diagnostics.filter((d) => d.severity === 'error' && d.uri === undefined);
    const base = new Set(errorsOf(text).map((d) => `${d.code}|${d.range.start.line}`));
    const { muts, file } = mutationsOf(text);
    const alone = new Map<Mutation, Diagnostic[]>();
    const own = (m: Mutation) => {
      let e = alone.get(m);
      if (!e) alone.set(m, (e = errorsOf(apply(text, [m])).filter((d) => !base.has(`${d.code}|${d.range.start.line}`))));
      return e;
    };
    // Which items use which blocks, for the third relation.
    const uses = new Map<number, Set<string>>();
    file.items.forEach((it, i) => {
      const calls: CallExpr[] = [];
      callsOf(it, calls);
      uses.set(i, new Set(calls.map((c) => c.callee.name)));
    });
    const related = (a: Mutation, b: Mutation): Relation | undefined => {
      if (a.item === b.item) return a.unit === b.unit ? undefined : 'same body';
      const ia = file.items[a.item];
      const ib = file.items[b.item];
      if (ia.kind === 'block' && a.unit !== 'header' && uses.get(b.item)?.has(ia.name.name)) return 'block and its use';
      if (ib.kind === 'block' && b.unit !== 'header' && uses.get(a.item)?.has(ib.name.name)) return 'block and its use';
      return 'other item';
    };
    for (const relation of ['same body', 'other item', 'block and its use'] as Relation[]) {
      let got = 0;
      for (let attempt = 0; got < pairsPerRelation && attempt < pairsPerRelation * 20; attempt++) {
        const a = muts[Math.floor(rnd() * muts.length)];
        const b = muts[Math.floor(rnd() * muts.length)];
        if (related(a, b) !== relation || a.start < b.end && b.start < a.end) continue;
        if (own(a).length === 0 || own(b).length === 0) continue;
        got++;
        pairs++;
        counted[relation]++;
        const both = errorsOf(apply(text, [a, b]));
        for (const [m, other] of [[a, b], [b, a]] as const) {
          const seen = own(m).some((d) => {
            const s = shift(d.range.start.offset, other);
            const e = shift(d.range.end.offset, other);
            return both.some((x) => x.code === d.code && (x.range.start.line === d.range.start.line || (x.range.start.offset <= e && s <= x.range.end.offset)));
          });
          if (!seen) hidden.push({ relation, hider: other, hidden: m, hiddenCode: own(m)[0].code, hiderCode: own(other)[0].code, hiddenAt: own(m).map((d) => d.range.start.offset), hiderText: apply(text, [other]), file: f });
        }
      }
    }
  }
  return { pairs, hidden, counted };
}

const describe = (m: Mutation) => `${m.kind === 'delete' ? `delete '${m.was}'` : m.kind === 'zero' ? `${m.was} → 0` : `${m.kind} ${m.was} → ${m.text}`} at ${m.line + 1}:${m.character + 1}`;

test('two mistakes in different statements: each still gives its own error', () => {
  const { pairs, hidden, counted } = measure(Number(process.env.NNMODEL_PAIRS ?? 60));
  const files = new Map<string, SourceFile>();
  const fileOf = (f: string) => {
    let p = files.get(f);
    if (!p) files.set(f, (p = parse(readFileSync(join(process.cwd(), 'examples', f), 'utf8'))));
    return p;
  };
  const unjust = hidden.filter((h) => !justified(h, fileOf(h.file)));
  const why = new Map<string, number>();
  for (const h of hidden) {
    const w = justified(h, fileOf(h.file));
    if (w) why.set(w, (why.get(w) ?? 0) + 1);
  }
  const cats = new Map<string, { n: number; example: string }>();
  for (const h of unjust) {
    const f = fileOf(h.file);
    const where = (m: Mutation) => `${f.items[m.item].kind} ${m.unit === 'header' || m.unit === '{' || m.unit === '}' ? m.unit : m.unit === 'import' ? '' : 'statement'}`;
    const key = `${h.relation}: ${where(h.hider)} [${h.hiderCode}] hides ${where(h.hidden)} [${h.hiddenCode}]`;
    const c = cats.get(key) ?? { n: 0, example: `${h.file}: ${describe(h.hider)} hides ${describe(h.hidden)}` };
    c.n++;
    cats.set(key, c);
  }
  console.log(`  ${pairs} pairs (${Object.entries(counted).map(([k, v]) => `${v} ${k}`).join(', ')}): ${hidden.length} mistakes hidden, ${unjust.length} not by design (${((100 * unjust.length) / pairs).toFixed(1)} %); by design: ${[...why].map(([k, v]) => `${v} ${k}`).join(', ')}`);
  const top = [...cats].sort((x, y) => y[1].n - x[1].n).map(([k, c]) => `  ${String(c.n).padStart(4)}  ${k}\n        e.g. ${c.example}`);
  for (const line of top.slice(0, 12)) console.log(line);
  assert.ok(pairs > 2000, `${pairs} pairs`);
  // When these bounds were set (2 700 pairs): 10 hidden not by design (0.4 %), 140 in all (5.2 %). Before the parser
  // read on past a lost keyword, name or '(' of a declaration, a dangling '->' and a setting without its value:
  // 137 (5.1 %) and 268 (9.9 %); then, before a syntax error in one train setting stopped muting the others and a
  // header read in part stopped muting its body's unknown layers (analyze.ts's `brokenParts`): 55 (2.0 %) and 185
  // (6.9 %). What is left: a model without its name is not analysed (a body with no name to report it under).
  assert.ok(unjust.length / pairs < 0.006, `${unjust.length} of ${pairs} pairs hide a mistake not by design; the most:\n${top.slice(0, 20).join('\n')}`);
  assert.ok(hidden.length / pairs < 0.06, `${hidden.length} of ${pairs} pairs hide a mistake (by design or not)`);
});

// Review cases: each hid the second mistake before the parser read on past the first.
const at = (text: string) => analyze(text).diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}@${d.range.start.line}:${d.range.start.character}`);
const M = 'model A {\n  input x: [8]\n  output x -> dense(2)\n}\n';

test("a declaration that lost its keyword is read as the one it must be: its body's mistakes are reported", () => {
  // `model` lost: the body's wrong argument, and the fix inserts the keyword.
  const model = `${M}B {\n  input x: [8]\n  output x -> dense(0)\n}\n`;
  const a = analyze(model);
  assert.deepEqual(at(model), ['syntax.expected@4:0', 'arg.range@6:20']);
  assert.match(a.diagnostics[0].message, /found 'B': to declare a model, write 'model B'$/);
  const fix = a.diagnostics[0].fixes![0];
  assert.equal(fix.title, "Insert 'model'");
  const fixed = model.slice(0, fix.edits[0].range.start.offset) + fix.edits[0].newText + model.slice(fix.edits[0].range.end.offset);
  assert.deepEqual(at(fixed), ['arg.range@6:20']);
  // `block` lost (a `(` after the name): the body's syntax error; its calls are not unknown.
  assert.deepEqual(at(`${M}res(n) {\n  input x\n  output x -> dense(n -> relu\n}\nmodel C {\n  input x: [8]\n  output x -> res(4)\n}\n`), ['syntax.expected@4:0', 'syntax.unclosed@6:22']);
  // `train` lost (a first line `key:`): the section's own syntax error.
  assert.deepEqual(at(`${M}A {\n  data: digits()\n  loss crossentropy\n}\n`), ['syntax.expected@4:0', 'syntax.expected@6:7']);
});

test("a declaration that lost its name, or its parameters' '(', still has its body read", () => {
  assert.deepEqual(at('model {\n  input x: [8]\n  output x -> dense(4,\n}\n'), ['syntax.expected@0:6', 'syntax.unclosed@2:22']);
  assert.deepEqual(at(`${M}train {\n  data: digits()\n  loss crossentropy\n}\n`), ['syntax.expected@4:6', 'syntax.expected@6:7']);
  // `(` lost before a parameter: the parameters are read, and the fix inserts it.
  const text = 'block b n, k = 2) {\n  input x\n  output x -> dense(n * k) -> dense(4 -> relu\n}\nmodel M {\n  input x: [8]\n  output x -> b(4)\n}\n';
  const a = analyze(text);
  assert.deepEqual(at(text), ['syntax.expected@0:8', 'syntax.unclosed@2:38']);
  assert.deepEqual(a.file.items[0].kind === 'block' && a.file.items[0].params.map((p) => p.name.name), ['n', 'k']);
  assert.equal(a.diagnostics[0].fixes![0].title, "Insert '('");
  // Lost between two words (`b(n` → `bn`): the list is skipped up to the body.
  assert.deepEqual(at('block bn, k = 2) {\n  input x\n  output x -> dense(4 -> relu\n}\n'), ['syntax.expected@0:8', 'syntax.unclosed@2:22']);
});

test("a '->' or ':' left at a line's end does not swallow the next statement or setting", () => {
  // The last layer of a continued chain deleted: the next line's binding is its own, and its mistake is reported.
  assert.deepEqual(at('model M {\n  input x: [8]\n  a = x -> dense(4)\n      ->\n  b = x -> dens(4)\n  output a + b\n}\n'), ['syntax.expected@3:8', 'name.unknown_layer@4:11']);
  // A setting's value deleted: the next setting is not read as its value.
  assert.deepEqual(at(`${M}train A {\n  data: digits()\n  validation:\n  metrics: [accuracy\n}\n`), ['syntax.expected@6:13', 'syntax.unclosed@7:20']);
});

test("an input that lost its keyword (`x: [8]`) is one error, with the fix that inserts it, and is read as the input", () => {
  const text = 'model A {\n  x: [8]\n  tokens: int[seq]\n  output x -> dense(0)\n}\n';
  const a = analyze(text);
  // Each lost keyword, and the body's own mistake: nothing about '=' or ':' or an unknown 'x'.
  assert.deepEqual(at(text), ['syntax.expected@1:2', 'syntax.expected@2:2', 'arg.range@3:20']);
  assert.equal(a.diagnostics[0].message, "expected a statement ('input', 'output' or 'NAME = value'), found 'x: ...': to declare an input, write 'input x: ...'");
  const fix = a.diagnostics[0].fixes![0];
  assert.equal(fix.title, "Insert 'input'");
  const fixed = text.slice(0, fix.edits[0].range.start.offset) + fix.edits[0].newText + text.slice(fix.edits[0].range.end.offset);
  assert.deepEqual(at(fixed), ['syntax.expected@2:2', 'arg.range@3:20']);
  // A name followed by ':' and no shape is not taken for one.
  assert.match(analyze('model A {\n  input x: [8]\n  y: 3\n  output x\n}\n').diagnostics[0].message, /expected '=' after 'y'/);
});

test("a model that lost both its keyword and its first input's (`x: [8]`) is read as a model, not a train section", () => {
  // Its `output` says it is a model: two mistakes, two errors, each with the fix that inserts its keyword.
  const text = `${M}B {\n  x: [8]\n  output x -> dense(0)\n}\n`;
  const a = analyze(text);
  assert.deepEqual(at(text), ['syntax.expected@4:0', 'syntax.expected@5:2', 'arg.range@6:20']);
  assert.match(a.diagnostics[0].message, /to declare a model, write 'model B'$/);
  assert.deepEqual(a.models.map((m) => m.name), ['A', 'B']);
  // A train section whose first setting is unknown stays one.
  assert.deepEqual(at(`${M}A {\n  epoch: 3\n  loss: crossentropy\n}\n`).slice(0, 1), ['syntax.expected@4:0']);
  assert.match(analyze(`${M}A {\n  epoch: 3\n  loss: crossentropy\n}\n`).diagnostics[0].message, /write 'train A'$/);
});
