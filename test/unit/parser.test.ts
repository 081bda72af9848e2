import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, parseWithPositions, reparse, sameStructure, stripRanges, MAX_DEPTH, MAX_OPERATORS, type ParseState } from '../../extension/core/syntax/parser';
import { analyze } from '../../extension/core/analysis/analyze';
import { lex } from '../../extension/core/syntax/lexer';
import type {
  AssignStmt,
  BinaryExpr,
  BlockDecl,
  CallExpr,
  ChainExpr,
  Expr,
  InputStmt,
  ModelDecl,
  OutputStmt,
  SourceFile,
  TrainDecl,
} from '../../extension/core/syntax/ast';
import { LENET5 as LENET, GPT2_SMALL as GPT2 } from '../fixtures/contract';



const TRAIN = `train LeNet5 {
  data: digits(samples = 6000)                      # built-in synthetic data set
  # data: images("data/shapes", size = [28, 28], grayscale = true)   # folder per class
  loss: crossentropy          # or mse, binary_crossentropy
  optimizer: adam(lr = 1e-3)  # sgd(lr, momentum), rmsprop(lr)
  epochs: 5
  batch: 64
  validation: 0.1
  metrics: [accuracy]
}
`;

function ok(text: string): SourceFile {
  const f = parse(text);
  assert.deepEqual(
    f.errors.map((e) => e.message),
    [],
    'expected no syntax errors',
  );
  return f;
}

/** The value of the only statement of `model M { ... }`-wrapped source. */
function expr(src: string): Expr {
  const f = ok(`model M {\n  x = ${src}\n}\n`);
  const s = (f.items[0] as ModelDecl).body[0] as AssignStmt;
  assert.equal(s.kind, 'assign');
  return s.value;
}

/** Compact structural rendering used to check tree shapes. */
function show(e: Expr): string {
  switch (e.kind) {
    case 'number':
      return e.text;
    case 'string':
      return JSON.stringify(e.value);
    case 'bool':
      return String(e.value);
    case 'name':
      return e.name;
    case 'list':
      return `[${e.items.map(show).join(' ')}]`;
    case 'call': {
      const args = e.args.map((a) => (a.name ? `${a.name.name}=${show(a.value)}` : show(a.value)));
      return `${e.callee.name}${e.argsRange ? `(${args.join(' ')})` : ''}${e.repeat ? `*${show(e.repeat)}` : ''}`;
    }
    case 'chain':
      return `{${show(e.head)} -> ${e.calls.map(show).join(' -> ')}}`;
    case 'binary':
      return `(${show(e.left)} ${e.op} ${show(e.right)})`;
    case 'unary':
      return `(-${show(e.operand)})`;
    case 'paren':
      return `<${show(e.expr)}>`;
    case 'error':
      return '!';
  }
}

function at(r: { start: { line: number; character: number }; end: { line: number; character: number } }): string {
  return `${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}`;
}

// ---------------------------------------------------------------- contract examples

test('LeNet5 parses with the right structure', () => {
  const f = ok(LENET);
  assert.equal(f.items.length, 1);
  const m = f.items[0] as ModelDecl;
  assert.equal(m.kind, 'model');
  assert.equal(m.name.name, 'LeNet5');
  assert.equal(m.body.length, 2);
  const input = m.body[0] as InputStmt;
  assert.equal(input.kind, 'input');
  assert.equal(input.name.name, 'image');
  assert.equal(input.shape?.isInt, false);
  assert.deepEqual(input.shape?.dims.map(show), ['32', '32', '1']);
  const out = m.body[1] as OutputStmt;
  assert.equal(out.kind, 'output');
  assert.equal(out.values.length, 1);
  const chain = out.values[0] as ChainExpr;
  assert.equal(chain.kind, 'chain');
  assert.equal(show(chain.head), 'image');
  assert.deepEqual(chain.calls.map(show), [
    'conv2d(6 5)',
    'tanh',
    'avgpool(2)',
    'conv2d(16 5)',
    'tanh',
    'avgpool(2)',
    'flatten',
    'dense(120)',
    'tanh',
    'dense(84)',
    'tanh',
    'dense(10)',
    'softmax',
  ]);
});

test('GPT-2 block and model parse with the right structure', () => {
  const f = ok(GPT2);
  assert.deepEqual(
    f.items.map((i) => i.kind),
    ['block', 'model'],
  );
  const b = f.items[0] as BlockDecl;
  assert.equal(b.name.name, 'gpt_block');
  assert.deepEqual(
    b.params.map((p) => [p.name.name, p.default ? show(p.default) : null]),
    [
      ['dim', null],
      ['heads', null],
      ['hidden', '(4 * dim)'],
      ['p', '0.1'],
    ],
  );
  assert.deepEqual(b.body.map((s) => s.kind), ['input', 'assign', 'output']);
  assert.equal((b.body[0] as InputStmt).shape, undefined);
  assert.equal(
    show((b.body[1] as AssignStmt).value),
    '(x + {x -> layernorm -> attention(heads causal=true) -> dropout(p)})',
  );
  assert.equal(
    show((b.body[2] as OutputStmt).values[0]),
    '(x + {x -> layernorm -> dense(hidden) -> gelu -> dense(dim) -> dropout(p)})',
  );
  const m = f.items[1] as ModelDecl;
  assert.equal(m.name.name, 'GPT2Small');
  const tokens = m.body[0] as InputStmt;
  assert.equal(tokens.shape?.isInt, true);
  assert.deepEqual(tokens.shape?.dims.map(show), ['seq']);
  assert.equal(show((m.body[1] as AssignStmt).value), 'embedding(50257 768)');
  assert.equal(show((m.body[2] as AssignStmt).value), '{tokens -> wte -> positional(learned maxlen=1024) -> dropout(0.1)}');
  const out = (m.body[3] as OutputStmt).values[0] as ChainExpr;
  assert.equal(show(out), '{h -> gpt_block(768 12)*12 -> layernorm -> unembed(wte)}');
  assert.equal(out.calls.length, 3);
  assert.equal(out.calls[0].repeat?.kind, 'number');
});

test('train section entries take any expression', () => {
  const f = ok(TRAIN);
  const t = f.items[0] as TrainDecl;
  assert.equal(t.kind, 'train');
  assert.equal(t.name.name, 'LeNet5');
  assert.deepEqual(
    t.entries.map((e) => [e.key.name, show(e.value)]),
    [
      ['data', 'digits(samples=6000)'],
      ['loss', 'crossentropy'],
      ['optimizer', 'adam(lr=1e-3)'],
      ['epochs', '5'],
      ['batch', '64'],
      ['validation', '0.1'],
      ['metrics', '[accuracy]'],
    ],
  );
  const lr = (t.entries[2].value as CallExpr).args[0].value;
  assert.deepEqual(lr.kind === 'number' && [lr.value, lr.text, lr.isInt], [0.001, '1e-3', false]);
  const epochs = t.entries[3].value;
  assert.deepEqual(epochs.kind === 'number' && [epochs.value, epochs.isInt], [5, true]);
  assert.equal(f.comments.length, 4);
  assert.equal(f.comments[1].text, '# data: images("data/shapes", size = [28, 28], grayscale = true)   # folder per class');
});

