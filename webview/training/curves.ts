/**
 * The Training tab's data: a pure accumulation of `training` events into
 * aligned series for the charts (no DOM, unit tested in Node). x is the
 * fractional epoch: batch b of n in epoch e sits at e − 1 + b/n, an epoch's
 * figures at e. A generative objective's images (`samples` events) are kept
 * too: the forward strip and a bounded history of generated ones
 * (stripModel.ts).
 */
import type { TrainingEvent } from '../../extension/core/protocol';
import type { EpochLogs } from '../../extension/core/runtime/train';
import { addStrip, storeStrip, type StoredStrip } from './stripModel';
import { plural, trainingExamples } from '../../extension/core/plural';
import { layersLoadedText } from '../../extension/core/runtime/checkpoint';
import { bestEpoch, bestText, overfitVerdict, type EpochFigures } from '../../extension/core/runtime/overfit';

/** Most batch points kept: older ones are thinned so drawing stays cheap. */
export const MAX_BATCH_POINTS = 1500;

/**
 * Metrics that are losses (a GAN's `d_loss`, the discriminator's): drawn on
 * the loss chart beside `loss`, on its scale, not among the metrics.
 */
export function isLossMetric(name: string): boolean {
  return /(^|_)loss$/.test(name);
}

/** Metrics that are probabilities or fractions, always in [0, 1]: a chart of only these keeps its y axis at [0, 1]. */
export const UNIT_METRICS: ReadonlySet<string> = new Set(['accuracy', 'd_real', 'd_fake']);

/**
 * Metrics that are a ratio to the real data's figure, 1 when alike (a GAN's
 * `diversity`, runtime/diversity.ts): they share the [0, 1] axis of the
 * fractions, which grows (by halves) to show one above 1.
 */
export const RATIO_METRICS: ReadonlySet<string> = new Set(['diversity']);

export interface EpochRow {
  epoch: number;
  loss: number;
  valLoss?: number;
  metrics: Record<string, number>;
  valMetrics: Record<string, number>;
  ms: number;
  examples: number;
}

/**
 * Trained weights the inspector shows that did not come from the run drawn
 * in this page: a checkpoint on disk, Load Weights, or a run in another
 * inspector of this window. `history` is the checkpoint's
 * `nnmodel.history`, the epochs of the runs that produced the weights.
 */
export interface LoadedWeights {
  model: string;
  epoch: number;
  /** The checkpoint folder (workspace-relative), when the host names one. */
  from?: string;
  history: EpochLogs[];
  /** How many of the model's layers with weights took the checkpoint's, out of `total` (the inspector's banner names the rest). */
  loaded?: number;
  total?: number;
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function numberRecord(v: unknown): Record<string, number> | undefined {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) return undefined;
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v)) if (finite(x)) out[k] = x;
  return out;
}

/**
 * The usable entries of a checkpoint's `nnmodel.history` (a file on disk:
 * older, hand-edited or damaged ones must not break the tab). Keeps entries
 * with a positive integer epoch and a finite loss, drops non-numeric
 * metrics, and keeps the last entry of an epoch listed twice; sorted by
 * epoch. Anything that is not an array gives [].
 */
