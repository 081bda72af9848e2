/**
 * What training one model of a file depends on: the errors that stop it
 * (those in the model, its train section, the blocks it uses and the models
 * the section names, such as a GAN's discriminator; an error in another
 * model of the file does not), and a data source to suggest for a model
 * without a train section.
 */
import type { Range } from '../syntax/ast';
import type { Analysis, Diagnostic, ModelInfo } from './types';
import { sizeSpec } from './train';

function contains(outer: Range, inner: Range): boolean {
  return outer.start.offset <= inner.start.offset && inner.end.offset <= outer.end.offset;
}

const WORD = /[A-Za-z_][A-Za-z0-9_]*/g;

function words(text: string, range: Range): string[] {
  return text.slice(range.start.offset, range.end.offset).match(WORD) ?? [];
}

/**
 * The errors (of this file) that stop training `model`: those inside the
 * model, its train sections, the models these sections name and the blocks
 * of this file these may use (named in their text, through block bodies),
 * and those outside every declaration (a stray line may be a declaration
 * that failed to parse). An import's errors stop only the models that use
 * what it should give (they then have errors of their own). When the models
 * trained have errors and none of them is found so (a case this does not
 * foresee), every error of the file.
 */
export function errorsBlockingTraining(analysis: Analysis, model: string): Diagnostic[] {
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error' && !d.uri);
  const byName = new Map(analysis.models.map((m) => [m.name, m]));
  const info = byName.get(model);
  if (!info || errors.length === 0) return errors;
  const text = analysis.file.text ?? '';
  const items = analysis.file.items;
  const needed = new Map<string, ModelInfo>([[model, info]]);
  const ranges: Range[] = [];
  for (const item of items) {
    if (item.kind !== 'train' || item.name.name !== model) continue;
    ranges.push(item.range);
    for (const word of words(text, item.range)) {
      const m = byName.get(word);
      if (m) needed.set(word, m);
    }
  }
  // Blocks of this file the models may use, through block bodies: any identifier naming one counts
  // (a block whose call failed leaves no trace in the graph, yet its errors are what to fix).
  const blockRanges = new Map<string, Range>();
  for (const item of items) if (item.kind === 'block' && !blockRanges.has(item.name.name)) blockRanges.set(item.name.name, item.range);
  const todo: Range[] = [];
  for (const item of items) if (item.kind === 'model' && needed.has(item.name.name)) todo.push(item.range);
  const reached = new Set<string>();
  for (let r = todo.pop(); r; r = todo.pop()) {
    ranges.push(r);
    for (const word of words(text, r)) {
      const block = blockRanges.get(word);
      if (block && !reached.has(word)) {
        reached.add(word);
        todo.push(block);
      }
    }
  }
  const declared = items.map((i) => i.range);
  const relevant = errors.filter((d) => ranges.some((r) => contains(r, d.range)) || !declared.some((r) => contains(r, d.range)));
  if (relevant.length === 0 && [...needed.values()].some((m) => m.hasErrors)) return errors;
  return relevant;
}

/**
 * A `data:` source that fits the model as written, for a hint such as
 * `train M { data: shapes() }`: `digits()` (10 classes) or `shapes()` (3)
 * for square grey or colour images they can draw (they take the model's
 * size) when the output has as many classes; else a folder of images at the
 * model's size; `text(...)` for token ids, `waves(...)` for a series of
 * single values, a CSV for a vector of features.
 */
export function suggestedData(info: ModelInfo): string {
  const inputs = info.inputs;
  if (inputs.length === 2) return 'sequences()';
  const shape = inputs[0]?.shape;
  if (!shape) return 'digits()';
  const dims = shape.dims.map((d) => d.value);
  if (shape.isInt) return 'text("file.txt")';
  if (dims.length === 3 && dims.every((d) => d !== undefined)) {
    const [h, w, c] = dims as number[];
    const out = info.outputs.length === 1 ? info.outputs[0].shape.dims : [];
    const classes = out.length === 1 ? out[0].value : undefined;
    const drawable = (kind: string) => h === w && h >= sizeSpec(kind).min && h <= sizeSpec(kind).max;
    if (c === 1) return drawable('digits') && classes === 10 ? 'digits()' : `images("folder", size = [${h}, ${w}], grayscale = true)`;
    if (c === 3) return drawable('shapes') && classes === 3 ? 'shapes()' : `images("folder", size = [${h}, ${w}])`;
  }
  if (dims.length === 2 && dims[1] === 1) return dims[0] === undefined ? 'waves()' : `waves(length = ${dims[0]})`;
  if (dims.length === 1) return 'csv("file.csv")';
  return 'digits()';
}

/** `train M { data: … }` for a hint, with what a folder or file it names must hold. */
export function trainSectionHint(info: ModelInfo): string {
  const data = suggestedData(info);
  const section = `train ${info.name} { data: ${data} }`;
  if (data.startsWith('images(')) return `${section} (a folder with one sub-folder of images per class)`;
  if (data.startsWith('csv(')) return `${section} (a CSV file with a header row, feature columns and a label column)`;
  if (data.startsWith('text(')) return `${section} (a text file to learn from)`;
  return section;
}
