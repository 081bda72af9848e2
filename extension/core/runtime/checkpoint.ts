/**
 * Checkpoints in TensorFlow.js format: a folder with `model.json` (a
 * weights manifest, the topology when tfjs can serialise it, and our own
 * `nnmodel` section) and one weights file, written atomically so a crash or
 * a cancel at any moment leaves the previous checkpoint loadable:
 *
 *   1. the weights go to a new file named after the epoch and a checksum
 *      (`weights-e3-1a2b3c4d.bin`), through a temp file and a rename;
 *   2. `model.json` is written to a temp file and renamed over the old one —
 *      the single atomic switch from the old checkpoint to the new;
 *   3. weights files that `model.json` no longer names are removed.
 *
 * Each checkpoint records the graph's signature: per layer (by node path,
 * see build.ts) its op and weight shapes. Loading into an edited model
 * applies the layers that still fit and says which do not.
 *
 * Encoding needs tfjs (the `tf` module is passed in); file access goes
 * through `CheckpointFs`, so this file runs in the webview (encode/decode)
 * as well as in Node (read/write).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { ModelInfo } from '../analysis/types';
import type { Tf } from '../layers/types';
import type { BuiltModel } from './build';
import type { EpochLogs } from './train';

/** Format version of the `nnmodel` section. */
export const CHECKPOINT_VERSION = 1;
export const MODEL_JSON = 'model.json';

/** One layer in a graph signature. */
export interface LayerSignature {
  /** Node path (build.ts). */
  path: string;
  op: string;
  /** For messages: `conv2d(6, 5)`. */
  label: string;
  /** 1-based source line of the call. */
  line: number;
  weights: { name: string; shape: number[] }[];
}

/** What a checkpoint says about itself besides the weights. */
export interface CheckpointMeta {
  version: number;
  model: string;
  /** The .nnmodel file, as the writer named it. */
  source?: string;
  /** Epochs completed. */
  epoch: number;
  signature: LayerSignature[];
  history: EpochLogs[];
  /** What the data looked like: classes, shapes, the tokeniser and feature scaling. */
  data?: {
    source: string;
    classes: string[];
    exampleShape: number[];
    tokenizer?: unknown;
    featureStats?: { names: string[]; mean: number[]; std: number[] };
  };
  /** FNV-1a of the weights file, to tell a damaged one. */
  checksum: string;
  savedAt: string;
}

export interface ModelJson {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: null;
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: 'float32' }[] }[];
  nnmodel: CheckpointMeta;
}

export interface EncodedCheckpoint {
  modelJson: ModelJson;
  weightsFile: string;
  weights: Uint8Array;
}

/** A checkpoint that cannot be read; the message names the file. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/**
 * The layers that own weights, by node path, in build order; a layer object
 * applied several times appears once (at its first path).
 */
export function graphSignature(built: BuiltModel): LayerSignature[] {
  const seen = new Set<tfTypes.layers.Layer>();
  const out: LayerSignature[] = [];
  for (const path of built.layerPaths) {
    const layer = built.layerOf.get(path)!;
    const node = built.nodeOf.get(path)!;
    if (seen.has(layer)) continue;
    seen.add(layer);
    if (layer.weights.length === 0) continue;
    out.push({
      path,
      op: node.op,
      label: node.label,
      line: node.range.start.line + 1,
      weights: layer.weights.map((w) => ({ name: shortName(w.name), shape: w.shape.map((d) => d ?? 0) })),
    });
  }
  return out;
}

/** `dense_3/kernel` → `kernel` (tfjs prefixes the layer's unique name). */
function shortName(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1).replace(/_\d+$/, '');
}

