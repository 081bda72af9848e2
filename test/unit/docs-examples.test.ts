// Every fenced block of the user documentation (README.md, docs/*.md) and
// every figure written in the comments of examples/*.nnmodel, checked against
// what the product does, so that the docs cannot drift from it.
//
// docs.test.ts checks the complete snippets (those that start with `model`,
// `block`, `train` or `import` and elide nothing) and the figures in their
// comments. This file checks the rest:
//   - every fenced block is accounted for: a complete snippet, a shell
//     session, or listed below as a fragment (with the text that makes it a
//     file: what `...` stands for, a model around its statements) or as
//     something that is not code (a grammar, a diagram). A block added to the
//     docs that is none of these fails here until it is classified;
//   - fragments analyse without errors in that context;
//   - the rows of the diagnostics table in docs/language.md whose example is
//     a chain of layers give the row's code (these are the documented *error*
//     examples: each must give its error);
//   - every `nnmodel COMMAND --option` written in the docs is an option of
//     that command, and every command title, setting, npm script and example
//     file the docs name exists;
//   - the layer catalogue of docs/language.md lists every layer of the
//     registry, with its arguments in order, their defaults and choices, and
//     the input ranks it takes;
//   - the receptive fields the prose quotes (LeNet-5, ResNet-18, the TCN,
//     after `upsample`) are the analysis's;
//   - in the examples, a shape written at the end of a line (`# [8, 8, 32]`)
//     is the output of the line's last layer, and a count written in a
//     comment (`63 082 496 parameters`, `1 814 073 344 MACs`) or a shape
//     (`[196, 768] → [197, 768]`) is one the analysis gives for that file.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { analyze } from '../../extension/core/analysis/analyze';
import { shapeToString, type Shape } from '../../extension/core/analysis/sym';
import type { Analysis } from '../../extension/core/analysis/types';
import { COMMANDS } from '../../extension/cli/cli';
import { topLevelArgs } from '../../extension/core/analysis/lints';
import { compactField, fieldAt } from '../../extension/core/analysis/receptive';
import { LAYERS } from '../../extension/core/layers';
import type { ArgSpec } from '../../extension/core/layers/types';
import { nnmodelFiles } from '../fixtures/examples';

const root = process.cwd();
const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

function readImport(fromUri: string | undefined, path: string): { uri: string; text: string } | undefined {
  const uri = resolve(fromUri ? dirname(fromUri) : root, path);
  return existsSync(uri) ? { uri, text: readFileSync(uri, 'utf8') } : undefined;
}

/** Analysis of `text` as if it were a file in the page's folder (so `import "../examples/..."` resolves). */
function analyzeIn(page: string, text: string): Analysis {
  return analyze(text, { uri: join(root, dirname(page), '__snippet__.nnmodel'), readImport });
}

