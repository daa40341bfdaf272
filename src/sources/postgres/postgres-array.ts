/**
 * PostgreSQL's array text (`{1,2,NULL}`, `{{1,2},{3,4}}`, `{"a,b","say \"hi\""}`, `[0:1]={7,8}`)
 * → nested arrays, each element converted by its type's parser. The grammar is array_out's:
 * https://www.postgresql.org/docs/current/arrays.html#ARRAYS-IO
 */
import type { Value } from '../../core/values.js';

/** Parses one array's text; elements (never NULL) go through `element`. Throws on malformed text. */
export function parsePgArray(text: string, element: (text: string) => Value): Value[] {
  let pos = 0;
  // Arrays whose lower bound is not 1 carry their bounds first: "[0:2]={…}".
  if (text.charCodeAt(0) === 91 /* [ */) {
    pos = text.indexOf('=') + 1;
    if (pos === 0) fail(text, 0);
  }

  function list(): Value[] {
    if (text[pos] !== '{') fail(text, pos);
    pos++;
    const out: Value[] = [];
    if (text[pos] === '}') {
      pos++;
      return out;
    }
    for (;;) {
      const c = text[pos];
      if (c === '{') out.push(list());
      else if (c === '"') out.push(element(quoted()));
      else {
        const raw = unquoted();
        out.push(raw === 'NULL' ? null : element(raw));
      }
      const next = text[pos++];
      if (next === '}') return out;
      if (next !== ',') fail(text, pos - 1);
    }
  }

  function quoted(): string {
    pos++;
    let out = '';
    let start = pos;
    for (;;) {
      const c = text[pos];
      if (c === undefined) fail(text, pos);
      if (c === '\\') {
        out += text.slice(start, pos);
        start = pos + 1;
        pos += 2;
      } else if (c === '"') {
        out += text.slice(start, pos);
        pos++;
        return out;
      } else {
        pos++;
      }
    }
  }

  function unquoted(): string {
    const start = pos;
    while (pos < text.length && text[pos] !== ',' && text[pos] !== '}') pos++;
    if (pos === start) fail(text, pos);
    return text.slice(start, pos);
  }

  const value = list();
  if (pos !== text.length) fail(text, pos);
  return value;
}

function fail(text: string, at: number): never {
  throw new SyntaxError(`malformed array literal at position ${at}: ${text.slice(0, 80)}`);
}
