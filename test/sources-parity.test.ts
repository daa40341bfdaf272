// Issue "Real warehouses", Done when: the same 2,000 users (ids beyond 2^53, unicode names with
// quotes, nulls, decimals, timestamptz, a JSON column) synced from PostgreSQL, MariaDB, SQLite, CSV
// and Parquet produce identical Segment messages at the receiver, apart from their messageIds.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
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
import { tempWorkspace, writeYaml } from './helpers/workspace.js';

const USERS = 2000;

interface User {
  id: string;
  name: string | null;
  email: string;
  score: string | null;
  active: boolean | null;
  /** ISO-8601 UTC with milliseconds. */
  created_at: string;
  /** JSON text, holding an integer beyond 2^53. */
  profile: string | null;
}

/** Deterministic users: half with ids beyond 2^53, names with quotes, emoji and accents, some nulls. */
function makeUsers(): User[] {
  const names = [
    `O'Brien "Bob" 🦆`,
    'Zoë Ångström',
    'こんにちは',
    "'; drop table users; --",
    'tab\there',
    'Ada',
  ];
  const users: User[] = [];
  for (let i = 0; i < USERS; i++) {
    const id = i % 2 === 0 ? 9007199254740993n + BigInt(i) : BigInt(i + 1);
    const created = Date.UTC(2024, 0, 1) + i * 86_400_123 - 400 * 86_400_000;
    users.push({
      id: id.toString(),
      name: i % 13 === 0 ? null : `${names[i % names.length]} #${i}`,
      email: `user${i}@example.com`,
      score: i % 11 === 0 ? null : (((i * 7919) % 2_000_000) / 100 - 5000).toFixed(2),
      active: i % 7 === 0 ? null : i % 3 === 0,
      created_at: new Date(created).toISOString(),
      profile:
        i % 17 === 0
          ? null
          : `{"plan":"${i % 2 ? 'pro' : 'free'}","seats":${i % 9},"ref":${9007199254740993n + BigInt(i)},"tags":["a","é😀"],"ratio":${(i % 10) / 4}}`,
    });
  }
  return users;
}

const users = makeUsers();
const dbs: TestDatabase[] = [];
const cleanups: (() => Promise<void>)[] = [];
const receivers: Receiver[] = [];

/** The same sync in every workspace; only the source differs. */
function workspaceYaml(source: string, modelSql: string, endpoint: string): string {
  return `sources:
  warehouse: ${source}
destinations:
  segment: { type: segment, write_key: parity-key, endpoint: "${endpoint}" }
models:
  users: { source: warehouse, sql: ${JSON.stringify(modelSql)} }
syncs:
  users:
    model: users
    destination: segment
    object: user
    key: { column: id, field: userId }
    mappings:
      timestamp: created_at
      traits.name: name
      traits.email: email
      traits.score: score
      traits.active: active
      traits.createdAt: created_at
      traits.profile: profile
      traits.rawId: id
`;
}

async function writePostgres(): Promise<string> {
  const db = await createPostgresDatabase('sluice_parity_pg');
  postgres = db;
  dbs.push(db);
  await db.query(
    'CREATE TABLE users (id BIGINT PRIMARY KEY, name TEXT, email TEXT, score NUMERIC(10,2), active BOOLEAN, created_at TIMESTAMPTZ, profile JSON)',
  );
  for (let i = 0; i < users.length; i += 250) {
    const chunk = users.slice(i, i + 250);
    const params = chunk.flatMap((u) => [u.id, u.name, u.email, u.score, u.active, u.created_at, u.profile]);
    const rows = chunk.map(
      (_, r) => `(${Array.from({ length: 7 }, (_, c) => `$${r * 7 + c + 1}`).join(', ')})`,
    );
    await db.query(`INSERT INTO users VALUES ${rows.join(', ')}`, params);
  }
  return db.url;
}

