/**
 * The inspector's Training tab: live loss and metric curves (uPlot,
 * bundled), a table of epochs, and a generative objective's images
 * (samples.ts), drawn from the events of the run that trains in this page
 * (training/runner.ts).
 */
import uPlot from 'uplot';
import type { TrainingEvent } from '../../extension/core/protocol';
import type { EpochLogs } from '../../extension/core/runtime/train';
import { chooseShown, loadedText, runText, ShownOrder, TrainingCurves, type LoadedWeights } from './curves';
import { lossChartStyles, metricChartStyles, type SeriesStyle } from './chartStyle';
import { SamplesView } from './samples';

// uPlot's layout rules (its own stylesheet is not loaded in the webview): set through the CSSOM, which the CSP allows.
const CHART_CSS = `
.nn-training .uplot { font: inherit; color: var(--vscode-foreground); width: min-content; }
.nn-training .u-wrap { position: relative; user-select: none; }
.nn-training .u-over, .nn-training .u-under { position: absolute; }
.nn-training .uplot canvas { display: block; position: relative; width: 100%; height: 100%; }
.nn-training .u-axis { position: absolute; }
.nn-training .u-legend { font-size: 12px; margin: 4px auto; text-align: center; }
.nn-training .u-legend .u-marker { width: 1em; height: 1em; margin-right: 4px; display: inline-block; vertical-align: middle; background-clip: padding-box !important; }
.nn-training .u-inline tr { display: inline-block; margin-right: 12px; }
.nn-training .u-inline th, .nn-training .u-inline td { display: inline; font-weight: normal; padding: 0 2px; }
.nn-training .u-legend .u-off > * { opacity: 0.4; }
.nn-training .u-select { background: rgba(127,127,127,0.15); position: absolute; pointer-events: none; }
.nn-training .u-cursor-x, .nn-training .u-cursor-y { position: absolute; left: 0; top: 0; pointer-events: none; will-change: transform; }
.nn-training .u-hz .u-cursor-x { height: 100%; border-right: 1px dashed var(--vscode-editorLineNumber-foreground); }
.nn-training .u-hz .u-cursor-y { width: 100%; border-bottom: 1px dashed var(--vscode-editorLineNumber-foreground); }
.nn-training .u-cursor-pt { position: absolute; top: 0; left: 0; border-radius: 50%; border: 0 solid; pointer-events: none; will-change: transform; background-clip: padding-box !important; }
.nn-training .u-axis.u-off, .nn-training .u-select.u-off, .nn-training .u-cursor-x.u-off, .nn-training .u-cursor-y.u-off, .nn-training .u-cursor-pt.u-off { display: none; }
.nn-training-status { margin: 6px 0; }
.nn-training-table { border-collapse: collapse; margin-top: 8px; font-variant-numeric: tabular-nums; }
.nn-training-table th, .nn-training-table td { padding: 2px 8px; text-align: right; border-bottom: 1px solid var(--vscode-panel-border); }
`;

let styled = false;
function addStyles(): void {
  if (styled) return;
  styled = true;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(CHART_CSS);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}

