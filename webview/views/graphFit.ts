/**
 * The graph view's Fit, as a pure function (unit tested in Node): the zoom
 * and offset that show a laid-out graph in the view at a readable size.
 * A graph that fits whole at or above the readable minimum is shown whole
 * and centred; a taller one (LeNet's chain of 14 nodes beside the editor)
 * is fitted to the view's width, between that minimum and `MAX_FIT_ZOOM`,
 * from its top (and its left edge, when even its width does not fit at the
 * minimum), for the user to pan.
 */

/** Font size of the node labels in the graph (media/inspector.css: .nn-title, .nn-detail). */
export const NODE_LABEL_PX = 12;
/**
 * Smallest size node labels are drawn at by Fit (px on screen): 11 px, about
 * the size of VS Code's own small text (at 9 px LeNet's boxes were hard to read).
 */
export const MIN_LABEL_PX = 11;
/** The zoom at which node labels are `MIN_LABEL_PX` on screen: Fit never goes below it. */
export const MIN_FIT_ZOOM = MIN_LABEL_PX / NODE_LABEL_PX;
/** Fit never enlarges a graph beyond this (node labels of 14.4 px), whole or fitted to the width. */
export const MAX_FIT_ZOOM = 1.2;
/** Space kept between the graph and the view's edges (px). */
export const FIT_MARGIN = 8;

export interface FitTransform {
  /** Zoom. */
  k: number;
  /** Offset of the graph's origin in the view (px). */
  x: number;
  y: number;
  /** Whether the whole graph is in view (otherwise the user pans to see the rest). */
  whole: boolean;
}

/**
 * `view`: the view's size; `graph`: the laid-out graph's size at zoom 1.
 * The whole graph when it is readable so, else the graph across the view's
 * width at a readable zoom of at most `MAX_FIT_ZOOM` (a tall chain is read
 * by panning down, and the readable minimum left most of the view empty
 * beside it). A new model opens as Fit shows it (a separate rule for the
 * first view, "whole only from zoom 0.8 up, else its width at up to zoom
 * 1", opened ResNet-18 zoomed in past what Fit shows, and clipped graphs
 * Fit shows whole).
 */
export function fitTransform(view: { width: number; height: number }, graph: { width: number; height: number }): FitTransform {
  const room = { width: Math.max(1, view.width - 2 * FIT_MARGIN), height: Math.max(1, view.height - 2 * FIT_MARGIN) };
  const byWidth = room.width / Math.max(1, graph.width);
  const byHeight = room.height / Math.max(1, graph.height);
  const whole = Math.min(MAX_FIT_ZOOM, byWidth, byHeight);
  // Whole when readable, else its width (readable, not enlarged past the cap) from its top.
  const k = whole >= MIN_FIT_ZOOM ? whole : Math.min(MAX_FIT_ZOOM, Math.max(MIN_FIT_ZOOM, byWidth));
  const w = graph.width * k;
  const h = graph.height * k;
  const x = w <= room.width ? (view.width - w) / 2 : FIT_MARGIN;
  const y = h <= room.height ? (view.height - h) / 2 : FIT_MARGIN;
  return { k, x, y, whole: w <= room.width + 0.5 && h <= room.height + 0.5 };
}
