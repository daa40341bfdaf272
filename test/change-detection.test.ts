// "Only what changed" when the mapping changes, not the data: a run skips mapping rows whose
// fingerprint matches their last delivery, and that shortcut must never hide a changed message.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import { createPostgresDatabase } from '../src/sources/source-conformance-databases.case.js';
import type { SyncRunResult } from '../src/sync/run-result.js';
import { sluice } from './helpers/cli.js';
import { duckdb, tempWorkspace, writeYaml } from './helpers/workspace.js';

let dir: string;
let cleanup: () => Promise<void>;
let receiver: Receiver;
/** The warehouse of the pass below: its source in sluice.yaml, and a way to run SQL in it. */
let warehouse: { source: string; run(sql: string): Promise<void>; close(): Promise<void> };
/** The sync's `diff:`, set per pass below. */
let diff: string;

const USERS = 1000;

/** The users table, for DuckDB and for PostgreSQL (same rows). */
const USERS_SQL = {
  duckdb: `create table users as
       select i as id, 'user' || i || '@example.com' as email,
              case when i % 10 = 0 then null else (['free', 'pro'])[1 + i % 2] end as plan
       from range(1, ${USERS + 1}) t(i)`,
  postgres: `create table users as
       select i as id, 'user' || i || '@example.com' as email,
              case when i % 10 = 0 then null else (array['free', 'pro'])[1 + i % 2] end as plan
       from generate_series(1, ${USERS}) t(i)`,
};

async function openWarehouse(engine: 'duckdb' | 'postgres'): Promise<typeof warehouse> {
  if (engine === 'duckdb') {
    const path = join(dir, 'warehouse.duckdb');
    return {
      source: '{ type: duckdb, path: warehouse.duckdb }',
      run: (sql) => duckdb(path, sql),
      close: async () => {},
    };
  }
  const db = await createPostgresDatabase('sluice_change_detection');
  return {
    source: `{ type: postgres, url: "${db.url}" }`,
    run: async (sql) => {
      await db.query(sql);
    },
    close: () => db.drop(),
  };
}

function workspace(mappings: string, extra = ''): string {
  return `sources:
  warehouse: ${warehouse.source}
destinations:
  segment: { type: segment, write_key: test-key, endpoint: "${receiver.url}" }
models:
  users: { source: warehouse, sql: "select * from users" }
syncs:
  users-to-segment:
    model: users
    destination: segment
    object: user
    key: { column: id, field: userId }
    diff: ${diff}
${extra}    mappings:
${mappings}`;
}

const baseMappings = `      traits.email: email
      traits.plan: plan
`;

async function run(...extra: string[]): Promise<SyncRunResult> {
  const result = await sluice('-w', dir, 'sync', 'run', 'users-to-segment', '--json', ...extra);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.json<SyncRunResult>();
}

/** The source fingerprint the state remembers per key (a look inside, read-only). */
function fingerprints(): Map<string, string> {
  const db = new Database(join(dir, '.sluice', 'state.db'), { readonly: true });
  try {
    const rows = db.prepare('SELECT key, delivered_source_hash FROM key_states').raw().all() as [
      string,
      string,
    ][];
    return new Map(rows);
  } finally {
    db.close();
  }
}

