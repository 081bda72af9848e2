/**
 * A classifier stuck at the loss's clip, as a pure function of an epoch's
 * figures (runtime/train.ts `EpochLogs.clipped`): crossentropy on
 * probabilities (a model ending in `softmax` or `sigmoid`) clips the right
 * answer's probability at 1e-7, so a prediction that confidently wrong
 * costs −ln 1e-7 ≈ 16.1 and gives no gradient. When such predictions carry
 * most of the loss, the loss stops falling at a figure that looks
 * arbitrary (16.1181 when all are, 5.37 when a third are) and nothing in
 * the curves says why: the hint does, once, through the warnings of
 * `nnmodel train`, the "nnmodel training" output and the Training tab.
 */

/** The cost of one clipped prediction: −ln 1e-7. */
export const CLIPPED_LOSS = -Math.log(1e-7);
/** The share of predictions at the clip from which the hint can be given. */
export const SATURATION_MIN_SHARE = 0.01;
/** The part of the loss the clipped predictions must make up. */
export const SATURATION_MIN_PART = 0.5;

/** The figures the hint reads. */
export interface SaturationFigures {
  epoch: number;
  loss: number;
  clipped?: number;
}

/** A percentage for the sentence: "33 %", "1.5 %", "100 %". */
function percent(share: number): string {
  const p = share * 100;
  return `${p < 10 && p !== Math.round(p) ? p.toFixed(1) : Math.round(p)} %`;
}

/**
 * The hint for an epoch whose clipped predictions (at least 1 %) make up
 * at least half of its loss; undefined otherwise, and for the losses and
 * outputs without the clip.
 */
export function saturationHint(logs: SaturationFigures): string | undefined {
  const share = logs.clipped;
  if (share === undefined || !Number.isFinite(share) || share < SATURATION_MIN_SHARE || !(logs.loss > 0)) return undefined;
  if (share * CLIPPED_LOSS < SATURATION_MIN_PART * logs.loss) return undefined;
  return (
    `epoch ${logs.epoch}: on ${percent(share)} of the training predictions the model gives the right answer a probability of 1e-7 or less; ` +
    `the loss clips those (each costs −ln 1e-7 ≈ 16.1, ${percent(Math.min(1, (share * CLIPPED_LOSS) / logs.loss))} of the loss ${logs.loss.toFixed(4)}) and they give no gradient, so they no longer train. ` +
    'Lower the learning rate, or end the model without its softmax (or sigmoid): the loss then reads logits, which keep a gradient'
  );
}

/**
 * The hint once per run, at the second epoch in a row it holds for (a
 * clipped prediction can come back when the other examples' steps move
 * the weights; two epochs of it is a run that is stuck), as the
 * overfitting verdict and a GAN's collapse are said once.
 */
export class SaturationNotice {
  private said = false;
  private held = false;

  next(logs: SaturationFigures): string | undefined {
    if (this.said) return undefined;
    const hint = saturationHint(logs);
    const say = hint !== undefined && this.held;
    this.held = hint !== undefined;
    this.said = say;
    return say ? hint : undefined;
  }
}
