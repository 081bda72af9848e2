/**
 * Messages between the inspector page (runner.ts) and its training worker
 * (worker.ts). The page owns the conversation with the host; the worker owns
 * the tfjs instance that trains. Both ends are built from this repository
 * at the same time, so these are trusted and not validated field by field.
 */
import type { BackendName, TrainingEvent, TrainStartMessage } from '../../extension/core/protocol';
import type { EncodedCheckpoint } from './trainCore';

/** The .wasm files of the tfjs wasm backend, by file name, read by the page (the worker may not reach webview resources). */
export type WasmBinaries = Record<string, ArrayBuffer>;

export type PageToWorker =
  /** Start the backend the inspector runs on. */
  | { type: 'init'; backend: BackendName; softwareWebgl: boolean; wasm: WasmBinaries }
  | { type: 'train'; msg: TrainStartMessage }
  /** Cancel: stop between batches. */
  | { type: 'stop' }
  /** The host's answer to the checkpoint of `epoch`. */
  | { type: 'saved'; epoch: number; error?: string };

export type WorkerToPage =
  /** The backend runs; `note` says why it is not the one asked for. */
  | { type: 'ready'; backend: BackendName; note?: string }
  | { type: 'initFailed'; error: string }
  | { type: 'event'; event: TrainingEvent }
  | ({ type: 'checkpoint' } & EncodedCheckpoint)
  | { type: 'finished'; status: 'completed' | 'cancelled' | 'failed' };

/** The wasm files the worker may ask for (the threaded one never loads: no cross-origin isolation in a webview). */
export const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'] as const;