test('import takes a string path', () => {
  const f = ok('import "layers/common.nnmodel"\nmodel A {\n  input x: [3]\n  output x\n}\n');
  assert.equal(f.items[0].kind, 'import');
  assert.equal(f.items[0].kind === 'import' && f.items[0].path.value, 'layers/common.nnmodel');
  assert.equal(at(f.items[0].range), '0:0-0:30');
});

// ---------------------------------------------------------------- expressions

test('operator precedence and associativity', () => {
  assert.equal(show(expr('a + b * c')), '(a + (b * c))');
  assert.equal(show(expr('a - b - c')), '((a - b) - c)');
  assert.equal(show(expr('a / b // c * d')), '(((a / b) // c) * d)');
  assert.equal(show(expr('a - (b - c)')), '(a - <(b - c)>)');
  assert.equal(show(expr('-a * b')), '((-a) * b)');
  assert.equal(show(expr('-x -> f')), '(-{x -> f})');
  assert.equal(show(expr('4 * dim')), '(4 * dim)');
  assert.equal(show(expr('x + x -> layernorm -> attention(8)')), '(x + {x -> layernorm -> attention(8)})');
  assert.equal(show(expr('(x + a) -> layernorm')), '{<(x + a)> -> layernorm}');
});

test('repeat binds to the chain call; elsewhere * multiplies', () => {
  assert.equal(show(expr('x -> blk(8) * 12 -> layernorm')), '{x -> blk(8)*12 -> layernorm}');
  const e = expr('x -> embed -> blk(8) * 12 -> layernorm') as ChainExpr;
  assert.equal(e.calls.length, 3);
  assert.deepEqual(
    e.calls.map((c) => c.repeat && show(c.repeat)),
    [undefined, '12', undefined],
  );
  assert.equal(show(expr('x -> relu * n')), '{x -> relu*n}');
  assert.equal(show(expr('x -> f(2) * (n + 1) -> g')), '{x -> f(2)*<(n + 1)> -> g}');
  assert.equal(show(expr('concat(a, b) * 2')), '(concat(a b) * 2)');
  assert.equal(show(expr('x -> f * 2 + 1')), '({x -> f*2} + 1)');
});

test('calls: bare after ->, primary calls, chains headed by calls, named and trailing-comma args', () => {
  const bare = expr('x -> relu') as ChainExpr;
  assert.equal(bare.calls[0].argsRange, undefined);
  assert.deepEqual(bare.calls[0].args, []);
  const empty = expr('x -> relu()') as ChainExpr;
  assert.ok(empty.calls[0].argsRange);
  assert.equal(show(expr('concat(a, b)')), 'concat(a b)');
  assert.equal(show(expr('concat(a, b) -> dense(8)')), '{concat(a b) -> dense(8)}');
  assert.equal(show(expr('conv2d(16, 3, padding = same, activation = relu,)')), 'conv2d(16 3 padding=same activation=relu)');
  assert.equal(show(expr('take(-1, axis = 0)')), 'take((-1) axis=0)');
  assert.equal(show(expr('conv2d(8, [3, 3], stride = [2, 2])')), 'conv2d(8 [3 3] stride=[2 2])');
  assert.equal(show(expr('f("a\\"b", true, false)')), 'f("a\\"b" true false)');
  assert.equal(show(expr('attention(8, context = enc -> dense(4))')), 'attention(8 context={enc -> dense(4)})');
  assert.equal(show(expr('reshape([-1, 4 * dim])')), 'reshape([(-1) (4 * dim)])');
  assert.equal(show(expr('[]')), '[]');
});

test('input shapes accept arithmetic and symbolic dims; int is contextual', () => {
  const f = ok('block b(d) {\n  input x: [seq + 1, 2 * d, d // 2]\n  int = x\n  output int\n}\n');
  const b = f.items[0] as BlockDecl;
  assert.deepEqual((b.body[0] as InputStmt).shape?.dims.map(show), ['(seq + 1)', '(2 * d)', '(d // 2)']);
  assert.equal((b.body[1] as AssignStmt).target.name, 'int');
});

// ---------------------------------------------------------------- newlines

test('continuation: trailing operator, comma, open bracket, = and :, and leading ->', () => {
  assert.equal(show(expr('a +\n    b')), '(a + b)');
  assert.equal(show(expr('a *\n    b')), '(a * b)');
  assert.equal(show(expr('x ->\n    relu')), '{x -> relu}');
  assert.equal(show(expr('x\n    -> relu\n    -> dense(3)')), '{x -> relu -> dense(3)}');
  assert.equal(show(expr('conv2d(\n    8,\n    3\n  )')), 'conv2d(8 3)');
  assert.equal(show(expr('[1,\n 2]')), '[1 2]');
  assert.equal(show(expr('(a\n + b)')), '<(a + b)>');
  const f = ok('model M {\n  input x:\n    [3]\n  y =\n    x\n  output y,\n    x\n}\n');
  const m = f.items[0] as ModelDecl;
  assert.deepEqual(m.body.map((s) => s.kind), ['input', 'assign', 'output']);
  assert.equal((m.body[2] as OutputStmt).values.length, 2);
});

test('a newline ends a statement; a line starting with + does not continue', () => {
  const f = parse('model M {\n  x = a\n  + b\n  output x\n}\n');
  assert.equal(f.errors.length, 1);
  assert.equal(f.errors[0].range.start.line, 2);
  const m = f.items[0] as ModelDecl;
  assert.deepEqual(m.body.map((s) => s.kind), ['assign', 'output']);
});

test('statements may share a line with the braces', () => {
  const f = ok('model M { input x: [3]\n  output x }\nblock b() {}\n');
  assert.deepEqual((f.items[0] as ModelDecl).body.map((s) => s.kind), ['input', 'output']);
  assert.deepEqual((f.items[1] as BlockDecl).params, []);
});

// ---------------------------------------------------------------- ranges

test('ranges are exact (0-based line and UTF-16 character)', () => {
  const f = ok(LENET);
  const m = f.items[0] as ModelDecl;
  assert.equal(at(m.range), '0:0-6:1');
  assert.equal(at(m.name.range), '0:6-0:12');
  assert.equal(m.bodyRange && at(m.bodyRange), '0:13-6:1');
  const input = m.body[0] as InputStmt;
  assert.equal(at(input.range), '1:2-1:26');
  assert.equal(input.shape && at(input.shape.range), '1:15-1:26');
  const out = m.body[1] as OutputStmt;
  assert.equal(at(out.keywordRange), '2:2-2:8');
  assert.equal(at(out.range), '2:2-5:38');
  const chain = out.values[0] as ChainExpr;
  assert.equal(at(chain.range), '2:9-5:38');
  assert.equal(at(chain.calls[0].range), '2:18-2:30');
  assert.equal(chain.calls[0].argsRange && at(chain.calls[0].argsRange), '2:24-2:30');
  assert.equal(at(chain.calls[1].range), '2:34-2:38');
  assert.equal(at(chain.calls[3].range), '3:18-3:31');
  assert.equal(at(chain.calls[12].range), '5:31-5:38');
  assert.equal(chain.calls[12].range.start.offset, LENET.indexOf('softmax'));

  const g = ok(GPT2);
  const b = g.items[0] as BlockDecl;
  assert.equal(b.paramsRange && at(b.paramsRange), '0:15-0:54');
  assert.equal(at(b.params[2].range), '0:28-0:44');
  const x = (b.body[1] as AssignStmt).value as BinaryExpr;
  assert.equal(at(x.opRange), '2:8-2:9');
  const gm = g.items[1] as ModelDecl;
  const rep = ((gm.body[3] as OutputStmt).values[0] as ChainExpr).calls[0];
  assert.equal(at(rep.range), '9:14-9:37', 'a repeated call extends to its count');

  const u = ok('model M {\n  x = "\u{1F600}é" -> f\n}\n');
  const s = ((u.items[0] as ModelDecl).body[0] as AssignStmt).value as ChainExpr;
  assert.equal(at(s.head.range), '1:6-1:11', 'an astral character counts two UTF-16 units');
  assert.equal(at(s.calls[0].range), '1:15-1:16');
});