const errorsOf = (a: Analysis) => a.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.range.start.line + 1}:${d.range.start.character + 1} ${d.message}`);

// ------------------------------------------------------------------ fenced blocks

interface Block {
  page: string;
  /** 1-based line of the opening fence. */
  line: number;
  info: string;
  text: string;
  /** The first line that is neither blank nor a comment, trimmed, without a trailing comment. */
  first: string;
}

function blocks(page: string): Block[] {
  const lines = readFileSync(join(root, page), 'utf8').split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\S*)/.exec(lines[i]);
    if (!open) continue;
    let j = i + 1;
    while (j < lines.length && !/^\s*```/.test(lines[j])) j++;
    const body = lines.slice(i + 1, j).map((l) => l.slice(open[1].length));
    // Without a trailing comment, so that rewording one does not unlist a fragment.
    const first = (body.find((l) => l.trim() && !/^\s*(#|\/\/)/.test(l)) ?? '').replace(/\s+(#|\/\/).*$/, '').trim();
    out.push({ page, line: i + 1, info: open[2], text: body.join('\n') + '\n', first });
    i = j;
  }
  return out;
}

const allBlocks = pages.flatMap(blocks);
const where = (b: Block) => `${b.page}:${b.line}`;

/** What docs.test.ts checks: a complete declaration with nothing elided. */
const isDeclaration = (b: Block) => /^(model|block|train|import)\s/.test(b.first);
const isGrammar = (b: Block) => /\b(NAME|EXPR|CHAIN|PRIMARY|CALL|ARGS)\b/.test(b.text);
const isComplete = (b: Block) => isDeclaration(b) && !isGrammar(b) && !b.text.includes('...');
/** A terminal session: every line runs a command. */
const isShell = (b: Block) =>
  b.text.split('\n').filter((l) => l.trim()).every((l) => /^\s*(npx|npm|python3?|node|nnmodel)\s/.test(l));

interface Fragment {
  page: string;
  /** The block's first code line, as written (trimmed, without a trailing comment). */
  first: string;
  /** Text before the block: what it needs declared (a model header, an import). */
  before?: string;
  /** Text after the block (the model's closing brace, an output). */
  after?: string;
  /** What each `...` of the block stands for (a line of its own, or a part of a chain). */
  elided?: string;
  /** First lines of other blocks of the same page that the block uses (a block it calls). */
  uses?: string[];
  /** An example file whose models (without its train sections) come first: a train section of that model. */
  modelsOf?: string;
}

/** Blocks that are not a complete file, with what makes them one. */
const FRAGMENTS: Fragment[] = [
  { page: 'docs/language.md', first: 'output x -> conv2d(8, 3)', before: 'model M {\n  input x: [16, 16, 3]\n', after: '}\n' },
  { page: 'docs/language.md', first: 'x = x + x -> layernorm -> attention(8)', before: 'model M {\n  input x: [seq, 64]\n', after: '  output x\n}\n' },
  {
    page: 'docs/language.md',
    first: 'x = (x + x -> attention(8)) -> layernorm',
    before: 'model M {\n  input x: [seq, 64]\n  input shortcut: [8, 8, 16]\n  y = shortcut -> conv2d(16, 3, padding = same)\n',
    after: '  output x\n}\n',
  },
  {
    page: 'docs/language.md',
    first: 'wte = embedding(50257, 768)',
    before: 'model M {\n  input tokens: int[seq]\n',
    elided: 'layernorm',
    after: '}\n',
  },
  {
    page: 'docs/language.md',
    first: 'block up(filters) {',
    uses: ['block conv_block(filters, kernel = 3) {'],
    elided: 'model M {\n  input bottom: [8, 8, 128]\n  input e3: [16, 16, 64]',
    after: '  output d3\n}\n',
  },
  {
    page: 'docs/language.md',
    first: 'output h -> gpt_block(768, 12) * 12 -> layernorm -> unembed(wte)',
    before: 'import "../examples/gpt2_small.nnmodel"\nmodel M {\n  input tokens: int[seq]\n  wte = embedding(50257, 768)\n  h = tokens -> wte\n',
    after: '}\n',
  },
  { page: 'docs/language.md', first: 'train TinyTransformer {', modelsOf: 'examples/transformer.nnmodel' },
  {
    page: 'docs/language.md',
    first: 'model DigitDiffusion {',
    elided: 'temb = t -> sinusoidal(32) -> dense(16) -> reshape([1, 1, 16])\n  h = noisy -> conv2d(16, 3, padding = same) + temb',
  },
];

/** Blocks that are not nnmodel code, and what they are. */
const NOT_CODE: { page: string; first: string; is: string }[] = [
  { page: 'README.md', first: 'package.json  tsconfig.json  .vscodeignore  CHANGELOG.md  README.md', is: 'the repository layout' },
  { page: 'docs/architecture.md', first: '.nnmodel text ──parse──▶ AST (ranges) ──analyze──▶ graph IR + sites + symbols + diagnostics', is: 'a diagram' },
];

const fragmentOf = (b: Block) => FRAGMENTS.find((f) => f.page === b.page && f.first === b.first);

function fragmentText(b: Block, f: Fragment): string {
  const others = (f.uses ?? []).map((first) => {
    const o = allBlocks.find((x) => x.page === b.page && x.first === first);
    assert.ok(o, `${where(b)}: no block starting '${first}' on ${b.page}`);
    return o.text;
  });
  const models = f.modelsOf ? readFileSync(join(root, f.modelsOf), 'utf8').replace(/^train\s+\w+\s*\{[^}]*\}\s*$/gm, '') : '';
  let body = b.text;
  if (f.elided !== undefined) {
    assert.ok(body.includes('...'), `${where(b)}: the fragment elides nothing any more; remove 'elided'`);
    // A line of its own, or a part of a chain (`h -> ... -> unembed(wte)`).
    body = body
      .replace(/^(\s*)\.\.\.\s*$/gm, (_m, indent: string) => indent + f.elided!.replace(/\n/g, `\n${indent}`))
      .replace(/\.\.\./g, f.elided);
  }
  return [models, ...others, f.before ?? '', body, f.after ?? ''].join('\n');
}

