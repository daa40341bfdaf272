import type { PathSegment } from './parse-path.js';

/**
 * Sets `value` at `path` inside `target`, creating objects (for field names) and arrays (for indices)
 * on the way. An existing container of the right kind is reused and mutated in place; anything else in
 * the way (a scalar, an array where an object is needed) is replaced, because the longer, more
 * specific path wins. Array holes before an index are filled with null, as JSON has no holes.
 * @throws TypeError for an empty path (the target itself cannot be replaced).
 */
export function setPath(target: Record<string, unknown>, path: readonly PathSegment[], value: unknown): void {
  if (path.length === 0) throw new TypeError('setPath needs a non-empty path');
  let container: Record<string, unknown> | unknown[] = target;
  for (let i = 0; i < path.length - 1; i++) {
    const segment = path[i] as PathSegment;
    const wantArray = typeof path[i + 1] === 'number';
    const existing = ownValue(container, segment);
    let next: Record<string, unknown> | unknown[];
    if (wantArray ? Array.isArray(existing) : isRecord(existing)) {
      next = existing as Record<string, unknown> | unknown[];
    } else {
      next = wantArray ? [] : {};
      putValue(container, segment, next);
    }
    container = next;
  }
  putValue(container, path[path.length - 1] as PathSegment, value);
}

/** A plain data object: `{}` literals, JSON.parse output and null-prototype records. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Assigns one field as an own data property. `__proto__` is defined rather than assigned, since
 * assigning it would replace the object's prototype instead of adding a field (column names are data).
 */
export function putField(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** Sets `array[index]`, filling any gap before it with null. */
export function putIndex(array: unknown[], index: number, value: unknown): void {
  while (array.length < index) array.push(null);
  array[index] = value;
}

function ownValue(container: Record<string, unknown> | unknown[], segment: PathSegment): unknown {
  if (Array.isArray(container)) return typeof segment === 'number' ? container[segment] : undefined;
  return Object.hasOwn(container, segment) ? container[segment as string] : undefined;
}

function putValue(
  container: Record<string, unknown> | unknown[],
  segment: PathSegment,
  value: unknown,
): void {
  if (Array.isArray(container)) {
    // Always an index: setPath only walks into an array when the next segment is one.
    putIndex(container, segment as number, value);
    return;
  }
  putField(container, String(segment), value);
}
