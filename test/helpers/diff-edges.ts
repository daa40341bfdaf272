/**
 * The differential test's edge values: what every run starts with, so the few default
 * runs always meet the cases the issue names and the ones this test found.
 */
import type { Gen } from './diff-oracle.js';
import { yearStartNs } from './diff-values.js';

export const dec = (u: bigint, scale: number): Gen => ({ t: 'dec', u, scale });
const ts = (ns: bigint): Gen => ({ t: 'ts', ns });
const str = (s: string): Gen => ({ t: 'str', s });
export const at = (year: number, plusNs = 0n) => ts(yearStartNs(year) + plusNs);

/** Values that once collided: NUMERIC(38,0) ids one apart, timestamps 100 µs apart, a BOM. */
export const D38_0_EDGES = [dec(1234567890123456789n, 0), dec(1234567890123456790n, 0)];
export const D38_10_EDGES = [dec(12345678901234567890n, 10), dec(12345678901234567891n, 10), dec(15n, 1)];
export const US_EDGES = [at(2024, 5_000_100_000n), at(2024, 5_000_200_000n), at(1969, 1_000n)];
export const WIDE_EDGES = [at(200_000), at(-100_000), at(10_000), at(-1, 123_000n)];
export const STRING_EDGES = [
  str('\uFEFFbom-key'),
  str('bom-key'),
  str(' '),
  str('e\u0301'),
  str('\u00e9'),
  // Where trim() and Unicode's White_Space disagree on blankness.
  str('\uFEFF'),
  str('\u0085'),
];
export const JSON_EDGES: Gen[] = [
  {
    t: 'json',
    j: {
      obj: [
        ['big', { num: '1e400' }],
        ['long', { num: '12345678901234567890.5' }],
      ],
    },
  },
  { t: 'json', j: [{ num: '9007199254740993' }, { num: '0.1' }] },
];
/** JSON lines: DuckDB's reader turns a non-integer no double carries into a double itself. */
export const JSONL_EDGES: Gen[] = [
  {
    t: 'json',
    j: {
      obj: [
        ['big', { num: '1e400' }],
        ['neg', { num: '-1e400' }],
      ],
    },
  },
  { t: 'json', j: [{ num: '9007199254740993' }, { num: '0.1' }] },
];
export const F64_EDGES: Gen[] = [-0, 5e-324, 0.1].map((v) => ({ t: 'float', v, single: false }));
/** Two doubles MariaDB's text protocol writes alike (it drops the 16th significant digit). */
export const MARIADB_DOUBLE_TWINS: Gen[] = [977135539175674.1, 977135539175674].map((v) => ({
  t: 'float',
  v,
  single: false,
}));
/** A float32 that MariaDB's text protocol (6 significant digits) cannot tell from 1/3. */
export const MARIADB_FLOAT_TWIN: Gen = { t: 'float', v: Math.fround(0.33333337), single: true };
export const F32_EDGES: Gen[] = [1 / 3, 1.401298464324817e-45].map((v) => ({
  t: 'float',
  v: Math.fround(v),
  single: true,
}));
