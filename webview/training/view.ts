/**
 * The inspector's Training tab: live loss and metric curves (uPlot,
 * bundled), a table of epochs, and a generative objective's images
 * (samples.ts), drawn from the events of the run that trains in this page
 * (training/runner.ts).
 */
import uPlot from 'uplot';
import type { TrainingEvent } from '../../extension/core/protocol';
import type { EpochLogs } from '../../extension/core/runtime/train';
import { announceText, bestMarker, chooseShown, emptyText, loadedText, nearestEpochValue, overfitLine, runText, sameTraining, ShownOrder, TrainingCurves, type BestMarker, type LoadedWeights } from './curves';
import { BEST_MARKER, lossChartStyles, metricChartStyles, seriesWithData } from './chartStyle';
import { SamplesView } from './samples';
import { collapseHint } from '../../extension/core/runtime/diversity';
import { fileName } from '../../extension/core/runtime/signals';
import { SignalsView, type InitialSignalsOffer } from './signals';
import { idleLegend, themeColor, uSeries } from './themeSeries';

// uPlot's layout rules (its own stylesheet is not loaded in the webview): set through the CSSOM, which the CSP allows.
// The Forecast tab (views/forecast.ts) adopts them too, under its own class.
export const CHART_CSS = `
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
.nn-training .u-legend.nn-legend-idle .u-value, .nn-training .u-legend.nn-legend-idle .u-series:first-child { display: none; }
.nn-training .u-select { background: rgba(127,127,127,0.15); position: absolute; pointer-events: none; }
.nn-training .u-cursor-x, .nn-training .u-cursor-y { position: absolute; left: 0; top: 0; pointer-events: none; will-change: transform; }
.nn-training .u-hz .u-cursor-x { height: 100%; border-right: 1px dashed var(--vscode-editorLineNumber-foreground); }
.nn-training .u-hz .u-cursor-y { width: 100%; border-bottom: 1px dashed var(--vscode-editorLineNumber-foreground); }
.nn-training .u-cursor-pt { position: absolute; top: 0; left: 0; border-radius: 50%; border: 0 solid; pointer-events: none; will-change: transform; background-clip: padding-box !important; }
.nn-training .u-axis.u-off, .nn-training .u-select.u-off, .nn-training .u-cursor-x.u-off, .nn-training .u-cursor-y.u-off, .nn-training .u-cursor-pt.u-off { display: none; }
.nn-training-status { margin: 6px 0; }
.nn-training-findings p { margin: 6px 0; }
.nn-training-verdict, .nn-training-collapse { padding: 4px 8px; border-left: 3px solid var(--vscode-editorWarning-foreground, #cca700); color: var(--vscode-foreground); background: var(--vscode-inputValidation-warningBackground, transparent); }
.nn-training-verdict::before, .nn-training-collapse::before { content: '\u26a0\ufe0e '; color: var(--vscode-editorWarning-foreground, #cca700); }
.nn-training-table tr.nn-training-best-row td { font-weight: bold; }
.nn-training-table { border-collapse: collapse; margin-top: 8px; font-size: 12px; font-variant-numeric: tabular-nums; }
.nn-training-table th, .nn-training-table td { padding: 2px 5px; text-align: right; border-bottom: 1px solid var(--vscode-panel-border); }
.nn-training-table th { vertical-align: bottom; }
.nn-training-table td { white-space: nowrap; }
.nn-training-table-box { max-width: 100%; overflow-x: auto; }
.nn-training-table th:first-child, .nn-training-table td:first-child { position: sticky; left: 0; background: var(--vscode-editor-background); }
`;

/** The best epoch's row of the table: in bold, and said to a screen reader and in its tooltip. */
function markBest(row: HTMLTableRowElement, best: boolean): HTMLTableRowElement {
  if (!best) return row;
  row.className = 'nn-training-best-row';
  row.dataset.best = 'true';
  row.title = 'The best epoch: lowest val_loss';
  row.firstElementChild?.setAttribute('aria-label', `${row.firstElementChild.textContent ?? ''}, the best epoch: lowest val_loss`);
  return row;
}

let styled = false;
function addStyles(): void {
  if (styled) return;
  styled = true;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(CHART_CSS);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}


/** A drag narrower than this (CSS pixels) is a click, not a zoom. */
const MIN_ZOOM_PX = 5;

