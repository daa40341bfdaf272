// Issue 11, "A differential test": random values of every type each engine has (fast-check), loaded
// into real DuckDB, PostgreSQL, MariaDB, SQLite, Parquet, CSV and JSON-lines files, synced through the
// real CLI into the real receiver, and compared with an oracle (test/helpers/diff-oracle.ts) written
// from the value and key rules alone (SPEC §3 "Keys are exact", src/sources/README.md's type table),
// never from the readers.
//
// Per engine, each run is one table of SLUICE_DIFF_ROWS rows (default 16; the first run starts with
// the edge values of test/helpers/diff-columns.ts) and one CLI call running every sync of it: a user
// sync keyed on the row number with every column a trait, a user sync keyed on each key column, and an
// event sync. Defaults keep `npm test` quick (2 runs per engine); explore more with
//   SLUICE_DIFF_RUNS=200 npx vitest run test/differential.test.ts
// and another seed with SLUICE_DIFF_SEED=<n> (the default is the shared PROPERTY_SEED). A failure
// lists every differing value: the row, the generated value, what the oracle expected, what arrived.
// Cases waiting for a fix on another branch run as `it.fails` (PENDING below); SLUICE_DIFF_ALL=1
// runs them as plain tests, to list every difference.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import {
  createMysqlDatabase,
  createPostgresDatabase,
  type TestDatabase,
} from '../src/sources/source-conformance-databases.case.js';
import { type DiffRun, eventDifferences, keyDifferences, valueDifferences } from './helpers/diff-check.js';
import { columnsFor, type DiffColumn, type Engine } from './helpers/diff-columns.js';
import {
  type DiffRow,
  loadDuckdb,
  loadMysql,
  loadPostgres,
  loadSqlite,
  writeTextFile,
} from './helpers/diff-load.js';
import { canonicalDecimal, type Gen, isoDate, isoTimestamp } from './helpers/diff-oracle.js';
import { diffYaml, keySyncName, runDiffSyncs } from './helpers/diff-sync.js';
import { PROPERTY_SEED } from './helpers/hostile-values.js';
import { tempWorkspace } from './helpers/workspace.js';

const RUNS = Number(process.env.SLUICE_DIFF_RUNS ?? 1);
const ROWS = Number(process.env.SLUICE_DIFF_ROWS ?? 24);
const SEED = Number(process.env.SLUICE_DIFF_SEED ?? PROPERTY_SEED);
/** SLUICE_DIFF_ALL=1 runs the pending cases as plain tests too, to see every difference. */
const SHOW_ALL = process.env.SLUICE_DIFF_ALL === '1';

/** The fixes of issue 11 that other branches are making (helper-notes/VALUE-RULES.md). */
const KEYS_FIX =
  'wip/keys: DECIMAL exact, sub-millisecond timestamp digits, years beyond JS Date (timestamps and dates), BOM kept';
const VALUES_FIX =
  'wip/values: blank keys and event names invalid, a null event timestamp invalid, 1e400 and 12345678901234567890.5 in JSON as text';
/** Found by this test, in no branch yet: MariaDB's FLOAT arrives rounded to 6 significant digits. */
const MYSQL_FLOAT = 'unassigned: the mysql reader gets FLOAT as %g text (0.33333334 arrives as 0.333333)';

const pending = (fix: string, ids: string[]) => Object.fromEntries(ids.map((id) => [id, fix]));

/**
 * Cases that fail on main until the fix named lands: `<engine>/<column>/<value|key>` or
 * `<engine>/events` → the fix. They run as `it.fails` (so the suite stays green while they fail
 * and turns red the moment one passes): whoever merges the fix removes its entries.
 */
