/**
 * Where the graph view's ELK layout runs: in a dedicated Worker
 * (webview/layoutWorker.ts → dist/layoutWorker.js, elkjs's own worker
 * script, started from a Blob URL like the training worker), so that a slow
 * layout (seconds for graphs with many long edges) leaves the inspector
 * responsive; on the page's thread (elk.bundled.js) if the worker cannot
 * start, with the reason kept in `fallback`.
 *
 * One layout at a time: a request made while an older one still runs
 * terminates that worker (its promise rejects with `LayoutSuperseded`) and
 * starts a fresh one, rather than queueing behind a layout nobody wants.
 * No DOM here except what `pageWorkerStarter` reads from the page, so the logic is unit tested in
 * Node with elkjs's in-process worker.
 */
import type { ElkNode } from 'elkjs/lib/elk-api';

/** The part of a Worker this module uses (a real one, or elkjs's in-process FakeWorker in tests). */
export interface LayoutWorkerLike {
  postMessage(msg: unknown): void;
  terminate?(): void;
  onmessage: ((e: { data: ElkReply }) => void) | null;
  onerror?: ((e: { message?: string; preventDefault?(): void }) => void) | null;
}

/** elkjs's worker protocol (lib/elk-api.js): a request `{ id, cmd, ... }` is answered by `{ id, data }` or `{ id, error }`. */
interface ElkReply {
  id: number;
  data?: unknown;
  error?: unknown;
}

export type LayoutWhere = 'worker' | 'page';

export interface LayoutResult {
  graph: ElkNode;
  where: LayoutWhere;
  /** Wall time of the layout itself (worker start excluded). */
  ms: number;
}

/** The rejection of a layout that a newer request replaced. */
export class LayoutSuperseded extends Error {
  constructor() {
    super('a newer layout was requested');
    this.name = 'LayoutSuperseded';
  }
}

export interface GraphLayoutDeps {
  /** Creates a worker running elkjs's worker script; rejects (or throws) if this page cannot. */
  startWorker(): Promise<LayoutWorkerLike> | LayoutWorkerLike;
  /** ELK on the page's thread, the fallback. */
  layoutOnPage(graph: ElkNode): Promise<ElkNode>;
  /** How long a new worker may take to answer its first message; default 20 s (a 1.6 MB script, on a loaded machine). */
  startTimeoutMs?: number;
  now?(): number;
}

const REGISTER_ID = 0;

function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') return (e as { message: string }).message;
  return String(e);
}

export class GraphLayout {
  /** Why layouts run on the page's thread (the worker could not start); undefined while the worker is used. */
  fallback: string | undefined;
  private worker: Promise<LayoutWorkerLike> | undefined;
  private running: { worker: LayoutWorkerLike; reject(e: Error): void } | undefined;
  /** Number of the newest request: an older one that is still starting the worker gives way. */
  private seq = 0;
  private nextId = REGISTER_ID + 1;
  private disposed = false;

  constructor(private readonly deps: GraphLayoutDeps) {}

  /**
   * Lays `graph` out (ELK JSON, returned with positions). Rejects with
   * `LayoutSuperseded` when a newer `layout` call (or `dispose`) replaced
   * this one, and with ELK's error when the graph cannot be laid out.
   */
  async layout(graph: ElkNode): Promise<LayoutResult> {
    const seq = ++this.seq;
    this.stopRunning();
    if (this.disposed) throw new LayoutSuperseded();
    if (this.fallback === undefined) {
      let worker: LayoutWorkerLike | undefined;
      try {
        worker = await (this.worker ??= this.start());
      } catch (e) {
        this.worker = undefined;
        this.fallback = errorText(e);
      }
      if (seq !== this.seq || this.disposed) throw new LayoutSuperseded();
      if (worker) {
        const crashed = await this.onWorker(worker, graph).catch((e: unknown) => {
          if (e instanceof WorkerCrashed) return e;
          throw e;
        });
        if (!(crashed instanceof WorkerCrashed)) return crashed;
        // The worker died under this layout (not ELK refusing the graph): this one on the page, the next in a fresh worker.
        if (seq !== this.seq) throw new LayoutSuperseded();
      }
    }
    const t0 = this.now();
    const laid = await this.deps.layoutOnPage(graph);
    return { graph: laid, where: 'page', ms: this.now() - t0 };
  }

  /** Stops the worker; later `layout` calls reject. */
  dispose(): void {
    this.disposed = true;
    this.stopRunning();
    void this.worker?.then((w) => w.terminate?.(), () => undefined);
    this.worker = undefined;
  }