export function historyEntries(value: unknown): EpochLogs[] {
  if (!Array.isArray(value)) return [];
  const byEpoch = new Map<number, EpochLogs>();
  for (const e of value as unknown[]) {
    if (typeof e !== 'object' || e === null) continue;
    const r = e as Record<string, unknown>;
    if (!finite(r.epoch) || !Number.isInteger(r.epoch) || r.epoch < 1 || !finite(r.loss)) continue;
    const metrics = numberRecord(r.metrics);
    const valMetrics = numberRecord(r.valMetrics);
    if (!metrics || !valMetrics) continue;
    byEpoch.set(r.epoch, {
      epoch: r.epoch,
      epochs: finite(r.epochs) ? r.epochs : r.epoch,
      loss: r.loss,
      metrics,
      ...(finite(r.valLoss) ? { valLoss: r.valLoss } : {}),
      ...(Object.keys(valMetrics).length ? { valMetrics } : {}),
      examples: finite(r.examples) ? r.examples : 0,
      ms: finite(r.ms) ? r.ms : 0,
    });
  }
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

/** The Training tab's status line for loaded weights ("LeNet5: weights of epoch 3 loaded from .nnmodel/lenet5/LeNet5 · …"). */
export function loadedText(w: LoadedWeights): string {
  const where = w.from ? `loaded from ${w.from}` : 'from a training run in this window';
  const n = w.history.filter((h) => h.epoch <= w.epoch).length;
  const curves = n === 0 ? 'the checkpoint keeps no per-epoch figures' : `below, the ${n === 1 ? 'epoch' : plural(n, 'epoch')} of training that produced them`;
  const partial = w.loaded !== undefined && w.total !== undefined && w.loaded < w.total;
  if (partial) return `${w.model}: only ${layersLoadedText(w.loaded!, w.total!)} from the weights of epoch ${w.epoch} ${w.from ? `in ${w.from}` : 'of a training run in this window'}; the rest keep their initial weights (the note above says why) · ${curves}.`;
  return `${w.model}: weights of epoch ${w.epoch} ${where} · ${curves}.`;
}

/**
 * What the Training tab shows: the run of this page, the history of the
 * loaded weights, or its empty state. Only the model the inspector shows
 * (`inspected`; '' or undefined before any model came) counts: the run or
 * weights of another model are never shown as this one's. A run in
 * progress always wins; the weights of this page's own run (no folder,
 * same model) are that run's, so its live curves stay; otherwise whichever
 * came last (`weightsAfterRun`): Load Weights after a run shows the loaded
 * checkpoint, a run started (or refused) after weights were loaded shows
 * the run.
 */
export function chooseShown(
  run: Pick<TrainingCurves, 'run' | 'status' | 'model'> & { uri?: string },
  shownWeights: LoadedWeights | undefined,
  weightsAfterRun: boolean,
  inspected?: string,
  inspectedUri?: string,
): 'run' | 'weights' | 'empty' {
  const ours = (model: string) => !inspected || model === inspected;
  // A run of a model with the same name in another file (a copy of an example) is not this model's.
  const sameDocument = !inspectedUri || !run.uri || run.uri === inspectedUri;
  const hasRun = run.run >= 0 && ours(run.model) && sameDocument;
  const weights = shownWeights && ours(shownWeights.model) ? shownWeights : undefined;
  if (!weights) return hasRun ? 'run' : 'empty';
  if (!hasRun) return 'weights';
  if (run.status === 'idle' || run.status === 'running') return 'run';
  if (weights.from === undefined && weights.model === run.model) return 'run';
  return weightsAfterRun ? 'weights' : 'run';
}

/**
 * The Training tab's status line when it has nothing of the model the
 * inspector shows (`inspected`, '' before any model came): no run of it
 * yet, and, when this page's last run (`last`) trained another model,
 * where that run is shown, rather than showing it as this model's.
 */
export function emptyText(inspected: string, last?: Pick<TrainingCurves, 'run' | 'model' | 'status'>, lastFile?: string): string {
  const head = inspected ? `No run of ${inspected} yet.` : 'No training yet.';
  const how = 'Run “nnmodel: Train Model” (or the Train lens above a model) to see loss and accuracy here.';
  if (!inspected || !last || last.run < 0 || !last.model || (last.model === inspected && !lastFile)) return `${head} ${how}`;
  // `lastFile`: the last run's model is in another file (its name may be this model's).
  const which = lastFile ? `${last.model} of ${lastFile}` : last.model;
  const other = last.status === 'idle' || last.status === 'running'
    ? `${which} is training in this inspector: its curves show when the inspector shows ${which}.`
    : `The last run in this inspector trained ${which}: its curves show when the inspector shows ${which}.`;
  return `${head} ${how} ${other}`;
}

/**
 * The Training tab's status line for this page's run ("M: training · epoch
 * 1/2, batch 3/10 · digits, 1 example · in this inspector on WASM").
 */
export function runText(c: Pick<TrainingCurves, 'model' | 'status' | 'position' | 'epochs' | 'backend' | 'source' | 'examples' | 'validation' | 'resumedFrom' | 'message'>): string {
  const pos = c.position.batches ? `epoch ${c.position.epoch}/${c.epochs}, batch ${c.position.batch}/${c.position.batches}` : '';
  const state = { idle: 'starting', running: 'training', completed: 'done', cancelled: 'stopped', failed: 'failed', loaded: 'loaded' }[c.status];
  const backend = c.backend ? ` · in this inspector on ${c.backend === 'webgl' ? 'WebGL' : c.backend.toUpperCase()}` : '';
  const resumed = c.resumedFrom ? ` · continued from epoch ${c.resumedFrom}` : '';
  return `${c.model}: ${state}${pos ? ` · ${pos}` : ''}${c.source ? ` · ${c.source}, ${trainingExamples(c.examples, c.validation)}` : ''}${backend}${resumed}${c.message ? ` · ${c.message}` : ''}`;
}

/**
 * What the Training tab's live region (role=status, aria-live polite) says
 * about a run: its start, each finished epoch with its losses, and how it
 * ended. Not its batches: the status line changes at every batch, and a
 * screen reader that read each change would never stop talking. The text
 * changes only when there is something new to say.
 */
export function announceText(c: Pick<TrainingCurves, 'model' | 'status' | 'epochs' | 'rows' | 'message'>): string {
  const last = c.rows[c.rows.length - 1];
  const figures = last ? `loss ${announceNumber(last.loss)}${last.valLoss === undefined ? '' : `, validation loss ${announceNumber(last.valLoss)}`}` : '';
  const epoch = last ? `epoch ${last.epoch} of ${c.epochs} done: ${figures}` : '';
  switch (c.status) {
    case 'idle':
    case 'running':
      return last ? `${c.model}: ${epoch}` : `${c.model}: training started${c.epochs ? `, ${plural(c.epochs, 'epoch')}` : ''}`;
    case 'completed':
      return `${c.model}: training done${last ? `, ${figures}` : ''}`;
    case 'cancelled':
      return `${c.model}: training stopped${last ? ` after epoch ${last.epoch}` : ''}`;
    case 'failed':
      return `${c.model}: training failed${c.message ? `: ${c.message}` : ''}`;
    case 'loaded':
      return '';
  }
}

/** A loss as said aloud: 4 significant digits, no exponent for the usual range. */
function announceNumber(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(4))) : String(v);
}

