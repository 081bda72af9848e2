/**
 * How a `Sym` reads to a person: `1,024·seq² + 794,624·seq`, as the docs
 * write formulas (`2·seq²·d`). The one display format of counts, MACs and
 * bytes in the editor, the CLI's tables and the inspector.
 *
 * `Sym.toString()` (`1024*seq^2 + 794624*seq`) is not this: it is the stable
 * key and JSON form (the CLI's `--json`, the webview protocol), and stays
 * ASCII. Only a display goes through here.
 */
import type { Sym } from './sym';

export interface SymDisplayOptions {
  /**
   * Abbreviate numbers from 10,000 up (`415.7K`, `124.4M`), each coefficient
   * of a formula alike (`1,024·seq² + 794.6K·seq`); smaller ones keep every
   * digit. Default: every digit, grouped by thousands.
   */
  compact?: boolean;
}

const SUPERSCRIPT = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];

/** `2` → `²`, `12` → `¹²`. */
export function superscript(n: number): string {
  let out = '';
  for (const ch of String(n)) out += SUPERSCRIPT[ch.charCodeAt(0) - 48] ?? ch;
  return out;
}

/** A non-negative number: every digit grouped (`794,624`), or abbreviated from 10,000 up when compact (`794.6K`). */
function numberText(a: number, compact: boolean): string {
  if (compact && a >= 1e4) {
    // The unit after rounding: 999,999 is 1.0M, not 1000.0K.
    const units: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'K']];
    for (let i = 0; i < units.length; i++) {
      const [scale, unit] = units[i];
      if (a < scale) continue;
      const text = (a / scale).toFixed(1);
      return Number(text) >= 1000 && i > 0 ? `${(a / units[i - 1][0]).toFixed(1)}${units[i - 1][1]}` : `${text}${unit}`;
    }
  }
  return a.toLocaleString('en-US');
}

/**
 * An atom's name as displayed: a user's name (`seq`) as is; an opaque atom
 * named by its formula (`⌊(2*seq^2 - 3)/2⌋`, see `Sym.floorDiv`) with the
 * same notation as the rest (`⌊(2·seq² - 3)/2⌋`), every digit kept (an
 * abbreviation inside a floor would change its meaning).
 */
function atomText(name: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return name;
  return name
    .replace(/\^(\d+)/g, (_, p: string) => superscript(Number(p)))
    .replace(/\*/g, '·')
    .replace(/(?<![A-Za-z0-9_.])\d{4,}(?![0-9.])/g, (d) => Number(d).toLocaleString('en-US'));
}

/**
 * `x` for a person: `1,024·seq² + 794,624·seq`, `512·seq`, `seq - 2`,
 * `61,706`, `-3`; with `compact`, `415.7K` and `1,024·seq² + 794.6K·seq`.
 * Terms in `toString`'s order (highest degree first, constant last), a
 * coefficient of 1 left out, powers as superscripts, products with a middle
 * dot, each coefficient grouped by thousands.
 */
export function displaySym(x: Sym | number, options: SymDisplayOptions = {}): string {
  const compact = options.compact === true;
  if (typeof x === 'number' || x.value !== undefined) {
    const v = typeof x === 'number' ? x : x.value!;
    return (v < 0 ? '-' : '') + numberText(Math.abs(v), compact);
  }
  let out = '';
  for (const { coef, atoms } of x.monomials()) {
    let body = '';
    for (const [name, power] of atoms) body += (body ? '·' : '') + atomText(name) + (power > 1 ? superscript(power) : '');
    const a = Math.abs(coef);
    if (!body) body = numberText(a, compact);
    else if (a !== 1) body = `${numberText(a, compact)}·${body}`;
    out += !out ? (coef < 0 ? `-${body}` : body) : coef < 0 ? ` - ${body}` : ` + ${body}`;
  }
  return out;
}

/** `61706` → `61,706`; a formula as `displaySym` shows it. */
export function formatCount(x: Sym | number): string {
  return displaySym(x);
}

/** `124439808` → `124.4M`, `1024` → `1,024`; a formula's coefficients alike (`1,024·seq² + 794.6K·seq`). */
export function formatCompact(x: Sym | number): string {
  return displaySym(x, { compact: true });
}
