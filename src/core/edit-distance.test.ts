import { describe, expect, it } from 'vitest';
import { editDistance } from './edit-distance.js';

describe('editDistance (optimal string alignment)', () => {
  it.each([
    ['', '', 0],
    ['', 'abc', 3],
    ['abc', '', 3],
    ['email', 'email', 0],
    // One substitution, insertion, deletion each.
    ['emall', 'email', 1],
    ['emai', 'email', 1],
    ['emaill', 'email', 1],
    // A swap of neighbours is one edit, not two (what plain Levenshtein would say).
    ['emial', 'email', 1],
    ['segmnet', 'segment', 1],
    ['ab', 'ba', 1],
    // Optimal string alignment, not full Damerau: a swapped pair is not edited again.
    ['ca', 'abc', 3],
    ['kitten', 'sitting', 3],
    // Case counts; callers lower-case when it should not.
    ['Email', 'email', 1],
  ])('%j → %j is %i', (a, b, expected) => {
    expect(editDistance(a, b)).toBe(expected);
    expect(editDistance(b, a)).toBe(expected);
  });

  it('does not compare hostile megabyte-long names character by character, and never calls them close', () => {
    const long = 'a'.repeat(1_000_000);
    const d = editDistance(long, 'a');
    expect(d).toBeGreaterThan(200);
    expect(editDistance('a'.repeat(201), 'a'.repeat(200))).toBe(201);
  });
});
