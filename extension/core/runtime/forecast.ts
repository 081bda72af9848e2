/**
 * Autoregressive forecasting with a sequence-regression model (trained on
 * `waves`: at every step it predicts the next value), as the course notes
 * teach it: start from a seed window, predict the next value, append it to
 * the window, predict again from the window that now ends in the
 * prediction, and so on for N steps. The model only ever saw true values
 * during training (teacher forcing); fed its own predictions, its errors
 * compound, which is what a forecast shows and the one-step loss hides.
 *
 * Pure with respect to the host: the rollout itself (`rollout`) takes the
 * model as a function of a window, so it is tested against hand-computed
 * models; `modelNextValue` wraps a tfjs model (passed in, as everywhere in
 * the runtime), so the CLI and the inspector run the same code.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { ModelInfo } from '../analysis/types';
import { shapeToString } from '../analysis/sym';
import type { Tf } from '../layers/types';
import { waveSeries } from './data/synthetic';
import { validationSplit } from './train';

/** How a model that fits forecasting is read (`forecastFit`). */
export interface ForecastFit {
  /** The input's length when it is a number (`[128, 1]`): every window fed is exactly this long. Absent for `[seq, 1]`. */
  window?: number;
  /**
   * `sequence`: an output `[seq, 1]`, one prediction per time step (the
   * value after it, as `waves` trains it); the forecast reads the last
   * step's. `last`: an output `[1]`, one value for the whole window (a
   * regressor head after pooling): the next value.
   */
  output: 'sequence' | 'last';
}

/**
 * Whether `info` can forecast a series: one input `[seq, 1]` (or `[n, 1]`)
 * of numbers and one output `[seq, 1]` (the same length: a prediction per
 * step) or `[1]`. Otherwise a message that says what does not fit and what
 * would, for the CLI and the inspector to show as is.
 */
export function forecastFit(info: ModelInfo): ForecastFit | { error: string } {
  const name = `'${info.name}'`;
  const want = 'a forecast feeds a series of numbers, one value per time step, to an input [seq, 1] and reads the predicted next value from an output [seq, 1] (or [1])';
  if (info.hasErrors) return { error: `${name} has errors; fix them first.` };
  if (info.inputs.length !== 1) return { error: `${name} has ${info.inputs.length} inputs; ${want}, one input.` };
  const input = info.inputs[0];
  const inShape = shapeToString(input.shape);
  if (input.shape.isInt) {
    return { error: `${name} reads token ids (its input '${input.name}' is ${inShape}), not the values of a series; ${want}. A language model generates text instead (nnmodel generate, Generate Text).` };
  }
  const dims = input.shape.dims;
  if (dims.length !== 2 || dims[1].value !== 1) return { error: `the input '${input.name}' of ${name} is ${inShape}; ${want}.` };
  const length = dims[0].value;
  if (length !== undefined && length < 1) return { error: `the input '${input.name}' of ${name} is ${inShape}: no time step to feed.` };
  if (info.outputs.length !== 1) return { error: `${name} has ${info.outputs.length} outputs; ${want}, one output.` };
  const out = info.outputs[0].shape;
  const outShape = shapeToString(out);
  const window = length === undefined ? {} : { window: length };
  if (!out.isInt && out.dims.length === 2 && out.dims[1].value === 1 && out.dims[0].toString() === dims[0].toString()) return { ...window, output: 'sequence' };
  if (!out.isInt && out.dims.length === 1 && out.dims[0].value === 1) return { ...window, output: 'last' };
  const classes = !out.isInt && out.dims.length >= 1 && (out.dims[out.dims.length - 1].value ?? 0) > 1;
  return {
    error:
      `the output of ${name} is ${outShape}; ${want}` +
      (classes ? `: ${out.dims[out.dims.length - 1].toString()} values per step are scores of classes, not the next value (a classifier of series has nothing to feed back).` : '.') +
      ` Train it on data: waves(...) with an output of one value per step, e.g. ... -> conv1d(1, 1) or -> dense(1).`,
  };
}

/** The model as a function of a window of values (oldest first): its prediction of the value after the window. */
export type NextValue = (window: Float32Array) => number | Promise<number>;

export interface RolloutOptions {
  /** Most values fed at once (the model's training length, or its fixed input length): the window slides over the series. */
  window: number;
  /** Read before each step: true stops the rollout (the values so far are returned). */
  cancelled?: () => boolean;
  /** Called with each new value (step 0 is the first after the seed). */
  onStep?(step: number, value: number): void | Promise<void>;
}

/**
 * Rolls `steps` values out after `seed`: each step feeds the last
 * `window` values of the series so far (the seed, then the seed and the
 * values predicted before; all of it while shorter than the window) and
 * appends the prediction. Returns only the new values.
 */
