/**
 * The Training tab's "Signal & gradients" chart (uPlot, like the curves):
 * for each weighted layer in graph order, the RMS of its output
 * (activations, top panel) and of its kernels' gradient (bottom panel), on
 * a log axis, one line per epoch with the initial weights dashed and the
 * latest epoch emphasised; a table below gives the same figures. Data and
 * line styles: signalsModel.ts. Without a run to show, "Measure at
 * initialisation" draws the initial weights' line alone (signalsInit.ts),
 * for the model of the file it measured (after an edit that changes what it
 * measures, signalsModel.ts modelStructure, marked as of the model before
 * the edit; not drawn for another model or file).
 *
 * The legend has an entry per kind of line (the earlier epochs, drawn
 * alike, share one), and an epoch updates the charts in place (uPlot's
 * addSeries/delSeries and setData, `lineChanges`): the cursor and a zoom
 * stay, and nothing flickers.
 */
import uPlot from 'uplot';
import type { TrainingEvent } from '../../extension/core/protocol';
import { SignalsHistory, initialStanding, layerAxisSpace, logAxisTicks, layerAxisText, layerNames, layerText, lineChanges, type InitialSubject, type SignalKind, type SignalLine } from './signalsModel';
import { idleLegend, themeColor, uSeries } from './themeSeries';
import { formatGradientLine, type SignalsReport } from '../../extension/core/runtime/signals';

/** How the tab shows the Signal & gradients (SignalsView.render). */
export interface SignalsShown {
  /** The tab shows the weights of this epoch of the run: its measurements up to it. */
  upTo?: number;
  /** The tab shows loaded weights (not the run's own account). */
  weights?: boolean;
}

/** What "Measure at initialisation" can do for the model shown: measure, or say why not. */
export type InitialSignalsOffer = { measure: () => Promise<SignalsReport> } | { unavailable: string };

/** Legend values in the charts' log scale. */
const exponent = (v: number | null) => (v == null ? '' : v.toExponential(2));


// The table as the epochs' table looks (view.ts CHART_CSS), and the controls' spacing; set through the CSSOM, which the CSP allows.
const SIGNALS_CSS = `
.nn-signals { margin-top: 16px; }
.nn-signals h3 { margin: 8px 0 4px; font-size: 1.1em; }
.nn-signals-note, .nn-signals-summary, .nn-signals-earlier { margin: 4px 0; max-width: 900px; }
.nn-signals-earlier { font-style: italic; }
.nn-signals-controls { margin: 6px 0; }
.nn-signals-status { margin-left: 8px; }
.nn-signals-table { border-collapse: collapse; margin-top: 8px; font-variant-numeric: tabular-nums; }
.nn-signals-table th, .nn-signals-table td { padding: 2px 8px; text-align: right; border-bottom: 1px solid var(--vscode-panel-border); }
.nn-signals-table td:first-child { text-align: left; }
.nn-signals .u-legend .nn-signals-unlisted { display: none; }
`;

let styled = false;
function addStyles(): void {
  if (styled) return;
  styled = true;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(SIGNALS_CSS);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}

const PANELS: { kind: SignalKind; title: string; height: number }[] = [
  { kind: 'activation', title: 'Output RMS per layer (the signal going forward)', height: 180 },
  { kind: 'gradient', title: 'Gradient RMS per layer (the signal coming back)', height: 180 },
];

/** uPlot's axis font (its default), set on the layer axis so that the names are measured in the font they are drawn in. */
const AXIS_FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif, "Apple Color Emoji", "Segoe UI Emoji", "Segoe UI Symbol", "Noto Color Emoji"';
let measurer: CanvasRenderingContext2D | null | undefined;
/** Width in px of `text` in AXIS_FONT (7.5 px a character without a 2D canvas). */
function axisTextWidth(text: string): number {
  if (measurer === undefined) {
    measurer = document.createElement('canvas').getContext('2d');
    if (measurer) measurer.font = AXIS_FONT;
  }
  return measurer ? measurer.measureText(text).width : text.length * 7.5;
}

/** The x range that shows all `n` layers (at 0 … n − 1), with a margin for their points. */
function allLayers(n: number): [number, number] {
  return [-0.3, n - 1 + 0.3];
}

/** The name of the layer at x = `v` (its index), '' between layers. */
function layerName(names: readonly string[], v: number | null): string {
  if (v == null) return '';
  const i = Math.round(v);
  return Math.abs(v - i) < 1e-6 ? (names[i] ?? '') : '';
}

