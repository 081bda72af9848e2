/**
 * Whether a model's output can be trained on the labels its data gives: the
 * one rule the analysis (train.ts `checkFit`, before training) and
 * `nnmodel train` (runtime/train.ts `checkDataFits`, on the data read) apply,
 * so the editor reports what training would refuse.
 */
import type { TrainConfig } from './types';

/**
 * Whether an output of `out` (one example's sizes; null or undefined: not
 * known) fits labels of `target` (one example's label shape: `[]` a class or
 * a value per example; `[T]` a class at each of T positions; `[T, 1]` a
 * value at each) under `loss`. crossentropy takes one class per position, so
 * the output has one axis more than the labels (its last: the classes);
 * the other losses compare values, as many as the labels have (an output
 * with an unknown size and the labels' rank is left to training).
 */
export function outputFitsLabels(out: readonly (number | null | undefined)[], target: readonly number[], loss: TrainConfig['loss']): boolean {
  if (loss === 'crossentropy') return out.length - 1 === target.length;
  const count = (s: readonly (number | null | undefined)[]) => s.reduce<number>((p, d) => p * (d ?? 1), 1);
  return count(out) === count(target) || (out.some((d) => d === null || d === undefined) && out.length === target.length);
}

/**
 * Why an output of rank above 1 does not fit one label per example, and what
 * to do: "…outputs [15, 15, 3]: a prediction at each of 15×15 positions…".
 * `head`: the layer the fix goes before (`dense(3)`), when there is one;
 * `classes`: the data's number of classes, when known.
 */
export function keepsPositionsMessage(
  source: string,
  labels: 'class' | 'label',
  model: string,
  out: readonly (number | null | undefined)[],
  head?: string,
  classes?: number,
): string {
  const shape = `[${out.map((d) => d ?? '?').join(', ')}]`;
  const positions = out.slice(0, -1).map((d) => d ?? '?').join('×');
  const keeps = head
    ? `: a prediction at each of ${positions} positions, because ${head} works on the last axis only and keeps the axes before it`
    : `: a prediction at each of ${positions} positions`;
  const what = head
    ? `Insert '-> flatten' before ${head} (or '-> global_avgpool', the mean of each channel over the positions), so that it sees the whole example at once.`
    : `End the model with one prediction per example: '-> flatten -> dense(${classes ?? 'classes'})' (or '-> global_avgpool -> dense(${classes ?? 'classes'})').`;
  return `${source} gives one ${labels} per example, but '${model}' outputs ${shape}${keeps}. ${what}`;
}
