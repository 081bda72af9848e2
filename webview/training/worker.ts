/**
 * The training worker: a dedicated Worker the inspector page starts (from a
 * Blob URL of dist/trainWorker.js, see runner.ts) so that a training run
 * does not hold the page's thread, which in VS Code's webviews is also the
 * workbench's. It owns its own TensorFlow.js: it starts the backend the
 * inspector runs on (WebGL only if OffscreenCanvas gives WebGL 2 here, else
 * WASM, and says so), trains with trainCore.ts, and posts every event and
 * each epoch's checkpoint (weights transferred, not copied) to the page,
 * which talks to the host. Protocol: workerProtocol.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { BackendName } from '../../extension/core/protocol';
import { ensureTrainingKernels, runTraining } from './trainCore';
import { WASM_FILES, type PageToWorker, type WasmBinaries, type WorkerToPage } from './workerProtocol';

interface WorkerScope {
  onmessage: ((e: MessageEvent<PageToWorker>) => void) | null;
  postMessage(msg: WorkerToPage, transfer?: Transferable[]): void;
}
const scope = self as unknown as WorkerScope;
const post = (msg: WorkerToPage, transfer: Transferable[] = []): void => scope.postMessage(msg, transfer);

/** URLs only this worker's fetch override answers (see `useWasmBinaries`). */
const WASM_URL_PREFIX = 'nnmodel-wasm:';

/**
 * Lets the wasm backend load its binaries from bytes the page read: a
 * worker started from a Blob URL may not reach the webview's resource
 * URLs. tfjs fetches through `env().platform.fetch` when `setWasmPaths` is
 * told to (its second argument), so only that fetch is overridden, and
 * only for our own made-up URLs.
 */
function useWasmBinaries(wasm: WasmBinaries): void {
  const platform = tf.env().platform as unknown as { fetch(path: string, init?: RequestInit): Promise<Response> };
  const original = platform.fetch.bind(platform);
  platform.fetch = (path, init) => {
    if (!path.startsWith(WASM_URL_PREFIX)) return original(path, init);
    const bytes = wasm[path.slice(WASM_URL_PREFIX.length)];
    if (!bytes) return Promise.resolve(new Response(null, { status: 404, statusText: `the page sent no ${path.slice(WASM_URL_PREFIX.length)}` }));
    return Promise.resolve(new Response(bytes, { headers: { 'Content-Type': 'application/wasm' } }));
  };
  setWasmPaths(Object.fromEntries(WASM_FILES.map((f) => [f, WASM_URL_PREFIX + f])), true);
}

/** Whether WebGL 2 can run in this worker (tfjs' WebGL backend draws on an OffscreenCanvas here). */
function offscreenWebgl2(): boolean {
  try {
    if (typeof OffscreenCanvas === 'undefined') return false;
    const gl = new OffscreenCanvas(1, 1).getContext('webgl2');
    if (!gl) return false;
    // Free the context: tfjs makes its own.
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return true;
  } catch {
    return false;
  }
}

async function init(backend: BackendName, softwareWebgl: boolean, wasm: WasmBinaries): Promise<void> {
  useWasmBinaries(wasm);
  const notes: string[] = [];
  let order: BackendName[];
  if (backend === 'webgl') {
    if (offscreenWebgl2()) {
      order = ['webgl', 'wasm'];
      if (softwareWebgl) tf.env().set('SOFTWARE_WEBGL_ENABLED', true);
    } else {
      order = ['wasm'];
      notes.push('WebGL 2 is not available to a worker here (no OffscreenCanvas WebGL 2), so the worker trains on WASM');
    }
  } else order = [backend];
  for (const name of order) {
    try {
      if (!(await tf.setBackend(name))) throw new Error('it did not initialise');
      await tf.ready();
      // A backend can initialise and still fail on first use (a missing .wasm, a lost context).
      tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)).dataSync());
      ensureTrainingKernels(tf);
      post({ type: 'ready', backend: name, ...(notes.length ? { note: notes.join('; ') } : {}) });
      return;
    } catch (e) {
      notes.push(`${name} failed in the worker (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  post({ type: 'initFailed', error: notes.join('; ') });
}

let token = { cancelled: false };
const pendingSaves = new Map<number, (r: { error?: string }) => void>();

/**
 * The worker's yield between batches: a message to itself, so that a
 * `stop` (queued before it) is handled; nothing else waits on this thread,
 * so no timer pauses are needed as on the page.
 */
function workerYield(): () => Promise<void> {
  const channel = new MessageChannel();
  const waiting: (() => void)[] = [];
  channel.port1.onmessage = () => waiting.shift()?.();
  return () =>
    new Promise<void>((resolve) => {
      waiting.push(resolve);
      channel.port2.postMessage(0);
    });
}

scope.onmessage = (e) => {
  const m = e.data;
  switch (m.type) {
    case 'init':
      void init(m.backend, m.softwareWebgl, m.wasm).catch((err: unknown) => post({ type: 'initFailed', error: err instanceof Error ? err.message : String(err) }));
      return;
    case 'train': {
      token = { cancelled: false };
      void runTraining(tf, m.msg, {
        token,
        yieldNow: workerYield(),
        emit: (event) => post({ type: 'event', event }),
        checkpoint: async (ck) => {
          const saved = new Promise<{ error?: string }>((resolve) => pendingSaves.set(ck.epoch, resolve));
          // Transfer the weights (and the optimizer's state): each a whole buffer of its own, or a copy that is.
          const own = (w: Uint8Array) => (w.byteOffset === 0 && w.byteLength === w.buffer.byteLength && w.buffer instanceof ArrayBuffer ? w : w.slice());
          const weights = own(ck.weights);
          const optimizer = ck.optimizer && own(ck.optimizer);
          const transfer = [weights.buffer as ArrayBuffer, ...(optimizer && optimizer.buffer !== weights.buffer ? [optimizer.buffer as ArrayBuffer] : [])];
          post({ type: 'checkpoint', ...ck, weights, ...(optimizer ? { optimizer } : {}) }, transfer);
          const r = await saved;
          if (r.error) throw new Error(`the checkpoint of epoch ${ck.epoch} was not written: ${r.error}`);
        },
      }).then((status) => post({ type: 'finished', status }));
      return;
    }
    case 'stop':
      token.cancelled = true;
      return;
    case 'saved': {
      const resolve = pendingSaves.get(m.epoch);
      pendingSaves.delete(m.epoch);
      resolve?.({ error: m.error });
      return;
    }
  }
};
