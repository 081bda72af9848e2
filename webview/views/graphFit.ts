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

/** A zoom and offset of the graph in its view (`x`, `y`: where the graph's origin is, px). */
export interface ViewTransform {
  k: number;
  x: number;
  y: number;
}

/** A rectangle in the graph's own coordinates (zoom 1). */
export interface GraphRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The zoom range of the + and − buttons, keys and Ctrl+wheel. */
export const MIN_ZOOM = 0.05;
export const MAX_ZOOM = 4;

/**
 * The graph's first view (and Fit's): `fitTransform`, and when only a part
 * is shown, scrolled across so that `first` (the model's first input, the
 * node the graph is read from) is in view, at the left when it can be: a
 * wide graph (the encoder-decoder Transformer at the readable minimum)
 * opens on its inputs, with scroll bars saying there is more.
 */
export function openingTransform(view: { width: number; height: number }, graph: { width: number; height: number }, first?: GraphRect): FitTransform {
  const fit = fitTransform(view, graph);
  if (fit.whole || !first) return fit;
  const t = { ...fit };
  const left = t.x + first.x * t.k;
  const right = t.x + (first.x + first.width) * t.k;
  if (left < FIT_MARGIN || right > view.width - FIT_MARGIN) t.x = FIT_MARGIN - first.x * t.k;
  const top = t.y + first.y * t.k;
  if (top < FIT_MARGIN || t.y + (first.y + first.height) * t.k > view.height - FIT_MARGIN) t.y = FIT_MARGIN - first.y * t.k;
  return { ...clampTransform(view, graph, t), whole: false };
}

/** The range of one axis' offset that keeps the graph reachable: within the view when it fits, else from its start to its end (FIT_MARGIN around). */
function axisRange(view: number, graph: number): [number, number] {
  const a = FIT_MARGIN;
  const b = view - FIT_MARGIN - graph;
  return a <= b ? [a, b] : [b, a];
}

/**
 * `t` moved as little as needed for the graph to stay reachable: a graph
 * smaller than the view stays inside it, a larger one covers the view (no
 * pan, zoom or re-layout leaves it off screen with empty space where it
 * was); what lies outside is what the scroll bars reach.
 */
export function clampTransform(view: { width: number; height: number }, graph: { width: number; height: number }, t: ViewTransform): ViewTransform {
  const [x0, x1] = axisRange(view.width, graph.width * t.k);
  const [y0, y1] = axisRange(view.height, graph.height * t.k);
  return { k: t.k, x: Math.min(x1, Math.max(x0, t.x)), y: Math.min(y1, Math.max(y0, t.y)) };
}

/** One scroll bar: hidden when the graph fits that way, else its thumb's start and length along the view's edge (px). */
export interface ScrollBar {
  shown: boolean;
  start: number;
  length: number;
}

/** Shortest thumb (px), to stay easy to grab on a very long graph. */
export const MIN_THUMB = 24;

function axisBar(view: number, graph: number, offset: number): ScrollBar {
  const content = graph + 2 * FIT_MARGIN;
  if (content <= view + 0.5 || view <= 0) return { shown: false, start: 0, length: view };
  const length = Math.min(view, Math.max(MIN_THUMB, (view * view) / content));
  const scrolled = Math.min(1, Math.max(0, (FIT_MARGIN - offset) / (content - view)));
  return { shown: true, start: scrolled * (view - length), length };
}

/** The scroll bars for the graph at `t`: where the view is in the whole drawing, and that there is more than it shows. */
export function scrollBars(view: { width: number; height: number }, graph: { width: number; height: number }, t: ViewTransform): { x: ScrollBar; y: ScrollBar } {
  return { x: axisBar(view.width, graph.width * t.k, t.x), y: axisBar(view.height, graph.height * t.k, t.y) };
}

/** `t` scrolled so that the thumb of the scroll bar along `axis` starts at `start` px (a thumb dragged, or the track clicked). */
export function scrollTo(view: { width: number; height: number }, graph: { width: number; height: number }, t: ViewTransform, axis: 'x' | 'y', start: number): ViewTransform {
  const v = axis === 'x' ? view.width : view.height;
  const g = (axis === 'x' ? graph.width : graph.height) * t.k;
  const bar = axisBar(v, g, t[axis]);
  if (!bar.shown) return t;
  const content = g + 2 * FIT_MARGIN;
  const scrolled = Math.min(1, Math.max(0, start / Math.max(1, v - bar.length)));
  return { ...t, [axis]: FIT_MARGIN - scrolled * (content - v) };
}

/** `t` zoomed by `factor` (within MIN_ZOOM..MAX_ZOOM) about the point (`px`, `py`) of the view, which stays where it is. */
export function zoomAbout(t: ViewTransform, factor: number, px: number, py: number): ViewTransform {
  const k = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, t.k * factor));
  return { k, x: px - ((px - t.x) * k) / t.k, y: py - ((py - t.y) * k) / t.k };
}

/**
 * What a wheel event does to the graph, as in editors and drawing tools:
 * with Ctrl (or ⌘; a touchpad's pinch arrives so) it zooms about the
 * pointer, otherwise it scrolls (Shift turns a vertical wheel sideways).
 * `deltaMode` 1 counts lines, 2 pages (of `page` px).
 */
export function wheelAction(
  e: { deltaX: number; deltaY: number; deltaMode: number; ctrlKey: boolean; metaKey: boolean; shiftKey: boolean },
  page: number,
): { zoom: number } | { dx: number; dy: number } {
  const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? page : 1;
  if (e.ctrlKey || e.metaKey) return { zoom: Math.exp(-e.deltaY * unit * 0.0015) };
  const dx = e.deltaX * unit;
  const dy = e.deltaY * unit;
  return e.shiftKey && dx === 0 ? { dx: -dy, dy: 0 } : { dx: -dx, dy: -dy };
}

/** What a key does to the graph's zoom: + (or =) zooms in, − zooms out, 0 fits; undefined for other keys (and with Ctrl, Alt or ⌘, which are VS Code's). */
export function zoomKey(e: { key: string; ctrlKey: boolean; altKey: boolean; metaKey: boolean }): number | 'fit' | undefined {
  if (e.ctrlKey || e.altKey || e.metaKey) return undefined;
  switch (e.key) {
    case '+':
    case '=':
      return 1.25;
    case '-':
    case '_':
      return 0.8;
    case '0':
      return 'fit';
    default:
      return undefined;
  }
}

/**
 * `t` moved for a re-layout (a keystroke in the source, a block opened):
 * the zoom stays and the node the user is at (`before`, its place in the
 * old drawing; `after`, in the new one) stays where it was on screen, so
 * the view does not jump when ELK moves things around it; then kept
 * reachable in the new drawing's size.
 */
export function keepAcrossLayout(
  view: { width: number; height: number },
  graph: { width: number; height: number },
  t: ViewTransform,
  anchor?: { before: { x: number; y: number }; after: { x: number; y: number } },
): ViewTransform {
  const moved = anchor ? { k: t.k, x: t.x + (anchor.before.x - anchor.after.x) * t.k, y: t.y + (anchor.before.y - anchor.after.y) * t.k } : t;
  return clampTransform(view, graph, moved);
}