test('CRLF and lone CR line endings', () => {
  const f = ok('model M {\r\n  input x: [3]\r\n  output x\r}\r\n');
  const m = f.items[0] as ModelDecl;
  assert.equal(at(m.body[1].range), '2:2-2:10');
  assert.equal(at(m.range), '0:0-3:1');
});

// ---------------------------------------------------------------- lexer

test('lexer: numbers keep text; isInt; comments with ranges', () => {
  const r = lex('12 0.1 1e-3 1E5 2.50 # note\n// other\n');
  const nums = r.tokens.filter((t) => t.kind === 'number');
  assert.deepEqual(
    nums.map((t) => [t.text, t.value, t.isInt]),
    [
      ['12', 12, true],
      ['0.1', 0.1, false],
      ['1e-3', 0.001, false],
      ['1E5', 100000, true],
      ['2.50', 2.5, false],
    ],
  );
  assert.deepEqual(
    r.comments.map((c) => [c.text, at(c.range)]),
    [
      ['# note', '0:21-0:27'],
      ['// other', '1:0-1:8'],
    ],
  );
  assert.deepEqual(
    lex('a*b//c').tokens.map((t) => t.kind),
    ['ident', '*', 'ident', '//', 'ident', 'eof'],
  );
});

test('lexer: string escapes', () => {
  const f = ok('import "a\\"b\\\\c\\nd\\u0041\\u{1F600}"\n');
  assert.equal(f.items[0].kind === 'import' && f.items[0].path.value, 'a"b\\c\ndA\u{1F600}');
});

test('// is floor division only between two values, otherwise a comment', () => {
  assert.equal(show(expr('dim // heads')), '(dim // heads)');
  assert.equal(show(expr('(dim + 1) // 2')), '(<(dim + 1)> // 2)');
  assert.equal(show(expr('8 // 2 // 2')), '((8 // 2) // 2)');
  const cases: Array<[string, string, string]> = [
    ['x -> dense(8) // hidden', '{x -> dense(8)}', '// hidden'],
    ['x -> relu // relu', '{x -> relu}', '// relu'],
    ['dim // half of it', 'dim', '// half of it'],
    ['digits(samples = 6000)  // built-in', 'digits(samples=6000)', '// built-in'],
    ['4 // see "notes" # here', '4', '// see "notes" # here'],
    ["dim // don't", 'dim', "// don't"],
    ['dim //', 'dim', '//'],
  ];
  for (const [src, tree, comment] of cases) {
    const f = ok(`model M {\n  x = ${src}\n}\n`);
    assert.equal(show(((f.items[0] as ModelDecl).body[0] as AssignStmt).value), tree, src);
    assert.deepEqual(
      f.comments.map((c) => c.text),
      [comment],
      src,
    );
  }
  const own = ok('// top\nmodel M {  // body\n  input x // the input\n  output x // out\n}\n');
  assert.deepEqual(
    own.comments.map((c) => c.text),
    ['// top', '// body', '// the input', '// out'],
  );
  const g = ok('model M {\n  x = a // b # c\n}\n');
  assert.deepEqual(g.comments.map((c) => c.text), ['# c']);
});

// ---------------------------------------------------------------- errors

function errs(text: string): Array<[string, string, string]> {
  return parse(text).errors.map((e) => [e.code, e.message, at(e.range)]);
}

test('unclosed call is reported at the line break and the body goes on', () => {
  const src = 'model A {\n  input x: [3]\n  y = x -> conv2d(8, 3\n  output y\n}\nmodel B {\n  input z: [3]\n  output z\n}\n';
  assert.deepEqual(errs(src), [['syntax.unclosed', "expected ')' to close '(' at 3:18, found newline", '2:22-2:23']]);
  const f = parse(src);
  assert.deepEqual(f.items.map((i) => i.kind === 'model' && i.name.name), ['A', 'B']);
  assert.deepEqual((f.items[0] as ModelDecl).body.map((s) => s.kind), ['input', 'assign', 'output']);
});

test('a list left open at the end of a line, before a line that starts a statement, is closed there: one error, the next statement is its own', () => {
  // `dense(4,` then `z = y -> relu`: the next line was read as a named argument `z = y`, with an unclosed error at its `->`
  // and a fix making `dense(4, z = y) -> relu`; then the analysis found an unknown argument and an undefined z.
  for (const [open, col] of [
    ['dense(4,', 20],
    ['relu(', 17],
    ['dense(4, activation = relu,', 39],
  ] as const) {
    const src = `model M {\n  input x: [8]\n  y = x -> ${open}\n  z = y -> relu\n  output z\n}\n`;
    const f = parse(src);
    assert.deepEqual(f.errors.map((e) => [e.code, e.range.start.line, e.range.start.character + 1, e.insert?.at.character]), [['syntax.unclosed', 2, col, col - 1]], open);
    assert.deepEqual((f.items[0] as ModelDecl).body.map((s) => s.kind), ['input', 'assign', 'assign', 'output'], open);
    assert.deepEqual(analyze(src).diagnostics.map((d) => d.code), ['syntax.unclosed'], open);
  }
  // A bracket list too, and what the call then lacks (a second value for concat, the sizes of reshape) is not said again.
  for (const [line, col] of [
    ['y = x -> reshape([4,', 23],
    ['y = concat(x,', 16],
  ] as const) {
    const src = `model M {\n  input x: [8]\n  ${line}\n  z = x -> relu\n  output y, z\n}\n`;
    assert.deepEqual(
      analyze(src).diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.character + 1]),
      [['syntax.unclosed', 2, col]],
      line,
    );
  }
  // A continuation at the statement's indentation, closed later, is still one call (no error).
  const ok = parse('model M {\n  input x: [8]\n  y = x -> dense(4,\n  activation = relu)\n  output y\n}\n');
  assert.deepEqual(ok.errors, []);
  assert.deepEqual((ok.items[0] as ModelDecl).body.map((s) => s.kind), ['input', 'assign', 'output']);
});

