/**
 * The built-in data sets of the contract (`digits`, `shapes`, `sequences`,
 * `waves`) as a `Dataset`, from the options of a `data:` source. Pure code
 * with no file access and no Node module, so the inspector webview generates
 * the same seeded examples as the CLI from the source spec alone (the host
 * never has to send them).
 */
import type { DataSource } from '../../analysis/types';
import type { Dataset } from './files';
import { digits, sequencePairs, sequences, shapes, waves, type SequenceTask } from './synthetic';

/** The kinds `builtinDataset` generates. */
export const BUILTIN_KINDS = ['digits', 'shapes', 'sequences', 'waves'] as const;
export type BuiltinKind = (typeof BUILTIN_KINDS)[number];
export type BuiltinSource = Extract<DataSource, { kind: BuiltinKind }>;

export function isBuiltinSource(source: DataSource): source is BuiltinSource {
  return (BUILTIN_KINDS as readonly string[]).includes(source.kind);
}

/**
 * The seeded examples of a built-in source (defaults as documented in
 * docs/language.md), laid out for a model with `inputs` inputs: for two,
 * `sequences` gives teacher-forcing pairs (`sequencePairs`: the source for
 * the first input, `BOS` + the answer shifted right for the second); the
 * other sets feed one input whatever `inputs` says, and the training loop's
 * `checkDataFits` says so.
 */
export function builtinDataset(source: BuiltinSource, inputs = 1): Dataset {
  const num = (k: string, d: number) => (typeof source.options[k] === 'number' ? (source.options[k] as number) : d);
  switch (source.kind) {
    case 'digits':
      return fromSynthetic('digits', digits({ samples: num('samples', 6000), size: num('size', 28), seed: num('seed', 1) }));
    case 'shapes':
      return fromSynthetic('shapes', shapes({ samples: num('samples', 6000), size: num('size', 32), seed: num('seed', 1) }));
    case 'sequences': {
      const options = {
        samples: num('samples', 6000),
        task: (source.options.task as SequenceTask) ?? 'copy',
        length: num('length', 16),
        vocab: num('vocab', 10),
        seed: num('seed', 1),
      };
      if (inputs !== 2) return fromSynthetic('sequences', sequences(options));
      const pairs = sequencePairs(options);
      return {
        ...fromSynthetic('sequences', pairs),
        xName: 'source sequence',
        moreInputs: [{ name: 'decoder input: BOS + the answer shifted right', xs: pairs.decoderXs, xDtype: 'int32', exampleShape: [options.length] }],
      };
    }
    case 'waves':
      // Each position's target is the next value: a one-value model is trained on the value after the window (train.ts targetsFor).
      return { ...fromSynthetic('waves', waves({ samples: num('samples', 6000), length: num('length', 128), seed: num('seed', 1) })), nextStep: true };
  }
}

function fromSynthetic(
  name: string,
  d: { count: number; xs: Float32Array | Int32Array; xDtype: 'float32' | 'int32'; exampleShape: number[]; ys: Float32Array | Int32Array; targetShape: number[]; classes: string[] },
): Dataset {
  return {
    source: name,
    count: d.count,
    xs: d.xs,
    xDtype: d.xDtype,
    exampleShape: d.exampleShape,
    ys: d.ys,
    yDtype: d.ys instanceof Int32Array ? 'int32' : 'float32',
    targetShape: d.targetShape,
    classes: d.classes,
  };
}
