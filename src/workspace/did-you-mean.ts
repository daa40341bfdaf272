import { editDistance } from '../core/edit-distance.js';

/**
 * "Did you mean …?" suggestions for misspelt keys and names, by optimal-string-alignment distance
 * (core/edit-distance.ts: "segmnet" is one edit from "segment").
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
