/**
 * The options of a train section's calls (`adam(lr = ...)`, `digits(samples = ...)`):
 * a value is never silently overwritten by another (an option given twice, by name and
 * then by position, or a decimal comma that reads as two values), and values out of
 * their range are errors on the value.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { applyFix, rangeOf } from './sourceText';

const MODEL = `model M {
  input x: [28, 28, 1]
  output x -> flatten -> dense(10) -> softmax
}
`;

const section = (lines: string) => `${MODEL}train M {\n${lines}\n}\n`;

/** The problems of `text`: code, message and the text they sit on. */
function problems(text: string) {
  return analyze(text).diagnostics.map((d) => ({ d, code: d.code, message: d.message, at: text.slice(d.range.start.offset, d.range.end.offset) }));
}

test('a decimal comma in an option is one error on both values, with a fix to the decimal point', () => {
  for (const [written, option, fixed] of [
    ['adam(lr = 0,001)', 'lr', '0.001'],
    ['adam(0,001)', 'lr', '0.001'],
    ['sgd(0.1, 0,9)', 'momentum', '0.9'],
  ] as const) {
    const text = section(`  data: digits()\n  optimizer: ${written}`);
    const ps = problems(text);
    assert.equal(ps.length, 1, `${written}: ${ps.map((p) => p.message).join(' | ')}`);
    const [p] = ps;
    assert.equal(p.code, 'train.bad_option');
    assert.equal(p.at, fixed.replace('.', ','));
    assert.match(p.message, new RegExp(`'${option}' is written ${fixed.replace('.', ',')}, which reads as two values.*a point: ${fixed.replace('.', '\\.')}\\.$`));
    assert.deepEqual(p.d.range, rangeOf(text, fixed.replace('.', ',')));
    const after = applyFix(text, p.d);
    assert.ok(after.includes(written.replace(fixed.replace('.', ','), fixed)));
    assert.deepEqual(problems(after), []);
  }
  // The value is not taken: lr is not 1 (nor 0).
  assert.equal(analyze(section('  data: digits()\n  optimizer: adam(lr = 0,001)')).trains[0].config.optimizer.lr, 1e-3);
});

test('two whole numbers separated by a comma alone stay two options when both are valid', () => {
  const text = section('  data: digits(1000,28)');
  assert.deepEqual(problems(text), []);
  assert.deepEqual(analyze(text).trains[0].config.data?.options, { samples: 1000, size: 28, seed: 1 });
});

test('a value by position after the option was named is an error on it, not an overwrite', () => {
  for (const [written, value, option, order] of [
    ['optimizer: adam(lr = 0.001, 0.9)', '0.9', 'lr', 'lr, beta1'],
    ['data: digits(samples = 1000, 28)', '28', 'samples', 'samples, size, seed'],
  ] as const) {
    const text = section(written.startsWith('data') ? `  ${written}` : `  data: digits()\n  ${written}`);
    const ps = problems(text);
    assert.equal(ps.length, 1, ps.map((p) => p.message).join(' | '));
    assert.equal(ps[0].code, 'train.bad_option');
    assert.equal(ps[0].at, value);
    assert.match(ps[0].message, new RegExp(`'${option}' is given twice: by name, and by this value's position \\(values without a name fill the options in order: ${order}\\)\\. Put the values without a name first, or name this one\\.$`));
  }
});

test('an option named twice is an error on the second', () => {
  const text = section('  data: digits()\n  optimizer: adam(lr = 0.1, lr = 0.2)');
  const ps = problems(text);
  assert.deepEqual(
    ps.map((p) => [p.code, p.at, p.message]),
    [['train.bad_option', 'lr = 0.2', "optimizer adam's 'lr' is given twice; keep one."]],
  );
});

test('values by position before named ones fill the options in order', () => {
  const text = section('  data: digits(2000, seed = 3)\n  optimizer: sgd(0.05, momentum = 0.9)');
  assert.deepEqual(problems(text), []);
  const { config } = analyze(text).trains[0];
  assert.deepEqual(config.data?.options, { samples: 2000, size: 28, seed: 3 });
  assert.equal(config.optimizer.lr, 0.05);
  assert.equal(config.optimizer.momentum, 0.9);
});

test('a learning rate of 0 (or below) is an error on it: it must be above 0', () => {
  for (const [optimizer, value, example] of [
    ['adam(lr = 0)', '0', '0.001'],
    ['sgd(lr = 0, momentum = 0.9)', '0', '0.01'],
    ['rmsprop(-0.1)', '-0.1', '0.001'],
  ] as const) {
    const ps = problems(section(`  data: digits()\n  optimizer: ${optimizer}`));
    assert.equal(ps.length, 1, `${optimizer}: ${ps.map((p) => p.message).join(' | ')}`);
    assert.equal(ps[0].code, 'train.bad_option');
    assert.equal(ps[0].at, value);
    assert.match(ps[0].message, new RegExp(`'lr' is a number above 0 and at most 10, e\\.g\\. ${example.replace('.', '\\.')}\\.$`));
  }
  // Small rates are fine; the other options keep their inclusive bounds.
  assert.deepEqual(problems(section('  data: digits()\n  optimizer: sgd(lr = 1e-6, momentum = 0)')), []);
  assert.deepEqual(problems(section('  data: digits()\n  optimizer: adam(lr = 1e-4, beta1 = 0)')), []);
});
