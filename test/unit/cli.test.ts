import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS, main } from '../../extension/cli/cli';
import { version } from '../../package.json';
import { LENET5 as LENET, GPT2_SMALL as GPT2 } from '../fixtures/contract';
import { runCli as run, withWorkspace as inWorkspace } from '../fixtures/cli';
import { analyze } from '../../extension/core/analysis/analyze';
import { errorsBlockingTraining } from '../../extension/core/analysis/trainScope';
import { pickTrain } from '../../extension/cli/trainJob';
import { evaluationMessage, runJob, trainEndLines } from '../../extension/cli/train';
import { TrainError } from '../../extension/core/runtime/train';
import { CheckpointError } from '../../extension/core/runtime/checkpoint';
import { wordTokenizer } from '../../extension/core/runtime/tokenizers';



// Two models with problems: an unknown layer (line 3), an unused value (line 8) and a
// rank error (line 8), written out of order across models to exercise sorting.
const BROKEN = `model M {
  input x: [8]
  output x -> dense(10) -> relux
}

model N {
  input y: [4, 4]
  z = y -> conv2d(3, 3)
  output y -> dense(2)
}
`;

const withWorkspace = (files: Record<string, string>, body: (dir: string) => Promise<void>) => inWorkspace('nnmodel-cli-', files, body);

// ------------------------------------------------------------------ driver

test('--version prints the package version', async () => {
  const r = await run(tmpdir(), '--version');
  assert.equal(r.code, 0);
  assert.equal(r.out, `${version}\n`);
});

test('--help lists exactly the registered commands, and the exit codes', async () => {
  const r = await run(tmpdir(), '--help');
  assert.equal(r.code, 0);
  const listed = [...r.out.matchAll(/^  nnmodel ([a-z]+) /gm)].map((m) => m[1]).filter((n) => n !== 'help');
  assert.deepEqual(listed, COMMANDS.map((c) => c.name));
  for (const c of ['check', 'summary', 'format']) assert.ok(listed.includes(c), c);
  // A command is listed only once it exists: nothing advertises what cannot run.
  assert.doesNotMatch(r.out, /not (available|implemented)|coming soon/i);
  assert.match(r.out, /^Exit codes \(the same for every command\):\n  0 +done/m);
  for (const code of ['1', '2', '130']) assert.match(r.out, new RegExp(`^  ${code} +\\S`, 'm'), code);
  for (const c of COMMANDS) {
    const h = await run(tmpdir(), 'help', c.name);
    assert.equal(h.code, 0, c.name);
    assert.match(h.out, new RegExp(`^Usage: nnmodel ${c.name} `));
  }
  const sub = await run(tmpdir(), 'summary', '--help');
  assert.equal(sub.code, 0);
  assert.match(sub.out, /^Usage: nnmodel summary FILE/);
  assert.match(sub.out, /--batch N/);
  assert.equal((await run(tmpdir(), 'help', 'format')).out, (await run(tmpdir(), 'format', '-h')).out);
});

test("every command's usage line names each option its help lists, with the same value and repetition", () => {
  // --ipc is the VS Code extension's way in, not a user's: its help line says so, the usage leaves it out.
  const internal = new Set(['ipc']);
  for (const c of COMMANDS) {
    const inUsage = new Map([...c.synopsis.matchAll(/--([a-z][a-z-]*)(?: ([^\s\]]+))?\]?(\.\.\.)?/g)].map((m) => [m[1], { value: m[2], repeat: m[3] !== undefined }]));
    for (const o of c.options) {
      if (internal.has(o.name)) continue;
      assert.deepEqual(inUsage.get(o.name), { value: o.value, repeat: o.repeat === true }, `nnmodel ${c.name}: --${o.name} in '${c.synopsis}'`);
    }
    const known = new Set(c.options.map((o) => o.name));
    for (const name of inUsage.keys()) assert.ok(known.has(name), `nnmodel ${c.name}: the usage names --${name}, which it does not accept`);
  }
});

test('no command, an unknown command or a bad option is a usage error (exit 2)', async () => {
  const none = await run(tmpdir());
  assert.equal(none.code, 2);
  assert.match(none.err, /Usage:/);
  assert.equal(none.out, '');
  const unknown = await run(tmpdir(), 'compile', 'x.nnmodel');
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /unknown command 'compile'/);
  const badOption = await run(tmpdir(), 'check', '--fast', 'x.nnmodel');
  assert.equal(badOption.code, 2);
  assert.match(badOption.err, /unknown option '--fast'/);
  assert.equal((await run(tmpdir(), 'check')).code, 2);
  assert.equal((await run(tmpdir(), 'summary', 'a.nnmodel', 'b.nnmodel')).code, 2);
});

// ------------------------------------------------------------------- check

test(
  'check: one sorted line per diagnostic, 1-based positions, a count, exit 1 on errors',
  withWorkspace({ 'broken.nnmodel': BROKEN, 'lenet.nnmodel': LENET }, async (dir) => {
    const r = await run(dir, 'check', 'lenet.nnmodel', 'broken.nnmodel');
    assert.equal(r.code, 1);
    assert.equal(r.err, '');
    const lines = r.out.trimEnd().split('\n');
    assert.equal(lines.length, 4, r.out);
    const shape = /^broken\.nnmodel:(\d+):(\d+): (error|warning) ([a-z_]+\.[a-z_]+) \S.*$/;
    for (const l of lines.slice(0, 3)) assert.match(l, shape);
    // `relux` starts at column 28 of line 3.
    assert.match(lines[0], /^broken\.nnmodel:3:28: error name\.unknown_layer .*'relux'.*relu/);
    // Line 8: the unused `z` at column 3 sorts before the conv2d call at column 12.
    assert.match(lines[1], /^broken\.nnmodel:8:3: warning /);
    assert.match(lines[2], /^broken\.nnmodel:8:12: error shape\.\w+ .*conv2d/);
    assert.equal(lines[3], '2 errors, 1 warning in 2 files');
  }),
);

test(
  'check: clean files exit 0; warnings alone do not fail',
  withWorkspace(
    {
      'lenet.nnmodel': LENET,
      'warn.nnmodel': 'model W {\n  input x: [8]\n  unused = x -> dense(3)\n  output x -> dense(2)\n}\n',
    },
    async (dir) => {
      const clean = await run(dir, 'check', 'lenet.nnmodel');
      assert.deepEqual(clean, { code: 0, out: 'no problems in 1 file\n', err: '' });
      const warn = await run(dir, 'check', 'warn.nnmodel');
      assert.equal(warn.code, 0);
      assert.match(warn.out, /^warn\.nnmodel:3:3: warning \S+ /);
      assert.match(warn.out, /\n1 warning in 1 file\n$/);
    },
  ),
);

test(
  'check: an unreadable file is an I/O error (exit 2) and the other files are still checked',
  withWorkspace({ 'broken.nnmodel': BROKEN }, async (dir) => {
    const r = await run(dir, 'check', 'missing.nnmodel', 'broken.nnmodel');
    assert.equal(r.code, 2);
    assert.equal(r.err, 'missing.nnmodel: cannot read: no such file\n');
    assert.match(r.out, /broken\.nnmodel:3:28: error/);
    assert.match(r.out, /\n2 errors, 1 warning in the other file; 1 file could not be read\n$/);
  }),
);

