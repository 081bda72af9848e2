/**
 * Anti-aliased drawing into plain Float32Array images, for the synthetic
 * data sets. Coverage comes from the distance between a pixel's centre and
 * the shape (a one-pixel ramp at the edge), so thin strokes and small
 * shapes keep their weight when images are tiny.
 */

export type Point = readonly [number, number];

/** A grey-scale image, row-major, values in [0, 1]. */
export interface GreyImage {
  width: number;
  height: number;
  data: Float32Array;
}

/** Distance from (px, py) to the segment a–b. */
export function segmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  let t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  const ex = px - (ax + t * dx);
  const ey = py - (ay + t * dy);
  return Math.sqrt(ex * ex + ey * ey);
}

/**
 * Strokes a polyline of `width` pixels (points in pixel coordinates, the
 * centre of pixel (i, j) at (i + 0.5, j + 0.5)) with `intensity`, keeping
 * the maximum where strokes overlap.
 */
export function strokePolyline(img: GreyImage, points: readonly Point[], width: number, intensity = 1): void {
  const half = width / 2;
  const reach = half + 1;
  for (let s = 0; s + 1 < points.length; s++) {
    const [ax, ay] = points[s];
    const [bx, by] = points[s + 1];
    const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - reach));
    const x1 = Math.min(img.width - 1, Math.ceil(Math.max(ax, bx) + reach));
    const y0 = Math.max(0, Math.floor(Math.min(ay, by) - reach));
    const y1 = Math.min(img.height - 1, Math.ceil(Math.max(ay, by) + reach));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const d = segmentDistance(x + 0.5, y + 0.5, ax, ay, bx, by);
        const cover = half + 0.5 - d;
        if (cover <= 0) continue;
        const v = (cover >= 1 ? 1 : cover) * intensity;
        const i = y * img.width + x;
        if (v > img.data[i]) img.data[i] = v;
      }
    }
  }
}

/** Coverage of a pixel whose centre lies at signed distance `sd` from a shape's edge (negative inside). */
export function coverage(sd: number): number {
  const c = 0.5 - sd;
  return c <= 0 ? 0 : c >= 1 ? 1 : c;
}

/** Points along an elliptical arc; angles in degrees, 0 = +x, 90 = +y (down in images). */
export function arc(cx: number, cy: number, rx: number, ry: number, fromDeg: number, toDeg: number, steps?: number): Point[] {
  const n = steps ?? Math.max(4, Math.ceil(Math.abs(toDeg - fromDeg) / 12));
  const out: Point[] = [];
  for (let i = 0; i <= n; i++) {
    const a = ((fromDeg + ((toDeg - fromDeg) * i) / n) * Math.PI) / 180;
    out.push([cx + rx * Math.cos(a), cy + ry * Math.sin(a)]);
  }
  return out;
}

/** Points along a quadratic Bézier curve from p0 to p2 pulled towards p1. */
export function bezier(p0: Point, p1: Point, p2: Point, steps = 12): Point[] {
  const out: Point[] = [];
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    const u = 1 - t;
    out.push([u * u * p0[0] + 2 * u * t * p1[0] + t * t * p2[0], u * u * p0[1] + 2 * u * t * p1[1] + t * t * p2[1]]);
  }
  return out;
}
