/**
 * The input ranks a layer takes (`LayerSpec.inputRank`, batch excluded): the
 * one reading of the schema for the analysis' `shape.rank` check and for
 * completion's ranking of layers after `->`.
 */
import type { LayerSpec } from './types';

/** Whether `spec` takes an input of rank `n`. */
export function takesRank(spec: LayerSpec, n: number): boolean {
  const rank = spec.inputRank;
  if (!rank) return true;
  return 'min' in rank ? n >= rank.min && n <= (rank.max ?? Infinity) : rank.includes(n);
}

/** The ranks `spec` takes, as messages say them: "3", "2 or 3", "1 or more"; undefined when any. */
export function ranksText(spec: LayerSpec): string | undefined {
  const rank = spec.inputRank;
  if (!rank) return undefined;
  return 'min' in rank ? `${rank.min}${rank.max !== undefined ? ` to ${rank.max}` : ' or more'}` : rank.join(' or ');
}
