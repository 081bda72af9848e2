/**
 * Minimal line edits between a document and its formatted text, so that
 * formatting keeps the cursor, folding and unchanged lines where they are,
 * and range formatting can keep only the changes inside a selection.
 */
export interface OffsetEdit {
  start: number;
  end: number;
  newText: string;
}

interface Hunk {
  aStart: number;
  aEnd: number;
  bStart: number;
  bEnd: number;
}

/** Lines with their terminators (LF, CR LF or a lone CR), so that joining them gives the text back. */
export function splitLines(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) {
      out.push(text.slice(start, i + 1));
      start = i + 1;
    }
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

const MAX_EDIT_DISTANCE = 2000;

/** Myers' O((N+M)·D) shortest edit script, as hunks; undefined past `maxD`. */
function myers(a: readonly string[], b: readonly string[], maxD: number): Hunk[] | undefined {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const off = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  outer: for (let d = 0; d <= Math.min(max, maxD); d++) {
    trace.push(v.slice(off - d - 1, off + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1] < v[off + k + 1]) ? v[off + k + 1] : v[off + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break outer;
      }
    }
  }
  if (found < 0) return undefined;
  // Walk back, collecting matched (diagonal) line pairs.
  const matches: [number, number][] = [];
  let x = n;
  let y = m;
  for (let d = found; d >= 0; d--) {
    const snap = trace[d];
    const at = (k: number) => snap[k + d + 1];
    const k = x - y;
    let prevK: number;
    if (d === 0) prevK = k;
    else prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : at(prevK);
    const prevY = prevX - prevK;
    const startX = d === 0 ? 0 : prevX + (prevK === k - 1 ? 1 : 0);
    const startY = d === 0 ? 0 : prevY + (prevK === k + 1 ? 1 : 0);
    while (x > startX && y > startY) {
      x--;
      y--;
      matches.push([x, y]);
    }
    x = prevX;
    y = prevY;
  }
  matches.reverse();
  const hunks: Hunk[] = [];
  let ai = 0;
  let bi = 0;
  for (const [mx, my] of [...matches, [n, m] as [number, number]]) {
    if (mx > ai || my > bi) hunks.push({ aStart: ai, aEnd: mx, bStart: bi, bEnd: my });
    ai = mx + 1;
    bi = my + 1;
  }
  return hunks;
}

function hunks(a: readonly string[], b: readonly string[]): Hunk[] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  if (am.length === 0 && bm.length === 0) return [];
  const inner = myers(am, bm, MAX_EDIT_DISTANCE) ?? [{ aStart: 0, aEnd: am.length, bStart: 0, bEnd: bm.length }];
  return inner.map((h) => ({ aStart: h.aStart + pre, aEnd: h.aEnd + pre, bStart: h.bStart + pre, bEnd: h.bEnd + pre }));
}

/**
 * Edits that turn `original` into `formatted`. With `lines` (0-based,
 * inclusive), only changes touching those lines of the original are kept.
 */
export function lineEdits(original: string, formatted: string, lines?: { from: number; to: number }): OffsetEdit[] {
  if (original === formatted) return [];
  const a = splitLines(original);
  const b = splitLines(formatted);
  const starts: number[] = [0];
  for (const l of a) starts.push(starts[starts.length - 1] + l.length);
  const out: OffsetEdit[] = [];
  for (const h of hunks(a, b)) {
    if (lines) {
      const touches = h.aStart === h.aEnd ? h.aStart >= lines.from && h.aStart <= lines.to + 1 : h.aStart <= lines.to && h.aEnd - 1 >= lines.from;
      if (!touches) continue;
      // Line for line (each line reformatted in place): only the selected lines, not the whole hunk.
      if (h.aEnd - h.aStart === h.bEnd - h.bStart) {
        for (let i = Math.max(h.aStart, lines.from); i < Math.min(h.aEnd, lines.to + 1); i++) {
          const j = h.bStart + (i - h.aStart);
          if (a[i] !== b[j]) out.push({ start: starts[i], end: starts[i + 1], newText: b[j] });
        }
        continue;
      }
    }
    out.push({ start: starts[h.aStart], end: starts[h.aEnd], newText: b.slice(h.bStart, h.bEnd).join('') });
  }
  return out;
}

/** Applies non-overlapping edits (any order) to a text. */
export function applyEdits(text: string, edits: readonly OffsetEdit[]): string {
  const sorted = [...edits].sort((x, y) => y.start - x.start);
  let out = text;
  for (const e of sorted) out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  return out;
}