test(
  'check: with no file readable it says why per file and never "no problems"',
  withWorkspace({ 'lenet.nnmodel': LENET, 'folder/x.nnmodel': LENET }, async (dir) => {
    const one = await run(dir, 'check', 'nope.nnmodel');
    assert.deepEqual(one, { code: 2, out: '1 file could not be read; nothing was checked\n', err: 'nope.nnmodel: cannot read: no such file\n' });
    const two = await run(dir, 'check', 'nope.nnmodel', 'folder');
    assert.equal(two.code, 2);
    assert.equal(two.err, 'nope.nnmodel: cannot read: no such file\nfolder: cannot read: is a directory\n');
    assert.equal(two.out, '2 files could not be read; nothing was checked\n');
    // The files that were read are still reported, without claiming the unread one is fine.
    const mixed = await run(dir, 'check', 'nope.nnmodel', 'lenet.nnmodel', 'folder/x.nnmodel');
    assert.equal(mixed.code, 2);
    assert.equal(mixed.out, '1 file could not be read; the other 2 files have no errors or warnings\n');
    assert.doesNotMatch(one.out + two.out + mixed.out, /no problems|0 files/);
  }),
);

test(
  'check: imports resolve relative to the importing file, not the working directory',
  withWorkspace(
    {
      'proj/lib/blocks.nnmodel': 'block mlp(n) {\n  input x\n  output x -> dense(n) -> relu\n}\n',
      'proj/net.nnmodel': 'import "lib/blocks.nnmodel"\nmodel U {\n  input x: [8]\n  output x -> mlp(16)\n}\n',
      'proj/gone.nnmodel': 'import "lib/nothing.nnmodel"\nmodel V {\n  input x: [8]\n  output x -> dense(2)\n}\n',
    },
    async (dir) => {
      const ok = await run(dir, 'check', 'proj/net.nnmodel');
      assert.deepEqual(ok, { code: 0, out: 'no problems in 1 file\n', err: '' });
      const summary = await run(dir, 'summary', 'proj/net.nnmodel', '--json');
      assert.equal(summary.code, 0);
      assert.equal(JSON.parse(summary.out).models[0].params.total, 8 * 16 + 16);
      const missing = await run(dir, 'check', 'proj/gone.nnmodel');
      assert.equal(missing.code, 1);
      assert.match(missing.out, /^proj\/gone\.nnmodel:1:8: error import\.not_found /m);
    },
  ),
);

// ----------------------------------------------------------------- summary

