/**
 * The pure side of the inspector's Forecast tab (no DOM, no tensors; unit
 * tested in Node): when the tab is offered, the chart's columns and the
 * tab's texts. forecast.ts draws; core/runtime/forecast.ts computes.
 */
import type { BuiltinDataSource } from '../../extension/core/protocol';
import { wavesOptions } from '../../extension/core/runtime/forecast';

/** Steps the slider offers, and where it starts (as `nnmodel forecast`'s default). */
export const STEPS = { min: 1, max: 256, initial: 64 } as const;

/** Whether a model's train section makes it a forecaster: its data is the built-in `waves` (next value at every step). */
export function forecastOffered(sample: BuiltinDataSource | undefined): sample is BuiltinDataSource & { kind: 'waves' } {
  return sample?.kind === 'waves';
}

/**
 * One example's shape of the train section's data when it is `waves`
 * (`[length, 1]`): the session builds a `[seq, 1]` model whose parameter
 * count depends on `seq` at that length (not at the sample size), so that
 * it takes the forecast's windows and the weights a run trains.
 */
export function wavesExampleShape(sample: BuiltinDataSource | undefined): number[] | undefined {
  return forecastOffered(sample) ? [wavesOptions(sample.options).length, 1] : undefined;
}

export { windowProblem } from '../../extension/core/runtime/forecast';

/**
 * The chart's aligned columns: t (0 at the seed's first value), the seed,
 * then the truth and the forecast, both starting from the seed's last
 * value so that each line leaves the seed where the forecast starts;
 * null where a series has no value.
 */
export function chartColumns(f: { seed: ArrayLike<number>; truth: ArrayLike<number>; forecast: ArrayLike<number> }): (number | null)[][] {
  const L = f.seed.length;
  const n = L + f.truth.length;
  const x = Array.from({ length: n }, (_, t) => t);
  const seed = x.map((t) => (t < L ? f.seed[t] : null));
  const after = (values: ArrayLike<number>) => x.map((t) => (t === L - 1 ? f.seed[L - 1] : t >= L && t - L < values.length ? values[t - L] : null));
  return [x, seed, after(f.truth), after(f.forecast)];
}

/**
 * The chart's width in a panel `panelWidth` pixels wide: the panel less a
 * margin, at least 240 and at most 900; undefined while the panel is hidden
 * (0 wide), so a hidden tab keeps its chart's width.
 */
export function chartWidth(panelWidth: number): number | undefined {
  if (!(panelWidth > 0)) return undefined;
  return Math.round(Math.max(240, Math.min(900, panelWidth - 16)));
}

/** Which example is shown: "Example 183 · 1 of 200 held out (not trained on)". */
export function exampleText(index: number, position: number, count: number, heldOut: boolean): string {
  return `Example ${index} · ${position + 1} of ${count}${heldOut ? ' held out (not trained on)' : ''}`;
}

/** What the forecast is, under the chart. */
export function explainText(seedLength: number, window: number, steps: number): string {
  const fed = window < seedLength ? `the last ${window} values at a time` : `${seedLength} values`;
  return `Fed ${fed}, the model predicts the next value; each prediction is appended and fed back to predict the one after, ${steps} ${steps === 1 ? 'time' : 'times'}. Its errors compound: the one-step figure (fed the true values, as in training) shows what it does without its own errors.`;
}
