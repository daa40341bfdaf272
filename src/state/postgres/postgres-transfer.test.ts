import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStateStore } from '../sqlite/sqlite-state-store.js';
import type { DeliveryResult, StatePiece, StateStore } from '../state-store.js';
import { expectMoved, fillWithAlertsAndExchanges, notificationAt } from '../state-transfer-moves.case.js';
import { PostgresStateStore } from './postgres-state-store.js';

const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/test';
/** This file's own database, dropped at the end. */
const database = `sluice_state_transfer_${randomBytes(4).toString('hex')}`;
let dir: string;

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
  dir = await mkdtemp(join(tmpdir(), 'sluice-pg-transfer-'));
});
afterAll(async () => {
  await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await rm(dir, { recursive: true, force: true });
});

function delivered(run: number, key: number, status: DeliveryResult['status'] = 'succeeded'): DeliveryResult {
  return {
    key: `k${key}`,
    hash: `h${run}-${key}`,
    // As sync/map.ts makes them: a salt and the row's hash around U+0000.
    sourceHash: `salt\u0000${run}-${key}`,
    generation: run + 1,
    messageId: `m${run}-${key}`,
    payload: JSON.stringify({ userId: `k${key}`, run }),
    reason: run === 0 ? 'new' : 'changed',
    status,
    error: status === 'succeeded' ? null : 'HTTP 422',
  };
}

/** Every piece of a store's export, page by page, into `into`. */
async function copy(from: StateStore, into: StateStore): Promise<number> {
  let pages = 0;
  let cursor: string | null = null;
  do {
    const page: { pieces: StatePiece[]; next: string | null } = await from.transfer.exportPage(cursor);
    await into.transfer.importPieces(page.pieces);
    cursor = page.next;
    pages++;
  } while (cursor !== null);
  return pages;
}

/** What a reader of the state sees: runs, every record, key states and last messages. */
async function view(store: StateStore, runIds: string[]) {
  const keys = ['k0', 'k1', 'k4999', 'k5000', 'k11999', 'k1000', 'never'];
  return {
    workspaceId: await store.workspaceId(),
    runs: (await store.runs.list({ limit: 10 })).items,
    records: await Promise.all(
      runIds.map(async (id) => (await store.runs.records(id, { limit: 40_000 })).items),
    ),
    states: await store.ledger.keyStates('users', keys),
    payloads: await store.ledger.deliveredPayloads('users', keys),
    counts: await store.ledger.countKeys('users'),
    tokens: await store.tokens.list(),
  };
}

describe('PostgresStateStore transfer', () => {
  it('takes a SQLite state larger than a page, and gives it back unchanged', async () => {
    const sqlite = await SqliteStateStore.open(join(dir, 'from.db'));
    const postgres = await PostgresStateStore.open(
      { Pool: pg.Pool },
      `postgres://postgres@127.0.0.1:5432/${database}?schema=moved`,
    );
    const back = await SqliteStateStore.open(join(dir, 'back.db'));
    try {
      // 3 runs of 12 batches of 1,000: more records than a page holds (20,000), and 12,000 keys.
      const runIds: string[] = [];
      for (let run = 0; run < 3; run++) {
        const runId = await sqlite.runs.start({
          sync: 'users',
          fullResync: false,
          startedAt: `2025-01-0${run + 1}T00:00:00.000Z`,
        });
        runIds.push(runId);
        for (let batch = 0; batch < 12; batch++) {
          const results = Array.from({ length: 1000 }, (_, i) =>
            delivered(run, batch * 1000 + i, run === 2 && i === 0 ? 'failed' : 'succeeded'),
          );
          await sqlite.ledger.recordDeliveries('users', runId, results);
        }
        await sqlite.runs.finish(runId, {
          status: 'completed',
          counts: (await sqlite.runs.get(runId))!.counts,
          finishedAt: `2025-01-0${run + 1}T00:01:00.000Z`,
          error: null,
        });
      }
      await sqlite.ledger.savePlanned('users', [
        { key: 'k0', hash: 'h-next', messageId: 'm-next', generation: 4 },
      ]);
      // The API tokens move too, so the HTTP API takes the same tokens on the moved state.
      const createdAt = '2025-01-01T00:00:00.000Z';
      await sqlite.tokens.create({ name: 'ci', role: 'operator', hash: 'a1'.repeat(32), createdAt });
      await sqlite.tokens.create({ name: 'ui', role: 'viewer', hash: 'b2'.repeat(32), createdAt });
      await sqlite.tokens.touch('ui', '2025-01-02T00:00:00.000Z');
      const expected = await view(sqlite, runIds);
      expect(expected.tokens).toHaveLength(2);

      expect(await postgres.transfer.isEmpty()).toBe(true);
      expect(await copy(sqlite, postgres)).toBeGreaterThan(3);
      expect(await view(postgres, runIds)).toEqual(expected);
      // A lookup on the moved state finds the delivered keys unchanged by their fingerprints.
      const lookup = await postgres.ledger.lookup('users', ['k1', 'k0'], ['salt\u00002-1', 'salt\u00002-0']);
      expect([...lookup.unchanged]).toEqual(['k1']);
      const history = (await postgres.runs.keyHistory('users', 'k0', { limit: 10 })).items;
      expect(history.map((entry) => [entry.runId, entry.status])).toEqual([
        [runIds[2], 'failed'],
        [runIds[1], 'succeeded'],
        [runIds[0], 'succeeded'],
      ]);

      expect(await copy(postgres, back)).toBeGreaterThan(3);
      expect(await view(back, runIds)).toEqual(expected);

      await postgres.transfer.clear();
      expect(await postgres.transfer.isEmpty()).toBe(true);
    } finally {
      await sqlite.close();
      await postgres.close();
      await back.close();
    }
  });

  it("moves each run's exchanges, its writeback and every alert both ways, but no notification", async () => {
    const sqlite = await SqliteStateStore.open(join(dir, 'alerts-from.db'));
    const postgres = await PostgresStateStore.open(
      { Pool: pg.Pool },
      `postgres://postgres@127.0.0.1:5432/${database}?schema=alerts_moved`,
    );
    const back = await SqliteStateStore.open(join(dir, 'alerts-back.db'));
    const again = await SqliteStateStore.open(join(dir, 'alerts-again.db'));
    try {
      const runIds = await fillWithAlertsAndExchanges(sqlite);
      await copy(sqlite, postgres);
      // What PostgreSQL exports is what SQLite exported (same pieces, same order).
      await copy(postgres, back);
      const pieces = async (store: StateStore) => (await store.transfer.exportPage(null)).pieces;
      expect(await pieces(back)).toEqual(await pieces(sqlite));
      expect(await pieces(postgres)).toEqual(await pieces(sqlite));
      await expectMoved(sqlite, postgres, runIds);
      // Out of PostgreSQL as they are now (the open alert resolved there).
      await copy(postgres, again);
      expect((await again.alerts.list({ limit: 10 })).items).toEqual(
        (await postgres.alerts.list({ limit: 10 })).items,
      );

      await postgres.notifications.enqueue([notificationAt('2025-01-03T00:00:00.000Z')]);
      await postgres.transfer.clear();
      expect((await postgres.alerts.list({ limit: 10 })).items).toEqual([]);
      expect(await postgres.notifications.pending()).toEqual({ count: 0, nextDueAt: null });
    } finally {
      await sqlite.close();
      await postgres.close();
      await back.close();
      await again.close();
    }
  });
});