/** A log axis' tick: plain from 0.001 to 1000 (`0.5`, `20`), else a power of ten (`1e-7`). */
function axisNumber(v: number | null): string {
  if (v == null || !Number.isFinite(v) || v <= 0) return '';
  if (v >= 1e-3 && v < 1e4) return String(Number(v.toPrecision(2)));
  const [m, e] = v.toExponential(0).split('e');
  return `${m}e${Number(e)}`;
}

export class SignalsView {
  readonly element: HTMLElement;
  readonly history = new SignalsHistory();
  /** The last "Measure at initialisation", shown while no run is. */
  readonly initial = new SignalsHistory();
  /** The model `initial` measured: its file, name and structure (undefined before any). */
  private initialOf: InitialSubject | undefined;
  /** The model the Measure button's status speaks of (it is cleared once the inspector shows another, or an edited, one). */
  private statusOf: InitialSubject | undefined;
  private initialMeasures = 0;
  private readonly summary: HTMLElement;
  /** What the chart does not draw that the caption speaks of (SignalsHistory.missing), hidden when nothing. */
  private readonly missing: HTMLElement;
  /** Above the chart when it draws a measurement of the model as it was before the last edit. */
  private readonly earlier: HTMLElement;
  /** Under the Measure button when the tab shows weights whose run's measurements this page does not have. */
  private readonly unkept: HTMLElement;
  private readonly controls: HTMLElement;
  private readonly measureButton: HTMLElement;
  private readonly measureStatus: HTMLElement;
  private readonly body: HTMLElement;
  private offer: { subject: InitialSubject; offer: InitialSignalsOffer } | undefined;
  private measuring = false;
  /** The model the tab shows and whether it shows a run (the last `render`). */
  private shownModel = '';
  private shownRun: number | undefined;
  /** How the last `render` was asked to draw (`upTo`, `weights`). */
  private shownAs: SignalsShown = {};
  private readonly boxes: HTMLElement[];
  private readonly table: HTMLTableElement;
  private charts: (uPlot | undefined)[] = [undefined, undefined];
  /** What the charts draw: a change of it rebuilds them; a new epoch only updates them. */
  private key = '';
  /** The lines the charts draw, in their series order after x. */
  private lines: SignalLine[] = [];
  private width = 600;
  /** The history and version last drawn ('' : nothing drawn). */
  private drawn = '';

  constructor() {
    addStyles();
    this.element = document.createElement('section');
    this.element.className = 'nn-signals';
    this.element.hidden = true;
    const heading = document.createElement('h3');
    heading.textContent = 'Signal & gradients';
    const note = document.createElement('p');
    note.className = 'nn-signals-note';
    note.textContent =
      'Each weighted layer in graph order, measured on one batch: at initialisation (dashed) and at the end of each epoch (the latest in bold). ' +
      'Gradients that fall by orders of magnitude towards the first layers are vanishing: those layers hardly learn. A residual x + F(x) keeps them level.';
    this.summary = document.createElement('p');
    this.summary.className = 'nn-signals-summary';
    this.missing = document.createElement('p');
    this.missing.className = 'nn-signals-missing';
    this.missing.hidden = true;
    this.earlier = document.createElement('p');
    this.earlier.className = 'nn-signals-earlier';
    this.earlier.hidden = true;
    this.unkept = document.createElement('p');
    this.unkept.className = 'nn-signals-unkept';
    this.unkept.hidden = true;
    this.boxes = PANELS.map((p) => {
      const box = document.createElement('div');
      box.className = `nn-signals-${p.kind}`;
      return box;
    });
    const details = document.createElement('details');
    const caption = document.createElement('summary');
    caption.textContent = 'Figures as a table';
    this.table = document.createElement('table');
    // Not .nn-training-table: that is the epochs' table (tests and the curves read its rows).
    this.table.className = 'nn-signals-table';
    details.append(caption, this.table);
    this.controls = document.createElement('div');
    this.controls.className = 'nn-signals-controls';
    this.measureButton = document.createElement('vscode-button');
    this.measureButton.className = 'nn-signals-measure';
    this.measureButton.textContent = 'Measure at initialisation';
    this.measureButton.title = 'One forward and backward pass of the model with its initial weights on a batch of its training data: compare a plain and a residual model before training.';
    this.measureButton.addEventListener('click', () => void this.measure());
    this.measureStatus = document.createElement('span');
    this.measureStatus.className = 'nn-signals-status';
    this.measureStatus.setAttribute('role', 'status');
    this.controls.append(this.measureButton, ' ', this.measureStatus);
    this.body = document.createElement('div');
    this.body.append(note, this.earlier, this.missing, this.summary, ...this.boxes, details);
    this.element.append(heading, this.unkept, this.controls, this.body);
  }

