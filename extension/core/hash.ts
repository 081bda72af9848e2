/**
 * FNV-1a, 32 bits: the lexer interns identifiers by it (computing it as it
 * reads them, with these constants) and training derives per-layer seeds from
 * layer names by it. Not for anything that must resist collisions on purpose.
 */
export const FNV_BASIS = 0x811c9dc5 | 0;
export const FNV_PRIME = 0x01000193;

/** FNV-1a of the characters of `text` from `start` to `end`, as a signed 32-bit number. */
export function fnv1a(text: string, start = 0, end = text.length): number {
  let h = FNV_BASIS;
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h;
}
