import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { format, formatRange, FORMAT_WIDTH } from '../../extension/core/syntax/format';
import { parse, stripRanges } from '../../extension/core/syntax/parser';

const MESSY = `# Experiments
import   "a.nnmodel"
import "b.nnmodel"
block gpt_block(dim,heads,hidden=4*dim,p=0.1){
  input x
  x=x+x->layernorm->attention(heads,causal=true)->dropout(p)   # attention


  output x + x -> layernorm -> dense(hidden) -> gelu -> dense(dim) -> dropout(p)
}
model GPT2Small {  # the model
    input tokens: int[ seq ]
    # embeddings
    wte = embedding(50257,
       768,)
    h = tokens -> wte -> positional(learned, maxlen = 1024) -> dropout(0.1)
    output h->gpt_block(768,12)*12->layernorm->unembed(wte)
} # end



train GPT2Small {
  data: text("data/tiny.txt", tokenizer = char, context = 64)  // built-in
  optimizer: adam(lr = 1e-3)
  metrics: [ accuracy , loss ]
}
# trailing file comment
`;

const MESSY_FORMATTED = `# Experiments
import "a.nnmodel"
import "b.nnmodel"

block gpt_block(dim, heads, hidden = 4 * dim, p = 0.1) {
  input x
  x = x + x -> layernorm -> attention(heads, causal = true) -> dropout(p)  # attention

  output x + x -> layernorm -> dense(hidden) -> gelu -> dense(dim) -> dropout(p)
}

model GPT2Small {  # the model
  input tokens: int[seq]
  # embeddings
  wte = embedding(50257, 768)
  h = tokens -> wte -> positional(learned, maxlen = 1024) -> dropout(0.1)
  output h -> gpt_block(768, 12) * 12 -> layernorm -> unembed(wte)
}  # end

train GPT2Small {
  data: text("data/tiny.txt", tokenizer = char, context = 64)  // built-in
  optimizer: adam(lr = 1e-3)
  metrics: [accuracy, loss]
}

# trailing file comment
`;
import { LENET5 as LENET } from '../fixtures/contract';
import { mulberry32 } from '../../extension/core/runtime/data/random';
import { nnmodelFiles } from '../fixtures/examples';


const SAMPLES: string[] = [
  MESSY,
  LENET,
  `model   A{input x:[3]
output x->relu}`,
  `block b ( d , k = d // 2 ) {
  input x
  y = -x -> dense(k) * (d + 1) -> relu
  z = (x + y) -> layernorm
  output concat(y, z, axis = -1) -> dense(d), y
}
model M {
  input a: [seq + 1, 4 * 2 - 1]
  output a -> b(8) -> take(-1) -> reshape([-1, 2])
}`,
  `model C {
  input x: [8]
  # first
  h = x -> dense(4)   # trailing


  # after blank lines
  output h   -> dense(2)
      # own line inside chain gap
      -> softmax
  # before close
}
train C {
  epochs:5
  validation:0.10
  flag: true
  name: "a \\"quoted\\" name"
}
`,
  `model K {
  input x: [3]
  y = concat(x,   # inside args
      x)
  output y
}
`,
  '',
  '# only a comment\n',
];

function sameTree(a: string, b: string): void {
  const pa = parse(a);
  const pb = parse(b);
  assert.deepEqual(pb.errors, []);
  assert.deepEqual(stripRanges(pb.items), stripRanges(pa.items));
  assert.deepEqual(
    pb.comments.map((c) => c.text),
    pa.comments.map((c) => c.text),
  );
}

test('canonical layout of a messy file', () => {
  assert.equal(format(MESSY), MESSY_FORMATTED);
});

test('already formatted contract example is unchanged', () => {
  assert.equal(format(LENET), LENET);
  assert.equal(format(MESSY_FORMATTED), MESSY_FORMATTED);
});

test('idempotent on every sample', () => {
  for (const s of SAMPLES) {
    const once = format(s);
    assert.equal(format(once), once, JSON.stringify(s));
  }
});

