/**
 * Joins the atoms of a monomial key. An atom name is a user identifier or a
 * floor/ceil atom's formula (`⌊(2*seq - 3)/2⌋`, which holds '*', spaces and
 * brackets); `Sym.atom` refuses a name holding this character, so a key
 * splits back into exactly its atoms.
 */
const SEP = '\u0000';

/** Constants below this are interned by `Sym.of`. */
const SMALL_CONSTANTS = 4096;
const SMALL: Array<Sym | undefined> = new Array<Sym | undefined>(SMALL_CONSTANTS).fill(undefined);

/**
 * Symbolic integers: polynomials with integer coefficients over named atoms.
 *
 * Dimensions (`seq`, `seq + 1`), parameter counts and MACs (`2·seq²·d`) are all
 * `Sym`s, so that a symbolic dimension written by the user flows through shape
 * inference and counting and is shown by name. Where exact arithmetic is
 * impossible (`floor((seq - 3) / 2)`), the result becomes a new opaque atom
 * named by its formula: still comparable by name, never wrong.
 *
 * Immutable. A constant is a Sym with a single empty monomial.
 */
export class Sym {
  /**
   * `c` is the constant term; `terms` the other monomials (atoms sorted,
   * joined by `SEP`, which no atom name holds: a floor atom's name may hold
   * '*') with their coefficients, or null. Constants, by far the most common
   * value, allocate no map.
   */
  private constructor(
    private readonly c: number,
    private readonly terms: ReadonlyMap<string, number> | null,
  ) {}

  static readonly ZERO = new Sym(0, null);
  static readonly ONE = new Sym(1, null);

  static of(n: number): Sym {
    if (n === 0) return Sym.ZERO;
    if (n === 1) return Sym.ONE;
    // Small whole numbers (sizes, kernels, strides) recur constantly: share them.
    if (n > 1 && n < SMALL_CONSTANTS && Number.isInteger(n)) return (SMALL[n] ??= new Sym(n, null));
    return new Sym(n, null);
  }

  static atom(name: string): Sym {
    if (name === '' || name.includes(SEP)) throw new Error(`Sym.atom: an atom name must be non-empty and cannot contain U+0000, got ${JSON.stringify(name)}`);
    return new Sym(0, new Map([[name, 1]]));
  }

  static from(x: Sym | number): Sym {
    return typeof x === 'number' ? Sym.of(x) : x;
  }

