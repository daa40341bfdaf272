import { RowFailure } from './row-failure.js';
import { isRecord } from './set-path.js';

/**
 * An id field's value as Segment wants it: a string (segment-contract.md, common fields: userId and
 * anonymousId "must be a non-empty string", else discarded as `id_not_string`). Numbers become their
 * decimal text (`42` → "42", `1.5` → "1.5"); integers past 2^53 already arrive as strings
 * (core/values.ts) and stay exact. Strings are not trimmed. Booleans, objects and arrays are left as
 * they are, so that validation rejects them with a clear reason instead of sending "true".
 */
export function toIdValue(value: unknown): unknown {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
}

/** What a value at an object position must be: a plain object, or an array for index children. */
export type ContainerKind = 'object' | 'array';

/**
 * A value meant to be a whole object (or array): JSON text is parsed (warehouses often hold JSON in
 * VARCHAR columns), null means "no value" (undefined), anything else must already be of the right
 * kind, else the row fails with `not_an_object` naming `where`.
 */
export function toContainer(value: unknown, kind: ContainerKind, where: string): unknown {
  if (value === null || value === undefined) return undefined;
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch (error) {
      throw new RowFailure(
        'not_an_object',
        `${where}: expected ${article(kind)}, got text that is not JSON (${(error as Error).message})`,
      );
    }
    if (parsed === null) return undefined;
  }
  if (kind === 'array' ? Array.isArray(parsed) : isRecord(parsed)) return parsed;
  throw new RowFailure('not_an_object', `${where}: expected ${article(kind)}, got ${describeValue(parsed)}`);
}

function article(kind: ContainerKind): string {
  return kind === 'array' ? 'an array' : 'an object';
}

/** "a number (42)", "an array", … for messages; short, never the whole value. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return `a ${typeof value} (${text.length > 40 ? `${text.slice(0, 40)}…` : text})`;
}
