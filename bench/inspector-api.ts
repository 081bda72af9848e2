/**
 * What the inspector bench page (inspector-page.ts, browser code) offers the
 * bench runner (inspector.ts, Node): types only, so the Node side type-checks
 * without the DOM.
 */
import type { BackendName } from '../extension/core/protocol';

/** Result of one comparison: milliseconds per forward pass, run by run. */
export interface CompareResult {
  ours: number[];
  hand?: number[];
  oursParams: number;
  handParams?: number;
  dims: Record<string, number>;
}

export interface BenchApi {
  init(backend: BackendName, wasmBase: string): Promise<{ backend: string; reason: string }>;
  compare(files: Record<string, string>, main: string, model: string, twin: string | undefined, budgetMs: number): Promise<CompareResult>;
}
