/**
 * The Forecast tab, shown for a model whose train section reads `waves`
 * (a sequence-regression model: the next value at every step): with its
 * current weights (trained when a checkpoint is loaded, else the initial
 * ones; the tab says which), it forecasts a held-out example of its data
 * autoregressively (core/runtime/forecast.ts, the same code as
 * `nnmodel forecast`) and draws the seed window, what really came next
 * and the forecast on one uPlot chart (the Training tab's library), with
 * the RMSE of the forecast beside the one-step-ahead predictions' and
 * repeating the last value's.
 *
 * Previous / Next walk the validation split's examples; the Steps slider
 * sets how far to forecast. A newer run, a training start (`cancel`) or a
 * new session (`dispose`) cancels the one in flight. A model that cannot
 * forecast (token ids in, class scores out, ...) gets the reason instead.
 */
import uPlot from 'uplot';
import type { BuiltinDataSource } from '../../extension/core/protocol';
import { builtFit, forecastFit, forecastScores, forecastSeries, heldOutExamples, scoresText, wavesForecastExample, wavesOptions, type ForecastFit } from '../../extension/core/runtime/forecast';
import { TRAIN_SEED } from '../../extension/core/runtime/train';
import { CHART_COLORS, VALIDATION_DASH } from '../training/chartStyle';
import { idleLegend, themeColor } from '../training/themeSeries';
import { CHART_CSS } from '../training/view';
import { weightsNote } from './samplesModel';
import { chartColumns, chartWidth, exampleText, explainText, STEPS, windowProblem } from './forecastModel';
import type { ViewContext } from './types';
import { button, el } from '../dom';

export interface ForecastInput {
  /** The train section's `waves(...)` spec. */
  sample: BuiltinDataSource;
  /** The section's validation fraction: its held-out examples are the ones offered. */
  validation: number;
  trained?: { epoch: number; from?: string; loaded?: number; total?: number };
  /** Lets the page breathe between steps (training/runner.ts pageYield). */
  yieldNow: () => Promise<void>;
}

/** Where the user is, kept across sessions (a new epoch's weights redraw the same example and steps). */
const state = { position: 0, steps: STEPS.initial as number, key: '' };
let run: { cancelled: boolean } | undefined;
let view: HTMLElement | undefined;
let chart: uPlot | undefined;
/** Follows the panel's width: the chart is redrawn at the new width (as the Training tab's charts). */
let resizer: ResizeObserver | undefined;

let styled = false;
function addStyles(): void {
  if (styled) return;
  styled = true;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(
    `${CHART_CSS.replaceAll('.nn-training', '.nn-forecast')}
.nn-forecast-steps { display: inline-flex; align-items: center; gap: 6px; margin-left: 12px; }
.nn-forecast-steps output { min-width: 3ch; font-variant-numeric: tabular-nums; }
.nn-forecast-example { margin-left: 8px; }
.nn-forecast-explain { color: var(--vscode-descriptionForeground); max-width: 900px; }`,
  );
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}

/** Cancels the forecast in flight, if any: training starts. */
export function cancel(): void {
  if (run) run.cancelled = true;
  run = undefined;
}

/** Cancels and removes the view: its session is gone (the shell puts a placeholder in the panel). */
export function dispose(): void {
  cancel();
  resizer?.disconnect();
  resizer = undefined;
  chart?.destroy();
  chart = undefined;
  view?.remove();
  view = undefined;
}

export async function render(container: HTMLElement, ctx: ViewContext, input: ForecastInput): Promise<void> {
  dispose();
  addStyles();
  const root = el('div', 'nn-forecast');
  view = root;
  container.replaceChildren(root);
  ctx.signal.addEventListener('abort', dispose, { once: true });
  const read = forecastFit(ctx.modelInfo);
  if ('error' in read) {
    root.dataset.state = 'unfit';
    root.append(el('p', 'nn-message nn-message-error nn-forecast-unfit', `No forecast: ${read.error}`));
    return;
  }
  // A [seq, 1] model whose size depends on seq is built at one length (its trained weights'): it reads windows of it.
  const fit = builtFit(read, ctx.model);
  const options = wavesOptions(input.sample.options);
  const unfit = windowProblem(ctx.info.name, read, fit, options.length);
  if (unfit) {
    root.dataset.state = 'unfit';
    root.append(el('p', 'nn-message nn-message-error nn-forecast-unfit', `No forecast: ${unfit}`));
    return;
  }
  const examples = heldOutExamples(options.samples, input.validation, TRAIN_SEED);
  const heldOut = input.validation > 0;
  // Another data set (or split) starts from its first example.
  const key = `${JSON.stringify(input.sample.options)}|${input.validation}`;
  if (state.key !== key) state.position = 0;
  state.key = key;
  state.position = Math.min(state.position, examples.length - 1);

  const toolbar = el('div', 'nn-toolbar');
  const label = el('span', 'nn-forecast-example');
  const stepsBox = el('span', 'nn-forecast-steps');
  const stepsLabel = el('label', '', 'Steps');
  const slider = document.createElement('input');
  slider.type = 'range';
  slider.id = 'nn-forecast-steps-range';
  slider.className = 'nn-forecast-steps-range';
  slider.min = String(STEPS.min);
  slider.max = String(STEPS.max);
  slider.value = String(state.steps);
  stepsLabel.htmlFor = slider.id;
  const stepsValue = el('output', '', String(state.steps));
  stepsBox.append(stepsLabel, slider, stepsValue);
  const status = el('p', 'nn-toolbar-status nn-forecast-status');
  status.setAttribute('role', 'status');
  status.setAttribute('aria-live', 'polite');
  const note = el('p', 'nn-gen-weights', weightsNote(input.trained));
  const chartBox = el('div', 'nn-forecast-chart');
  const explain = el('p', 'nn-forecast-explain');
  const go = () => void draw(ctx, fit, input, examples, heldOut, { root, label, status, chartBox, explain });
  toolbar.append(
    button('Previous', () => {
      state.position = (state.position + examples.length - 1) % examples.length;
      go();
    }, { className: 'nn-forecast-prev' }),
    button('Next', () => {
      state.position = (state.position + 1) % examples.length;
      go();
    }, { className: 'nn-forecast-next' }),
    label,
    stepsBox,
  );
  slider.addEventListener('input', () => {
    state.steps = Number(slider.value);
    stepsValue.textContent = slider.value;
    go();
  });
  root.append(toolbar, note, status, chartBox, explain);
  resizer = new ResizeObserver(() => {
    // A hidden tab measures 0: keep the width until it is shown again.
    const width = chartWidth(root.clientWidth);
    if (chart && width !== undefined && width !== chart.width) chart.setSize({ width, height: CHART_HEIGHT });
  });
  resizer.observe(root);
  go();
}

