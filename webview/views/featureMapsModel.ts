/**
 * The feature maps view without the DOM: its image picker (its options and
 * which one is selected, so the picker always names the image the maps are
 * drawn for), the zero shares of ReLU outputs, the layout of `[n]`
 * outputs' cell strips, and each layer's colour scale and size as its
 * legend says them. Unit tested in Node (test/unit/feature-maps-*.test.ts).
 */
import type { DimSource } from '../host/session';
import { groupedPlural, plural } from '../../extension/core/plural';
import { formatRange, formatSigned } from '../probes/colormap';

export interface PickerOption {
  value: string;
  text: string;
}

export interface PickerState {
  options: PickerOption[];
  /** Value of the selected option. */
  value: string;
}

/** Value of the placeholder option, shown while no image is displayed. */
export const NO_IMAGE = '';
/** Prefix of the value of the option for an image that is not a built-in sample (a workspace file). */
export const OTHER_IMAGE = 'image:';

/** Prefix of the value of the option for one of the training images the host listed (`TrainDataInfo.images`). */
export const TRAIN_IMAGE = 'train:';

/**
 * The picker for the built-in samples `samples` and the model's training
 * images `trainImages` (paths, after the samples) while `current` is shown
 * (its name as `ViewContext.imageName` gives it; undefined when none is):
 * a sample's or training image's own option; for any other image (a file
 * from the workspace) an option of its own, first, so the picker does not
 * claim a sample or the placeholder while the maps show that file; the
 * placeholder "Sample image…" only while no image is shown.
 */
export function pickerState(samples: readonly string[], current: string | undefined, trainImages: readonly string[] = []): PickerState {
  const options = [...samples.map((name) => ({ value: name, text: name })), ...trainImages.map((path) => ({ value: TRAIN_IMAGE + path, text: path }))];
  if (current === undefined || current === '') return { options: [{ value: NO_IMAGE, text: 'Sample image…' }, ...options], value: NO_IMAGE };
  if (samples.includes(current)) return { options, value: current };
  if (trainImages.includes(current)) return { options, value: TRAIN_IMAGE + current };
  const other = { value: OTHER_IMAGE + current, text: current };
  return { options: [other, ...options], value: other.value };
}

/**
 * The image feature maps start on for a model whose image input has
 * `channels` channels: the first of its training images when its train
 * section reads `images(...)`; else a built-in sample with its channels
 * (a digit for a grey input, a shape for a colour one).
 * `file` is a training image to ask the host for; `sample` (always given)
 * is shown meanwhile, and stays when the file cannot be read.
 */
export function defaultImage(
  samples: readonly { name: string; channels: number }[],
  channels: number,
  trainData?: { kind: string; images?: readonly string[] },
): { sample: string; file?: string } {
  // The grey samples are digits and the colour ones shapes, like the built-in `digits` and `shapes` sets.
  const sample = samples.find((s) => s.channels === (channels === 1 ? 1 : 3))?.name ?? samples[0].name;
  const file = trainData?.kind === 'images' ? trainData.images?.[0] : undefined;
  return file ? { sample, file } : { sample };
}

/**
 * The training image to ask for when the host's list of them arrives after
 * the feature maps were drawn: the first one, when the model (`key`:
 * `uri#model`) still shows `shown`, the sample it started on while they
 * were being listed (`waiting`); else none (the user chose another image).
 */
export function lateStartImage(
  waiting: { key: string; sample: string } | undefined,
  key: string,
  shown: string,
  trainData?: { kind: string; images?: readonly string[] },
): string | undefined {
  if (!waiting || waiting.key !== key || waiting.sample !== shown) return undefined;
  return trainData?.kind === 'images' ? trainData.images?.[0] : undefined;
}

// ------------------------------------------------------------------ zeros of ReLU outputs

/** How much of a ReLU-family layer's output is exactly zero for one example. */
export interface ZeroStats {
  /** Share of zeros in each channel (0–1). */
  perChannel: Float32Array;
  /** Share of zeros over the whole output (0–1). */
  overall: number;
  /** Channels whose every value is zero. */
  zeroChannels: number;
  /** Every value of every channel is zero (and there is at least one): the layer is dead for this example. */
  dead: boolean;
}

/**
 * The zeros of channel-major planes (`channels` planes of `plane` values
 * each, as `FeatureMap.data` holds them). A value counts when it is exactly
 * 0 (ReLU's output for every negative input).
 */
