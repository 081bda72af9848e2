/**
 * The data of the Training tab's "Signal & gradients" chart: the `signals`
 * events of this page's run (runtime/signals.ts), as aligned series for
 * uPlot and the styles of their lines. Pure (no DOM, no uPlot), unit tested
 * in Node; signals.ts draws it.
 *
 * x is the layer's index in graph order (its name on the axis), y the RMS
 * on a log axis; one line per measurement: the initial weights dashed, the
 * latest epoch wide and opaque, earlier epochs thin and faint.
 */
import type { ModelMessage, PlainGraph, PlainGraphNode, TrainingEvent } from '../../extension/core/protocol';
import { layerNames, type LayerName, type SignalsReport } from '../../extension/core/runtime/signals';
export { layerNames, layerText, type LayerName } from '../../extension/core/runtime/signals';
import { CHART_COLORS, type SeriesStyle } from './chartStyle';
import { epochRange } from '../../extension/core/plural';

/** Most epoch lines drawn besides the initial one: the latest ones. */
export const MAX_SIGNAL_LINES = 10;

/** Least room in px between two layer names on the chart's x axis. */
export const AXIS_LABEL_GAP = 12;

/**
 * uPlot's `space` for the layer axis (the least distance between two ticks
 * that get a name; it names every 2nd, 5th, … layer when they do not fit):
 * the widest name as `width` measures it plus a gap, at least 44 px. A
 * fixed 44 let ten `dense_N` names run into each other in a 650 px panel
 * (`dense_9dense_10`).
 */
export function layerAxisSpace(names: readonly string[], width: (name: string) => number): number {
  let widest = 0;
  // A name of two lines (layerAxisText) is as wide as its wider line.
  for (const n of names) for (const part of n.split('\n')) widest = Math.max(widest, width(part));
  return Math.max(44, Math.ceil(widest) + AXIS_LABEL_GAP);
}

/** A layer on the chart's x axis, in two lines: `dense(64)` over `line 27, 2/8` (`gpt2_small.nnmodel:28, 4/4` for a block imported from another file). */
export function layerAxisText(n: LayerName): string {
  return `${n.label}\n${n.file ? `${n.file}:${n.line}` : `line ${n.line}`}${n.repeat ? `, ${n.repeat.index}/${n.repeat.count}` : ''}`;
}

export type SignalKind = 'activation' | 'gradient';

/** Which model a "Measure at initialisation" is of: its file, its name and its structure (`modelStructure`). */
export interface InitialSubject {
  uri: string;
  model: string;
  structure: string;
}

/**
 * What the initial figures of `msg`'s model depend on, as a string two
 * versions of the model share exactly when the measurement of one is the
 * other's: every node of the graph (layers, their arguments, shapes,
 * weights and parameters, block bodies and repeats, the edges), the inputs
 * and outputs, whether it has errors, and the train section (loss, batch,
 * validation split) and built-in data the batch is drawn from. Positions
 * count by their line only, since the chart names each layer by its line:
 * an edit within a line (a comment, spaces) keeps the measurement current,
 * a line added above the model does not. Diagnostics' severities do not
 * count.
 */
export function modelStructure(msg: Pick<ModelMessage, 'model' | 'train' | 'sample'>): string {
  const m = msg.model;
  const at = <T extends { range: { start: { line: number } } }>({ range, ...rest }: T) => ({ ...rest, line: range.start.line });
  return JSON.stringify([structureOf(m.graph), m.inputs.map(at), m.outputs.map(at), m.hasErrors, msg.train ?? null, msg.sample ?? null]);
}

/** A graph as `modelStructure` counts it: each node's range as its line, without its severity; a group's bodies alike. */
function structureOf(g: PlainGraph): unknown {
  return {
    ...g,
    nodes: g.nodes.map((n) => {
      const { range, severity: _severity, ...rest } = n as PlainGraphNode & { severity?: unknown };
      const node = { ...rest, line: range.start.line };
      return n.kind === 'group' ? { ...node, runs: n.runs.map((r) => ({ count: r.count, body: structureOf(r.body) })) } : node;
    }),
  };
}

/**
 * How the last "Measure at initialisation" (`measured`) stands to the model
 * the inspector shows (`shown`): `current` when it measured this version of
 * it, `earlier` when it measured the same model of the same file before an
 * edit changed what it measures (drawn, saying so), undefined when it is
 * of another model or file (not drawn: its figures would pass for this
 * model's).
 */
