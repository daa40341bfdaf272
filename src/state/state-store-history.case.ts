import { describe, expect, it } from 'vitest';
import { emptyCounts, type RunSummary } from '../core/run.js';
import type { DeliveryResult, Page, StateStore } from './state-store.js';

const sync = 'users-to-segment';
const otherSync = 'accounts-to-segment';

function result(key: string, run: number, status: DeliveryResult['status']): DeliveryResult {
  return {
    key,
    hash: `h-${key}-${run}`,
    sourceHash: `s-${key}-${run}`,
    generation: run,
    messageId: `m-${key}-${run}`,
    payload: JSON.stringify({ userId: key, run }),
    reason: run === 1 ? 'new' : 'changed',
    status,
    error: status === 'succeeded' ? null : 'HTTP 422',
  };
}

/** Every item of a listing, read `limit` at a time: each page's cursor resumes where it stopped. */
async function readAll<T>(list: (cursor?: string) => Promise<Page<T>>): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  do {
    const page = await list(cursor);
    pages.push(page.items);
    cursor = page.next ?? undefined;
  } while (cursor !== undefined);
  return pages;
}

/**
 * Listings a page at a time, and a key's history across runs (`StateStore.runs`), run by
 * describeStateStoreConformance.
 */
export function describeHistoryConformance(openStore: () => Promise<StateStore>): void {
  describe('listings and key history', () => {
    it('pages runs newest first: every run once, with or without filters', async () => {
      const store = await openStore();
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        const runId = await store.runs.start({
          sync: i % 3 === 0 ? otherSync : sync,
          fullResync: false,
          startedAt: `2025-01-01T00:00:0${i}.000Z`,
        });
        if (i % 2 === 0) {
          await store.runs.finish(runId, {
            status: 'completed',
            counts: emptyCounts(),
            finishedAt: `2025-01-01T00:01:0${i}.000Z`,
            error: null,
          });
        }
        ids.push(runId);
      }
      const pages = await readAll((cursor) => store.runs.list({ limit: 2, ...(cursor ? { cursor } : {}) }));
      expect(pages.map((page) => page.length)).toEqual([2, 2, 2, 1]);
      expect(pages.flat().map((run) => run.runId)).toEqual([...ids].reverse());
      const ofSync = await readAll((cursor) =>
        store.runs.list({ sync, limit: 3, ...(cursor ? { cursor } : {}) }),
      );
      expect(ofSync.flat().map((run) => run.runId)).toEqual([ids[5], ids[4], ids[2], ids[1]]);
      const completed = await readAll((cursor) =>
        store.runs.list({ sync, status: 'completed', limit: 1, ...(cursor ? { cursor } : {}) }),
      );
      expect(completed.flat().map((run) => run.runId)).toEqual([ids[4], ids[2]]);
      expect(await store.runs.list({ limit: 0 })).toEqual({ items: [], next: null });
      await expect(store.runs.list({ limit: 2, cursor: 'not a cursor' })).rejects.toMatchObject({
        code: 'usage',
      });
    });

    it('lists only dry runs or only real runs, with every other filter and a page at a time', async () => {
      const store = await openStore();
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        ids.push(
          await store.runs.start({
            sync: i < 4 ? sync : otherSync,
            fullResync: false,
            dryRun: i % 2 === 1,
            startedAt: `2025-01-01T00:00:0${i}.000Z`,
          }),
        );
      }
      await store.runs.finish(ids[1]!, {
        status: 'completed',
        counts: emptyCounts(),
        finishedAt: '2025-01-01T00:01:00.000Z',
        error: null,
      });
      const list = (query: { sync?: string; dryRun?: boolean; status?: 'completed' }, limit: number) =>
        readAll((cursor) => store.runs.list({ ...query, limit, ...(cursor ? { cursor } : {}) }));
      const idsOf = (pages: RunSummary[][]) => pages.flat().map((run) => run.runId);
      expect(idsOf(await list({ dryRun: true }, 2))).toEqual([ids[5], ids[3], ids[1]]);
      expect(idsOf(await list({ dryRun: false }, 1))).toEqual([ids[4], ids[2], ids[0]]);
      expect(idsOf(await list({ sync, dryRun: true }, 1))).toEqual([ids[3], ids[1]]);
      expect(idsOf(await list({ sync, dryRun: true, status: 'completed' }, 5))).toEqual([ids[1]]);
      expect(idsOf(await list({ dryRun: false, status: 'completed' }, 5))).toEqual([]);
      expect(idsOf(await list({}, 4))).toEqual([...ids].reverse());
    });

    it("keeps a run's writeback outcome, the latest one, read back by get and list", async () => {
      const store = await openStore();
      const runId = await store.runs.start({
        sync,
        fullResync: false,
        startedAt: '2025-01-01T00:00:00.000Z',
      });
      await store.runs.finish(runId, {
        status: 'completed',
        counts: emptyCounts(),
        finishedAt: '2025-01-01T00:01:00.000Z',
        error: null,
      });
      expect((await store.runs.get(runId))?.writeback).toBeUndefined();
      const failed = {
        source: 'warehouse',
        table: 'analytics.sluice_sync_log',
        rows: 0,
        error: { code: 'source_error', message: 'permission denied for schema analytics' },
        at: '2025-01-01T00:01:01.000Z',
      };
      await store.runs.recordWriteback(runId, failed);
      expect((await store.runs.get(runId))?.writeback).toEqual(failed);
      const written = { ...failed, rows: 120, error: null, at: '2025-01-01T02:00:00.000Z' };
      await store.runs.recordWriteback(runId, written);
      await store.runs.recordWriteback('r_nosuchrun', written);
      expect((await (await openStore()).runs.get(runId))?.writeback).toEqual(written);
      expect((await store.runs.list({ sync, limit: 5 })).items).toEqual([
        expect.objectContaining({ runId, status: 'completed', writeback: written }),
      ]);
      expect(await store.runs.get('r_nosuchrun')).toBeNull();
    });

    it('pages records in recorded order, across and inside batches, with a status filter', async () => {
      const store = await openStore();
      const runId = await store.runs.start({
        sync,
        fullResync: false,
        startedAt: '2025-01-01T00:00:00.000Z',
      });
      await store.ledger.recordDeliveries(
        sync,
        runId,
        ['a', 'b', 'c', 'd', 'e'].map((key) => result(key, 1, key === 'c' ? 'failed' : 'succeeded')),
      );
      await store.ledger.recordInvalid(runId, [
        { key: 'f', status: 'invalid', reason: 'null_key', message: 'x', messageId: null, payload: null },
      ]);
      await store.ledger.recordDeliveries(
        sync,
        runId,
        ['g', 'h'].map((key) => result(key, 1, 'failed')),
      );
      const all = await readAll((cursor) =>
        store.runs.records(runId, { limit: 2, ...(cursor ? { cursor } : {}) }),
      );
      expect(all.map((page) => page.map((r) => r.key))).toEqual([
        ['a', 'b'],
        ['c', 'd'],
        ['e', 'f'],
        ['g', 'h'],
      ]);
      const failed = await readAll((cursor) =>
        store.runs.records(runId, { status: 'failed', limit: 2, ...(cursor ? { cursor } : {}) }),
      );
      expect(failed.flat().map((r) => r.key)).toEqual(['c', 'g', 'h']);
      await expect(store.runs.records(runId, { limit: 2, cursor: 'not a cursor' })).rejects.toMatchObject({
        code: 'usage',
      });
    });

    it("tells a key's history: its records in the sync's runs, newest run first, a page at a time", async () => {
      const store = await openStore();
      const started = (n: number) => `2025-01-0${n}T00:00:00.000Z`;
      const first = await store.runs.start({ sync, fullResync: false, startedAt: started(1) });
      await store.ledger.recordDeliveries(sync, first, [
        result('u1', 1, 'failed'),
        result('u2', 1, 'succeeded'),
      ]);
      await store.ledger.recordDeliveries(sync, first, [result('u1', 1, 'succeeded')]);
      const second = await store.runs.start({ sync, fullResync: false, startedAt: started(2) });
      await store.ledger.recordInvalid(second, [
        {
          key: 'u1',
          status: 'invalid',
          reason: 'invalid_type',
          message: 'email is not text',
          messageId: null,
          payload: '{"email":1}',
        },
      ]);
      const other = await store.runs.start({ sync: otherSync, fullResync: false, startedAt: started(3) });
      await store.ledger.recordDeliveries(otherSync, other, [result('u1', 1, 'succeeded')]);
      const third = await store.runs.start({ sync, fullResync: false, startedAt: started(4) });
      await store.ledger.recordDeliveries(sync, third, [result('u1', 2, 'succeeded')]);

      const history = await store.runs.keyHistory(sync, 'u1', { limit: 10 });
      expect(history.next).toBeNull();
      expect(history.items.map((r) => [r.runId, r.status, r.messageId, r.runStartedAt])).toEqual([
        [third, 'succeeded', 'm-u1-2', started(4)],
        [second, 'invalid', null, started(2)],
        [first, 'failed', 'm-u1-1', started(1)],
        [first, 'succeeded', 'm-u1-1', started(1)],
      ]);
      expect(history.items[0]).toMatchObject({
        key: 'u1',
        reason: 'changed',
        payload: JSON.stringify({ userId: 'u1', run: 2 }),
      });
      expect(history.items[1]).toMatchObject({
        reason: 'invalid_type',
        message: 'email is not text',
        payload: '{"email":1}',
      });

      const pages = await readAll((cursor) =>
        store.runs.keyHistory(sync, 'u1', { limit: 1, ...(cursor ? { cursor } : {}) }),
      );
      expect(pages.flat()).toEqual(history.items);
      expect((await store.runs.keyHistory(otherSync, 'u1', { limit: 10 })).items.map((r) => r.runId)).toEqual(
        [other],
      );
      expect(await store.runs.keyHistory(sync, 'nobody', { limit: 10 })).toEqual({ items: [], next: null });
      await expect(store.runs.keyHistory(sync, 'u1', { limit: 1, cursor: 'x' })).rejects.toMatchObject({
        code: 'usage',
      });
    });

    it('keeps a key history only as far back as retention keeps records', async () => {
      const store = await openStore();
      const old = await store.runs.start({ sync, fullResync: false, startedAt: '2025-01-01T00:00:00.000Z' });
      await store.ledger.recordDeliveries(sync, old, [result('u1', 1, 'succeeded')]);
      await store.runs.finish(old, {
        status: 'completed',
        counts: emptyCounts(),
        finishedAt: '2025-01-01T00:01:00.000Z',
        error: null,
      });
      const recent = await store.runs.start({
        sync,
        fullResync: false,
        startedAt: '2025-02-01T00:00:00.000Z',
      });
      await store.ledger.recordDeliveries(sync, recent, [result('u1', 2, 'succeeded')]);
      await store.runs.finish(recent, {
        status: 'completed',
        counts: emptyCounts(),
        finishedAt: '2025-02-01T00:01:00.000Z',
        error: null,
      });
      await store.prune({ before: '2025-01-15T00:00:00.000Z', reclaim: false });
      expect((await store.runs.keyHistory(sync, 'u1', { limit: 10 })).items.map((r) => r.runId)).toEqual([
        recent,
      ]);
    });
  });
}
