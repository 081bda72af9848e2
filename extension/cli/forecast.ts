/**
 * `nnmodel forecast FILE --steps N`: a sequence-regression model trained on
 * `waves` (it predicts the next value at every step) forecasts a held-out
 * example autoregressively, each predicted value fed back as the next
 * input (core/runtime/forecast.ts), printed beside what really came next
 * and the one-step-ahead predictions, with the RMSE of each.
 */
import { UsageError, optionValue, positiveInt, type ParsedArgs } from './args';
import { EXIT, type Command } from './command';
import { checkpointOption, common, interruptible, request, runJob } from './train';
import { MAX_FORECAST_STEPS, scoresText } from '../core/runtime/forecast';
import { plural } from '../core/plural';
import type { ForecastRequest, ForecastResult } from './forecastJob';

const job = () => import('./forecastJob');

/** Steps forecast when --steps is not given: a few periods of the slowest waves (40 steps). */
export const DEFAULT_FORECAST_STEPS = 64;

export function forecastOptions(args: ParsedArgs): ForecastRequest {
  const steps = optionValue(args, 'steps');
  const n = steps === undefined ? DEFAULT_FORECAST_STEPS : positiveInt(steps, 'steps');
  if (n > MAX_FORECAST_STEPS) throw new UsageError(`option '--steps' is at most ${MAX_FORECAST_STEPS}, got '${steps}'`);
  const example = optionValue(args, 'example');
  if (example !== undefined && !/^[0-9]+$/.test(example)) throw new UsageError(`option '--example' needs the number of an example (0 or more), got '${example}'`);
  return { steps: n, ...(example === undefined ? {} : { example: Number(example) }) };
}

/** A value as printed: 4 decimals, the sign's column kept. */
const num = (v: number) => (Number.isFinite(v) ? (v < 0 ? '' : ' ') + v.toFixed(4) : 'n/a');

/** The first line: whose forecast, of what, from which checkpoint. */
export function forecastHeading(r: Pick<ForecastResult, 'model' | 'epoch' | 'example' | 'heldOut' | 'seed' | 'window' | 'truth'>): string {
  const held = r.heldOut ? ' (held out: not trained on)' : '';
  const window = r.window < r.seed.length ? `, ${r.window} at a time` : '';
  return `${r.model} after epoch ${r.epoch}: waves example ${r.example}${held}, ${r.seed.length} values fed${window}, ${r.truth.length} steps forecast, each prediction fed back as the next input`;
}

/** The table: one row per forecast step, t counted from the seed's first value. */
export function forecastTable(r: Pick<ForecastResult, 'seed' | 'truth' | 'forecast' | 'oneStep'>): string[] {
  const head = ['t', 'true', 'forecast', 'one step'];
  const rows = Array.from(r.truth, (v, k) => [String(r.seed.length + k), num(v), num(r.forecast[k]), num(r.oneStep[k])]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  return [head, ...rows].map((cells) => cells.map((c, i) => c.padStart(widths[i])).join('  '));
}

/**
 * What a forecast stopped by Ctrl-C did, of the `steps` asked for (said on
 * stderr after the table of the steps forecast): the rollout comes first,
 * then the one-step-ahead predictions of the same steps.
 */
export function forecastStoppedText(r: Pick<ForecastResult, 'forecast' | 'oneStep'>, steps: number): string {
  const k = r.forecast.length;
  if (k === 0) return `stopped before the first of ${plural(steps, 'step')}; nothing forecast`;
  if (k < steps) return `stopped after ${k} of ${plural(steps, 'step')} forecast, before the one-step-ahead predictions`;
  return `stopped: all ${plural(steps, 'step')} forecast, ${r.oneStep.length} of their one-step-ahead predictions made (no RMSE for them)`;
}

/** Float32 values as JSON numbers with the digits a float32 has. */
const values = (a: Float32Array) => Array.from(a, (v) => Number(v.toPrecision(7)));

export const forecastCommand: Command = {
  name: 'forecast',
  synopsis: 'FILE [--model NAME] [--checkpoints FOLDER] [--checkpoint best|last] [--steps N] [--example I] [--json] [--backend wasm|cpu] [--data-root DIR]...',
  summary: 'forecast a series N steps ahead with a trained sequence-regression model (waves)',
  description: [
    'Loads the checkpoint of a model trained on data: waves(...) (input [seq, 1], output',
    '[seq, 1]: the next value at every step) and forecasts autoregressively: fed an example of',
    'its data, it predicts the next value, which is appended and fed back to predict the one',
    'after, --steps times. The example is the first of the validation split (one the model',
    'never trained on) unless --example picks another. Prints each step\'s true value, the',
    'forecast and the one-step-ahead prediction (fed the true values, as in training), then',
    'the RMSE of each beside repeating the last value: the gap between forecast and one step',
    'ahead is what the model\'s own errors cost once fed back. Ctrl-C stops between steps and',
    'prints the steps done (exit code 130).',
  ].join('\n'),
  options: [
    ...common,
    checkpointOption,
    { name: 'steps', short: 'n', value: 'N', help: `steps to forecast (default ${DEFAULT_FORECAST_STEPS})` },
    { name: 'example', value: 'I', help: 'the example of the data to continue (default: the first held out)' },
    { name: 'json', help: 'print the seed, the true values, the forecast and the scores as JSON' },
  ],
  async run(args, io) {
    const f = forecastOptions(args);
    return interruptible(io, 'stopping the forecast after this step', (token) =>
      runJob('forecast', io, async () => {
        const { runForecastJob } = await job();
        const r = await runForecastJob(request(args, io), f, { token });
        if (r.warning) io.stderr(`warning: ${r.warning}\n`);
        // Stopped (Ctrl-C): the steps done, then what was stopped, and 130 as `nnmodel train` exits.
        const code = r.stopped ? 130 : EXIT.ok;
        const sayStopped = () => {
          if (r.stopped) io.stderr(`${forecastStoppedText(r, r.stopped.steps)}\n`);
        };
        if (args.flags.has('json')) {
          const json = {
            model: r.model,
            epoch: r.epoch,
            example: r.example,
            heldOut: r.heldOut,
            window: r.window,
            seed: values(r.seed),
            truth: values(r.truth),
            forecast: values(r.forecast),
            oneStep: values(r.oneStep),
            rmse: r.scores,
            ...(r.stopped ? { stopped: true, steps: r.stopped.steps } : {}),
          };
          io.stdout(`${JSON.stringify(json, null, 2)}\n`);
          sayStopped();
          return code;
        }
        if (r.forecast.length > 0) {
          io.stdout(`${forecastHeading(r)}\n`);
          for (const line of forecastTable(r)) io.stdout(`${line}\n`);
          io.stdout(`${scoresText(r.scores, r.truth.length)}\n`);
        }
        sayStopped();
        return code;
      }),
    );
  },
};