function themeColor(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

/** A chartStyle.ts series in the current theme, for uPlot. */
function uSeries(s: SeriesStyle): uPlot.Series {
  const stroke = themeColor(s.color.cssVar, s.color.fallback);
  return {
    label: s.label,
    stroke,
    width: s.width,
    spanGaps: true,
    ...(s.dash ? { dash: s.dash } : {}),
    ...(s.alpha !== undefined ? { alpha: s.alpha } : {}),
    // Filled in the line's colour: uPlot's default white fill reads as a hole on a dark theme.
    points: s.points ? { show: true, fill: stroke } : { show: false },
  };
}

const EMPTY_TEXT = 'No training yet. Run “nnmodel: Train Model” (or the Train lens above a model) to see loss and accuracy here.';

export class TrainingView {
  readonly element: HTMLElement;
  readonly curves = new TrainingCurves();
  private readonly status: HTMLElement;
  private readonly lossBox: HTMLElement;
  private readonly metricBox: HTMLElement;
  private readonly table: HTMLTableElement;
  private readonly warnings: HTMLUListElement;
  private readonly samples = new SamplesView();
  private lossChart: uPlot | undefined;
  private lossKey = '';
  private metricChart: uPlot | undefined;
  private metricKey = '';
  private pending = false;
  private visible = false;
  /** The loaded weights of the shown model (not from this page's run), with their history as curves. */
  private weights: { info: LoadedWeights; curves: TrainingCurves } | undefined;
  /** Order of the last run event and of the last change of weights (chooseShown's "whichever came last"). */
  private readonly order = new ShownOrder();
  /** The x range both charts show (TrainingCurves.xRange of the curves drawn). */
  private xRange: [number, number] | undefined;

  constructor() {
    addStyles();
    this.element = document.createElement('div');
    this.element.className = 'nn-training';
    this.status = document.createElement('p');
    this.status.className = 'nn-training-status';
    this.status.textContent = EMPTY_TEXT;
    this.lossBox = document.createElement('div');
    this.lossBox.className = 'nn-training-loss';
    this.metricBox = document.createElement('div');
    this.metricBox.className = 'nn-training-metrics';
    this.table = document.createElement('table');
    this.table.className = 'nn-training-table';
    this.warnings = document.createElement('ul');
    this.warnings.className = 'nn-training-warnings';
    this.warnings.hidden = true;
    // The images above the curves: what a generative run makes is what the user watches.
    this.element.append(this.status, this.warnings, this.samples.element, this.lossBox, this.metricBox, this.table);
    new ResizeObserver(() => this.resize()).observe(this.element);
  }

  /** Called when the tab is shown or hidden: charts draw only while visible. */
  setVisible(visible: boolean): void {
    this.visible = visible;
    if (visible) this.schedule();
  }

  /** The host asked run `run` to stop: say so until the run confirms. */
  stopping(run: number): void {
    if (this.curves.run !== run || this.curves.status !== 'running') return;
    this.curves.message = 'stopping after the current batch…';
    this.status.dataset.stopRequestedAt = `${this.curves.position.epoch}:${this.curves.position.batch}`;
    this.schedule();
  }

  handle(run: number, model: string, event: TrainingEvent): void {
    if (this.curves.apply(run, model, event)) {
      this.order.run();
      this.schedule();
    }
  }

  /**
   * The weights now in the inspector's session of `model` (undefined: its
   * initial weights). Called for every new session, so only a new
   * weights message (`seq`, see ShownOrder) counts: the tab then shows
   * these weights' history unless this page's run is the better account
   * of them (curves.ts chooseShown).
   */
  showWeights(model: string, applied: { seq: number; epoch: number; from?: string; history: EpochLogs[] } | undefined): void {
    if (!this.order.weights(model, applied)) return;
    if (applied) {
      const info: LoadedWeights = { model, epoch: applied.epoch, ...(applied.from ? { from: applied.from } : {}), history: applied.history };
      this.weights = { info, curves: TrainingCurves.fromHistory(info) };
    } else this.weights = undefined;
    this.schedule();
  }

  private schedule(): void {
    if (this.pending || !this.visible) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.render();
    });
  }

  private width(): number {
    return Math.max(240, Math.min(900, this.element.clientWidth - 16));
  }

  private resize(): void {
    const w = this.width();
    this.lossChart?.setSize({ width: w, height: 220 });
    this.metricChart?.setSize({ width: w, height: 180 });
  }

  private render(): void {
    const shown = chooseShown(this.curves, this.weights?.info, this.order.weightsAfterRun);
    this.element.dataset.shows = shown;
    if (shown === 'empty') return this.renderEmpty();
    if (shown === 'weights' && this.weights) return this.renderWeights(this.weights.info, this.weights.curves);
    const c = this.curves;
    delete this.status.dataset.loadedEpoch;
    this.status.textContent = runText(c);
    this.status.dataset.status = c.status;
    this.status.dataset.backend = c.backend;
    this.warnings.replaceChildren(...c.warnings.map((w) => Object.assign(document.createElement('li'), { textContent: w })));
    this.warnings.hidden = c.warnings.length === 0;
    this.samples.render(c);
    this.renderCharts(c);
  }

  /** No run here and no trained weights for the shown model. */
  private renderEmpty(): void {
    this.status.textContent = EMPTY_TEXT;
    delete this.status.dataset.status;
    delete this.status.dataset.backend;
    delete this.status.dataset.loadedEpoch;
    this.warnings.replaceChildren();
    this.warnings.hidden = true;
    const none = new TrainingCurves();
    this.samples.render(none);
    this.renderCharts(none);
  }

  /** Weights loaded into the inspector: which, from where, and the curves of the epochs that trained them. */
  private renderWeights(info: LoadedWeights, c: TrainingCurves): void {
    this.status.textContent = loadedText(info);
    this.status.dataset.status = 'loaded';
    this.status.dataset.loadedEpoch = String(info.epoch);
    delete this.status.dataset.backend;
    this.warnings.replaceChildren();
    this.warnings.hidden = true;
    this.samples.render(c);
    this.renderCharts(c);
  }

  private renderCharts(c: TrainingCurves): void {
    this.xRange = c.xRange();
    // A run draws its axes from the start; the empty state and weights without history draw no empty chart or table.
    const something = c.run >= 0 || c.rows.length > 0;
    if (something) this.renderLoss(c);
    else {
      this.lossChart?.destroy();
      this.lossChart = undefined;
      this.lossKey = '';
    }
    this.renderMetrics(c);
    if (something) this.renderTable(c);
    else this.table.replaceChildren();
  }

  /** uPlot options both charts share: the x scale (the shared range), axes, and dashed legend markers for dashed lines. */
  private chartOptions(box: HTMLElement): Pick<uPlot.Options, 'axes' | 'legend' | 'hooks'> & { x: uPlot.Scale } {
    const fg = themeColor('--vscode-foreground', '#ccc');
    const grid = themeColor('--vscode-panel-border', 'rgba(127,127,127,0.3)');
    return {
      // A function, read on every setData: the range follows the curves without rebuilding the chart.
      x: { time: false, range: (_u, min, max) => this.xRange ?? [min ?? 0, max ?? 1] },
      axes: [
        { stroke: fg, grid: { stroke: grid }, label: 'epoch' },
        { stroke: fg, grid: { stroke: grid } },
      ],
      legend: { markers: { dash: (u, i) => (u.series[i].dash ? 'dashed' : 'solid') } },
      // For tests: the x range uPlot actually drew.
      hooks: { setScale: [(u, key) => void (key === 'x' && (box.dataset.xScale = `${u.scales.x.min},${u.scales.x.max}`))] },
    };
  }

  private renderLoss(c: TrainingCurves): void {
    const data = c.lossSeries() as uPlot.AlignedData;
    // Losses reported as metrics (a GAN's d_loss) join this chart: a new one rebuilds it with their series.
    const extra = c.lossMetricNames();
    const val = c.validated();
    const key = extra.map((n) => (val.has(n) ? `${n}+val` : n)).join(',');
    if (this.lossChart && key === this.lossKey) {
      this.lossChart.setData(data);
      return;
    }
    this.lossChart?.destroy();
    this.lossKey = key;
    const series: uPlot.Series[] = [{ label: 'epoch', value: (_u, v) => (v == null ? '' : v.toFixed(2)) }, ...lossChartStyles(extra, val).map(uSeries)];
    const { x, ...common } = this.chartOptions(this.lossBox);
    this.lossChart = new uPlot(
      {
        title: 'Loss',
        width: this.width(),
        height: 220,
        scales: { x },
        ...common,
        series,
      },
      data,
      this.lossBox,
    );
  }

  private renderMetrics(c: TrainingCurves): void {
    const names = c.metricNames();
    const range = c.metricRange();
    const val = c.validated();
    const key = `${names.map((n) => (val.has(n) ? `${n}+val` : n)).join(',')}${range ? ' [0, 1]' : ''}`;
    if (names.length === 0) {
      this.metricChart?.destroy();
      this.metricChart = undefined;
      this.metricKey = '';
      return;
    }
    const data = c.metricSeries() as uPlot.AlignedData;
    if (this.metricChart && key === this.metricKey) {
      this.metricChart.setData(data);
      return;
    }
    this.metricChart?.destroy();
    this.metricKey = key;
    // For tests and the curious: the y range the chart keeps ('0,1' for fractions only, 'auto' otherwise).
    this.metricBox.dataset.range = range ? range.join(',') : 'auto';
    const series: uPlot.Series[] = [{ label: 'epoch' }, ...metricChartStyles(names, val).map(uSeries)];
    const { x, ...common } = this.chartOptions(this.metricBox);
    this.metricChart = new uPlot(
      {
        title: 'Metrics',
        width: this.width(),
        height: 180,
        // Fractions (accuracy, a GAN's d_real and d_fake) on their whole range: D(x) near 0.5 reads as "D is confused" at a glance.
        scales: { x, ...(range ? { y: { range: () => range } } : {}) },
        ...common,
        series,
      },
      data,
      this.metricBox,
    );
  }

  private renderTable(c: TrainingCurves): void {
    const names = [...c.lossMetricNames(), ...c.metricNames()];
    // Validation columns only for figures that have one (a GAN holds nothing out).
    const val = c.validated();
    const valNames = names.filter((n) => val.has(n));
    const valLoss = val.has('loss');
    const head = ['epoch', 'loss', ...names, ...(valLoss ? ['val_loss'] : []), ...valNames.map((n) => `val_${n}`), 'time', 'examples/s'];
    const fmt = (v: number | undefined) => (v === undefined ? '' : v.toFixed(4));
    const rows = [...c.rows].sort((a, b) => a.epoch - b.epoch);
    const tr = (cells: string[], tag: 'th' | 'td') => {
      const row = document.createElement('tr');
      for (const text of cells) {
        const cell = document.createElement(tag);
        cell.textContent = text;
        row.append(cell);
      }
      return row;
    };
    this.table.replaceChildren(
      tr(head, 'th'),
      ...rows.map((r) =>
        tr(
          [
            String(r.epoch),
            fmt(r.loss),
            ...names.map((n) => fmt(r.metrics[n])),
            ...(valLoss ? [fmt(r.valLoss)] : []),
            ...valNames.map((n) => fmt(r.valMetrics[n])),
            `${(r.ms / 1000).toFixed(1)} s`,
            String(Math.round((r.examples / Math.max(1, r.ms)) * 1000)),
          ],
          'td',
        ),
      ),
    );
  }
}