/**
 * Which came last, a run event or a change of the loaded weights (the
 * `weightsAfterRun` of chooseShown), and whether weights handed to the
 * Training tab are new. Weights are identified by `seq`, the number
 * TrainedWeights.remember gives each weights message: every new session
 * (one per edit) applies the same message again, which is no change, while
 * Load Weights of the same checkpoint, or a retrained checkpoint with the
 * same epoch and folder, is a new message and so comes after the run.
 */
export class ShownOrder {
  private tick = 0;
  private runTick = 0;
  private weightsTick = 0;
  private key = '';

  /** A run event that changed the curves. */
  run(): void {
    this.runTick = ++this.tick;
  }

  /** The weights now applied to `model` (undefined: its initial weights); true when they differ from the last ones. */
  weights(model: string, applied: { seq: number } | undefined): boolean {
    const key = applied ? `${model}#${applied.seq}` : '';
    if (key === this.key) return false;
    this.key = key;
    this.weightsTick = ++this.tick;
    return true;
  }

  /** The weights changed after the last run event. */
  get weightsAfterRun(): boolean {
    return this.weightsTick > this.runTick;
  }
}

/** The best epoch as the loss chart marks it: at (epoch, val_loss), with a short label and the sentence for the page. */
export interface BestMarker {
  x: number;
  y: number;
  /** On the chart, beside the marker: "best · epoch 6". */
  label: string;
  /** Under the charts: "Best: val_loss lowest at epoch 6 (0.412), marked on the loss chart." */
  text: string;
}

/**
 * The marker of the lowest val_loss of `figures` (runtime/overfit.ts
 * `bestEpoch`; a continued run's include the epochs before it, which the
 * loss chart draws too: `TrainingCurves.figures`); undefined without
 * validation.
 */
export function bestMarker(figures: readonly EpochFigures[]): BestMarker | undefined {
  const b = bestEpoch(figures);
  if (!b) return undefined;
  return { x: b.epoch, y: b.valLoss, label: `best \u00b7 epoch ${b.epoch}`, text: `Best: ${bestText(b)}, marked on the loss chart.` };
}

/** The overfitting line under the charts (runtime/overfit.ts `overfitVerdict`), undefined when the curves show none. */
export function overfitLine(rows: readonly EpochFigures[]): string | undefined {
  const v = overfitVerdict(rows);
  // val_loss is a name: the sentence keeps its lower case.
  return v && `${v.text}.`;
}

/**
 * The value of an epoch-level series (loss, val_loss) the loss chart's
 * legend shows with the cursor at row `idx`: its own, or, on a batch's row
 * (a fractional x, where the series has no point), that of the nearest
 * epoch with one (the later of two as near). null when the series has none.
 */
