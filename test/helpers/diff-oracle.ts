/**
 * The differential test's oracle: what Segment must receive for a generated warehouse
 * value, written from the value and key rules the lead decided (helper-notes/VALUE-RULES.md, SPEC §3
 * "Keys are exact" and "Values are exact or documented") and from nothing in `src/sources/**`: it
 * works on the generated value itself (an epoch count, an unscaled integer, the code units of a
 * string), never on what a reader made of it.
 */

/** A JSON value as generated: numbers keep the exact text they are written with. */
export type JsonTree = null | boolean | string | { num: string } | JsonTree[] | { obj: [string, JsonTree][] };

/** One generated warehouse value, in a form no engine has touched. */
export type Gen =
  | { t: 'int'; v: bigint }
  /** value = u / 10^scale, written into the engine with all `scale` digits ("1.50"). */
  | { t: 'dec'; u: bigint; scale: number }
  /** `single`: a REAL/FLOAT4 value (already a float32). */
  | { t: 'float'; v: number; single: boolean }
  /** Nanoseconds since 1970-01-01T00:00:00Z (a multiple of the column's unit). */
  | { t: 'ts'; ns: bigint }
  /** Days since 1970-01-01. */
  | { t: 'date'; days: number }
  /** As written into the engine (mixed case). */
  | { t: 'uuid'; text: string }
  | { t: 'str'; s: string }
  | { t: 'bytes'; b: Uint8Array }
  | { t: 'bool'; v: boolean }
  | { t: 'json'; j: JsonTree };

/** The key a row must arrive under, or the reason it must be refused. */
export type KeyOutcome = { text: string } | { invalid: 'null_key' };

const MAX_SAFE = 2n ** 53n - 1n;

/** Canonical decimal text (VALUE-RULES): no exponent, no "+", trailing fractional zeros removed. */
export function canonicalDecimal(u: bigint, scale: number): string {
  const negative = u < 0n;
  const digits = (negative ? -u : u).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale).replace(/0+$/, '');
  const text = fraction === '' ? whole : `${whole}.${fraction}`;
  return negative && text !== '0' ? `-${text}` : text;
}

/** The decimal as written into an engine, every scale digit kept ("1.50" for DECIMAL(10,2)). */
export function writtenDecimal(u: bigint, scale: number): string {
  const negative = u < 0n;
  const digits = (negative ? -u : u).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale);
  return `${negative ? '-' : ''}${whole}${scale > 0 ? `.${fraction}` : ''}`;
}

/** The shortest decimal that reads back as the same float32 (what a REAL is sent as). */
export function shortestSingle(v: number): number {
  for (let p = 1; p <= 9; p++) {
    const candidate = Number(v.toPrecision(p));
    if (Math.fround(candidate) === v) return candidate;
  }
  return v;
}

/** [year, month, day] of a day count since 1970-01-01, proleptic Gregorian (H. Hinnant's algorithm). */
export function civilFromDays(days: bigint): [bigint, bigint, bigint] {
  const z = days + 719_468n;
  const era = (z >= 0n ? z : z - 146_096n) / 146_097n;
  const doe = z - era * 146_097n;
  const yoe = (doe - doe / 1460n + doe / 36_524n - doe / 146_096n) / 365n;
  const doy = doe - (365n * yoe + yoe / 4n - yoe / 100n);
  const mp = (5n * doy + 2n) / 153n;
  const d = doy - (153n * mp + 2n) / 5n + 1n;
  const m = mp < 10n ? mp + 3n : mp - 9n;
  return [yoe + era * 400n + (m <= 2n ? 1n : 0n), m, d];
}

/** Days since 1970-01-01 of a proleptic Gregorian date (the inverse of `civilFromDays`). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  return era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
}

const pad = (n: bigint, width: number) => n.toString().padStart(width, '0');

/** ISO-8601 year: 4 digits within 0000–9999, else the expanded form `+275760` / `-000044`. */
function isoYear(y: bigint): string {
  if (y >= 0n && y <= 9999n) return pad(y, 4);
  return `${y < 0n ? '-' : '+'}${pad(y < 0n ? -y : y, 6)}`;
}

/** `YYYY-MM-DD` (expanded years outside 0000–9999). */
export function isoDate(days: bigint | number): string {
  const [y, m, d] = civilFromDays(BigInt(days));
  return `${isoYear(y)}-${pad(m, 2)}-${pad(d, 2)}`;
}

const NS_PER_DAY = 86_400_000_000_000n;
const floorDiv = (a: bigint, b: bigint) => (a >= 0n ? a / b : -((-a + b - 1n) / b));

/**
 * ISO-8601 UTC with `Z`: always 3 fractional digits, then the further digits when not all zero
 * (trailing zeros beyond the third trimmed), expanded years outside 0000–9999.
 */
