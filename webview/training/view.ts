/**
 * The inspector's Training tab: live loss and metric curves (uPlot,
 * bundled), a table of epochs, and a generative objective's images
 * (samples.ts), drawn from the events of the run that trains in this page
 * (training/runner.ts).
 */
import uPlot from 'uplot';
import type { TrainingEvent } from '../../extension/core/protocol';
import { TrainingCurves } from './curves';
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

  constructor() {
    addStyles();
    this.element = document.createElement('div');
    this.element.className = 'nn-training';
    this.status = document.createElement('p');
    this.status.className = 'nn-training-status';
    this.status.textContent = 'No training yet. Run “nnmodel: Train Model” (or the Train lens above a model) to see loss and accuracy here.';
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
    if (this.curves.apply(run, model, event)) this.schedule();
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
    const c = this.curves;
    if (c.run < 0) return;
    const pos = c.position.batches ? `epoch ${c.position.epoch}/${c.epochs}, batch ${c.position.batch}/${c.position.batches}` : '';
    const state = { idle: 'starting', running: 'training', completed: 'done', cancelled: 'stopped', failed: 'failed' }[c.status];
    const backend = c.backend ? ` · in this inspector on ${c.backend === 'webgl' ? 'WebGL' : c.backend.toUpperCase()}` : '';
    const resumed = c.resumedFrom ? ` · continued from epoch ${c.resumedFrom}` : '';
    this.status.textContent = `${c.model}: ${state}${pos ? ` · ${pos}` : ''}${c.source ? ` · ${c.source}, ${c.examples} examples` : ''}${backend}${resumed}${c.message ? ` · ${c.message}` : ''}`;
    this.status.dataset.status = c.status;
    this.status.dataset.backend = c.backend;
    this.warnings.replaceChildren(...c.warnings.map((w) => Object.assign(document.createElement('li'), { textContent: w })));
    this.warnings.hidden = c.warnings.length === 0;
    this.samples.render(c);
    this.renderLoss();
    this.renderMetrics();
    this.renderTable();
  }

  private renderLoss(): void {
    const data = this.curves.lossSeries() as uPlot.AlignedData;
    // Losses reported as metrics (a GAN's d_loss) join this chart: a new one rebuilds it with their series.
    const extra = this.curves.lossMetricNames();
    const val = this.curves.validated();
    const key = extra.map((n) => (val.has(n) ? `${n}+val` : n)).join(',');
    if (this.lossChart && key === this.lossKey) {
      this.lossChart.setData(data);
      return;
    }
    this.lossChart?.destroy();
    this.lossKey = key;
    const fg = themeColor('--vscode-foreground', '#ccc');
    const grid = themeColor('--vscode-panel-border', 'rgba(127,127,127,0.3)');
    const palette = ['--vscode-charts-red', '--vscode-charts-purple', '--vscode-charts-yellow'].map((v, i) => themeColor(v, ['#f14c4c', '#b180d7', '#cca700'][i]));
    const series: uPlot.Series[] = [
      { label: 'epoch', value: (_u, v) => (v == null ? '' : v.toFixed(2)) },
      { label: 'batch loss', stroke: themeColor('--vscode-charts-blue', '#3794ff'), width: 1, alpha: 0.5, spanGaps: true, points: { show: false } },
      { label: 'loss', stroke: themeColor('--vscode-charts-orange', '#d18616'), width: 2, spanGaps: true },
      { label: 'val_loss', stroke: themeColor('--vscode-charts-green', '#89d185'), width: 2, spanGaps: true },
    ];
    extra.forEach((n, i) => {
      series.push({ label: n, stroke: palette[i % palette.length], width: 2, spanGaps: true });
      if (val.has(n)) series.push({ label: `val_${n}`, stroke: palette[i % palette.length], width: 2, dash: [6, 4], spanGaps: true });
    });
    this.lossChart = new uPlot(
      {
        title: 'Loss',
        width: this.width(),
        height: 220,
        scales: { x: { time: false } },
        axes: [
          { stroke: fg, grid: { stroke: grid }, label: 'epoch' },
          { stroke: fg, grid: { stroke: grid } },
        ],
        series,
      },
      data,
      this.lossBox,
    );
  }

  private renderMetrics(): void {
    const names = this.curves.metricNames();
    const range = this.curves.metricRange();
    const val = this.curves.validated();
    const key = `${names.map((n) => (val.has(n) ? `${n}+val` : n)).join(',')}${range ? ' [0, 1]' : ''}`;
    if (names.length === 0) {
      this.metricChart?.destroy();
      this.metricChart = undefined;
      this.metricKey = '';
      return;
    }
    const data = this.curves.metricSeries() as uPlot.AlignedData;
    if (this.metricChart && key === this.metricKey) {
      this.metricChart.setData(data);
      return;
    }
    this.metricChart?.destroy();
    this.metricKey = key;
    // For tests and the curious: the y range the chart keeps ('0,1' for fractions only, 'auto' otherwise).
    this.metricBox.dataset.range = range ? range.join(',') : 'auto';
    const fg = themeColor('--vscode-foreground', '#ccc');
    const grid = themeColor('--vscode-panel-border', 'rgba(127,127,127,0.3)');
    const palette = ['--vscode-charts-purple', '--vscode-charts-yellow', '--vscode-charts-red'].map((v, i) => themeColor(v, ['#b180d7', '#cca700', '#f14c4c'][i]));
    const series: uPlot.Series[] = [{ label: 'epoch' }];
    names.forEach((n, i) => {
      series.push({ label: n, stroke: palette[i % palette.length], width: 2, dash: [6, 4], spanGaps: true });
      if (val.has(n)) series.push({ label: `val_${n}`, stroke: palette[i % palette.length], width: 2, spanGaps: true });
    });
    this.metricChart = new uPlot(
      {
        title: 'Metrics',
        width: this.width(),
        height: 180,
        // Fractions (accuracy, a GAN's d_real and d_fake) on their whole range: D(x) near 0.5 reads as "D is confused" at a glance.
        scales: { x: { time: false }, ...(range ? { y: { range: () => range } } : {}) },
        axes: [
          { stroke: fg, grid: { stroke: grid }, label: 'epoch' },
          { stroke: fg, grid: { stroke: grid } },
        ],
        series,
      },
      data,
      this.metricBox,
    );
  }

  private renderTable(): void {
    const c = this.curves;
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
