/**
 * fast-check arbitraries for the differential test: the values a warehouse column of
 * each type can hold, biased toward the edges (widths, scales, subnormals, years outside Date's
 * range, strings that hide characters).
 */
import fc from 'fast-check';
import { daysFromCivil, type Gen, type JsonTree } from './diff-oracle.js';

/** Signed integers of a width in bits (64 → BIGINT, 128 → HUGEINT), edges included. */
export function intArb(bits: number, unsigned = false): fc.Arbitrary<Gen> {
  const min = unsigned ? 0n : -(2n ** BigInt(bits - 1));
  const max = unsigned ? 2n ** BigInt(bits) - 1n : 2n ** BigInt(bits - 1) - 1n;
  const edges = [min, max, 0n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n) - 1n]
    .filter((n) => n >= min && n <= max)
    .map((v) => ({ t: 'int' as const, v }));
  return fc.oneof(
    { weight: 3, arbitrary: fc.bigInt({ min, max }).map((v) => ({ t: 'int' as const, v })) },
    {
      weight: 2,
      arbitrary: fc
        .integer({ min: Math.max(Number(min), -(2 ** 31)), max: Math.min(Number(max), 2 ** 31 - 1) })
        .map((v) => ({ t: 'int' as const, v: BigInt(v) })),
    },
    { weight: 1, arbitrary: fc.constantFrom(...edges) },
  );
}

/** DECIMAL(precision, scale): any unscaled value of `precision` digits, short ones often. */
export function decimalArb(precision: number, scale: number): fc.Arbitrary<Gen> {
  const limit = 10n ** BigInt(precision) - 1n;
  const short = 10n ** BigInt(Math.min(precision, scale + 3)) - 1n;
  return fc
    .oneof(
      fc.bigInt({ min: -limit, max: limit }),
      fc.bigInt({ min: -short, max: short }),
      fc.constantFrom(limit, -limit, 0n, 1n, -1n, 15n * 10n ** BigInt(Math.max(scale - 1, 0))),
    )
    .map((u) => ({ t: 'dec' as const, u, scale }));
}

/** DOUBLE (or REAL when `single`): -0, subnormals, extremes; NaN/±Infinity when the engine stores them. */
export function floatArb(single: boolean, nonFinite: boolean): fc.Arbitrary<Gen> {
  const specials = single
    ? [-0, 1.401298464324817e-45, 3.4028234663852886e38, 0.1, 1 / 3]
    : [-0, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 0.1, 2 ** 53 + 2];
  const base = single
    ? fc.float({ noNaN: true, noDefaultInfinity: true }).map(Math.fround)
    : fc.double({ noNaN: true, noDefaultInfinity: true });
  const parts = [base, fc.constantFrom(...specials.map((v) => (single ? Math.fround(v) : v)))];
  if (nonFinite) parts.push(fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY));
  return fc.oneof(...parts).map((v) => ({ t: 'float' as const, v, single }));
}

const NS: Record<Unit, bigint> = { s: 1_000_000_000n, ms: 1_000_000n, us: 1_000n, ns: 1n };
export type Unit = 's' | 'ms' | 'us' | 'ns';

/** Nanoseconds at the start of a year. */
export function yearStartNs(year: number): bigint {
  return BigInt(daysFromCivil(year, 1, 1)) * 86_400_000_000_000n;
}

/**
 * Timestamps in [fromYear, toYear) at a unit: mostly 1970–2100, often anywhere in 0000–9999, and
 * across the engine's whole range (outside JS Date's ±275,760 years where the engine allows).
 */
export function timestampArb(unit: Unit, fromYear: number, toYear: number): fc.Arbitrary<Gen> {
  const clamp = (y: number) => Math.min(Math.max(y, fromYear), toYear);
  const range = (a: number, b: number) =>
    fc.bigInt({ min: yearStartNs(clamp(a)), max: yearStartNs(clamp(b)) - 1n });
  return fc
    .oneof(
      { weight: 3, arbitrary: range(1970, 2100) },
      { weight: 2, arbitrary: range(0, 10_000) },
      { weight: 2, arbitrary: range(fromYear, toYear) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(yearStartNs(clamp(10_000)) - 1n, yearStartNs(clamp(0)), 0n, -1n),
      },
    )
    .map((ns) => ({ t: 'ts' as const, ns: ns - (((ns % NS[unit]) + NS[unit]) % NS[unit]) }));
}