export function zeroStats(data: ArrayLike<number>, channels: number, plane: number): ZeroStats {
  const perChannel = new Float32Array(channels);
  let zeros = 0;
  let zeroChannels = 0;
  for (let c = 0; c < channels; c++) {
    let n = 0;
    for (let i = c * plane, end = i + plane; i < end; i++) if (data[i] === 0) n++;
    zeros += n;
    perChannel[c] = plane > 0 ? n / plane : 0;
    if (plane > 0 && n === plane) zeroChannels++;
  }
  const total = channels * plane;
  return { perChannel, overall: total > 0 ? zeros / total : 0, zeroChannels, dead: total > 0 && zeros === total };
}

/**
 * A zero share as a caption: "43 % zero". Only a share that is exactly 0 or
 * 1 reads "0 %" or "100 %"; a few zeros read "< 1 % zero", all but a few
 * "> 99 % zero".
 */
export function zeroCaption(share: number): string {
  if (share <= 0) return '0 % zero';
  if (share >= 1) return '100 % zero';
  const pct = Math.round(share * 100);
  if (pct < 1) return '< 1 % zero';
  if (pct > 99) return '> 99 % zero';
  return `${pct} % zero`;
}

// ------------------------------------------------------------------ unit strips

/** Cells of an `[n]` output drawn before "Show all". */
export const UNIT_LIMIT = 256;

/** Where the cells of an `[n]` output go: row-major rows of `perRow` cells of `cell` CSS pixels. */
export interface UnitStripLayout {
  /** Cells drawn (units 0 … shown − 1). */
  shown: number;
  /** Units left out until "Show all". */
  hidden: number;
  /** Side of one cell, CSS pixels. */
  cell: number;
  perRow: number;
  rows: number;
}

/**
 * The layout of one strip of `n` cells: at most `limit` of them unless
 * `showAll`, as large as fits `maxWidth` (from 6 pixels a cell, still
 * easy to point at, to 16), wrapped into rows when they do not fit one.
 */
export function unitStripLayout(n: number, showAll: boolean, options: { limit?: number; maxWidth?: number } = {}): UnitStripLayout {
  const limit = options.limit ?? UNIT_LIMIT;
  const maxWidth = options.maxWidth ?? 640;
  const shown = Math.max(0, showAll ? n : Math.min(n, limit));
  if (shown === 0) return { shown: 0, hidden: n, cell: 16, perRow: 0, rows: 0 };
  const cell = Math.max(6, Math.min(16, Math.floor(maxWidth / shown)));
  const perRow = Math.max(1, Math.min(shown, Math.floor(maxWidth / cell)));
  return { shown, hidden: n - shown, cell, perRow, rows: Math.ceil(shown / perRow) };
}

/** The unit under a point of the strip (x, y as fractions of its width and height); undefined past the last cell. */
export function unitAt(layout: UnitStripLayout, x: number, y: number): number | undefined {
  if (layout.shown === 0 || x < 0 || y < 0 || x >= 1 || y >= 1) return undefined;
  const col = Math.floor(x * layout.perRow);
  const row = Math.floor(y * layout.rows);
  const i = row * layout.perRow + col;
  return i < layout.shown ? i : undefined;
}

/** How the status names where a size comes from. */
const DIM_SOURCE_TEXT: Record<DimSource, string> = {
  trained: 'trained',
  setting: 'nnmodel.dimensions',
  train: 'train section',
  sample: 'sample size',
  least: 'the least size the layers accept',
};

/**
 * The values the run gave a model's symbolic dimensions (`h = 16, w = 16`),
 * for the Feature maps status: with `input image: [h, w, 3]` the picked
 * image is resized to them, which the student should be told. With
 * `sources`, where they come from: once after them when all share it
 * (`h = 40, w = 24 (nnmodel.dimensions)`), else after each. With `reasons`,
 * why a size the layers raised is what it is, in place of its source
 * (`n = 64: the least length conv1d(4, 3) at line 3 accepts`). Empty for a
 * model without symbolic dimensions.
 */
export function runDimsText(dims: Readonly<Record<string, number>>, sources?: Readonly<Record<string, DimSource>>, reasons?: Readonly<Record<string, string>>): string {
  const entries = Object.entries(dims);
  if (entries.length === 1 && reasons?.[entries[0][0]]) return `${entries[0][0]} = ${entries[0][1]}: ${reasons[entries[0][0]]}`;
  const from = entries.map(([name]) => sources?.[name]);
  const why = entries.map(([name], i) => reasons?.[name] ?? (from[i] && DIM_SOURCE_TEXT[from[i]!]));
  const same = from.every((f) => f === from[0]) && !entries.some(([name]) => reasons?.[name]);
  const text = entries.map(([name, value], i) => `${name} = ${value}${!same && why[i] ? ` (${why[i]})` : ''}`).join(', ');
  return same && from[0] && entries.length ? `${text} (${DIM_SOURCE_TEXT[from[0]]})` : text;
}

