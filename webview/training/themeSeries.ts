/**
 * The training charts' uPlot series in the current VS Code theme (loss and
 * metric curves in view.ts, Signal & gradients in signals.ts): one place for
 * how a chartStyle.ts series becomes a uPlot one.
 */
import type uPlot from 'uplot';
import type { SeriesStyle } from './chartStyle';

/** A theme colour (`--vscode-…`) as the page has it, or `fallback` outside VS Code. */
export function themeColor(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

/** A chartStyle.ts series in the current theme, for uPlot; `value` formats the legend's value when given. */
export function uSeries(s: SeriesStyle, value?: uPlot.Series['value']): uPlot.Series {
  const stroke = themeColor(s.color.cssVar, s.color.fallback);
  return {
    label: s.label,
    stroke,
    width: s.width,
    spanGaps: true,
    ...(s.dash ? { dash: s.dash } : {}),
    ...(s.alpha !== undefined ? { alpha: s.alpha } : {}),
    // Filled in the line's colour: uPlot's default white fill reads as a hole on a dark theme.
    points: s.points ? { show: true, fill: stroke } : { show: false },
    ...(value ? { value } : {}),
  };
}

/**
 * Marks a chart's legend idle (no point under the cursor): its value cells
 * and the x row (`epoch`, `layer`) are hidden (view.ts CHART_CSS), so at
 * rest it lists the lines alone. Every training chart's `init` and
 * `setLegend` hook.
 */
export function idleLegend(u: uPlot): void {
  u.root.querySelector('.u-legend')?.classList.toggle('nn-legend-idle', u.legend.idx == null);
}
