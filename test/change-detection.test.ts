// "Only what changed" when the mapping changes, not the data: a run skips mapping rows whose
// fingerprint matches their last delivery, and that shortcut must never hide a changed message.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import type { SyncRunResult } from '../src/sync/run-result.js';
import { sluice } from './helpers/cli.js';
import { duckdb, tempWorkspace, writeYaml } from './helpers/workspace.js';

let dir: string;
let cleanup: () => Promise<void>;
let receiver: Receiver;
let warehouse: string;
/** The sync's `diff:`, set per pass below. */
let diff: string;

const USERS = 1000;

function workspace(mappings: string, extra = ''): string {
  return `sources:
  warehouse: { type: duckdb, path: warehouse.duckdb }
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
// unchanged rows in DuckDB (sync/warehouse-diff.ts); both must give the same counts and messages.
describe.each(['state', 'warehouse'])('change detection when the mapping changes (diff: %s)', (mode) => {
  beforeAll(async () => {
    diff = mode;
    ({ dir, cleanup } = await tempWorkspace());
    receiver = await startReceiver({ port: 0 });
    warehouse = join(dir, 'warehouse.duckdb');
    await duckdb(
      warehouse,
      `create table users as
       select i as id, 'user' || i || '@example.com' as email,
              case when i % 10 = 0 then null else (['free', 'pro'])[1 + i % 2] end as plan
       from range(1, ${USERS + 1}) t(i)`,
    );
    await writeYaml(dir, workspace(baseMappings));
    expect((await run()).counts.succeeded).toBe(USERS);
  });

  afterAll(async () => {
    await receiver?.close();
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
    await duckdb(
      warehouse,
      `update users set email = 'changed-' || email where id % 100 = 1;
         update users set plan = 'NULL' where id = 10`,
    );
    const result = await run();
    expect(result.counts).toMatchObject({ changed: USERS / 100 + 1, unchanged: USERS - USERS / 100 - 1 });
  });
});