// ------------------------------------------------------------------ colour scale and size

/**
 * How a layer's maps are coloured: `map`, each channel's map over its own
 * range (the default: every map shows its pattern, however weak); `layer`,
 * every map over the layer's range (maps compare: a weak one looks weak).
 */
export type MapScale = 'map' | 'layer';

/** The part of a feature map its legend needs (probes/featureMaps.ts `FeatureMap`). */
export interface MapExtent {
  kind: 'grid' | 'strip' | 'units';
  height: number;
  width: number;
  channels: number;
  min: ArrayLike<number>;
  max: ArrayLike<number>;
}

/** The smallest and largest value over every channel of a layer. */
export function layerRange(map: Pick<MapExtent, 'channels' | 'min' | 'max'>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let c = 0; c < map.channels; c++) {
    lo = Math.min(lo, map.min[c]);
    hi = Math.max(hi, map.max[c]);
  }
  return map.channels > 0 ? [lo, hi] : [0, 0];
}

/** The range channel `c`'s map is coloured over: its own, or with `layer` the layer's. */
export function colourRange(map: Pick<MapExtent, 'channels' | 'min' | 'max'>, c: number, scale: MapScale): [number, number] {
  return scale === 'layer' ? layerRange(map) : [map.min[c], map.max[c]];
}

/** What a layer's colour legend says. */
export interface MapLegend {
  /** Whether each map has its own scale (the ends are then each map's min and max, not numbers). */
  perMap: boolean;
  /** The labels at the ends of the ramp: "min" / "max" per map, else the values (a true minus sign). */
  ends: [string, string];
  /** Where 0 falls on the ramp (0–1), for a shared scale whose range holds it; else undefined. */
  zeroAt?: number;
  /** The sentence beside the ramp: how the values were normalised. */
  text: string;
  /** The whole legend for screen readers and the tooltip. */
  said: string;
}

/**
 * The legend of a layer's maps on the sequential map (dark purple → yellow):
 * with `map` scale (and more than one channel), that each map is scaled to
 * its own min (darkest) and max (yellow) and the layer's range; with a
 * shared scale, the range's ends, and where 0 is (a tick on the ramp; the
 * darkest end for a ReLU output, whose minimum is 0; or outside the range).
 * A flat range is said to be flat.
 */
export function mapLegend(map: MapExtent, scale: MapScale): MapLegend {
  const [lo, hi] = layerRange(map);
  const range = formatRange(lo, hi);
  const perMap = scale === 'map' && map.channels > 1;
  const unit = map.kind === 'strip' ? 'row' : 'map';
  if (perMap) {
    const text = `each ${unit} scaled to its own range: darkest = its min, yellow = its max · layer ${range}`;
    return { perMap, ends: ['min', 'max'], text, said: `Colour scale: ${text}. Hover a ${unit} for its range.` };
  }
  if (hi === lo) {
    const text = `every value is ${formatSigned(lo)}: a flat map`;
    return { perMap, ends: [formatSigned(lo), formatSigned(hi)], text, said: `Colour scale: ${text}.` };
  }
  const zeroAt = lo <= 0 && hi >= 0 ? (0 - lo) / (hi - lo) : undefined;
  const whose = map.channels > 1 ? 'one scale for the layer' : map.kind === 'units' ? 'one scale for the units' : 'scaled to its range';
  // At an end, 0 is already named there (a ReLU output: darkest = 0).
  const zero = zeroAt === undefined ? ' (0 is outside it)' : zeroAt === 0 || zeroAt === 1 ? '' : ', the tick marks 0';
  const text = `${whose}: darkest = ${formatSigned(lo)}, yellow = ${formatSigned(hi)}${zero}`;
  const [a, b] = range.split(' … ');
  return { perMap, ends: [a, b], zeroAt, text, said: `Colour scale: ${text}.` };
}

/**
 * A layer's size as the reader counts it: "6 maps of 28 × 28 (H × W),
 * channels 0–5 in reading order", "16 channels (rows) × 32 steps
 * (columns)", "120 units".
 */
export function mapSizeText(map: Pick<MapExtent, 'kind' | 'height' | 'width' | 'channels'>): string {
  if (map.kind === 'units') return groupedPlural(map.width, 'unit');
  if (map.kind === 'strip') return `${plural(map.channels, 'channel')} (rows) × ${plural(map.width, 'step')} (columns)`;
  const order = map.channels === 1 ? '' : `, channels 0–${map.channels - 1} in reading order`;
  return `${plural(map.channels, 'map')} of ${map.height} × ${map.width} (H × W)${order}`;
}