test(
  'summary: the LeNet-5 table has the contract shapes, parameters and MACs',
  withWorkspace({ 'lenet.nnmodel': LENET }, async (dir) => {
    const r = await run(dir, 'summary', 'lenet.nnmodel');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    const lines = r.out.split('\n');
    assert.equal(lines[0], 'LeNet5  (lenet.nnmodel:1)');
    // The receptive field as --json's receptiveField and the editor's summary give it; none for an input.
    assert.match(lines[2], /^Layer\s+Line\s+Output shape\s+Params\s+MACs\s+Receptive field$/);
    const rows = lines.filter((l) => /^\S.*\s\d+\s+(int)?\[/.test(l)).map((l) => l.split(/\s{2,}/));
    const expected: string[][] = [
      ['input image', '2', '[32, 32, 1]', '0', '0'],
      ['conv2d(6, 5)', '3', '[28, 28, 6]', '156', '117,600', '5 × 5'],
      ['tanh', '3', '[28, 28, 6]', '0', '0', '5 × 5'],
      ['avgpool(2)', '3', '[14, 14, 6]', '0', '0', '6 × 6 /2'],
      ['conv2d(16, 5)', '4', '[10, 10, 16]', '2,416', '240,000', '14 × 14 /2'],
      ['tanh', '4', '[10, 10, 16]', '0', '0', '14 × 14 /2'],
      ['avgpool(2)', '4', '[5, 5, 16]', '0', '0', '16 × 16 /4'],
      ['flatten', '5', '[400]', '0', '0', 'all'],
      ['dense(120)', '5', '[120]', '48,120', '48,000', 'all'],
      ['tanh', '5', '[120]', '0', '0', 'all'],
      ['dense(84)', '5', '[84]', '10,164', '10,080', 'all'],
      ['tanh', '5', '[84]', '0', '0', 'all'],
      ['dense(10)', '6', '[10]', '850', '840', 'all'],
      ['softmax', '6', '[10]', '0', '0', 'all'],
    ];
    assert.deepEqual(rows, expected);
    assert.match(r.out, /^Trainable params:\s+61,706$/m);
    assert.match(r.out, /^Non-trainable params:\s+0$/m);
    assert.match(r.out, /^Total params:\s+61,706$/m);
    assert.match(r.out, /^MACs \(one example\):\s+416,520$/m);
    // 61 706 float32 weights.
    assert.match(r.out, /^Parameter memory:\s+241\.0 KiB$/m);
    assert.match(r.out, /^Training, Adam, batch 32:\s+\S+ MiB$/m);
    const b8 = await run(dir, 'summary', 'lenet.nnmodel', '--batch', '8');
    assert.match(b8.out, /^Training, Adam, batch 8:/m);
  }),
);

test(
  'summary --json: GPT-2 small schema and values, symbolic dims as strings',
  withWorkspace({ 'gpt2.nnmodel': GPT2 }, async (dir) => {
    const r = await run(dir, 'summary', 'gpt2.nnmodel', '--json');
    assert.equal(r.code, 0, r.err);
    const json = JSON.parse(r.out);
    assert.deepEqual(Object.keys(json), ['models']);
    assert.equal(json.models.length, 1);
    const m = json.models[0];
    assert.deepEqual(Object.keys(m), ['name', 'hasErrors', 'inputs', 'outputs', 'params', 'macs', 'memory', 'layers']);
    assert.equal(m.name, 'GPT2Small');
    assert.equal(m.hasErrors, false);
    assert.deepEqual(m.inputs, [{ name: 'tokens', shape: ['seq'], dtype: 'int' }]);
    assert.deepEqual(m.outputs, [{ shape: ['seq', 50257] }]);
    assert.deepEqual(m.params, { trainable: 124439808, nonTrainable: 0, total: 124439808 });
    // Attention's QKᵀ and softmax·V make MACs quadratic in seq: a formula, not a number.
    assert.equal(typeof m.macs, 'string');
    assert.match(m.macs, /seq\^2/);
    assert.equal(m.memory.paramBytes, 124439808 * 4);
    assert.equal(typeof m.memory.activationBytes, 'string');
    assert.deepEqual(Object.keys(m.memory.training), ['optimizer', 'batch', 'bytes']);
    assert.equal(m.memory.training.batch, 32);

    for (const l of m.layers) {
      // A layer also lists its weights, and unembed(wte) the object whose weights it uses (test/unit/weights-view).
      const extra = l.kind !== 'layer' ? [] : l.op === 'unembed' ? ['weights', 'sharesWeightsOf'] : ['weights'];
      assert.deepEqual(Object.keys(l), ['name', 'kind', 'op', 'line', 'shape', 'params', 'macs', 'depth', 'repeat', 'receptiveField', ...extra]);
      assert.ok(Array.isArray(l.shape));
    }
    const group = m.layers.find((l: { kind: string }) => l.kind === 'group');
    assert.equal(group.name, 'gpt_block × 12');
    assert.equal(group.op, 'gpt_block');
    assert.equal(group.repeat, 12);
    // Causal self-attention: after the blocks every position has seen all earlier tokens; the embedding one token.
    assert.equal(group.receptiveField, 'all earlier');
    assert.equal(m.layers.find((l: { op: string }) => l.op === 'embedding').receptiveField, '1');
    assert.equal(group.line, 10);
    assert.deepEqual(group.shape, ['seq', 768]);
    const body = m.layers.filter((l: { depth: number }) => l.depth === 1);
    assert.deepEqual(
      body.map((l: { op: string }) => l.op),
      ['layernorm', 'attention', 'dropout', 'add', 'layernorm', 'dense', 'gelu', 'dense', 'dropout', 'add'],
    );
    assert.deepEqual(body[5].shape, ['seq', 3072]);
    // The top-level rows add up to the model's totals; the body rows add up to one repeat.
    const top = m.layers.filter((l: { depth: number }) => l.depth === 0);
    assert.equal(top.reduce((s: number, l: { params: { total: number } }) => s + l.params.total, 0), 124439808);
    const perBlock = body.reduce((s: number, l: { params: { total: number } }) => s + l.params.total, 0);
    assert.equal(perBlock * 12, group.params.total);
    assert.deepEqual(m.layers[m.layers.length - 1].shape, ['seq', 50257]);
  }),
);

test(
  'summary --dim gives symbolic dimensions a value in shapes and counts',
  withWorkspace({ 'gpt2.nnmodel': GPT2 }, async (dir) => {
    const r = await run(dir, 'summary', 'gpt2.nnmodel', '--json', '--dim', 'seq=1024', '--depth', '0');
    assert.equal(r.code, 0, r.err);
    const m = JSON.parse(r.out).models[0];
    assert.deepEqual(m.outputs[0].shape, [1024, 50257]);
    // 12 blocks of 4·d² (projections) + 2·d·4d (MLP) per token, plus 2·seq²·d of attention,
    // plus the tied unembedding d·vocab per token.
    const d = 768;
    const seq = 1024;
    const expected = 12 * (seq * (4 * d * d + 8 * d * d) + 2 * seq * seq * d) + seq * d * 50257;
    assert.equal(m.macs, expected);
    assert.ok(m.layers.every((l: { depth: number }) => l.depth === 0));
    const text = await run(dir, 'summary', 'gpt2.nnmodel', '--dim=seq=1024');
    assert.match(text.out, /^MACs \(one example\):\s+145,824,153,600$/m);
    assert.doesNotMatch(text.out, /Symbolic dimensions/);
    // A causal model's rows see the current and earlier steps; the table, symbolic MACs and all, fits 120 columns.
    assert.match(text.out, /^ {2}attention\(12, causal = true\)\s.*\s{2}all earlier$/m);
    const table = (await run(dir, 'summary', 'gpt2.nnmodel')).out.split('\n').filter((l) => !l.startsWith('Note: '));
    assert.ok(Math.max(...table.map((l) => l.length)) <= 120, table.join('\n'));
    assert.equal((await run(dir, 'summary', 'gpt2.nnmodel', '--dim', 'seq')).code, 2);
    // Every size --dim cannot take gets the same message: 0, -1, 1.5, or beyond what any runtime allows.
    for (const bad of ['seq=0', 'seq=-1', 'seq=1.5', 'seq=99999999999', 'seq=2147483648']) {
      const r = await run(dir, 'summary', 'gpt2.nnmodel', '--dim', bad);
      assert.equal(r.code, 2, bad);
      assert.match(r.err, new RegExp(`option '--dim' needs NAME=N with N a whole number from 1 to 2,147,483,647, got '${bad.replace('.', '\\.')}'`));
    }
    // The largest size is taken (no usage error), and the model is analysed at it: positional(maxlen = 1024) cannot.
    const largest = await run(dir, 'summary', 'gpt2.nnmodel', '--dim', 'seq=2147483647', '--depth', '0');
    assert.equal(largest.code, 1, largest.err);
    assert.match(largest.err, /error arg\.range the sequence has 2147483647 positions but positional allows at most maxlen = 1024; raise maxlen \(with --dim seq=2147483647\)/);
  }),
);

test(
  'summary: errors go to stderr with exit 1; stdout still has the analysed part',
  withWorkspace({ 'broken.nnmodel': BROKEN }, async (dir) => {
    const r = await run(dir, 'summary', 'broken.nnmodel', '--json');
    assert.equal(r.code, 1);
    assert.match(r.err, /^broken\.nnmodel:3:28: error name\.unknown_layer /m);
    const json = JSON.parse(r.out);
    assert.deepEqual(
      json.models.map((m: { name: string }) => m.name),
      ['M', 'N'],
    );
    const table = await run(dir, 'summary', 'broken.nnmodel', '--model', 'N');
    assert.equal(table.code, 1);
    assert.match(table.out, /^N  \(broken\.nnmodel:6\)$/m);
    assert.doesNotMatch(table.out, /^M  \(/m);
    assert.match(table.out, /Errors prevented a full analysis/);
  }),
);

test(
  'summary: --model picks one model; an unknown name lists the models (exit 2)',
  withWorkspace({ 'both.nnmodel': LENET + '\n' + GPT2 }, async (dir) => {
    const all = await run(dir, 'summary', 'both.nnmodel', '--json');
    assert.deepEqual(
      JSON.parse(all.out).models.map((m: { name: string }) => m.name),
      ['LeNet5', 'GPT2Small'],
    );
    const one = await run(dir, 'summary', 'both.nnmodel', '-m', 'LeNet5', '--json');
    const models = JSON.parse(one.out).models;
    assert.equal(models.length, 1);
    assert.equal(models[0].macs, 416520);
    const bad = await run(dir, 'summary', 'both.nnmodel', '--model', 'ResNet');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /no model 'ResNet' in both\.nnmodel \(models: LeNet5, GPT2Small\)/);
    assert.equal((await run(dir, 'summary', 'both.nnmodel', '--batch', '0')).code, 2);
    assert.equal((await run(dir, 'summary', 'nope.nnmodel')).code, 2);
  }),
);

// ------------------------------------------------------------------ format

const UGLY = 'model   X{\ninput a:[3]\n\n\n  output a->dense( 4 ,activation=relu)}\n';

test(
  'format --check reports files that would change (exit 1) and writes nothing',
  withWorkspace({ 'ugly.nnmodel': UGLY, 'lenet.nnmodel': LENET }, async (dir) => {
    const r = await run(dir, 'format', '--check', 'ugly.nnmodel', 'lenet.nnmodel');
    assert.equal(r.code, 1);
    assert.match(r.out, /^would reformat ugly\.nnmodel$/m);
    assert.doesNotMatch(r.out, /lenet/);
    assert.match(r.out, /1 file would be reformatted, 1 already formatted/);
    assert.equal(readFileSync(join(dir, 'ugly.nnmodel'), 'utf8'), UGLY);
    const clean = await run(dir, 'format', '--check', 'lenet.nnmodel');
    assert.equal(clean.code, 0);
  }),
);

test(
  'format rewrites in place atomically, keeps the file mode, and is then --check clean',
  withWorkspace({ 'ugly.nnmodel': UGLY }, async (dir) => {
    const path = join(dir, 'ugly.nnmodel');
    chmodSync(path, 0o600);
    const r = await run(dir, 'format', 'ugly.nnmodel');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^formatted ugly\.nnmodel$/m);
    const text = readFileSync(path, 'utf8');
    assert.equal(text, 'model X {\n  input a: [3]\n\n  output a -> dense(4, activation = relu)\n}\n');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir), ['ugly.nnmodel'], 'no temporary file is left behind');
    assert.equal((await run(dir, 'format', '--check', 'ugly.nnmodel')).code, 0);
  }),
);

