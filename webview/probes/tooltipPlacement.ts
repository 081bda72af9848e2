/**
 * Where a probe view's hover read-out goes (hover.ts draws it): pure, so it is
 * unit tested in Node.
 */

/** Pixels between the pointer and the box. */
export const GAP = 12;
/** Pixels the box keeps from the viewport's edges. */
export const EDGE = 4;

/**
 * Where a floating box of `size` goes for a pointer at `pointer` (viewport
 * coordinates, as `position: fixed` takes them): `gap` px right of and below
 * the pointer; on an axis where that would run past the viewport's edge, on
 * the other side of the pointer (left of it, above it); where neither side
 * has room, against the far edge, keeping `edge` px from it, but never past
 * the near edge (a box larger than the viewport starts at its left or top).
 * The one placement every probe tooltip uses (hover.ts `hover`).
 */
export function placeTooltip(
  pointer: { x: number; y: number },
  size: { width: number; height: number },
  viewport: { width: number; height: number },
  gap = GAP,
  edge = EDGE,
): { left: number; top: number } {
  const axis = (p: number, s: number, v: number): number => {
    if (p + gap + s <= v - edge) return p + gap;
    if (p - gap - s >= edge) return p - gap - s;
    return Math.max(edge, v - edge - s);
  };
  return { left: axis(pointer.x, size.width, viewport.width), top: axis(pointer.y, size.height, viewport.height) };
}