test('formatting does not change the tree or the comments', () => {
  for (const s of SAMPLES) {
    assert.deepEqual(parse(s).errors, [], JSON.stringify(s));
    sameTree(s, format(s));
  }
});

test('spacing rules', () => {
  const out = format(SAMPLES[3]);
  assert.equal(
    out,
    `block b(d, k = d // 2) {
  input x
  y = -x -> dense(k) * (d + 1) -> relu
  z = (x + y) -> layernorm
  output concat(y, z, axis = -1) -> dense(d), y
}

model M {
  input a: [seq + 1, 4 * 2 - 1]
  output a -> b(8) -> take(-1) -> reshape([-1, 2])
}
`,
  );
  assert.equal(format('model A{input x:[3]\noutput x->relu}'), 'model A {\n  input x: [3]\n  output x -> relu\n}\n');
  assert.equal(format('block e() {}\nblock f {\n}\n'), 'block e() {}\n\nblock f() {}\n');
});

test('comments stay in place: own-line, trailing, chain breaks, before }', () => {
  const out = format(SAMPLES[4]);
  assert.equal(
    out,
    `model C {
  input x: [8]
  # first
  h = x -> dense(4)   # trailing

  # after blank lines
  output h -> dense(2)
           # own line inside chain gap
           -> softmax
  # before close
}

train C {
  epochs: 5
  validation: 0.10
  flag: true
  name: "a \\"quoted\\" name"
}
`,
  );
});

test('a statement with a comment inside its arguments is kept as written', () => {
  const src = 'model K {\n    input x: [3]\n    y = concat(x,   # inside args\n        x)\n    output y\n}\n';
  assert.equal(format(src), 'model K {\n  input x: [3]\n  y = concat(x,   # inside args\n      x)\n  output y\n}\n');
});

test('long chains break before -> and align under the first ->', () => {
  const calls = Array.from({ length: 14 }, (_, i) => `dense(${100 + i}, activation = relu)`);
  const src = `model W {\n  input x: [8]\n  output x -> ${calls.join(' -> ')}\n}\n`;
  const out = format(src);
  const lines = out.split('\n');
  for (const l of lines) assert.ok(l.length <= FORMAT_WIDTH, `too long: ${l}`);
  const first = lines[2];
  assert.ok(first.startsWith('  output x -> dense(100'));
  const arrow = first.indexOf('->');
  const cont = lines.slice(3, lines.indexOf('}'));
  assert.ok(cont.length >= 3);
  for (const l of cont) assert.equal(l.indexOf('->'), arrow, l);
  sameTree(src, out);
  assert.equal(format(out), out);
});

test('a long head puts continuation lines four spaces past the statement', () => {
  const head = `concat(${Array.from({ length: 12 }, (_, i) => `input_number_${i}`).join(', ')})`;
  const src = `model W {\n  input x: [8]\n  y = ${head} -> dense(10) -> relu\n  output y\n}\n`;
  const out = format(src);
  const lines = out.split('\n');
  assert.equal(lines[2], `  y = ${head}`);
  assert.equal(lines[3], '      -> dense(10) -> relu');
  sameTree(src, out);
  assert.equal(format(out), out);
});

test('numbers keep their source text', () => {
  assert.equal(format('train T {\n  lr: 1e-3\n  a: 1E5\n  b: 0.50\n}\n'), 'train T {\n  lr: 1e-3\n  a: 1E5\n  b: 0.50\n}\n');
});

test('files with syntax errors are returned unchanged', () => {
  for (const bad of ['model A {\n  x = \n}\n', 'model A {\n  x = f(1\n', 'model A {\n  x = "abc\n}\n', '  junk  here ']) {
    assert.ok(parse(bad).errors.length > 0);
    assert.equal(format(bad), bad);
  }
});

test('CRLF files stay CRLF', () => {
  const out = format('model A {\r\n  input x:[3]\r\n  output x\r\n}\r\n');
  assert.equal(out, 'model A {\r\n  input x: [3]\r\n  output x\r\n}\r\n');
});

