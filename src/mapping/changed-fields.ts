import { appendSegment } from './parse-path.js';
import { isRecord } from './set-path.js';

/**
 * Flattens a payload to its leaves: canonical path (as `formatPath` writes it) → value.
 * - objects and arrays are walked; arrays by index, so `traits.tags[0]`, `traits.tags[1]`;
 * - an empty object or array is itself a leaf (so `{}` → absent is a visible change);
 * - a scalar (or null) at the top is the single leaf `""`; `undefined` has no leaves.
 * Keys come out in the value's own order; fields holding `undefined` are skipped, as in JSON.
 */
export function leafPaths(value: unknown): Map<string, unknown> {
  const leaves = new Map<string, unknown>();
  if (value !== undefined) collect(value, '', leaves);
  return leaves;
}

function collect(value: unknown, prefix: string, leaves: Map<string, unknown>): void {
  if (Array.isArray(value)) {
    if (value.length === 0 && prefix !== '') leaves.set(prefix, value);
    for (let i = 0; i < value.length; i++) collect(value[i], appendSegment(prefix, i), leaves);
    return;
  }
  if (isRecord(value)) {
    let empty = true;
    for (const key of Object.keys(value)) {
      // JSON drops undefined fields, so they are not leaves either.
      if (value[key] === undefined) continue;
      empty = false;
      collect(value[key], appendSegment(prefix, key), leaves);
    }
    if (empty && prefix !== '') leaves.set(prefix, value);
    return;
  }
  leaves.set(prefix, value);
}

/**
 * The leaf paths that differ between two payloads (added, removed or changed), sorted by code unit.
 * Arrays are compared element by element (`traits.tags[1]`), so a list that grows or shrinks names the
 * indices that appeared or went. `previous` is `undefined` for a key never delivered: every leaf of
 * `next` is then reported. Used for `changed_fields` in dry runs (SPEC §4).
 */
export function changedFields(previous: unknown, next: unknown): string[] {
  const before = leafPaths(previous);
  const after = leafPaths(next);
  const changed: string[] = [];
  for (const [path, value] of after) {
    if (!before.has(path) || !sameLeaf(before.get(path), value)) changed.push(path);
  }
  for (const path of before.keys()) if (!after.has(path)) changed.push(path);
  return changed.sort();
}

function sameLeaf(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  // Both are empty containers (walked containers never become leaves) or exotic objects: compare as JSON.
  return Array.isArray(a) === Array.isArray(b) && JSON.stringify(a) === JSON.stringify(b);
}