test(
  'format leaves a file with syntax errors untouched and exits 1',
  withWorkspace({ 'bad.nnmodel': 'model B {\n  input x: [3\n  output x\n}\n' }, async (dir) => {
    const before = readFileSync(join(dir, 'bad.nnmodel'), 'utf8');
    const r = await run(dir, 'format', 'bad.nnmodel');
    assert.equal(r.code, 1);
    assert.match(r.err, /^bad\.nnmodel:\d+:\d+: error syntax\.\w+ /m);
    assert.match(r.err, /not formatting bad\.nnmodel/);
    assert.equal(readFileSync(join(dir, 'bad.nnmodel'), 'utf8'), before);
    assert.equal((await run(dir, 'format', 'missing.nnmodel')).code, 2);
  }),
);

// ---------------------------------------------------------------- generate

const TINY_LM = `model Tiny {
  input chars: int[seq]
  output chars -> embedding(16, 8) -> dense(16) -> softmax
}

train Tiny {
  data: text("corpus.txt", tokenizer = char, context = 8)
  loss: crossentropy
  optimizer: adam(lr = 1e-2)
  epochs: 1
  batch: 16
  validation: 0
}
`;

test(
  'train says "1 epoch"; generate warns on stderr which prompt characters the vocabulary lacks',
  withWorkspace({ 'lm.nnmodel': TINY_LM, 'corpus.txt': 'the cat sat on the mat. the rat ate the hat.\n'.repeat(4) }, async (dir) => {
    const t = await run(dir, 'train', 'lm.nnmodel');
    assert.equal(t.code, 0, t.err);
    assert.match(t.err, /^training Tiny on corpus\.txt \(172 training examples\) for 1 epoch, batch 16, backend wasm$/m);
    const g = await run(dir, 'generate', 'lm.nnmodel', '--prompt', 'Zé€ the€', '--tokens', '4');
    assert.equal(g.code, 0, g.err);
    // Tiny has 16 outputs, its text 13 characters and the unknown token: said once, with the prompt's unknown characters.
    const outputsNote = `warning: Tiny outputs 16 values per position, but its tokeniser has 14 tokens (the char vocabulary of its training text): ids 14 to 15 have no text and are never sampled. End the model with dense(14) to match.\n`;
    assert.equal(
      g.err,
      `warning: the prompt has 3 characters not in the vocabulary of Tiny's training text: "Z", "é", "€"; the model reads each as the unknown token.\n${outputsNote}`,
    );
    // Four generated characters, then the closing line break.
    assert.ok(g.out.endsWith('\n'), g.out);
    assert.equal(Array.from(g.out.slice(0, -1)).length, 4, JSON.stringify(g.out));
    const known = await run(dir, 'generate', 'lm.nnmodel', '--prompt', 'the cat', '--tokens', '2');
    assert.equal(known.code, 0, known.err);
    assert.equal(known.err, outputsNote);
  }),
);

test(
  'evaluate and generate refuse a checkpoint that no longer fits the edited model, with each layer that differs (as the editor marks and refuses it)',
  withWorkspace({ 'lm.nnmodel': TINY_LM, 'corpus.txt': 'the cat sat on the mat. the rat ate the hat.\n'.repeat(4) }, async (dir) => {
    const t = await run(dir, 'train', 'lm.nnmodel');
    assert.equal(t.code, 0, t.err);
    // A layer inserted after training: the embedding and dense(16) still fit, dense(8) has no weights in the checkpoint.
    writeFileSync(join(dir, 'lm.nnmodel'), TINY_LM.replace('embedding(16, 8) -> dense(16)', 'embedding(16, 8) -> dense(8) -> dense(16)'));
    const refusal = [
      'the last checkpoint (epoch 1) no longer fits Tiny (2 of 3 layers would load):',
      'dense(8) (line 3) is not in the checkpoint.',
      'Train Tiny again, or undo the change to the model.',
    ].join('\n');
    const evaluated = await run(dir, 'evaluate', 'lm.nnmodel');
    assert.equal(evaluated.code, 1, evaluated.err);
    assert.equal(evaluated.err, `nnmodel evaluate: ${refusal}\n`);
    assert.equal(evaluated.out, '', 'no figures of a partly untrained model');
    const generated = await run(dir, 'generate', 'lm.nnmodel', '--prompt', 'the', '--tokens', '2');
    assert.equal(generated.code, 1, generated.err);
    assert.equal(generated.err, `nnmodel generate: ${refusal}\n`);
    assert.equal(generated.out, '');
    // Other shapes: both sides named, with the sizes that differ.
    writeFileSync(join(dir, 'lm.nnmodel'), TINY_LM.replace('embedding(16, 8)', 'embedding(16, 12)'));
    const reshaped = await run(dir, 'evaluate', 'lm.nnmodel');
    assert.equal(reshaped.code, 1, reshaped.err);
    assert.match(reshaped.err, /^nnmodel evaluate: the last checkpoint \(epoch 1\) no longer fits Tiny \(0 of 2 layers would load\):\nembedding\(16, 12\) \(line 3\) no longer fits: the checkpoint has \w+ \[16, 8\], the model now has \w+ \[16, 12\]\.\n/);
    // Undone: evaluated again.
    writeFileSync(join(dir, 'lm.nnmodel'), TINY_LM);
    const undone = await run(dir, 'evaluate', 'lm.nnmodel');
    assert.equal(undone.code, 0, undone.err);
    assert.match(undone.out, /^Tiny after epoch 1\n/);
  }),
);

test(
  'train names mixup on its start line when the train section sets it, after the batch',
  withWorkspace(
    {
      'mix.nnmodel': `model Mix {
  input image: [8, 8, 1]
  output image -> flatten -> dense(10) -> softmax
}

train Mix {
  data: digits(samples = 64, size = 8)
  loss: crossentropy
  mixup: 0.2
  epochs: 1
  batch: 32
  validation: 0
}
`,
    },
    async (dir) => {
      const t = await run(dir, 'train', 'mix.nnmodel');
      assert.equal(t.code, 0, t.err);
      assert.match(t.err, /^training Mix on digits\S* \(64 training examples\) for 1 epoch, batch 32, mixup α = 0\.2, backend wasm$/m);
      writeFileSync(join(dir, 'mix.nnmodel'), readFileSync(join(dir, 'mix.nnmodel'), 'utf8').replace('  mixup: 0.2\n', ''));
      const plain = await run(dir, 'train', 'mix.nnmodel', '--checkpoints', 'plain');
      assert.equal(plain.code, 0, plain.err);
      assert.match(plain.err, /^training Mix on digits\S* \(64 training examples\) for 1 epoch, batch 32, backend wasm$/m);
    },
  ),
);

