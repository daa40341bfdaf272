/**
 * Whether text is empty or only whitespace, as Unicode's White_Space property defines it (spaces,
 * tabs, line breaks, NBSP, the U+2000 spaces, U+3000) — not JavaScript's `\s` or `String#trim`,
 * which also count U+FEFF: a byte order mark is a character of the value (src/sources/README.md),
 * so "\uFEFF" alone is text, not blank. One definition for keys (sync/map.ts) and for Segment's ids
 * and event names (SPEC §3: blank counts as missing), so a key and the id it becomes agree.
 */
export function isBlankText(text: string): boolean {
  if (text.length === 0) return true;
  const first = text.charCodeAt(0);
  // Ids and keys almost always start with a visible ASCII character: no scan needed.
  if (first > 32 && first < 127) return false;
  return BLANK.test(text);
}

const BLANK = /^\p{White_Space}*$/u;
