/**
 * What the host makes of a training run's events from the inspector page:
 * the progress notification's text and increments, the output channel's
 * lines (one per epoch) and the closing message. Pure (no `vscode`), so it
 * is unit tested in Node; training.ts feeds it and shows what it returns.
 */
import type { TrainingEvent } from '../../core/protocol';
import { formatEpoch } from '../../core/runtime/train';
import { epochRange, trainingExamples } from '../../core/plural';
import { bestEpoch, bestText, overfitVerdict, type EpochFigures } from '../../core/runtime/overfit';
import { CollapseNotice } from '../../core/runtime/diversity';

export interface ProgressUpdate {
  /** For `progress.report`: percent points to add and the message. */
  report?: { increment: number; message: string };
  /** Lines for the output channel. */
  lines: string[];
}

/** How a run ended, as the host saw it. */
export type RunEnd =
  | { kind: 'done'; status: 'completed' | 'cancelled' | 'failed'; message?: string }
  /** The page went away (panel closed, page reloaded) before the run said it was done. */
  | { kind: 'lost'; reason: string }
  /** Cancel was asked but the page did not stop in time. */
  | { kind: 'unresponsive' };

export interface RunSummary {
  severity: 'info' | 'error';
  /** The notification. */
  text: string;
  /** The output channel's closing line. */
  line: string;
}

export class TrainingProgress {
  private total = 1;
  private firstEpoch: number | undefined;
  private reported = 0;
  private lastEpochText = '';
  /** Epoch of the last checkpoint written in this run. */
  lastCheckpoint: number | undefined;
  /** Epoch this run last wrote as the best checkpoint (lowest val_loss so far). */
  private bestKept: number | undefined;
  /** The first epoch of the layers trained now, when the run continued an edited model (`bestWritten`). */
  private bestSince: number | undefined;
  /** A GAN's "may be collapsing" hint (runtime/diversity.ts): said once, when it first shows, as `nnmodel train` says it. */
  private readonly collapse = new CollapseNotice();

  constructor(
    readonly model: string,
    readonly batch: number,
    /** Where checkpoints go, as shown to the user. */
    readonly checkpointDir: string,
    /** The train section's `mixup: α`, said with the batch as `nnmodel train` says it. */
    readonly mixup?: number,
  ) {}

  /** The first line, before the page reports anything. */
  startLine(source: string, time: string): string {
    return `— ${time} training ${this.model} on ${source} in the inspector; checkpoints in ${this.checkpointDir}`;
  }

  apply(e: TrainingEvent): ProgressUpdate {
    switch (e.kind) {
      case 'start':
        this.total = Math.max(1, e.epochs - (e.resumedFrom ?? 0));
        return {
          report: { increment: 0, message: `epoch ${(e.resumedFrom ?? 0) + 1} of ${e.epochs} starting` },
          lines: [
            `${e.source} (${trainingExamples(e.examples, e.validation)}), ${epochRange((e.resumedFrom ?? 0) + 1, e.epochs)}, batch ${this.batch}${this.mixup !== undefined ? `, mixup α = ${this.mixup}` : ''}, backend ${e.backend} (the inspector's)${e.resumedFrom ? `, continuing from the checkpoint of epoch ${e.resumedFrom}` : ''}`,
          ],
        };
      case 'batch': {
        this.firstEpoch ??= e.epoch;
        const pct = Math.min(100, ((e.epoch - this.firstEpoch + e.batch / Math.max(1, e.batches)) / this.total) * 100);
        const increment = Math.max(0, pct - this.reported);
        this.reported = Math.max(this.reported, pct);
        return { report: { increment, message: `epoch ${e.epoch}, batch ${e.batch}/${e.batches} · loss ${e.loss.toFixed(4)}${this.lastEpochText}` }, lines: [] };
      }
      case 'epoch': {
        const acc = e.valMetrics?.accuracy;
        // Without accuracy (a regression such as waves), the validation loss: "Trained TCN." said nothing of how it did.
        this.lastEpochText = acc !== undefined ? ` · val_accuracy ${acc.toFixed(3)}` : e.valLoss !== undefined && Number.isFinite(e.valLoss) ? ` · val_loss ${e.valLoss.toFixed(4)}` : '';
        const epochs = (this.firstEpoch ?? e.epoch) - 1 + this.total;
        const collapse = this.collapse.next(e);
        return { lines: [formatEpoch({ ...e, epochs: Math.max(epochs, e.epoch) }), ...(collapse ? [collapse] : [])] };
      }
      case 'warning':
        return { lines: [`warning: ${e.message}`] };
      // Images are the page's to draw; the page does not send them here (runner.ts), and a line per strip would only repeat the epoch's.
      case 'samples':
      // Signal & gradients is the page's too (runner.ts does not relay it; the protocol refuses it).
      case 'signals':
      case 'done':
        return { lines: [] };
    }
  }

