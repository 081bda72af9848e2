/**
 * Warnings about data that trains but does not fill the model: fewer
 * classes than the model has outputs. (What cannot train at all is an error
 * of train.ts `checkDataFits`.) Pure: the editor's host and the CLI say it
 * at the start of a run, once the data is read.
 */
import type { ModelInfo, TrainConfig } from '../analysis/types';
import { plural } from '../plural';

/**
 * "2 classes in mydata/shapes but 'PicNet' outputs 3 values: the extra
 * output never gets a label…" when a classifier trained with crossentropy
 * on one class per example (an image folder, a CSV's label column) has more
 * outputs than the data has classes; undefined otherwise. Text and the
 * built-in sets are left out: a vocabulary larger than the text's is usual,
 * and the analysis checks the built-in sets' classes exactly.
 */
export function unlabelledOutputsWarning(
  info: Pick<ModelInfo, 'name' | 'outputs'>,
  data: { source: string; classes: readonly string[]; targetShape: readonly number[] },
  config: Pick<TrainConfig, 'loss' | 'data'>,
): string | undefined {
  const kind = config.data?.kind;
  if (config.loss !== 'crossentropy' || (kind !== 'images' && kind !== 'csv')) return undefined;
  if (data.targetShape.length !== 0 || data.classes.length === 0) return undefined;
  const out = info.outputs[0]?.shape;
  const outputs = out?.dims[out.dims.length - 1]?.value;
  const classes = data.classes.length;
  if (outputs === undefined || outputs <= classes) return undefined;
  const extra = outputs - classes;
  const where = kind === 'images' ? `add ${extra === 1 ? 'a class folder' : `${extra} class folders`}` : 'check the label column';
  return (
    `${plural(classes, 'class', 'classes')} in ${data.source} but '${info.name}' outputs ${outputs} values: ` +
    `${extra === 1 ? 'the extra output never gets a label' : `the ${extra} extra outputs never get a label`}. ` +
    `End the model with dense(${classes}), or ${where}.`
  );
}

/** Layers that keep the size of the last axis: walked through back from the output to the layer that sets it. */
const KEEPS_LAST_AXIS = new Set(['activation', 'regularization', 'norm']);

/**
 * How to make `info` output `n` values per position, as a sentence: when
 * its last layer is `unembed(wte)` (weight tying), the size comes from the
 * embedding (`wte = embedding(50, 128)`), and a `dense(n)` at the end would
 * undo the tying; otherwise "End the model with dense(n) to match."
 */
export function outputSizeAdvice(info: Pick<ModelInfo, 'graph' | 'outputs'>, n: number): string {
  const byId = new Map(info.graph.nodes.map((node) => [node.id, node]));
  let node = info.outputs[0] === undefined ? undefined : byId.get(info.outputs[0].nodeId);
  while (node?.kind === 'layer' && KEEPS_LAST_AXIS.has(node.category) && node.inputs.length === 1) node = byId.get(node.inputs[0]);
  if (node?.kind === 'layer' && node.op === 'unembed') {
    const ref = node.args.embedding;
    if (typeof ref === 'object' && ref !== null && !Array.isArray(ref) && ref.kind === 'layerRef' && typeof ref.args.dim === 'number') {
      return `Declare ${ref.name} = embedding(${n}, ${ref.args.dim}) to match: unembed(${ref.name}) outputs one value per row of ${ref.name}.`;
    }
  }
  return `End the model with dense(${n}) to match.`;
}
