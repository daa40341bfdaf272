// An edit that was never sent: the extract query wraps the model as `m` and hashes its
// rows in the warehouse; no model column name may capture that hash (a column named `m` did), and a
// model column named like one of the extract's own columns must fail the run naming it.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import {
  createPostgresDatabase,
  type TestDatabase,
} from '../src/sources/source-conformance-databases.case.js';
import type { SyncRunResult } from '../src/sync/run-result.js';
import { sluice } from './helpers/cli.js';
import { duckdb, tempWorkspace, writeYaml } from './helpers/workspace.js';

/**
 * Column names the extract query uses or SQL treats specially: its alias, reserved words, quotes,
 * spaces, dots, unicode, a name of spaces only, the names of the functions the hash calls.
 */
const HOSTILE = [
  'm',
  'select',
  'order',
  'a"b',
  "it's",
  'a b',
  'a.b',
  'm.*',
  'ü',
  '   ',
  '\u200B',
  '\uFEFF',
  '*',
  'm"."id',
  'row_to_json',
  'to_json',
  'struct_pack',
  'COLUMNS',
  'md5',
];

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

let receiver: Receiver;
let pg: TestDatabase;
const cleanups: (() => Promise<void>)[] = [];

interface Engine {
  name: string;
  dir: string;
  /** Runs SQL in the warehouse. */
  exec(sql: string): Promise<void>;
  source: string;
}

const engines: Engine[] = [];

function yaml(engine: Engine, modelSql: string): string {
  return `sources:
  warehouse: ${engine.source}
destinations:
  segment: { type: segment, write_key: hostile-key, endpoint: "${receiver.url}" }
models:
  users: { source: warehouse, sql: ${JSON.stringify(modelSql)} }
syncs:
  users:
    model: users
    destination: segment
    object: user
    key: { column: id, field: userId }
    mappings:
      traits.email: email
      traits.m: m
`;
}

async function run(
  engine: Engine,
): Promise<{ code: number; stderr: string; result: SyncRunResult; error: string }> {
  const out = await sluice('-w', engine.dir, 'sync', 'run', 'users', '--json');
  const result = out.json<SyncRunResult>();
  return { code: out.code, stderr: out.stderr, result, error: result.error?.message ?? '' };
}

beforeAll(async () => {
  receiver = await startReceiver({ port: 0 });
  const duck = await tempWorkspace('sluice-hostile-');
  cleanups.push(duck.cleanup);
  const duckPath = join(duck.dir, 'warehouse.duckdb');
  engines.push({
    name: 'duckdb',
    dir: duck.dir,
    source: '{ type: duckdb, path: warehouse.duckdb }',
    exec: (sql) => duckdb(duckPath, sql),
  });
  pg = await createPostgresDatabase('sluice_hostile_pg');
  const pgDir = await tempWorkspace('sluice-hostile-');
  cleanups.push(pgDir.cleanup);
  engines.push({
    name: 'postgres',
    dir: pgDir.dir,
    source: `{ type: postgres, url: "${pg.url}" }`,
    exec: async (sql) => {
      await pg.query(sql);
    },
  });
});

afterAll(async () => {
  await receiver?.close();
  await pg?.drop();
  for (const cleanup of cleanups) await cleanup();
});

const hostileColumns = HOSTILE.map((name) => `${quote(name)} TEXT`).join(', ');

describe.each(['duckdb', 'postgres'])('row hashes in %s', (name) => {
  it('detect an edit to a non-key column of a model whose columns are named m, select, "a b", …', async () => {
    const engine = engines.find((e) => e.name === name) as Engine;
    await engine.exec(`CREATE TABLE users (id INTEGER, email TEXT, ${hostileColumns})`);
    const fill = HOSTILE.map(() => "'same'").join(', ');
    await engine.exec(
      `INSERT INTO users VALUES ${[1, 2, 3].map((i) => `(${i}, 'user${i}@example.com', ${fill})`).join(', ')}`,
    );
    await writeYaml(engine.dir, yaml(engine, 'select * from users'));
    const first = await run(engine);
    expect(first.code).toBe(0);
    expect(first.result?.counts).toMatchObject({ extracted: 3, succeeded: 3 });

    // Only the email of user 2 changes: the column `m` (and every other hostile one) is unchanged.
    await engine.exec("UPDATE users SET email = 'changed@example.com' WHERE id = 2");
    const second = await run(engine);
    expect(second.result?.counts).toMatchObject({ extracted: 3, succeeded: 1 });
    const latest = receiver
      .messages()
      .filter((m) => m.type === 'identify' && m.userId === '2')
      .at(-1);
    expect(latest?.traits).toEqual({ email: 'changed@example.com', m: 'same' });

    // An edit to `m` itself is seen too; a third run with nothing changed sends nothing.
    await engine.exec("UPDATE users SET m = 'other' WHERE id = 3");
    expect((await run(engine)).result?.counts).toMatchObject({ succeeded: 1 });
    expect((await run(engine)).result?.counts).toMatchObject({ succeeded: 0, unchanged: 3 });
  });

  it.each(['__sluice_key_count', '__sluice_row_hash', '__sluice_row_total'])(
    'fails the run naming a model column called %s',
    async (column) => {
      const engine = engines.find((e) => e.name === name) as Engine;
      await writeYaml(engine.dir, yaml(engine, `select id, email, m, 'x' as ${quote(column)} from users`));
      const out = await run(engine);
      expect(out.code).toBe(1);
      expect(out.error).toContain(`a column named "${column}", a name Sluice gives a column of its own`);
    },
  );
});

describe('a model column named like the row hash where the engine hashes nothing (sqlite)', () => {
  let dir: string;
  beforeAll(async () => {
    const ws = await tempWorkspace('sluice-hostile-');
    cleanups.push(ws.cleanup);
    dir = ws.dir;
    const db = new Database(join(dir, 'w.sqlite'));
    db.exec(`CREATE TABLE users (id INTEGER, email TEXT, "m" TEXT, "__sluice_row_hash" TEXT);
      INSERT INTO users VALUES (1, 'a@example.com', 'same', 'constant');`);
    db.close();
    await rm(join(dir, '.sluice'), { recursive: true, force: true });
  });

  it('fails the run naming it instead of taking it for the hash', async () => {
    const engine: Engine = {
      name: 'sqlite',
      dir,
      source: '{ type: sqlite, path: w.sqlite }',
      exec: async () => {},
    };
    await writeYaml(dir, yaml(engine, 'select * from users'));
    const out = await run(engine);
    expect(out.code).toBe(1);
    expect(out.error).toContain(
      'a column named "__sluice_row_hash", a name Sluice gives a column of its own',
    );
  });
});