  /** A checkpoint of `epoch` was written. */
  checkpointWritten(epoch: number): void {
    this.lastCheckpoint = epoch;
  }

  /**
   * The best checkpoint now holds `epoch` (its val_loss the lowest of the history, from epoch `since` on
   * when the run continued a model whose layers were edited: `BestUpdate.since`).
   */
  bestWritten(epoch: number, since?: number): void {
    this.bestKept = epoch;
    if (since !== undefined) this.bestSince = since;
  }

  /**
   * The output channel's lines after the closing one, as `nnmodel train`
   * ends: the epoch with the lowest val_loss in `history` (the model's
   * epochs, a continued checkpoint's included), with where its weights are
   * when this run wrote them (`bestFile`), and the overfitting verdict when
   * the history ends with one. None without validation figures.
   */
  endLines(history: readonly EpochFigures[], bestFile: string): string[] {
    // After an edit of the layers, an earlier epoch's val_loss belongs to weights that no longer fit.
    const since = this.bestSince;
    const lowest = bestEpoch(since === undefined ? history : history.filter((h) => h.epoch >= since));
    if (!lowest) return [];
    const where = lowest.epoch === this.bestKept ? `; its weights are in ${bestFile}` : this.firstEpoch !== undefined && lowest.epoch < this.firstEpoch ? ' (before this run)' : '';
    const verdict = overfitVerdict(history);
    return [`best: ${bestText(lowest)}${where}`, ...(verdict ? [verdict.text] : [])];
  }

  private kept(): string {
    return this.lastCheckpoint !== undefined
      ? `the checkpoint of the last complete epoch is kept (epoch ${this.lastCheckpoint}, ${this.checkpointDir})`
      : 'no epoch completed, so no checkpoint was written; any earlier one is untouched';
  }

  summary(end: RunEnd): RunSummary {
    const m = this.model;
    if (end.kind === 'lost') return { severity: 'info', text: `Training of ${m} ended: ${end.reason}; ${this.kept()}.`, line: `ended: ${end.reason}; ${this.kept()}.` };
    if (end.kind === 'unresponsive') {
      return { severity: 'info', text: `Training of ${m} stopped; the inspector did not confirm in time; ${this.kept()}.`, line: `stopped without confirmation; ${this.kept()}.` };
    }
    switch (end.status) {
      case 'completed':
        return { severity: 'info', text: `Trained ${m}.${this.lastEpochText ? ` Last epoch:${this.lastEpochText.replace(' ·', '')}.` : ''}`, line: `done: ${m} trained.` };
      case 'cancelled':
        return { severity: 'info', text: `Training of ${m} stopped; ${this.kept()}.`, line: `stopped: ${this.kept()}.` };
      case 'failed': {
        const why = (end.message ?? 'unknown error').replace(/\.$/, '');
        return { severity: 'error', text: `Training ${m}: ${why}; ${this.kept()}.`, line: `Training failed: ${why}; ${this.kept()}.` };
      }
    }
  }
}

/**
 * The notification of how the last run ended ("Training of M stopped; the
 * checkpoint … is kept", "Trained M."), closed when the next run starts, so
 * a continued run's end is not shown beside the stopped run's. VS Code
 * cannot close a message box (`showInformationMessage`), so it is a
 * notification whose task stays open until `close` (`show` gets it from
 * `window.withProgress`; the user can close it too). Errors are not shown
 * here: they stay up until dismissed, with their buttons.
 */
export class EndNotice {
  private closeLast: (() => void) | undefined;

  /** `show(text, until)`: a notification reading `text`, open until `until` settles. */
  constructor(private readonly show: (text: string, until: Promise<void>) => void) {}

  /** Shows `text`, closing the notice before it. */
  notify(text: string): void {
    this.close();
    let close!: () => void;
    const until = new Promise<void>((resolve) => (close = resolve));
    this.closeLast = close;
    this.show(text, until);
  }

  /** Closes the last notice (a new run starts); nothing when there is none. */
  close(): void {
    this.closeLast?.();
    this.closeLast = undefined;
  }
}