  private now(): number {
    return this.deps.now?.() ?? performance.now();
  }

  /** A layout still running belongs to an older request: end its worker, and its promise. */
  private stopRunning(): void {
    const r = this.running;
    if (!r) return;
    this.running = undefined;
    r.worker.terminate?.();
    this.worker = undefined;
    r.reject(new LayoutSuperseded());
  }

  /** Creates a worker and waits for its answer to elkjs's `register`: the script loaded and runs. */
  private async start(): Promise<LayoutWorkerLike> {
    const worker = await this.deps.startWorker();
    const timeout = this.deps.startTimeoutMs ?? 20_000;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the layout worker did not answer within ${timeout / 1000} s`)), timeout);
        worker.onerror = (e) => {
          e.preventDefault?.();
          clearTimeout(timer);
          reject(new Error(e.message || "the layout worker's script failed to load (blocked by the page's Content Security Policy?)"));
        };
        worker.onmessage = (e) => {
          if (e.data?.id !== REGISTER_ID) return;
          clearTimeout(timer);
          if (e.data.error !== undefined) reject(new Error(`the layout worker failed to start: ${errorText(e.data.error)}`));
          else resolve();
        };
        worker.postMessage({ id: REGISTER_ID, cmd: 'register', algorithms: ['layered'] });
      });
    } catch (e) {
      worker.terminate?.();
      throw e;
    }
    return worker;
  }

  private onWorker(worker: LayoutWorkerLike, graph: ElkNode): Promise<LayoutResult> {
    const id = this.nextId++;
    const t0 = this.now();
    return new Promise<LayoutResult>((resolve, reject) => {
      const done = () => {
        if (this.running?.worker === worker) this.running = undefined;
      };
      this.running = { worker, reject };
      worker.onmessage = (e) => {
        if (e.data?.id !== id) return;
        done();
        if (e.data.error !== undefined) reject(new Error(errorText(e.data.error)));
        else resolve({ graph: e.data.data as ElkNode, where: 'worker', ms: this.now() - t0 });
      };
      worker.onerror = (e) => {
        e.preventDefault?.();
        done();
        worker.terminate?.();
        if (this.worker) this.worker = undefined;
        reject(new WorkerCrashed(e.message ?? 'the layout worker stopped'));
      };
      // ELK fills in the positions of the graph it is given: the worker gets a copy (structured clone), the page keeps its own.
      worker.postMessage({ id, cmd: 'layout', graph, layoutOptions: {}, options: {} });
    });
  }
}

class WorkerCrashed extends Error {}

/** What `pageWorkerStarter` uses of the page (typed here: this module is also compiled for Node, without the DOM). */
interface PageGlobals {
  Worker?: new (url: string, options?: { name?: string }) => LayoutWorkerLike;
  document?: { body: { dataset: Record<string, string | undefined> } };
  fetch(url: string): Promise<{ ok: boolean; status: number; text(): Promise<string> }>;
  Blob: new (parts: string[], options: { type: string }) => unknown;
  URL: { createObjectURL(blob: unknown): string };
}
const page = globalThis as unknown as PageGlobals;

/** The page's `data-layout-worker`: URL of dist/layoutWorker.js (extension/vscode/inspector/html.ts). */
function layoutWorkerUrl(): string {
  const url = page.document?.body.dataset.layoutWorker;
  if (!url) throw new Error('the page has no data-layout-worker attribute');
  return url;
}

let blobUrl: Promise<string> | undefined;

/**
 * Starts the layout worker from a Blob URL of dist/layoutWorker.js: webview
 * resources are served from another origin than the page and `new Worker`
 * only takes a script of the page's origin (CSP `worker-src blob:`). The
 * script is fetched once per page; each worker (one per superseded layout)
 * starts from the same Blob URL.
 */
export async function pageWorkerStarter(): Promise<LayoutWorkerLike> {
  const Worker = page.Worker;
  if (!Worker) throw new Error('this page cannot start workers');
  blobUrl ??= (async () => {
    const url = layoutWorkerUrl();
    const r = await page.fetch(url);
    if (!r.ok) throw new Error(`${url} could not be read (HTTP ${r.status})`);
    return page.URL.createObjectURL(new page.Blob([await r.text()], { type: 'text/javascript' }));
  })();
  blobUrl.catch(() => (blobUrl = undefined));
  return new Worker(await blobUrl, { name: 'nnmodel graph layout' });
}
