/**
 * What the training bench page (training-page.ts, browser code) offers the
 * bench runner (training.ts, Node): types only, so the Node side
 * type-checks without the DOM.
 */
import type { BackendName } from '../extension/core/protocol';

/** `ours`: the core's buildModel + trainModel; `hand`: LeNet-5 written with tfjs-layers, trained by `model.fit`. */
export type TrainKind = 'ours' | 'hand';

export interface TrainBenchApi {
  /**
   * Starts `backend` the way the inspector does. With `projectKernels`, the
   * project's training kernels are registered first (as the webview does);
   * without, tfjs is stock. Returns the backend that runs.
   */
  init(o: { backend: BackendName; wasmBase: string; projectKernels: boolean }): Promise<{ backend: string; reason: string }>;
  /**
   * Generates the digits once (`samples`, 32×32, seed 7: the same set the
   * Node side gives PyTorch) and builds a fresh model of `kind` (replacing
   * an earlier one of that kind; one of each kind can live side by side).
   */
  setup(o: { kind: TrainKind; lenet: string; samples: number }): Promise<void>;
  /** One epoch over examples [from, from + count) at batch 64 with Adam; wall milliseconds and the last loss. */
  train(o: { kind: TrainKind; from: number; count: number }): Promise<{ ms: number; loss: number }>;
  /** Frees the models and data of `setup`. */
  dispose(): void;
}