  /**
   * What "Measure at initialisation" offers for `subject`, the model the
   * inspector now shows (its file, name and structure: a measurement is
   * this model's only while all three are the same).
   */
  setOffer(subject: InitialSubject, offer: InitialSignalsOffer): void {
    this.offer = { subject, offer };
    this.render(this.shownRun, this.shownModel, this.shownAs);
  }

  private async measure(): Promise<void> {
    const o = this.offer;
    if (!o || this.measuring) return;
    const model = o.subject.model;
    this.statusOf = o.subject;
    if ('unavailable' in o.offer) {
      this.measureStatus.textContent = `Cannot measure ${model} here: ${o.offer.unavailable}.`;
      return;
    }
    this.measuring = true;
    this.measureButton.setAttribute('disabled', '');
    this.measureStatus.textContent = `Measuring ${model} at initialisation…`;
    try {
      // Of the model as it was when the button was pressed (`o.offer` measures that message), whatever was edited since.
      const report = await o.offer.measure();
      this.initial.apply(++this.initialMeasures, model, { kind: 'signals', report });
      this.initialOf = o.subject;
      this.measureStatus.textContent = `${model}: the initial weights, on ${report.examples} training examples.`;
    } catch (e) {
      this.measureStatus.textContent = `Measuring ${model} failed: ${e instanceof Error ? e.message : String(e)}`;
    } finally {
      this.measuring = false;
      this.measureButton.removeAttribute('disabled');
      this.render(this.shownRun, this.shownModel, this.shownAs);
    }
  }

  /** Applies a run event (`continues`: SignalsHistory.apply); true when the chart needs drawing. */
  handle(run: number, model: string, event: TrainingEvent, continues = false): boolean {
    return this.history.apply(run, model, event, continues);
  }

  setWidth(width: number): void {
    if (width === this.width) return;
    this.width = width;
    for (const [i, c] of this.charts.entries()) c?.setSize({ width, height: PANELS[i].height });
  }

