/**
 * The differential test's cases that fail on main until another branch of issue 11 lands
 * (test/differential.test.ts runs them as `it.fails`). Whoever merges a fix removes its entries:
 * the moment a case passes, its `it.fails` turns red and says so. Listed from
 * `SLUICE_DIFF_ALL=1 npx vitest run test/differential.test.ts` on main 1d3af74 (wip/values merged).
 */

const KEYS_FIX =
  'wip/keys: DECIMAL exact, sub-millisecond timestamp digits, years beyond JS Date (timestamps and dates), BOM kept, blank keys null_key';
/** Found by this test, in no branch yet: MariaDB's text protocol rounds FLOAT and some DOUBLEs. */
const MYSQL_FLOAT =
  'unassigned: the mysql reader takes FLOAT/DOUBLE as MariaDB text writes them: FLOAT to 6 digits (0.33333334 and 0.33333337 both 0.333333), DOUBLE to 15 (977135539175674.1 as 977135539175674)';
/** Found by this test on wip/keys + main: keys and Segment ids disagree on "blank". */
const BLANK_AGREEMENT =
  'wip/keys agreeing with main on blank: keys use trim() (a lone U+FEFF is null_key, U+0085 is not), Segment ids Unicode White_Space';
/** Found by this test on wip/keys: a double of epoch milliseconds past 2^53 lands 1 ms off. */
const TSTZ_BEYOND_2_53_MS =
  'wip/keys: DuckDB TIMESTAMPTZ past ±285,000 years arrives 1 ms off (+293999-01-01T00:00:03.001001Z as …03.000001Z)';

const ENGINES = ['duckdb', 'postgres', 'mysql', 'sqlite', 'parquet', 'csv', 'jsonl'];
const pending = (fix: string, ids: string[]) => Object.fromEntries(ids.map((id) => [id, fix]));

/**
 * `<engine>/<column>/<value|key>`, `<engine>/events` or `<engine>/rerun` → the fix it waits for.
 */
export const PENDING: Record<string, string> = {
  ...pending(KEYS_FIX, [
    // Keys merged on main (DECIMAL, microseconds, BOM) find each other's state on a second run.
    ...ENGINES.map((e) => `${e}/rerun`),
    'csv/d38_10/key',
    'csv/d38_10/value',
    'csv/ev_ts/value',
    'csv/events',
    'csv/s/value',
    'csv/ts_ns/value',
    'csv/ts_us/key',
    'csv/ts_us/value',
    'csv/tstz/key',
    'csv/tstz/value',
    'duckdb/d18_6/value',
    'duckdb/d38_0/key',
    'duckdb/d38_0/value',
    'duckdb/d38_10/key',
    'duckdb/d38_10/value',
    'duckdb/dt/key',
    'duckdb/dt/value',
    'duckdb/ev_ts/value',
    'duckdb/events',
    'duckdb/s/value',
    'duckdb/ts_ms/value',
    'duckdb/ts_ns/key',
    'duckdb/ts_ns/value',
    'duckdb/ts_s/value',
    'duckdb/ts_us/key',
    'duckdb/ts_us/value',
    'jsonl/d38_10/key',
    'jsonl/d38_10/value',
    'jsonl/ev_ts/value',
    'jsonl/events',
    'jsonl/s/value',
    'jsonl/ts_ns/value',
    'jsonl/ts_us/key',
    'jsonl/ts_us/value',
    'jsonl/tstz/key',
    'jsonl/tstz/value',
    'mysql/d38_0/key',
    'mysql/d38_0/value',
    'mysql/d38_10/key',
    'mysql/d38_10/value',
    'mysql/d65_30/value',
    'mysql/dt6/key',
    'mysql/dt6/value',
    'mysql/ev_ts/value',
    'mysql/tsz/key',
    'mysql/tsz/value',
    'parquet/d18_6/value',
    'parquet/d38_0/key',
    'parquet/d38_0/value',
    'parquet/d38_10/key',
    'parquet/d38_10/value',
    'parquet/dt/key',
    'parquet/dt/value',
    'parquet/ev_ts/value',
    'parquet/events',
    'parquet/s/value',
    'parquet/ts_ms/value',
    'parquet/ts_ns/key',
    'parquet/ts_ns/value',
    'parquet/ts_s/value',
    'parquet/ts_us/key',
    'parquet/ts_us/value',
    'postgres/dt/key',
    'postgres/dt/value',
    'postgres/ev_ts/value',
    'postgres/n38_0/key',
    'postgres/n38_0/value',
    'postgres/n38_10/key',
    'postgres/n38_10/value',
    'postgres/ts0/value',
    'postgres/ts3/value',
    'postgres/ts6/key',
    'postgres/ts6/value',
    'postgres/tstz/key',
    'postgres/tstz/value',
    'sqlite/ev_ts/value',
    'sqlite/ts6/key',
    'sqlite/ts6/value',
    'sqlite/ts9/value',
  ]),
  ...pending(MYSQL_FLOAT, ['mysql/f32/value', 'mysql/f32/key', 'mysql/f64/value', 'mysql/f64/key']),
  ...pending(`${KEYS_FIX}; ${MYSQL_FLOAT}`, ['mysql/rerun']),
  // Still failing with wip/keys merged too (checked 12:30 UTC): these wait for one more fix.
  ...pending(
    `${KEYS_FIX}; ${BLANK_AGREEMENT}`,
    ENGINES.map((e) => `${e}/s/key`),
  ),
  ...pending(`${KEYS_FIX}; ${TSTZ_BEYOND_2_53_MS}`, [
    'duckdb/tstz/value',
    'duckdb/tstz/key',
    'parquet/tstz/value',
    'parquet/tstz/key',
  ]),
};
