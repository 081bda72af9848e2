import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, compareSites, sortSites } from '../../extension/core/analysis/analyze';
import type { SiteInfo } from '../../extension/core/analysis/types';
import { lex } from '../../extension/core/syntax/lexer';
import { mulberry32 } from '../../extension/core/runtime/data/random';
import { generateFile } from '../../bench/generate';

/** A site with just what the order reads (and an id to check stability). */
function site(start: number, end: number, id: number): SiteInfo {
  const pos = (offset: number) => ({ line: 0, character: offset, offset });
  return { range: { start: pos(start), end: pos(end) }, kind: 'layer', name: `s${id}`, model: 'M', inShapes: [] };
}

test('sortSites gives the order of a stable sort by compareSites, ties included', () => {
  const r = mulberry32(12);
  for (const [n, width] of [
    [0, 10],
    [1, 10],
    [2, 1],
    [50, 5],
    [2000, 40],
    [3000, 100000],
  ]) {
    const sites: SiteInfo[] = [];
    for (let i = 0; i < n; i++) {
      const start = Math.floor(r() * width);
      sites.push(site(start, start + Math.floor(r() * 4), i));
    }
    const want = [...sites].sort(compareSites).map((s) => s.name);
    const same = sortSites(sites);
    assert.equal(same, sites, 'sorts in place');
    assert.deepEqual(
      sites.map((s) => s.name),
      want,
      `n=${n}`,
    );
  }
});

test('sortSites of a large file (offsets too large to pack with the end and the index) is still the stable comparator order', () => {
  // 20 000 sites over a million characters (span² · n past 2^53, which the packed keys once needed), each a
  // few thousand characters long at most: what a large file's sites are.
  const make = () => {
    const r = mulberry32(7);
    const sites: SiteInfo[] = [];
    for (let i = 0; i < 20000; i++) {
      // Clustered starts, so that many ranges are equal (ties) or nested.
      const start = Math.floor(r() * 2000) * 500 + Math.floor(r() * 3);
      sites.push(site(start, start + Math.floor(r() * 3) * (r() < 0.5 ? 1 : 1300), i));
    }
    return sites;
  };
  for (const extra of [[], [site(0, 1_000_000, 20000), site(999_999, 1_000_000, 20001)]]) {
    const sites = [...make(), ...extra];
    const want = [...sites].sort(compareSites).map((s) => s.name);
    assert.equal(sortSites(sites), sites);
    assert.deepEqual(
      sites.map((s) => s.name),
      want,
    );
  }
});

test('sortSites falls back to the comparator when packed keys would not be exact', () => {
  const big = 2 ** 40;
  const sites = [site(big, big + 2, 0), site(5, 9, 1), site(big, big + 7, 2), site(5, 9, 3)];
  sortSites(sites);
  assert.deepEqual(
    sites.map((s) => s.name),
    ['s1', 's3', 's2', 's0'],
  );
});

test('token texts are the source texts, also past many distinct names (the interning table grows)', () => {
  const names: string[] = [];
  for (let i = 0; i < 3000; i++) names.push(`n${i}_${(i * 7919) % 1000}`);
  names.push('x'.repeat(32), 'y'.repeat(33), '1e-3', '12', '12', 'a', 'a');
  const text = names.join(' ');
  const tokens = lex(text).tokens.filter((t) => t.kind !== 'eof');
  assert.deepEqual(
    tokens.map((t) => t.text),
    names,
  );
  for (const t of tokens) assert.equal(t.text, text.slice(t.start, t.end));
});

test('node labels: one per call text, equal across block instantiations and flat in content', () => {
  const a = analyze(generateFile(400));
  let layers = 0;
  const walk = (nodes: readonly { kind: string; label?: string; runs?: { body: { nodes: readonly unknown[] } }[] }[]) => {
    for (const n of nodes) {
      if (n.kind === 'layer') {
        layers++;
        assert.ok(n.label && !n.label.includes('\n'), `label ${n.label}`);
      }
      if (n.runs) for (const r of n.runs) walk(r.body.nodes as never);
    }
  };
  for (const m of a.models) walk(m.graph.nodes as never);
  assert.ok(layers > 100);
  const res = a.models.find((m) => m.name.startsWith('Cnn'));
  assert.ok(res, 'a residual CNN in the generated file');
  const labels = res.graph.nodes.filter((n) => n.kind === 'layer').map((n) => (n as { label: string }).label);
  assert.ok(labels.some((l) => /^conv2d\(\d+, 3, padding = same\)$/.test(l)), labels.join(' | '));
});