export function initialStanding(measured: InitialSubject | undefined, shown: InitialSubject | undefined): 'current' | 'earlier' | undefined {
  if (!measured || !shown || measured.uri !== shown.uri || measured.model !== shown.model) return undefined;
  return measured.structure === shown.structure ? 'current' : 'earlier';
}

/** A line of the chart: its style (`label` its own name, `epoch 3`) and its legend entry. */
export interface SignalLine {
  style: SeriesStyle;
  /** The name its legend entry shows; undefined when the entry of the line before it stands for it too (earlier epochs, drawn alike). */
  legend?: string;
}

/** Whether two lines are drawn alike and both listed in the legend or both not (their names aside). */
function sameLook(a: SignalLine, b: SignalLine): boolean {
  const look = (l: SignalLine) => JSON.stringify([l.style.color.cssVar, l.style.width, l.style.dash ?? null, l.style.alpha ?? null, l.style.points, l.legend !== undefined]);
  return look(a) === look(b);
}

/**
 * How a chart drawing the lines `from` comes to draw `to` in place (their
 * indices, x not counted): `replace` the lines whose look changed, `rename`
 * those whose legend entry alone did, then remove lines past `to`'s end or
 * add those past `from`'s. After the first epochs the lines only move along
 * (the earlier epochs' entry and the latest's change their names), so an
 * epoch renames and nothing else.
 */
export function lineChanges(from: readonly SignalLine[], to: readonly SignalLine[]): { replace: number[]; rename: number[] } {
  const replace: number[] = [];
  const rename: number[] = [];
  for (let i = 0; i < Math.min(from.length, to.length); i++) {
    if (!sameLook(from[i], to[i])) replace.push(i);
    else if (from[i].legend !== to[i].legend) rename.push(i);
  }
  return { replace, rename };
}

export class SignalsHistory {
  run = -1;
  model = '';
  /** By epoch, ascending; epoch 0 is the initial weights. */
  reports: SignalsReport[] = [];
  /** Changes with every change of `reports` (the view redraws only then). */
  version = 0;
  /** The checkpoint's epoch the run continues (its `start` event), 0 for fresh weights. */
  resumedFrom = 0;

  /**
   * Applies one event of run `run`; a newer run starts afresh, except that
   * a run continuing the checkpoint the previous run of the same model
   * wrote (`continues`, view.ts checks that the checkpoint's history is
   * that run's) keeps that run's measurements up to the checkpoint's
   * epoch: its initial weights and epochs stay on the chart, as its loss
   * does. Returns whether the chart changed.
   */
  apply(run: number, model: string, e: TrainingEvent, continues = false): boolean {
    if (run !== this.run) {
      if (run < this.run) return false;
      const from = e.kind === 'start' ? (e.resumedFrom ?? 0) : 0;
      const kept = continues && from > 0 && model === this.model ? this.reports.filter((r) => r.epoch <= from) : [];
      this.run = run;
      this.model = model;
      this.reports = kept;
      this.resumedFrom = 0;
      this.version++;
    }
    if (e.kind === 'start') {
      this.resumedFrom = e.resumedFrom ?? 0;
      this.version++;
      return true;
    }
    if (e.kind !== 'signals') return false;
    this.reports = [...this.reports.filter((r) => r.epoch !== e.report.epoch), e.report].sort((a, b) => a.epoch - b.epoch);
    this.version++;
    return true;
  }

  /** The measurements drawn: the initial one and the latest `MAX_SIGNAL_LINES` epochs. */
  shown(): SignalsReport[] {
    const init = this.reports.filter((r) => r.epoch === 0);
    const epochs = this.reports.filter((r) => r.epoch > 0);
    return [...init, ...epochs.slice(-MAX_SIGNAL_LINES)];
  }

  /** The measurements up to `epoch` (the weights of that epoch shown), as a history of their own; this one unchanged. */
  until(epoch: number): SignalsHistory {
    const h = new SignalsHistory();
    Object.assign(h, { run: this.run, model: this.model, version: this.version, resumedFrom: this.resumedFrom, reports: this.reports.filter((r) => r.epoch <= epoch) });
    return h;
  }

