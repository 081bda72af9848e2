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

/** One graph layout in the bench page (the graph view's GraphLayout and buildDiagram). */
export interface LayoutTiming {
  /** Where ELK ran. */
  where: 'worker' | 'page';
  /** The layout's wall time (worker start excluded; structured clone both ways included). */
  ms: number;
  /** Longest gap between the page's zero-delay timer ticks during the layout: how long the page could not respond. */
  stallMs: number;
  boxes: number;
  /** Long-edge dummies at the top level (graphModel's `longEdgeDummies`). */
  dummies: number;
  /** The placement the view's rule picks for this diagram. */
  rule: string;
}

export interface BenchApi {
  init(backend: BackendName, wasmBase: string): Promise<{ backend: string; reason: string }>;
  compare(files: Record<string, string>, main: string, model: string, twin: string | undefined, budgetMs: number): Promise<CompareResult>;
  /** Lays out `model`'s graph (all blocks open if `expanded`) with `placement`, in the layout worker (`layoutWorkerUrl`) or on the page. */
  layout(
    files: Record<string, string>,
    main: string,
    model: string,
    expanded: boolean,
    placement: 'NETWORK_SIMPLEX' | 'BRANDES_KOEPF',
    where: 'worker' | 'page',
    layoutWorkerUrl: string,
  ): Promise<LayoutTiming>;
}