test('one mistake, one error; later models still parse', () => {
  const cases: Array<[string, string]> = [
    ['  x = 1 2 3 4\n', 'syntax.unexpected'],
    ['  x = (a + \n', 'syntax.expected'],
    ['  x = f(a b c) -> g\n', 'syntax.expected'],
    ['  x = [1, 2\n', 'syntax.unclosed'],
    ['  x = f(1]\n', 'syntax.expected'],
    ['  x -> relu\n', 'syntax.expected'],
    ['  x = -> relu\n', 'syntax.expected'],
    ['  x = a -> 5 -> g\n', 'syntax.expected'],
    ['  x = a -> f * \n', 'syntax.expected'],
    ['  input 3: [1]\n', 'syntax.expected'],
    ['  input x: 7\n', 'syntax.expected'],
    ['  input: [1]\n', 'syntax.expected'],
    ['  12 + 3\n', 'syntax.expected'],
    ['  ) ) )\n', 'syntax.expected'],
    ['  x = "abc\n', 'syntax.unterminated_string'],
    ['  x = 1.5.2\n', 'syntax.bad_number'],
    ['  x = 3x3\n', 'syntax.bad_number'],
    ['  x = 1e\n', 'syntax.bad_number'],
    ['  x = "a\\qb"\n', 'syntax.bad_escape'],
    ['  x = a $ b\n', 'syntax.invalid_character'],
    ["  x = f('a')\n", 'syntax.invalid_character'],
    ['  x = a;\n', 'syntax.invalid_character'],
    ['  output\n', 'syntax.expected'],
    ['  x = \n', 'syntax.expected'],
    ['  model = 3\n', 'syntax.expected'],
  ];
  for (const [line, code] of cases) {
    const src = `model A {\n  input i: [3]\n${line}  output i\n}\nmodel B {\n  input z: [3]\n  output z\n}\n`;
    const f = parse(src);
    assert.deepEqual(
      f.errors.map((e) => e.code),
      [code],
      `${JSON.stringify(line)}: ${JSON.stringify(f.errors)}`,
    );
    assert.equal(f.errors[0].range.start.line, 2, line);
    assert.deepEqual(
      f.items.map((i) => i.kind === 'model' && i.name.name),
      ['A', 'B'],
      line,
    );
    const a = f.items[0] as ModelDecl;
    assert.equal(a.body[0].kind, 'input', line);
    assert.equal(a.body[a.body.length - 1].kind, 'output', line);
  }
});

test('error messages say what was expected and what was found', () => {
  assert.deepEqual(errs('model A {\n  x -> relu\n}\n'), [
    ['syntax.expected', "expected '=' after 'x' (a statement is 'input', 'output' or 'NAME = value'), found '->': to make it the output, write 'output x -> ...'; to keep it, 'x = x -> ...'", '1:4-1:6'],
  ]);
  assert.deepEqual(errs('model A {\n  x = \n}\n'), [['syntax.expected', "expected an expression, found '}'", '2:0-2:1']]);
  assert.deepEqual(errs('model A {\n  x = \n  y = 2\n}\n'), [['syntax.expected', 'expected an expression, found newline', '1:6-1:7']]);
  assert.deepEqual(errs('model A {\n  x = a -> 5\n}\n'), [
    ['syntax.expected', "expected a layer or block name after '->', found number 5", '1:11-1:12'],
  ]);
  assert.deepEqual(errs('model A {\n  x = "abc\n}\n'), [
    ['syntax.unterminated_string', 'string is not closed: expected \'"\' before the end of the line', '1:6-1:10'],
  ]);
  assert.deepEqual(errs('input x: [3]\n'), [
    [
      'syntax.expected',
      "expected 'model', 'block', 'train' or 'import', found keyword 'input' ('input' belongs inside a model or block body)",
      '0:0-0:5',
    ],
  ]);
});

test('an ErrorExpr stands where an expression is missing', () => {
  const f = parse('model A {\n  x = \n  y = f(1, , 2)\n}\n');
  const m = f.items[0] as ModelDecl;
  const x = m.body[0] as AssignStmt;
  assert.equal(x.value.kind, 'error');
  assert.equal(at(x.value.range), '1:5-1:5');
  const y = m.body[1] as AssignStmt;
  assert.equal(show(y.value), 'f(1 ! 2)');
  assert.equal(f.errors.length, 2);
});

test('unclosed { at EOF: one error, body parsed', () => {
  const f = parse('model A {\n  input x: [3]\n  output x\n');
  assert.deepEqual(
    f.errors.map((e) => [e.code, e.message]),
    [['syntax.unclosed', "expected '}' to close '{' at 1:9, found end of file"]],
  );
  assert.deepEqual((f.items[0] as ModelDecl).body.map((s) => s.kind), ['input', 'output']);
  assert.equal(at(f.items[0].range), '0:0-2:10');
});

test('unclosed { before the next declaration: one error, both parsed', () => {
  const f = parse('model A {\n  input x: [3]\n  output x\n\nmodel B {\n  input y: [3]\n  output y\n}\n');
  assert.deepEqual(f.errors.map((e) => e.code), ['syntax.unclosed']);
  assert.equal(f.errors[0].range.start.line, 4);
  assert.deepEqual(f.items.map((i) => i.kind === 'model' && i.name.name), ['A', 'B']);
  assert.equal((f.items[1] as ModelDecl).body.length, 2);
});

test('top-level junk: one error per run, resynchronised at the next declaration', () => {
  const f = parse('hello world\nthis is junk ( [\nmodel A {\n  input x: [3]\n  output x\n}\n} } model B {\n  input y: [1]\n  output y\n}\n');
  assert.equal(f.errors.length, 2);
  assert.deepEqual(f.items.map((i) => i.kind === 'model' && i.name.name), ['A', 'B']);
});

test('broken declaration headers drop only that declaration', () => {
  const tail = 'model Z {\n  input z: [1]\n  output z\n}\n';
  for (const head of ['model {\n  output x\n}\n', 'model A\n  output x\n}\n', 'block b(x y) {\n  input x\n  output x\n}\n', 'train {\n  epochs: 1\n}\n', 'import\n', 'import nope\n']) {
    const f = parse(head + tail);
    assert.equal(f.errors.length, 1, `${head}: ${JSON.stringify(f.errors)}`);
    const last = f.items[f.items.length - 1];
    assert.equal(last.kind === 'model' && last.name.name, 'Z', head);
  }
});

test('train entries: errors recover per line', () => {
  const f = parse('train M {\n  epochs 5\n  batch: 64\n  : 3\n  lr: adam(lr = )\n  metrics: [accuracy]\n}\n');
  assert.equal(f.errors.length, 3);
  const t = f.items[0] as TrainDecl;
  assert.deepEqual(t.entries.map((e) => e.key.name), ['batch', 'lr', 'metrics']);
});