test(
  'train prints the warnings of the section it runs: a language model whose attention is not masked',
  withWorkspace(
    {
      'lm.nnmodel': TINY_LM.replace('embedding(16, 8) -> dense(16)', 'embedding(16, 8) -> attention(2) -> dense(16)'),
      'corpus.txt': 'the cat sat on the mat. the rat ate the hat.\n'.repeat(4),
    },
    async (dir) => {
      const t = await run(dir, 'train', 'lm.nnmodel');
      assert.equal(t.code, 0, t.err);
      assert.match(t.err, /^warning: \S*\/lm\.nnmodel:7:9: train\.not_causal text labels each position with the next token .* Set causal = true in attention\(2\): .*$/m);
      // Masked: nothing said.
      writeFileSync(join(dir, 'lm.nnmodel'), TINY_LM.replace('embedding(16, 8) -> dense(16)', 'embedding(16, 8) -> attention(2, causal = true) -> dense(16)'));
      // Its own checkpoint folder: a run where one is says so (a warning of its own), which is not what this checks.
      const masked = await run(dir, 'train', 'lm.nnmodel', '--checkpoints', 'masked');
      assert.equal(masked.code, 0, masked.err);
      assert.doesNotMatch(masked.err, /^warning:/m);
    },
  ),
);

test(
  'generate with tokenizer = word: words spaced as in the text after the prompt, only ids of the vocabulary, a note that the model has more outputs',
  withWorkspace(
    {
      // 9 words and marks + the unknown token = 10 ids; the model has 20 outputs.
      'story.nnmodel': TINY_LM.replace(/Tiny/g, 'Story')
        .replace('embedding(16, 8) -> dense(16)', 'embedding(20, 8) -> dense(20)')
        .replace('text("corpus.txt", tokenizer = char, context = 8)', 'text("story.txt", tokenizer = word, context = 4)'),
      'story.txt': 'the cat sat on the mat. the dog sat on the log.\n'.repeat(6),
    },
    async (dir) => {
      const t = await run(dir, 'train', 'story.nnmodel');
      assert.equal(t.code, 0, t.err);
      const g = await run(dir, 'generate', 'story.nnmodel', '--prompt', 'the cat', '--tokens', '12', '--temperature', '1.5', '--top-k', '0');
      assert.equal(g.code, 0, g.err);
      // 0 is allowed (all tokens), and the message for a value out of range says so.
      const k = await run(dir, 'generate', 'story.nnmodel', '--top-k', '-1');
      assert.equal(k.code, 2, k.err);
      assert.match(k.err, /option '--top-k' needs 0 or a positive integer, got '-1'/);
      assert.equal(
        g.err,
        'warning: Story outputs 20 values per position, but its tokeniser has 10 tokens (the word vocabulary of its training text): ids 10 to 19 have no text and are never sampled. End the model with dense(10) to match.\n',
      );
      const out = g.out.replace(/\n$/, '');
      assert.ok(!out.includes('\uFFFD'), `no id outside the vocabulary: ${JSON.stringify(out)}`);
      // Read back with the text's own tokeniser: 12 known tokens, and the text is already in its spacing (decoded
      // one token at a time, the words ran together: "matlogsat" is one unknown word).
      const word = wordTokenizer('the cat sat on the mat. the dog sat on the log.\n');
      const ids = word.encode(out);
      assert.equal(ids.length, 12, JSON.stringify(out));
      assert.ok(!ids.includes(0), JSON.stringify(out));
      assert.equal(`the cat${out}`, word.decode(word.encode(`the cat${out}`)), JSON.stringify(out));
      assert.ok(/ [a-z]+ [a-z]+/.test(out), `words with spaces between them: ${JSON.stringify(out)}`);
    },
  ),
);

// ------------------------------------------------------------ format --indent

test(
  'format --indent tab|N indents with tabs or N spaces; --tab-size sets the width a tab counts for; bad values are usage errors',
  withWorkspace({ 'ugly.nnmodel': UGLY }, async (dir) => {
    const path = join(dir, 'ugly.nnmodel');
    const help = await run(dir, 'help', 'format');
    assert.match(help.out, /^ +--indent N\|tab +indent by N spaces \(1 to 16; default 2\) or by tabs$/m);
    assert.match(help.out, /^ +--tab-size N +columns a tab counts for/m);
    const tabs = await run(dir, 'format', '--indent', 'tab', 'ugly.nnmodel');
    assert.equal(tabs.code, 0, tabs.err);
    assert.equal(readFileSync(path, 'utf8'), 'model X {\n\tinput a: [3]\n\n\toutput a -> dense(4, activation = relu)\n}\n');
    // The default layout is not the tab one, and --check says so.
    assert.equal((await run(dir, 'format', '--check', 'ugly.nnmodel')).code, 1);
    assert.equal((await run(dir, 'format', '--check', '--indent=tab', 'ugly.nnmodel')).code, 0);
    const four = await run(dir, 'format', '--indent', '4', 'ugly.nnmodel');
    assert.equal(four.code, 0, four.err);
    assert.equal(readFileSync(path, 'utf8'), 'model X {\n    input a: [3]\n\n    output a -> dense(4, activation = relu)\n}\n');
    assert.equal((await run(dir, 'format', 'ugly.nnmodel')).code, 0);
    assert.equal(readFileSync(path, 'utf8'), 'model X {\n  input a: [3]\n\n  output a -> dense(4, activation = relu)\n}\n');
    // A statement of 96 columns fits after a tab of 2 columns, not after one of 8.
    const long = `model L {\n  input x: [8]\n  output x -> dense(100, activation = relu) -> softmax(axis = -1) -> ${'a'.repeat(29)}\n}\n`;
    writeFileSync(path, long);
    assert.equal((await run(dir, 'format', '--indent', 'tab', '--tab-size', '2', 'ugly.nnmodel')).code, 0);
    assert.equal(readFileSync(path, 'utf8'), long.replace(/^ {2}/gm, '\t'));
    assert.equal((await run(dir, 'format', '--indent', 'tab', '--tab-size', '8', 'ugly.nnmodel')).code, 0);
    assert.equal(readFileSync(path, 'utf8').split('\n').length, long.split('\n').length + 1);
    for (const [bad, message] of [
      [['--indent', '0'], /option '--indent' needs a number of spaces from 1 to 16, or 'tab', got '0'/],
      [['--indent', 'tabs'], /option '--indent' needs .* got 'tabs'/],
      [['--indent', '17'], /got '17'/],
      [['--tab-size', '0'], /option '--tab-size' needs a positive integer, got '0'/],
      [['--tab-size', '40'], /option '--tab-size' needs a number from 1 to 16, got '40'/],
    ] as const) {
      const r = await run(dir, 'format', ...bad, 'ugly.nnmodel');
      assert.equal(r.code, 2, bad.join(' '));
      assert.match(r.err, message);
    }
  }),
);