export class TrainingView {
  readonly element: HTMLElement;
  readonly curves = new TrainingCurves();
  private readonly status: HTMLElement;
  /** Read out politely by screen readers: the run's start, finished epochs and end (announceText), not each batch. */
  private readonly announce: HTMLElement;
  private readonly lossBox: HTMLElement;
  private readonly metricBox: HTMLElement;
  private readonly table: HTMLTableElement;
  private readonly warnings: HTMLUListElement;
  /** Under the charts: the best epoch, and the overfitting verdict when there is one. */
  private readonly findings: HTMLElement;
  private readonly bestLine: HTMLParagraphElement;
  private readonly verdictLine: HTMLParagraphElement;
  /** A GAN's "the generator may be collapsing" hint (runtime/diversity.ts), while the last epoch's diversity is low. */
  private readonly collapseLine: HTMLParagraphElement;
  /** The best epoch the loss chart marks (read when it draws). */
  private marker: BestMarker | undefined;
  /** Whether `marker` is an epoch the loss chart draws. */
  private markerDrawn = false;
  private readonly samples = new SamplesView();
  private readonly signals = new SignalsView();
  /** The model the inspector shows (Signal & gradients' Measure at initialisation is for it). */
  private inspected = '';
  /** The document of `inspected`, and of the model this page's last run trained ('' when not said). */
  private inspectedUri = '';
  private runUri = '';
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
  /** A drag across either chart zooms both to that x range, kept while epochs come; a double-click or a new run shows all again. */
  private zoom: [number, number] | undefined;
  private zoomRun = -1;

  constructor() {
    addStyles();
    this.element = document.createElement('div');
    this.element.className = 'nn-training';
    this.status = document.createElement('p');
    this.status.className = 'nn-training-status';
    this.status.textContent = emptyText('');
    // The status line changes at every batch; screen readers hear the run's start, epochs and end from this one (announceText).
    this.announce = document.createElement('p');
    this.announce.className = 'nn-training-announce nn-sr-only';
    this.announce.setAttribute('role', 'status');
    this.announce.setAttribute('aria-live', 'polite');
    this.lossBox = document.createElement('div');
    this.lossBox.className = 'nn-training-loss';
    this.metricBox = document.createElement('div');
    this.metricBox.className = 'nn-training-metrics';
    this.table = document.createElement('table');
    this.table.className = 'nn-training-table';
    // A narrow panel: column names wrap after "_" and "/" (renderTable); with many metrics the table scrolls in its own box, not the tab.
    const tableBox = document.createElement('div');
    tableBox.className = 'nn-training-table-box';
    tableBox.append(this.table);
    this.warnings = document.createElement('ul');
    this.warnings.className = 'nn-training-warnings';
    this.warnings.hidden = true;
    this.findings = document.createElement('div');
    this.findings.className = 'nn-training-findings';
    this.bestLine = document.createElement('p');
    this.bestLine.className = 'nn-training-best';
    this.verdictLine = document.createElement('p');
    this.verdictLine.className = 'nn-training-verdict';
    // Read out when it appears (a run in progress), without taking the focus.
    this.verdictLine.setAttribute('role', 'status');
    this.collapseLine = document.createElement('p');
    // Styled as the overfitting verdict, but its own class: each is a finding of its own.
    this.collapseLine.className = 'nn-training-collapse';
    this.collapseLine.setAttribute('role', 'status');
    this.collapseLine.hidden = true;
    this.findings.append(this.bestLine, this.verdictLine, this.collapseLine);
    this.bestLine.hidden = true;
    this.verdictLine.hidden = true;
    // The images above the curves: what a generative run makes is what the user watches.
    this.element.append(this.status, this.announce, this.warnings, this.samples.element, this.lossBox, this.metricBox, this.findings, tableBox, this.signals.element);
    new ResizeObserver(() => this.resize()).observe(this.element);
  }

