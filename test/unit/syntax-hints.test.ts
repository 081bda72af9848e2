// Characters a beginner types for what this language writes otherwise: an arrow
// typed or pasted (`=>`, `→`, `–>`, `- >`), a share in percent, a power of ten
// with '^', an input's shape after '='. One error each, saying what to write,
// with the fix that writes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { applyFix } from './sourceText';

const errors = (text: string) => analyze(text).diagnostics.filter((d) => d.severity === 'error');
const chain = (line: string) => `model M {\n  input x: [4]\n  output ${line}\n}\n`;

test("arrows written otherwise ('=>', '→', '–>', '—>', '- >'): one error on the arrow, fixed to '->'", () => {
  for (const [line, shown, message] of [
    ['x => dense(16)', '=>', "'=>' is not an arrow here: layers are chained with '->'"],
    ['x \u2192 dense(16)', '\u2192', "unexpected character '\u2192': layers are chained with '->' (a minus and a greater-than)"],
    ['x \u2013> dense(16)', '\u2013>', "unexpected character '\u2013': '\u2013>' is written with a dash; the arrow is a minus and a greater-than, '->'"],
    ['x \u2014> dense(16)', '\u2014>', "unexpected character '\u2014': '\u2014>' is written with a dash; the arrow is a minus and a greater-than, '->'"],
    ['x - > dense(16)', '- >', "unexpected character '>': the arrow is written without a space, '->'"],
  ]) {
    const text = chain(line);
    const [d, ...more] = errors(text);
    assert.equal(more.length, 0, line);
    assert.equal(d.message, message, line);
    assert.equal(text.slice(d.range.start.offset, d.range.end.offset), shown, line);
    assert.equal(d.fixes?.[0].title, "Change to '->'", line);
    const fixed = applyFix(text, d);
    assert.match(fixed, /output x -> dense\(16\)\n/, line);
    assert.deepEqual(errors(fixed), [], line);
  }
  // A '>' after a minus on another line, or after a number, is no arrow.
  assert.match(errors(chain('x -> dense(3 >)'))[0].message, /^unexpected character '>'$/);
});

test("a share in percent (validation: 20%) and a power of ten with '^' (lr = 10^-3): the number written as here", () => {
  const text = 'model M {\n  input x: [28, 28, 1]\n  output x -> flatten -> dense(10) -> softmax\n}\ntrain M {\n  data: digits()\n  validation: 20%\n  optimizer: adam(lr = 10^-3)\n}\n';
  const [share, power, ...more] = errors(text);
  assert.equal(more.length, 0);
  assert.equal(share.message, "unexpected character '%': a share is a fraction, 20% is 0.2");
  assert.equal(text.slice(share.range.start.offset, share.range.end.offset), '20%');
  assert.equal(power.message, "unexpected character '^': a power of ten is written with e, 10^-3 is 1e-3");
  assert.equal(text.slice(power.range.start.offset, power.range.end.offset), '10^-3');
  const fixed = applyFix(applyFix(text, power), share);
  assert.match(fixed, /validation: 0\.2\n {2}optimizer: adam\(lr = 1e-3\)\n/);
  assert.deepEqual(errors(fixed), []);
  assert.equal(errors(chain('x -> dropout(10^2)'))[0].fixes?.[0].title, "Change to '1e2'");
  // Another base has no such fix.
  assert.equal(errors(chain('x -> dense(2^4)'))[0].fixes, undefined);
});

test("input x = [4]: an input's shape follows ':', with the fix", () => {
  const text = 'model M {\n  input x = [4]\n  output x -> dense(3)\n}\n';
  const [d, ...more] = errors(text);
  assert.equal(more.length, 0);
  assert.equal(d.message, "expected the end of the line, found '=': an input's shape follows ':', as in 'input x: [4]'");
  assert.equal(applyFix(text, d), 'model M {\n  input x: [4]\n  output x -> dense(3)\n}\n');
});

