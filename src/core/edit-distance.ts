/**
 * Optimal-string-alignment distance: Levenshtein plus adjacent transpositions, so "segmnet" is one
 * edit from "segment" and "emial" one from "email". The one measure behind every "did you mean …?"
 * hint (workspace keys and names, mapping columns); each caller decides how close is close enough.
 * Case-sensitive: callers lower-case both sides when case should not count.
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  // Names in a config file or a model are short; refuse to spend quadratic time on a hostile
  // megabyte-long one. The answer stays above any "close enough" limit a caller uses for such names.
  if (a.length > MAX_LENGTH || b.length > MAX_LENGTH) return Math.abs(a.length - b.length) + MAX_LENGTH;
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => {
    const row = new Array<number>(cols).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j < cols; j++) d[0]![j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** Longer strings are not compared character by character (see editDistance). */
const MAX_LENGTH = 200;
