import { describe, expect, it } from 'vitest';
import { emptyCounts } from '../core/run.js';
import type { DeliveryResult, StateStore } from './state-store.js';

const sync = 'users-to-segment';

/** A delivery outcome for `key` at `generation`, its payload naming both. */
function delivered(key: string, generation: number, status: DeliveryResult['status'] = 'succeeded') {
  const messageId = `msg-${key}-${generation}`;
  return {
    key,
    hash: `hash-${key}-${generation}`,
    sourceHash: `source-${key}-${generation}`,
    generation,
    messageId,
    payload: JSON.stringify({ type: 'identify', userId: key, traits: { generation }, messageId }),
    reason: generation === 1 ? 'new' : 'changed',
    status,
    error: status === 'succeeded' ? null : 'HTTP 500',
  } satisfies DeliveryResult;
}

/** A finished run of `sync` started at `startedAt` that delivered `results`. */
async function finishedRun(store: StateStore, startedAt: string, results: DeliveryResult[]) {
  const runId = await store.runs.start({ sync, fullResync: false, startedAt });
  await store.ledger.recordDeliveries(sync, runId, results);
  await store.ledger.recordInvalid(runId, [
    { key: null, status: 'invalid', reason: 'null_key', message: null, messageId: null, payload: null },
  ]);
  await store.runs.finish(runId, {
    status: 'completed',
    counts: emptyCounts(),
    finishedAt: startedAt,
    error: null,
  });
  return runId;
}

const day = (n: number) => `2025-03-${String(n).padStart(2, '0')}T10:00:00.000Z`;

/**
 * Retention (SPEC §7), part of the StateStore conformance suite: `open` gives a new connection to
 * the test's storage, which starts empty.
 */
export function describeRetentionConformance(open: () => Promise<StateStore>): void {
  describe('retention', () => {
    it('deletes the records of finished runs started before the cutoff, keeping their summaries', async () => {
      const store = await open();
      const old = await finishedRun(store, day(1), [delivered('u1', 1), delivered('u2', 1, 'failed')]);
      const older = await finishedRun(store, day(2), [delivered('u3', 1)]);
      const recent = await finishedRun(store, day(10), [delivered('u4', 1)]);
      const running = await store.runs.start({ sync, fullResync: false, startedAt: day(3) });
      await store.ledger.recordDeliveries(sync, running, [delivered('u5', 1)]);
      const summaries = (await store.runs.list({ limit: 10 })).items;

      const result = await store.prune({ before: day(5), reclaim: false });
      expect(result).toMatchObject({ runs: 2, records: 5 });
      expect(result!.bytesFreed).toBeGreaterThanOrEqual(0);
      expect((await store.runs.records(old, { limit: 10 })).items).toEqual([]);
      expect((await store.runs.records(older, { limit: 10 })).items).toEqual([]);
      expect((await store.runs.records(recent, { limit: 10 })).items).toHaveLength(2);
      expect((await store.runs.records(running, { limit: 10 })).items).toHaveLength(1);
      const pruned = new Set([old, older]);
      expect((await store.runs.list({ limit: 10 })).items).toEqual(
        summaries.map((run) =>
          pruned.has(run.runId) ? { ...run, recordsPrunedAt: expect.stringMatching(/^\d{4}-/) } : run,
        ),
      );
      expect((await store.runs.get(recent))?.recordsPrunedAt).toBeUndefined();
      // Pending changes do not live in records: the failed one is still retried under its id.
      expect((await store.ledger.keyStates(sync, ['u2'])).get('u2')?.pending?.messageId).toBe('msg-u2-1');
      expect(await store.prune({ before: day(5), reclaim: true })).toMatchObject({ runs: 0, records: 0 });
    });

    it("always keeps each key's last delivered message, and knows when it is superseded", async () => {
      const store = await open();
      await finishedRun(store, day(1), [
        delivered('same', 1),
        delivered('changed', 1),
        delivered('twice', 1),
      ]);
      await finishedRun(store, day(2), [delivered('twice', 2)]);
      await finishedRun(store, day(10), [delivered('changed', 2)]);
      const keys = ['same', 'changed', 'twice', 'never'];
      const before = await store.ledger.deliveredPayloads(sync, keys);
      const states = await store.ledger.keyStates(sync, keys);
      expect(before.size).toBe(3);

      expect(await store.prune({ before: day(5), reclaim: true })).toMatchObject({ runs: 2, records: 6 });
      expect(await store.ledger.deliveredPayloads(sync, keys)).toEqual(before);
      expect(await store.ledger.keyStates(sync, keys)).toEqual(states);
      const lookup = await store.ledger.lookup(sync, ['same', 'twice'], ['source-same-1', 'source-twice-2']);
      expect([...lookup.unchanged].sort()).toEqual(['same', 'twice']);

      // A later delivery of a kept key wins over its kept payload, before and after that run is pruned.
      await finishedRun(store, day(11), [delivered('same', 2)]);
      const same2 = delivered('same', 2).payload;
      expect((await store.ledger.deliveredPayloads(sync, ['same'])).get('same')).toBe(same2);
      expect(await store.prune({ before: day(12), reclaim: false })).toMatchObject({ runs: 2, records: 4 });
      expect(await store.ledger.deliveredPayloads(sync, keys)).toEqual(
        new Map([
          ['same', same2],
          ['changed', delivered('changed', 2).payload],
          ['twice', delivered('twice', 2).payload],
        ]),
      );
    });

    it('rewrites the file only when asked and while no run holds a lock', async () => {
      const store = await open();
      await finishedRun(store, day(1), [delivered('u1', 1)]);
      expect(await store.prune({ before: day(5), reclaim: false })).toMatchObject({ reclaimed: false });
      const holder = { id: 'run-1', host: 'here', pid: 1, label: 'sluice sync run s' };
      expect(await store.locks.acquire('sync:s', holder, 60_000)).toEqual({ acquired: true });
      expect(await store.prune({ before: day(5), reclaim: true })).toMatchObject({ reclaimed: false });
      await store.locks.release('sync:s', holder.id);
      expect(await store.prune({ before: day(5), reclaim: true })).toMatchObject({ reclaimed: true });
    });

    it('skips a prune asked unless one ran since, across connections', async () => {
      const [a, b] = [await open(), await open()];
      await finishedRun(a, day(1), [delivered('u1', 1)]);
      const since = new Date(Date.now() - 60_000).toISOString();
      expect(await a.prune({ before: day(5), reclaim: false, unlessPrunedSince: since })).toMatchObject({
        runs: 1,
      });
      expect(await b.prune({ before: day(5), reclaim: false, unlessPrunedSince: since })).toBeNull();
      const later = new Date(Date.now() + 60_000).toISOString();
      expect(await b.prune({ before: day(5), reclaim: false, unlessPrunedSince: later })).toMatchObject({
        runs: 0,
      });
    });
  });
}