export function nearestEpochValue(xs: ArrayLike<number | null | undefined>, ys: ArrayLike<number | null | undefined>, idx: number): number | null {
  const x = xs[idx];
  if (x === null || x === undefined) return null;
  const own = ys[idx];
  if (own !== null && own !== undefined) return own;
  let before = idx - 1;
  while (before >= 0 && (ys[before] === null || ys[before] === undefined)) before--;
  let after = idx + 1;
  while (after < ys.length && (ys[after] === null || ys[after] === undefined)) after++;
  const dist = (k: number) => (k < 0 || k >= ys.length ? Infinity : Math.abs((xs[k] ?? Infinity) - x));
  const k = dist(after) <= dist(before) ? after : before;
  return k >= 0 && k < ys.length ? (ys[k] ?? null) : null;
}

/**
 * Whether `history` (a checkpoint's epochs, up to `epoch`) is the account
 * of the training whose epochs are `figures`: the same epochs, up to and
 * including `epoch`, with the same loss and val_loss (exact: the
 * checkpoint keeps the numbers the run reported). So the page can tell that
 * weights it is shown, or a checkpoint a run continues, came from its own
 * run, whose Signal & gradients it still holds.
 */
export function sameTraining(figures: readonly EpochFigures[], history: readonly EpochFigures[], epoch: number): boolean {
  const mine = figures.filter((f) => f.epoch <= epoch);
  const theirs = historyEntries(history).filter((h) => h.epoch <= epoch);
  if (theirs.length === 0 || mine.length !== theirs.length || !mine.some((f) => f.epoch === epoch)) return false;
  const byEpoch = new Map(mine.map((f) => [f.epoch, f]));
  return theirs.every((h) => {
    const f = byEpoch.get(h.epoch);
    return f !== undefined && f.loss === h.loss && (f.valLoss ?? null) === (h.valLoss ?? null);
  });
}

export class TrainingCurves {
  run = -1;
  model = '';
  /** 'loaded': not a run but the history of loaded weights (`fromHistory`). */
  status: 'idle' | 'running' | 'completed' | 'cancelled' | 'failed' | 'loaded' = 'idle';
  message = '';
  epochs = 0;
  backend = '';
  source = '';
  /** The examples the run trains on, and those it holds out for validation (the `start` event's). */
  examples = 0;
  validation = 0;
  /** Epoch of the checkpoint the run continues, 0 for fresh weights. */
  resumedFrom = 0;
  /** Warnings of the run (layers a resumed checkpoint no longer fits). */
  warnings: string[] = [];
  /**
   * The epochs of the checkpoint the run continues (its `start` event's
   * history): drawn on the charts and listed in the table before the run's
   * (`allRows`), and counted by `figures`. Metrics, time and examples are
   * those the checkpoint kept ({} and 0 when it kept none).
   */
  earlier: EpochRow[] = [];
  /** The batch in progress. */
  position = { epoch: 0, batch: 0, batches: 0 };
  batchX: number[] = [];
  batchLoss: number[] = [];
  rows: EpochRow[] = [];
  /** The forward (noising) strip of a diffusion run, once it came. */
  forward: StoredStrip | undefined;
  /** Generated strips by epoch, at most `MAX_STRIPS`, spread over the run. */
  generated: StoredStrip[] = [];

  /** The epoch figures of loaded weights' history (up to their epoch) as curves with status 'loaded' and no batch points. */
  static fromHistory(w: LoadedWeights): TrainingCurves {
    const c = new TrainingCurves();
    c.model = w.model;
    c.status = 'loaded';
    c.epochs = w.epoch;
    for (const h of historyEntries(w.history)) {
      if (h.epoch > w.epoch) continue;
      c.rows.push({ epoch: h.epoch, loss: h.loss, valLoss: h.valLoss, metrics: h.metrics, valMetrics: h.valMetrics ?? {}, ms: h.ms, examples: h.examples });
    }
    return c;
  }