test('blank lines: exactly one between items, at most one inside bodies', () => {
  const out = format('model A {\n\n\n  input x: [1]\n\n\n\n  output x\n\n}\nmodel B {\n  input y: [1]\n  output y\n}\n\n\n\n');
  assert.equal(out, 'model A {\n  input x: [1]\n\n  output x\n}\n\nmodel B {\n  input y: [1]\n  output y\n}\n');
});

test('floor division and // comments survive formatting', () => {
  const src = 'block b(dim, heads, k = dim//heads) {\n  input x\n  output x -> dense(k)   // projection\n}\n';
  const out = format(src);
  assert.equal(out, 'block b(dim, heads, k = dim // heads) {\n  input x\n  output x -> dense(k)   // projection\n}\n');
  sameTree(src, out);
});

test('formatRange edits only the items touching the range', () => {
  const src = 'model A {\n  input x:[1]\n  output x\n}\n\nmodel B {\n  input y:[1]\n  output   y\n}\n';
  const edits = formatRange(src, 6, 6);
  assert.equal(edits.length, 1);
  const e = edits[0];
  assert.deepEqual([e.range.start.line, e.range.start.character, e.range.end.line, e.range.end.character], [5, 0, 8, 1]);
  assert.equal(e.newText, 'model B {\n  input y: [1]\n  output y\n}');
  const applied = src.slice(0, e.range.start.offset) + e.newText + src.slice(e.range.end.offset);
  assert.equal(applied, 'model A {\n  input x:[1]\n  output x\n}\n\nmodel B {\n  input y: [1]\n  output y\n}\n');
  // Both items when the range spans them; none when formatted or broken.
  const both = formatRange(src, 2, 7);
  assert.equal(both.length, 1);
  assert.equal(both[0].range.start.line, 0);
  assert.deepEqual(formatRange(format(src), 0, 100), []);
  assert.deepEqual(formatRange('model A {\n  x = \n}\n', 0, 3), []);
});

test('a 20 000-line file formats in reasonable time', () => {
  const chunk = 'model M {\n  input x: [seq, 32]  # c\n  h = x -> dense(64) -> relu\n  output h\n}\n\n';
  const text = chunk.repeat(Math.ceil(20000 / 6));
  const t0 = performance.now();
  const out = format(text);
  const ms = performance.now() - t0;
  assert.equal(out, `${text.trimEnd()}\n`);
  assert.ok(ms < 5000, `format took ${ms.toFixed(0)} ms`);
});

test('a declaration with a comment in its header is kept as written; others still format', () => {
  const src = 'block b(d,   # width\n   k = 2) {\n  input x\n  output x->dense(d)\n}\nmodel   M {\n  input x: [1]\n  output x\n}\n';
  assert.equal(
    format(src),
    'block b(d,   # width\n   k = 2) {\n  input x\n  output x->dense(d)\n}\n\nmodel M {\n  input x: [1]\n  output x\n}\n',
  );
});

// ------------------------------------------------------------ indentation options (tabs, N spaces)

/** `line` with its tabs expanded to the next multiple of `tabSize`. */
function expand(line: string, tabSize: number): string {
  let out = '';
  for (const ch of line) out += ch === '\t' ? ' '.repeat(tabSize - (out.length % tabSize)) : ch;
  return out;
}

const OPTIONS = [{ indent: '\t' }, { indent: '\t', tabSize: 2 }, { indent: '\t', tabSize: 8 }, { indent: '    ' }, { indent: ' ', tabSize: 4 }];

test('indent: a tab or four spaces per level instead of two spaces', () => {
  assert.equal(format(MESSY, { indent: '\t' }), MESSY_FORMATTED.replace(/^ {2}/gm, '\t'));
  assert.equal(format(MESSY, { indent: '    ' }), MESSY_FORMATTED.replace(/^ {2}/gm, '    '));
  assert.equal(format(MESSY_FORMATTED, { indent: '\t' }), MESSY_FORMATTED.replace(/^ {2}/gm, '\t'));
  // And back: the default layout is the same from any indentation.
  assert.equal(format(format(MESSY, { indent: '\t' })), MESSY_FORMATTED);
  assert.equal(format(LENET, { indent: '\t' }), LENET.replace(/^ {2}/gm, '\t'));
  assert.equal(format('model A{input x:[3]\noutput x->relu}', { indent: '\t' }), 'model A {\n\tinput x: [3]\n\toutput x -> relu\n}\n');
});

