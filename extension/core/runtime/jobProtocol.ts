/**
 * Messages between the VS Code extension host and a job process
 * (`nnmodel train --ipc`, a child Node process: the host never loads tfjs).
 * The extension uses it for Evaluate and Generate Text, which read the
 * checkpoint from disk; training itself runs in the inspector's webview
 * (protocol.ts). The host sends one `run`, then possibly `stop`; the
 * process reports progress and ends with `done` or `error`, then exits.
 */

/** What to run. Paths are absolute. */
export interface JobRequest {
  /** The .nnmodel file. */
  file: string;
  /** Its text when it differs from the disk (an unsaved editor). */
  text?: string;
  model?: string;
  /** Overrides the train section's epochs. */
  epochs?: number;
  /** Folders data may be read from (workspace folders); empty: the file's folder. */
  roots: string[];
  /** Setting `nnmodel.checkpoints.folder`. */
  checkpointFolder?: string;
  backend: 'wasm' | 'cpu';
  /** Continue from the checkpoint instead of fresh weights. */
  resume?: boolean;
  /** Evaluate, generate: the last checkpoint (default) or the best (lowest val_loss). Resume always continues from the last. */
  checkpoint?: 'best' | 'last';
  seed?: number;
}

export interface GenerateRequest {
  prompt: string;
  maxTokens: number;
  temperature: number;
  topK: number;
  seed?: number;
}

export type HostToJob =
  | { type: 'run'; command: 'evaluate'; request: JobRequest }
  | { type: 'run'; command: 'generate'; request: JobRequest; generate: GenerateRequest }
  /** Stop generating. */
  | { type: 'stop' };

export interface EvaluationFigures {
  loss: number;
  metrics: Record<string, number>;
}

export type JobToHost =
  | { type: 'text'; piece: string }
  /** Something the user should know before the result, e.g. prompt characters the tokeniser does not know. */
  | { type: 'warning'; message: string }
  /** `masked`: a masked language model's share of masked tokens, over which the figures are taken (runtime/masking.ts). */
  | { type: 'evaluation'; model: string; epoch: number; validation?: EvaluationFigures; all: EvaluationFigures; problems: string[]; masked?: number }
  | { type: 'done'; status: 'completed' | 'cancelled'; text?: string }
  /** `file` names the data file or checkpoint at fault, when one is. */
  | { type: 'error'; message: string; file?: string };

/** The message the host sent, or undefined when malformed. */
export function parseHostToJob(x: unknown): HostToJob | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const m = x as Record<string, unknown>;
  if (m.type === 'stop') return { type: 'stop' };
  if (m.type !== 'run' || typeof m.request !== 'object' || m.request === null) return undefined;
  const r = m.request as Record<string, unknown>;
  if (typeof r.file !== 'string' || !Array.isArray(r.roots) || !r.roots.every((s) => typeof s === 'string')) return undefined;
  if (r.backend !== 'wasm' && r.backend !== 'cpu') return undefined;
  if (r.checkpoint !== undefined && r.checkpoint !== 'best' && r.checkpoint !== 'last') return undefined;
  const request = r as unknown as JobRequest;
  if (m.command === 'evaluate') return { type: 'run', command: 'evaluate', request };
  if (m.command === 'generate') {
    const g = m.generate as Record<string, unknown> | undefined;
    if (!g || typeof g.prompt !== 'string' || typeof g.maxTokens !== 'number' || typeof g.temperature !== 'number' || typeof g.topK !== 'number') return undefined;
    return { type: 'run', command: 'generate', request, generate: g as unknown as GenerateRequest };
  }
  return undefined;
}
