import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import type { ModelInfo } from '../../extension/core/analysis/types';
import { modelLensTitle, modelLensTooltip, modelStatusText, modelStatusTooltip, summaryMarkdown } from '../../extension/vscode/pure/text';
import { LENET5, GPT2_SMALL } from '../fixtures/contract';

function only(src: string): ModelInfo {
  const a = analyze(src);
  assert.equal(a.models.length, 1);
  return a.models[0];
}

test('a model with errors: lens and status bar say the totals are incomplete, and the tooltips say why', () => {
  const broken = LENET5.replace('dense(10)', 'dnse(10)');
  assert.notEqual(broken, LENET5);
  const m = only(broken);
  assert.equal(m.hasErrors, true);
  // A syntax error the parser recovered from by a guess (`dense(10 -> softmax` read as `dense(10) -> softmax`)
  // leaves nothing out, but its totals are marked all the same.
  const unclosed = only(LENET5.replace('dense(10)', 'dense(10'));
  assert.equal(unclosed.hasErrors, true);
  assert.equal(modelLensTitle(unclosed), '⚠ incomplete: 61.7K params · 416.5K MACs');
  assert.equal(modelLensTitle(m), '⚠ incomplete: 60.9K params · 415.7K MACs');
  assert.equal(modelStatusText(m), 'LeNet5 · incomplete: 60.9K params · 415.7K MACs');
  assert.match(modelLensTooltip(m), /has errors, so these totals count only the layers that could be analysed/);
  assert.match(modelStatusTooltip(m), /\$\(warning\) The model has errors/);
  assert.match(modelStatusTooltip(m), /Parameters: 60,856/);
});

test('a model without errors: plain totals, no warning', () => {
  const m = only(LENET5);
  assert.equal(m.hasErrors, false);
  assert.equal(modelLensTitle(m), '61.7K params · 416.5K MACs');
  assert.equal(modelStatusText(m), 'LeNet5 · 61.7K params · 416.5K MACs');
  assert.doesNotMatch(modelLensTooltip(m), /errors/);
  assert.doesNotMatch(modelStatusTooltip(m), /errors|warning/);
  assert.match(modelStatusTooltip(m), /MACs: 416,520 \(416\.5K\)/);
});

test('an unknown layer in the middle: still marked incomplete', () => {
  const m = only(LENET5.replace('avgpool(2)', 'avgpoool(2)'));
  assert.equal(m.hasErrors, true);
  assert.ok(modelLensTitle(m).startsWith('⚠ incomplete: '), modelLensTitle(m));
  assert.ok(modelStatusText(m).startsWith('LeNet5 · incomplete: '), modelStatusText(m));
});

test('symbolic totals read as formulas with superscripts and separators in lens, status bar and summary', () => {
  const m = only(GPT2_SMALL);
  const lens = modelLensTitle(m);
  assert.doesNotMatch(lens, /[*^]/, lens);
  assert.match(lens, /^124\.4M params · 1[\d.]+K·seq² \+ [\d.]+M·seq MACs$/, lens);
  assert.match(modelStatusText(m), /^GPT2Small · 124\.4M params · [\d.]+K·seq² \+ [\d.]+M·seq MACs$/);
  assert.match(modelStatusTooltip(m), /MACs: [\d,]+·seq² \+ [\d,]+·seq\s/);
  const md = summaryMarkdown(m, 32);
  assert.doesNotMatch(md, /\d\*seq|seq\^/, 'no ASCII formula left in the summary');
  assert.match(md, /Activations for one example: [\d,]+·seq² \+ [\d,]+·seq B/);
});