// ------------------------------------------------------------ train: Signal & gradients

test(
  'train prints the spread of the layers\' gradient RMS at initialisation and after every epoch line (on stderr), naming the layers',
  withWorkspace(
    {
      'deep.nnmodel': `block plain(units) {
  input x
  output x -> dense(units) -> sigmoid
}

model Deep {
  input image: [8, 8, 1]
  output image -> flatten -> dense(16) -> sigmoid -> plain(16) * 5 -> dense(10) -> softmax
}

train Deep {
  data: digits(samples = 96, size = 8)
  loss: crossentropy
  optimizer: sgd(lr = 0.1)
  epochs: 2
  batch: 32
  validation: 0
}
`,
    },
    async (dir) => {
      // The console interleaves both streams; the lines are on stderr, so stdout keeps one line per epoch.
      let both = '';
      let out = '';
      const code = await main(['train', 'deep.nnmodel'], { stdout: (x) => ((out += x), (both += x)), stderr: (x) => (both += x), cwd: dir });
      assert.equal(code, 0, both);
      assert.equal(out.trimEnd().split('\n').length, 2, out);
      const lines = both.trimEnd().split('\n').filter((l) => /^(epoch|at initialisation|gradient)/.test(l));
      assert.equal(lines.length, 5, both);
      // Named as the graph labels them, with their line: the first dense and the last, both on the model's output line.
      const line = /^(at initialisation, )?gradient RMS: dense\(16\) \(line 8\) \d(\.\d)?e-\d+ … dense\(10\) \(line 8\) (\d(\.\d)?e-\d+|0\.\d+) \(×[\d,.]+\)$/;
      assert.match(lines[0], line);
      assert.ok(lines[0].startsWith('at initialisation, '), lines[0]);
      assert.match(lines[1], /^epoch 1\/2 · /);
      assert.match(lines[2], line);
      assert.match(lines[3], /^epoch 2\/2 · /);
      assert.match(lines[4], line);
      // Six sigmoids below the first layer: its gradient is at least 100 times smaller than the classifier's.
      const ratio = Number(/\(×([\d,.]+)\)$/.exec(lines[0])![1].replace(/,/g, ''));
      assert.ok(ratio > 100, lines[0]);
    },
  ),
);

// ------------------------------------------------------------ QA: --dim, --depth, train hints, errors elsewhere

test(
  "summary names the sizes a model's train section trains at beside its symbolic dimensions",
  withWorkspace(
    {
      'seq.nnmodel':
        'model Lm {\n  input tokens: int[seq]\n  output tokens -> embedding(16, 8) -> dense(16)\n}\n\ntrain Lm {\n  data: sequences(length = 12, vocab = 16)\n  loss: crossentropy\n}\n',
    },
    async (dir) => {
      const r = await run(dir, 'summary', 'seq.nnmodel');
      assert.match(r.out, /Note: Symbolic dimensions: seq \(give values with --dim seq=N; its train section trains at seq = 12: --dim seq=12\)\./);
      // Given, the size is used and the note is gone.
      const given = await run(dir, 'summary', 'seq.nnmodel', '--dim', 'seq=12');
      assert.doesNotMatch(given.out, /Symbolic dimensions/);
      assert.match(given.out, /\[12, 16\]/);
    },
  ),
);

test(
  'summary --dim evaluates the sizes strided layers give a symbolic length (floor atoms), as PyTorch computes them',
  withWorkspace({ 'wave.nnmodel': 'model Wave {\n  input x: [seq, 8]\n  output x -> conv1d(16, 3, stride = 2) -> relu -> maxpool(2)\n}\n' }, async (dir) => {
    // torch.nn.Conv1d(8, 16, 3, stride=2) -> MaxPool1d(2) on a length of 100: 49, then 24.
    const r = await run(dir, 'summary', 'wave.nnmodel', '--dim', 'seq=100', '--json');
    assert.equal(r.code, 0, r.err);
    const [m] = JSON.parse(r.out).models;
    assert.deepEqual(m.outputs[0].shape, [24, 16]);
    assert.deepEqual(
      m.layers.filter((l: { kind: string }) => l.kind !== 'input').map((l: { shape: unknown }) => l.shape),
      [[49, 16], [49, 16], [24, 16]],
    );
    assert.equal(m.macs, 49 * 16 * 3 * 8);
    const text = await run(dir, 'summary', 'wave.nnmodel', '--dim', 'seq=100');
    assert.doesNotMatch(text.out, /⌊/);
  }),
);

test(
  'summary --dim with a dimension the model does not have is a usage error naming its dimensions; --depth says 0 is allowed',
  withWorkspace({ 'gpt2.nnmodel': GPT2, 'lenet.nnmodel': LENET }, async (dir) => {
    const foo = await run(dir, 'summary', 'gpt2.nnmodel', '--dim', 'foo=3');
    assert.equal(foo.code, 2);
    assert.match(foo.err, /model GPT2Small has no dimension 'foo'; its dimensions: seq/);
    const none = await run(dir, 'summary', 'lenet.nnmodel', '--dim', 'seq=3');
    assert.equal(none.code, 2);
    assert.match(none.err, /model LeNet5 has no dimension 'seq'; its dimensions: none/);
    assert.equal((await run(dir, 'summary', 'gpt2.nnmodel', '--dim', 'seq=8', '--depth', '0')).code, 0);
    const depth = await run(dir, 'summary', 'gpt2.nnmodel', '--depth', 'x');
    assert.equal(depth.code, 2);
    assert.match(depth.err, /'--depth' needs a whole number, 0 or more \(0: top level only\), got 'x'/);
    assert.doesNotMatch(depth.err, /positive/);
  }),
);

const RESNET18 = readFileSync(join(__dirname, '..', '..', 'examples', 'resnet18.nnmodel'), 'utf8');

const COLOUR3 = `model Colours {
  input image: [32, 32, 3]
  output image -> conv2d(8, 3) -> relu -> flatten -> dense(3) -> softmax
}
`;

test(
  'train without a train section suggests a data source that fits the model, and the suggestion analyses cleanly',
  withWorkspace({ 'resnet18.nnmodel': RESNET18, 'lenet.nnmodel': LENET, 'colours.nnmodel': COLOUR3 }, async (dir) => {
    for (const [file, model, data] of [
      // 1000 classes at 224×224×3: neither digits (10 classes, grey) nor shapes (3 classes) fits.
      ['resnet18.nnmodel', 'ResNet18', 'images("folder", size = [224, 224])'],
      ['lenet.nnmodel', 'LeNet5', 'digits()'],
      ['colours.nnmodel', 'Colours', 'shapes()'],
    ]) {
      const r = await run(dir, 'train', file);
      assert.equal(r.code, 1, r.err);
      const hint = `train ${model} { data: ${data} }`;
      assert.ok(r.err.includes(`add one, e.g. ${hint}`), r.err);
      const text = readFileSync(join(dir, file), 'utf8') + `\n${hint}\n`;
      const a = analyze(text);
      assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), [], file);
      assert.equal(a.trains[0].config.data?.kind, data.slice(0, data.indexOf('(')));
    }
    // What the QA pass saw suggested for ResNet18 does not fit it.
    const digits = analyze(`${RESNET18}\ntrain ResNet18 { data: digits() }\n`);
    assert.ok(digits.diagnostics.some((d) => d.severity === 'error' && d.code.startsWith('train.')));
  }),
);