describe('every fenced block of the docs is accounted for', () => {
  test('the pages have blocks of every kind', () => {
    assert.ok(allBlocks.filter(isComplete).length >= 6);
    assert.ok(allBlocks.filter(isShell).length >= 2);
    assert.ok(allBlocks.some((b) => fragmentOf(b)));
  });

  for (const b of allBlocks) {
    test(`${where(b)} (${b.first.slice(0, 40) || b.info})`, () => {
      if (b.info && b.info !== 'nnmodel') return; // ```text, ```sh: labelled as something else
      if (isComplete(b) && !fragmentOf(b)) return; // docs.test.ts analyses it
      if (isShell(b)) return; // its `nnmodel` options are checked below
      if (isGrammar(b)) return; // the grammar: placeholders in capitals
      if (NOT_CODE.some((n) => n.page === b.page && n.first === b.first)) return;
      const f = fragmentOf(b);
      assert.ok(
        f,
        `${where(b)} starting '${b.first}' is neither a complete snippet, a shell session nor a grammar: ` +
          'add it to FRAGMENTS in test/unit/docs-examples.test.ts (with what makes it a file) or to NOT_CODE, or label its fence (```text)',
      );
      const text = fragmentText(b, f);
      const a = analyzeIn(b.page, text);
      assert.deepEqual(errorsOf(a), [], `${where(b)} in its context:\n${text}`);
    });
  }

  test('every listed fragment and non-code block is still in its page', () => {
    for (const f of [...FRAGMENTS, ...NOT_CODE]) {
      assert.ok(
        allBlocks.some((b) => b.page === f.page && b.first === f.first),
        `${f.page} has no block starting '${f.first}' any more: update the list in this test`,
      );
    }
  });
});

// ------------------------------------------------------------------ the diagnostics table's examples

