/**
 * A small seeded pseudo-random generator for the synthetic data sets: the
 * same seed gives the same sequence in Node and in every browser, which
 * `Math.random` cannot promise.
 */

/** Uniform, normal and integer draws from one seeded stream. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Integer in [0, n). */
  int(n: number): number;
  /** Standard normal (mean 0, standard deviation 1). */
  normal(): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[];
}

/**
 * Mulberry32: 32-bit state, full period 2^32, good enough statistics for
 * data generation and a few lines long. Uniform draws in [0, 1); seeds are
 * taken modulo 2^32. Tests and the bench's file generator use it bare.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The generator behind the synthetic data sets (mulberry32 on a scrambled seed). */
export function createRng(seed: number): Rng {
  const next = mulberry32((Math.floor(seed) >>> 0) ^ 0x9e3779b9);
  let spare: number | undefined;
  const rng: Rng = {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    int: (n) => Math.floor(next() * n),
    normal: () => {
      if (spare !== undefined) {
        const s = spare;
        spare = undefined;
        return s;
      }
      // Box–Muller; 1 - u keeps the logarithm's argument above zero.
      const u = 1 - next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    chance: (p) => next() < p,
    shuffle: (items) => {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        const t = items[i];
        items[i] = items[j];
        items[j] = t;
      }
      return items;
    },
  };
  return rng;
}
