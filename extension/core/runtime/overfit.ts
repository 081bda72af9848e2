/**
 * The best epoch of a training history and whether the model overfits, as
 * pure functions over the per-epoch figures (no tfjs): the Training tab,
 * `nnmodel train` and the `best` checkpoint (checkpoint.ts) all decide
 * from these.
 *
 * - The **best epoch** is the one with the lowest finite `val_loss`; on a
 *   tie, the earliest. Without validation figures there is none.
 * - The **overfitting verdict** is given when, after the best epoch, the
 *   `val_loss` of the latest epochs has stayed more than
 *   `OVERFIT_MIN_RISE` (1 %, relative) above the best for at least
 *   `OVERFIT_MIN_EPOCHS` (2) consecutive epochs up to the latest one, while
 *   the training `loss` of the latest epoch is more than 1 % below the
 *   best epoch's. Smaller moves are noise (a validation split of a few
 *   hundred examples moves by about that much from epoch to epoch), and a
 *   training loss that no longer falls points at something else (the
 *   learning rate), not at overfitting. An epoch without a finite
 *   `val_loss` or `loss` ends the run of epochs counted.
 * - **Float noise** gives no verdict at all (neither kind): when the
 *   latest `val_loss` is below both `OVERFIT_NOISE_FLOOR` (1e-6, absolute)
 *   and `OVERFIT_MIN_SCALE` (1e-4) of the first epoch's, the whole rise
 *   lies where the figures are noise, however large it is relatively
 *   (8e-9 → 8.3e-9, +3.5 %, after 0.7). Both, because each alone is wrong
 *   somewhere: the absolute floor alone would silence a regression whose
 *   targets are in small units (val_loss 1e-8 → 1.5e-9 from its start is a
 *   real fit), and the relative one alone a regression whose unscaled
 *   targets start it at 1e6 (best 50, rising to 60, is a real overfit at
 *   5e-5 of the start). The latest, not the best, `val_loss`: a run that
 *   blows up from a noise-level best is not noise.
 * - When that pattern shows but the training `loss` jumped by more than
 *   `UNSTABLE_JUMP` (×10) from one epoch to a later one, the later at or
 *   after the best epoch, the run is **unstable**, not overfitting: a best epoch reached while
 *   the training loss was exploding is chance, and a "fall" from an
 *   exploded loss is no fit. The verdict then says that (kind `unstable`),
 *   with the jump, and points at the learning rate.
 */

/** The figures of one epoch these functions read (runtime/train.ts `EpochLogs` has them). */
export interface EpochFigures {
  epoch: number;
  loss: number;
  valLoss?: number;
}

/** How far above the best `val_loss` (relative) an epoch must be to count as risen, and how far (relative) `loss` must have fallen. */
export const OVERFIT_MIN_RISE = 0.01;
/** How many consecutive epochs, up to the latest, `val_loss` must stay risen. */
export const OVERFIT_MIN_EPOCHS = 2;
/**
 * With `OVERFIT_NOISE_FLOOR`: a latest `val_loss` below this fraction of
 * the first epoch's (the run fitted four orders of magnitude below where it
 * started) and below the floor is float noise (8e-9 after 0.7): its moves,
 * however large relatively, are no verdict.
 */
export const OVERFIT_MIN_SCALE = 1e-4;
/**
 * The absolute side of the float-noise rule (see `OVERFIT_MIN_SCALE`):
 * float32, in which the losses are computed, resolves about 1.2e-7 of a
 * value (its ε), and crossentropy clips probabilities at 1e-7, so a loss
 * within ten times that moves by rounding, not by what the model learnt.
 */
export const OVERFIT_NOISE_FLOOR = 1e-6;
/** A training loss this many times the lowest one of the epochs before it makes the run unstable. */
export const UNSTABLE_JUMP = 10;

export interface BestEpoch {
  epoch: number;
  valLoss: number;
  loss: number;
}