// Run once per detector: diff: state looks every row up in the state store, diff: warehouse leaves
// unchanged rows in DuckDB, and in PostgreSQL (sync/warehouse-diff.ts); all must give the same
// counts and messages. The state lookup does not depend on the engine, so PostgreSQL runs only the
// warehouse diff (each pass costs ≈ 4–8 s).
describe.each([
  ['duckdb', 'state'],
  ['duckdb', 'warehouse'],
  ['postgres', 'warehouse'],
] as const)('change detection when the mapping changes (%s, diff: %s)', (engine, mode) => {
  beforeAll(async () => {
    diff = mode;
    ({ dir, cleanup } = await tempWorkspace());
    receiver = await startReceiver({ port: 0 });
    warehouse = await openWarehouse(engine);
    await warehouse.run(USERS_SQL[engine]);
    await writeYaml(dir, workspace(baseMappings));
    expect((await run()).counts.succeeded).toBe(USERS);
  });

  afterAll(async () => {
    await receiver?.close();
    await warehouse?.close();
    await cleanup?.();
  });

  it('sends every row again, as a change, when a mapping adds a field', async () => {
    await writeYaml(dir, workspace(`${baseMappings}      traits.domain: { constant: example.com }\n`));
    const before = receiver.messages().length;
    const result = await run();
    expect(result.counts).toMatchObject({ unchanged: 0, changed: USERS, succeeded: USERS });
    const sent = receiver.messages().slice(before);
    expect(sent).toHaveLength(USERS);
    expect(sent.every((m) => (m.traits as Record<string, unknown>).domain === 'example.com')).toBe(true);
    expect((await run()).counts).toMatchObject({ unchanged: USERS, planned: 0 });
  });

  it('maps every row again but sends nothing when a mapping change leaves every message as it was', async () => {
    // `nulls: send` is the default spelled out: the sync's settings changed (so every fingerprint
    // did), its messages did not.
    await writeYaml(
      dir,
      workspace(`${baseMappings}      traits.domain: { constant: example.com }\n`, '    nulls: send\n'),
    );
    const before = receiver.messages().length;
    const fingerprintsBefore = fingerprints();
    expect((await run()).counts).toMatchObject({ extracted: USERS, unchanged: USERS, planned: 0 });
    expect(receiver.messages()).toHaveLength(before);
    // Every row was mapped again under the new settings, and its new fingerprint remembered, so
    // the next run can skip it again.
    const fingerprintsAfter = fingerprints();
    expect(fingerprintsAfter.size).toBe(USERS);
    for (const [key, fingerprint] of fingerprintsAfter)
      expect(fingerprint).not.toBe(fingerprintsBefore.get(key));
    expect((await run()).counts).toMatchObject({ unchanged: USERS, planned: 0 });
  });

  it('still finds a changed row among unchanged ones after a mapping change', async () => {
    // 10 emails, and one plan that was NULL and is now the text 'NULL'.
    await warehouse.run(
      `update users set email = 'changed-' || email where id % 100 = 1;
         update users set plan = 'NULL' where id = 10`,
    );
    const result = await run();
    expect(result.counts).toMatchObject({ changed: USERS / 100 + 1, unchanged: USERS - USERS / 100 - 1 });
  });
});

// A PostgreSQL user without the TEMP privilege cannot have the warehouse diff's table: the run
// still completes, looks every row up in the state store, and says how to get the faster way.
describe('change detection for a PostgreSQL user without the TEMP privilege', () => {
  let db: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let role: string;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempWorkspace());
    receiver = await startReceiver({ port: 0 });
    db = await createPostgresDatabase('sluice_change_notemp');
    role = `${db.name}_reader`;
    await db.query(USERS_SQL.postgres);
    await db.query(`CREATE ROLE ${role} LOGIN`);
    await db.query(`GRANT SELECT ON users TO ${role}`);
    await db.query(`REVOKE TEMPORARY ON DATABASE ${db.name} FROM PUBLIC`);
    const url = new URL(db.url);
    url.username = role;
    warehouse = { source: `{ type: postgres, url: "${url}" }`, run: async () => {}, close: async () => {} };
  });

  afterAll(async () => {
    await receiver?.close();
    if (db !== undefined) {
      await db.query(`REVOKE SELECT ON users FROM ${role}`);
      await db.query(`DROP ROLE IF EXISTS ${role}`);
      await db.drop();
    }
    await cleanup?.();
  });

  it('falls back to the state lookup with a warning, and fails a sync that says diff: warehouse', async () => {
    // No diff: written, so the run may choose. The first run has nothing to diff against.
    await writeYaml(dir, workspace(baseMappings).replace(/ {4}diff: .*\n/, ''));
    const first = await sluice('-w', dir, 'sync', 'run', 'users-to-segment', '--json');
    expect(first.code).toBe(0);
    expect(first.json<SyncRunResult>().counts).toMatchObject({ extracted: USERS, succeeded: USERS });
    const again = await sluice('-w', dir, 'sync', 'run', 'users-to-segment', '--json');
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`GRANT TEMPORARY ON DATABASE ${db.name} TO ${role}`);
    expect(again.stderr).toContain('looked every row up in the state store instead');
    expect(again.json<SyncRunResult>().counts).toMatchObject({
      extracted: USERS,
      unchanged: USERS,
      planned: 0,
    });
    // Written out, the warehouse diff is required: the run fails, naming the GRANT.
    diff = 'warehouse';
    await writeYaml(dir, workspace(baseMappings));
    const required = await sluice('-w', dir, 'sync', 'run', 'users-to-segment', '--json');
    expect(required.code).toBe(1);
    expect(required.stdout + required.stderr).toContain('says diff: warehouse');
    expect(required.stdout + required.stderr).toContain(`GRANT TEMPORARY ON DATABASE ${db.name} TO ${role}`);
  });
});