test('long operator chains are bounded: one syntax.too_long at the first operator too many, and the rest of the file is analysed', () => {
  // `a + b + c` nests to the left, one level per operator: 3 000 terms overflowed the analysis' recursion (internal.error over the whole file).
  const sum = (terms: number, term: string) => Array.from({ length: terms }, () => term).join(' + ');
  for (const [line, col] of [
    [`  output x + ${sum(3000, 'x')}`, 12 + 4 * MAX_OPERATORS],
    [`  output x -> dense(${sum(3000, '1')}) -> relu`, 23 + 4 * MAX_OPERATORS],
    [`  output x -> dense(${Array.from({ length: 3000 }, () => '8').join(' // 1 * ')})`, 23 + 9 * (MAX_OPERATORS / 2)],
  ] as const) {
    const text = `model A {\n  input x: [8]\n${line}\n}\nmodel B {\n  input y: [4]\n  output y -> dense(2\n}\n`;
    const f = parse(text);
    assert.deepEqual(f.errors.map((e) => [e.code, e.range.start.line, e.range.start.character + 1]), [['syntax.too_long', 2, col], ['syntax.unclosed', 6, 22]], line.slice(0, 40));
    const a = analyze(text);
    assert.deepEqual(a.diagnostics.filter((d) => d.code.startsWith('internal')), []);
    // B is still analysed: its own mistake is reported, and its input reaches dense.
    assert.ok(a.models.some((m) => m.name === 'B'));
  }
  // At the bound itself: no error, and the analysis sums it.
  const ok = analyze(`model A {\n  input x: [8]\n  output x -> dense(${sum(MAX_OPERATORS + 1, '1')})\n}\n`);
  assert.deepEqual(ok.diagnostics.map((d) => d.code), []);
  assert.equal(ok.models[0].outputs[0].shape?.dims[0].value, MAX_OPERATORS + 1);
});

test('deep nesting is bounded: one error, no exception', () => {
  const deep = 10000;
  const balanced = `model A {\n  x = ${'('.repeat(deep)}1${')'.repeat(deep)}\n  output x\n}\nmodel B {\n  input y: [1]\n  output y\n}\n`;
  const f = parse(balanced);
  assert.deepEqual(f.errors.map((e) => e.code), ['syntax.too_deep']);
  assert.deepEqual(f.items.map((i) => i.kind === 'model' && i.name.name), ['A', 'B']);
  assert.deepEqual((f.items[0] as ModelDecl).body.map((s) => s.kind), ['assign', 'output']);

  for (const src of [
    `model A {\n  x = ${'('.repeat(100000)}\n}\n`,
    `model A {\n  x = ${'['.repeat(100000)}\n}\n`,
    `model A {\n  x = ${'-'.repeat(100000)}1\n}\n`,
    `model A {\n  x = ${'f('.repeat(100000)}\n}\n`,
    '('.repeat(100000),
    `model A {\n  x = a${' -> f(g('.repeat(50000)}\n}\n`,
  ]) {
    const g = parse(src);
    assert.ok(g.errors.length >= 1 && g.errors.length <= 2, JSON.stringify(g.errors.map((e) => e.code)));
  }
  // Exactly at the limit still parses.
  const limit = MAX_DEPTH - 2;
  ok(`model A {\n  x = ${'('.repeat(limit)}1${')'.repeat(limit)}\n}\n`);
});

test('the values a statement refused as too long or too deep uses are not reported unused, and references reach them', () => {
  const sum = Array.from({ length: 1500 }, () => 'y').join(' + ');
  const nested = `${'('.repeat(MAX_DEPTH + 5)}y${')'.repeat(MAX_DEPTH + 5)}`;
  for (const [expr, code] of [
    [sum, 'syntax.too_long'],
    [nested, 'syntax.too_deep'],
    [`y -> dense(${Array.from({ length: 1500 }, () => '1').join(' + ')}) -> dense(w)`, 'syntax.too_long'],
  ] as const) {
    const text = `model M {\n  input x: [4]\n${expr.includes('(w)') ? '  w = 3\n' : ''}  y = x -> dense(4)\n  z = ${expr}\n  output z\n}\n`;
    const a = analyze(text);
    assert.deepEqual(a.diagnostics.map((d) => d.code), [code], expr.slice(0, 30));
    const y = a.symbols.find((s) => s.name === 'y')!;
    assert.ok(y.references.length >= 1, expr.slice(0, 30));
    // Each reference is the text `y`.
    for (const r of y.references) assert.equal(text.slice(r.range.start.offset, r.range.end.offset), 'y');
  }
  // Skipped calls are not uses of a value named like their callee; their arguments' names are.
  const w = analyze(`model M {\n  input x: [4]\n  w = 3\n  dense = 2\n  z = ${'x + '.repeat(1500)}dense(w)\n  output z + dense\n}\n`);
  assert.deepEqual(w.diagnostics.map((d) => d.code), ['syntax.too_long']);
  assert.equal(w.symbols.find((s) => s.name === 'w')!.references.length, 1);
  assert.equal(w.symbols.find((s) => s.name === 'dense')!.references.length, 1);
});

test('long flat inputs are fine (no recursion on chain length or item count)', () => {
  const f = ok(`model A {\n  input x: [1]\n  output x${' -> relu'.repeat(50000)}\n}\n`);
  assert.equal(((f.items[0] as ModelDecl).body[1] as OutputStmt).values[0].kind, 'chain');
  // A 20 000-term sum is read without recursion too; past MAX_OPERATORS it is one error (see the test above).
  const g = parse(`model A {\n  x = ${Array.from({ length: 20000 }, (_, i) => `a${i}`).join(' + ')}\n}\n`);
  assert.deepEqual(g.errors.map((e) => e.code), ['syntax.too_long']);
  assert.equal(((g.items[0] as ModelDecl).body[0] as AssignStmt).value.kind, 'error');
});

test('20 000-line file parses in linear time', () => {
  const chunk = `model M{i} {
  input x: [seq, 32]  # input
  h = x -> dense(64, activation = relu) -> dropout(0.1) * 2 -> layernorm
  output h + x -> dense(32) // residual
}

`;
  const parts: string[] = [];
  for (let i = 0; parts.length * 6 < 20000; i++) parts.push(chunk.replace('{i}', String(i)));
  const text = parts.join('');
  assert.ok(text.split('\n').length >= 20000);
  let best = Infinity;
  let items = 0;
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    const f = parse(text);
    best = Math.min(best, performance.now() - t0);
    items = f.items.length;
    assert.equal(f.errors.length, 0);
  }
  assert.equal(items, parts.length);
  assert.ok(best < 2000, `parse took ${best.toFixed(0)} ms`);
});

test('garbage never throws', () => {
  let seed = 12345;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const alphabet = ['model', 'block', 'train', 'import', 'input', 'output', 'x', '=', '->', '(', ')', '[', ']', '{', '}', ',', ':', '*', '+', '-', '//', '/', '#c', '"s', '"t"', '1', '2.5', '1e', '\n', ' ', 'int', '$', '\r\n', 'true'];
  for (let n = 0; n < 300; n++) {
    const len = Math.floor(rnd() * 60);
    let s = '';
    for (let i = 0; i < len; i++) s += alphabet[Math.floor(rnd() * alphabet.length)] + (rnd() < 0.5 ? ' ' : '');
    const f = parse(s);
    for (const e of f.errors) {
      assert.ok(e.range.start.offset <= e.range.end.offset && e.range.end.offset <= s.length, s);
      assert.notEqual(e.code, 'syntax.internal', `${JSON.stringify(s)}: ${e.message}`);
    }
  }
});

