/**
 * Sizes for a model's symbolic dimensions, so that its formulas
 * (`1,024·seq² + 794,624·seq`) can be shown with numbers beside them. A size
 * comes from the user (the setting `nnmodel.dimensions`, `--dim seq=1024`)
 * or else from the model's train section, where its data fixes it
 * (`text(..., context = 64)` trains at `seq` = 64).
 */
import { DATA_SOURCES } from './train';
import { trainingMemory } from './summary';
import { Sym } from './sym';
import type { ModelInfo, TrainInfo } from './types';

/** Largest size accepted for a dimension (the analysis's largest dimension). */
const MAX_SIZE = 2 ** 31 - 1;

export interface DimSizes {
  /** The size of each of the model's symbolic dimensions that has one, in the model's order. */
  values: Record<string, number>;
  /** Where each size came from. */
  from: Record<string, 'given' | 'train'>;
  /** The model's symbolic dimensions without a size. */
  missing: string[];
}

/**
 * The sizes a setting gives: an object of dimension name → whole number
 * from 1 (`{ "seq": 1024 }`). What does not read as one is listed in
 * `invalid` (`"seq": 0`, `"x y": 3`) and left out.
 */
export function readDimSetting(raw: unknown): { values: Record<string, number>; invalid: string[] } {
  const values: Record<string, number> = {};
  const invalid: string[] = [];
  if (raw === undefined || raw === null) return { values, invalid };
  if (typeof raw !== 'object' || Array.isArray(raw)) return { values, invalid: [String(JSON.stringify(raw))] };
  for (const [name, v] of Object.entries(raw as Record<string, unknown>)) {
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_SIZE) values[name] = v;
    else invalid.push(`${JSON.stringify(name)}: ${JSON.stringify(v)}`);
  }
  return { values, invalid };
}

/**
 * Sizes for `model`'s symbolic dimensions: `given` first, else what its
 * train section's data feeds (one input, or the source and target of
 * `sequences` for an encoder-decoder) where an input dimension is exactly
 * a symbol (`int[seq]`, `[h, w, 3]`).
 */
export function dimSizes(model: ModelInfo, trains: readonly TrainInfo[], given: Readonly<Record<string, number>>): DimSizes {
  const fromTrain = trainSizes(model, trains);
  const values: Record<string, number> = {};
  const from: DimSizes['from'] = {};
  const missing: string[] = [];
  for (const name of model.symbols) {
    if (Object.hasOwn(given, name)) {
      values[name] = given[name];
      from[name] = 'given';
    } else if (Object.hasOwn(fromTrain, name)) {
      values[name] = fromTrain[name];
      from[name] = 'train';
    } else missing.push(name);
  }
  return { values, from, missing };
}

function trainSizes(model: ModelInfo, trains: readonly TrainInfo[]): Record<string, number> {
  const out: Record<string, number> = {};
  const train = trains.find((t) => t.model === model.name);
  const data = train?.config.data;
  const spec = data && DATA_SOURCES.find((s) => s.name === data.kind);
  if (!data || !spec?.example) return out;
  if (model.inputs.length !== 1 && !(spec.pairs && model.inputs.length === 2)) return out;
  const ex = spec.example(data.options);
  for (const input of model.inputs) {
    if (input.shape.dims.length !== ex.dims.length) continue;
    input.shape.dims.forEach((d, i) => {
      const size = ex.dims[i].value;
      const [atom] = d.atoms();
      if (size !== undefined && atom !== undefined && d.equals(Sym.atom(atom)) && !Object.hasOwn(out, atom)) out[atom] = size;
    });
  }
  return out;
}

/** `seq = 64`, `src_len = 8, tgt_len = 8`. */
export function sizesText(values: Readonly<Record<string, number>>): string {
  return Object.entries(values)
    .map(([name, v]) => `${name} = ${v.toLocaleString('en-US')}`)
    .join(', ');
}

/** A model's totals at given sizes: numbers, or undefined when a size is missing. */
export interface TotalsAt {
  macs: number;
  activationBytes: number;
  trainingBytes: number;
}

export function totalsAt(model: ModelInfo, values: Readonly<Record<string, number>>, batch: number): TotalsAt | undefined {
  const macs = model.macs.evaluate(values);
  const activationBytes = model.memory.activationBytes.evaluate(values);
  const trainingBytes = trainingMemory(model, batch).evaluate(values);
  if (macs === undefined || activationBytes === undefined || trainingBytes === undefined) return undefined;
  return { macs, activationBytes, trainingBytes };
}
