/**
 * The Training tab's data: a pure accumulation of `training` events into
 * aligned series for the charts (no DOM, unit tested in Node). x is the
 * fractional epoch: batch b of n in epoch e sits at e − 1 + b/n, an epoch's
 * figures at e. A generative objective's images (`samples` events) are kept
 * too: the forward strip and a bounded history of generated ones
 * (stripModel.ts).
 */
import type { TrainingEvent } from '../../extension/core/protocol';
import { addStrip, storeStrip, type StoredStrip } from './stripModel';

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

export interface EpochRow {
  epoch: number;
  loss: number;
  valLoss?: number;
  metrics: Record<string, number>;
  valMetrics: Record<string, number>;
  ms: number;
  examples: number;
}

export class TrainingCurves {
  run = -1;
  model = '';
  status: 'idle' | 'running' | 'completed' | 'cancelled' | 'failed' = 'idle';
  message = '';
  epochs = 0;
  backend = '';
  source = '';
  examples = 0;
  /** Epoch of the checkpoint the run continues, 0 for fresh weights. */
  resumedFrom = 0;
  /** Warnings of the run (layers a resumed checkpoint no longer fits). */
  warnings: string[] = [];
  /** The batch in progress. */
  position = { epoch: 0, batch: 0, batches: 0 };
  batchX: number[] = [];
  batchLoss: number[] = [];
  rows: EpochRow[] = [];
  /** The forward (noising) strip of a diffusion run, once it came. */
  forward: StoredStrip | undefined;
  /** Generated strips by epoch, at most `MAX_STRIPS`, spread over the run. */
  generated: StoredStrip[] = [];

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
        this.backend = e.backend;
        this.source = e.source;
        this.resumedFrom = e.resumedFrom ?? 0;
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

  /** Every metric name seen, in the order first seen (the table's columns). */
  allMetricNames(): string[] {
    const names = new Set<string>();
    for (const r of this.rows) for (const k of Object.keys(r.metrics)) names.add(k);
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
    for (const r of this.rows) {
      if (r.valLoss !== undefined) names.add('loss');
      for (const [k, v] of Object.entries(r.valMetrics)) if (v !== undefined) names.add(k);
    }
    return names;
  }

  /** The metrics chart's y range: [0, 1] when every metric on it is a fraction (`UNIT_METRICS`), else undefined (fit to the data). */
  metricRange(): [number, number] | undefined {
    const names = this.metricNames();
    return names.length > 0 && names.every((n) => UNIT_METRICS.has(n)) ? [0, 1] : undefined;
  }

  /**
   * Aligned series for the loss chart: x, batch loss, epoch loss,
   * validation loss, then for each of `lossMetricNames()` its training
   * values and, when `validated()` has it, its validation values (null
   * where a series has no point at that x).
   */
  lossSeries(): (number | null)[][] {
    const val = this.validated();
    const extra = this.lossMetricNames().flatMap((n): [string, 'metrics' | 'valMetrics'][] => (val.has(n) ? [[n, 'metrics'], [n, 'valMetrics']] : [[n, 'metrics']]));
    const points: (number | null)[][] = [];
    this.batchX.forEach((x, i) => points.push([x, this.batchLoss[i], null, null, ...extra.map(() => null)]));
    for (const r of this.rows) points.push([r.epoch, null, r.loss, r.valLoss ?? null, ...extra.map(([n, key]) => r[key][n] ?? null)]);
    points.sort((a, b) => (a[0] as number) - (b[0] as number));
    const out: (number | null)[][] = [];
    for (let k = 0; k < 4 + extra.length; k++) out.push(points.map((p) => p[k]));
    return out;
  }

  /** Aligned series per epoch for the metrics chart: x, then for each metric its training values and, when `validated()` has it, its validation values. */
  metricSeries(): (number | null)[][] {
    const val = this.validated();
    const rows = [...this.rows].sort((a, b) => a.epoch - b.epoch);
    const out: (number | null)[][] = [rows.map((r) => r.epoch)];
    for (const n of this.metricNames()) {
      out.push(rows.map((r) => r.metrics[n] ?? null));
      if (val.has(n)) out.push(rows.map((r) => r.valMetrics[n] ?? null));
    }
    return out;
  }
}