test('stripRanges drops positions but keeps structure', () => {
  const a = stripRanges(parse('model A {\n  x = f(1) -> g\n}\n').items);
  const b = stripRanges(parse('model   A{\n\n   x=f( 1 )\n     -> g\n}').items);
  const c = stripRanges(parse('model A {\n  x = f(1) -> g()\n}\n').items);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('sameStructure agrees with comparing stripRanges copies', () => {
  const texts = [
    'model A {\n  x = f(1) -> g\n}\n',
    'model   A{\n\n   x=f( 1 )\n     -> g\n}',
    'model A {\n  x = f(1) -> g()\n}\n',
    'model A {\n  x = f(2) -> g\n}\n',
    'block b(d, k = 2) {\n  input x\n  output x -> dense(d) * 3\n}\n',
    'block b(d, k = 3) {\n  input x\n  output x -> dense(d) * 3\n}\n',
  ];
  const trees = texts.map((t) => parse(t).items);
  for (const a of trees) {
    for (const b of trees) {
      assert.equal(sameStructure(a, b), JSON.stringify(stripRanges(a)) === JSON.stringify(stripRanges(b)));
    }
  }
  assert.ok(sameStructure(trees[0], trees[1]));
  assert.ok(!sameStructure(trees[0], trees[2]), 'relu and relu() stay distinct');
  assert.ok(!sameStructure(trees[4], trees[5]));
});

test('reparse keeps line numbers right when an edit touches, splits or joins line breaks (LF, CR LF, lone CR)', () => {
  const model = (i: number, nl: string) => [`model M${i} {`, '  input x: [4]', `  y = x -> dense(${i + 1})`, '  output y', '}', ''].join(nl);
  for (const nl of ['\n', '\r\n', '\r']) {
    const base = Array.from({ length: 6 }, (_, i) => model(i, nl)).join('');
    const at = base.indexOf('dense(3)');
    const lineEnd = base.indexOf(nl, at);
    const edits: [string, (t: string) => string][] = [
      ['a character inside a line', (t) => t.slice(0, at) + 'x' + t.slice(at)],
      ['a character at the end of a line', (t) => t.slice(0, lineEnd) + ' ' + t.slice(lineEnd)],
      ['a character right after a line break', (t) => t.slice(0, lineEnd + nl.length) + ' ' + t.slice(lineEnd + nl.length)],
      ['a character between CR and LF', (t) => t.slice(0, lineEnd + 1) + ' ' + t.slice(lineEnd + 1)],
      ['a LF after a CR', (t) => t.slice(0, lineEnd + 1) + '\n' + t.slice(lineEnd + 1)],
      ['a line break removed', (t) => t.slice(0, lineEnd) + t.slice(lineEnd + nl.length)],
      ['a CR inserted', (t) => t.slice(0, at) + '\r' + t.slice(at)],
      ['a line break inserted', (t) => t.slice(0, at) + nl + t.slice(at)],
    ];
    for (const [what, edit] of edits) {
      let state: ParseState | undefined = reparse(base, undefined);
      // A first keystroke so that the state carries its line map, then the edit under test, then back.
      const typed = base.slice(0, at) + '1' + base.slice(at);
      for (const text of [typed, edit(typed), typed, base]) {
        state = reparse(text, state);
        assert.equal(JSON.stringify(state.file), JSON.stringify(parse(text)), `${JSON.stringify(nl)}: ${what}`);
        assert.equal(state.lineCount, parse(text).range.end.line + 1, `${JSON.stringify(nl)}: ${what}: line count`);
      }
    }
  }
});

// ------------------------------------------------ token store and its fast paths

test('lexer: more tokens than the store is first sized for (one per character)', () => {
  const text = 'x' + ',x'.repeat(3000) + '\n';
  const toks = lex(text).tokens;
  assert.equal(toks.length, 6002);
  assert.deepEqual(
    [toks[0], toks[5999], toks[6000], toks[6001]].map((t) => [t.kind, t.text, t.start, t.end, t.line, t.character]),
    [
      ['ident', 'x', 0, 1, 0, 0],
      [',', ',', 5999, 6000, 0, 5999],
      ['ident', 'x', 6000, 6001, 0, 6000],
      ['eof', '', 6002, 6002, 1, 0],
    ],
  );
  // The parser reads the grown store too: a list of 3001 names.
  const f = parse(`model M {\n  x = [${'a, '.repeat(3000)}a]\n}\n`);
  assert.deepEqual(f.errors, []);
  const v = ((f.items[0] as ModelDecl).body[0] as AssignStmt).value;
  assert.equal(v.kind === 'list' && v.items.length, 3001);
});

test('lexer: number values equal Number() of the text (integers are accumulated while scanning)', () => {
  const cases = ['0', '7', '007', '64', '123456789012345', '999999999999999', '1234567890123456', '9007199254740993', '99999999999999999999', '1e3', '1E5', '2.50', '1.5e2', '0.1', '12e-1'];
  const toks = lex(cases.join(' ')).tokens.filter((t) => t.kind === 'number');
  assert.deepEqual(
    toks.map((t) => [t.text, t.value, t.isInt, t.error]),
    cases.map((c) => [c, Number(c), !c.includes('.') && Number.isInteger(Number(c)), undefined]),
  );
  // Malformed numbers keep the value of their valid start, as before.
  const bad = lex('1. 3x3 1e .5 1e400').tokens.filter((t) => t.kind === 'number');
  assert.deepEqual(
    bad.map((t) => [t.text, t.value, t.isInt, t.error?.code]),
    [
      ['1.', 1, false, 'syntax.bad_number'],
      ['3x3', 3, true, 'syntax.bad_number'],
      ['1e', 1, true, 'syntax.bad_number'],
      ['.5', 0.5, false, 'syntax.bad_number'],
      ['1e400', 0, true, 'syntax.bad_number'],
    ],
  );
});

test('lexer: keywords are told from names by length and letters', () => {
  const words = 'model block train import input output true false';
  assert.deepEqual(
    lex(words).tokens.map((t) => t.kind),
    [...words.split(' ').map(() => 'keyword'), 'eof'],
  );
  const near = 'models mode Model block_ blocks trains trai imports inputs input2 outputs outpu tru truE falsey int i o m';
  assert.deepEqual(
    lex(near).tokens.map((t) => [t.kind, t.text]),
    [...near.split(' ').map((w) => ['ident', w]), ['eof', '']],
  );
});

test('parser: every position of an item tree is listed once (shared where two tokens touch)', () => {
  const { file, positions } = parseWithPositions(`block b(n, m = 2) {\n  input x\n  output x -> dense(n) -> dense (m) -> relu\n}\n${LENET}`);
  assert.deepEqual(file.errors, []);
  assert.equal(positions.length, file.items.length);
  for (let i = 0; i < file.items.length; i++) {
    const listed = new Set(positions[i]);
    assert.equal(listed.size, positions[i].length, `item ${i}: a position listed twice`);
    const seen = new Set<object>();
    const walk = (v: unknown): void => {
      if (v === null || typeof v !== 'object' || seen.has(v)) return;
      seen.add(v);
      if ('offset' in v && 'line' in v && 'character' in v) assert.ok(listed.has(v as never), `item ${i}: a position not listed`);
      else for (const x of Object.values(v)) walk(x);
    };
    walk(file.items[i]);
  }
  // `dense(`: the call's argument range starts where its name ends, as one object; `dense (` has a gap.
  const calls = (((file.items[0] as BlockDecl).body[1] as OutputStmt).values[0] as ChainExpr).calls;
  assert.equal(calls[0].argsRange!.start, calls[0].callee.range.end);
  assert.notEqual(calls[1].argsRange!.start, calls[1].callee.range.end);
  assert.equal(calls[1].argsRange!.start.offset, calls[1].callee.range.end.offset + 1);
  // A bare call spans its name: one range object for both.
  assert.equal(calls[2].range, calls[2].callee.range);
  assert.equal(calls[2].argsRange, undefined);
});

test("a ')' forgotten before '->' ends the arguments there: one error, the chain goes on, and a fix inserts it", async () => {
  const { analyze } = await import('../../extension/core/analysis/analyze');
  const src = 'model M {\n  input x: [28, 28, 1]\n  output x -> conv2d(8, 3 -> relu\n}\n';
  const a = analyze(src);
  // Not also a type error for an argument `3 -> relu`.
  assert.deepEqual(
    a.diagnostics.map((d) => [d.code, d.message]),
    [['syntax.unclosed', "expected ')' to close '(' at 3:21, found '->'"]],
  );
  const [fix] = a.diagnostics[0].fixes!;
  assert.equal(fix.title, "Insert ')'");
  const edit = fix.edits[0];
  assert.deepEqual([edit.range.start.line, edit.range.start.character, edit.range.end.character, edit.newText], [2, 25, 25, ')']);
  const fixed = src.slice(0, edit.range.start.offset) + edit.newText + src.slice(edit.range.end.offset);
  assert.equal(fixed, src.replace('conv2d(8, 3', 'conv2d(8, 3)'));
  // The tree already reads it so: the relu follows the conv.
  const chain = parse(src).items[0];
  assert.ok(chain.kind === 'model');
  const out = chain.body[1];
  assert.ok(out.kind === 'output' && out.values[0].kind === 'chain');
  assert.deepEqual(out.values[0].calls.map((c) => c.callee.name), ['conv2d', 'relu']);
  const fixedAnalysis = analyze(fixed);
  assert.deepEqual(fixedAnalysis.diagnostics, []);
  // The guess leaves nothing out, but the model is marked as having errors (so are the models that use a block holding one).
  assert.equal(a.models[0].hasErrors, true);
  assert.equal(fixedAnalysis.models[0].hasErrors, false);
  const inBlock = analyze('block b(n) {\n  input x\n  output x -> dense(n -> relu\n}\nmodel M {\n  input x: [4]\n  output x -> b(8)\n}\n');
  assert.deepEqual(inBlock.diagnostics.map((d) => d.code), ['syntax.unclosed']);
  assert.equal(inBlock.models[0].hasErrors, true);
  assert.equal(a.models[0].outputs[0].shape.dims.map((d) => d.value).join(','), '26,26,8');
});

test("an unclosed argument list at the end of a line gets the fix; a closed one with '->' inside keeps it; a body's '}' gets none", () => {
  const src = 'model M {\n  input x: [4]\n  output x -> dense(10\n}\n';
  const errors = parse(src).errors;
  assert.equal(errors.length, 1);
  assert.deepEqual([errors[0].insert!.at.line, errors[0].insert!.at.character, errors[0].insert!.text], [2, 22, ')']);
  // Closed, an argument may hold a chain: it is left as written.
  const closed = parse('model M {\n  input x: [4]\n  output concat(x -> relu, x)\n}\n');
  assert.deepEqual(closed.errors, []);
  const body = parse('model M {\n  input x: [4]\n  output x\n');
  assert.equal(body.errors[0].code, 'syntax.unclosed');
  assert.equal(body.errors[0].insert, undefined);
});

// ------------------------------------------------ cascades: one mistake, one diagnostic

type Fixable = SourceFile['errors'][number];

/** `text` with the fix of syntax error `e` applied (its replace, else its insert). */
function applyFix(text: string, e: Fixable): string {
  if (e.replace) return text.slice(0, e.replace.range.start.offset) + e.replace.text + text.slice(e.replace.range.end.offset);
  assert.ok(e.insert, `no fix on ${e.message}`);
  return text.slice(0, e.insert.at.offset) + e.insert.text + text.slice(e.insert.at.offset);
}

test("';' between statements is one error, read as a line break, with a fix that removes it or starts a new line", () => {
  const oneLine = 'model A { input x: [10]; output x }\n';
  const f = parse(oneLine);
  assert.deepEqual(f.errors.map((e) => [e.code, e.message, at(e.range)]), [['syntax.invalid_character', "statements end at a line break; replace ';' with a new line", '0:23-0:24']]);
  assert.deepEqual((f.items[0] as ModelDecl).body.map((s) => s.kind), ['input', 'output']);
  // Not also model.no_output and input.unused.
  assert.deepEqual(analyze(oneLine).diagnostics.map((d) => d.code), ['syntax.invalid_character']);
  assert.equal((f.errors[0] as Fixable).replace?.title, "Replace ';' with a line break");
  assert.equal(applyFix(oneLine, f.errors[0]), 'model A { input x: [10]\n  output x }\n');
  assert.deepEqual(analyze(applyFix(oneLine, f.errors[0])).diagnostics, []);
  // At the end of a line, after a declaration's '}', and in a train section: removed.
  const src = 'model A {\n  input x: [10];\n  y = x -> relu ;;\n  output y\n};\ntrain A {\n  data: digits(samples = 60); epochs: 1\n}\n';
  const g = parse(src);
  assert.deepEqual(g.errors.map((e) => [e.message, e.range.start.line]), [
    ["statements end at a line break; remove ';'", 1],
    ['statements end at a line break; remove these semicolons', 2],
    ["declarations end with their '}'; remove ';'", 4],
    ["statements end at a line break; replace ';' with a new line", 6],
  ]);
  assert.deepEqual((g.items[0] as ModelDecl).body.map((s) => s.kind), ['input', 'assign', 'output']);
  assert.deepEqual((g.items[1] as TrainDecl).entries.map((e) => e.key.name), ['data', 'epochs']);
  assert.deepEqual(analyze(src).diagnostics.map((d) => d.code), Array(4).fill('syntax.invalid_character'));
  let fixed = src;
  for (const e of [...g.errors].reverse()) fixed = applyFix(fixed, e);
  assert.equal(fixed, 'model A {\n  input x: [10]\n  y = x -> relu\n  output y\n}\ntrain A {\n  data: digits(samples = 60)\n  epochs: 1\n}\n');
  // After another error in the statement, the ';' still separates (silently).
  const h = parse('model A {\n  input x: [10]\n  y = x x; output x\n}\n');
  assert.deepEqual(h.errors.map((e) => e.code), ['syntax.unexpected']);
  assert.deepEqual((h.items[0] as ModelDecl).body.map((s) => s.kind), ['input', 'assign', 'output']);
});

test('a second statement on the line of a complete one: one error, parsed as its own statement, with a fix that breaks the line', () => {
  for (const [src, kinds, put, moved] of [
    ['model A {\n  input x: [10] output x\n}\n', ['input', 'output'], "put 'output' on a new line", '  output x'],
    ['model A {\n  input x: [10] y = x\n  output y\n}\n', ['input', 'assign', 'output'], "put 'y = ...' on a new line", '  y = x'],
  ] as const) {
    const f = parse(src);
    assert.deepEqual(f.errors.map((e) => e.code), ['syntax.unexpected'], src);
    assert.ok(f.errors[0].message.includes(put), f.errors[0].message);
    assert.deepEqual((f.items[0] as ModelDecl).body.map((s) => s.kind), kinds, src);
    const fixed = applyFix(src, f.errors[0]);
    assert.deepEqual(parse(fixed).errors, [], fixed);
    assert.deepEqual(fixed.split('\n').slice(1, 3), ['  input x: [10]', moved], fixed);
  }
  const src = 'model A {\n  input x: [10] output x\n}\n';
  assert.deepEqual(analyze(src).diagnostics.map((d) => d.code), ['syntax.unexpected']);
  const t = parse('train A {\n  loss: mse optimizer: adam\n}\n');
  assert.deepEqual(t.errors.map((e) => e.code), ['syntax.unexpected']);
  assert.deepEqual((t.items[0] as TrainDecl).entries.map((e) => e.key.name), ['loss', 'optimizer']);
});

test("arguments in square brackets ('-> dense[4]'): one error that shows the parentheses, a fix, and the call read as dense(4)", () => {
  const src = 'model A {\n  input x: [10]\n  output x -> dense[4] -> relu\n}\n';
  const f = parse(src);
  assert.deepEqual(f.errors.map((e) => [e.code, e.message, at(e.range)]), [['syntax.expected', 'arguments go in parentheses: dense(4), not square brackets', '2:19-2:22']]);
  const a = analyze(src);
  assert.deepEqual(a.diagnostics.map((d) => d.code), ['syntax.expected']);
  assert.deepEqual(a.models[0].outputs[0].shape.dims.map((d) => d.value), [4]);
  const fixed = applyFix(src, f.errors[0]);
  assert.equal((f.errors[0] as Fixable).replace?.title, 'Change to dense(4)');
  assert.equal(fixed, src.replace('dense[4]', 'dense(4)'));
  assert.deepEqual(analyze(fixed).diagnostics, []);
  // Left open: still one error, no fix.
  const open = parse('model A {\n  input x: [10]\n  output x -> dense[4\n}\n');
  assert.deepEqual(open.errors.map((e) => e.code), ['syntax.expected']);
  assert.equal((open.errors[0] as Fixable).replace, undefined);
});

test("a misspelt keyword gets 'did you mean', a fix, and is read as the keyword: the rest of the file is analysed", () => {
  for (const [wrong, right] of [
    ['inputs x: [8]', 'input x: [8]'],
    ['Input x: [8]', 'input x: [8]'],
    ['inptu x: [8]', 'input x: [8]'],
  ] as const) {
    const src = `model A {\n  ${wrong}\n  output x\n}\n`;
    const f = parse(src);
    assert.deepEqual(f.errors.map((e) => e.code), ['syntax.expected'], wrong);
    assert.match(f.errors[0].message, /did you mean 'input'\?$/, wrong);
    assert.deepEqual(analyze(src).diagnostics.map((d) => d.code), ['syntax.expected'], wrong);
    assert.equal(applyFix(src, f.errors[0]), src.replace(wrong, right));
    assert.equal((f.errors[0] as Fixable).replace?.title, "Change to 'input'");
  }
  const out = 'model A {\n  input x: [8]\n  ouput x\n}\n';
  assert.match(parse(out).errors[0].message, /found 'ouput': did you mean 'output'\?$/);
  assert.deepEqual(analyze(out).diagnostics.map((d) => d.code), ['syntax.expected']);
  // Top level: the declaration is kept, so a mistake inside it is still found.
  const top = 'modle Net {\n  input x: [8]\n  output x -> dense(0)\n}\nblok b {\n  input x\n  output x\n}\ntrian Net {\n  data: digits(samples = 60)\n}\nimprot "x.nnmodel"\n';
  const f = parse(top);
  assert.deepEqual(f.errors.map((e) => e.message.replace(/^.*found /, '')), [
    "'modle': did you mean 'model'?",
    "'blok': did you mean 'block'?",
    "'trian': did you mean 'train'?",
    "'improt': did you mean 'import'?",
  ]);
  assert.deepEqual(f.items.map((i) => i.kind), ['model', 'block', 'train', 'import']);
  let fixed = top;
  for (const e of [...f.errors].reverse()) fixed = applyFix(fixed, e);
  assert.equal(fixed, top.replace('modle', 'model').replace('blok', 'block').replace('trian', 'train').replace('improt', 'import'));
  const a = analyze(top, { readImport: () => ({ uri: '/x.nnmodel', text: '' }) });
  assert.deepEqual(a.diagnostics.filter((d) => !d.code.startsWith('syntax.')).map((d) => [d.code, d.range.start.line]), [['arg.range', 2]]);
  // Not a keyword's near miss: the message stays as it was.
  assert.doesNotMatch(parse('model A {\n  foo x\n}\n').errors[0].message, /did you mean/);
  assert.doesNotMatch(parse('network N {\n}\n').errors[0].message, /did you mean/);
  assert.doesNotMatch(parse('modle = 3\n').errors[0].message, /did you mean/);
});

test('a malformed number or string is reported each time and its value is not analysed (an error expression)', () => {
  const src = 'model A {\n  input x: [8]\n  output x -> dense(0x10) -> dropout(.5) -> dropout(5.)\n}\n';
  const f = parse(src);
  assert.deepEqual(f.errors.map((e) => [e.code, e.message.slice(0, e.message.indexOf(':'))]), [
    ['syntax.bad_number', "invalid number '0x10'"],
    ['syntax.bad_number', "invalid number '.5'"],
    ['syntax.bad_number', "invalid number '5.'"],
  ]);
  const out = (f.items[0] as ModelDecl).body[1] as OutputStmt;
  assert.deepEqual((out.values[0] as ChainExpr).calls.map((c) => c.args[0].value.kind), ['error', 'error', 'error']);
  // Not also arg.range for the value the lexer guessed (0 for 0x10, 5 for 5.).
  assert.deepEqual(analyze(src).diagnostics.map((d) => d.code), ['syntax.bad_number', 'syntax.bad_number', 'syntax.bad_number']);
  // After a syntax error in the statement too.
  const after = parse('model A {\n  input x: [8]\n  output x -> dense(4 4) -> dropout(5.)\n}\n');
  assert.deepEqual(after.errors.map((e) => e.code), ['syntax.expected', 'syntax.bad_number']);
  const chain = ((after.items[0] as ModelDecl).body[1] as OutputStmt).values[0] as ChainExpr;
  assert.equal(chain.calls[1].args[0].value.kind, 'error');
  // Shapes, repeat counts and strings alike.
  const more = analyze('model A {\n  input x: [8, 2.]\n  y = x -> dense(2) * 3.\n  output y -> reshape("ab\n}\n');
  assert.deepEqual(more.diagnostics.map((d) => d.code), ['syntax.bad_number', 'syntax.bad_number', 'syntax.unterminated_string']);
});
