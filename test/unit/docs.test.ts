// The language snippets in the user documentation must be what the product
// accepts, and the figures written beside them must be what it computes: a
// user copies them first. Snippets with `...` or the grammar's capital
// placeholders are fragments and are skipped; a train section is analysed
// together with the snippets of the same page that declare its model.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../../extension/core/analysis/analyze';
import { parse } from '../../extension/core/syntax/parser';
import { shapeToString } from '../../extension/core/analysis/sym';
import type { Analysis } from '../../extension/core/analysis/types';

const root = process.cwd();
const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

interface Snippet {
  page: string;
  /** 1-based line of the snippet's first line in the page. */
  line: number;
  text: string;
}

/** Fenced blocks of a Markdown page whose first statement is a declaration of the language. */
function snippets(page: string): Snippet[] {
  const lines = readFileSync(join(root, page), 'utf8').split('\n');
  const out: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```/.exec(lines[i]);
    if (!open) continue;
    let j = i + 1;
    while (j < lines.length && !/^\s*```/.test(lines[j])) j++;
    const body = lines.slice(i + 1, j).map((l) => l.slice(open[1].length));
    const first = body.find((l) => l.trim() && !l.trim().startsWith('#')) ?? '';
    if (/^(model|block|train|import)\s/.test(first)) out.push({ page, line: i + 2, text: body.join('\n') + '\n' });
    i = j;
  }
  return out;
}

const all = pages.flatMap(snippets);
const isFragment = (s: Snippet) => s.text.includes('...') || /\b(NAME|EXPR|CHAIN|PRIMARY|CALL|ARGS)\b/.test(s.text);
const complete = all.filter((s) => !isFragment(s));

/** The snippet, preceded by the snippets of its page that declare the models its train sections name. */
function withContext(s: Snippet): string {
  const named = [...s.text.matchAll(/^train\s+(\w+)/gm)].map((m) => m[1]);
  const declares = (t: string, name: string) => new RegExp(`^model\\s+${name}\\b`, 'm').test(t);
  const context = named
    .filter((n) => !declares(s.text, n))
    .map((n) => complete.find((o) => o.page === s.page && o !== s && declares(o.text, n)))
    .filter((o): o is Snippet => o !== undefined);
  return [...new Set(context)].map((o) => o.text).join('\n') + s.text;
}

function where(s: Snippet): string {
  return `${s.page}:${s.line}`;
}

describe('documentation snippets', () => {
  test('the pages have snippets to check', () => {
    assert.ok(complete.length >= 6, `only ${complete.length} complete snippets found in ${pages.join(', ')}`);
    assert.ok(complete.some((s) => s.page === 'README.md'));
  });

  for (const s of complete) {
    test(`${where(s)} parses and analyses without errors`, () => {
      assert.deepEqual(parse(s.text).errors, [], `syntax errors in the snippet at ${where(s)}`);
      const a = analyze(withContext(s));
      const errors = a.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`);
      // A train section of a model no page declares is an honest fragment; anything else is a mistake in the docs.
      const named = [...s.text.matchAll(/^train\s+(\w+)/gm)].map((m) => m[1]);
      const undeclared = named.filter((n) => !a.models.some((m) => m.name === n));
      const real = errors.filter((e) => !(e.startsWith('train.unknown_model') && undeclared.some((n) => e.includes(`'${n}'`))));
      assert.deepEqual(real, [], `the snippet at ${where(s)} has errors`);
    });
  }

  // Comments in a snippet that state figures: `# → [14, 14, 6] · 156 params` after a chain line gives the
  // output shape of the line's last layer and the parameters of the line's layers; `# 61,706 params · 416,520 MACs`
  // on a model's last line gives the model's totals.
  const claims = complete.filter((s) => /#\s*(→|[\d,]+ params)/.test(s.text));
  test('some snippets state figures', () => assert.ok(claims.length > 0));
  for (const s of claims) {
    test(`${where(s)}: the figures in its comments are the analysis's`, () => {
      const a: Analysis = analyze(s.text);
      const lines = s.text.split('\n');
      let checked = 0;
      lines.forEach((text, line) => {
        const m = /#\s*(?:→\s*(\[[^\]]*\]))?\s*(?:·\s*)?(?:([\d,]+) params)?(?:\s*·\s*([\d,]+) MACs)?\s*$/.exec(text);
        if (!m || (!m[1] && !m[2])) return;
        const num = (x: string) => Number(x.replace(/,/g, ''));
        const layers = a.sites.filter((t) => t.kind === 'layer' && t.range.start.line === line);
        assert.ok(layers.length > 0, `${where(s)}+${line}: no layer on the line of the comment`);
        if (m[1]) {
          assert.equal(shapeToString(layers[layers.length - 1].outShape!), m[1], `${where(s)}+${line}: output shape`);
          checked++;
        }
        if (m[3]) {
          // Totals: the model whose body ends on this line or the next.
          const model = a.models.find((mm) => mm.range.end.line === line || mm.range.end.line === line + 1);
          assert.ok(model, `${where(s)}+${line}: the totals comment is not at a model's end`);
          assert.equal(model.params.total.toString(), String(num(m[2])), `${where(s)}+${line}: total parameters`);
          assert.equal(model.macs.toString(), String(num(m[3])), `${where(s)}+${line}: MACs`);
          checked++;
        } else if (m[2]) {
          const params = layers.reduce((n, t) => n + Number(t.params!.trainable.toString()) + Number(t.params!.nonTrainable.toString()), 0);
          assert.equal(params, num(m[2]), `${where(s)}+${line}: parameters of the line's layers`);
          checked++;
        }
      });
      assert.ok(checked > 0, `${where(s)}: no figure was checked`);
    });
  }
});
