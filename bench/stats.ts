/** Timing with warm-up, and the order statistics the benchmark reports. */
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';

/** Milliseconds of wall-clock time, plus the median CPU time of this process over the same runs. */
export interface Stats {
  runs: number;
  median: number;
  p95: number;
  min: number;
  max: number;
  /**
   * Median CPU time (user + system, all of the process's threads, so GC
   * helpers count). On a busy machine wall time includes waiting for a core;
   * CPU time does not, which makes it the steadier measure of the work done.
   */
  cpuMedian: number;
  /** Start and end (`performance.now()`) of each timed run, in run order: see `gcMedian`. */
  spans: [number, number][];
}

export interface MeasureOptions {
  /** Untimed calls first, so the JIT has compiled the hot paths. Default 3. */
  warmup?: number;
  /** At least this many timed runs. Default 10. */
  minRuns?: number;
  /** At most this many timed runs. Default 200. */
  maxRuns?: number;
  /** Keep running (between minRuns and maxRuns) until this much time is spent. Default 1000 ms. */
  targetMs?: number;
}

/** Times `fn` in milliseconds: `warmup` untimed calls, then runs until the target time. */
export function measure(fn: () => unknown, options: MeasureOptions = {}): Stats {
  const { warmup = 3, minRuns = 10, maxRuns = 200, targetMs = 1000 } = options;
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  const cpu: number[] = [];
  const spans: [number, number][] = [];
  const started = performance.now();
  while (times.length < maxRuns && (times.length < minRuns || performance.now() - started < targetMs)) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    const t1 = performance.now();
    times.push(t1 - t0);
    spans.push([t0, t1]);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { ...summarize(times, cpu), spans };
}

export function summarize(times: readonly number[], cpu: readonly number[] = []): Stats {
  const s = [...times].sort((a, b) => a - b);
  const c = [...cpu].sort((a, b) => a - b);
  return { runs: s.length, median: quantile(s, 0.5), p95: nearestRank(s, 0.95), min: s[0], max: s[s.length - 1], cpuMedian: quantile(c, 0.5), spans: [] };
}

/**
 * Records the garbage-collection pauses of this thread from now on. V8
 * reports each one a turn of the event loop after it happens, so `stop`
 * waits for that turn before it returns them.
 */
export function watchGc(): { stop(): Promise<PerformanceEntry[]> } {
  const entries: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => entries.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  return {
    async stop() {
      await new Promise((resolve) => setTimeout(resolve, 20));
      observer.disconnect();
      return entries;
    },
  };
}

/** Median milliseconds of the pauses in `gc` that began within a timed run of `st`, per run. */
export function gcMedian(st: Stats, gc: readonly PerformanceEntry[]): number {
  const perRun = st.spans.map(([t0, t1]) => {
    let sum = 0;
    for (const e of gc) if (e.startTime >= t0 && e.startTime < t1) sum += e.duration;
    return sum;
  });
  return quantile(perRun.sort((a, b) => a - b), 0.5);
}

/** Interpolated quantile of sorted values (the median of an even count is the mean of the middle two). */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Nearest-rank percentile: a value that was actually observed, never below the true percentile. */
function nearestRank(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

/** 0.0123 → "0.012", 3.456 → "3.46", 123.4 → "123" */
export function ms(x: number): string {
  if (!Number.isFinite(x)) return '–';
  if (x < 0.1) return x.toFixed(3);
  if (x < 10) return x.toFixed(2);
  if (x < 100) return x.toFixed(1);
  return x.toFixed(0);
}
