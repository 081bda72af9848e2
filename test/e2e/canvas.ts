/**
 * Reading the inspector page's canvases from an e2e test: the part of a
 * canvas the checks use, and pixel statistics that tell a drawn canvas
 * from a blank one.
 */
import type { Locator } from 'playwright-core';

/** The part of a page's canvas the checks use (the tests compile without the DOM library). */
export interface PageCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): {
    fillStyle: string;
    fillRect(x: number, y: number, w: number, h: number): void;
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  } | null;
}

/** Pixel statistics of each canvas matched by `locator`, read through getImageData in the page. */
export async function canvasStats(locator: Locator): Promise<{ width: number; height: number; distinct: number; variance: number }[]> {
  return locator.evaluateAll((els) =>
    els.map((el) => {
      const c = el as unknown as PageCanvas;
      const g = c.getContext('2d');
      if (!g || !c.width || !c.height) return { width: c.width, height: c.height, distinct: 0, variance: 0 };
      const d = g.getImageData(0, 0, c.width, c.height).data;
      const colours = new Set<number>();
      let sum = 0;
      let sq = 0;
      const n = d.length / 4;
      for (let i = 0; i < d.length; i += 4) {
        colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
        const lum = (d[i] + d[i + 1] + d[i + 2]) / 3;
        sum += lum;
        sq += lum * lum;
      }
      const mean = sum / n;
      return { width: c.width, height: c.height, distinct: colours.size, variance: sq / n - mean * mean };
    }),
  );
}
