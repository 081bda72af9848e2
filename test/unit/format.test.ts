import { test } from 'node:test';
import assert from 'node:assert/strict';
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
