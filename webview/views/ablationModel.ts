/**
 * Head ablation in the attention view without the DOM: the texts of the
 * "N heads off" bar, of each row's change against the intact model, and how
 * much an output that is neither classes nor next tokens changed. Unit
 * tested in Node (test/unit/head-ablation.test.ts); drawn by attention.ts
 * and output.ts.
 */
import { plural } from '../../extension/core/plural';
import { percentText, topK } from './outputModel';

/** `1 head off`, `3 heads off`. */
export function headsOffText(n: number): string {
  return `${plural(n, 'head')} off`;
}

/**
 * Which heads are off, layer by layer in the view's order: `layer 1: head 2;
 * layer 3: heads 1, 4` (1-based, as the heatmaps are labelled). `layers`
 * lists the view's attention layer paths in order.
 */
export function headsOffList(ablation: ReadonlyMap<string, ReadonlySet<number>>, layers: readonly string[]): string {
  const parts: string[] = [];
  layers.forEach((path, i) => {
    const heads = [...(ablation.get(path) ?? [])].sort((a, b) => a - b);
    if (heads.length === 0) return;
    parts.push(`layer ${i + 1}: ${heads.length === 1 ? 'head' : 'heads'} ${heads.map((h) => h + 1).join(', ')}`);
  });
  return parts.join('; ');
}

/**
 * Which heads are off, as a phrase for a result computed without them:
 * `with heads 2, 5 of layer 1 off`, `with head 1 of layer 1 and heads 1, 4
 * of layer 3 off` (1-based, layers in the view's order `layers`); the empty
 * string when no head is off.
 */
export function headsOffPhrase(ablation: ReadonlyMap<string, ReadonlySet<number>>, layers: readonly string[]): string {
  const parts: string[] = [];
  layers.forEach((path, i) => {
    const heads = [...(ablation.get(path) ?? [])].sort((a, b) => a - b);
    if (heads.length === 0) return;
    parts.push(`${heads.length === 1 ? 'head' : 'heads'} ${heads.map((h) => h + 1).join(', ')} of layer ${i + 1}`);
  });
  if (parts.length === 0) return '';
  const list = parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
  return `with ${list} off`;
}

/** The Decode button's answer: `answer: 3 1 2`, and with heads off `answer: 3 1 1 (with head 2 of layer 1 off)`. */
export function answerText(answer: readonly number[], ablation: ReadonlyMap<string, ReadonlySet<number>>, layers: readonly string[]): string {
  const off = headsOffPhrase(ablation, layers);
  return `answer: ${answer.join(' ')}${off ? ` (${off})` : ''}`;
}

/**
 * A probability's change against the intact model, in percentage points:
 * `+3.2 pp`, `−0.4 pp`; a change under 0.05 points `+<0.1 pp` / `−<0.1 pp`;
 * none at all `±0 pp`.
 */
export function deltaText(p: number, p0: number): string {
  const d = (p - p0) * 100;
  if (d === 0 || !Number.isFinite(d)) return '±0 pp';
  const sign = d > 0 ? '+' : '−';
  const a = Math.abs(d);
  return a < 0.05 ? `${sign}<0.1 pp` : `${sign}${a.toFixed(1)} pp`;
}

/** The spoken form of a row's change: `was 12 % with every head on`. */
export function wasText(p0: number): string {
  return `was ${percentText(p0)} with every head on`;
}

/**
 * The entries of the intact model's top `k` that are not in the ablated
 * model's top `k`, largest first, with both probabilities: what the
 * switched-off heads were holding up.
 */
export function leftTop(probs: ArrayLike<number>, probs0: ArrayLike<number>, k: number): { index: number; p: number; p0: number }[] {
  const now = new Set(topK(probs, k).map((r) => r.index));
  return topK(probs0, k)
    .filter((r) => !now.has(r.index))
    .map((r) => ({ index: r.index, p: probs[r.index], p0: r.p }));
}

/** How much an output changed: the largest absolute change and the change's norm relative to the intact output's. */
export interface OutputChange {
  maxAbs: number;
  /** ‖ablated − intact‖ / ‖intact‖ (Infinity when the intact output is all zeros and the ablated one is not). */
  relative: number;
}

export function outputChange(ablated: ArrayLike<number>, intact: ArrayLike<number>): OutputChange {
  if (ablated.length !== intact.length) throw new Error(`outputs of ${ablated.length} and ${intact.length} values cannot be compared`);
  let maxAbs = 0;
  let dd = 0;
  let yy = 0;
  for (let i = 0; i < intact.length; i++) {
    const d = ablated[i] - intact[i];
    maxAbs = Math.max(maxAbs, Math.abs(d));
    dd += d * d;
    yy += intact[i] * intact[i];
  }
  const relative = dd === 0 ? 0 : yy === 0 ? Infinity : Math.sqrt(dd / yy);
  return { maxAbs, relative };
}

/** `output [seq, d] changed: largest change 0.213, ‖Δ‖/‖y‖ = 8.3 %` (or `unchanged`). */
export function outputChangeText(shape: string, c: OutputChange): string {
  if (c.maxAbs === 0) return `output ${shape} unchanged`;
  const rel = Number.isFinite(c.relative) ? percentText(c.relative) : '∞ (the intact output is all zeros)';
  return `output ${shape} changed: largest change ${Number(c.maxAbs.toPrecision(3))}, ‖Δ‖/‖y‖ = ${rel}`;
}