test('with tabs, continuation lines are a tab per level then spaces, aligned at any tab width', () => {
  const out = format(SAMPLES[4], { indent: '\t' });
  assert.equal(
    out,
    `model C {
\tinput x: [8]
\t# first
\th = x -> dense(4)  # trailing

\t# after blank lines
\toutput h -> dense(2)
\t         # own line inside chain gap
\t         -> softmax
\t# before close
}

train C {
\tepochs: 5
\tvalidation: 0.10
\tflag: true
\tname: "a \\"quoted\\" name"
}
`,
  );
  for (const tabSize of [1, 2, 4, 8]) {
    const lines: string[] = out.split('\n').map((l) => expand(l, tabSize));
    const arrow: number = lines[6].indexOf('->');
    assert.equal(lines[7].indexOf('#'), arrow, `tab width ${tabSize}`);
    assert.equal(lines[8].indexOf('->'), arrow, `tab width ${tabSize}`);
  }
  // A long head: continuation four columns past the statement, after its tab.
  const head = `concat(${Array.from({ length: 12 }, (_, i) => `input_number_${i}`).join(', ')})`;
  const long = format(`model W {\n  input x: [8]\n  y = ${head} -> dense(10) -> relu\n  output y\n}\n`, { indent: '\t' });
  assert.equal(long.split('\n')[3], '\t    -> dense(10) -> relu');
});

test('with tabs, a statement kept as written keeps its alignment in spaces after the tab', () => {
  const src = 'model K {\n    input x: [3]\n    y = concat(x,   # inside args\n        x)\n    output y\n}\n';
  assert.equal(format(src, { indent: '\t' }), 'model K {\n\tinput x: [3]\n\ty = concat(x,   # inside args\n\t    x)\n\toutput y\n}\n');
  // Tabs in the source count tabSize columns: `x)` was 8 columns past the statement.
  const tabbed = 'model K {\n\tinput x: [3]\n\ty = concat(x,  # c\n\t\t\tx)\n\toutput y\n}\n';
  assert.equal(format(tabbed, { indent: '\t', tabSize: 4 }), 'model K {\n\tinput x: [3]\n\ty = concat(x,  # c\n\t        x)\n\toutput y\n}\n');
  assert.equal(format(tabbed, { indent: '\t', tabSize: 2 }), 'model K {\n\tinput x: [3]\n\ty = concat(x,  # c\n\t    x)\n\toutput y\n}\n');
  assert.equal(format(tabbed, { indent: '    ', tabSize: 4 }), 'model K {\n    input x: [3]\n    y = concat(x,  # c\n            x)\n    output y\n}\n');
});

test('trailing comments keep their column with a tab counted as tabSize columns', () => {
  // Aligned at tab width 4: the three comments are at column 23.
  const src = 'model A {              # header\n\tinput x: [3]       # in\n\toutput x           # out\n}\n';
  assert.equal(format(src, { indent: '\t', tabSize: 4 }), src);
  const spaces = format(src, { indent: '    ', tabSize: 4 });
  assert.equal(spaces, 'model A {              # header\n    input x: [3]       # in\n    output x           # out\n}\n');
  for (const l of spaces.split('\n').slice(0, 3)) assert.equal(l.indexOf('#'), 23, l);
  assert.equal(format(spaces, { indent: '\t', tabSize: 4 }), src);
});

