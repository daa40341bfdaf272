// Keys that never merge: two warehouse keys that differ only in the 19th digit of a
// DECIMAL(38,0), by 100 µs, or by a leading U+FEFF must reach Segment as two userIds (and, for an event
// sync, two messageIds) from every engine; a key of only whitespace names no one (`null_key`).
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import {
  createMysqlDatabase,
  createPostgresDatabase,
  type TestDatabase,
} from '../src/sources/source-conformance-databases.case.js';
import type { SyncRunResult } from '../src/sync/run-result.js';
import { sluice } from './helpers/cli.js';
import { duckdb, tempWorkspace, writeYaml } from './helpers/workspace.js';

const BOM_KEY = '\uFEFFbom-key';
/** Combining acute, right-to-left mark, a 4-byte character, a ZWJ emoji sequence. */
const MARKS = 'e\u0301\u200F𝄞 🏳️‍🌈';

/** The model's rows, engine-neutral: id DECIMAL(38,0), ts TIMESTAMP (µs), name text, amount DECIMAL(10,2). */
const ROWS = [
  { id: '1234567890123456789', ts: '2024-01-02 03:04:05', name: BOM_KEY, amount: '1.50' },
  { id: '1234567890123456790', ts: '2024-01-02 03:04:05.0001', name: 'bom-key', amount: '0.10' },
  { id: '42', ts: '1969-12-31 23:59:59.999999', name: MARKS, amount: '12345678.90' },
  { id: '43', ts: '2024-01-02 03:04:05.000001', name: ' \t ', amount: null },
] as const;

/** Per engine: the `far` timestamp of row 1 (as the engine writes it) and what Segment must receive. */
interface Engine {
  name: string;
  /** sluice.yaml `sources.warehouse`, and the model's SQL. */
  source: string;
  sql: string;
  far: { input: string | null; received: string | null };
}

const sqlText = (v: string | null) => (v === null ? 'NULL' : `'${v.replaceAll("'", "''")}'`);

function values(far: string | null): string {
  return ROWS.map(
    (r, i) =>
      `(${r.id}, ${sqlText(r.ts)}, ${sqlText(r.name)}, ${r.amount ?? 'NULL'}, ${sqlText(i === 0 ? far : null)})`,
  ).join(', ');
}

const dbs: TestDatabase[] = [];
const cleanups: (() => Promise<void>)[] = [];

async function duckdbEngine(dir: string): Promise<Engine> {
  const far = { input: '294247-01-10 04:00:54.775806', received: '+294247-01-10T04:00:54.775806Z' };
  await duckdb(
    join(dir, 'warehouse.duckdb'),
    `create table keys (id DECIMAL(38,0), ts TIMESTAMP, name VARCHAR, amount DECIMAL(10,2), far TIMESTAMP);
     insert into keys values ${values(far.input)};
     copy keys to '${join(dir, 'keys.parquet')}' (format parquet);`,
  );
  return {
    name: 'duckdb',
    source: `{ type: duckdb, path: "${join(dir, 'warehouse.duckdb')}" }`,
    sql: 'select * from keys',
    far,
  };
}

function filesEngine(dir: string): Engine {
  // Written by duckdbEngine: Parquet keeps DECIMAL(38,0) and microsecond timestamps.
  return {
    name: 'files',
    source: '{ type: files }',
    sql: `select * from read_parquet('${join(dir, 'keys.parquet')}')`,
    far: { input: null, received: '+294247-01-10T04:00:54.775806Z' },
  };
}

async function postgresEngine(): Promise<Engine> {
  const db = await createPostgresDatabase('sluice_exact_keys_pg');
  dbs.push(db);
  const far = { input: '294276-12-31 23:59:59.999999', received: '+294276-12-31T23:59:59.999999Z' };
  await db.query(
    'CREATE TABLE keys (id NUMERIC(38,0), ts TIMESTAMP, name TEXT, amount NUMERIC(10,2), far TIMESTAMP)',
  );
  await db.query(`INSERT INTO keys VALUES ${values(far.input)}`);
  return { name: 'postgres', source: `{ type: postgres, url: "${db.url}" }`, sql: 'select * from keys', far };
}