export interface OverfitVerdict {
  /** `overfitting`, or `unstable`: the same validation pattern on a run whose training loss exploded (see the file comment). */
  kind: 'overfitting' | 'unstable';
  best: BestEpoch;
  /** The latest epoch. */
  last: BestEpoch;
  /** Consecutive epochs up to the latest whose `val_loss` is more than 1 % above the best. */
  risenEpochs: number;
  /** Relative change of `loss` from the best epoch to the latest (negative: fell). */
  lossChange: number;
  /** Relative change of `val_loss` from the best epoch to the latest (positive: rose). */
  valLossChange: number;
  /** For `unstable`: the jump, from the epoch of the lowest training loss before it. */
  jump?: { from: BestEpoch; to: BestEpoch };
  /** The sentence for the user (`overfitText`, `unstableText`). */
  text: string;
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The entries in epoch order, the last of an epoch listed twice kept. */
function ordered(history: readonly EpochFigures[]): EpochFigures[] {
  const byEpoch = new Map<number, EpochFigures>();
  for (const h of history) if (h && finite(h.epoch)) byEpoch.set(h.epoch, h);
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

/** The epoch with the lowest finite `val_loss` (the earliest of equals); undefined without validation figures. */
export function bestEpoch(history: readonly EpochFigures[]): BestEpoch | undefined {
  let best: BestEpoch | undefined;
  for (const h of ordered(history)) {
    if (!finite(h.valLoss)) continue;
    if (!best || h.valLoss < best.valLoss) best = { epoch: h.epoch, valLoss: h.valLoss, loss: h.loss };
  }
  return best;
}

/** A loss for a sentence: three significant digits (0.412, 1.23, 1230). */
export function lossFigure(v: number): string {
  return String(Number(v.toPrecision(3)));
}

/**
 * A relative change as a signed percentage with a true minus: "−18 %",
 * "+1.4 %". A change that is not total but rounds to 100 % gets the digits
 * that tell it apart ("−99.8 %", not "−100 %" for 0.0402 → 0.0001).
 */
export function percentChange(r: number): string {
  const p = r * 100;
  const text = (digits: number) => Math.abs(p).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  let digits = Math.abs(p) < 10 ? 1 : 0;
  while (digits < 6 && Math.abs(p) !== 100 && Number(text(digits).replace(/,/g, '')) === 100) digits++;
  return `${p < 0 ? '\u2212' : '+'}${text(digits)} %`;
}

/** "val_loss lowest at epoch 6 (0.412)". */
export function bestText(b: Pick<BestEpoch, 'epoch' | 'valLoss'>): string {
  return `val_loss lowest at epoch ${b.epoch} (${lossFigure(b.valLoss)})`;
}

/**
 * The unstable verdict's sentence: "loss jumped from 0.93 at epoch 1 to
 * 1.43e+11 at epoch 2: training is unstable, not overfitting — lower the
 * learning rate".
 */
export function unstableText(jump: NonNullable<OverfitVerdict['jump']>): string {
  return (
    `loss jumped from ${largeFigure(jump.from.loss)} at epoch ${jump.from.epoch} to ${largeFigure(jump.to.loss)} at epoch ${jump.to.epoch}: ` +
    'training is unstable, not overfitting (its lowest val_loss is chance) \u2014 lower the learning rate'
  );
}

/** `lossFigure`, with an exponent from a million on (1.43e+11). */
function largeFigure(v: number): string {
  return Math.abs(v) >= 1e6 ? v.toExponential(2) : lossFigure(v);
}

/**
 * The largest jump of the training loss over `UNSTABLE_JUMP` to an epoch
 * from `from` on: its loss against the lowest of the epochs before it;
 * undefined when none.
 */
function lossJump(rows: readonly EpochFigures[], from: number): OverfitVerdict['jump'] {
  let low: EpochFigures | undefined;
  let jump: OverfitVerdict['jump'];
  for (const r of rows) {
    if (!finite(r.loss)) continue;
    if (r.epoch >= from && low && low.loss > 0 && r.loss > UNSTABLE_JUMP * low.loss && (!jump || r.loss / low.loss > jump.to.loss / jump.from.loss)) {
      jump = { from: { epoch: low.epoch, loss: low.loss, valLoss: low.valLoss ?? NaN }, to: { epoch: r.epoch, loss: r.loss, valLoss: r.valLoss ?? NaN } };
    }
    if (!low || r.loss < low.loss) low = r;
  }
  return jump;
}

/** The verdict's sentence: "val_loss lowest at epoch 6 (0.412); since then loss −18 %, val_loss +12 %: the model is overfitting — …". */
export function overfitText(v: Omit<OverfitVerdict, 'text' | 'kind'>): string {
  return (
    `${bestText(v.best)}; since then loss ${percentChange(v.lossChange)}, val_loss ${percentChange(v.valLossChange)}: ` +
    'the model is overfitting \u2014 dropout, augmentation, fewer parameters or more data help'
  );
}

/**
 * Whether the history shows overfitting (see the file comment for the
 * rule); undefined when it does not, when there is no validation, or on
 * noise. Its `text` is the line the Training tab and `nnmodel train` show.
 */
export function overfitVerdict(history: readonly EpochFigures[]): OverfitVerdict | undefined {
  const best = bestEpoch(history);
  // A relative rise needs a positive best (a loss of exactly 0 has no relative change).
  if (!best || best.valLoss <= 0 || !finite(best.loss) || best.loss <= 0) return undefined;
  const rows = ordered(history);
  let risen = 0;
  for (let i = rows.length - 1; i >= 0; i--) {
    const r = rows[i];
    if (r.epoch <= best.epoch || !finite(r.valLoss) || !finite(r.loss)) break;
    if (r.valLoss <= best.valLoss * (1 + OVERFIT_MIN_RISE)) break;
    risen++;
  }
  if (risen < OVERFIT_MIN_EPOCHS) return undefined;
  const latest = rows[rows.length - 1];
  const last: BestEpoch = { epoch: latest.epoch, valLoss: latest.valLoss!, loss: latest.loss };
  const lossChange = last.loss / best.loss - 1;
  if (lossChange >= -OVERFIT_MIN_RISE) return undefined;
  // Before `unstable`: a training loss that "jumps" tenfold at 1e-10 is noise too.
  const first = rows.find((r) => finite(r.valLoss))!.valLoss!;
  if (last.valLoss < OVERFIT_NOISE_FLOOR && last.valLoss < OVERFIT_MIN_SCALE * first) return undefined;
  const verdict = { best, last, risenEpochs: risen, lossChange, valLossChange: last.valLoss / best.valLoss - 1 };
  const jump = lossJump(rows, best.epoch);
  if (jump) return { kind: 'unstable', ...verdict, jump, text: unstableText(jump) };
  return { kind: 'overfitting', ...verdict, text: overfitText(verdict) };
}