async function writeMysql(): Promise<string> {
  const db = await createMysqlDatabase('sluice_parity_my');
  dbs.push(db);
  await db.query(
    'CREATE TABLE users (id BIGINT PRIMARY KEY, name VARCHAR(200), email VARCHAR(200), score DECIMAL(10,2), active BOOLEAN, created_at DATETIME(3), profile JSON)',
  );
  // MySQL has no zone-aware type: the instant goes in as UTC.
  const rows = users.map((u) => [
    u.id,
    u.name,
    u.email,
    u.score,
    u.active,
    u.created_at.replace('T', ' ').replace('Z', ''),
    u.profile,
  ]);
  for (let i = 0; i < rows.length; i += 500)
    await db.query('INSERT INTO users VALUES ?', [rows.slice(i, i + 500)]);
  return db.url;
}

function writeSqlite(path: string): void {
  const db = new Database(path);
  db.exec(
    'CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT, score NUMERIC(10,2), active BOOLEAN, created_at DATETIME, profile JSON)',
  );
  const insert = db.prepare('INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (const u of users) {
      const active = u.active === null ? null : u.active ? 1 : 0;
      insert.run(BigInt(u.id), u.name, u.email, u.score, active, u.created_at, u.profile);
    }
  })();
  db.close();
}

function csvField(value: string | boolean | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\n\r\t]/.test(text) || text === '' ? `"${text.replaceAll('"', '""')}"` : text;
}

/** users.csv by hand, as an export from elsewhere would be; users.parquet from it through DuckDB. */
async function writeFiles(dir: string): Promise<void> {
  const header = 'id,name,email,score,active,created_at,profile';
  const lines = users.map((u) =>
    [u.id, u.name, u.email, u.score, u.active, u.created_at, u.profile].map(csvField).join(','),
  );
  await writeFile(join(dir, 'users.csv'), `${header}\n${lines.join('\n')}\n`);
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run(
    `COPY (SELECT * FROM read_csv('${join(dir, 'users.csv')}', header = true, allow_quoted_nulls = false, columns = ${CSV_COLUMNS}))
     TO '${join(dir, 'users.parquet')}' (FORMAT PARQUET)`,
  );
  connection.closeSync();
  instance.closeSync();
}

const CSV_COLUMNS =
  "{'id': 'BIGINT', 'name': 'VARCHAR', 'email': 'VARCHAR', 'score': 'DECIMAL(10,2)', 'active': 'BOOLEAN', 'created_at': 'TIMESTAMPTZ', 'profile': 'JSON'}";

/** What a message looks like apart from what differs by run: messageId and the receiver's stamps. */
function comparable(message: Record<string, unknown>): Record<string, unknown> {
  const { messageId: _id, receivedAt: _r, sentAt: _s, timestamp: _t, ...rest } = message;
  return rest;
}

async function syncFrom(source: string, modelSql: string): Promise<Record<string, unknown>[]> {
  const { dir, cleanup } = await tempWorkspace('sluice-parity-');
  cleanups.push(cleanup);
  const receiver = await startReceiver({ port: 0 });
  receivers.push(receiver);
  if (source.includes('files')) await writeFiles(dir);
  if (source.includes('sqlite')) writeSqlite(join(dir, 'app.sqlite'));
  await writeYaml(dir, workspaceYaml(source, modelSql, receiver.url));
  const run = await sluice('-w', dir, 'sync', 'run', 'users', '--json');
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const result = run.json<SyncRunResult>();
  expect(result).toMatchObject({ status: 'completed', error: null });
  expect(result.counts).toMatchObject({ extracted: USERS, invalid: 0, planned: USERS, succeeded: USERS });
  // Every engine's rows fingerprint the same way twice (in the warehouse where it can hash rows).
  const rerun = await sluice('-w', dir, 'sync', 'run', 'users', '--json');
  expect(rerun.json<SyncRunResult>().counts).toMatchObject({
    extracted: USERS,
    unchanged: USERS,
    planned: 0,
  });
  workspaces.set(source, dir);
  return receiver
    .messages()
    .map(comparable)
    .sort((a, b) => String(a.userId).localeCompare(String(b.userId)));
}

