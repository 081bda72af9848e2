// bench:e2e's verdict on nnmodel vs JSON latencies (bench/compare.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { median, quantile, ratioInterval, verdict } from '../../bench/compare';

test('quantile and median interpolate between observed values', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(quantile([10, 20, 30, 40, 50], 0.25), 20);
  assert.ok(Number.isNaN(median([])));
});

test('ratioInterval: a clear gap is called slower or faster; overlapping samples are not', () => {
  const json = [40, 42, 44, 45, 47, 48, 50, 52, 55, 60];
  const slow = json.map((x) => x + 30);
  const [lo, hi] = ratioInterval(slow, json);
  assert.ok(lo > 1 && lo <= hi, `${lo}–${hi}`);
  assert.equal(verdict([lo, hi]), 'slower');
  assert.equal(verdict(ratioInterval(json, slow)), 'faster');
  // The same spread shifted by less than its noise: the interval must contain 1.
  const close = json.map((x, i) => x + (i % 2 === 0 ? 3 : -2));
  const [clo, chi] = ratioInterval(close, json);
  assert.ok(clo <= 1 && chi >= 1, `${clo}–${chi}`);
  assert.equal(verdict([clo, chi]), 'no difference shown');
});

test('ratioInterval: contains the ratio of the medians and is reproducible', () => {
  const a = [61, 70, 75, 80, 82, 90, 95, 120, 150, 200];
  const b = [38, 40, 41, 45, 47, 49, 52, 60, 75, 110];
  const r = median(a) / median(b);
  const [lo, hi] = ratioInterval(a, b);
  assert.ok(lo <= r && r <= hi, `${lo} ≤ ${r} ≤ ${hi}`);
  assert.deepEqual(ratioInterval(a, b), [lo, hi]);
  assert.throws(() => ratioInterval([], b), /non-empty/);
});
