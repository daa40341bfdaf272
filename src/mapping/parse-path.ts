import { SluiceError } from '../core/errors.js';

/**
 * One step of a destination path: a field name (string) or an array index (number).
 * `traits.tags[0]` is `['traits', 'tags', 0]`.
 */
export type PathSegment = string | number;

/**
 * The largest array index a path may name. Indices build arrays whose holes are filled with null,
 * so a typo like `tags[100000]` would otherwise put 100,000 nulls into every message.
 */
export const MAX_PATH_INDEX = 9_999;

/** Characters a bare (unquoted) field name may not contain: they are path syntax, or look like it. */
const BARE_NAME = /^[^.[\]"'\s]+$/u;

/**
 * Parses a destination path:
 * - `traits.address.city`: dotted field names build nested objects;
 * - `traits.tags[0]`: a bracketed non-negative integer is an array index;
 * - `traits["first name"]`, `["a.b"]`: a JSON string in brackets is a field name with any characters.
 *
 * Bare names may hold any character but `.`, `[`, `]`, quotes and whitespace. The first segment must be
 * a field name; `__proto__` is refused anywhere (it would reach into Object.prototype).
 * @throws SluiceError('config_invalid') naming the path and what is wrong with it.
 */
export function parsePath(path: string): PathSegment[] {
  const segments: PathSegment[] = [];
  let i = 0;
  if (path.length === 0) throw pathError(path, 'is empty');
  while (i < path.length) {
    const c = path[i];
    if (c === '[') {
      const end = readBracket(path, i, segments);
      i = end;
      continue;
    }
    if (c === '.') {
      if (segments.length === 0) throw pathError(path, 'starts with "."');
      i++;
      if (i >= path.length) throw pathError(path, 'ends with "."');
      if (path[i] === '.' || path[i] === '[')
        throw pathError(path, `has an empty field name at character ${i + 1}`);
    } else if (segments.length > 0) {
      throw pathError(path, `needs "." or "[" before character ${i + 1}`);
    }
    let end = i;
    while (end < path.length && path[end] !== '.' && path[end] !== '[') end++;
    const name = path.slice(i, end);
    if (!BARE_NAME.test(name)) {
      throw pathError(
        path,
        `has a field name "${name}" with spaces, quotes or brackets`,
        `write it quoted: [${JSON.stringify(name)}]`,
      );
    }
    segments.push(checkName(path, name));
    i = end;
  }
  return segments;
}

/** Reads `[123]` or `["name"]` starting at `start` (the `[`); returns the index after the `]`. */
function readBracket(path: string, start: number, segments: PathSegment[]): number {
  if (path[start + 1] === '"') {
    let end = start + 2;
    while (end < path.length && path[end] !== '"') end += path[end] === '\\' ? 2 : 1;
    if (end >= path.length || path[end + 1] !== ']')
      throw pathError(path, `has an unclosed ["…"] at character ${start + 1}`);
    let name: string;
    try {
      name = JSON.parse(path.slice(start + 1, end + 1)) as string;
    } catch {
      throw pathError(
        path,
        `has an invalid quoted name at character ${start + 1}`,
        'use JSON string escapes',
      );
    }
    if (name.length === 0) throw pathError(path, 'has an empty quoted field name');
    segments.push(checkName(path, name));
    return end + 2;
  }
  if (segments.length === 0)
    throw pathError(path, 'starts with an array index', 'a path starts with a field name');
  const close = path.indexOf(']', start);
  const digits = close < 0 ? '' : path.slice(start + 1, close);
  if (!/^(0|[1-9][0-9]*)$/.test(digits)) {
    throw pathError(
      path,
      `has an invalid index "[${digits}" at character ${start + 1}`,
      'use [0], [1], … or a quoted name ["…"]',
    );
  }
  const index = Number(digits);
  if (index > MAX_PATH_INDEX)
    throw pathError(path, `has index ${index}, above the limit of ${MAX_PATH_INDEX}`);
  segments.push(index);
  return close + 1;
}

function checkName(path: string, name: string): string {
  if (name === '__proto__') throw pathError(path, 'uses the reserved name "__proto__"');
  return name;
}

function pathError(path: string, problem: string, fix?: string): SluiceError {
  const message = `path ${JSON.stringify(path)} ${problem}${fix ? ` — ${fix}` : ''}`;
  return new SluiceError('config_invalid', message, { details: { path } });
}

/**
 * The canonical text of a path, the inverse of `parsePath`: names that need it are quoted, so
 * `parsePath(formatPath(p))` gives `p` back. Used for messages and for `changed_fields`.
 */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const segment of segments) out = appendSegment(out, segment);
  return out;
}

/** `prefix` extended by one segment, as `formatPath` would write it. */
export function appendSegment(prefix: string, segment: PathSegment): string {
  if (typeof segment === 'number') return `${prefix}[${segment}]`;
  if (segment.length > 0 && BARE_NAME.test(segment))
    return prefix.length === 0 ? segment : `${prefix}.${segment}`;
  return `${prefix}[${JSON.stringify(segment)}]`;
}
