// Completion, signature help and hovers as the providers give them to VS Code
// (driven through the fake `vscode` module): imported blocks like local ones,
// templates only where a top-level item starts, arguments given by position
// not offered again, a name not in scope inside its own statement, layer
// signatures that agree with their documentation, and a block's weights
// said plainly when they are too many to list.
import { Position, sourceDocument, state, type CompletionItem, type MarkdownString, type SourceDocument } from './vscodeMock';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { analyze, LAYERS, type Analysis } from '../../extension/core';
import type { AnalysisCache } from '../../extension/vscode/analysisCache';
import { registerCompletion } from '../../extension/vscode/completion';
import { registerHover } from '../../extension/vscode/hover';
import { registerSignatureHelp } from '../../extension/vscode/signatureHelp';
import { formatDefault, layerSignature } from '../../extension/vscode/pure/text';

const EXAMPLES = resolve('examples');

/** Analyses as the extension does, imports read from disk. */
function analysisOf(path: string, text: string): Analysis {
  return analyze(text, {
    uri: `file://${path}`,
    readImport: (from, rel) => {
      const p = resolve(dirname(from ? from.replace(/^file:\/\//, '') : path), rel);
      try {
        return { uri: `file://${p}`, text: readFileSync(p, 'utf8') };
      } catch {
        return undefined;
      }
    },
  });
}

interface Opened {
  doc: SourceDocument;
  cache: AnalysisCache;
  /** The position of the `|` marker (removed from the text). */
  at: Position;
}

/** A document at `path` whose text has a `|` where the cursor is (the marker removed; none: the position 0:0). */
function open(path: string, marked: string): Opened {
  const offset = Math.max(0, marked.indexOf('|'));
  const text = marked.includes('|') ? marked.slice(0, offset) + marked.slice(offset + 1) : marked;
  const doc = sourceDocument(path, text);
  const analysis = analysisOf(path, text);
  const cache = { get: () => analysis } as unknown as AnalysisCache;
  return { doc, cache, at: doc.positionAt(offset) };
}

function labelOf(it: CompletionItem): string {
  return typeof it.label === 'string' ? it.label : it.label.label;
}

function complete(o: Opened, trigger?: string): CompletionItem[] {
  registerCompletion('nnmodel', o.cache);
  return state.providers.completion!.provideCompletionItems(o.doc, o.at, undefined, { triggerCharacter: trigger });
}

function labels(o: Opened, trigger?: string): string[] {
  return complete(o, trigger).map(labelOf);
}

function hover(o: Opened): string | undefined {
  registerHover('nnmodel', o.cache);
  return (state.providers.hover!.provideHover(o.doc, o.at)?.contents as MarkdownString | undefined)?.value;
}

function signature(o: Opened): { label: string; active: number } | undefined {
  registerSignatureHelp('nnmodel', o.cache);
  const h = state.providers.signature!.provideSignatureHelp(o.doc, o.at);
  return h && { label: h.signatures[0].label, active: h.activeParameter };
}

/** examples/gpt_small.nnmodel (which imports gpt_block from gpt2_small.nnmodel), its text edited. */
function gptSmall(edit: (text: string) => string): Opened {
  const path = join(EXAMPLES, 'gpt_small.nnmodel');
  return open(path, edit(readFileSync(path, 'utf8')));
}

test('an imported block is offered after -> and while its name is typed, as an imported block with its parameters', () => {
  // The QA's place: line 30, column 17, inside `gp|t_block`.
  const o = gptSmall((t) => t.replace('-> gpt_block(128, 4)', '-> gp|t_block(128, 4)'));
  assert.deepEqual([o.at.line + 1, o.at.character + 1], [30, 17]);
  const items = complete(o);
  const block = items.find((i) => labelOf(i) === 'gpt_block');
  assert.ok(block, `gpt_block in: ${items.map(labelOf).join(', ')}`);
  assert.equal(typeof block.label === 'string' ? undefined : block.label.description, 'imported block');
  assert.equal(block.detail, 'block gpt_block(dim, heads, hidden = 4 * dim, p = 0.1)');
  // The snippet holds the required parameters.
  assert.equal((block.insertText as { value: string }).value, 'gpt_block(${1:dim}, ${2:heads})');
  // After a bare `->` too.
  assert.ok(labels(gptSmall((t) => t.replace('-> gpt_block(128, 4) * 4', '-> |'))).includes('gpt_block'));
});

test('inside an imported block call: its parameters not given yet, and signature help on the active one', () => {
  const o = gptSmall((t) => t.replace('gpt_block(128, 4)', 'gpt_block(128, |)'));
  const got = labels(o);
  assert.ok(got.includes('heads') && got.includes('hidden') && got.includes('p'), `offered: ${got.join(', ')}`);
  assert.ok(!got.includes('dim'), `dim is given by position: ${got.join(', ')}`);
  assert.deepEqual(signature(o), { label: 'block gpt_block(dim, heads, hidden = 4 * dim, p = 0.1)', active: 1 });
});

test('hovering an imported block call shows its parameters, and its weights said plainly', () => {
  const o = gptSmall((t) => t.replace('-> gpt_block(128, 4)', '-> gpt_bl|ock(128, 4)'));
  const md = hover(o)!;
  assert.match(md, /^```nnmodel\nblock gpt_block\(dim, heads, hidden = 4 \* dim, p = 0\.1\)\n```/);
  assert.match(md, /Repeated \*\*4\*\* times/);
  // 16 weight tensors per block (two layernorms, attention's eight, two dense), 4 blocks, 12 names.
  assert.match(
    md,
    /\*\*Weights\*\*: 64 weight tensors with 12 distinct names, all repeats: `gamma` ×8, `beta` ×8, `query_kernel` ×4, .*`kernel` ×8, `bias` ×8; each layer of the body lists their shapes and sizes/,
  );
  assert.doesNotMatch(md, /too many to list/);
});

test('a value given to an imported block call has its own hover, as in a call of the block in its own file', () => {
  // gpt_small imports gpt_block from gpt2_small, which calls it too.
  const imported = hover(gptSmall((t) => t.replace('-> gpt_block(128, 4)', '-> gpt_block(1|28, 4)')))!;
  const path = join(EXAMPLES, 'gpt2_small.nnmodel');
  const local = hover(open(path, readFileSync(path, 'utf8').replace('-> gpt_block(768, 12)', '-> gpt_block(7|68, 12)')))!;
  assert.match(imported, /^```nnmodel\n\(parameter\) gpt_block\.dim = 128\n```\n\nAt this call: `dim = 128` \(given by position\)  \n/);
  assert.match(imported, /Required: no default; a parameter of block `gpt_block\(dim, heads, hidden = 4 \* dim, p = 0\.1\)` \(imported from `gpt2_small\.nnmodel`\)/);
  assert.equal(imported.replace(' (imported from `gpt2_small.nnmodel`)', '').replaceAll('128', '768'), local);
  // The named argument `heads = 4`: the value given, the parameter being required.
  const heads = hover(gptSmall((t) => t.replace('-> gpt_block(128, 4)', '-> gpt_block(128, he|ads = 4)')))!;
  assert.match(heads, /^```nnmodel\n\(parameter\) gpt_block\.heads = 4\n```\n\nAt this call: `heads = 4`  \n/);
});

test('an imported block\'s parameters come from the file as it is now; a file that cannot be read gives none', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-completion-'));
  try {
    writeFileSync(join(dir, 'lib.nnmodel'), 'block up(filters, k = 2) {\n  input x\n  output x -> dense(filters)\n}\n');
    const main = 'import "lib.nnmodel"\n\nmodel M {\n  input x: [4]\n  output x -> up(8, |)\n}\n';
    const o = open(join(dir, 'main.nnmodel'), main);
    assert.deepEqual(signature(o), { label: 'block up(filters, k = 2)', active: 1 });
    assert.deepEqual(labels(o).filter((l) => l === 'k' || l === 'filters'), ['k']);
    // The library is gone (or unreadable): no signature is made up.
    rmSync(join(dir, 'lib.nnmodel'));
    assert.equal(signature(o), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const TOP = '/w/top.nnmodel';

test('the cnn and transformer templates are offered where a top-level item starts, and nowhere else', () => {
  const top = labels(open(TOP, '|'));
  for (const l of ['model', 'block', 'train', 'import', 'cnn', 'transformer']) assert.equal(top.filter((x) => x === l).length, 1, `${l} in ${top.join(', ')}`);
  assert.ok(labels(open(TOP, 'model A {\n  input x: [4]\n  output x\n}\n\n|')).includes('cnn'), 'after an item');
  const elsewhere: Record<string, string> = {
    'argument list': 'model A {\n  input x: [8, 8, 1]\n  output x -> conv2d(8, |\n}\n',
    'enum value': 'model A {\n  input x: [8, 8, 1]\n  output x -> conv2d(8, 3, padding = |\n}\n',
    'model body': 'model A {\n  input x: [4]\n  |\n}\n',
    chain: 'model A {\n  input x: [4]\n  output x -> |\n}\n',
    'train key': 'model A {\n  input x: [4]\n  output x\n}\ntrain A {\n  |\n}\n',
    'train value': 'model A {\n  input x: [4]\n  output x\n}\ntrain A {\n  loss: |\n}\n',
  };
  for (const [where, text] of Object.entries(elsewhere)) {
    const got = labels(open(TOP, text));
    assert.ok(!got.includes('cnn') && !got.includes('transformer'), `${where}: ${got.join(', ')}`);
  }
});

test('the templates analyse cleanly with their defaults, and are snippets', () => {
  const items = complete(open(TOP, '|')).filter((i) => ['cnn', 'transformer'].includes(labelOf(i)));
  assert.equal(items.length, 2);
  const defaults = (s: string) => s.replace(/\$\{\d+:([^}]*)\}/g, '$1').replace(/\t/g, '  ');
  const text = items.map((i) => defaults((i.insertText as { value: string }).value)).join('\n\n') + '\n\nmodel T {\n  input t: [16, 32]\n  output t -> transformer_block(32, 4)\n}\n';
  const a = analyze(text);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  assert.deepEqual(a.models.map((m) => m.name), ['CNN', 'T']);
});

test('arguments given by position are not offered again; named ones neither', () => {
  const conv = labels(open(TOP, 'model A {\n  input x: [8, 8, 1]\n  output x -> conv2d(8, 3, |)\n}\n'));
  assert.ok(!conv.includes('filters') && !conv.includes('kernel'), conv.join(', '));
  assert.ok(conv.includes('stride') && conv.includes('padding'), conv.join(', '));
  const named = labels(open(TOP, 'model A {\n  input x: [8, 8, 1]\n  output x -> conv2d(kernel = 3, 8, |)\n}\n'));
  assert.ok(!named.includes('filters') && !named.includes('kernel'), named.join(', '));
  // The first positional argument fills the first parameter not given by name.
  const first = labels(open(TOP, 'model A {\n  input x: [8, 8, 1]\n  output x -> conv2d(filters = 8, 3, |)\n}\n'));
  assert.ok(!first.includes('kernel') && first.includes('stride'), first.join(', '));
  // A variadic first parameter takes every positional argument: axis stays.
  assert.ok(labels(open(TOP, 'model A {\n  input x: [4]\n  input y: [4]\n  output concat(x, y, |)\n}\n')).includes('axis'));
  // Train functions: text's path.
  const train = labels(open(TOP, 'model A {\n  input t: int[seq]\n  output t -> embedding(64, 8)\n}\ntrain A {\n  data: text("data/tiny.txt", |)\n}\n'));
  assert.ok(!train.includes('path'), train.join(', '));
  assert.ok(train.includes('tokenizer') && train.includes('context'), train.join(', '));
  // Local blocks.
  const block = labels(open(TOP, 'block b(dim, heads, p = 0.1) {\n  input x\n  output x -> dense(dim)\n}\nmodel A {\n  input x: [4]\n  output x -> b(8, |)\n}\n'));
  assert.ok(!block.includes('dim') && block.includes('heads') && block.includes('p'), block.join(', '));
});

const SCOPE = `block gpt_block(dim, heads) {
  input x
  output x -> dense(dim)
}
model M {
  input t: int[seq]
  e = embedding(10, 32)
`;

test('a name is not offered inside its own statement; an earlier binding of it is', () => {
  // Where a tensor fits (an input given by name; a parameter takes no tensor: vscode-block-arg-completion.test.ts).
  const own = labels(open(TOP, `${SCOPE}  h = t -> e -> gpt_block(32, 4, x = |\n}\n`));
  assert.ok(own.includes('t'), own.join(', '));
  assert.ok(!own.includes('h'), `h is not bound yet: ${own.join(', ')}`);
  const again = complete(open(TOP, `${SCOPE}  h = t -> e\n  h = h -> gpt_block(32, 4, x = |\n}\n`)).filter((i) => labelOf(i) === 'h');
  assert.equal(again.length, 1, 'the h of the line before');
  assert.equal(again[0].detail, 'value: [seq, 32]');
  // In an expression and after `=`, the same.
  assert.ok(!labels(open(TOP, `${SCOPE}  h = |\n}\n`)).includes('h'));
  assert.ok(!labels(open(TOP, `${SCOPE}  h = e -> dense(h|\n}\n`)).includes('h'));
});

test('every layer signature writes its defaults as the layer documentation does', () => {
  // The documentation's header `**name(a, b = x, c = y|z)**`, where it has one: each default the same (numbers by value).
  const norm = (t: string) => t.replace(/\s+/g, '').split('|')[0];
  const same = (a: string, b: string) => norm(a) === norm(b) || (Number.isFinite(Number(norm(a))) && Number(norm(a)) === Number(norm(b)));
  let checked = 0;
  for (const spec of LAYERS.values()) {
    const m = new RegExp(`\\*\\*${spec.name}\\((.*?)\\)\\*\\*`).exec(spec.doc);
    if (!m) continue;
    const documented = new Map(
      // Commas inside a list default (`value_range = [0, 1]`) do not separate arguments.
      m[1].split(/,\s*(?![^[]*\])/).filter(Boolean).map((p) => {
        const [name, value] = p.split('=').map((x) => x.trim());
        return [name.replace(/\.\.\.$/, ''), value] as const;
      }),
    );
    for (const a of spec.args) {
      assert.ok(documented.has(a.name), `${spec.name}: ${a.name} documented`);
      const doc = documented.get(a.name);
      const shown = formatDefault(a);
      // A documentation may leave an optional argument bare; the signature then says none.
      if (doc === undefined) assert.ok(shown === undefined || (shown === 'none' && a.optional) || a.type === 'tensors', `${spec.name}: ${a.name} = ${shown}, documented without default`);
      else assert.ok(shown !== undefined && same(shown, doc), `${spec.name}: ${a.name} = ${shown}, documented = ${doc}`);
    }
    checked++;
  }
  assert.ok(checked >= 20, `${checked} layers with a documented signature`);
  // The QA's header, and others that computed or lacked a default.
  assert.equal(layerSignature(LAYERS.get('attention')!).label, 'attention(heads, key_dim = dim/heads, causal = false, context = none, dropout = 0, bias = true, position = none, pad_mask = none, pad_id = 0)');
  assert.equal(layerSignature(LAYERS.get('maxpool')!).label, 'maxpool(size, stride = size, padding = valid)');
  assert.equal(layerSignature(LAYERS.get('cutout')!).label, 'cutout(h, w = h)');
  assert.equal(layerSignature(LAYERS.get('layernorm')!).label, 'layernorm(epsilon = 1e-5)');
});

test('the attention hover\'s header agrees with its documentation', () => {
  const o = open(TOP, 'model A {\n  input x: [8, 16]\n  output x -> atte|ntion(4)\n}\n');
  const md = hover(o)!;
  const header = md.split('\n')[1];
  // The call as analysed: the documentation's arguments in its order, with this call's values (heads = 4) and the
  // defaults it leaves (a causal call reads `causal = true` here, where the signature says the default, false).
  assert.equal(header, 'attention(heads = 4, key_dim = dim/heads, causal = false, context = none, dropout = 0, bias = true, position = none, pad_mask = none, pad_id = 0)');
  assert.ok(md.includes('**attention(heads, key_dim = dim/heads, causal = false, context = none'), 'the documentation below');
});