const TWO_MODELS = `model A {
  input x: [4]
  output x -> globalavgpool
}

model B {
  input x: [8, 8, 1]
  output x -> flatten -> dense(10) -> softmax
}

train B {
  data: digits(samples = 64)
  loss: crossentropy
  epochs: 1
  batch: 32
  validation: 0
}
`;

test(
  'an error in one model does not stop training another; an error in the trained model or a block it uses does',
  withWorkspace({ 'two.nnmodel': TWO_MODELS }, async (dir) => {
    const t = await run(dir, 'train', 'two.nnmodel', '--model', 'B');
    assert.equal(t.code, 0, t.err);
    assert.match(t.err, /^training B on digits/m);
    const a = analyze(TWO_MODELS);
    assert.equal(errorsBlockingTraining(a, 'B').length, 0);
    assert.equal(errorsBlockingTraining(a, 'A').length, 1);
    const withBlock = analyze(TWO_MODELS.replace('-> flatten ->', '-> bad -> flatten ->') + '\nblock bad {\n  input x\n  output x -> globalavgpool\n}\n');
    assert.deepEqual(errorsBlockingTraining(withBlock, 'B').map((d) => d.range.start.line), [20]);
    const gan = analyze(TWO_MODELS.replace('loss: crossentropy', 'loss: adversarial(A)'));
    assert.ok(errorsBlockingTraining(gan, 'B').some((d) => d.range.start.line === 2));
    assert.throws(() => pickTrain(a, 'two.nnmodel', 'A'), /has no train section for 'A'; add one, e\.g\. train A \{ data: csv\("file\.csv"\) \} \(a CSV file/);
  }),
);

// ------------------------------------------------------- best checkpoint and overfitting

/** 48 rows of noise with random labels (a fixed LCG): a big model memorises the training rows, and val_loss climbs. */
function noiseCsv(): string {
  let s = 12345;
  const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const rows = ['a,b,c,d,label'];
  for (let i = 0; i < 48; i++) rows.push([0, 1, 2, 3].map(() => (next() * 2 - 1).toFixed(3)).join(',') + (next() < 0.5 ? ',x' : ',y'));
  return `${rows.join('\n')}\n`;
}

const MEMO = `model Memo {
  input x: [4]
  output x -> dense(64) -> relu -> dense(64) -> relu -> dense(2) -> softmax
}

train Memo {
  data: csv("noise.csv")
  optimizer: adam(lr = 0.02)
  epochs: 12
  batch: 8
  validation: 0.25
}
`;

test(
  'train keeps the best checkpoint, says when the model overfits (once as it shows, again at the end) and the best epoch; evaluate and export take --checkpoint best',
  withWorkspace({ 'memo.nnmodel': MEMO, 'noise.csv': noiseCsv() }, async (dir) => {
    const t = await run(dir, 'train', 'memo.nnmodel');
    assert.equal(t.code, 0, t.err);
    const valLosses = [...t.out.matchAll(/^epoch (\d+)\/12 · .*val_loss (\d+\.\d+)/gm)].map((m) => ({ epoch: Number(m[1]), valLoss: Number(m[2]) }));
    assert.equal(valLosses.length, 12, t.out);
    const lowest = valLosses.reduce((a, b) => (b.valLoss < a.valLoss ? b : a));
    const ck = join(dir, '.nnmodel/memo/Memo');
    const verdict = /^val_loss lowest at epoch (\d+) \((\d\.\d+)\); since then loss −\d+(\.\d)? %, val_loss \+\d+(\.\d)? %: the model is overfitting — dropout, augmentation, fewer parameters or more data help$/gm;
    const lines = t.err.split('\n');
    const done = lines.findIndex((l) => l.startsWith('done; checkpoint in'));
    const verdicts = lines.map((l, i) => ({ l, i })).filter(({ l }) => new RegExp(verdict.source).test(l));
    assert.equal(verdicts.length, 2, `once when it shows, once at the end:\n${t.err}`);
    assert.ok(verdicts[0].i < done && verdicts[1].i > done, t.err);
    assert.equal(lines[done + 1], `best: val_loss lowest at epoch ${lowest.epoch} (${Number(lowest.valLoss.toPrecision(3))}); its weights are in ${ck}/best.json (--checkpoint best)`);
    assert.match(verdicts[1].l, new RegExp(`^val_loss lowest at epoch ${lowest.epoch} `));
    // One best and one last on disk; the best is the epoch with the lowest val_loss.
    assert.equal(JSON.parse(readFileSync(join(ck, 'best.json'), 'utf8')).nnmodel.epoch, lowest.epoch);
    assert.equal(readdirSync(ck).filter((f) => /^(weights|best)-e\d+-[0-9a-f]{8}\.bin$/.test(f)).length, 2);

    const best = await run(dir, 'evaluate', 'memo.nnmodel', '--checkpoint', 'best');
    assert.equal(best.code, 0, best.err);
    // Its validation loss is the val_loss training recorded for that epoch: the weights of that epoch.
    assert.match(best.out, new RegExp(`^Memo after epoch ${lowest.epoch} \\(the best checkpoint: lowest val_loss\\)\\nvalidation: loss ${lowest.valLoss.toFixed(4)} `));
    const last = await run(dir, 'evaluate', 'memo.nnmodel', '--checkpoint', 'last');
    assert.match(last.out, /^Memo after epoch 12\n/);
    const bad = await run(dir, 'evaluate', 'memo.nnmodel', '--checkpoint', '.nnmodel/memo');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /option '--checkpoint' is best or last, got '\.nnmodel\/memo' \(a checkpoint folder is --checkpoints \.nnmodel\/memo\)/);
    assert.equal((await run(dir, 'train', 'memo.nnmodel', '--checkpoint', 'best')).code, 2, 'training always writes the last and continues from it');

    const exp = await run(dir, 'export', 'memo.nnmodel', '--out', 'memo.py', '--weights', '.nnmodel/memo/Memo', '--checkpoint', 'best');
    assert.equal(exp.code, 0, exp.err);
    assert.match(exp.err, new RegExp(`of the best checkpoint \\(lowest val_loss\\), epoch ${lowest.epoch}`));
    const byFile = await run(dir, 'export', 'memo.nnmodel', '--out', 'memo2.py', '--weights', '.nnmodel/memo/Memo/best.json');
    assert.equal(byFile.code, 0, byFile.err);
    assert.deepEqual(readFileSync(join(dir, 'memo2.safetensors')), readFileSync(join(dir, 'memo.safetensors')));
    const clash = await run(dir, 'export', 'memo.nnmodel', '--out', 'memo3.py', '--weights', '.nnmodel/memo/Memo/best.json', '--checkpoint', 'last');
    assert.equal(clash.code, 2);
    assert.match(clash.err, /--weights names best\.json, the best checkpoint, but --checkpoint asks for the last/);
    assert.match((await run(dir, 'export', 'memo.nnmodel', '--checkpoint', 'best')).err, /--checkpoint picks a checkpoint of the --weights folder; give --weights too/);

    // Without validation: no best (the one left from before is removed), no verdict, no best line.
    writeFileSync(join(dir, 'memo.nnmodel'), MEMO.replace('validation: 0.25', 'validation: 0').replace('epochs: 12', 'epochs: 2'));
    const none = await run(dir, 'train', 'memo.nnmodel');
    assert.equal(none.code, 0, none.err);
    assert.doesNotMatch(none.err, /overfitting|^best:/m);
    assert.deepEqual(readdirSync(ck).filter((f) => f.startsWith('best')), []);
    const missing = await run(dir, 'evaluate', 'memo.nnmodel', '--checkpoint', 'best');
    assert.equal(missing.code, 1);
    assert.match(missing.err, /best\.json: no best checkpoint here \(it is written when training holds out validation data: validation above 0\)/);
  }),
);

