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
