/**
 * JSON text → a value of the shared model (core/values.ts), keeping numbers exact: `JSON.parse`
 * rounds 9007199254740993 to ...992, which would silently change an id stored in a JSON column, makes
 * 1e400 Infinity (sent as null) and 1e-400 zero. So (src/sources/README.md, type table):
 * - an integer beyond 2^53 - 1 becomes its decimal digit string, as for integer columns;
 * - any other number a double cannot carry exactly — beyond double range (1e400), below it (1e-400),
 *   or with more digits than a double keeps (12345678901234567890.5) — becomes the exact string of
 *   its text as written. "Exactly" is the rule DECIMAL columns follow: the double, printed back
 *   (shortest round trip), is the same decimal number;
 * - every other number is a double, as JSON.parse gives it.
 */
import { bigintToValue } from './normalise.js';
import type { Value } from './values.js';

/**
 * Whether the text may hold a number a double cannot carry, and so needs the lossless parser: 16+
 * significant digits (a run of 16 digits and points, which always holds a run of 8 digits, the
 * cheap test made first), or a 3-digit exponent (only those reach beyond double range or into
 * subnormals when the digits are fewer than 16). A decimal with at most 15 significant digits in
 * normal range always round-trips (DBL_DIG), so everything else takes JSON.parse unchanged.
 * Separate fixed-length patterns, not one alternation: V8 scans each by skipping ahead, which an
 * alternation defeats. Measured on typical 100–150-character documents (scratch script, min of 10
 * rounds): 0.1–0.2 µs more than the old digits-only test (0.15–0.25 µs against 0.05–0.08 µs),
 * next to ≈ 0.9 µs for JSON.parse itself.
 * Strings that merely look like this cost a slower parse, never a different value.
 */
function mayBeInexact(text: string): boolean {
  return (EIGHT_DIGITS.test(text) && LONG_NUMBER.test(text)) || LONG_EXPONENT.test(text);
}
const EIGHT_DIGITS = /\d{8}/;
const LONG_NUMBER = /\d[\d.]{15}/;
const LONG_EXPONENT = /[eE][-+\d]\d\d/;
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;

/**
 * Parses JSON text. Integers beyond ±(2^53 - 1) become decimal strings, other numbers a double cannot
 * carry exactly the string of their text; the rest are doubles. Throws `SyntaxError` on invalid
 * JSON, like `JSON.parse`.
 */
export function parseJsonText(text: string): Value {
  if (!mayBeInexact(text)) return JSON.parse(text) as Value;
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
    if (match[2] === undefined) {
      if (match[1] === undefined) return token.length > 15 ? bigintToValue(BigInt(token)) : Number(token);
      // At most 14 digits and no exponent: always exact.
      if (token.length <= 15) return Number(token);
    }
    const n = Number(token);
    return Number.isFinite(n) && decimalKey(String(n)) === decimalKey(token) ? n : token;
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

/**
 * A JSON number's decimal value as comparable text: sign, significant digits without leading or
 * trailing zeros, and the power of ten of the point ("1.50e3", "1500" and "15e2" all give "15e4").
 * Zero of either sign is "0", since JSON cannot tell -0 from 0 once written.
 */
function decimalKey(text: string): string {
  const negative = text.charCodeAt(0) === 45; /* - */
  const body = negative ? text.slice(1) : text;
  const e = body.search(/[eE]/);
  const mantissa = e < 0 ? body : body.slice(0, e);
  const exponent = e < 0 ? 0 : Number(body.slice(e + 1));
  const point = mantissa.indexOf('.');
  const digits = point < 0 ? mantissa : mantissa.slice(0, point) + mantissa.slice(point + 1);
  let first = 0;
  while (first < digits.length && digits.charCodeAt(first) === 48) first++;
  if (first === digits.length) return '0';
  let last = digits.length;
  while (digits.charCodeAt(last - 1) === 48) last--;
  const pointAt = (point < 0 ? mantissa.length : point) + exponent - first;
  return `${negative ? '-' : ''}${digits.slice(first, last)}e${pointAt}`;
}
