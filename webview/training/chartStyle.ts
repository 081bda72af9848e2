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

/**
 * The best epoch's marker on the loss chart (curves.ts `bestMarker`): a ring
 * around its val_loss point and a dotted vertical line in val_loss's colour
 * (the point it marks is on that line), and its label in the foreground
 * colour, so it reads in every theme.
 */
export const BEST_MARKER = {
  color: PAIRS[0][1],
  label: { cssVar: '--vscode-foreground', fallback: '#cccccc' } as ThemeColor,
  /** Dotted: unlike the dashed validation line. */
  dash: [2, 3],
  /** Radius of the ring, CSS pixels. */
  radius: 6,
} as const;

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

/**
 * The series a chart draws and lists in its legend: those with at least one
 * value. `data` is the chart's aligned data (x first), `styles` the style of
 * each column after x. A column of nulls (no batch curve for weights loaded
 * from a checkpoint, loss before the first epoch ends) is left out of both,
 * so the legend never names a series the chart cannot show. `key` names the
 * kept series: a chart is rebuilt when it changes.
 */
export function seriesWithData<S extends { label: string }>(styles: readonly S[], data: readonly (readonly (number | null)[])[]): { styles: S[]; data: (number | null)[][]; key: string } {
  const kept = styles.map((s, i) => ({ s, column: data[i + 1] ?? [] })).filter(({ column }) => column.some((v) => v !== null && v !== undefined));
  return { styles: kept.map((k) => k.s), data: [[...(data[0] ?? [])], ...kept.map((k) => [...k.column])], key: kept.map((k) => k.s.label).join(',') };
}