export async function rollout(next: NextValue, seed: ArrayLike<number>, steps: number, o: RolloutOptions): Promise<Float32Array> {
  if (seed.length === 0) throw new RangeError('a forecast needs at least one seed value');
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`the steps to forecast must be a whole number of 0 or more, got ${steps}`);
  if (!Number.isInteger(o.window) || o.window < 1) throw new RangeError(`the window must be a whole number of 1 or more, got ${o.window}`);
  const series = new Float32Array(seed.length + steps);
  for (let i = 0; i < seed.length; i++) series[i] = seed[i];
  let end = seed.length;
  for (let k = 0; k < steps; k++) {
    if (o.cancelled?.()) break;
    const value = await next(series.slice(Math.max(0, end - o.window), end));
    if (!Number.isFinite(value)) throw new Error(`the model predicted ${value} at step ${k + 1} of the forecast`);
    series[end++] = value;
    await o.onStep?.(k, value);
  }
  return series.slice(seed.length, end);
}

/** How `oneStepAhead` may be stopped and followed, as the rollout. */
export interface OneStepOptions {
  /** Read before each step: true stops (the predictions so far are returned). */
  cancelled?: () => boolean;
  /** Called with each prediction (step 0 predicts `series[start]`). */
  onStep?(step: number, value: number): void | Promise<void>;
}

/**
 * One step ahead at every step, fed the truth: the prediction of
 * `series[start + k]` from the `window` true values before it, for k in
 * 0 … steps − 1 (fewer when cancelled). What the training loss measures;
 * beside the rollout it shows how much of the forecast's error is its own
 * errors fed back.
 */
export async function oneStepAhead(next: NextValue, series: ArrayLike<number>, start: number, steps: number, window: number, o: OneStepOptions = {}): Promise<Float32Array> {
  if (start < 1 || start + steps > series.length) throw new RangeError(`one step ahead needs values before ${start} and up to ${start + steps - 1}; the series has ${series.length}`);
  const all = Float32Array.from(series as ArrayLike<number>);
  const out = new Float32Array(steps);
  let k = 0;
  for (; k < steps; k++) {
    if (o.cancelled?.()) break;
    const end = start + k;
    out[k] = await next(all.slice(Math.max(0, end - window), end));
    await o.onStep?.(k, out[k]);
  }
  return k < steps ? out.slice(0, k) : out;
}

/**
 * `fit` for the model as built: a `[seq, 1]` input that the build fixed (a
 * model whose parameter count depends on `seq`, such as `flatten ->
 * dense`, is built at one length: its training data's) reads windows of
 * exactly that length, as a `[128, 1]` input does.
 */
export function builtFit(fit: ForecastFit, model: tfTypes.LayersModel): ForecastFit {
  if (fit.window !== undefined) return fit;
  const length = model.inputs[0]?.shape[1];
  return typeof length === 'number' ? { ...fit, window: length } : fit;
}

/**
 * Why a forecast cannot feed `name` the examples of `waves(length =
 * length)`, or undefined when it can: the model reads windows longer than
 * they are. `read` is the fit its source gives (`forecastFit`: a fixed
 * `[n, 1]` input), `built` the fit as built (`builtFit`: a `[seq, 1]` model
 * whose parameter count depends on `seq` is built at its trained length,
 * `trainedDims`). The message says which length to set; the CLI and the
 * inspector show it as is.
 */
export function windowProblem(name: string, read: ForecastFit, built: ForecastFit, length: number): string | undefined {
  const w = built.window;
  if (w === undefined || w <= length) return undefined;
  if (read.window !== undefined) return `${name} reads ${w} values at a time, but waves(length = ${length}) gives it ${length}: set length = ${w} or more in its train section.`;
  return (
    `${name} reads ${w} values at a time (its parameter count depends on seq, and its trained weights are for seq = ${w}), but waves(length = ${length}) gives it ${length}: ` +
    `set length = ${w} in its train section, or train it again at length ${length}.`
  );
}

/**
 * A tfjs model that `forecastFit` accepts, as a `NextValue`: the window as
 * a batch of one `[1, length, 1]`, the prediction read at the last step
 * (`sequence`) or as the one output (`last`). A model with a fixed input
 * length takes windows of exactly that length.
 */
export function modelNextValue(tf: Tf, model: tfTypes.LayersModel, fit: ForecastFit): NextValue {
  return async (window) => {
    if (fit.window !== undefined && window.length !== fit.window) {
      throw new RangeError(`the model reads exactly ${fit.window} values at a time, got a window of ${window.length}`);
    }
    const y = tf.tidy(() => {
      const out = model.predict(tf.tensor3d(window, [1, window.length, 1], 'float32')) as tfTypes.Tensor;
      return fit.output === 'sequence' ? tf.slice(out, [0, window.length - 1, 0], [1, 1, 1]) : tf.slice(out, [0, 0], [1, 1]);
    });
    try {
      return (await y.data())[0];
    } finally {
      y.dispose();
    }
  };
}