/** FNV-1a, 32 bits, as 8 hex digits. */
export function fnv1a(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Reads the model's weights (async: waits for the backend) into a checkpoint. */
export async function encodeCheckpoint(
  built: BuiltModel,
  meta: Omit<CheckpointMeta, 'version' | 'signature' | 'checksum' | 'savedAt'>,
): Promise<EncodedCheckpoint> {
  const signature = graphSignature(built);
  const manifest: ModelJson['weightsManifest'][number]['weights'] = [];
  const chunks: Float32Array[] = [];
  for (const s of signature) {
    const layer = built.layerOf.get(s.path)!;
    const values = layer.getWeights();
    for (let i = 0; i < values.length; i++) {
      manifest.push({ name: `${s.path}/${s.weights[i].name}`, shape: s.weights[i].shape, dtype: 'float32' });
      chunks.push((await values[i].data()) as Float32Array);
    }
  }
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const all = new Float32Array(total);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  const weights = new Uint8Array(all.buffer);
  const checksum = fnv1a(weights);
  const weightsFile = `weights-e${meta.epoch}-${checksum}.bin`;
  let topology: unknown = null;
  try {
    topology = built.model.toJSON(undefined, false);
  } catch {
    // Custom layers without a serialisable config: the weights manifest and the signature still describe the checkpoint.
  }
  return {
    weightsFile,
    weights,
    modelJson: {
      format: 'layers-model',
      generatedBy: 'nnmodel',
      convertedBy: null,
      modelTopology: topology,
      weightsManifest: [{ paths: [weightsFile], weights: manifest }],
      nnmodel: { ...meta, version: CHECKPOINT_VERSION, signature, checksum, savedAt: new Date().toISOString() },
    },
  };
}

// ------------------------------------------------------------------ matching

/** How a checkpoint's layers map onto a model's. */
export interface SignatureMatch {
  /** Saved path → current path for layers whose op and weight shapes fit. */
  pairs: { saved: string; current: string }[];
  /** One sentence per layer that does not fit (empty when everything fits). */
  problems: string[];
}

const shapesText = (w: LayerSignature['weights']) => w.map((x) => `${x.name} [${x.shape.join(', ')}]`).join(', ');

/**
 * Pairs saved layers with current ones: first by node path (same op and
 * shapes), then the rest in order among layers of the same op (an edit that
 * inserts a layer renumbers the paths after it).
 */
export function matchSignature(saved: readonly LayerSignature[], current: readonly LayerSignature[]): SignatureMatch {
  const fits = (a: LayerSignature, b: LayerSignature) =>
    a.op === b.op && a.weights.length === b.weights.length && a.weights.every((w, i) => w.shape.join(',') === b.weights[i].shape.join(','));
  const pairs: SignatureMatch['pairs'] = [];
  const usedSaved = new Set<string>();
  const usedCurrent = new Set<string>();
  const savedByPath = new Map(saved.map((s) => [s.path, s]));
  for (const c of current) {
    const s = savedByPath.get(c.path);
    if (s && fits(s, c)) {
      pairs.push({ saved: s.path, current: c.path });
      usedSaved.add(s.path);
      usedCurrent.add(c.path);
    }
  }
  for (const c of current) {
    if (usedCurrent.has(c.path)) continue;
    const s = saved.find((x) => !usedSaved.has(x.path) && fits(x, c));
    if (s) {
      pairs.push({ saved: s.path, current: c.path });
      usedSaved.add(s.path);
      usedCurrent.add(c.path);
    }
  }
  const problems: string[] = [];
  for (const c of current) {
    if (usedCurrent.has(c.path)) continue;
    const same = savedByPath.get(c.path);
    if (same && same.op === c.op && !usedSaved.has(same.path)) {
      problems.push(`${c.label} (line ${c.line}) no longer fits: the checkpoint has ${shapesText(same.weights)}, the model now has ${shapesText(c.weights)}; it keeps its initial weights.`);
    } else {
      problems.push(`${c.label} (line ${c.line}) is not in the checkpoint; it keeps its initial weights.`);
    }
  }
  for (const s of saved) {
    if (usedSaved.has(s.path)) continue;
    const here = current.find((c) => c.path === s.path);
    if (!here || here.op !== s.op) problems.push(`${s.label} (line ${s.line} when saved) is no longer in the model; its weights are not used.`);
  }
  return { pairs, problems };
}

/** The weights of each saved layer (by saved path), as views into `weights`. */
export function decodeWeights(json: ModelJson, weights: Uint8Array, file = MODEL_JSON): Map<string, { shape: number[]; values: Float32Array }[]> {
  const entries = json.weightsManifest.flatMap((g) => g.weights);
  const total = entries.reduce((n, w) => n + w.shape.reduce((p, d) => p * d, 1), 0);
  if (weights.byteLength !== total * 4) {
    throw new CheckpointError(`${json.weightsManifest[0]?.paths[0] ?? 'weights'}: has ${weights.byteLength} bytes, but ${file} lists ${total * 4}; the checkpoint is damaged.`);
  }
  const floats = new Float32Array(weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength));
  const out = new Map<string, { shape: number[]; values: Float32Array }[]>();
  let at = 0;
  for (const w of entries) {
    if (w.dtype !== 'float32') throw new CheckpointError(`${file}: weight ${w.name} has dtype ${w.dtype}; only float32 is supported.`);
    const n = w.shape.reduce((p, d) => p * d, 1);
    const path = w.name.slice(0, w.name.lastIndexOf('/'));
    const list = out.get(path) ?? [];
    list.push({ shape: w.shape, values: floats.subarray(at, at + n) });
    out.set(path, list);
    at += n;
  }
  return out;
}

