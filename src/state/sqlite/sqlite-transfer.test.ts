import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeliveryResult, StatePiece, StateStore } from '../state-store.js';
import { expectMoved, fillWithAlertsAndExchanges, notificationAt } from '../state-transfer-moves.case.js';
import { SqliteStateStore } from './sqlite-state-store.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-transfer-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function delivered(run: number, key: number, status: DeliveryResult['status'] = 'succeeded'): DeliveryResult {
  return {
    key: `k${key}`,
    hash: `h${run}-${key}`,
    sourceHash: `s${run}-${key}`,
    generation: run + 1,
    messageId: `m${run}-${key}`,
    payload: JSON.stringify({ userId: `k${key}`, run }),
    reason: run === 0 ? 'new' : 'changed',
    status,
    error: status === 'succeeded' ? null : 'HTTP 422',
  };
}

/** Every piece of a store's export, page by page. */
async function exportAll(store: StateStore): Promise<{ pages: number; pieces: StatePiece[] }> {
  const pieces: StatePiece[] = [];
  let pages = 0;
  let cursor: string | null = null;
  do {
    const page = await store.transfer.exportPage(cursor);
    pieces.push(...page.pieces);
    cursor = page.next;
    pages++;
  } while (cursor !== null);
  return { pages, pieces };
}

describe('SqliteStateStore transfer', () => {
  it('moves a state larger than a page, runs with every record and keys with their last message', async () => {
    const from = await SqliteStateStore.open(join(dir, 'from.db'));
    const into = await SqliteStateStore.open(join(dir, 'into.db'));
    try {
      // 3 runs of 12 batches of 1,000: more records than a page holds (20,000), and 12,000 keys (5,000 a page).
      const runIds: string[] = [];
      for (let run = 0; run < 3; run++) {
        const runId = await from.runs.start({
          sync: 'users',
          fullResync: false,
          startedAt: `2025-01-0${run + 1}T00:00:00.000Z`,
        });
        runIds.push(runId);
        for (let batch = 0; batch < 12; batch++) {
          const results = Array.from({ length: 1000 }, (_, i) =>
            delivered(run, batch * 1000 + i, run === 2 && i === 0 ? 'failed' : 'succeeded'),
          );
          await from.ledger.recordDeliveries('users', runId, results);
        }
        await from.runs.finish(runId, {
          status: 'completed',
          counts: (await from.runs.get(runId))!.counts,
          finishedAt: `2025-01-0${run + 1}T00:01:00.000Z`,
          error: null,
        });
      }
      await from.ledger.savePlanned('users', [
        { key: 'k0', hash: 'h-next', messageId: 'm-next', generation: 4 },
      ]);
      await from.tokens.create({
        name: 'ci',
        role: 'operator',
        hash: 'a1'.repeat(32),
        createdAt: '2025-01-01T00:00:00.000Z',
      });
      await from.tokens.touch('ci', '2025-01-02T00:00:00.000Z');
      const { pages, pieces } = await exportAll(from);
      expect(pages).toBeGreaterThan(3);
      expect(await into.transfer.isEmpty()).toBe(true);
      await into.transfer.importPieces(pieces);
      expect(await into.transfer.isEmpty()).toBe(false);

      expect(await into.workspaceId()).toBe(await from.workspaceId());
      expect((await into.runs.list({ limit: 10 })).items).toEqual(
        (await from.runs.list({ limit: 10 })).items,
      );
      for (const runId of runIds) {
        expect((await into.runs.records(runId, { limit: 20_000 })).items).toEqual(
          (await from.runs.records(runId, { limit: 20_000 })).items,
        );
      }
      const keys = ['k0', 'k1', 'k4999', 'k5000', 'k11999', 'k1000'];
      expect(await into.ledger.keyStates('users', keys)).toEqual(await from.ledger.keyStates('users', keys));
      expect(await into.ledger.deliveredPayloads('users', keys)).toEqual(
        await from.ledger.deliveredPayloads('users', keys),
      );
      expect(await into.ledger.countKeys('users')).toEqual({ keys: 12_000, removed: 0 });
      expect(await into.tokens.list()).toEqual([
        {
          name: 'ci',
          role: 'operator',
          hash: 'a1'.repeat(32),
          createdAt: '2025-01-01T00:00:00.000Z',
          lastUsedAt: '2025-01-02T00:00:00.000Z',
        },
      ]);
      // A second export of the copy is the first one again.
      expect((await exportAll(into)).pieces).toEqual(pieces);

      expect((await into.runs.keyHistory('users', 'k5', { limit: 10 })).items).toHaveLength(3);
      await into.transfer.clear();
      expect(await into.transfer.isEmpty()).toBe(true);
      expect(await into.tokens.list()).toEqual([]);
      expect((await into.runs.keyHistory('users', 'k5', { limit: 10 })).items).toEqual([]);
      // Imported again over the cleared state: as good as new.
      await into.transfer.importPieces(pieces);
      expect((await into.runs.keyHistory('users', 'k5', { limit: 10 })).items).toHaveLength(3);
    } finally {
      await from.close();
      await into.close();
    }
  });

  it("moves each run's exchanges after its records, its writeback and every alert, but no notification", async () => {
    const from = await SqliteStateStore.open(join(dir, 'from.db'));
    const into = await SqliteStateStore.open(join(dir, 'into.db'));
    try {
      const runIds = await fillWithAlertsAndExchanges(from);
      const { pieces } = await exportAll(from);
      // Each run's exchanges come right after its records (the import needs the run first).
      const kinds = pieces.map((piece) =>
        piece.kind === 'exchanges' ? `exchanges ${piece.runId}` : piece.kind,
      );
      expect(kinds).toEqual([
        'workspace',
        'tokens',
        'alerts',
        'run',
        'records',
        `exchanges ${runIds[0]}`,
        'run',
        'records',
        `exchanges ${runIds[1]}`,
        'keys',
      ]);
      await into.transfer.importPieces(pieces);
      await expectMoved(from, into, runIds);

      await into.notifications.enqueue([notificationAt('2025-01-03T00:00:00.000Z')]);
      await into.transfer.clear();
      expect((await into.alerts.list({ limit: 10 })).items).toEqual([]);
      expect(await into.notifications.pending()).toEqual({ count: 0, nextDueAt: null });
      expect(await into.notifications.health()).toEqual([]);
    } finally {
      await from.close();
      await into.close();
    }
  });
});
