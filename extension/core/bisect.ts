/**
 * Binary search over a sorted sequence, for the places that find where an
 * offset falls among sorted starts (tokens, sites, syntax errors, spans).
 */

/**
 * The number of leading indices in [0, n) for which `before(i)` holds,
 * which must hold on a prefix and fail on the rest: the first index where
 * it fails (n when it never does).
 */
export function partitionPoint(n: number, before: (i: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (before(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