test("Python's habits in a train section and a call: 'same' in single quotes, data = digits(), a comma at the end of a line; one error each with the fix", () => {
  const text = "model M {\n  input x: [8, 8, 1]\n  output x -> conv2d(3, 3, padding = 'same') -> flatten -> dense(10) -> softmax\n}\ntrain M {\n  data = digits(size = 8)\n  epochs: 3,\n}\n";
  const [quote, data, comma, ...more] = errors(text);
  assert.equal(more.length, 0, more.map((d) => d.message).join('\n'));
  assert.equal(quote.message, `unexpected character ''' (strings use double quotes: "same")`);
  assert.equal(text.slice(quote.range.start.offset, quote.range.end.offset), "'same'");
  assert.equal(data.message, "expected ':' after 'data', found '='");
  assert.equal(comma.message, "expected the end of the line, found ',': statements and settings end at the line break, with no comma");
  let fixed = text;
  for (const d of [comma, data, quote]) fixed = applyFix(fixed, d);
  assert.equal(fixed, 'model M {\n  input x: [8, 8, 1]\n  output x -> conv2d(3, 3, padding = "same") -> flatten -> dense(10) -> softmax\n}\ntrain M {\n  data: digits(size = 8)\n  epochs: 3\n}\n');
  assert.deepEqual(errors(fixed), []);
  // A quote left open on its line keeps the plain message.
  assert.equal(errors(chain("x -> dense(3, activation = 'relu)"))[0].fixes, undefined);
});

test("a Windows path's unknown escape (csv(\"data\\fruit.csv\")) says to separate folders with /", () => {
  const [d] = errors('model M {\n  input x: [4]\n  output x -> dense(3) -> softmax\n}\ntrain M {\n  data: csv("data\\fruit.csv", label = "y")\n}\n');
  assert.equal(d.code, 'syntax.bad_escape');
  assert.match(d.message, /^unknown escape '\\f' in string: .*\(in a path, separate folders with \/, which works on Windows too\)$/);
});

test("another language's declaration (class Net {, def res(n) {), a /* */ comment, one ')' too many: each said, with the fix", () => {
  const cls = 'class Net {\n  input x: [4]\n  output x -> dense(3)\n}\n';
  const [c, ...more] = analyze(cls).diagnostics;
  assert.equal(more.length, 0);
  assert.equal(c.message, "expected 'model', 'block', 'train' or 'import', found 'class': to declare a model here, write 'model Net'");
  assert.equal(applyFix(cls, c), 'model Net {\n  input x: [4]\n  output x -> dense(3)\n}\n');
  // The declaration is read: a mistake inside it is reported too.
  assert.deepEqual(errors(cls.replace('dense(3)', 'dens(3)')).map((d) => d.code), ['syntax.expected', 'name.unknown_layer']);
  const def = 'def res(n) {\n  input x\n  output x -> dense(n)\n}\nmodel M {\n  input x: [4]\n  output x -> res(3)\n}\n';
  const [d] = errors(def);
  assert.match(d.message, /found 'def': to declare a block here, write 'block res'$/);
  assert.deepEqual(analyze(applyFix(def, d)).diagnostics, []);
  const comment = '/* LeNet, 1998 */\nmodel M {\n  input x: [4]\n  output x -> dense(3)\n}\n';
  const [k, ...others] = analyze(comment).diagnostics;
  assert.equal(others.length, 0);
  assert.match(k.message, /found '\/\*': comments start with # \(or \/\/\) and run to the end of the line/);
  assert.equal(applyFix(comment, k).split('\n')[0], '# LeNet, 1998');
  assert.deepEqual(analyze(applyFix(comment, k)).diagnostics, []);
  const extra = chain('x -> dense(3))');
  const [e] = errors(extra);
  assert.equal(e.message, "expected the end of the line, found ')', which closes no '(': one ')' too many");
  assert.deepEqual(errors(applyFix(extra, e)), []);
});
