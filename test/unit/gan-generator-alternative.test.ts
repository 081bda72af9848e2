// `train.adversarial_shape` offers "or make the generator give [the discriminator's size]" only where that is a way
// out: no data fixes the generator's size, and its valid transposed convolutions overshoot the discriminator's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';

/** A generator of 13 × 13 × 8 up-convolved once with padding = valid (13·2 + 2 = 28), against a discriminator of `dIn`. */
function gan(dIn: number, data: string): string {
  return [
    'model G {',
    '  input z: [16]',
    '  x = z -> dense(13 * 13 * 8) -> reshape([13, 13, 8])',
    '  output x -> conv2d_transpose(1, 4, stride = 2, activation = tanh)',
    '}',
    'model D {',
    `  input image: [${dIn}, ${dIn}, 1]`,
    '  output image -> conv2d(8, 4, stride = 2, padding = same) -> leaky_relu -> flatten -> dense(1)',
    '}',
    'train G {',
    `  data: ${data}`,
    '  loss: adversarial(D)',
    '}',
    '',
  ].join('\n');
}

function shapeError(text: string): string {
  const all = analyze(text).diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(all.map((d) => d.code), ['train.adversarial_shape'], all.map((d) => d.message).join('\n'));
  return all[0].message;
}

test('data written at the generator\'s size: only the discriminator is to change, not the generator the data agrees with', () => {
  const m = shapeError(gan(32, 'digits(samples = 64, size = 28)'));
  assert.match(m, /so declare input image: \[28, 28, 1\]\.$/);
  assert.doesNotMatch(m, /make the generator give/);
});

test('a generator short of the discriminator\'s size: padding = same would shrink it further, so no transposed-convolution advice', () => {
  // digits without a size renders them at the generator's 28: the data fixes nothing, but 28 < 32.
  const m = shapeError(gan(32, 'digits(samples = 64)'));
  assert.match(m, /so declare input image: \[28, 28, 1\]\.$/);
  assert.doesNotMatch(m, /make the generator give|padding = same/);
});

test('a generator overshooting the discriminator, no size written for the data: both ways out are said', () => {
  // 28 against 26: the valid up-convolution's extra 2 rows are what padding = same takes away.
  const m = shapeError(gan(26, 'digits(samples = 64)'));
  assert.match(m, /so declare input image: \[28, 28, 1\], or make the generator give \[26, 26, 1\]: with padding = valid, conv2d_transpose\(1, 4, stride = 2, activation = tanh\) adds max\(kernel − stride, 0\) to the size/);
});