  /**
   * `c + Σ xs[i]·ks[i]` (`ks[i]` 1 when `ks` is not given), building one
   * map for all the terms: adding them one at a time copies the map at
   * every step.
   */
  static sum(xs: readonly Sym[], ks: readonly number[] | undefined, c = 0): Sym {
    const m = new Map<string, number>();
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i];
      const k = ks === undefined ? 1 : ks[i];
      c += x.c * k;
      if (x.terms) for (const [key, v] of x.terms) addTerm(m, key, v * k);
    }
    return Sym.make(c, m);
  }

  private static make(c: number, terms: Map<string, number>): Sym {
    return terms.size === 0 ? Sym.of(c) : new Sym(c, terms);
  }

  isConst(): boolean {
    return this.terms === null;
  }

  /** The value when constant, else undefined. */
  get value(): number | undefined {
    return this.terms === null ? this.c : undefined;
  }

  /** Names of the atoms this depends on. */
  atoms(): string[] {
    if (!this.terms) return [];
    const s = new Set<string>();
    for (const k of this.terms.keys()) for (const a of k.split(SEP)) s.add(a);
    return [...s].sort();
  }

  add(o: Sym | number): Sym {
    const other = Sym.from(o);
    if (!other.terms) return other.c === 0 ? this : this.terms ? new Sym(this.c + other.c, this.terms) : Sym.of(this.c + other.c);
    if (!this.terms) return this.c === 0 ? other : new Sym(this.c + other.c, other.terms);
    const m = new Map(this.terms);
    for (const [k, c] of other.terms) {
      const v = (m.get(k) ?? 0) + c;
      if (v === 0) m.delete(k);
      else m.set(k, v);
    }
    return Sym.make(this.c + other.c, m);
  }

  neg(): Sym {
    return this.mul(-1);
  }

  sub(o: Sym | number): Sym {
    return this.add(Sym.from(o).neg());
  }

  mul(o: Sym | number): Sym {
    const other = Sym.from(o);
    if (!this.terms && !other.terms) return Sym.of(this.c * other.c);
    if (!other.terms) return other.c === 1 ? this : this.scale(other.c);
    if (!this.terms) return this.c === 1 ? other : other.scale(this.c);
    const m = new Map<string, number>();
    for (const [k1, c1] of this.terms) {
      if (other.c !== 0) addTerm(m, k1, c1 * other.c);
      for (const [k2, c2] of other.terms) addTerm(m, mulKey(k1, k2), c1 * c2);
    }
    if (this.c !== 0) for (const [k2, c2] of other.terms) addTerm(m, k2, this.c * c2);
    return Sym.make(this.c * other.c, m);
  }

  private scale(n: number): Sym {
    if (n === 0) return Sym.ZERO;
    const m = new Map<string, number>();
    for (const [k, c] of this.terms!) m.set(k, c * n);
    return new Sym(this.c * n, m);
  }

  /** Exact division by an integer constant, or undefined when not exact. */
  divExact(d: number): Sym | undefined {
    if (d === 0 || this.c % d !== 0) return undefined;
    if (!this.terms) return Sym.of(this.c / d);
    const m = new Map<string, number>();
    for (const [k, c] of this.terms) {
      if (c % d !== 0) return undefined;
      m.set(k, c / d);
    }
    return new Sym(this.c / d, m);
  }

  /**
   * floor(this / d): exact where possible, else an opaque atom. When `d`
   * divides every coefficient but the constant's, only the constant is
   * rounded (⌊(2·h − 3)/2⌋ = h − 2: the atoms are whole numbers).
   */
  floorDiv(d: number): Sym {
    if (!this.terms) return Sym.of(Math.floor(this.c / d));
    return this.divTerms(d, Math.floor) ?? Sym.atom(`⌊(${this.toString()})/${d}⌋`);
  }

  /** ceil(this / d): exact where possible (see `floorDiv`), else an opaque atom. */
  ceilDiv(d: number): Sym {
    if (!this.terms) return Sym.of(Math.ceil(this.c / d));
    return this.divTerms(d, Math.ceil) ?? Sym.atom(`⌈(${this.toString()})/${d}⌉`);
  }

  /** The terms divided by `d` plus `round(c / d)`, or undefined when `d` does not divide a term's coefficient. */
  private divTerms(d: number, round: (x: number) => number): Sym | undefined {
    if (d === 0 || !this.terms) return undefined;
    const m = new Map<string, number>();
    for (const [k, c] of this.terms) {
      if (c % d !== 0) return undefined;
      m.set(k, c / d);
    }
    return new Sym(round(this.c / d), m);
  }

  equals(o: Sym | number): boolean {
    const other = Sym.from(o);
    if (this.c !== other.c) return false;
    if (!this.terms || !other.terms) return this.terms === other.terms;
    if (this.terms.size !== other.terms.size) return false;
    for (const [k, c] of this.terms) if (other.terms.get(k) !== c) return false;
    return true;
  }

  /**
   * Whether the value is certainly below `n`. A symbolic dimension may take
   * any size, so only a constant can be certain.
   */
  certainlyBelow(n: number): boolean {
    return !this.terms && this.c < n;
  }

  /**
   * Evaluate with values for the atoms; undefined if an atom is missing. A
   * floor or ceil atom (`⌊(seq - 3)/2⌋`) takes the value of its formula.
   */
  evaluate(env: Readonly<Record<string, number>>): number | undefined {
    let total = this.c;
    if (!this.terms) return total;
    for (const [k, c] of this.terms) {
      let t = c;
      for (const a of k.split(SEP)) {
        const v = Object.hasOwn(env, a) ? env[a] : roundedValue(a, env);
        if (v === undefined) return undefined;
        t *= v;
      }
      total += t;
    }
    return total;
  }

  /**
   * Reads the text `toString` writes (`2*seq^2*d + 3`, `seq - 1`). Floor and
   * ceil atoms (`⌊(seq - 3)/2⌋`) come back as atoms of the same name (which
   * `evaluate` still computes), so `Sym.parse(s.toString()).toString() ===
   * s.toString()` for every Sym; text it cannot read is one atom.
   */
  static parse(text: string): Sym {
    text = text.trim();
    if (text === '') return Sym.ZERO;
    let total = Sym.ZERO;
    for (const { sign, body } of splitTerms(text)) {
      const term = parseTerm(body);
      if (!term) return Sym.atom(text);
      total = total.add(sign < 0 ? term.neg() : term);
    }
    return total;
  }

  /** `seq + 1`, `2*seq^2*d + 3`: ASCII operators, highest degree first. */
  toString(): string {
    if (!this.terms) return String(this.c);
    const keys = sortedKeys(this.terms);
    let out = '';
    for (const k of keys) out = pushTerm(out, this.terms.get(k)!, powers(k));
    if (this.c !== 0) out = pushTerm(out, this.c, '');
    return out;
  }

  /**
   * The terms in `toString`'s order (highest degree first, the constant
   * last, left out when 0; a zero Sym has the one term 0), each as its
   * coefficient and its atoms with their powers in name order: what a
   * display format needs without parsing the text.
   */
  monomials(): { coef: number; atoms: [name: string, power: number][] }[] {
    if (!this.terms) return [{ coef: this.c, atoms: [] }];
    const keys = sortedKeys(this.terms);
    const out: { coef: number; atoms: [string, number][] }[] = [];
    for (const k of keys) {
      const counts = new Map<string, number>();
      for (const a of k.split(SEP)) counts.set(a, (counts.get(a) ?? 0) + 1);
      out.push({ coef: this.terms.get(k)!, atoms: [...counts] });
    }
    if (this.c !== 0) out.push({ coef: this.c, atoms: [] });
    return out;
  }

  /** JSON form: a number when constant, the formula string otherwise. */
  toJSON(): number | string {
    return this.value ?? this.toString();
  }
}