/**
 * Sets the weights of every layer of `built` that fits the checkpoint and
 * returns what did not fit. Throws only when the checkpoint is damaged.
 */
export function applyCheckpoint(tf: Tf, built: BuiltModel, json: ModelJson, weights: Uint8Array): SignatureMatch & { loaded: number } {
  const saved = json.nnmodel.signature;
  const current = graphSignature(built);
  const match = matchSignature(saved, current);
  const values = decodeWeights(json, weights);
  let loaded = 0;
  for (const { saved: s, current: c } of match.pairs) {
    const ws = values.get(s);
    if (!ws) continue;
    const tensors = ws.map((w) => tf.tensor(w.values, w.shape, 'float32'));
    try {
      built.layerOf.get(c)!.setWeights(tensors);
      loaded++;
    } finally {
      tf.dispose(tensors);
    }
  }
  return { ...match, loaded };
}

// ------------------------------------------------------------------ files

/** The file operations checkpoints need (node:fs/promises in Node; a fake in tests). */
export interface CheckpointFs {
  mkdir(path: string): Promise<void>;
  writeFile(path: string, data: Uint8Array): Promise<void>;
  readFile(path: string): Promise<Uint8Array>;
  /** Atomic replace of `to` when it exists. */
  rename(from: string, to: string): Promise<void>;
  remove(path: string): Promise<void>;
  list(dir: string): Promise<string[]>;
}

/**
 * Where the checkpoints of `model` in `file` live: `folderSetting` (the
 * setting `nnmodel.checkpoints.folder`, default `.nnmodel/<file>/<model>`)
 * with `<file>` (the file name without `.nnmodel`) and `<model>` replaced,
 * relative to the folder of the file unless absolute.
 */
export function checkpointDir(filePath: string, model: string, folderSetting = '.nnmodel/<file>/<model>'): string {
  const p = filePath.replace(/\\/g, '/');
  const dir = p.slice(0, p.lastIndexOf('/')) || '.';
  const base = p.slice(p.lastIndexOf('/') + 1).replace(/\.nnmodel$/i, '');
  const rel = folderSetting.replace(/<file>/g, safeName(base)).replace(/<model>/g, safeName(model));
  return rel.startsWith('/') || /^[A-Za-z]:[\\/]/.test(rel) ? rel : `${dir}/${rel}`;
}

/** A model or file name as one path segment. */
function safeName(s: string): string {
  return s.replace(/[^\w.-]/g, '_');
}

/**
 * Where a GAN's discriminator (`loss: adversarial(discriminator)` in the
 * train section of `generator`) keeps its checkpoint: its own
 * `checkpointDir`, unless that is the generator's (a folder setting without
 * `<model>`), then the subfolder `<generator's folder>/<discriminator>`.
 * Two models never share a folder: a checkpoint write removes the weights
 * files its `model.json` does not name, and resume would load one model's
 * weights into the other. The CLI and the editor both call this, so each
 * finds the other's checkpoints.
 */
export function discriminatorCheckpointDir(filePath: string, generator: string, discriminator: string, folderSetting?: string): string {
  const gDir = checkpointDir(filePath, generator, folderSetting);
  const dDir = checkpointDir(filePath, discriminator, folderSetting);
  return dDir === gDir ? `${gDir}/${safeName(discriminator)}` : dDir;
}

/**
 * Reads the checkpoint of `model` where training writes it: its folder, or,
 * when a folder setting without `<model>` gives every model the same folder
 * and another model's checkpoint is there, `<folder>/<model>` (where a GAN's
 * discriminator goes, `discriminatorCheckpointDir`). Throws as
 * `readCheckpoint` when there is none of this model, a damaged one included.
 */
