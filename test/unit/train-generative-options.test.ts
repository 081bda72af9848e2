/**
 * A wrong option of a generative loss is one error on that option: the
 * section is still read as that objective, never checked as a classifier's
 * (which gave unrelated errors about the inputs or the data's shape).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';

const DENOISER = `model Denoiser {
  input t: int[1]
  input noisy: [8, 8, 1]
  temb = t -> sinusoidal(16) -> dense(16) -> reshape([1, 1, 16])
  h = noisy -> conv2d(16, 3, padding = same) + temb
  output h -> conv2d(1, 3, padding = same)
}
`;

const GAN = `model Generator {
  input z: [16]
  output z -> dense(64) -> sigmoid -> reshape([8, 8, 1])
}
model Discriminator {
  input image: [8, 8, 1]
  output image -> flatten -> dense(1) -> sigmoid
}
`;

function problems(text: string): { code: string; message: string; text: string }[] {
  const lines = text.split('\n');
  return analyze(text)
    .diagnostics.filter((d) => d.severity === 'error')
    .map((d) => ({ code: d.code, message: d.message, text: lines[d.range.start.line].slice(d.range.start.character, d.range.end.character) }));
}

const section = (model: string, loss: string) => `train ${model} {\n  data: digits(samples = 64, size = 8)\n  loss: ${loss}\n}\n`;

test('a wrong denoise option is one error on it, and the fit is still a denoiser’s', () => {
  assert.deepEqual(problems(DENOISER + section('Denoiser', 'denoise(steps = 100)')), []);
  for (const [loss, at] of [
    ['denoise(steps = 1)', '1'],
    ['denoise(steps = 10, sample_steps = 20)', '20'],
    ['denoise(shedule = cosine)', 'shedule'],
  ]) {
    const got = problems(DENOISER + section('Denoiser', loss));
    assert.deepEqual(got.map((p) => [p.code, p.text]), [['train.bad_option', at]], `${loss}: ${JSON.stringify(got)}`);
  }
  // The denoiser's own fit is still checked: a one-input model is told what a denoiser needs.
  const one = `model One {\n  input noisy: [8, 8, 1]\n  output noisy -> conv2d(1, 3, padding = same)\n}\n`;
  const got = problems(one + section('One', 'denoise(steps = 1)'));
  assert.deepEqual(got.map((p) => p.code).sort(), ['train.bad_option', 'train.denoise_inputs']);
});

test('a wrong adversarial option is one error on it, not a classifier’s shape error', () => {
  assert.deepEqual(problems(GAN + section('Generator', 'adversarial(Discriminator)')), []);
  for (const [loss, at] of [
    ['adversarial(Discriminator, samples = 99)', '99'],
    ['adversarial', 'adversarial'],
    ['adversarial(3)', '3'],
  ]) {
    const got = problems(GAN + section('Generator', loss));
    assert.deepEqual(got.map((p) => [p.code, p.text]), [['train.bad_option', at]], `${loss}: ${JSON.stringify(got)}`);
  }
});