describe('the examples of the diagnostics table give their codes', () => {
  const lines = readFileSync(join(root, 'docs/language.md'), 'utf8').split('\n');
  const start = lines.findIndex((l) => /^\| code \| severity \| example \|/.test(l));
  const end = lines.findIndex((l, i) => i > start && !l.startsWith('|'));
  const rows = lines.slice(start + 2, end);

  /** A chain of layer calls, as the table writes one: `conv2d(8, 5)`, `-> softmx`, `x -> dense(20) -> dense(5)`. */
  const CHAIN = /^(?:[a-z]\s*)?(?:->\s*)?[a-z_][a-z0-9_]*(?:\([^`]*\))?(?:\s*->\s*[a-z_][a-z0-9_]*(?:\([^`]*\))?)*$/;
  /** The input a layer without a stated one is tried on. */
  const inputFor = (layer: string) =>
    /^(conv2d|maxpool|avgpool|conv2d_transpose|upsample|random_|global_)/.test(layer) ? '[8, 8, 4]' : /^conv1d/.test(layer) ? '[16, 4]' : /^embedding/.test(layer) ? 'int[8]' : '[8]';

  let checked = 0;
  for (const row of rows) {
    const cells = row.split(/(?<!\\)\|/).map((c) => c.trim());
    const codes = [...cells[1].matchAll(/`([a-z_]+(?:\.[a-z0-9_*]+)?)`/g)].map((m) => m[1]);
    const family = codes[0].split('.')[0];
    // Rows about one layer call; the other families need a train section, a block or a layer object around the example.
    if (!['name', 'arg', 'shape', 'layer'].includes(family)) continue;
    const expected = codes.map((c) => (c.includes('.') ? c : `${family}.${c}`));
    const severity = cells[2];
    // Each example of the cell: `CHAIN` optionally followed by `on \`SHAPE\``.
    for (const m of cells[3].matchAll(/`([^`]+)`(?:\s+on\s+`((?:int)?\[[^`]*\])`)?/g)) {
      const chain = m[1].trim();
      if (!CHAIN.test(chain)) continue;
      const calls = chain.replace(/^(?:[a-z]\s*)?->\s*/, '').replace(/^[a-z]\s+->\s*/, '');
      const first = /^[a-z_][a-z0-9_]*/.exec(calls)![0];
      const input = m[2] ?? inputFor(first);
      const text = `model M {\n  input x: ${input}\n  output x -> ${calls}\n}\n`;
      checked++;
      test(`${expected.join(', ')}: \`${chain}\`${m[2] ? ` on ${m[2]}` : ''}`, () => {
        const got = analyze(text).diagnostics;
        const hit = got.find((d) => expected.includes(d.code) || expected.some((e) => e.endsWith('*') && d.code.startsWith(e.slice(0, -1))));
        assert.ok(hit, `the table's example gives ${JSON.stringify(got.map((d) => d.code))}, not ${expected.join(' or ')}:\n${text}`);
        if (['error', 'warning', 'info'].includes(severity)) assert.equal(hit.severity, severity, `${hit.code}: severity`);
      });
    }
  }
  test('the table has examples to check', () => assert.ok(checked >= 10, `only ${checked} chain examples found in the diagnostics table`));
});

// ------------------------------------------------------------------ the layer catalogue