  /** Applies one event; a new run number starts afresh. Returns whether anything changed. */
  apply(run: number, model: string, e: TrainingEvent): boolean {
    if (run !== this.run) {
      if (run < this.run) return false;
      this.reset(run, model);
    }
    switch (e.kind) {
      case 'start':
        this.status = 'running';
        this.epochs = e.epochs;
        this.examples = e.examples;
        this.validation = e.validation ?? 0;
        this.backend = e.backend;
        this.source = e.source;
        this.resumedFrom = e.resumedFrom ?? 0;
        this.earlier = historyEntries(e.history ?? [])
          .filter((h) => h.epoch <= this.resumedFrom)
          .map((h) => ({ epoch: h.epoch, loss: h.loss, ...(h.valLoss !== undefined ? { valLoss: h.valLoss } : {}), metrics: h.metrics, valMetrics: h.valMetrics ?? {}, ms: h.ms, examples: h.examples }));
        return true;
      case 'batch':
        this.status = 'running';
        this.position = { epoch: e.epoch, batch: e.batch, batches: e.batches };
        this.batchX.push(e.epoch - 1 + e.batch / e.batches);
        this.batchLoss.push(e.loss);
        if (this.batchX.length > MAX_BATCH_POINTS) this.thin();
        return true;
      case 'epoch':
        this.rows = this.rows.filter((r) => r.epoch !== e.epoch);
        this.rows.push({ epoch: e.epoch, loss: e.loss, valLoss: e.valLoss, metrics: e.metrics, valMetrics: e.valMetrics ?? {}, ms: e.ms, examples: e.examples });
        return true;
      case 'warning':
        this.warnings.push(e.message);
        return true;
      case 'samples': {
        const strip = storeStrip(e.strip);
        if (!strip) {
          this.warnings.push(`A strip of sample images after epoch ${e.strip.epoch} was malformed and is not shown.`);
          return true;
        }
        if (strip.kind === 'forward') this.forward = strip;
        else this.generated = addStrip(this.generated, strip);
        return true;
      }
      case 'signals':
        // Drawn by the Signal & gradients chart (signalsModel.ts), not by the curves.
        return false;
      case 'done':
        this.status = e.status;
        this.message = e.message ?? '';
        return true;
    }
  }

  private reset(run: number, model: string): void {
    this.run = run;
    this.model = model;
    this.status = 'idle';
    this.message = '';
    this.warnings = [];
    this.resumedFrom = 0;
    this.earlier = [];
    this.batchX = [];
    this.batchLoss = [];
    this.rows = [];
    this.forward = undefined;
    this.generated = [];
    this.position = { epoch: 0, batch: 0, batches: 0 };
  }