  /**
   * Draws the measurements of run `run` (up to epoch `as.upTo` when given:
   * the tab shows the weights of that epoch, which that run trained);
   * without one (undefined: the tab shows no run), the last "Measure at
   * initialisation" of `model`, and, when the tab shows loaded weights
   * (`as.weights`), says that their measurements are not kept.
   */
  render(run: number | undefined, model = '', as: SignalsShown = {}): void {
    this.shownRun = run;
    this.shownModel = model;
    this.shownAs = as;
    const history = as.upTo !== undefined ? this.history.until(as.upTo) : this.history;
    const fromRun = run !== undefined && run === history.run && history.reports.length > 0;
    this.unkept.hidden = fromRun || !as.weights;
    this.unkept.textContent = this.unkept.hidden
      ? ''
      : `The Signal & gradients of the run that trained these weights are not kept with their checkpoint: they are drawn while the run that measures them is shown in this inspector.`;
    const offered = !fromRun && this.offer !== undefined && this.offer.subject.model === model;
    this.controls.hidden = !offered;
    if (offered && 'unavailable' in this.offer!.offer) this.measureButton.title = `Not available: ${this.offer!.offer.unavailable}.`;
    else this.measureButton.title = 'One forward and backward pass of the model with its initial weights on a batch of its training data: compare a plain and a residual model before training.';
    // A status about another model, or about this one before an edit, no longer holds.
    const shownSubject = this.offer?.subject.model === model ? this.offer.subject : undefined;
    if (!this.measuring && (!offered || initialStanding(this.statusOf, shownSubject) !== 'current')) this.measureStatus.textContent = '';
    // The last measurement, when it is of this model of this file: as it is now, or before an edit (drawn, said so).
    const standing = this.initial.reports.length > 0 ? initialStanding(this.initialOf, shownSubject) : undefined;
    const h = fromRun ? history : standing !== undefined ? this.initial : undefined;
    const show = h !== undefined && h.layers().length > 0;
    this.element.hidden = !show && !offered && this.unkept.hidden;
    // For tests: what the chart shows.
    this.element.dataset.shows = show ? (fromRun ? 'run' : standing === 'earlier' ? 'initial-earlier' : 'initial') : 'nothing';
    this.body.hidden = !show;
    this.earlier.hidden = !show || fromRun || standing !== 'earlier';
    this.earlier.textContent = this.earlier.hidden
      ? ''
      : `Measured before the last edit of ${model}: these are the initial figures of the model as it was then. Measure at initialisation again for the model as it is now.`;
    if (!show) {
      for (const c of this.charts) c?.destroy();
      this.charts = [undefined, undefined];
      this.key = '';
      this.lines = [];
      this.drawn = '';
      return;
    }
    // The tab redraws on every batch; this chart changes once an epoch.
    const version = `${h === history ? 'run' : 'initial'}:${h.version}:${as.upTo ?? ''}`;
    if (this.drawn === version) return;
    this.drawn = version;
    const missing = h === history ? h.missing() : '';
    this.missing.textContent = missing;
    this.missing.hidden = !missing;
    const latest = h.reports[h.reports.length - 1];
    const first = h.reports[0];
    // Layers named as the graph and the summary label them, with their line (as the CLI's line names them).
    const line = (r: SignalsReport, prefix: string) => formatGradientLine(r, prefix);
    this.summary.textContent = [
      first !== latest ? line(first, first.epoch === 0 ? 'At initialisation, gradient RMS' : `Epoch ${first.epoch}, gradient RMS`) : '',
      line(latest, latest.epoch === 0 ? 'At initialisation, gradient RMS' : `Epoch ${latest.epoch}, gradient RMS`),
    ]
      .filter(Boolean)
      .join(' · ');
    const named = layerNames(h.layers());
    const names = named.map(layerText);
    const axisNames = named.map(layerAxisText);
    const key = `${h === history ? 'run' : 'initial'}|${h.run}|${h.model}|${names.join('\n')}`;
    const from = this.lines;
    const lines = h.lines();
    // Read by the charts' legend values and hooks, which the updates below call.
    this.lines = lines;
    PANELS.forEach((p, i) => {
      const data = h.series(p.kind) as uPlot.AlignedData;
      const chart = this.charts[i];
      if (chart && key === this.key) {
        this.update(chart, from, lines, data, names.length);
        return;
      }
      chart?.destroy();
      this.charts[i] = this.make(p, names, axisNames, lines, data, this.boxes[i]);
    });
    this.key = key;
    this.renderTable(h);
  }

  /** Whether line `k` is the legend entry of the lines after it too (the earlier epochs'). */
  private grouped(k: number): boolean {
    return k >= 0 && this.lines[k]?.legend !== undefined && k + 1 < this.lines.length && this.lines[k + 1].legend === undefined;
  }

  /** A line as uPlot draws it; one its legend does not list is hidden there (its entry is the line before it). */
  private uLine(l: SignalLine): uPlot.Series {
    // A shared entry shows no value: it is several lines.
    const value = (_u: uPlot, v: number | null, si: number) => (this.grouped(si - 1) ? '' : exponent(v));
    return { ...uSeries(l.style, value), label: l.legend ?? l.style.label, ...(l.legend === undefined ? { class: 'nn-signals-unlisted' } : {}) };
  }

  /**
   * Updates `u` from the lines `from` to `to` and `data` in place. Zoomed in
   * (a drag on the chart), it keeps the zoom; else it fits the new figures.
   */
  private update(u: uPlot, from: readonly SignalLine[], to: readonly SignalLine[], data: uPlot.AlignedData, layers: number): void {
    const { replace, rename } = lineChanges(from, to);
    const x = u.scales.x;
    // Anything narrower than all layers is the user's zoom.
    const [lo, hi] = allLayers(layers);
    const zoom = x.min != null && x.max != null && (x.min > lo + 1e-6 || x.max < hi - 1e-6) ? { min: x.min, max: x.max } : undefined;
    u.batch(() => {
      for (let k = from.length - 1; k >= to.length; k--) u.delSeries(k + 1);
      for (const k of replace) {
        u.delSeries(k + 1);
        u.addSeries(this.uLine(to[k]), k + 1);
      }
      for (let k = from.length; k < to.length; k++) u.addSeries(this.uLine(to[k]), k + 1);
      const rows = u.root.querySelectorAll('.u-legend .u-series');
      for (const k of rename) {
        u.series[k + 1].label = to[k].legend;
        const label = rows[k + 1]?.querySelector('.u-label');
        if (label) label.textContent = to[k].legend ?? '';
      }
      // A line that joined a shared entry shows or hides with it.
      to.forEach((l, k) => {
        const lead = u.series[k];
        if (l.legend === undefined && k > 0 && lead && u.series[k + 1].show !== lead.show) u.setSeries(k + 1, { show: lead.show }, false);
      });
      u.setData(data, !zoom);
      if (zoom) u.setScale('x', zoom);
    });
  }

