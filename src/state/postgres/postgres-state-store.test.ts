import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describeStateStoreConformance } from '../state-store-conformance.case.js';
import { applyPgMigrations, readApplied } from './apply-pg-migrations.js';
import { pgMigrations } from './pg-migrations.js';
import { PostgresStateStore } from './postgres-state-store.js';

const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/test';
/** This file's own database, dropped at the end. */
const database = `sluice_state_store_${randomBytes(4).toString('hex')}`;
const baseUrl = `postgres://postgres@127.0.0.1:5432/${database}`;
const driver = { Pool: pg.Pool };

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  await admin(`CREATE DATABASE ${database} ENCODING 'UTF8' TEMPLATE template0`);
});

afterAll(async () => {
  await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
});

// Each test starts empty in a schema of its own, in this file's database.
let url: string;
let schema: string;
let counter = 0;
beforeEach(() => {
  schema = `t${++counter}_${randomBytes(3).toString('hex')}`;
  url = `${baseUrl}?schema=${schema}`;
});

describeStateStoreConformance('postgres', () => PostgresStateStore.open(driver, url));

/** A query on this file's database, outside any store. */
async function peek<R>(sql: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows as R[];
  } finally {
    await client.end();
  }
}

describe('PostgresStateStore', () => {
  it('migrates a fresh database on open, and finds nothing to do on re-open', async () => {
    const store = await PostgresStateStore.open(driver, url);
    const applied = await peek<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations`);
    expect(applied.map((row) => row.version)).toEqual(pgMigrations.map((m) => m.version));
    await store.close();
    const pool = new pg.Pool({ connectionString: baseUrl, options: `-c search_path=${schema}` });
    expect(await applyPgMigrations(pool, schema, pgMigrations, () => new Date())).toEqual([]);
    expect(await readApplied(pool, schema)).toEqual(pgMigrations.map((m) => m.version));
    await pool.end();
    const again = await PostgresStateStore.open(driver, url);
    expect((await again.ledger.countKeys('s')).keys).toBe(0);
    await again.close();
    await expect(again.ledger.countKeys('s')).rejects.toMatchObject({ code: 'state_error' });
  });

  it('migrates a state written at the previous schema version, keeping what it holds', async () => {
    // A state as the version before the last left it, with a run and a delivered key in it.
    const pool = new pg.Pool({ connectionString: baseUrl, options: `-c search_path=${schema}` });
    const previous = pgMigrations.slice(0, -1);
    expect(await applyPgMigrations(pool, schema, previous, () => new Date())).toEqual(
      previous.map((m) => m.version),
    );
    await pool.query(
      `INSERT INTO runs (run_id, sync, status, full_resync, counts, started_at)
       VALUES ('r_old', 's', 'completed', false, '{}', '2025-01-01T00:00:00.000Z')`,
    );
    await pool.query(
      `INSERT INTO key_states (sync, key, generation, delivered_hash) VALUES ('s', 'k', 1, 'h')`,
    );
    await pool.end();
    // This code opens it, migrates it the rest of the way, and finds what was there.
    const store = await PostgresStateStore.open(driver, url);
    const applied = await peek<{ version: number }>(
      `SELECT version FROM ${schema}.schema_migrations ORDER BY version`,
    );
    expect(applied.map((row) => row.version)).toEqual(pgMigrations.map((m) => m.version));
    expect((await store.runs.get('r_old'))?.status).toBe('completed');
    expect((await store.ledger.keyStates('s', ['k'])).get('k')?.deliveredHash).toBe('h');
    expect(await store.rates.take('b', 1, 10, 1)).toBe(0);
    expect(await store.tokens.list()).toEqual([]);
    await store.close();
  });

  it("uses the schema 'sluice' when the URL names none", async () => {
    await peek('DROP SCHEMA IF EXISTS sluice CASCADE');
    const store = await PostgresStateStore.open(driver, baseUrl);
    await store.runs.start({ sync: 's', fullResync: false, startedAt: '2025-01-01T00:00:00.000Z' });
    expect(await peek('SELECT run_id FROM sluice.runs')).toHaveLength(1);
    await store.close();
    await peek('DROP SCHEMA sluice CASCADE');
  });

  it('refuses a schema newer than this code knows, as a state_error', async () => {
    await (await PostgresStateStore.open(driver, url)).close();
    await peek(`INSERT INTO ${schema}.schema_migrations VALUES (99, 'from the future', '2030-01-01')`);
    await expect(PostgresStateStore.open(driver, url)).rejects.toMatchObject({
      code: 'state_error',
      message: expect.stringContaining(
        `schema has version 99, newer than this Sluice knows (${pgMigrations.length})`,
      ),
    });
  });

  it('opens many stores at once on a fresh database: one migrates, all work', async () => {
    const stores = await Promise.all(Array.from({ length: 6 }, () => PostgresStateStore.open(driver, url)));
    const ids = await Promise.all(stores.map((store) => store.workspaceId()));
    expect(new Set(ids).size).toBe(1);
    const runId = await stores[0]!.runs.start({
      sync: 's',
      fullResync: false,
      startedAt: '2025-01-01T00:00:00.000Z',
    });
    expect((await stores[5]!.runs.get(runId))?.status).toBe('running');
    expect(await peek(`SELECT version FROM ${schema}.schema_migrations`)).toHaveLength(pgMigrations.length);
    await Promise.all(stores.map((store) => store.close()));
  });

  it('never shows the password in an error, whatever fails', async () => {
    const password = 'Pa55-w0rd-x9';
    const failures = [
      // Nothing listens on port 1; the database name is the one given.
      PostgresStateStore.open(driver, `postgres://postgres:${password}@127.0.0.1:1/${database}`, {
        connectTimeoutMs: 2_000,
      }),
      // A database that does not exist, on the real server.
      PostgresStateStore.open(driver, `postgres://postgres:${password}@127.0.0.1:5432/no_such_db_${counter}`),
    ];
    for (const failure of failures) {
      const error = await failure.catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'state_error' });
      const shown = `${(error as Error).message} ${JSON.stringify(error)} ${inspect(error, { depth: 5 })}`;
      expect(shown).not.toContain(password);
      expect((error as Error).message).toMatch(/postgres:\/\/postgres@127\.0\.0\.1:(1|5432)\//);
    }
  });

  it('keeps strings PostgreSQL text cannot hold (U+0000) as they were: fingerprints, keys, errors', async () => {
    const store = await PostgresStateStore.open(driver, url);
    const runId = await store.runs.start({
      sync: 's',
      fullResync: false,
      startedAt: '2025-01-01T00:00:00.000Z',
    });
    // sync/map.ts joins salt and row hash with U+0000; a key may start with the escape mark itself.
    const keys = ['a\u0000b', '\u0001x', '\u0001\u0000', 'plain'];
    const sourceHash = (key: string) => `salt\u0000${key}`;
    await store.ledger.recordDeliveries(
      's',
      runId,
      keys.map((key, i) => ({
        key,
        hash: `h${i}`,
        sourceHash: sourceHash(key),
        generation: 1,
        messageId: `m${i}`,
        payload: `{"i":${i}}`,
        reason: 'new',
        status: i === 3 ? ('failed' as const) : ('succeeded' as const),
        error: i === 3 ? 'bad\u0000response' : null,
      })),
    );
    const states = await store.ledger.keyStates('s', [...keys, 'a']);
    expect([...states.keys()].sort()).toEqual([...keys].sort());
    expect(states.get('a\u0000b')?.deliveredSourceHash).toBe(sourceHash('a\u0000b'));
    expect(states.get('plain')?.pending?.lastError).toBe('bad\u0000response');
    const lookup = await store.ledger.lookup('s', keys, keys.map(sourceHash));
    expect([...lookup.unchanged].sort()).toEqual(keys.slice(0, 3).sort());
    const records = (await store.runs.records(runId, { limit: 10 })).items;
    expect(records.map((r) => r.key)).toEqual(keys);
    expect((await store.runs.keyHistory('s', '\u0001\u0000', { limit: 10 })).items).toHaveLength(1);
    await store.close();
  });

  it("pages a key's history newest run first, a run's records in order, and refuses a forged cursor", async () => {
    const store = await PostgresStateStore.open(driver, url);
    const runIds: string[] = [];
    for (let run = 0; run < 3; run++) {
      const runId = await store.runs.start({
        sync: 's',
        fullResync: false,
        startedAt: `2025-01-0${run + 1}T00:00:00.000Z`,
      });
      runIds.push(runId);
      const result = (generation: number, status: 'succeeded' | 'failed') => ({
        key: 'k',
        hash: `h${generation}`,
        sourceHash: 's',
        generation,
        messageId: `m${generation}`,
        payload: '{}',
        reason: 'changed',
        status,
        error: status === 'failed' ? 'HTTP 500' : null,
      });
      await store.ledger.recordDeliveries('s', runId, [
        result(run * 2 + 1, 'failed'),
        result(run * 2 + 2, 'succeeded'),
      ]);
      // The same key in another sync's run is another key's history.
      const other = await store.runs.start({
        sync: 'other',
        fullResync: false,
        startedAt: '2025-01-09T00:00:00.000Z',
      });
      await store.ledger.recordDeliveries('other', other, [result(9, 'succeeded')]);
    }
    const seen: [string, string | null, string][] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.runs.keyHistory('s', 'k', { limit: 4, ...(cursor ? { cursor } : {}) });
      for (const entry of page.items) seen.push([entry.runId, entry.messageId, entry.runStartedAt]);
      cursor = page.next ?? undefined;
      pages++;
    } while (cursor !== undefined);
    expect(pages).toBe(2);
    expect(seen.map(([runId, messageId]) => [runIds.indexOf(runId), messageId])).toEqual([
      [2, 'm5'],
      [2, 'm6'],
      [1, 'm3'],
      [1, 'm4'],
      [0, 'm1'],
      [0, 'm2'],
    ]);
    expect(seen[0]![2]).toBe('2025-01-03T00:00:00.000Z');
    await expect(store.runs.keyHistory('s', 'k', { limit: 4, cursor: 'x.1' })).rejects.toMatchObject({
      code: 'usage',
    });
    await expect(store.runs.list({ limit: 1, cursor: '-1' })).rejects.toMatchObject({ code: 'usage' });
    await store.close();
  });

  it('refuses a schema name that would need quoting', async () => {
    await expect(PostgresStateStore.open(driver, `${baseUrl}?schema=Bad-Name`)).rejects.toMatchObject({
      code: 'config_invalid',
    });
  });

  it('writes a 2,000-message batch and looks it up in a few statements, not one per message', async () => {
    let statements = 0;
    const counted = new WeakSet<object>();
    /** The real driver, counting the statements the store sends (transactions included). */
    const counting = {
      Pool: class extends pg.Pool {
        // Only the store's own checkouts (for transactions) are counted; the pool's internal
        // callback-style checkouts (behind pool.query) are counted below.
        override connect(...args: unknown[]): never {
          if (args.length > 0) return (super.connect as (...a: unknown[]) => never)(...args);
          return super.connect().then((client) => {
            if (counted.has(client)) return client;
            counted.add(client);
            const query = client.query.bind(client) as (...a: unknown[]) => unknown;
            (client as unknown as { query: unknown }).query = (...a: unknown[]) => {
              statements++;
              return query(...a);
            };
            return client;
          }) as never;
        }
        override query(...args: unknown[]): never {
          statements++;
          return (super.query as (...a: unknown[]) => never)(...args);
        }
      },
    };
    const store = await PostgresStateStore.open(counting as unknown as typeof driver, url);
    const runId = await store.runs.start({
      sync: 's',
      fullResync: false,
      startedAt: '2025-01-01T00:00:00.000Z',
    });
    const results = Array.from({ length: 2_000 }, (_, i) => ({
      key: `k${i}`,
      hash: `h${i}`,
      sourceHash: `s${i}`,
      generation: 1,
      messageId: `m${i}`,
      payload: `{"i":${i}}`,
      reason: 'new',
      status: i % 10 === 0 ? ('failed' as const) : ('succeeded' as const),
      error: i % 10 === 0 ? 'HTTP 500' : null,
    }));
    statements = 0;
    await store.ledger.recordDeliveries('s', runId, results);
    // BEGIN, the run's seq, the records, delivered and failed key states, COMMIT.
    expect(statements).toBe(6);
    const lookup = await store.ledger.lookup(
      's',
      results.map((r) => r.key),
      results.map((r) => r.sourceHash),
    );
    expect(lookup.unchanged.size).toBe(1_800);
    expect(lookup.states.get('k0')?.pending?.attempts).toBe(1);
    expect((await store.ledger.deliveredPayloads('s', ['k1999'])).get('k1999')).toBe('{"i":1999}');
    await store.close();
  });
});