export async function readModelCheckpoint(fs: CheckpointFs, filePath: string, model: string, folderSetting?: string): Promise<{ modelJson: ModelJson; weights: Uint8Array; dir: string }> {
  const dir = checkpointDir(filePath, model, folderSetting);
  const shared = dir === checkpointDir(filePath, `${model}\u0000other`, folderSetting);
  let first: unknown;
  try {
    const ck = await readCheckpoint(fs, dir);
    if (ck.modelJson.nnmodel.model === model || !shared) return { ...ck, dir };
  } catch (e) {
    if (!shared) throw e;
    first = e;
  }
  const sub = `${dir}/${safeName(model)}`;
  try {
    return { ...(await readCheckpoint(fs, sub)), dir: sub };
  } catch (e) {
    throw first ?? e;
  }
}

let tmpCounter = 0;
const tmpSuffix = () => `.tmp-${Date.now().toString(36)}-${(tmpCounter++).toString(36)}`;

/** Writes a checkpoint into `dir` atomically (see the file comment). */
export async function writeCheckpoint(fs: CheckpointFs, dir: string, ck: EncodedCheckpoint): Promise<void> {
  await fs.mkdir(dir);
  const weightsPath = `${dir}/${ck.weightsFile}`;
  const weightsTmp = weightsPath + tmpSuffix();
  await fs.writeFile(weightsTmp, ck.weights);
  await fs.rename(weightsTmp, weightsPath);
  const jsonTmp = `${dir}/${MODEL_JSON}${tmpSuffix()}`;
  await fs.writeFile(jsonTmp, new TextEncoder().encode(JSON.stringify(ck.modelJson)));
  await fs.rename(jsonTmp, `${dir}/${MODEL_JSON}`);
  // The switch is done; what follows only tidies up.
  for (const name of await fs.list(dir).catch(() => [] as string[])) {
    const stale = (name.startsWith('weights-') && name.endsWith('.bin') && name !== ck.weightsFile) || name.includes('.tmp-');
    if (stale) await fs.remove(`${dir}/${name}`).catch(() => undefined);
  }
}

/** Reads and checks the checkpoint in `dir`. Throws a CheckpointError naming the file when it is missing or damaged. */
export async function readCheckpoint(fs: CheckpointFs, dir: string): Promise<{ modelJson: ModelJson; weights: Uint8Array }> {
  const jsonPath = `${dir}/${MODEL_JSON}`;
  let text: string;
  try {
    text = new TextDecoder().decode(await fs.readFile(jsonPath));
  } catch {
    throw new CheckpointError(`${jsonPath}: no checkpoint here (train the model first).`);
  }
  let json: ModelJson;
  try {
    json = JSON.parse(text) as ModelJson;
  } catch {
    throw new CheckpointError(`${jsonPath}: is not valid JSON; the checkpoint is damaged.`);
  }
  const meta = json?.nnmodel;
  const paths = json?.weightsManifest?.[0]?.paths;
  if (!meta || meta.version !== CHECKPOINT_VERSION || !Array.isArray(meta.signature) || !Array.isArray(paths) || paths.length !== 1) {
    throw new CheckpointError(`${jsonPath}: is not an nnmodel checkpoint (version ${CHECKPOINT_VERSION}).`);
  }
  if (!/^[\w.-]+$/.test(paths[0])) throw new CheckpointError(`${jsonPath}: names a weights file outside its folder.`);
  const weightsPath = `${dir}/${paths[0]}`;
  let weights: Uint8Array;
  try {
    weights = await fs.readFile(weightsPath);
  } catch {
    throw new CheckpointError(`${weightsPath}: missing; the checkpoint is damaged.`);
  }
  if (fnv1a(weights) !== meta.checksum) throw new CheckpointError(`${weightsPath}: its checksum does not match ${MODEL_JSON}; the checkpoint is damaged.`);
  decodeWeights(json, weights, jsonPath);
  return { modelJson: json, weights };
}

/** The weights of a model's layers as a ModelInfo-independent summary, for the Load Weights message. */
export function describeMatch(model: ModelInfo['name'], m: SignatureMatch & { loaded: number }): string {
  if (m.problems.length === 0) return `Loaded the weights of all ${m.loaded} layers of ${model}.`;
  return `Loaded ${m.loaded} layers of ${model}; ${m.problems.length} did not fit:\n${m.problems.map((p) => `- ${p}`).join('\n')}`;
}