/** Dates in [fromYear, toYear). */
export function dateArb(fromYear: number, toYear: number): fc.Arbitrary<Gen> {
  const day = (y: number) => daysFromCivil(Math.min(Math.max(y, fromYear), toYear), 1, 1);
  return fc
    .oneof(
      fc.integer({ min: day(1970), max: day(2100) }),
      fc.integer({ min: day(0), max: day(10_000) - 1 }),
      fc.integer({ min: day(fromYear), max: day(toYear) - 1 }),
    )
    .map((days) => ({ t: 'date' as const, days }));
}

/** UUIDs of versions 1–7 (MariaDB's UUID type refuses 8 and above), half written in upper case. */
export const uuidArb: fc.Arbitrary<Gen> = fc
  .tuple(fc.uuid({ version: [1, 2, 3, 4, 5, 6, 7] }), fc.boolean())
  .map(([u, upper]) => ({ t: 'uuid' as const, text: upper ? u.toUpperCase() : u }));

/** Characters that hide, join, reorder or cost: BOM, NUL, combining marks, RTL, emoji, 4-byte. */
const TRICKY = [
  '\uFEFF',
  '\u0085',
  '\u0000',
  '\u0301',
  'e\u0301',
  '\u200F',
  '\u202E',
  'مرحبا',
  '😀',
  '👩‍👩‍👧',
  '𝄞',
  ' ',
  '\t',
  '\n',
  '\r',
  '\u00A0',
  '\u3000',
  '"',
  "'",
  '\\',
  ',',
  '%',
  '_',
  'Zoë',
  '\u2028',
];

/** Strings of tricky and random code points (`nul`: the engine can hold U+0000). */
export function stringArb(nul: boolean): fc.Arbitrary<Gen> {
  const char = fc.oneof(
    fc.constantFrom(...TRICKY.filter((c) => nul || !c.includes('\u0000'))),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((c) => nul || c !== '\u0000'),
  );
  return fc
    .oneof(
      { weight: 4, arbitrary: fc.array(char, { maxLength: 12 }).map((a) => a.join('')) },
      {
        weight: 1,
        arbitrary: fc.array(fc.constantFrom(' ', '\t', '\n', '\r'), { maxLength: 4 }).map((a) => a.join('')),
      },
      { weight: 1, arbitrary: fc.constantFrom('\uFEFFbom-key', 'bom-key', '') },
    )
    .map((s) => ({ t: 'str' as const, s }));
}

export const bytesArb: fc.Arbitrary<Gen> = fc
  .uint8Array({ maxLength: 24 })
  .map((b) => ({ t: 'bytes' as const, b }));

export const boolArb: fc.Arbitrary<Gen> = fc.boolean().map((v) => ({ t: 'bool' as const, v }));

/**
 * JSON numbers as written: exact doubles, integers beyond 2^53, ones beyond a double's range, and
 * (`inexact`) non-integers a double cannot carry.
 */
function jsonNumberArb(inexact: boolean): fc.Arbitrary<JsonTree> {
  const odd = ['1e400', '-1e400', '0.1', '1E+2', ...(inexact ? ['2.5e-400', '12345678901234567890.5'] : [])];
  return fc
    .oneof(
      fc.integer().map(String),
      fc.bigInt({ min: 2n ** 53n, max: 2n ** 70n }).map((n) => String(n)),
      fc.bigInt({ min: -(2n ** 70n), max: -(2n ** 53n) }).map((n) => String(n)),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => String(d)),
      fc.constantFrom(...odd),
    )
    .map((num) => ({ num }));
}

const jsonStringArb = fc.string({ unit: 'grapheme', maxLength: 8 });

/**
 * JSON values. `inexact`: numbers no double carries (DuckDB's JSON-lines reader rewrites those as
 * doubles itself, before Sluice sees them). `topLevelNumbers`: a bare number as the whole value
 * (a SQLite column declared JSON has NUMERIC affinity, so SQLite stores a bare number as a number).
 */
export function jsonArb(options: { inexact: boolean; topLevelNumbers: boolean }): fc.Arbitrary<Gen> {
  const number = jsonNumberArb(options.inexact);
  const tree = fc.letrec<{ tree: JsonTree; top: JsonTree }>((tie) => {
    const containers = [
      fc.array(tie('tree'), { maxLength: 3 }),
      fc
        .uniqueArray(fc.tuple(fc.string({ maxLength: 6 }), tie('tree')), {
          maxLength: 3,
          selector: ([k]) => k,
        })
        .map((obj) => ({ obj })),
    ];
    const scalars = [fc.constant(null), fc.boolean(), jsonStringArb];
    return {
      tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, ...scalars, number, ...containers),
      top: fc.oneof(...scalars, ...(options.topLevelNumbers ? [number] : []), ...containers),
    };
  }).top;
  return tree.map((j) => ({ t: 'json' as const, j }));
}
