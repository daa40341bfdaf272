import { createHash } from 'node:crypto';
import { isRecord } from './set-path.js';

/**
 * The filters Census and Hightouch users reach for, added to liquidjs' built-ins (which stay
 * available: `upcase`, `date`, `default`, `split`, …). A filter that gets the wrong kind of value
 * throws; the mapping turns that into a `template_error` for the row. A null input passes through
 * unchanged (so a missing email renders as "", not as the hash of an empty string).
 */
export const templateFilters: Readonly<Record<string, (input: unknown, ...args: unknown[]) => unknown>> = {
  /** JSON text of the value; an optional indent like liquidjs' own `json`. */
  json: (input, space) => JSON.stringify(input === undefined ? null : input, null, toIndent(space)),
  /** The object without the named keys: `{{ props | except: 'ssn', 'dob' | json }}`. */
  except: (input, ...keys) => {
    if (input == null) return input;
    const object = expectObject('except', input);
    const drop = new Set(keys.map(String));
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(object)) if (!drop.has(key)) copyField(out, key, object[key]);
    return out;
  },
  /** The object with only the named keys, in the object's own order. */
  only: (input, ...keys) => {
    if (input == null) return input;
    const object = expectObject('only', input);
    const keep = new Set(keys.map(String));
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(object)) if (keep.has(key)) copyField(out, key, object[key]);
    return out;
  },
  /** The object's keys, as an array. */
  keys: (input) => (input == null ? input : Object.keys(expectObject('keys', input))),
  /** Lowercase hex SHA-256 of the UTF-8 text, e.g. for hashed emails. */
  sha256: (input) =>
    input == null ? input : createHash('sha256').update(expectText('sha256', input), 'utf8').digest('hex'),
  /** Base64 of the UTF-8 text. */
  base64: (input) =>
    input == null ? input : Buffer.from(expectText('base64', input), 'utf8').toString('base64'),
};

function toIndent(space: unknown): number | undefined {
  return typeof space === 'number' && space > 0 ? Math.min(space, 10) : undefined;
}

function expectObject(filter: string, input: unknown): Record<string, unknown> {
  if (!isRecord(input)) throw new TypeError(`filter "${filter}" expects an object, got ${describe(input)}`);
  return input;
}

function expectText(filter: string, input: unknown): string {
  if (typeof input === 'string') return input;
  if (typeof input === 'number' || typeof input === 'boolean') return String(input);
  throw new TypeError(`filter "${filter}" expects text, got ${describe(input)}`);
}

function copyField(out: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
