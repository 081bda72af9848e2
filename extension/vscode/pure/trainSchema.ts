/**
 * What a `train` section accepts, for completion, hover and signature help,
 * derived from the core's train schema (the analysis validates with the same
 * tables, so the editor never offers what the analysis rejects).
 */
import { DATA_SOURCES as CORE_SOURCES, LOSSES, METRICS, OPTIMIZERS as CORE_OPTIMIZERS, TRAIN_KEYS as CORE_KEYS } from '../../core/analysis/train';
import type { ArgValue } from '../../core/layers/types';

export interface TrainFnArg {
  name: string;
  doc: string;
  /** Default as written in source (absent: required). */
  default?: string;
  /** Bare values the argument takes. */
  values?: readonly string[];
}

export interface TrainFn {
  name: string;
  doc: string;
  args: readonly TrainFnArg[];
}

export interface TrainKey {
  name: string;
  doc: string;
  /** Snippet inserted after `key: `. */
  snippet: string;
  /** Bare names the value may be. */
  values?: readonly { name: string; doc: string }[];
  /** Functions the value may call. */
  functions?: readonly TrainFn[];
}

/** Structural view of the core's option specs. */
interface CoreOption {
  name: string;
  type: string | readonly string[];
  default?: ArgValue;
  doc: string;
}

function sourceText(v: ArgValue): string {
  if (v === null) return 'none';
  if (Array.isArray(v)) return `[${v.join(', ')}]`;
  if (typeof v === 'string') return v;
  if (typeof v === 'object') return v.name;
  return String(v);
}

function toArg(o: CoreOption): TrainFnArg {
  const values = typeof o.type === 'string' ? (o.type === 'bool' ? ['true', 'false'] : undefined) : o.type;
  const dflt = o.default === undefined ? undefined : o.type === 'string' ? JSON.stringify(o.default) : sourceText(o.default);
  // An option without a default is still optional (e.g. bpe's vocab): say so rather than call it required.
  return { name: o.name, doc: o.doc, default: dflt ?? 'none', values };
}

export const DATA_SOURCES: readonly TrainFn[] = CORE_SOURCES.map((s) => ({
  name: s.name,
  doc: s.doc,
  args: [
    ...(s.path ? [{ name: 'path', doc: 'Path relative to this file.' }] : []),
    ...(s.options as readonly CoreOption[]).map(toArg),
  ],
}));

const OPTIMIZER_DOCS: Record<string, string> = {
  adam: 'Adam: adaptive moment estimates; a good default.',
  sgd: 'Stochastic gradient descent, optionally with momentum.',
  rmsprop: 'RMSprop: steps scaled by a running average of squared gradients.',
};

export const OPTIMIZERS: readonly TrainFn[] = Object.entries(CORE_OPTIMIZERS).map(([name, opts]) => ({
  name,
  doc: OPTIMIZER_DOCS[name] ?? name,
  args: (opts as readonly CoreOption[]).map(toArg),
}));

const VALUE_DOCS: Record<string, string> = {
  crossentropy: 'Categorical cross-entropy over class probabilities (after `softmax`).',
  binary_crossentropy: 'Binary cross-entropy for independent yes/no outputs (after `sigmoid`).',
  mse: 'Mean squared error, for regression.',
  mae: 'Mean absolute error, for regression.',
  accuracy: 'Fraction of examples (or tokens) whose predicted class is right.',
};

const SNIPPETS: Record<string, string> = {
  data: 'digits(samples = ${1:6000})',
  loss: `\${1|${LOSSES.join(',')}|}`,
  optimizer: 'adam(lr = ${1:1e-3})',
  epochs: '${1:5}',
  batch: '${1:32}',
  validation: '${1:0.1}',
  metrics: '[${1:accuracy}]',
  mixup: '${1:0.2}',
};

function capitalised(s: string): string {
  return s ? s[0].toUpperCase() + s.slice(1) + (s.endsWith('.') ? '' : '.') : s;
}

export const TRAIN_KEYS: readonly TrainKey[] = Object.entries(CORE_KEYS).map(([name, doc]) => ({
  name,
  doc: capitalised(doc),
  snippet: SNIPPETS[name] ?? '$1',
  values:
    name === 'loss'
      ? LOSSES.map((l) => ({ name: l, doc: VALUE_DOCS[l] ?? l }))
      : name === 'metrics'
        ? METRICS.map((m) => ({ name: m, doc: VALUE_DOCS[m] ?? m }))
        : undefined,
  functions: name === 'data' ? DATA_SOURCES : name === 'optimizer' ? OPTIMIZERS : undefined,
}));

export function trainKey(name: string): TrainKey | undefined {
  return TRAIN_KEYS.find((k) => k.name === name);
}

export function trainFunction(key: string | undefined, name: string): TrainFn | undefined {
  const fromKey = key ? trainKey(key)?.functions : undefined;
  return (fromKey ?? [...DATA_SOURCES, ...OPTIMIZERS]).find((f) => f.name === name);
}