export function isoTimestamp(ns: bigint): string {
  const days = floorDiv(ns, NS_PER_DAY);
  const inDay = ns - days * NS_PER_DAY;
  const seconds = inDay / 1_000_000_000n;
  const fraction = pad(inDay % 1_000_000_000n, 9);
  const extra = fraction.slice(3).replace(/0+$/, '');
  const time = `${pad(seconds / 3600n, 2)}:${pad((seconds / 60n) % 60n, 2)}:${pad(seconds % 60n, 2)}`;
  return `${isoDate(days)}T${time}.${fraction.slice(0, 3)}${extra}Z`;
}

/** A JSON number's text as a value: a number when a double carries it exactly, else its text. */
function jsonNumber(text: string): number | string {
  if (/^-?\d+$/.test(text)) {
    const n = BigInt(text);
    return n > MAX_SAFE || n < -MAX_SAFE ? text : Number(text);
  }
  const d = Number(text);
  if (!Number.isFinite(d)) return text;
  return sameDecimal(String(d), text) ? d : text;
}

/** Whether two decimal texts (with or without exponent) denote the same number. */
function sameDecimal(a: string, b: string): boolean {
  const norm = (t: string) => {
    const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(t);
    if (match === null) throw new Error(`not a decimal: ${t}`);
    const digits = `${match[2]}${match[3] ?? ''}`.replace(/^0+/, '');
    const exponent = Number(match[4] ?? 0) - (match[3]?.length ?? 0);
    const trimmed = digits.replace(/0+$/, '');
    if (trimmed === '') return '0';
    return `${match[1]}${trimmed}e${exponent + digits.length - trimmed.length}`;
  };
  return norm(a) === norm(b);
}

/** The JSON text of a generated JSON value, numbers exactly as generated. */
export function jsonText(tree: JsonTree): string {
  if (tree === null || typeof tree === 'boolean' || typeof tree === 'string') return JSON.stringify(tree);
  if (Array.isArray(tree)) return `[${tree.map(jsonText).join(',')}]`;
  if ('num' in tree) return tree.num;
  return `{${tree.obj.map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`).join(',')}}`;
}

function jsonValue(tree: JsonTree): unknown {
  if (tree === null || typeof tree === 'boolean' || typeof tree === 'string') return tree;
  if (Array.isArray(tree)) return tree.map(jsonValue);
  if ('num' in tree) return jsonNumber(tree.num);
  return Object.fromEntries(tree.obj.map(([k, v]) => [k, jsonValue(v)]));
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

/** The JSON value a trait must arrive as (after the JSON round trip the wire makes). */
export function expectedValue(g: Gen | null): unknown {
  return g === null ? null : JSON.parse(JSON.stringify(oracleValue(g)) ?? 'null');
}

function oracleValue(g: Gen): unknown {
  switch (g.t) {
    case 'int':
      return g.v > MAX_SAFE || g.v < -MAX_SAFE ? g.v.toString() : Number(g.v);
    case 'dec': {
      const text = canonicalDecimal(g.u, g.scale);
      return String(Number(text)) === text ? Number(text) : text;
    }
    case 'float': {
      if (!Number.isFinite(g.v)) return null;
      return g.single ? shortestSingle(g.v) : g.v;
    }
    case 'ts':
      return isoTimestamp(g.ns);
    case 'date':
      return isoDate(g.days);
    case 'uuid':
      return g.text.toLowerCase();
    case 'str':
      return g.s;
    case 'bytes':
      return base64(g.b);
    case 'bool':
      return g.v;
    case 'json':
      return jsonValue(g.j);
  }
}

/**
 * Whether Segment takes a mapped `timestamp`: segment-contract.md documents no bound, and
 * VALUE-RULES leaves the range to it; wip/values reads that as ISO-8601's plain years 0000–9999
 * (src/mapping/README.md there), which this oracle follows.
 */
export function segmentTakesTimestamp(ns: bigint): boolean {
  const [year] = civilFromDays(ns >= 0n ? ns / NS_PER_DAY : -((-ns + NS_PER_DAY - 1n) / NS_PER_DAY));
  return year >= 0n && year <= 9999n;
}

/**
 * Blank per VALUE-RULES: empty or only whitespace, whitespace being Unicode's White_Space (so
 * U+0085 is whitespace and a lone U+FEFF is not, unlike String.prototype.trim), as wip/values
 * documents it in src/mapping/README.md. Keys and Segment ids must agree on it.
 */
export function isBlank(s: string): boolean {
  return /^\p{White_Space}*$/u.test(s);
}

/** The key text a row must arrive under (its value's exact text), or `null_key`. */
export function expectedKey(g: Gen | null): KeyOutcome {
  if (g === null) return { invalid: 'null_key' };
  const value = oracleValue(g);
  if (value === null) return { invalid: 'null_key' };
  const text =
    typeof value === 'string' ? value : typeof value === 'number' ? String(value) : JSON.stringify(value);
  return isBlank(text) ? { invalid: 'null_key' } : { text };
}