/** Splits at ` + ` and ` - ` outside brackets (a leading `-` is the first term's sign). */
function splitTerms(text: string): { sign: number; body: string }[] {
  const out: { sign: number; body: string }[] = [];
  let depth = 0;
  let sign = 1;
  let start = 0;
  if (text.startsWith('-')) {
    sign = -1;
    start = 1;
  }
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '⌊' || c === '⌈' || c === '[') depth++;
    else if (c === ')' || c === '⌋' || c === '⌉' || c === ']') depth--;
    else if (depth === 0 && (c === '+' || c === '-') && text[i - 1] === ' ' && text[i + 1] === ' ') {
      out.push({ sign, body: text.slice(start, i - 1) });
      sign = c === '+' ? 1 : -1;
      start = i + 2;
    }
  }
  out.push({ sign, body: text.slice(start) });
  return out;
}

/** `3*a^2*b`, `a`, `⌊(x)/2⌋`: a product of a coefficient and atoms with powers. */
function parseTerm(body: string): Sym | undefined {
  if (body === '') return undefined;
  const factors: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '(' || c === '⌊' || c === '⌈' || c === '[') depth++;
    else if (c === ')' || c === '⌋' || c === '⌉' || c === ']') depth--;
    else if (c === '*' && depth === 0) {
      factors.push(body.slice(start, i));
      start = i + 1;
    }
  }
  factors.push(body.slice(start));
  let term = Sym.ONE;
  for (const f of factors) {
    if (/^\d+$/.test(f)) {
      term = term.mul(Number(f));
      continue;
    }
    const pow = /^(.+)\^(\d+)$/.exec(f);
    const name = pow ? pow[1] : f;
    const n = pow ? Number(pow[2]) : 1;
    if (name === '' || n < 1) return undefined;
    for (let i = 0; i < n; i++) term = term.mul(Sym.atom(name));
  }
  return term;
}

/** What a floor or ceil atom's name says: `⌊(num)/d⌋`, `⌈(num)/d⌉`. */
interface Rounded {
  num: Sym;
  d: number;
  ceil: boolean;
}

/** Parsed rounded atoms by name (null: not one); emptied when full, so that it stays small in a long session. */
const ROUNDED = new Map<string, Rounded | null>();
const MAX_ROUNDED = 1024;

/** The value of a floor or ceil atom with the given values of the atoms of its formula; undefined for any other atom. */
function roundedValue(name: string, env: Readonly<Record<string, number>>): number | undefined {
  let r = ROUNDED.get(name);
  if (r === undefined) {
    if (ROUNDED.size >= MAX_ROUNDED) ROUNDED.clear();
    ROUNDED.set(name, (r = readRounded(name)));
  }
  if (r === null) return undefined;
  const v = r.num.evaluate(env);
  return v === undefined ? undefined : r.ceil ? Math.ceil(v / r.d) : Math.floor(v / r.d);
}

