/**
 * Comparing two samples of latencies (bench:e2e's nnmodel edits against the
 * JSON edits interleaved with them): medians, and whether their ratio is
 * shown to differ from 1 given the spread of both samples.
 */

/** Interpolated quantile of sorted values (NaN for none). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  return sorted[lo] + (sorted[Math.ceil(pos)] - sorted[lo]) * (pos - lo);
}

/** Median of unsorted values (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  return quantile([...xs].sort((a, b) => a - b), 0.5);
}

/**
 * 90 % bootstrap interval of median(a) / median(b): both samples resampled
 * with replacement `rounds` times. The seed is fixed, so a run's table is
 * reproducible from its samples.
 */
export function ratioInterval(a: readonly number[], b: readonly number[], rounds = 2000): [number, number] {
  if (a.length === 0 || b.length === 0) throw new Error('ratioInterval needs two non-empty samples');
  let seed = 0x9e3779b9;
  const rand = (): number => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const resample = (xs: readonly number[]): number[] => xs.map(() => xs[Math.floor(rand() * xs.length)]);
  const ratios: number[] = [];
  for (let i = 0; i < rounds; i++) ratios.push(median(resample(a)) / median(resample(b)));
  ratios.sort((x, y) => x - y);
  return [quantile(ratios, 0.05), quantile(ratios, 0.95)];
}

/** 'slower' / 'faster' only when the whole interval lies above / below 1. */
export function verdict([lo, hi]: readonly [number, number]): 'slower' | 'faster' | 'no difference shown' {
  return lo > 1 ? 'slower' : hi < 1 ? 'faster' : 'no difference shown';
}