test('line widths count a tab as tabSize columns', () => {
  // A statement 97 columns wide: it fits after two columns of indentation, not after four.
  const body = `output x -> dense(100, activation = relu) -> softmax(axis = -1) -> ${'a'.repeat(30)}`;
  assert.equal(body.length, 97);
  const src = `model W {\n  input x: [8]\n  ${body}\n}\n`;
  assert.equal(format(src), src, 'fits at two columns');
  assert.equal(format(src, { indent: '\t', tabSize: 2 }), src.replace(/^ {2}/gm, '\t'), 'fits at a tab of 2');
  for (const o of [{ indent: '\t', tabSize: 8 }, { indent: '\t' }, { indent: '        ' }]) {
    const out = format(src, o);
    const lines = out.split('\n');
    assert.ok(lines.length > src.split('\n').length, `breaks with ${JSON.stringify(o)}`);
    for (const l of lines) assert.ok(expand(l, o.tabSize ?? 4).length <= FORMAT_WIDTH, `too long with ${JSON.stringify(o)}: ${l}`);
    const arrow = expand(lines[2], o.tabSize ?? 4).indexOf('->');
    for (const l of lines.slice(3, lines.indexOf('}'))) assert.equal(expand(l, o.tabSize ?? 4).indexOf('->'), arrow, l);
    sameTree(src, out);
    assert.equal(format(out, o), out);
  }
});

test('idempotent and meaning-preserving with every indentation option', () => {
  for (const o of OPTIONS) {
    for (const s of [...SAMPLES, MESSY_FORMATTED, ...SAMPLES.map((x) => format(x, { indent: '\t' }))]) {
      const once = format(s, o);
      assert.equal(format(once, o), once, `${JSON.stringify(o)} ${JSON.stringify(s)}`);
      sameTree(s, once);
      // Lines start with the unit: tabs (then spaces for alignment), or spaces only.
      assert.doesNotMatch(once, o.indent === '\t' ? /^ /m : /^\t/m);
      if (/^\s/m.test(once)) assert.match(once, new RegExp(`^${o.indent}\\S`, 'm'));
    }
  }
});

test('formatRange takes the same options', () => {
  const src = 'model A {\n  input x:[1]\n  output x\n}\n\nmodel B {\n  input y:[1]\n  output   y\n}\n';
  const [e] = formatRange(src, 6, 6, { indent: '\t' });
  assert.equal(e.newText, 'model B {\n\tinput y: [1]\n\toutput y\n}');
  assert.equal(e.range.start.line, 5);
  assert.deepEqual(formatRange(format(src, { indent: '\t' }), 0, 100, { indent: '\t' }), []);
  assert.equal(formatRange(src, 0, 0, { indent: '    ' })[0].newText, 'model A {\n    input x: [1]\n    output x\n}');
});

test('invalid indentation options are a clear error', () => {
  assert.throws(() => format('model A {}\n', { indent: 'x' }), /indent must be a tab or one or more spaces, got "x"/);
  assert.throws(() => format('model A {}\n', { indent: '' }), /indent must be a tab or one or more spaces/);
  assert.throws(() => formatRange('model A {}\n', 0, 0, { tabSize: 0 }), /tabSize must be a positive integer, got 0/);
});

// ------------------------------------------------------------ several outputs, lists holding chains

test('several outputs that do not fit on one line each start a line of their own', () => {
  // The reported case: the second output's chain broke at the statement's indent, as if it continued the first.
  const src =
    'model M {\n  input x: [8]\n  output x -> dense(30000000000) -> dense(3000000000) -> dense(300000000), x -> dense(3000000000000000000000)\n}\n';
  const out = format(src);
  assert.equal(
    out,
    'model M {\n  input x: [8]\n  output x -> dense(30000000000) -> dense(3000000000) -> dense(300000000),\n         x -> dense(3000000000000000000000)\n}\n',
  );
  sameTree(src, out);
  assert.equal(format(out), out);
  // Outputs that fit stay on one line.
  const short = 'model M {\n  input x: [8]\n  output x -> dense(3) -> relu, x -> dense(4), x\n}\n';
  assert.equal(format(short), short);
});

test('a later output still too long on its own line breaks under its own first ->', () => {
  const src =
    'model M {\n  input x: [8]\n  output x -> dense(1), x -> dense(30000000000) -> dense(3000000000) -> dense(300000000) -> dense(3000000000000000000000) -> relu -> dense(4444444444444)\n}\n';
  const out = format(src);
  assert.equal(
    out,
    `model M {
  input x: [8]
  output x -> dense(1),
         x -> dense(30000000000) -> dense(3000000000) -> dense(300000000)
           -> dense(3000000000000000000000) -> relu -> dense(4444444444444)
}
`,
  );
  sameTree(src, out);
  assert.equal(format(out), out);
});