/** `⌊(num)/d⌋` or `⌈(num)/d⌉` as `floorDiv`/`ceilDiv` name it, the outer bracket closing last; else null. */
function readRounded(name: string): Rounded | null {
  const m = /^([⌊⌈])\((.+)\)\/(\d+)([⌋⌉])$/u.exec(name);
  if (!m || (m[1] === '⌊') !== (m[4] === '⌋')) return null;
  let depth = 0;
  for (let i = 0; i < name.length - 1; i++) {
    const c = name[i];
    if (c === '⌊' || c === '⌈') depth++;
    else if (c === '⌋' || c === '⌉') depth--;
    if (depth === 0) return null; // the first bracket closes before the end: not one atom
  }
  const d = Number(m[3]);
  return d > 0 ? { num: Sym.parse(m[2]), d, ceil: m[1] === '⌈' } : null;
}

/** `out` with the monomial `c·mono` appended (a module function: no closure per toString). */
function pushTerm(out: string, c: number, mono: string): string {
  const abs = Math.abs(c);
  const body = !mono ? String(abs) : abs === 1 ? mono : `${abs}*${mono}`;
  if (!out) return c < 0 ? `-${body}` : body;
  return out + (c < 0 ? ` - ${body}` : ` + ${body}`);
}

function addTerm(m: Map<string, number>, k: string, v: number): void {
  const t = (m.get(k) ?? 0) + v;
  if (t === 0) m.delete(k);
  else m.set(k, t);
}

/** The number of atoms (with repeats) of a non-empty key. */
function degree(key: string): number {
  let n = 1;
  for (let i = key.indexOf(SEP); i !== -1; i = key.indexOf(SEP, i + 1)) n++;
  return n;
}

/** The key of the product of two monomials: their atoms merged in code-unit order. */
function mulKey(a: string, b: string): string {
  if (!a) return b;
  if (!b) return a;
  // Two single atoms: the most common case.
  if (!a.includes(SEP) && !b.includes(SEP)) return a <= b ? a + SEP + b : b + SEP + a;
  const xs = a.split(SEP);
  const ys = b.split(SEP);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < xs.length && j < ys.length) out.push(xs[i] <= ys[j] ? xs[i++] : ys[j++]);
  while (i < xs.length) out.push(xs[i++]);
  while (j < ys.length) out.push(ys[j++]);
  return out.join(SEP);
}

/**
 * The keys in printing order: highest degree first, then by the monomial
 * written with '*' (`d*seq` before `seq*seq`) as a person reads it, then by
 * code units, so that equal Syms always print alike.
 */
function sortedKeys(terms: ReadonlyMap<string, number>): string[] {
  const keys = [...terms.keys()];
  if (keys.length < 2) return keys;
  return keys.sort(compareKeys);
}

function compareKeys(a: string, b: string): number {
  const byDegree = degree(b) - degree(a);
  if (byDegree !== 0) return byDegree;
  const byText = a.includes(SEP) ? a.replaceAll(SEP, '*').localeCompare(b.replaceAll(SEP, '*')) : a.localeCompare(b);
  return byText !== 0 ? byText : a < b ? -1 : a > b ? 1 : 0;
}

/** `d*seq^2`: a key's atoms with their powers, joined by '*'. */
function powers(key: string): string {
  const counts = new Map<string, number>();
  for (const a of key.split(SEP)) counts.set(a, (counts.get(a) ?? 0) + 1);
  return [...counts].map(([a, n]) => (n === 1 ? a : `${a}^${n}`)).join('*');
}

/** A dimension of a shape. */
export type Dim = Sym;

/** Shape of one example (batch dimension implicit). */
export interface Shape {
  dims: Dim[];
  /** Integer token ids (`int[seq]`), as fed to an embedding. */
  isInt?: boolean;
}

export function shapeToString(s: Shape): string {
  return `${s.isInt ? 'int' : ''}[${s.dims.map((d) => d.toString()).join(', ')}]`;
}

export function product(dims: readonly Sym[]): Sym {
  // Constant dimensions multiply as plain numbers: no intermediate Sym per factor.
  let c = 1;
  let p: Sym | undefined;
  for (let i = 0; i < dims.length; i++) {
    const d = dims[i];
    const v = d.value;
    if (v !== undefined) c *= v;
    else p = p === undefined ? d : p.mul(d);
  }
  return p === undefined ? Sym.of(c) : c === 1 ? p : p.mul(c);
}

// The display formats live in display.ts (which needs only Sym's type); kept importable from here.
export { displaySym, formatCount, formatCompact } from './display';