describe('the layer catalogue of docs/language.md is the registry', () => {
  const text = readFileSync(join(root, 'docs/language.md'), 'utf8');
  const section = text.slice(text.indexOf('## Layer catalogue'), text.indexOf('## Counting conventions'));
  assert.ok(section.length > 1000, 'docs/language.md has no "## Layer catalogue" section before "## Counting conventions"');
  const rows = section
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) => l.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|')));
  /** Layer name → its row's "arguments" and "input → output" cells. */
  const documented = new Map<string, { args: string; io: string }>();
  for (const cells of rows) for (const m of cells[1].matchAll(/`([a-z_0-9]+)`/g)) documented.set(m[1], { args: cells[2], io: cells[3] ?? '' });
  const activations = /### Activations\s+([\s\S]*?)\. Shape unchanged/.exec(section)?.[1] ?? '';

  test('every layer of the registry is in the catalogue, and every layer of the catalogue in the registry', () => {
    const listed = (n: string) => documented.has(n) || new RegExp('`' + n + '[`(]').test(activations);
    assert.deepEqual([...LAYERS.keys()].filter((n) => !listed(n)), [], 'layers missing from the catalogue');
    assert.deepEqual([...documented.keys()].filter((n) => !LAYERS.has(n)), [], 'the catalogue names layers the registry does not have');
  });

  /** The top-level comma-separated parts of an arguments cell: `padding=valid|same`, `values...`, `shape (a list; …)`. */
  function parts(cell: string): string[] {
    return topLevelArgs(cell).filter((p) => p !== '—');
  }
  const same = (doc: string, value: unknown) =>
    typeof value === 'number' ? Number(doc) === value : typeof value === 'boolean' ? doc === String(value) : doc === String(value);

  for (const [name, { args, io }] of documented) {
    test(`${name}: arguments ${args || '—'}`, () => {
      const spec = LAYERS.get(name);
      assert.ok(spec, `no layer ${name}`);
      const written = parts(args).map((p) => {
        const m = /^([a-z_]+)(\.\.\.)?(?:=([^\s(]+))?/.exec(p);
        assert.ok(m, `${name}: cannot read the argument '${p}'`);
        return { name: m[1], rest: m[3] };
      });
      assert.deepEqual(written.map((w) => w.name), spec.args.map((a) => a.name), `${name}: the arguments in positional order`);
      for (const w of written) {
        const arg: ArgSpec = spec.args.find((a) => a.name === w.name)!;
        if (w.rest === undefined) {
          assert.ok(arg.default === undefined || arg.optional, `${name}: '${w.name}' has the default ${arg.defaultText ?? String(arg.default)}, the catalogue none`);
          continue;
        }
        const choices = w.rest.split('|');
        // `p` stands for the number an argument that also takes numbers is given (explicit padding).
        const words = arg.orInts ? choices.filter((c) => c !== 'p') : choices;
        if (arg.orInts) assert.ok(words.length < choices.length, `${name}: '${w.name}' also takes a number; the catalogue lists no p`);
        if (arg.enum && choices.length > 1) assert.deepEqual([...words].sort(), [...arg.enum].sort(), `${name}: the choices of '${w.name}'`);
        if (typeof arg.default !== 'function' && arg.default !== undefined) {
          assert.ok(same(choices[0], arg.default), `${name}: '${w.name}' defaults to ${String(arg.default)}, the catalogue says ${choices[0]}`);
        }
      }
      // The input ranks a layer takes, where the registry lists them: each written as an input shape.
      const ranks = spec.inputRank;
      if (Array.isArray(ranks) && io.includes('[') && !io.includes('...')) {
        const shown = new Set<number>();
        for (const alternative of io.split(/\bor\b/)) {
          for (const m of alternative.split('→')[0].matchAll(/`(?:int)?\[([^\]`]*)\]`/g)) shown.add(m[1].split(',').length);
        }
        assert.deepEqual([...shown].sort(), [...ranks].sort(), `${name} takes inputs of rank ${ranks.join(' or ')}; the catalogue shows ${[...shown].join(' or ')}`);
      }
    });
  }
});

// ------------------------------------------------------------------ receptive fields the prose states

describe("receptive fields written in the prose are the analysis's", () => {
  const language = readFileSync(join(root, 'docs/language.md'), 'utf8').replace(/\s+/g, ' ');
  const readme = readFileSync(join(root, 'README.md'), 'utf8').replace(/\s+/g, ' ');
  function example(file: string) {
    const path = join(root, 'examples', file);
    return analyze(readFileSync(path, 'utf8'), { uri: path, readImport });
  }
  /** The table cell ("Sees") of each top-level layer call named `op` of the first model, in order. */
  function fields(a: Analysis, ops: string[]): string[] {
    const model = a.models[0];
    return a.sites
      .filter((s) => s.kind === 'layer' && s.model === model.name && ops.includes(s.name))
      .sort((x, y) => x.range.start.offset - y.range.start.offset)
      .map((s) => compactField(fieldAt(model, s.range), model));
  }
  const sentence = (text: string, re: RegExp, page: string) => {
    const m = re.exec(text);
    assert.ok(m, `${page} no longer says ${re}: update this test with what it says now`);
    return m;
  };

  test('LeNet-5, ResNet-18 and the TCN (docs/language.md, Receptive field)', () => {
    const lenet = sentence(language, /LeNet-5 sees (\d+), (\d+), (\d+), (\d+) pixels after its four first layers/, 'docs/language.md');
    const got = fields(example('lenet5.nnmodel'), ['conv2d', 'avgpool']).slice(0, 4);
    assert.deepEqual(got.map((f) => f.split(' ')[0]), lenet.slice(1, 5));

    const resnet = sentence(language, /ResNet-18 (\d+) × (\d+) pixels, stride (\d+), before its global pooling/, 'docs/language.md');
    const r = example('resnet18.nnmodel');
    const model = r.models[0];
    const pool = model.graph.nodes.findIndex((n) => n.kind === 'layer' && n.op === 'global_avgpool');
    const before = model.graph.nodes[pool - 1];
    const beforeSite = r.sites.find((s) => s.range.start.offset === before.range.start.offset && s.range.end.offset === before.range.end.offset);
    assert.ok(beforeSite, 'the call before global_avgpool');
    assert.equal(compactField(fieldAt(model, beforeSite.range), model), `${resnet[1]} × ${resnet[2]} /${resnet[3]}`);

    const tcn = sentence(language, /the TCN example (\d+) steps/, 'docs/language.md');
    const t = example('tcn_waves.nnmodel');
    assert.equal(fields(t, ['conv1d']).at(-1), `${tcn[1]} past`);
  });

  test('a fraction of a pixel after upsample (docs/language.md, Receptive field)', () => {
    const written = sentence(language, /`upsample` after an input gives `([^`]+)`/, 'docs/language.md');
    const a = analyze('model U {\n  input x: [8, 8, 1]\n  output x -> upsample\n}\n');
    assert.deepEqual(fields(a, ['upsample']), [written[1]]);
  });

  test("LeNet-5's second conv (README)", () => {
    const m = sentence(readme, /LeNet-5's second conv (\d+) × (\d+) pixels, stride (\d+)/, 'README.md');
    assert.equal(fields(example('lenet5.nnmodel'), ['conv2d'])[1], `${m[1]} × ${m[2]} /${m[3]}`);
  });
});

// ------------------------------------------------------------------ names the docs use

describe('what the docs name exists', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const texts = pages.map((p) => ({ page: p, text: readFileSync(join(root, p), 'utf8') }));

  /** Backticked spans and the lines of fenced blocks, with line breaks inside a span made spaces. */
  function spans(text: string): string[] {
    const out: string[] = [];
    for (const m of text.matchAll(/```[^\n]*\n([\s\S]*?)```/g)) out.push(...m[1].split('\n'));
    for (const m of text.replace(/```[^\n]*\n[\s\S]*?```/g, '').matchAll(/`([^`]+)`/g)) out.push(m[1].replace(/\s+/g, ' '));
    return out;
  }

  test('every `nnmodel COMMAND --option` is an option of that command', () => {
    let seen = 0;
    const wrong: string[] = [];
    for (const { page, text } of texts) {
      for (const s of spans(text)) {
        for (const m of s.matchAll(/\bnnmodel (\w+)((?:\s+(?!#)[^\s#]+)*)/g)) {
          const command = COMMANDS.find((c) => c.name === m[1]);
          if (!command) {
            if (m[1] !== 'help' && m[1] !== 'text' && m[1] !== 'command') wrong.push(`${page}: no command 'nnmodel ${m[1]}' (${m[0]})`);
            continue;
          }
          seen++;
          for (const o of m[2].matchAll(/(?<![\w-])--([a-z][a-z-]*)/g)) {
            if (o[1] !== 'help' && !command.options.some((x) => x.name === o[1])) wrong.push(`${page}: nnmodel ${m[1]} has no option --${o[1]} (${m[0].trim()})`);
          }
        }
      }
    }
    assert.ok(seen >= 20, `only ${seen} commands found`);
    assert.deepEqual(wrong, []);
  });

  test('every "nnmodel: Title" is a command of package.json', () => {
    const titles = (pkg.contributes.commands as { category: string; title: string }[]).map((c) => `${c.category}: ${c.title}`);
    const wrong: string[] = [];
    for (const { page, text } of texts) {
      for (const m of text.replace(/\s+/g, ' ').matchAll(/\*\*(nnmodel: [^*]+)\*\*|"(nnmodel: [^"]+)"/g)) {
        const named = (m[1] ?? m[2]).trim();
        if (!titles.includes(named)) wrong.push(`${page}: '${named}' (commands: ${titles.join(', ')})`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  test('every `nnmodel.setting` is a setting of package.json (or a context key its when clauses read)', () => {
    const conf = pkg.contributes.configuration;
    const settings = Object.keys((Array.isArray(conf) ? conf[0] : conf).properties);
    // Keys of a checkpoint's model.json and the packaged file, not settings.
    const notSettings = /^nnmodel\.(objective|data|optimizer|history)\b|^nnmodel\.vsix$/;
    // Context keys the package's `when` and `enablement` clauses read (`nnmodel.training`): named in the docs too.
    const contextKeys = [...JSON.stringify(pkg.contributes).matchAll(/"(?:when|enablement)":"([^"]*)"/g)].flatMap((m) => m[1].match(/nnmodel\.[A-Za-z.]+/g) ?? []);
    const wrong: string[] = [];
    for (const { page, text } of texts) {
      for (const m of text.matchAll(/`(nnmodel\.[A-Za-z.]+)`/g)) {
        if (!notSettings.test(m[1]) && !settings.includes(m[1]) && !contextKeys.includes(m[1])) wrong.push(`${page}: ${m[1]}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  test('every source path the docs name exists', () => {
    const wrong: string[] = [];
    let seen = 0;
    for (const { page, text } of texts) {
      for (const m of text.matchAll(/(?<![\w/.-])((?:extension|webview|scripts|test|bench|media|syntaxes)\/[\w./-]*\w)/g)) {
        seen++;
        if (!existsSync(join(root, m[1]))) wrong.push(`${page}: ${m[1]}`);
      }
    }
    assert.ok(seen >= 10, `only ${seen} paths found`);
    assert.deepEqual(wrong, []);
  });

  test('every `npm run SCRIPT` is a script of package.json, every examples/*.nnmodel a file', () => {
    const wrong: string[] = [];
    for (const { page, text } of texts) {
      for (const m of text.matchAll(/npm run ([\w:-]+)/g)) if (!pkg.scripts[m[1]]) wrong.push(`${page}: npm run ${m[1]}`);
      for (const m of text.matchAll(/(?<![\w/])examples\/(\w+\.nnmodel)/g)) if (!existsSync(join(root, 'examples', m[1]))) wrong.push(`${page}: examples/${m[1]}`);
      for (const m of text.matchAll(/`(\w+\.nnmodel)`/g)) {
        if (!existsSync(join(root, 'examples', m[1])) && !/^(other|nope|a)\./.test(m[1])) wrong.push(`${page}: ${m[1]}`);
      }
    }
    assert.deepEqual(wrong, []);
  });
});

// ------------------------------------------------------------------ figures in the examples' comments

describe('figures in the comments of the examples', () => {
  const examples = nnmodelFiles(join(root, 'examples'));
  const dims = (s: Shape) => shapeToString(s).replace(/^int/, '');
  const checked = { lineShapes: 0, counts: 0, shapes: 0 };

  /** Shapes a comment may name although the file gives none: each with the reason. */
  const HYPOTHETICAL: Record<string, string[]> = {
    // "without it [return_sequences] the LSTM gives only the last one ([256])"
    'char_lstm.nnmodel': ['[256]'],
  };

  for (const file of examples) {
    const path = join(root, 'examples', file);
    const text = readFileSync(path, 'utf8');
    const a = analyze(text, { uri: path, readImport });
    const own = a.models.filter((m) => m.uri === undefined || m.uri === path);
    const sites = a.sites;
    const symbols = new Set(own.flatMap((m) => m.symbols));

    test(`${file}: a shape at the end of a line is the output of the line's last layer`, () => {
      text.split('\n').forEach((line, i) => {
        if (/^\s*#/.test(line)) return;
        const m = /#\s*(?:→\s*)?(\[[^\]]*\])(?=[\s:]|$)/.exec(line);
        if (!m) return;
        const names = m[1].slice(1, -1).split(',').map((d) => d.trim());
        if (!names.every((d) => /^\d+$/.test(d) || symbols.has(d))) return; // a block's own names: [h, w, filters]
        const here = sites.filter((s) => (s.kind === 'layer' || s.kind === 'block') && s.range.end.line === i && s.outShape);
        assert.ok(here.length > 0, `${file}:${i + 1}: no layer ends on the line of the comment ${m[1]}`);
        const last = here.reduce((x, y) => (y.range.end.offset > x.range.end.offset ? y : x));
        assert.equal(dims(last.outShape!), m[1], `${file}:${i + 1}: the comment says ${m[1]}`);
        checked.lineShapes++;
      });
    });

    // The comment text with its `#`s removed, sentences running across lines.
    const prose = text
      .split('\n')
      .map((l) => /#(.*)$/.exec(l)?.[1] ?? '')
      .join(' ')
      .replace(/\s+/g, ' ');
    const number = (s: string) => Number(s.replace(/[ ,]/g, ''));
    const NUM = String.raw`(?<![\d·.,)])(\d{1,3}(?:[ ,]\d{3})+|\d+)`;

    test(`${file}: parameter and MAC counts in the comments are the analysis's`, () => {
      const fixed = (x: { evaluate(env: Record<string, number>): number | undefined }) => x.evaluate({});
      const params = new Set<number | undefined>([
        ...own.flatMap((m) => [fixed(m.params.trainable), fixed(m.params.total)]),
        ...sites.map((s) => (s.params ? (fixed(s.params.trainable) ?? 0) + (fixed(s.params.nonTrainable) ?? 0) : undefined)),
      ]);
      const macs = new Set<number | undefined>([...own.map((m) => fixed(m.macs)), ...sites.map((s) => (s.macs ? fixed(s.macs) : undefined))]);
      for (const m of prose.matchAll(new RegExp(`${NUM} (?:trainable )?parameters\\b`, 'g'))) {
        assert.ok(params.has(number(m[1])), `${file}: "${m[0]}" is neither a model's nor a layer's count`);
        checked.counts++;
      }
      for (const m of prose.matchAll(new RegExp(`${NUM} MACs\\b`, 'g'))) {
        assert.ok(macs.has(number(m[1])), `${file}: "${m[0]}" is neither a model's nor a layer's MACs`);
        checked.counts++;
      }
    });

    test(`${file}: shapes named in the comments are shapes of the file`, () => {
      const shapes = new Set<string>([
        ...own.flatMap((m) => [...m.inputs.map((x) => dims(x.shape)), ...m.outputs.map((x) => dims(x.shape))]),
        ...sites.filter((s) => s.outShape).map((s) => dims(s.outShape!)),
        ...(HYPOTHETICAL[file] ?? []),
      ]);
      for (const m of prose.matchAll(/\[([^\]\[]*)\]/g)) {
        const names = m[1].split(',').map((d) => d.trim());
        if (!names.every((d) => /^[1-9]\d*$/.test(d) || symbols.has(d))) continue; // [-1, 1], [h, w, c], [MASK]
        assert.ok(shapes.has(`[${names.join(', ')}]`), `${file}: the comments name [${names.join(', ')}], a shape nothing in the file has`);
        checked.shapes++;
      }
    });
  }

  test('the examples state figures to check', () => {
    assert.ok(checked.lineShapes >= 30, `only ${checked.lineShapes} line-end shapes checked`);
    assert.ok(checked.counts >= 10, `only ${checked.counts} counts checked`);
    assert.ok(checked.shapes >= 20, `only ${checked.shapes} shapes checked`);
  });
});