test('an output broken by its author puts the following outputs on lines of their own', () => {
  const src = 'model M {\n  input h: [8]\n  output h -> dense(2)  # logits\n           -> softmax, h -> relu\n}\n';
  const out = format(src);
  assert.equal(out, 'model M {\n  input h: [8]\n  output h -> dense(2)  # logits\n           -> softmax,\n         h -> relu\n}\n');
  sameTree(src, out);
  assert.equal(format(out), out);
  assert.equal(
    format(src, { indent: '\t' }),
    'model M {\n\tinput h: [8]\n\toutput h -> dense(2)  # logits\n\t         -> softmax,\n\t       h -> relu\n}\n',
  );
});

test('long heads in several outputs continue four spaces past the output, not the statement', () => {
  const head = (c: string, n: number) => `concat(${Array.from({ length: n }, (_, i) => `${c}${i}_value`).join(', ')})`;
  const a = head('a', 9);
  const b = head('b', 10);
  const src = `model M {\n  input x: [8]\n  output ${a} -> dense(1), ${b} -> dense(2) -> relu\n}\n`;
  const out = format(src);
  assert.equal(out, `model M {\n  input x: [8]\n  output ${a}\n             -> dense(1),\n         ${b}\n             -> dense(2) -> relu\n}\n`);
  sameTree(src, out);
  assert.equal(format(out), out);
});

test('the comma after an output counts towards the line width', () => {
  // `output x -> ...` ending at column 100 exactly: it fits alone, but not with the `,` after it.
  const last = `dense(${'9'.repeat(100 - '  output x -> dense(1) -> dense('.length - 1)})`;
  const first = `x -> dense(1) -> ${last}`;
  assert.equal(`  output ${first}`.length, FORMAT_WIDTH);
  const alone = `model M {\n  input x: [8]\n  output ${first}\n}\n`;
  assert.equal(format(alone), alone);
  const out = format(`model M {\n  input x: [8]\n  output ${first}, x\n}\n`);
  assert.equal(out, `model M {\n  input x: [8]\n  output x -> dense(1)\n           -> ${last},\n         x\n}\n`);
  for (const l of out.split('\n')) assert.ok(l.length <= FORMAT_WIDTH, l);
  assert.equal(format(out), out);
});

test('chains inside arguments and lists stay on one line, however long', () => {
  const chain = (n: number) => `x -> ${Array.from({ length: n }, (_, i) => `dense(${1000000 + i})`).join(' -> ')}`;
  const src = `model M {\n  input x: [8]\n  y = concat(${chain(6)}, ${chain(5)})\n  z = x -> reshape([${chain(3)}, ${chain(4)}])\n  output y\n}\n`;
  const out = format(src);
  const lines = out.split('\n');
  assert.equal(lines[2], `  y = concat(${chain(6)}, ${chain(5)})`);
  // Only the statement's own chain breaks, before the call that crosses the width.
  assert.equal(lines[3], '  z = x');
  assert.equal(lines[4], `      -> reshape([${chain(3)}, ${chain(4)}])`);
  sameTree(src, out);
  assert.equal(format(out), out);
});

// ------------------------------------------------------------ properties

/** Deterministic pseudo-random numbers. */
const rng = mulberry32;

function exampleTexts(): Array<[string, string]> {
  const dir = join(process.cwd(), 'examples');
  return nnmodelFiles(dir)
    .map((f): [string, string] => [f, readFileSync(join(dir, f), 'utf8')]);
}