  /** A panel's chart: `names` the layers as the cursor's value names them, `axisNames` as the x axis does (two lines each). */
  private make(p: (typeof PANELS)[number], names: string[], axisNames: string[], lines: readonly SignalLine[], data: uPlot.AlignedData, box: HTMLElement): uPlot {
    const fg = themeColor('--vscode-foreground', '#ccc');
    const grid = themeColor('--vscode-panel-border', 'rgba(127,127,127,0.3)');
    // For tests: the layers' names, a JSON array (a call's label may hold commas).
    box.dataset.layers = JSON.stringify(names);
    const all = allLayers(names.length);
    // The RMS axis' ticks (logAxisTicks) for the range and height drawn; the labelled ones as its `splits` found them.
    let labelled = new Set<number>();
    return new uPlot(
      {
        title: p.title,
        width: this.width,
        height: p.height,
        // Every layer with a margin; a zoom (a drag across the chart, undone by a double-click) as it is: uPlot
        // passes a zoom through this function too, and widening it to all layers made zooming impossible.
        scales: { x: { time: false, range: (_u, min, max) => (min == null || max == null || (min <= 0 && max >= names.length - 1) ? all : [min, max]) }, y: { distr: 3 } },
        axes: [
          {
            stroke: fg,
            grid: { stroke: grid },
            label: 'layer (graph order)',
            // A name per layer while they fit, else every 2nd, 5th, …: uPlot keeps `space` px between labels.
            incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
            font: AXIS_FONT,
            space: layerAxisSpace(axisNames, axisTextWidth),
            values: (_u, splits) => splits.map((v) => layerName(axisNames, v)),
          },
          {
            stroke: fg,
            grid: { stroke: grid },
            label: 'RMS (log)',
            size: 60,
            // As many decades named as fit the plot's height (every 2nd, 3rd, … in a short panel), not uPlot's log filter, which named each.
            splits: (u, _i, min, max) => {
              const t = logAxisTicks(min, max, u.bbox.height / uPlot.pxRatio);
              labelled = new Set(t.labels);
              return t.splits;
            },
            filter: (_u, splits) => splits,
            values: (_u, splits) => splits.map((v) => (v != null && labelled.has(v) ? axisNumber(v) : '')),
          },
        ],
        legend: { markers: { dash: (u, i) => (u.series[i].dash ? 'dashed' : 'solid') } },
        hooks: {
          // As the loss chart's: at rest the legend lists the lines, without the x row ("layer") or values.
          init: [idleLegend],
          setLegend: [idleLegend],
          // For tests: the x range drawn (a zoom shows in it).
          setScale: [(u, key) => void (key === 'x' && (box.dataset.xScale = `${u.scales.x.min},${u.scales.x.max}`))],
          // A shared legend entry shows or hides all its lines.
          setSeries: [
            (u, si, opts) => {
              if (si == null || opts.show === undefined || !this.grouped(si - 1)) return;
              for (let k = si; k < this.lines.length && this.lines[k].legend === undefined; k++) u.setSeries(k + 1, { show: opts.show }, false);
            },
          ],
        },
        series: [{ label: 'layer', value: (_u, v) => layerName(names, v) }, ...lines.map((l) => this.uLine(l))],
      },
      data,
      box,
    );
  }

  private renderTable(h: SignalsHistory): void {
    const { head, rows } = h.table();
    const tr = (cells: string[], tag: 'th' | 'td') => {
      const row = document.createElement('tr');
      for (const text of cells) row.append(Object.assign(document.createElement(tag), { textContent: text }));
      return row;
    };
    this.table.replaceChildren(tr(head, 'th'), ...rows.map((r) => tr(r, 'td')));
  }
}