const PENDING: Record<string, string> = {
  ...pending(KEYS_FIX, [
    'csv/d38_10/key',
    'csv/d38_10/value',
    'csv/ev_ts/value',
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
    'duckdb/s/value',
    'duckdb/ts_ms/value',
    'duckdb/ts_ns/key',
    'duckdb/ts_ns/value',
    'duckdb/ts_s/value',
    'duckdb/ts_us/key',
    'duckdb/ts_us/value',
    'duckdb/tstz/key',
    'duckdb/tstz/value',
    'jsonl/d38_10/key',
    'jsonl/d38_10/value',
    'jsonl/ev_ts/value',
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
    'parquet/s/value',
    'parquet/ts_ms/value',
    'parquet/ts_ns/key',
    'parquet/ts_ns/value',
    'parquet/ts_s/value',
    'parquet/ts_us/key',
    'parquet/ts_us/value',
    'parquet/tstz/key',
    'parquet/tstz/value',
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
  ...pending(VALUES_FIX, [
    'csv/j/value',
    'duckdb/j/value',
    'jsonl/j/value',
    'mysql/events',
    'mysql/j/value',
    'mysql/s/key',
    'parquet/j/value',
    'postgres/events',
    'postgres/j/value',
    'postgres/s/key',
    'sqlite/events',
    'sqlite/j/value',
    'sqlite/s/key',
  ]),
  ...pending(`${KEYS_FIX}; ${VALUES_FIX}`, [
    'csv/events',
    'csv/s/key',
    'duckdb/events',
    'duckdb/s/key',
    'jsonl/events',
    'jsonl/s/key',
    'parquet/events',
    'parquet/s/key',
  ]),
  ...pending(MYSQL_FLOAT, ['mysql/f32/value']),
};

/** Each column's values for one run: edges first (run 0), then samples, unique where a key. */
function generateRows(columns: DiffColumn[], run: number): DiffRow[] {
  const values = columns.map((column, c) => {
    const out: (Gen | null)[] = run === 0 ? [...(column.edges ?? [])] : [];
    const seen = new Set(column.key ? out.map(column.key) : []);
    const samples = fc.sample(fc.option(column.arb, { freq: 8 }), {
      seed: SEED + run * 7919 + c * 104_729,
      numRuns: ROWS * 6,
    });
    for (const v of samples) {
      if (out.length >= ROWS) break;
      if (column.key) {
        if (seen.has(column.key(v))) continue;
        seen.add(column.key(v));
      }
      out.push(v);
    }
    return out;
  });
  return Array.from({ length: ROWS }, (_, i) => ({ rid: i + 1, values: values.map((v) => v[i] ?? null) }));
}

/** Where an engine's rows go and how its workspace reads them. */
interface Target {
  source: string;
  /** Writes the rows (into `dir` for files) and returns the model's SQL. */
  load(rows: DiffRow[], dir: string): Promise<string>;
  close(): Promise<void>;
}

async function targetFor(engine: Engine, columns: DiffColumn[]): Promise<Target> {
  const select = 'SELECT * FROM t';
  const none = async () => {};
  switch (engine) {
    case 'duckdb':
      return {
        source: '{ type: duckdb, path: warehouse.duckdb }',
        load: async (rows, dir) => {
          await loadDuckdb(join(dir, 'warehouse.duckdb'), columns, rows);
          return select;
        },
        close: none,
      };
    case 'sqlite':
      return {
        source: '{ type: sqlite, path: app.sqlite }',
        load: async (rows, dir) => {
          loadSqlite(join(dir, 'app.sqlite'), columns, rows);
          return select;
        },
        close: none,
      };
    case 'parquet':
      return {
        source: '{ type: files }',
        load: async (rows, dir) => {
          await loadDuckdb(':memory:', columns, rows, join(dir, 't.parquet'));
          return "SELECT * FROM read_parquet('t.parquet')";
        },
        close: none,
      };
    case 'csv':
    case 'jsonl':
      return {
        source: '{ type: files }',
        load: (rows, dir) => writeTextFile(dir, engine, columns, rows),
        close: none,
      };
    case 'postgres':
    case 'mysql': {
      const db: TestDatabase =
        engine === 'postgres'
          ? await createPostgresDatabase('sluice_diff_pg')
          : await createMysqlDatabase('sluice_diff_my');
      const load = engine === 'postgres' ? loadPostgres : loadMysql;
      return {
        source: `{ type: ${engine}, url: "${db.url}" }`,
        load: async (rows) => {
          await load(db, columns, rows);
          return select;
        },
        close: () => db.drop(),
      };
    }
  }
}

const ENGINES: Engine[] = ['duckdb', 'postgres', 'mysql', 'sqlite', 'parquet', 'csv', 'jsonl'];

describe('the oracle', () => {
  it('writes timestamps and dates as JavaScript does wherever a Date can hold them', () => {
    fc.assert(
      fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (ms) => {
        const iso = new Date(ms).toISOString();
        expect(isoTimestamp(BigInt(ms) * 1_000_000n)).toBe(iso);
        expect(isoDate(Math.floor(ms / 86_400_000))).toBe(iso.slice(0, iso.indexOf('T')));
      }),
      { seed: SEED, numRuns: 2000 },
    );
    expect(isoTimestamp(1_234_567_891n)).toBe('1970-01-01T00:00:01.234567891Z');
    expect(isoTimestamp(-100_000n)).toBe('1969-12-31T23:59:59.9999Z');
  });

  it('writes decimals canonically', () => {
    expect(canonicalDecimal(150n, 2)).toBe('1.5');
    expect(canonicalDecimal(-5n, 3)).toBe('-0.005');
    expect(canonicalDecimal(1_000n, 3)).toBe('1');
    expect(canonicalDecimal(0n, 10)).toBe('0');
    expect(canonicalDecimal(1234567890123456789n, 0)).toBe('1234567890123456789');
  });
});

for (const engine of ENGINES) {
  describe(`random values from ${engine}`, () => {
    const columns = columnsFor(engine);
    const runs: DiffRun[] = [];
    let receiver: Receiver;
    let target: Target;
    let cleanup: () => Promise<void>;

    beforeAll(
      async () => {
        let dir: string;
        ({ dir, cleanup } = await tempWorkspace(`sluice-diff-${engine}-`));
        receiver = await startReceiver({ port: 0 });
        target = await targetFor(engine, columns);
        const syncs = ['values', ...columns.filter((c) => c.key).map((c) => keySyncName(c.name)), 'events'];
        for (let run = 0; run < RUNS; run++) {
          const runDir = join(dir, `run-${run}`);
          await mkdir(runDir);
          const rows = generateRows(columns, run);
          const modelSql = await target.load(rows, runDir);
          const yaml = diffYaml(target.source, modelSql, receiver.url, columns);
          const outcomes = await runDiffSyncs(runDir, yaml, receiver, syncs);
          runs.push({ label: `${engine} run ${run} (seed ${SEED})`, rows, outcomes });
        }
      },
      60_000 + RUNS * 30_000,
    );

    afterAll(async () => {
      await receiver?.close();
      await target?.close();
      await cleanup?.();
    });

    const test = (id: string) => (PENDING[`${engine}/${id}`] && !SHOW_ALL ? it.fails : it);

    columns.forEach((column, index) => {
      test(`${column.name}/value`)(
        `${column.name} ${column.ddl}: every value arrives as the oracle's`,
        () => {
          expect(runs.flatMap((run) => valueDifferences(run, index, column.name))).toEqual([]);
        },
      );
      if (column.key === undefined) return;
      test(`${column.name}/key`)(`${column.name} ${column.ddl}: every key arrives once, exactly`, () => {
        expect(runs.flatMap((run) => keyDifferences(run, index, keySyncName(column.name)))).toEqual([]);
      });
    });

    test('events')('events: names exact, blank names and null timestamps refused', () => {
      const name = columns.findIndex((c) => c.name === 's');
      const ts = columns.findIndex((c) => c.name === 'ev_ts');
      expect(runs.flatMap((run) => eventDifferences(run, name, ts))).toEqual([]);
    });
  });
}
