/**
 * PostgreSQL text cannot hold U+0000, and Sluice's strings may: source fingerprints are a salt and
 * a row hash joined by one (sync/map.ts), and a key or an error message may carry one from the
 * warehouse or a response. Such strings are stored escaped: U+0001, then the string with U+0001
 * doubled and U+0000 written as U+0001 U+0002. A string without U+0000 that does not start with
 * U+0001 (all but a few) is stored as is, so the mapping is one-to-one and equality still works in
 * SQL, and the escaped form is never longer than twice the original.
 */
const NUL = '\u0000';
const MARK = '\u0001';
/** What every escaped stored string starts with: a stored string without it is the text itself. */
export const PG_ESCAPE_MARK = MARK;

/** The stored form of `text`. */
export function toPgText(text: string): string;
export function toPgText(text: string | null): string | null;
export function toPgText(text: string | null): string | null {
  if (text === null || (!text.includes(NUL) && !text.startsWith(MARK))) return text;
  return MARK + text.replaceAll(MARK, MARK + MARK).replaceAll(NUL, `${MARK}\u0002`);
}

/** `text` as it was before `toPgText`. */
export function fromPgText(stored: string): string;
export function fromPgText(stored: string | null): string | null;
export function fromPgText(stored: string | null): string | null {
  if (stored === null || !stored.startsWith(MARK)) return stored;
  let text = '';
  for (let i = 1; i < stored.length; i++) {
    const char = stored[i]!;
    // A mark is always followed by the character it stands for: itself, or U+0002 for U+0000.
    if (char === MARK) text += stored[++i] === MARK ? MARK : NUL;
    else text += char;
  }
  return text;
}

/** `toPgText` over an array. */
export function toPgTexts(texts: readonly string[]): string[];
export function toPgTexts(texts: readonly (string | null)[]): (string | null)[];
export function toPgTexts(texts: readonly (string | null)[]): (string | null)[] {
  return texts.map((text) => toPgText(text));
}