test(
  'evaluate, generate and export with --checkpoint best warn when best.json is not the lowest val_loss of the last checkpoint\'s history',
  withWorkspace(
    { 'lm.nnmodel': TINY_LM.replace('epochs: 1', 'epochs: 2').replace('validation: 0', 'validation: 0.25'), 'corpus.txt': 'the cat sat on the mat. the rat ate the hat.\n'.repeat(4) },
    async (dir) => {
      const t = await run(dir, 'train', 'lm.nnmodel');
      assert.equal(t.code, 0, t.err);
      const ck = join(dir, '.nnmodel/lm/Tiny');
      const bestEpoch: number = JSON.parse(readFileSync(join(ck, 'best.json'), 'utf8')).nnmodel.epoch;
      const fine = await run(dir, 'evaluate', 'lm.nnmodel', '--checkpoint', 'best');
      assert.equal(fine.code, 0, fine.err);
      assert.doesNotMatch(fine.err, /warning/, 'a best that is the lowest is read without a word');
      // As a failed best write leaves it: the last checkpoint's history has an epoch lower than best.json's, whose weights are gone.
      const modelJson = JSON.parse(readFileSync(join(ck, 'model.json'), 'utf8'));
      const other = bestEpoch === 1 ? 2 : 1;
      const entry = modelJson.nnmodel.history.find((h: { epoch: number }) => h.epoch === other);
      entry.valLoss = 0.001;
      writeFileSync(join(ck, 'model.json'), JSON.stringify(modelJson));
      const warning = new RegExp(`best\\.json holds epoch ${bestEpoch} \\(val_loss [0-9.]+\\), but epoch ${other} had a lower val_loss \\(0\\.001\\) and its weights were not kept`);
      const evaluated = await run(dir, 'evaluate', 'lm.nnmodel', '--checkpoint', 'best');
      assert.equal(evaluated.code, 0, evaluated.err);
      assert.match(evaluated.err, new RegExp(`^warning: ${warning.source}`, 'm'));
      // VS Code's Evaluate runs the same job over IPC: the warning reaches its output channel too (a `warning:` line per problem).
      const { runEvaluateJob } = await import('../../extension/cli/trainJob');
      const request = { file: join(dir, 'lm.nnmodel'), roots: [dir], backend: 'cpu' as const };
      const ipc = evaluationMessage(await runEvaluateJob({ ...request, checkpoint: 'best' }));
      assert.match(ipc.problems[0] ?? '', warning);
      assert.deepEqual(evaluationMessage(await runEvaluateJob(request)).problems, [], 'the last checkpoint is what it says');
      assert.doesNotMatch((await run(dir, 'evaluate', 'lm.nnmodel')).err, /best\.json holds/, 'the last checkpoint is what it says');
      const generated = await run(dir, 'generate', 'lm.nnmodel', '--checkpoint', 'best', '--prompt', 'the', '--tokens', '2');
      assert.equal(generated.code, 0, generated.err);
      assert.match(generated.err, new RegExp(`^warning: ${warning.source}`, 'm'));
      for (const weights of [['.nnmodel/lm/Tiny', '--checkpoint', 'best'], ['.nnmodel/lm/Tiny/best.json']]) {
        const exported = await run(dir, 'export', 'lm.nnmodel', '--out', 'tiny.py', '--weights', ...weights);
        assert.equal(exported.code, 0, exported.err);
        assert.match(exported.err, new RegExp(`^nnmodel: warning: ${warning.source}`, 'm'));
      }
      assert.doesNotMatch((await run(dir, 'export', 'lm.nnmodel', '--out', 'tiny.py', '--weights', '.nnmodel/lm/Tiny')).err, /warning/);
    },
  ),
);

test('train ends with the lowest val_loss, and says when best.json holds another epoch because its write failed', () => {
  const logs = [0.5, 0.4, 0.3, 0.35].map((valLoss, i) => ({ epoch: i + 1, epochs: 4, loss: 1 / (i + 1), valLoss, metrics: {}, examples: 1, ms: 1 }));
  assert.deepEqual(trainEndLines(logs, { epoch: 3, valLoss: 0.3 }, '/ck'), ['best: val_loss lowest at epoch 3 (0.3); its weights are in /ck/best.json (--checkpoint best)']);
  assert.deepEqual(trainEndLines(logs, { epoch: 4, valLoss: 0.35 }, '/ck'), [
    'best: val_loss lowest at epoch 3 (0.3), but its weights were not kept (writing them as the best failed or was interrupted); /ck/best.json holds epoch 4 (val_loss 0.35) (--checkpoint best)',
  ]);
  assert.deepEqual(trainEndLines(logs, undefined, '/ck'), []);
  // Resumed after an edit of the layers at epoch 4: epoch 3's lower val_loss belongs to weights that no longer fit.
  assert.deepEqual(trainEndLines(logs, { epoch: 4, valLoss: 0.35, since: 4 }, '/ck'), ['best: val_loss lowest at epoch 4 (0.35); its weights are in /ck/best.json (--checkpoint best)']);
});

test('runJob: a failure the user can act on is "nnmodel NAME: message" and exit 1; the body\'s code otherwise; anything else is thrown on', async () => {
  const said: string[] = [];
  const io = { stderr: (t: string) => void said.push(t) };
  assert.equal(await runJob('evaluate', io, async () => 0), 0);
  assert.equal(await runJob('train', io, async () => 130), 130, 'a stopped run keeps its code');
  assert.deepEqual(said, []);
  assert.equal(await runJob('forecast', io, async () => Promise.reject(new TrainError('the model cannot forecast'))), 1);
  assert.equal(await runJob('generate', io, async () => Promise.reject(new CheckpointError('no checkpoint in /x'))), 1);
  await assert.rejects(runJob('train', io, async () => Promise.reject(new RangeError('a bug'))), /a bug/);
  assert.deepEqual(said, ['nnmodel forecast: the model cannot forecast\n', 'nnmodel generate: no checkpoint in /x\n'], 'nothing printed for an error that is not the user\'s');
});