interface Parts {
  root: HTMLElement;
  label: HTMLElement;
  status: HTMLElement;
  chartBox: HTMLElement;
  explain: HTMLElement;
}

async function draw(ctx: ViewContext, fit: ForecastFit, input: ForecastInput, examples: number[], heldOut: boolean, p: Parts): Promise<void> {
  if (ctx.signal.aborted) return;
  cancel();
  const token = { cancelled: false };
  run = token;
  const index = examples[state.position];
  const steps = state.steps;
  p.label.textContent = exampleText(index, state.position, examples.length, heldOut);
  p.root.dataset.example = String(index);
  p.root.dataset.state = 'running';
  p.root.setAttribute('aria-busy', 'true');
  const stopped = () => token.cancelled || ctx.signal.aborted;
  try {
    const { seed, truth } = wavesForecastExample(input.sample.options, index, steps);
    let k = 0;
    const breathe = async () => {
      if (++k % 16 === 0) await input.yieldNow();
    };
    const f = await forecastSeries(ctx.tf, ctx.model, fit, seed, truth, {
      window: seed.length,
      cancelled: stopped,
      // A breath every few steps: the page shares its thread with the workbench.
      onStep: breathe,
      onOneStep: breathe,
    });
    if (stopped()) return;
    const scores = forecastScores(f);
    p.status.textContent = scoresText(scores, steps);
    p.explain.textContent = explainText(seed.length, f.window, steps);
    p.root.dataset.state = 'done';
    p.root.dataset.steps = String(f.forecast.length);
    p.root.dataset.rmse = JSON.stringify(scores);
    drawChart(p.chartBox, chartColumns(f), seed.length);
  } catch (e) {
    if (stopped()) return;
    p.root.dataset.state = 'failed';
    p.status.textContent = `The forecast failed: ${e instanceof Error ? e.message : String(e)}`;
  } finally {
    // A newer run (a slider move, Next) is still busy: only the run in flight ends the busy state.
    if (run === token || run === undefined) {
      run = undefined;
      p.root.removeAttribute('aria-busy');
    }
  }
}

const CHART_HEIGHT = 260;

function drawChart(box: HTMLElement, columns: (number | null)[][], seedLength: number): void {
  const width = chartWidth(box.parentElement?.clientWidth ?? 0) ?? 600;
  const fg = themeColor('--vscode-foreground', '#ccc');
  const grid = themeColor('--vscode-panel-border', 'rgba(127,127,127,0.3)');
  const line = (label: string, color: { cssVar: string; fallback: string }, dash?: number[]): uPlot.Series => ({
    label,
    stroke: themeColor(color.cssVar, color.fallback),
    width: 2,
    points: { show: false },
    ...(dash ? { dash } : {}),
  });
  chart?.destroy();
  box.replaceChildren();
  chart = new uPlot(
    {
      title: 'Forecast',
      width,
      height: CHART_HEIGHT,
      scales: { x: { time: false } },
      axes: [
        { stroke: fg, grid: { stroke: grid }, label: 't (time step)' },
        { stroke: fg, grid: { stroke: grid } },
      ],
      legend: { markers: { dash: (u, i) => (u.series[i].dash ? 'dashed' : 'solid') } },
      series: [
        { label: 't', value: (_u, v) => (v == null ? '' : String(v)) },
        line('seed (fed to the model)', CHART_COLORS.blue),
        line('true continuation', CHART_COLORS.green, VALIDATION_DASH),
        line('forecast', CHART_COLORS.orange),
      ],
      hooks: {
        init: [idleLegend],
        setLegend: [idleLegend],
        // Where the forecast starts: a dotted line after the seed's last value.
        draw: [
          (u) => {
            const x = u.valToPos(seedLength - 1, 'x', true);
            const { top, height } = u.bbox;
            const px = window.devicePixelRatio || 1;
            u.ctx.save();
            u.ctx.strokeStyle = grid;
            u.ctx.lineWidth = px;
            u.ctx.setLineDash([2 * px, 3 * px]);
            u.ctx.beginPath();
            u.ctx.moveTo(x, top);
            u.ctx.lineTo(x, top + height);
            u.ctx.stroke();
            u.ctx.restore();
          },
        ],
      },
    },
    columns as uPlot.AlignedData,
    box,
  );
}