  /**
   * What the chart does not draw, said under its caption ('' when it draws
   * every measurement the caption promises): the earlier epochs beyond the
   * latest `MAX_SIGNAL_LINES`, and, for a run continued from a checkpoint,
   * the initial weights and epochs measured by the run that trained it
   * (a checkpoint does not keep them).
   */
  missing(): string {
    const parts: string[] = [];
    const measured = new Set(this.reports.map((r) => r.epoch));
    if (this.resumedFrom > 0) {
      const before = Array.from({ length: this.resumedFrom + 1 }, (_, e) => e).filter((e) => !measured.has(e));
      if (before.length > 0) {
        const epochs = before.filter((e) => e > 0);
        const what = [before[0] === 0 ? 'the initial weights' : '', epochs.length ? spans(epochs) : ''].filter(Boolean).join(' and ');
        parts.push(`continued from the checkpoint of epoch ${this.resumedFrom}: ${what} were measured by the run that trained it, and a checkpoint does not keep them`);
      }
    }
    const shown = new Set(this.shown());
    const trimmed = this.reports.filter((r) => r.epoch > 0 && !shown.has(r)).map((r) => r.epoch);
    if (trimmed.length > 0) parts.push(`${spans(trimmed)} not drawn (the chart keeps the latest ${MAX_SIGNAL_LINES} epochs)`);
    if (parts.length === 0) return '';
    const text = parts.join('; ');
    return `${text[0].toUpperCase()}${text.slice(1)}.`;
  }

  /** The layers on x, from the latest measurement (every measurement of a run has the same). */
  layers(): SignalsReport['layers'] {
    return this.reports[this.reports.length - 1]?.layers ?? [];
  }

  /** Aligned series: x (0, 1, … per layer), then one per shown measurement; null where a value cannot go on a log axis. */
  series(kind: SignalKind): (number | null)[][] {
    const n = this.layers().length;
    const x = Array.from({ length: n }, (_, i) => i);
    return [x, ...this.shown().map((r) => x.map((i) => logValue(r.layers[i]?.[kind])))];
  }

  /** The line of each shown measurement, in the order of `series`. */
  styles(): SeriesStyle[] {
    const shown = this.shown();
    const latest = shown[shown.length - 1];
    return shown.map((r) => {
      const label = r.epoch === 0 ? 'initial' : `epoch ${r.epoch}`;
      if (r.epoch === 0) return { label, color: CHART_COLORS.purple, width: r === latest ? 2.5 : 1.5, dash: [6, 4], points: true };
      if (r === latest) return { label, color: CHART_COLORS.orange, width: 2.5, points: true };
      return { label, color: CHART_COLORS.blue, width: 1, alpha: 0.45, points: false };
    });
  }

  /**
   * The shown lines with their legend entries: one per kind of line, each
   * named: `initial`, the earlier epochs (drawn alike: one entry, on the
   * first of them, `epochs 3–11`) and the latest (`epoch 12`).
   */
  lines(): SignalLine[] {
    const shown = this.shown();
    const earlier = shown.filter((r, i) => r.epoch > 0 && i < shown.length - 1);
    return this.styles().map((style, i) => {
      const r = shown[i];
      if (!earlier.includes(r)) return { style, legend: style.label };
      return r === earlier[0] ? { style, legend: epochRange(r.epoch, earlier[earlier.length - 1].epoch) } : { style };
    });
  }

  /** The table fallback: a row per layer (named as the graph labels it, LayerName) with the first and latest measurements. */
  table(): { head: string[]; rows: string[][] } {
    const shown = this.shown();
    const cols = shown.length > 1 ? [shown[0], shown[shown.length - 1]] : shown;
    const name = (r: SignalsReport) => (r.epoch === 0 ? 'initial' : `epoch ${r.epoch}`);
    const head = ['layer', 'line', ...cols.flatMap((r) => [`output RMS, ${name(r)}`, `gradient RMS, ${name(r)}`])];
    const rows = layerNames(this.layers()).map((n, i) => [
      n.repeat ? `${n.label} (${n.repeat.index} of ${n.repeat.count})` : n.label,
      n.file ? `${n.line} of ${n.file}` : String(n.line),
      ...cols.flatMap((r) => [rms(r.layers[i]?.activation), rms(r.layers[i]?.gradient)]),
    ]);
    return { head, rows };
  }
}

