/**
 * JSON text → a value of the shared model (core/values.ts), keeping integers exact: `JSON.parse`
 * rounds 9007199254740993 to ...992, which would silently change an id stored in a JSON column. An
 * integer beyond 2^53 - 1 becomes its decimal string, as for integer columns.
 */
import { bigintToValue } from './normalise.js';
import type { Value } from './values.js';

/** Only text holding a run of 16+ digits can hold an unsafe integer; the rest takes the fast path. */
const LONG_DIGITS = /\d{16}/;
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;

/**
 * Parses JSON text. Integers beyond ±(2^53 - 1) become decimal strings; other numbers are doubles.
 * Throws `SyntaxError` on invalid JSON, like `JSON.parse`.
 */
export function parseJsonText(text: string): Value {
  if (!LONG_DIGITS.test(text)) return JSON.parse(text) as Value;
  const parser = new LosslessParser(text);
  const value = parser.value();
  parser.end();
  return value;
}

class LosslessParser {
  readonly #text: string;
  #pos = 0;

  constructor(text: string) {
    this.#text = text;
  }

  value(): Value {
    this.#skipWhitespace();
    const c = this.#text[this.#pos];
    if (c === '{') return this.#object();
    if (c === '[') return this.#array();
    if (c === '"') return this.#string();
    if (this.#text.startsWith('true', this.#pos)) return this.#literal(4, true);
    if (this.#text.startsWith('false', this.#pos)) return this.#literal(5, false);
    if (this.#text.startsWith('null', this.#pos)) return this.#literal(4, null);
    return this.#number();
  }

  end(): void {
    this.#skipWhitespace();
    if (this.#pos !== this.#text.length) this.#fail();
  }

  #object(): Value {
    this.#pos++;
    const out: Record<string, Value> = {};
    this.#skipWhitespace();
    if (this.#text[this.#pos] === '}') {
      this.#pos++;
      return out;
    }
    for (;;) {
      this.#skipWhitespace();
      if (this.#text[this.#pos] !== '"') this.#fail();
      const key = this.#string();
      this.#expect(':');
      // defineProperty, not assignment: a "__proto__" key must stay a field, as JSON.parse keeps it.
      Object.defineProperty(out, key, {
        value: this.value(),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      if (this.#next(',', '}')) return out;
    }
  }

  #array(): Value {
    this.#pos++;
    const out: Value[] = [];
    this.#skipWhitespace();
    if (this.#text[this.#pos] === ']') {
      this.#pos++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      if (this.#next(',', ']')) return out;
    }
  }

  #string(): string {
    const start = this.#pos;
    let i = start + 1;
    for (;;) {
      const c = this.#text[i];
      if (c === undefined) this.#fail();
      if (c === '\\') i += 2;
      else if (c === '"') break;
      else i++;
    }
    this.#pos = i + 1;
    // The escapes are JSON's own, so JSON.parse decodes the slice exactly.
    return JSON.parse(this.#text.slice(start, i + 1)) as string;
  }

  #number(): Value {
    NUMBER.lastIndex = this.#pos;
    const match = NUMBER.exec(this.#text);
    if (match === null) this.#fail();
    this.#pos = NUMBER.lastIndex;
    const token = match[0];
    const integer = match[1] === undefined && match[2] === undefined;
    return integer && token.length > 15 ? bigintToValue(BigInt(token)) : Number(token);
  }

  #literal(length: number, value: Value): Value {
    this.#pos += length;
    return value;
  }

  /** Consumes `separator` (→ false: more to come) or `close` (→ true: done). */
  #next(separator: string, close: string): boolean {
    this.#skipWhitespace();
    const c = this.#text[this.#pos++];
    if (c === close) return true;
    if (c !== separator) this.#fail();
    return false;
  }

  #expect(c: string): void {
    this.#skipWhitespace();
    if (this.#text[this.#pos] !== c) this.#fail();
    this.#pos++;
  }

  #skipWhitespace(): void {
    WHITESPACE.lastIndex = this.#pos;
    WHITESPACE.exec(this.#text);
    this.#pos = WHITESPACE.lastIndex;
  }

  #fail(): never {
    throw new SyntaxError(`Invalid JSON at position ${this.#pos}`);
  }
}