async function mysqlEngine(): Promise<Engine> {
  const db = await createMysqlDatabase('sluice_exact_keys_my');
  dbs.push(db);
  // DATETIME ends at 9999-12-31: no instant beyond JavaScript's Date to store.
  const far = { input: '9999-12-31 23:59:59.999999', received: '9999-12-31T23:59:59.999999Z' };
  await db.query(
    'CREATE TABLE `keys` (id DECIMAL(38,0), ts DATETIME(6), name VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin, amount DECIMAL(10,2), far DATETIME(6))',
  );
  await db.query(`INSERT INTO \`keys\` VALUES ${values(far.input)}`);
  return { name: 'mysql', source: `{ type: mysql, url: "${db.url}" }`, sql: 'select * from `keys`', far };
}

function sqliteEngine(dir: string): Engine {
  // SQLite keeps the text as written; a 6-digit year is beyond JavaScript's Date.
  const far = { input: '275761-01-01 00:00:00.5', received: '+275761-01-01T00:00:00.500Z' };
  const db = new Database(join(dir, 'warehouse.sqlite'));
  db.exec(
    `CREATE TABLE keys (id DECIMAL(38,0), ts TIMESTAMP, name TEXT, amount DECIMAL(10,2), far TIMESTAMP);
     INSERT INTO keys VALUES ${values(far.input)};`,
  );
  db.close();
  return {
    name: 'sqlite',
    source: `{ type: sqlite, path: "${join(dir, 'warehouse.sqlite')}" }`,
    sql: 'select * from keys',
    far,
  };
}

function workspaceYaml(engine: Engine, endpoint: string): string {
  const user = (key: string, traits: string) => `    model: keys
    destination: segment
    object: user
    key: { column: ${key}, field: userId }
    mappings:
${traits}`;
  return `sources:
  warehouse: ${engine.source}
destinations:
  segment: { type: segment, write_key: exact-key, endpoint: "${endpoint}" }
models:
  keys: { source: warehouse, sql: ${JSON.stringify(engine.sql)} }
syncs:
  by-id:
${user('id', '      traits.ts: ts\n      traits.name: name\n      traits.amount: amount\n      traits.far: far\n')}
  by-ts:
${user('ts', '      traits.id: id\n')}
  by-name:
${user('name', '      traits.id: id\n')}
  events-by-id:
    model: keys
    destination: segment
    object: event
    key: { column: id }
    mappings:
      event: { constant: Key Checked }
      userId: id
  events-by-ts:
    model: keys
    destination: segment
    object: event
    key: { column: ts }
    mappings:
      event: { constant: Key Checked At }
      userId: id
`;
}

interface Run {
  engine: Engine;
  results: Record<string, SyncRunResult>;
  receiver: Receiver;
  dir: string;
}

const runs: Run[] = [];

beforeAll(async () => {
  // The warehouses' files live in one folder; each engine syncs from its own workspace and state.
  const data = await tempWorkspace('sluice-exact-keys-data-');
  cleanups.push(data.cleanup);
  const engines = [
    await duckdbEngine(data.dir),
    filesEngine(data.dir),
    await postgresEngine(),
    await mysqlEngine(),
    sqliteEngine(data.dir),
  ];
  for (const engine of engines) {
    const { dir, cleanup } = await tempWorkspace('sluice-exact-keys-');
    cleanups.push(cleanup);
    const receiver = await startReceiver({ port: 0 });
    await writeYaml(dir, workspaceYaml(engine, receiver.url));
    const names = ['by-id', 'by-ts', 'by-name', 'events-by-id', 'events-by-ts'];
    const result = await sluice('-w', dir, 'sync', 'run', ...names, '--json');
    expect(result.stderr, engine.name).toBe('');
    expect(result.code, `${engine.name}: ${result.stdout}`).toBe(0);
    const list = result.json<SyncRunResult[]>();
    runs.push({
      engine,
      receiver,
      dir,
      results: Object.fromEntries(names.map((n, i) => [n, list[i] as SyncRunResult])),
    });
  }
}, 120_000);

