import { describe, expect, it } from 'vitest';
import { emptyCounts } from '../core/run.js';
import type { DeliveryResult, StateStore } from './state-store.js';

const at = '2025-03-01T10:00:00.000Z';
const later = '2025-03-01T10:05:00.000Z';

/**
 * Queued runs (SPEC §6: `queued` → `running` → `completed` | `failed`), cancelling, dry runs kept in
 * the history, and a run's records of one key; run by describeStateStoreConformance.
 */
export function describeRunQueueConformance(openStore: () => Promise<StateStore>): void {
  describe('queued runs', () => {
    it('queues a run, coalesces the next request of the same kind into it, and keeps dry runs apart', async () => {
      const store = await openStore();
      const first = await store.runs.enqueue({
        sync: 'a',
        dryRun: false,
        fullResync: false,
        requestedAt: at,
      });
      expect(first.created).toBe(true);
      const again = await store.runs.enqueue({
        sync: 'a',
        dryRun: false,
        fullResync: false,
        requestedAt: later,
      });
      expect(again).toEqual({ runId: first.runId, created: false });
      const dry = await store.runs.enqueue({
        sync: 'a',
        dryRun: true,
        fullResync: false,
        requestedAt: later,
      });
      expect(dry.created).toBe(true);
      expect(dry.runId).not.toBe(first.runId);
      const other = await store.runs.enqueue({
        sync: 'b',
        dryRun: false,
        fullResync: false,
        requestedAt: later,
      });
      expect(other.created).toBe(true);
      expect(await store.runs.get(first.runId)).toMatchObject({
        sync: 'a',
        status: 'queued',
        dryRun: false,
        fullResync: false,
        counts: emptyCounts(),
        startedAt: at,
        requestedAt: at,
        finishedAt: null,
        error: null,
      });
      const queued = await store.runs.list({ status: 'queued', limit: 10 });
      expect(queued.items.map((run) => run.runId).sort()).toEqual(
        [first.runId, dry.runId, other.runId].sort(),
      );
    });

    it('raises a queued run to a full resync when one is asked for while it waits', async () => {
      const store = await openStore();
      const plain = await store.runs.enqueue({
        sync: 'a',
        dryRun: false,
        fullResync: false,
        requestedAt: at,
      });
      const full = await store.runs.enqueue({
        sync: 'a',
        dryRun: false,
        fullResync: true,
        requestedAt: later,
      });
      expect(full).toEqual({ runId: plain.runId, created: false });
      expect((await store.runs.get(plain.runId))?.fullResync).toBe(true);
      // A plain request never lowers it again.
      await store.runs.enqueue({ sync: 'a', dryRun: false, fullResync: false, requestedAt: later });
      expect((await store.runs.get(plain.runId))?.fullResync).toBe(true);
    });

    it('starts a queued run once: a second start, from another connection, is refused', async () => {
      const a = await openStore();
      const b = await openStore();
      const { runId } = await a.runs.enqueue({
        sync: 'a',
        dryRun: false,
        fullResync: false,
        requestedAt: at,
      });
      expect(await b.runs.start({ sync: 'a', fullResync: false, startedAt: later, runId })).toBe(runId);
      expect(await a.runs.get(runId)).toMatchObject({ status: 'running', startedAt: later, requestedAt: at });
      await expect(
        a.runs.start({ sync: 'a', fullResync: false, startedAt: later, runId }),
      ).rejects.toMatchObject({
        code: 'run_finished',
      });
      // Once it runs, a new request queues a new run behind it.
      const next = await a.runs.enqueue({ sync: 'a', dryRun: false, fullResync: false, requestedAt: later });
      expect(next.created).toBe(true);
      expect(next.runId).not.toBe(runId);
    });

    it('cancels a queued run at once, asks a running one to stop, and tells a finished or unknown one', async () => {
      const store = await openStore();
      const queued = await store.runs.enqueue({
        sync: 'a',
        dryRun: false,
        fullResync: false,
        requestedAt: at,
      });
      expect(await store.runs.cancel(queued.runId, later)).toBe('cancelled');
      expect(await store.runs.get(queued.runId)).toMatchObject({
        status: 'failed',
        finishedAt: later,
        cancelRequestedAt: later,
        error: { code: 'interrupted', message: expect.stringContaining('cancelled') },
      });
      await expect(
        store.runs.start({ sync: 'a', fullResync: false, startedAt: later, runId: queued.runId }),
      ).rejects.toMatchObject({ code: 'run_finished' });

      const running = await store.runs.start({ sync: 'a', fullResync: false, startedAt: at });
      expect((await store.runs.get(running))?.cancelRequestedAt).toBeUndefined();
      expect(await store.runs.cancel(running, later)).toBe('requested');
      expect(await store.runs.cancel(running, '2025-03-01T11:00:00.000Z')).toBe('requested');
      // The first ask is the one remembered; the run goes on until its process stops it.
      expect(await store.runs.get(running)).toMatchObject({ status: 'running', cancelRequestedAt: later });
      await store.runs.finish(running, {
        status: 'completed',
        counts: emptyCounts(),
        finishedAt: later,
        error: null,
      });
      expect(await store.runs.cancel(running, later)).toBe('finished');
      expect(await store.runs.cancel('run_nope', later)).toBe('not_found');
    });

    it('keeps a dry run in the history with its report, apart from the last completed real run', async () => {
      const store = await openStore();
      const runId = await store.runs.start({ sync: 'a', fullResync: false, startedAt: at, dryRun: true });
      const report = JSON.stringify({
        samples: [{ key: 'k', reason: 'new' }],
        not_shown: { planned: 0, invalid: 0 },
      });
      await store.runs.finish(runId, {
        status: 'completed',
        counts: { ...emptyCounts(), extracted: 1, planned: 1 },
        finishedAt: later,
        error: null,
        report,
      });
      expect(await store.runs.get(runId)).toMatchObject({ dryRun: true, status: 'completed', report });
      expect(await store.runs.lastCompleted('a')).toBeNull();
    });

    it("lists one key's records of a run, with the status filter and cursor", async () => {
      const store = await openStore();
      const runId = await store.runs.start({ sync: 'a', fullResync: false, startedAt: at });
      const results: DeliveryResult[] = [];
      for (let i = 0; i < 30; i++) {
        const key = i % 3 === 0 ? 'k0' : `k${i}`;
        results.push({
          key,
          hash: `h${i}`,
          sourceHash: `s${i}`,
          generation: i + 1,
          messageId: `m${i}`,
          payload: JSON.stringify({ i }),
          reason: 'new',
          status: i % 2 === 0 ? 'succeeded' : 'failed',
          error: i % 2 === 0 ? null : 'HTTP 500',
        });
      }
      await store.ledger.recordDeliveries('a', runId, results.slice(0, 15));
      await store.ledger.recordDeliveries('a', runId, results.slice(15));
      const all = await store.runs.records(runId, { key: 'k0', limit: 100 });
      expect(all.items.map((r) => r.messageId)).toEqual([
        'm0',
        'm3',
        'm6',
        'm9',
        'm12',
        'm15',
        'm18',
        'm21',
        'm24',
        'm27',
      ]);
      expect(all.next).toBeNull();
      const failed = await store.runs.records(runId, { key: 'k0', status: 'failed', limit: 100 });
      expect(failed.items.map((r) => r.messageId)).toEqual(['m3', 'm9', 'm15', 'm21', 'm27']);
      const pages: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.runs.records(runId, { key: 'k0', limit: 3, ...(cursor ? { cursor } : {}) });
        pages.push(...page.items.map((r) => r.messageId!));
        cursor = page.next ?? undefined;
      } while (cursor !== undefined);
      expect(pages).toEqual(all.items.map((r) => r.messageId));
      expect((await store.runs.records(runId, { key: 'nobody', limit: 10 })).items).toEqual([]);
      // By reason too, with or without a key.
      expect((await store.runs.records(runId, { reason: 'changed', limit: 100 })).items).toEqual([]);
      expect((await store.runs.records(runId, { reason: 'new', limit: 100 })).items).toHaveLength(30);
      expect(
        (await store.runs.records(runId, { key: 'k0', reason: 'new', status: 'failed', limit: 100 })).items,
      ).toHaveLength(5);
    });
  });
}
