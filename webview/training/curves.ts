/**
 * The Training tab's data: a pure accumulation of `training` events into
 * aligned series for the charts (no DOM, unit tested in Node). x is the
 * fractional epoch: batch b of n in epoch e sits at e − 1 + b/n, an epoch's
 * figures at e.
 */
import type { TrainingEvent } from '../../extension/core/protocol';

/** Most batch points kept: older ones are thinned so drawing stays cheap. */
export const MAX_BATCH_POINTS = 1500;

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

  /** Metric names seen, training ones first (`accuracy`), for the metrics chart. */
  metricNames(): string[] {
    const names = new Set<string>();
    for (const r of this.rows) for (const k of Object.keys(r.metrics)) names.add(k);
    return [...names];
  }

  /**
   * Aligned series for the loss chart: x, batch loss, epoch loss,
   * validation loss (null where a series has no point at that x).
   */
  lossSeries(): [number[], (number | null)[], (number | null)[], (number | null)[]] {
    const points: [number, number | null, number | null, number | null][] = [];
    this.batchX.forEach((x, i) => points.push([x, this.batchLoss[i], null, null]));
    for (const r of this.rows) points.push([r.epoch, null, r.loss, r.valLoss ?? null]);
    points.sort((a, b) => a[0] - b[0]);
    return [points.map((p) => p[0]), points.map((p) => p[1]), points.map((p) => p[2]), points.map((p) => p[3])];
  }

  /** Aligned series per epoch for the metrics chart: x, then for each metric its training and validation values. */
  metricSeries(): (number | null)[][] {
    const names = this.metricNames();
    const rows = [...this.rows].sort((a, b) => a.epoch - b.epoch);
    const out: (number | null)[][] = [rows.map((r) => r.epoch)];
    for (const n of names) {
      out.push(rows.map((r) => r.metrics[n] ?? null));
      out.push(rows.map((r) => r.valMetrics[n] ?? null));
    }
    return out;
  }
}