afterAll(async () => {
  for (const run of runs) await run.receiver.close();
  for (const db of dbs) await db.drop();
  for (const cleanup of cleanups) await cleanup();
});

const ENGINES = ['duckdb', 'files', 'postgres', 'mysql', 'sqlite'];

function runOf(name: string): Run {
  const run = runs.find((r) => r.engine.name === name);
  if (run === undefined) throw new Error(`no run for ${name}`);
  return run;
}

const users = (run: Run, key: string) =>
  run.receiver
    .messages()
    .filter((m) => m.type === 'identify' && m.traits !== undefined && key in (m.traits as object));

describe.each(ENGINES)('exact keys from %s', (engine) => {
  it('sends DECIMAL(38,0) ids one digit apart as two userIds, with exact values', () => {
    const run = runOf(engine);
    expect(run.results['by-id']?.counts).toMatchObject({ extracted: 4, succeeded: 4, invalid: 0 });
    const sent = users(run, 'amount');
    expect(sent.map((m) => m.userId).sort()).toEqual([
      '1234567890123456789',
      '1234567890123456790',
      '42',
      '43',
    ]);
    const byId = new Map(sent.map((m) => [m.userId, m.traits]));
    expect(byId.get('1234567890123456789')).toEqual({
      ts: '2024-01-02T03:04:05.000Z',
      name: BOM_KEY,
      amount: 1.5,
      far: run.engine.far.received,
    });
    expect(byId.get('1234567890123456790')).toEqual({
      ts: '2024-01-02T03:04:05.0001Z',
      name: 'bom-key',
      amount: 0.1,
      far: null,
    });
    expect(byId.get('42')).toMatchObject({
      ts: '1969-12-31T23:59:59.999999Z',
      name: MARKS,
      amount: 12345678.9,
    });
  });

  it('sends TIMESTAMP keys 100 µs and 1 µs apart as distinct userIds', () => {
    const run = runOf(engine);
    expect(run.results['by-ts']?.counts).toMatchObject({ extracted: 4, succeeded: 4, invalid: 0 });
    const sent = users(run, 'id').filter((m) => typeof m.userId === 'string' && m.userId.includes('T'));
    expect(sent.map((m) => m.userId).sort()).toEqual(
      [
        '1969-12-31T23:59:59.999999Z',
        '2024-01-02T03:04:05.000001Z',
        '2024-01-02T03:04:05.000Z',
        '2024-01-02T03:04:05.0001Z',
      ].sort(),
    );
  });

  it('keeps a leading BOM in a key apart from the key without it; a blank key is null_key', async () => {
    const run = runOf(engine);
    expect(run.results['by-name']?.counts).toMatchObject({ extracted: 4, succeeded: 3, invalid: 1 });
    const names = run.receiver
      .messages()
      .filter((m) => m.type === 'identify' && typeof m.userId === 'string' && !/^\d|T/.test(m.userId))
      .map((m) => m.userId);
    expect(names.sort()).toEqual([BOM_KEY, 'bom-key', MARKS].sort());
    const invalid = await sluice(
      '-w',
      run.dir,
      'records',
      run.results['by-name']!.run_id,
      '--status',
      'invalid',
      '--json',
    );
    expect(invalid.json<{ key: string | null; reason: string; message: string }[]>()).toEqual([
      expect.objectContaining({
        key: null,
        reason: 'null_key',
        message: 'the key column "name" is empty or only whitespace',
      }),
    ]);
  });

  it('gives events keyed by such ids and timestamps distinct messageIds, all delivered', () => {
    const run = runOf(engine);
    for (const sync of ['events-by-id', 'events-by-ts']) {
      expect(run.results[sync]?.counts, sync).toMatchObject({ extracted: 4, succeeded: 4, invalid: 0 });
    }
    const tracks = run.receiver.messages().filter((m) => m.type === 'track');
    expect(tracks).toHaveLength(8);
    expect(new Set(tracks.map((m) => m.messageId)).size).toBe(8);
    expect(run.receiver.stats().duplicates).toBe(0);
  });
});