/** A model whose one statement is a long, randomly built line: several outputs, `+`, chains in arguments. */
function generated(r: () => number): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const num = () => String(Math.floor(r() * 10 ** (1 + Math.floor(r() * 12))));
  const call = (): string =>
    pick([
      () => 'relu',
      () => `dense(${num()})`,
      () => `dense(${num()}, activation = ${pick(['relu', 'gelu', 'tanh'])})`,
      () => `dropout(0.${num()})`,
      () => `conv1d(${num()}, 3, padding = same)`,
      () => `reshape([-1, ${num()}])`,
      () => `concat(x -> dense(${num()}), y, axis = -1)`,
      () => `block_${num()}(${num()}) * ${1 + Math.floor(r() * 9)}`,
    ])();
  const head = (): string => pick(['x', 'y', 'hidden_state', `concat(x, y -> dense(${num()}))`, '(x + y)', '-x']);
  const chain = (): string => [head(), ...Array.from({ length: Math.floor(r() * 9) }, call)].join(pick([' -> ', '->', '  ->  ']));
  const value = (): string => (r() < 0.2 ? `${chain()} + ${chain()}` : chain());
  const values = Array.from({ length: 1 + Math.floor(r() * 4) }, value).join(pick([', ', ',', ' , ']));
  const comment = r() < 0.3 ? '  # note' : '';
  const stmt = pick([`output ${values}`, `z = ${value()}`, `output ${values}`]);
  return `model G {\n  input x: [8]\n  input y: [8]\n  ${stmt}${comment}\n}\n`;
}

/** Where a formatted statement with several values breaks, each value starts its line, all at one column. */
function checkValuesLayout(out: string, tabSize: number): void {
  const file = parse(out);
  const lines = out.split(/\r?\n/);
  for (const item of file.items) {
    if (item.kind !== 'model' && item.kind !== 'block') continue;
    for (const s of item.body) {
      if (s.kind !== 'output' || s.values.length < 2 || s.range.start.line === s.range.end.line) continue;
      const cols = s.values.map((v) => expand(lines[v.range.start.line].slice(0, v.range.start.character), tabSize).length);
      assert.ok(
        cols.every((c) => c === cols[0]),
        `outputs not aligned:\n${out}`,
      );
      s.values.forEach((v, k) => {
        const before = lines[v.range.start.line].slice(0, v.range.start.character);
        assert.match(before, k === 0 ? /^\s*output $/ : /^\s*$/, `output ${k} does not start its line:\n${out}`);
        for (let l = v.range.start.line + 1; l <= v.range.end.line; l++) {
          const lead = expand(lines[l], tabSize).search(/\S/);
          assert.ok(lead > cols[0], `a line of output ${k} is not indented past the outputs:\n${out}`);
        }
      });
    }
  }
}

test('property: formatting the examples and long generated lines is idempotent, keeps meaning and comments', () => {
  const texts: Array<[string, string]> = exampleTexts();
  assert.ok(texts.length >= 10);
  const r = rng(20261127);
  for (let i = 0; i < 400; i++) texts.push([`generated ${i}`, generated(r)]);
  let broken = 0;
  for (const [name, text] of texts) {
    assert.deepEqual(parse(text).errors, [], `${name}: ${text}`);
    for (const o of [undefined, { indent: '\t' }, { indent: '    ' }]) {
      const once = format(text, o);
      const where = `${name} ${JSON.stringify(o)}:\n${text}\n---\n${once}`;
      assert.equal(format(once, o), once, `not idempotent: ${where}`);
      sameTree(text, once);
      checkValuesLayout(once, o?.indent === '\t' ? 4 : 1);
      if (o === undefined && name.startsWith('generated') && once.split('\n').length > 6) broken++;
    }
  }
  // The generator must produce lines long enough to break, or the checks above test little.
  assert.ok(broken > 100, `only ${broken} generated statements broke`);
});

test('a trailing comment of a line that is wrapped goes two spaces after the wrapped code, not at its column past the width', () => {
  const long = 'model M {\n  input x: [8]\n  output x -> dense(8) -> relu -> dense(8) -> relu -> dense(8) -> relu -> dense(8) -> relu -> dense(8)   # note\n}\n';
  const out = format(long);
  const last = out.split('\n').find((l) => l.includes('# note'))!;
  assert.ok(last.length <= 100, JSON.stringify(last));
  assert.match(last, /\S {2}# note$/);
  assert.equal(format(out), out);
});
