import { SluiceError } from '../../core/errors.js';

/** A negative or fractional limit is a caller's mistake: refuse it rather than guess. */
export function checkLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new SluiceError('usage', `limit must be a whole number of 0 or more, got ${limit}`);
  }
  return limit;
}

/** A cursor this store gave out: `parts` whole numbers joined by dots. */
export function parseCursor(cursor: string, parts: number): number[] {
  const numbers = cursor.split('.').map((part) => (/^\d{1,15}$/.test(part) ? Number(part) : Number.NaN));
  if (numbers.length !== parts || !numbers.every((n) => Number.isSafeInteger(n) && n >= 0)) {
    throw new SluiceError('usage', `cursor ${JSON.stringify(cursor)} is not one this listing gave out`);
  }
  return numbers;
}

/**
 * Splits `items` into consecutive groups in which no key appears twice, keeping their order: one
 * `INSERT … ON CONFLICT DO UPDATE` may not touch a row twice, and applying the groups one after the
 * other gives what applying the items one by one would.
 */
export function uniqueKeyGroups<T>(items: readonly T[], keyOf: (item: T) => string): T[][] {
  const groups: T[][] = [];
  let group: T[] = [];
  let seen = new Set<string>();
  for (const item of items) {
    const key = keyOf(item);
    if (seen.has(key)) {
      groups.push(group);
      group = [];
      seen = new Set();
    }
    seen.add(key);
    group.push(item);
  }
  if (group.length > 0) groups.push(group);
  return groups;
}