  /**
   * The model the inspector now shows, and what Measure at initialisation
   * can do for it; `structure` (signalsModel.ts modelStructure) tells a
   * measurement of this version of the model from one before an edit.
   */
  offerInitialSignals(model: string, offer: InitialSignalsOffer, uri = '', structure = ''): void {
    // Another model (or one of the same name in another file): the tab shows only its runs and weights (chooseShown).
    const changed = model !== this.inspected || uri !== this.inspectedUri;
    this.inspected = model;
    this.inspectedUri = uri;
    this.signals.setOffer({ uri, model, structure }, offer);
    if (changed) this.schedule();
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

  handle(run: number, model: string, event: TrainingEvent, uri = ''): void {
    // A run continuing the checkpoint this page's last run of the model wrote keeps that run's Signal & gradients.
    const continues =
      event.kind === 'start' && run > this.curves.run && model === this.curves.model && uri === this.runUri && (event.resumedFrom ?? 0) > 0 &&
      sameTraining(this.curves.figures(), event.history ?? [], event.resumedFrom ?? 0);
    if (run >= this.curves.run) this.runUri = uri;
    // Signal & gradients keeps its own account of the run (signalsModel.ts).
    const signals = this.signals.handle(run, model, event, continues);
    if (this.curves.apply(run, model, event) || signals) {
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
  showWeights(model: string, applied: { seq: number; epoch: number; from?: string; history: EpochLogs[]; loaded?: number; total?: number } | undefined): void {
    const fit = applied?.loaded !== undefined && applied.total !== undefined ? { loaded: applied.loaded, total: applied.total } : {};
    if (!this.order.weights(model, applied)) {
      // The same weights in a session rebuilt after an edit: how many of its layers they fit may have changed.
      const info = this.weights?.info;
      if (info && info.model === model && (info.loaded !== fit.loaded || info.total !== fit.total)) {
        this.weights = { ...this.weights!, info: { ...info, ...fit } };
        this.schedule();
      }
      return;
    }
    if (applied) {
      const info: LoadedWeights = { model, epoch: applied.epoch, ...(applied.from ? { from: applied.from } : {}), history: applied.history, ...fit };
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
    this.signals.setWidth(w);
  }

  private render(): void {
    const shown = chooseShown({ run: this.curves.run, status: this.curves.status, model: this.curves.model, uri: this.runUri }, this.weights?.info, this.order.weightsAfterRun, this.inspected, this.inspectedUri);
    this.element.dataset.shows = shown;
    this.signals.setWidth(this.width());
    this.signals.render(...this.signalsShown(shown));
    if (shown === 'empty') return this.renderEmpty();
    if (shown === 'weights' && this.weights) return this.renderWeights(this.weights.info, this.weights.curves);
    const c = this.curves;
    delete this.status.dataset.loadedEpoch;
    this.status.textContent = runText(c);
    const said = announceText(c);
    if (this.announce.textContent !== said) this.announce.textContent = said;
    this.status.dataset.status = c.status;
    this.status.dataset.backend = c.backend;
    this.warnings.replaceChildren(...c.warnings.map((w) => Object.assign(document.createElement('li'), { textContent: w })));
    this.warnings.hidden = c.warnings.length === 0;
    this.samples.render(c);
    this.renderCharts(c);
  }

  /**
   * What Signal & gradients draws: the run's measurements when the tab shows
   * the run, or weights that run trained (their history is the run's:
   * up to their epoch); else none, saying so beside loaded weights.
   */
  private signalsShown(shown: 'run' | 'weights' | 'empty'): Parameters<SignalsView['render']> {
    if (shown === 'run') return [this.curves.run, this.inspected];
    const w = this.weights?.info;
    if (shown !== 'weights' || !w) return [undefined, this.inspected];
    const own = w.model === this.curves.model && this.runUri === this.inspectedUri && this.curves.status !== 'running' && sameTraining(this.curves.figures(), w.history, w.epoch);
    return own ? [this.curves.run, this.inspected, { upTo: w.epoch }] : [undefined, this.inspected, { weights: w.model === this.inspected }];
  }

  /** No run here and no trained weights for the shown model (another model's run is not shown as its). */
  private renderEmpty(): void {
    const elsewhere = this.runUri && this.inspectedUri && this.runUri !== this.inspectedUri ? fileName(this.runUri) : undefined;
    this.status.textContent = emptyText(this.inspected, this.curves, elsewhere);
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
    if (c.run !== this.zoomRun) {
      this.zoom = undefined;
      this.zoomRun = c.run;
    }
    this.renderFindings(c);
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

  /** The best epoch (marked on the loss chart, said under the charts) and the overfitting verdict, from the epochs drawn. */
  private renderFindings(c: TrainingCurves): void {
    // A continued run's findings count the epochs before it too (c.figures), as best.json does, and the chart draws them.
    const figures = c.figures();
    this.marker = bestMarker(figures);
    const verdict = overfitLine(figures);
    this.bestLine.textContent = this.marker?.text ?? '';
    this.bestLine.hidden = !this.marker;
    this.verdictLine.textContent = verdict ?? '';
    this.verdictLine.hidden = !verdict;
    // A GAN's figures: said while the last epoch drawn has a low diversity (a continued run's earlier epochs count as its own).
    const collapse = collapseHint(c.allRows());
    this.collapseLine.textContent = collapse ?? '';
    this.collapseLine.hidden = !collapse;
    // Drawn only on an epoch the chart draws (every epoch of `figures`, a continued run's earlier ones included).
    this.markerDrawn = this.marker !== undefined && figures.some((r) => r.epoch === this.marker!.x);
    // For tests: what the loss chart marks.
    if (this.marker && this.markerDrawn) this.lossBox.dataset.bestEpoch = String(this.marker.x);
    else delete this.lossBox.dataset.bestEpoch;
  }

  /** Draws the best epoch's marker (chartStyle.ts BEST_MARKER) over the loss chart: a ring on its val_loss, a dotted line, a label. */
  private drawBest(u: uPlot): void {
    const m = this.marker;
    if (!m || !this.markerDrawn) return;
    const { left, top, width, height } = u.bbox;
    const x = u.valToPos(m.x, 'x', true);
    const y = u.valToPos(m.y, 'y', true);
    if (!Number.isFinite(x) || !Number.isFinite(y) || x < left - 1 || x > left + width + 1 || y < top - 1 || y > top + height + 1) return;
    const px = window.devicePixelRatio || 1;
    const ctx = u.ctx;
    ctx.save();
    ctx.strokeStyle = themeColor(BEST_MARKER.color.cssVar, BEST_MARKER.color.fallback);
    ctx.lineWidth = px;
    ctx.setLineDash(BEST_MARKER.dash.map((d) => d * px));
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + height);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.lineWidth = 2 * px;
    ctx.beginPath();
    ctx.arc(x, y, BEST_MARKER.radius * px, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.fillStyle = themeColor(BEST_MARKER.label.cssVar, BEST_MARKER.label.fallback);
    ctx.font = `${11 * px}px ${getComputedStyle(document.body).fontFamily || 'sans-serif'}`;
    ctx.textBaseline = 'top';
    const gap = 4 * px;
    const right = x + gap + ctx.measureText(m.label).width > left + width;
    ctx.textAlign = right ? 'right' : 'left';
    ctx.fillText(m.label, right ? x - gap : x + gap, top + 2 * px);
    ctx.restore();
  }

  /** Shows `range` (a zoom) or, undefined, the whole run on both charts. */
  private setZoom(range: [number, number] | undefined): void {
    this.zoom = range;
    const [min, max] = range ?? this.xRange ?? [0, 1];
    for (const u of [this.lossChart, this.metricChart]) u?.setScale('x', { min, max });
  }

  /** uPlot options both charts share: the x scale (the shared range), axes, and dashed legend markers for dashed lines. */
  private chartOptions(box: HTMLElement): Pick<uPlot.Options, 'axes' | 'legend' | 'hooks' | 'cursor'> & { x: uPlot.Scale } {
    const fg = themeColor('--vscode-foreground', '#ccc');
    const grid = themeColor('--vscode-panel-border', 'rgba(127,127,127,0.3)');
    return {
      // A function, read on every setData: the range follows the curves without rebuilding the chart.
      x: { time: false, range: (_u, min, max) => this.zoom ?? this.xRange ?? [min ?? 0, max ?? 1] },
      // uPlot's own drag zoom would be undone by the range above at the next epoch: the zoom is the view's (setZoom).
      cursor: { drag: { x: true, y: false, setScale: false }, bind: { dblclick: () => () => (this.setZoom(undefined), null) } },
      axes: [
        { stroke: fg, grid: { stroke: grid }, label: 'epoch' },
        { stroke: fg, grid: { stroke: grid } },
      ],
      legend: { markers: { dash: (u, i) => (u.series[i].dash ? 'dashed' : 'solid') } },
      hooks: {
        // For tests: the x range uPlot actually drew.
        setScale: [(u, key) => void (key === 'x' && (box.dataset.xScale = `${u.scales.x.min},${u.scales.x.max}`))],
        // The end of a drag (uPlot fires this on mouse up): zoom both charts to the x range selected.
        setSelect: [
          (u) => {
            const { left, width } = u.select;
            if (width < MIN_ZOOM_PX) return;
            const range: [number, number] = [u.posToVal(left, 'x'), u.posToVal(left + width, 'x')];
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            this.setZoom(range);
          },
        ],
        // The legend shows values only under the cursor: at rest, names without "--" placeholders.
        init: [idleLegend],
        setLegend: [idleLegend],
      },
    };
  }

  private renderLoss(c: TrainingCurves): void {
    // Losses reported as metrics (a GAN's d_loss) join this chart; only series with values are drawn and listed
    // (no batch loss for loaded weights): a change of series rebuilds the chart.
    const shown = seriesWithData(lossChartStyles(c.lossMetricNames(), c.validated()), c.lossSeries());
    const data = shown.data as uPlot.AlignedData;
    const key = shown.key;
    if (this.lossChart && key === this.lossKey) {
      this.lossChart.setData(data);
      return;
    }
    this.lossChart?.destroy();
    this.lossKey = key;
    // The epoch-level series (all but the batch loss) show the nearest epoch's value while the cursor is between epochs.
    const nearest: uPlot.Series['value'] = (u, v, si, idx) => {
      const y = v ?? (idx == null ? null : nearestEpochValue(u.data[0], u.data[si] as (number | null)[], idx));
      return y == null ? '--' : uPlot.fmtNum(y);
    };
    const series: uPlot.Series[] = [
      { label: 'epoch', value: (_u, v) => (v == null ? '' : v.toFixed(2)) },
      ...shown.styles.map((st) => uSeries(st, st.label === 'batch loss' ? undefined : nearest)),
    ];
    const { x, hooks, ...common } = this.chartOptions(this.lossBox);
    this.lossChart = new uPlot(
      {
        title: 'Loss',
        width: this.width(),
        height: 220,
        scales: { x },
        ...common,
        // The best epoch's marker over the curves, drawn with them.
        hooks: { ...hooks, draw: [(u) => this.drawBest(u)] },
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
    const shown = seriesWithData(metricChartStyles(names, val), c.metricSeries());
    const key = `${shown.key}${range ? ` [${range.join(', ')}]` : ''}`;
    if (shown.styles.length === 0) {
      this.metricChart?.destroy();
      this.metricChart = undefined;
      this.metricKey = '';
      return;
    }
    const data = shown.data as uPlot.AlignedData;
    if (this.metricChart && key === this.metricKey) {
      this.metricChart.setData(data);
      return;
    }
    this.metricChart?.destroy();
    this.metricKey = key;
    // For tests and the curious: the y range the chart keeps ('0,1' for fractions only, '0,1.5' with a ratio above 1, 'auto' otherwise).
    this.metricBox.dataset.range = range ? range.join(',') : 'auto';
    const series: uPlot.Series[] = [{ label: 'epoch' }, ...shown.styles.map((st) => uSeries(st))];
    const { x, ...common } = this.chartOptions(this.metricBox);
    this.metricChart = new uPlot(
      {
        title: 'Metrics',
        width: this.width(),
        height: 180,
        // Fractions (accuracy, a GAN's d_real and d_fake) on their whole range: D(x) near 0.5 reads as "D is confused" at a glance;
        // a GAN's diversity beside them, 1 being the real images'.
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
    // A continued run's table starts with the checkpoint's epochs, as its charts do.
    const rows = c.allRows();
    const best = this.marker?.x;
    const tr = (cells: string[], tag: 'th' | 'td') => {
      const row = document.createElement('tr');
      for (const text of cells) {
        const cell = document.createElement(tag);
        // A column name may break after "_" or "/" (val_|accuracy, examples/|s), its text unchanged; numbers never wrap.
        if (tag === 'th') cell.append(...text.split(/(?<=[_/])/).flatMap((part, i) => (i ? [document.createElement('wbr'), part] : [part])));
        else cell.textContent = text;
        row.append(cell);
      }
      return row;
    };
    this.table.replaceChildren(
      tr(head, 'th'),
      ...rows.map((r) =>
        markBest(tr(
          [
            String(r.epoch),
            fmt(r.loss),
            ...names.map((n) => fmt(r.metrics[n])),
            ...(valLoss ? [fmt(r.valLoss)] : []),
            ...valNames.map((n) => fmt(r.valMetrics[n])),
            // A checkpoint that kept no time (an older one) leaves these blank, not "0.0 s".
            r.ms > 0 ? `${(r.ms / 1000).toFixed(1)} s` : '',
            r.ms > 0 ? String(Math.round((r.examples / r.ms) * 1000)) : '',
          ],
          'td',
        ), r.epoch === best),
      ),
    );
  }
}
