// Keys that a loose collation calls equal are still different keys: MariaDB's default collations are
// case-insensitive and PAD SPACE, SQLite columns may be declared COLLATE NOCASE. `abc`, `ABC` and
// `abc ` are three userIds in Segment, so the duplicate count must not join them (it did: all three
// were `duplicate_key` and none was ever sent), while a real duplicate is still caught.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import { createMysqlDatabase, type TestDatabase } from '../src/sources/source-conformance-databases.case.js';
import type { SyncRunResult } from '../src/sync/run-result.js';
import { sluice } from './helpers/cli.js';
import { tempWorkspace, writeYaml } from './helpers/workspace.js';

let receiver: Receiver;
let mysql: TestDatabase;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  receiver = await startReceiver({ port: 0 });
  mysql = await createMysqlDatabase('sluice_collation_keys');
});
afterAll(async () => {
  await receiver?.close();
  await mysql?.drop();
  for (const cleanup of cleanups) await cleanup();
});

async function syncUsers(
  source: string,
): Promise<{ result: SyncRunResult; invalid: { key: string; reason: string }[] }> {
  const { dir, cleanup } = await tempWorkspace();
  cleanups.push(cleanup);
  await writeYaml(
    dir,
    `sources:
  warehouse: ${source}
destinations:
  segment: { type: segment, write_key: collation-key, endpoint: "${receiver.url}" }
models:
  users: { source: warehouse, sql: "select id, score from users" }
syncs:
  users:
    model: users
    destination: segment
    object: user
    key: { column: id, field: userId }
    mappings:
      traits.score: score
`,
  );
  const out = await sluice('-w', dir, 'sync', 'run', 'users', '--json');
  const result = out.json<SyncRunResult>();
  const invalid = (await sluice('-w', dir, 'records', result.run_id, '--status', 'invalid', '--json')).json<
    { key: string; reason: string }[]
  >();
  return { result, invalid };
}

describe('keys under a loose collation', () => {
  it('MariaDB: abc, ABC and "abc " are three users; a real duplicate is still caught; floats stay exact', async () => {
    await mysql.query('drop table if exists users');
    await mysql.query('create table users (id varchar(20) collate utf8mb4_general_ci, score int)');
    await mysql.query(
      "insert into users values ('abc', 1), ('ABC', 2), ('abc ', 3), ('dup', 4), ('dup', 5), ('x', 6)",
    );
    receiver.reset();
    const { result, invalid } = await syncUsers(`{ type: mysql, url: "${mysql.url}" }`);
    expect(result.counts).toMatchObject({ extracted: 6, invalid: 2, succeeded: 4 });
    expect(invalid.map((r) => [r.key, r.reason])).toEqual([
      ['dup', 'duplicate_key'],
      ['dup', 'duplicate_key'],
    ]);
    expect(
      receiver
        .messages()
        .map((m) => m.userId)
        .sort(),
    ).toEqual(['ABC', 'abc', 'abc ', 'x']);
  });

  it('MariaDB: two FLOAT keys one float apart are two users, not duplicates of their 6-digit text', async () => {
    await mysql.query('drop table if exists users');
    await mysql.query('create table users (id float, score int)');
    await mysql.query('insert into users values (0.33333334, 1), (0.33333337, 2)');
    receiver.reset();
    const { result } = await syncUsers(`{ type: mysql, url: "${mysql.url}" }`);
    expect(result.counts).toMatchObject({ extracted: 2, invalid: 0, succeeded: 2 });
    expect(new Set(receiver.messages().map((m) => m.userId)).size).toBe(2);
  });

  it('SQLite: a COLLATE NOCASE key column', async () => {
    const { dir, cleanup } = await tempWorkspace();
    cleanups.push(cleanup);
    const file = join(dir, 'app.sqlite');
    const db = new Database(file);
    db.exec(`create table users (id text collate nocase, score int);
      insert into users values ('abc', 1), ('ABC', 2), ('dup', 3), ('dup', 4)`);
    db.close();
    receiver.reset();
    const { result } = await syncUsers(`{ type: sqlite, path: "${file}" }`);
    expect(result.counts).toMatchObject({ extracted: 4, invalid: 2, succeeded: 2 });
    expect(
      receiver
        .messages()
        .map((m) => m.userId)
        .sort(),
    ).toEqual(['ABC', 'abc']);
  });
});
