/** When to re-analyse an edited document (pure: unit-tested without VS Code). */

/**
 * An analysis longer than this (ms) makes the next edit of the document wait
 * for the configured debounce: typing into such a file would otherwise keep
 * the extension host busy. Cheaper ones (an incremental update of a few
 * thousand lines takes ~20 ms) run at once.
 */
export const CHEAP_ANALYSIS_MS = 50;

/** The delay before re-analysing an edited document, from its last analysis time. */
export function analysisDelay(debounce: number, lastAnalysisMs: number | undefined): number {
  const d = Number.isFinite(debounce) ? Math.max(0, debounce) : 0;
  return lastAnalysisMs !== undefined && lastAnalysisMs > CHEAP_ANALYSIS_MS ? d : 0;
}

/**
 * The cost of a document's analyses, updated with one more: its CPU time
 * (wall time when that is less), so that other processes on a busy machine
 * do not make a file look slow, averaged with the previous cost so that one
 * outlier (a garbage collection) does not switch the debounce on.
 */
export function smoothedCost(previous: number | undefined, wallMs: number, cpu: { user: number; system: number }): number {
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const cost = Math.max(0, Math.min(wallMs, cpuMs));
  return previous === undefined ? cost : (previous + cost) / 2;
}

/** A scheduled run that has not happened yet. */
export interface Pending {
  /** Drops the run (no effect once it ran). */
  cancel(): void;
}

/**
 * Runs `run` after `delayMs` (see analysisDelay). A delay of 0 means as soon
 * as the extension host has handled the messages that delivered the edit:
 * `setImmediate` runs right after the I/O callbacks of this turn of the
 * event loop, so changes that arrived in one batch still share one run,
 * whereas a `setTimeout(…, 0)` waits for the next turn's timers (≥ 1 ms, and
 * several on a busy machine) — time that adds to every keystroke's latency.
 */
export function runAfter(delayMs: number, run: () => void): Pending {
  if (!(delayMs > 0)) {
    const h = setImmediate(run);
    return { cancel: () => clearImmediate(h) };
  }
  const t = setTimeout(run, delayMs);
  return { cancel: () => clearTimeout(t) };
}
