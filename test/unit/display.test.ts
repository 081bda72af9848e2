import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displaySym, formatCompact, formatCount, superscript } from '../../extension/core/analysis/display';
import { Sym } from '../../extension/core/analysis/sym';
import { formatBytes } from '../../extension/core/analysis/summary';
import { parseSym } from '../../extension/core/protocol';
import { symText } from '../../webview/views/graphModel';

const seq = Sym.atom('seq');
const d = Sym.atom('d');

test('constants: grouped by thousands, negatives with a minus, abbreviated only when compact', () => {
  assert.equal(displaySym(0), '0');
  assert.equal(displaySym(Sym.ZERO), '0');
  assert.equal(displaySym(7), '7');
  assert.equal(displaySym(Sym.of(61706)), '61,706');
  assert.equal(displaySym(124439808), '124,439,808');
  assert.equal(displaySym(-3), '-3');
  assert.equal(displaySym(Sym.of(-1234567)), '-1,234,567');
  assert.equal(formatCount(1024), '1,024');
  assert.equal(formatCompact(1024), '1,024');
  assert.equal(formatCompact(9999), '9,999');
  assert.equal(formatCompact(10000), '10.0K');
  assert.equal(formatCompact(415680), '415.7K');
  assert.equal(formatCompact(124439808), '124.4M');
  assert.equal(formatCompact(3.2e9), '3.2G');
  assert.equal(formatCompact(2e12), '2.0T');
  assert.equal(formatCompact(-415680), '-415.7K');
  // The unit is chosen after rounding.
  assert.equal(formatCompact(999_999), '1.0M');
  assert.equal(formatCompact(999_949), '999.9K');
  assert.equal(formatCompact(999_960_000), '1.0G');
  assert.equal(displaySym(seq.mul(Sym.of(999_999)), { compact: true }), '1.0M·seq');
});

test('symbols: powers as superscripts, products with a middle dot, a coefficient of 1 left out', () => {
  assert.equal(displaySym(seq), 'seq');
  assert.equal(displaySym(seq.mul(512)), '512·seq');
  assert.equal(displaySym(seq.mul(seq).mul(1024).add(seq.mul(794624))), '1,024·seq² + 794,624·seq');
  assert.equal(displaySym(seq.mul(seq).mul(d).mul(2)), '2·d·seq²');
  assert.equal(displaySym(seq.mul(seq).mul(seq)), 'seq³');
  let p = Sym.ONE;
  for (let i = 0; i < 12; i++) p = p.mul(seq);
  assert.equal(displaySym(p), 'seq¹²');
  assert.equal(superscript(105), '¹⁰⁵');
  // The constant last, as toString orders the terms.
  assert.equal(displaySym(seq.mul(2260992).add(12955648)), '2,260,992·seq + 12,955,648');
  assert.equal(displaySym(seq.add(1)), 'seq + 1');
});

test('negative terms: a leading minus, then subtraction', () => {
  assert.equal(displaySym(seq.sub(2)), 'seq - 2');
  assert.equal(displaySym(seq.neg()), '-seq');
  assert.equal(displaySym(seq.mul(-3000).add(5)), '-3,000·seq + 5');
  assert.equal(displaySym(seq.mul(seq).sub(seq.mul(1500))), 'seq² - 1,500·seq');
});

test('compact: every coefficient abbreviated alike, small ones kept whole', () => {
  const macs = seq.mul(seq).mul(1024).add(seq.mul(794624));
  assert.equal(formatCompact(macs), '1,024·seq² + 794.6K·seq');
  assert.equal(formatCompact(seq.mul(seq).mul(18432).add(seq.mul(85_000_000))), '18.4K·seq² + 85.0M·seq');
  assert.equal(formatCompact(seq.mul(3).sub(20000)), '3·seq - 20.0K');
});

test('opaque atoms (a floor of a formula) read in the same notation, every digit kept', () => {
  const floor = seq.mul(seq).mul(2).sub(3).floorDiv(4);
  assert.equal(floor.toString(), '⌊(2*seq^2 - 3)/4⌋');
  assert.equal(displaySym(floor), '⌊(2·seq² - 3)/4⌋');
  const big = seq.sub(12345).floorDiv(2).mul(20000);
  assert.equal(displaySym(big), '20,000·⌊(seq - 12,345)/2⌋');
  assert.equal(formatCompact(big), '20.0K·⌊(seq - 12,345)/2⌋');
  // A name with digits is a name.
  assert.equal(displaySym(Sym.atom('d1024').mul(2)), '2·d1024');
});

test('toString and JSON keep the plain ASCII form', () => {
  const macs = seq.mul(seq).mul(1024).add(seq.mul(794624));
  assert.equal(macs.toString(), '1024*seq^2 + 794624*seq');
  assert.equal(macs.toJSON(), '1024*seq^2 + 794624*seq');
  assert.equal(Sym.of(61706).toJSON(), 61706);
});

test('bytes and the inspector: the same display', () => {
  assert.equal(formatBytes(seq.mul(512)), '512·seq B');
  assert.equal(formatBytes(seq.mul(35328)), '35,328·seq B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(512), '512 B');
  // The webview receives the JSON form and shows the display form.
  assert.equal(symText('1024*seq^2 + 794624*seq'), '1,024·seq² + 794,624·seq');
  assert.equal(symText(61706), '61,706');
  const floor = seq.sub(3).floorDiv(2).mul(4096);
  assert.equal(symText(floor.toJSON()), displaySym(parseSym(floor.toJSON())));
  assert.equal(symText(floor.toJSON()), '4,096·⌊(seq - 3)/2⌋');
});
