import { describe, expect, it } from 'vitest';
import { emptyCounts } from '../core/run.js';
import type { StateStore, StoredExchange } from './state-store.js';

const sync = 'users-to-segment';

/** An exchange numbered `n`, its body carrying a NUL escape and non-ASCII text to round-trip. */
function exchange(n: number, status: number | null = 200): StoredExchange {
  return {
    at: `2025-03-01T10:00:${String(n % 60).padStart(2, '0')}.000Z`,
    method: 'POST',
    url: 'https://api.segment.io/v1/batch',
    status,
    error: status === null ? 'no answer within 10000 ms' : null,
    latencyMs: 12 + n,
    attempt: 1 + (n % 3),
    requestHeaders: { authorization: '[secret]', 'content-type': 'application/json' },
    responseHeaders: { 'content-type': 'application/json' },
    requestBody: JSON.stringify({ batch: [{ messageId: `m-${n}`, traits: { name: 'Zoë\u0000' } }] }),
    requestBytes: 80,
    responseBody: '{"success":true}',
    responseBytes: 16,
    truncated: false,
    messageIds: [`m-${n}`],
  };
}

async function finish(store: StateStore, runId: string, at: string) {
  await store.runs.finish(runId, { status: 'completed', counts: emptyCounts(), finishedAt: at, error: null });
}

/** The inspector's exchanges (`StateStore.exchanges`, SPEC §7), run by describeStateStoreConformance. */
export function describeExchangeConformance(openStore: () => Promise<StateStore>): void {
  describe('inspector exchanges', () => {
    it('keeps a run’s exchanges in order, paged, on every connection, apart from other runs', async () => {
      const store = await openStore();
      const run = await store.runs.start({ sync, fullResync: false, startedAt: '2025-03-01T10:00:00.000Z' });
      const other = await store.runs.start({
        sync: 'other',
        fullResync: false,
        startedAt: '2025-03-01T10:00:01.000Z',
      });
      const all = Array.from({ length: 5 }, (_, n) => exchange(n, n === 2 ? null : n === 3 ? 503 : 200));
      await store.exchanges.record(run, all.slice(0, 3));
      await store.exchanges.record(other, [exchange(99)]);
      await store.exchanges.record(run, all.slice(3));
      await store.exchanges.record(run, []);

      const first = await store.exchanges.list(run, { limit: 2 });
      expect(first.items).toEqual(all.slice(0, 2));
      expect(first.next).not.toBeNull();
      const second = await (await openStore()).exchanges.list(run, { limit: 2, cursor: first.next! });
      expect(second.items).toEqual(all.slice(2, 4));
      const third = await store.exchanges.list(run, { limit: 2, cursor: second.next! });
      expect(third).toEqual({ items: all.slice(4), next: null });
      expect((await store.exchanges.list(other, { limit: 10 })).items).toEqual([exchange(99)]);
    });

    it('answers an empty page for an unknown run, and records nothing for one', async () => {
      const store = await openStore();
      await store.exchanges.record('r_nosuchrun', [exchange(1)]);
      expect(await store.exchanges.list('r_nosuchrun', { limit: 10 })).toEqual({ items: [], next: null });
      await expect(store.exchanges.list('r_nosuchrun', { limit: 10, cursor: 'x' })).rejects.toMatchObject({
        code: 'usage',
      });
    });

    it('are pruned with their run’s records, counted in the prune', async () => {
      const store = await openStore();
      const old = await store.runs.start({ sync, fullResync: false, startedAt: '2025-03-01T10:00:00.000Z' });
      await store.exchanges.record(old, [exchange(1, 500), exchange(2)]);
      await finish(store, old, '2025-03-01T10:01:00.000Z');
      const recent = await store.runs.start({
        sync,
        fullResync: false,
        startedAt: '2025-03-20T10:00:00.000Z',
      });
      await store.exchanges.record(recent, [exchange(3)]);
      await finish(store, recent, '2025-03-20T10:01:00.000Z');

      const result = await store.prune({ before: '2025-03-10T00:00:00.000Z', reclaim: false });
      expect(result).toMatchObject({ runs: 1, exchanges: 2 });
      expect((await store.exchanges.list(old, { limit: 10 })).items).toEqual([]);
      expect((await store.exchanges.list(recent, { limit: 10 })).items).toEqual([exchange(3)]);
      expect(await store.prune({ before: '2025-03-10T00:00:00.000Z', reclaim: false })).toMatchObject({
        runs: 0,
        exchanges: 0,
      });
    });
  });
}