const results = new Map<string, Record<string, unknown>[]>();
/** Workspace folder per source setting, for the change-detection test. */
const workspaces = new Map<string, string>();
let postgres: TestDatabase;

beforeAll(async () => {
  const [pgUrl, myUrl] = await Promise.all([writePostgres(), writeMysql()]);
  const select = 'SELECT id, name, email, score, active, created_at, profile FROM users';
  // Five workspaces, five receivers: the runs share nothing, so they may run side by side.
  const runs: [string, string, string][] = [
    ['postgres', `{ type: postgres, url: "${pgUrl}" }`, select],
    ['mysql', `{ type: mysql, url: "${myUrl}" }`, select],
    ['sqlite', '{ type: sqlite, path: app.sqlite }', select],
    [
      'csv',
      '{ type: files }',
      `SELECT * FROM read_csv('users.csv', header = true, allow_quoted_nulls = false, columns = ${CSV_COLUMNS})`,
    ],
    ['parquet', '{ type: files }', "SELECT * FROM read_parquet('users.parquet')"],
  ];
  const messages = await Promise.all(runs.map(([, source, sql]) => syncFrom(source, sql)));
  for (const [i, [name]] of runs.entries()) results.set(name, messages[i] as Record<string, unknown>[]);
}, 120_000);

afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await Promise.all([...dbs.map((db) => db.drop()), ...cleanups.map((c) => c())]);
});

describe('the same users from every source', () => {
  it('arrive as the same identify calls from PostgreSQL, MariaDB, SQLite, CSV and Parquet', () => {
    const reference = results.get('postgres') as Record<string, unknown>[];
    expect(reference).toHaveLength(USERS);
    for (const [name, messages] of results) {
      expect(messages, `messages from ${name}`).toEqual(reference);
    }
  });

  it('carry the tricky values exactly', () => {
    const byId = new Map((results.get('mysql') ?? []).map((m) => [m.userId, m]));
    // An id beyond 2^53: the userId and the raw column keep every digit.
    const big = byId.get('9007199254740993') as {
      traits: Record<string, unknown>;
      originalTimestamp: string;
    };
    expect(big.traits).toEqual({
      name: null,
      email: 'user0@example.com',
      score: null,
      active: null,
      createdAt: '2022-11-27T00:00:00.000Z',
      profile: null,
      rawId: '9007199254740993',
    });
    expect(big.originalTimestamp).toBe('2022-11-27T00:00:00.000Z');
    const quoted = byId.get('9007199254741011') as { traits: Record<string, unknown> };
    expect(quoted.traits).toMatchObject({
      name: `O'Brien "Bob" 🦆 #18`,
      score: Number((((18 * 7919) % 2_000_000) / 100 - 5000).toFixed(2)),
      active: true,
      profile: { plan: 'free', seats: 0, ref: '9007199254741011', tags: ['a', 'é😀'], ratio: 2 },
    });
    const small = byId.get('2') as { traits: Record<string, unknown> };
    expect(small.traits).toMatchObject({ rawId: 2, name: 'Zoë Ångström #1', active: false });
  });

  it('finds exactly the changed rows in PostgreSQL, a NULL that became the text NULL included', async () => {
    const pgSource = [...workspaces.keys()].find((source) => source.includes('postgres')) as string;
    const dir = workspaces.get(pgSource) as string;
    const nullNamed = users.find((u) => u.name === null) as User;
    await postgres.query("UPDATE users SET name = 'NULL' WHERE id = $1", [nullNamed.id]);
    await postgres.query("UPDATE users SET email = 'changed@example.com' WHERE id = $1", [users[5]!.id]);
    const run = await sluice('-w', dir, 'sync', 'run', 'users', '--json');
    expect(run.json<SyncRunResult>().counts).toMatchObject({
      extracted: USERS,
      unchanged: USERS - 2,
      changed: 2,
      succeeded: 2,
    });
  });
});
