/**
 * "Did you mean …?" suggestions for misspelt keys and names, by optimal-string-alignment distance
 * (Levenshtein plus adjacent transpositions, so "segmnet" is one edit from "segment").
 */

/** The candidate closest to `input`, if it is close enough to be a plausible typo. */
export function closest(input: string, candidates: Iterable<string>): string | undefined {
  const needle = input.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = editDistance(needle, candidate.toLowerCase());
    // Up to a third of the longer word, and at least one edit: "usr" → "user", "sorce" → "source";
    // beyond that a hint is more likely to mislead than help.
    const limit = Math.max(1, Math.floor(Math.max(needle.length, candidate.length) / 3));
    // …and something must survive: "x" is one edit from "w", but not a typo of it.
    if (d <= limit && d < Math.min(needle.length, candidate.length) && d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * A fix sentence for an unknown name: `did you mean "x"?` when one is close, else the allowed list
 * (`known` shown as e.g. `use one of: a, b` or, when there is nothing, `noneHint`).
 */
export function suggest(input: string, known: readonly string[], noneHint: string): string {
  const match = closest(input, known);
  if (match !== undefined) return `did you mean "${match}"?`;
  if (known.length === 0) return noneHint;
  return `use one of: ${known.join(', ')}`;
}

/** Optimal string alignment distance between `a` and `b`. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  // Names in a config file are short; refuse to spend quadratic time on a hostile megabyte-long key.
  if (a.length > 200 || b.length > 200) return Math.abs(a.length - b.length) + 200;
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
