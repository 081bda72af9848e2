// The static contributions: package.json, grammar, language configuration, templates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAYERS } from '../../extension/core';
import { TOP_LEVEL_KEYWORDS, TOP_LEVEL_TEMPLATES, snippetDefaults } from '../../extension/vscode/pure/keywords';
import { analyze } from '../../extension/core/analysis/analyze';

const root = join(__dirname, '..', '..');
const json = (p: string) => JSON.parse(readFileSync(join(root, p), 'utf8'));
const pkg = json('package.json');
const grammar = json('syntaxes/nnmodel.tmLanguage.json');

/** Every layer the language contract lists, by name. */
const CONTRACT_LAYERS = `dense conv1d conv2d conv2d_transpose maxpool avgpool global_avgpool global_maxpool upsample flatten reshape
transpose dropout batchnorm layernorm groupnorm relu relu6 leaky_relu elu gelu sigmoid tanh silu softmax embedding unembed
positional cls_token attention rnn lstm gru concat add multiply mean max take random_flip random_rotation random_crop
gaussian_noise`.split(/\s+/);

function layerRegex(): RegExp {
  const p = grammar.repository.expression.patterns.find((x: { name?: string }) => x.name === 'support.function.layer.nnmodel');
  assert.ok(p, 'layer pattern');
  return new RegExp(p.match, 'g');
}

test('the grammar highlights every layer of the contract and of the registry, whole', () => {
  const re = layerRegex();
  for (const name of new Set([...CONTRACT_LAYERS, ...LAYERS.keys()])) {
    const line = `x -> ${name}(1)`;
    const found = [...line.matchAll(re)].map((m) => m[0]);
    assert.deepEqual(found, [name], `layer ${name}`);
  }
  assert.deepEqual([...'x -> conv2d_transposed'.matchAll(layerRegex())].map((m) => m[0]), []);
});

test('the grammar tells floor division from a // comment', () => {
  const p = grammar.repository.comments.patterns[1];
  const re = new RegExp(p.match);
  assert.ok(re.test('  h = dim // 2'));
  assert.ok(!re.test('  x -> relu // then a comment'));
  assert.ok(!re.test('  // a comment'));
  assert.equal(grammar.scopeName, 'source.nnmodel');
});

test('files referenced by package.json exist', () => {
  const c = pkg.contributes;
  const paths: string[] = [pkg.icon, ...c.grammars.map((g: { path: string }) => g.path)];
  for (const l of c.languages) paths.push(l.configuration, l.icon.light, l.icon.dark);
  for (const w of c.walkthroughs) for (const s of w.steps) paths.push(s.media.markdown ?? s.media.image);
  for (const p of paths) assert.ok(existsSync(join(root, p)), p);
  const png = readFileSync(join(root, pkg.icon));
  assert.equal(png.readUInt32BE(16), 128, 'icon width');
  assert.equal(png.readUInt32BE(20), 128, 'icon height');
});

test('settings are documented, commands categorised, palette entries scoped to nnmodel', () => {
  const c = pkg.contributes;
  assert.equal(c.configuration.title, 'nnmodel');
  for (const [k, v] of Object.entries(c.configuration.properties as Record<string, { markdownDescription?: string }>)) {
    assert.ok(k.startsWith('nnmodel.'), k);
    assert.ok(v.markdownDescription && v.markdownDescription.length > 20, `${k} needs a markdownDescription`);
  }
  for (const k of ['nnmodel.diagnostics.debounce', 'nnmodel.inlayHints.enabled', 'nnmodel.inlayHints.showParams', 'nnmodel.codeLens.enabled', 'nnmodel.memory.batchSize', 'nnmodel.backend']) {
    assert.ok(k in c.configuration.properties, k);
  }
  assert.equal(c.configuration.properties['nnmodel.memory.batchSize'].default, 32);
  assert.deepEqual(c.configuration.properties['nnmodel.backend'].enum, ['auto', 'webgl', 'wasm', 'cpu']);
  const ids = new Set(c.commands.map((x: { command: string }) => x.command));
  for (const cmd of c.commands) assert.equal(cmd.category, 'nnmodel', cmd.command);
  for (const entries of Object.values(c.menus as Record<string, { command: string }[]>)) {
    for (const e of entries) assert.ok(ids.has(e.command), `menu entry for unknown command ${e.command}`);
  }
  assert.ok(pkg.activationEvents.includes('onLanguage:nnmodel'));
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
});

test('every command the editor glue registers is contributed, and the other way round for its own', () => {
  const dir = join(root, 'extension', 'vscode');
  const registered = new Set<string>();
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts'))) {
    for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/registerCommand\(\s*'([^']+)'/g)) registered.add(m[1]);
  }
  assert.ok(registered.size >= 2);
  const contributed = new Set(pkg.contributes.commands.map((x: { command: string }) => x.command));
  for (const id of registered) assert.ok(contributed.has(id), `${id} is not in contributes.commands`);
  for (const step of pkg.contributes.walkthroughs[0].steps) {
    for (const m of (step.description as string).matchAll(/command:(nnmodel\.[\w.]+)/g)) assert.ok(registered.has(m[1]), m[1]);
  }
});

test('templates and the language configuration are well formed', () => {
  // VS Code lists a contributed snippet in every completion list of the language (argument lists, train values):
  // the templates come from the completion provider, which offers them only where a top-level item starts.
  assert.equal(pkg.contributes.snippets, undefined, 'no contributed snippets');
  const prefixes = TOP_LEVEL_TEMPLATES.map((t) => t.label);
  assert.deepEqual(prefixes, ['cnn', 'transformer']);
  for (const k of TOP_LEVEL_KEYWORDS) assert.ok(!prefixes.includes(k.label), `template '${k.label}' duplicates the keyword's completion`);
  for (const t of TOP_LEVEL_TEMPLATES) {
    let depth = 0;
    for (const ch of t.snippet.replace(/\$\{[^}]*\}/g, '')) {
      if (ch === '{' || ch === '(' || ch === '[') depth++;
      if (ch === '}' || ch === ')' || ch === ']') depth--;
      assert.ok(depth >= 0, t.label);
    }
    assert.equal(depth, 0, `${t.label} brackets balance`);
    assert.ok(t.doc.length > 10 && t.detail.length > 0, t.label);
  }
  const conf = json('language-configuration.json');
  assert.equal(conf.comments.lineComment, '#');
  const word = new RegExp(conf.wordPattern);
  assert.equal('conv2d_transpose'.match(word)?.[0], 'conv2d_transpose');
  assert.ok(new RegExp(conf.indentationRules.increaseIndentPattern).test('model LeNet5 {'));
  assert.ok(new RegExp(conf.indentationRules.decreaseIndentPattern).test('  }'));
});

test('top-level keyword completions: one each, templates that analyse cleanly with their defaults', () => {
  const labels = TOP_LEVEL_KEYWORDS.map((k) => k.label);
  assert.deepEqual([...labels].sort(), ['block', 'import', 'model', 'train']);
  const get = (l: string) => snippetDefaults(TOP_LEVEL_KEYWORDS.find((k) => k.label === l)!.snippet);
  assert.equal(get('model'), 'model Name {\n  input x: [28, 28, 1]\n  output x -> flatten -> dense(10) -> softmax\n}');
  const file = `${get('block')}\n\n${get('model')}\n\n${get('train').replace('train Model', 'train Name')}\n`;
  const a = analyze(file);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  assert.equal(a.trains.length, 1);
  for (const k of TOP_LEVEL_KEYWORDS) assert.ok(k.doc.length > 10 && k.detail.startsWith(k.label), k.label);
});
