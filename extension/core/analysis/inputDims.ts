/**
 * The sizes a train section's data gives a model's symbolic input
 * dimensions: shared by the analysis (the layer rules at the data's size,
 * trainLength.ts) and the runtime (the sizes a model is built at,
 * runtime/train.ts `symbolicDimsFor`), so that both bind the same names to
 * the same values.
 */
import type { ModelInfo } from './types';

/**
 * Values of the model's symbolic dimensions that the examples fix, one
 * example shape per input in port order (missing sizes: `undefined`): an
 * input dimension written as one name (`input t: int[seq]`) takes the
 * example's size on that axis; the first input that fixes a name gives its
 * value. Dimensions written as a formula (`seq + 1`) fix nothing. Empty when
 * the inputs have none.
 */
export function inputDimSizes(model: Pick<ModelInfo, 'inputs'>, examples: readonly (readonly (number | undefined)[] | undefined)[]): Record<string, number> {
  const bound: Record<string, number> = {};
  examples.forEach((example, k) => {
    if (!example) return;
    model.inputs[k]?.shape.dims.forEach((d, i) => {
      const v = example[i];
      if (d.isConst() || v === undefined) return;
      const atoms = d.atoms();
      if (atoms.length === 1 && d.toString() === atoms[0] && !Object.hasOwn(bound, atoms[0])) bound[atoms[0]] = v;
    });
  });
  return bound;
}