/** What a forecast is, for the CLI's table and the inspector's chart. */
export interface Forecast {
  /** The values fed first (oldest first). */
  seed: Float32Array;
  /** What really came next (`steps` values). */
  truth: Float32Array;
  /** What the model fed its own predictions made of it. */
  forecast: Float32Array;
  /** Each step's prediction fed the true values before it (`oneStepAhead`). */
  oneStep: Float32Array;
  /** Values fed at once. */
  window: number;
}

/**
 * Forecasts `truth.length` steps after `seed` with a model `forecastFit`
 * accepted, and the one-step-ahead predictions of the same steps. The
 * window is the model's fixed input length (its shape's, or the length it
 * was built at: `builtFit`), else `window` (its training length), else the
 * seed's length; a model of fixed length needs a seed at least that long.
 * `cancelled` is read before every step of both; `onOneStep` is called
 * after each one-step prediction, as `onStep` after each forecast value.
 */
export async function forecastSeries(
  tf: Tf,
  model: tfTypes.LayersModel,
  fit: ForecastFit,
  seed: Float32Array,
  truth: Float32Array,
  options: { window?: number; cancelled?: () => boolean; onStep?: RolloutOptions['onStep']; onOneStep?: OneStepOptions['onStep'] } = {},
): Promise<Forecast> {
  const fixed = builtFit(fit, model);
  const window = fixed.window ?? Math.min(options.window ?? seed.length, seed.length);
  if (seed.length < window) throw new RangeError(`the model reads ${window} values at a time; the seed has only ${seed.length}`);
  const next = modelNextValue(tf, model, fixed);
  const forecast = await rollout(next, seed, truth.length, { window, cancelled: options.cancelled, onStep: options.onStep });
  const series = new Float32Array(seed.length + truth.length);
  series.set(seed);
  series.set(truth, seed.length);
  // Stopped during the rollout: no one-step predictions; during them: the ones so far.
  const oneStep = options.cancelled?.()
    ? new Float32Array(0)
    : await oneStepAhead(next, series, seed.length, truth.length, window, { cancelled: options.cancelled, onStep: options.onOneStep });
  return { seed, truth, forecast, oneStep, window };
}

/** Root mean square of `a − b` over their common length (NaN when empty). */
export function rmse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  if (n === 0) return NaN;
  let s = 0;
  for (let i = 0; i < n; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s / n);
}

/**
 * The forecast's RMSE against the truth, beside two references: the
 * one-step-ahead predictions' (what compounding costs) and repeating the
 * last seed value (a forecast that learned nothing of the shape).
 */
export function forecastScores(f: Pick<Forecast, 'seed' | 'truth' | 'forecast' | 'oneStep'>): { forecast: number; oneStep: number; lastValue: number } {
  const last = f.seed[f.seed.length - 1];
  return { forecast: rmse(f.forecast, f.truth), oneStep: rmse(f.oneStep, f.truth), lastValue: rmse(new Float32Array(f.truth.length).fill(last), f.truth) };
}

/** The scores in a line, as the CLI prints them and the inspector's Forecast tab shows them. */
export function scoresText(scores: ReturnType<typeof forecastScores>, steps: number): string {
  const f = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : 'n/a');
  return `RMSE over ${steps} ${steps === 1 ? 'step' : 'steps'}: forecast ${f(scores.forecast)} · one step ahead (fed the true values) ${f(scores.oneStep)} · repeating the last value ${f(scores.lastValue)}`;
}

/** `waves` defaults, as `builtinDataset` reads a source's options. */
export function wavesOptions(options: Record<string, unknown>): { samples: number; length: number; seed: number } {
  const num = (k: string, d: number) => (typeof options[k] === 'number' ? (options[k] as number) : d);
  return { samples: num('samples', 6000), length: num('length', 128), seed: num('seed', 1) };
}

/**
 * Example `index` of a `waves(...)` source with what came after it: the
 * seed is the example's input (`length` values, as the model was trained
 * on it), the truth the `steps` values after it, the same sines carried on.
 */
export function wavesForecastExample(options: Record<string, unknown>, index: number, steps: number): { seed: Float32Array; truth: Float32Array } {
  const o = wavesOptions(options);
  const series = waveSeries(o, index, Math.max(0, steps - 1));
  return { seed: series.slice(0, o.length), truth: series.slice(o.length, o.length + steps) };
}

/**
 * The examples worth forecasting: the validation split of the training
 * (`validationSplit`, same count, fraction and seed: examples the model
 * never trained on), in index order; every example when nothing is held out.
 */
export function heldOutExamples(count: number, validation: number, seed: number): number[] {
  const held = Array.from(validationSplit(count, validation, seed).validation).sort((a, b) => a - b);
  return held.length ? held : Array.from({ length: count }, (_, i) => i);
}

/** Most steps a forecast rolls out. */
export const MAX_FORECAST_STEPS = 10_000;
