/**
 * How the Training tab's two charts draw their series: label, theme colour,
 * width, dash and point markers, as plain data (no DOM, no uPlot; unit
 * tested in Node). training/view.ts resolves the colours against the theme
 * and hands the rest to uPlot.
 *
 * One rule for both charts: a figure's training values are a solid line in
 * the first colour of its pair, its validation values a dashed line in the
 * second, so train and validation differ by hue and by dash (which still
 * tells them apart in a high-contrast theme or to a colour-blind reader).
 * The first figure of each chart (loss, accuracy) takes the same pair, so
 * orange is always "training" and green "validation" at a glance.
 */

/** A VS Code theme colour (defined for dark, light and both high-contrast themes) and the colour used when the page has none. */
export interface ThemeColor {
  cssVar: string;
  fallback: string;
}

const color = (name: string, fallback: string): ThemeColor => ({ cssVar: `--vscode-charts-${name}`, fallback });
export const CHART_COLORS = {
  blue: color('blue', '#3794ff'),
  orange: color('orange', '#d18616'),
  green: color('green', '#89d185'),
  purple: color('purple', '#b180d7'),
  yellow: color('yellow', '#cca700'),
  red: color('red', '#f14c4c'),
} as const;

/** (training, validation) colours of the n-th figure of a chart. */
const PAIRS: readonly [ThemeColor, ThemeColor][] = [
  [CHART_COLORS.orange, CHART_COLORS.green],
  [CHART_COLORS.purple, CHART_COLORS.yellow],
  [CHART_COLORS.red, CHART_COLORS.blue],
];

/** The dash of validation lines (and of their legend markers). */
export const VALIDATION_DASH = [6, 4];

export interface SeriesStyle {
  label: string;
  color: ThemeColor;
  width: number;
  /** Validation series only. */
  dash?: number[];
  alpha?: number;
  /**
   * Whether every value gets a point marker. True for the per-epoch
   * series: on the loss chart they share the x values with hundreds of
   * batch points, where uPlot's default hides markers, and a single epoch
   * makes no line, so without markers it would draw nothing.
   */
  points: boolean;
}

function pair(label: string, index: number, validated: boolean): SeriesStyle[] {
  const [train, val] = PAIRS[index % PAIRS.length];
  const out: SeriesStyle[] = [{ label, color: train, width: 2, points: true }];
  if (validated) out.push({ label: `val_${label}`, color: val, width: 2, dash: VALIDATION_DASH, points: true });
  return out;
}

/**
 * The loss chart's series after x, in the order of `TrainingCurves.lossSeries()`:
 * batch loss, loss, val_loss, then each of `extra` (losses reported as
 * metrics, a GAN's d_loss) with its validation series when `validated` has it.
 */
export function lossChartStyles(extra: readonly string[], validated: ReadonlySet<string>): SeriesStyle[] {
  return [
    { label: 'batch loss', color: CHART_COLORS.blue, width: 1, alpha: 0.5, points: false },
    ...pair('loss', 0, true),
    ...extra.flatMap((n, i) => pair(n, i + 1, validated.has(n))),
  ];
}

/** The metrics chart's series after x, in the order of `TrainingCurves.metricSeries()`. */
export function metricChartStyles(names: readonly string[], validated: ReadonlySet<string>): SeriesStyle[] {
  return names.flatMap((n, i) => pair(n, i, validated.has(n)));
}