  /** Halves the batch points by averaging neighbours. */
  private thin(): void {
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 0; i + 1 < this.batchX.length; i += 2) {
      x.push((this.batchX[i] + this.batchX[i + 1]) / 2);
      y.push((this.batchLoss[i] + this.batchLoss[i + 1]) / 2);
    }
    if (this.batchX.length % 2) {
      x.push(this.batchX[this.batchX.length - 1]);
      y.push(this.batchLoss[this.batchLoss.length - 1]);
    }
    this.batchX = x;
    this.batchLoss = y;
  }

  /**
   * Every epoch of the training the curves belong to: a continued run's
   * earlier epochs, then its own. The best epoch and the
   * overfitting verdict read these, as the CLI, the output channel and
   * best.json do.
   */
  figures(): EpochFigures[] {
    return [...this.earlierOnly(), ...this.rows];
  }

  /** The checkpoint's epochs this run has not trained again. */
  private earlierOnly(): EpochRow[] {
    const own = new Set(this.rows.map((r) => r.epoch));
    return this.earlier.filter((h) => !own.has(h.epoch));
  }

  /** The rows of every epoch the charts draw, by epoch: a continued run's earlier ones, then its own (the epochs' table). */
  allRows(): EpochRow[] {
    return [...this.earlierOnly(), ...this.rows].sort((a, b) => a.epoch - b.epoch);
  }

  /** The metric `name` of `epoch` (a GAN's `diversity` beside that epoch's strip), if that epoch has one. */
  epochMetric(epoch: number, name: string): number | undefined {
    return this.allRows().find((r) => r.epoch === epoch)?.metrics[name];
  }

  /** Every metric name seen, in the order first seen (the table's columns). */
  allMetricNames(): string[] {
    const names = new Set<string>();
    for (const r of this.allRows()) for (const k of Object.keys(r.metrics)) names.add(k);
    return [...names];
  }

  /** Metric names for the metrics chart (`accuracy`, a GAN's `d_real`, `d_fake`): all but the losses. */
  metricNames(): string[] {
    return this.allMetricNames().filter((n) => !isLossMetric(n));
  }

  /** Metrics drawn on the loss chart (a GAN's `d_loss`). */
  lossMetricNames(): string[] {
    return this.allMetricNames().filter(isLossMetric);
  }

  /**
   * Names with a validation figure in some epoch ('loss' for `valLoss`): a
   * metric without one (a GAN's, which holds nothing out) gets no empty
   * validation series or column.
   */
  validated(): Set<string> {
    const names = new Set<string>();
    for (const r of this.allRows()) {
      if (r.valLoss !== undefined) names.add('loss');
      for (const [k, v] of Object.entries(r.valMetrics)) if (v !== undefined) names.add(k);
    }
    return names;
  }

  /**
   * The metrics chart's y range: [0, 1] when every metric on it is a
   * fraction (`UNIT_METRICS`) or a ratio to the data's (`RATIO_METRICS`),
   * up to the next half above the largest ratio when one exceeds 1; else
   * undefined (fit to the data).
   */
  metricRange(): [number, number] | undefined {
    const names = this.metricNames();
    if (names.length === 0 || !names.every((n) => UNIT_METRICS.has(n) || RATIO_METRICS.has(n))) return undefined;
    let top = 1;
    for (const r of this.allRows()) {
      for (const n of names) {
        if (!RATIO_METRICS.has(n)) continue;
        for (const v of [r.metrics[n], r.valMetrics[n]]) if (v !== undefined && Number.isFinite(v) && v > top) top = Math.ceil(v * 2) / 2;
      }
    }
    return [0, top];
  }

  /**
   * Aligned series for the loss chart: x, batch loss, epoch loss,
   * validation loss, then for each of `lossMetricNames()` its training
   * values and, when `validated()` has it, its validation values (null
   * where a series has no point at that x). A continued run's epochs start
   * with the checkpoint's (`earlier`: their loss and val_loss), so its curves
   * and best epoch read as a fresh run's.
   */
  lossSeries(): (number | null)[][] {
    const val = this.validated();
    const extra = this.lossMetricNames().flatMap((n): [string, 'metrics' | 'valMetrics'][] => (val.has(n) ? [[n, 'metrics'], [n, 'valMetrics']] : [[n, 'metrics']]));
    const points: (number | null)[][] = [];
    this.batchX.forEach((x, i) => points.push([x, this.batchLoss[i], null, null, ...extra.map(() => null)]));
    for (const r of this.allRows()) points.push([r.epoch, null, r.loss, r.valLoss ?? null, ...extra.map(([n, key]) => r[key][n] ?? null)]);
    points.sort((a, b) => (a[0] as number) - (b[0] as number));
    // One row per x: an epoch's last batch and its epoch figures share x = e, and uPlot needs x strictly
    // increasing (its visible window ends at the first x equal to the scale's max, so a second row there
    // would be neither drawn nor counted in the y range).
    const rows: (number | null)[][] = [];
    for (const p of points) {
      const last = rows[rows.length - 1];
      if (last !== undefined && last[0] === p[0]) {
        for (let k = 1; k < p.length; k++) if (last[k] === null) last[k] = p[k];
      } else rows.push(p);
    }
    const out: (number | null)[][] = [];
    for (let k = 0; k < 4 + extra.length; k++) out.push(rows.map((p) => p[k]));
    return out;
  }

  /**
   * The x range both charts share, in epochs: from the start of the first
   * epoch drawn (batch progress of epoch e lies in (e − 1, e]; a continued
   * run's first is the checkpoint's first) to the end of the last one begun,
   * so that one epoch spans [0, 1] on both charts and the epoch in progress
   * has its whole width. undefined with nothing to draw.
   */
  xRange(): [number, number] | undefined {
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of this.batchX) {
      lo = Math.min(lo, Math.ceil(x) - 1);
      hi = Math.max(hi, Math.ceil(x));
    }
    for (const r of [...this.earlier, ...this.rows]) {
      lo = Math.min(lo, r.epoch - 1);
      hi = Math.max(hi, r.epoch);
    }
    return lo <= hi ? [Math.max(0, lo), hi] : undefined;
  }

  /** Aligned series per epoch for the metrics chart: x, then for each metric its training values and, when `validated()` has it, its validation values. */
  metricSeries(): (number | null)[][] {
    const val = this.validated();
    const rows = this.allRows();
    const out: (number | null)[][] = [rows.map((r) => r.epoch)];
    for (const n of this.metricNames()) {
      out.push(rows.map((r) => r.metrics[n] ?? null));
      if (val.has(n)) out.push(rows.map((r) => r.valMetrics[n] ?? null));
    }
    return out;
  }
}