/** Epoch numbers (ascending) as runs: "epochs 1–2", "epoch 4, epochs 6–7". */
function spans(epochs: readonly number[]): string {
  const out: string[] = [];
  let first = epochs[0];
  for (let i = 1; i <= epochs.length; i++) {
    if (i < epochs.length && epochs[i] === epochs[i - 1] + 1) continue;
    out.push(epochRange(first, epochs[i - 1]));
    first = epochs[i];
  }
  return out.join(', ');
}

function logValue(v: number | undefined): number | null {
  return v !== undefined && Number.isFinite(v) && v > 0 ? v : null;
}

function rms(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '' : v.toExponential(2);
}

/** Least room in px between two labels of the charts' log (RMS) axis: a 12 px label and a gap. */
export const LOG_LABEL_SPACE = 28;
/** Least room in px between two grid lines of the log axis; closer lines would fill the plot. */
export const LOG_GRID_SPACE = 8;
/** How many decades apart the labels (and, when decades are closer than LOG_GRID_SPACE, the grid lines) may be: every decade, every 2nd, 3rd, …. */
const DECADE_STEPS = [1, 2, 3, 5, 10, 20, 30, 50, 100];

/**
 * The ticks of a log axis from `min` to `max` drawn over `px` pixels:
 * `splits` where grid lines and ticks go, `labels` those of them that are
 * named. The labels are the densest of 1…9, 1-2-5 or 1 per decade whose
 * neighbours are at least `space` px apart, else the powers of ten whose
 * exponent is a multiple of 2, 3, 5, 10, … (1e-6, 1e-3, 1e0: every 3rd
 * decade); the grid lines are as dense again as LOG_GRID_SPACE allows and
 * always include the labelled ticks. uPlot's own choice (its
 * log10AxisValsFilt) skips splits counted over every 1…9 tick, so that
 * skipping every 3rd kept every decade: a 180 px chart over 7 decades
 * named each one, the labels overlapping.
 */
export function logAxisTicks(min: number, max: number, px: number, space = LOG_LABEL_SPACE): { splits: number[]; labels: number[] } {
  if (!(min > 0 && max > min && Number.isFinite(max) && px > 0)) return { splits: [], labels: [] };
  const perDecade = px / (Math.log10(max) - Math.log10(min));
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  // Exact decimal values (1e-5, not 10 ** -5), within the range up to rounding.
  const inRange = (v: number) => v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9);
  const ticks = (mantissas: readonly number[], step: number) => {
    const out: number[] = [];
    for (let e = lo; e <= hi; e++) {
      if (e % step !== 0) continue;
      for (const m of mantissas) {
        const v = Number(`${m}e${e}`);
        if (inRange(v)) out.push(v);
      }
    }
    return out;
  };
  // Candidate tick sets, densest first, each with the least px between two of its ticks; each holds every later one with the same step.
  const sets: { mantissas: number[]; step: number; gap: number }[] = [
    { mantissas: [1, 2, 3, 4, 5, 6, 7, 8, 9], step: 1, gap: perDecade * Math.log10(10 / 9) },
    { mantissas: [1, 2, 5], step: 1, gap: perDecade * Math.log10(2) },
    ...DECADE_STEPS.map((step) => ({ mantissas: [1], step, gap: perDecade * step })),
  ];
  const label = sets.find((s) => s.gap >= space) ?? sets[sets.length - 1];
  let labels = ticks(label.mantissas, label.step);
  // A range between two labelled decades (2e-7 … 8e-4 labelling every 5th): its power of ten nearest the middle, so that the axis is not blank.
  if (labels.length === 0) {
    const mid = (Math.log10(min) + Math.log10(max)) / 2;
    const nearest = ticks([1], 1).sort((a, b) => Math.abs(Math.log10(a) - mid) - Math.abs(Math.log10(b) - mid))[0];
    labels = nearest === undefined ? [] : [nearest];
  }
  // The grid: the densest set with lines LOG_GRID_SPACE apart that holds the labels (their mantissas, a step dividing theirs).
  const holds = (s: (typeof sets)[number]) => label.mantissas.every((m) => s.mantissas.includes(m)) && label.step % s.step === 0;
  const grid = sets.find((s) => s.gap >= LOG_GRID_SPACE && holds(s)) ?? label;
  const splits = [...new Set([...ticks(grid.mantissas, grid.step), ...labels])].sort((a, b) => a - b);
  return { splits, labels };
}
