import { describe, expect, it } from 'vitest';
import type { NewNotification, StateStore } from './state-store.js';

/** A run notification numbered `n`, made at minute `n`, for `target`. */
function notification(n: number, target = 'ops'): NewNotification {
  const at = `2025-03-01T10:${String(n).padStart(2, '0')}:00.000Z`;
  return {
    id: `msg_${String(n).padStart(4, '0')}`,
    target,
    type: 'run.completed',
    body: JSON.stringify({ type: 'run.completed', timestamp: at, data: { run_id: `r_${n}` } }),
    createdAt: at,
  };
}

const minute = (m: number) => `2025-03-01T10:${String(m).padStart(2, '0')}:00.000Z`;

/** The notification outbox (`StateStore.notifications`, SPEC §7), run by describeStateStoreConformance. */
export function describeNotificationConformance(openStore: () => Promise<StateStore>): void {
  describe('notification outbox', () => {
    it('queues each id once, due at its creation, and claims due ones oldest first', async () => {
      const store = await openStore();
      await store.notifications.enqueue([notification(3), notification(1)]);
      await store.notifications.enqueue([{ ...notification(1), body: '{"changed":true}' }, notification(2)]);
      await store.notifications.enqueue([]);
      expect(await store.notifications.pending()).toEqual({ count: 3, nextDueAt: minute(1) });

      // At minute 2, the ones made at minutes 1 and 2 are due; the claim leases them 30 s.
      const claimed = await store.notifications.claimDue(minute(2), 10, 30_000);
      expect(claimed).toEqual([
        {
          ...notification(1),
          state: 'pending',
          attempts: 0,
          nextAttemptAt: '2025-03-01T10:02:30.000Z',
          lastAttemptAt: null,
          lastStatus: null,
          lastError: null,
          deliveredAt: null,
        },
        expect.objectContaining({ id: 'msg_0002', nextAttemptAt: '2025-03-01T10:02:30.000Z' }),
      ]);
      expect(await store.notifications.pending()).toEqual({
        count: 3,
        nextDueAt: '2025-03-01T10:02:30.000Z',
      });
    });

    it('claims a notification again only once its lease ran out, and honours the limit', async () => {
      const store = await openStore();
      const other = await openStore();
      await store.notifications.enqueue([notification(1), notification(2), notification(3)]);
      expect((await store.notifications.claimDue(minute(5), 2, 60_000)).map((n) => n.id)).toEqual([
        'msg_0001',
        'msg_0002',
      ]);
      expect((await other.notifications.claimDue(minute(5), 10, 60_000)).map((n) => n.id)).toEqual([
        'msg_0003',
      ]);
      expect(await other.notifications.claimDue('2025-03-01T10:05:59.999Z', 10, 60_000)).toEqual([]);
      expect((await other.notifications.claimDue(minute(6), 10, 60_000)).map((n) => n.id)).toEqual([
        'msg_0001',
        'msg_0002',
        'msg_0003',
      ]);
      expect(await store.notifications.claimDue(minute(6), 0, 60_000)).toEqual([]);
    });

    it('settles attempts: retried later, delivered, or given up; each counted', async () => {
      const store = await openStore();
      await store.notifications.enqueue([notification(1), notification(2, 'slack')]);
      // Both claimed for an hour: only a settle makes one due sooner.
      expect(await store.notifications.claimDue(minute(2), 10, 3_600_000)).toHaveLength(2);
      await store.notifications.settle('msg_0001', {
        delivered: false,
        at: '2025-03-01T10:01:01.000Z',
        status: 503,
        error: 'HTTP 503 from hooks.example.com',
        retryAt: minute(10),
      });
      // Not due again before its retry time.
      expect(await store.notifications.claimDue(minute(9), 10, 30_000)).toEqual([]);
      const retried = await store.notifications.claimDue(minute(10), 10, 30_000);
      expect(retried).toEqual([
        expect.objectContaining({
          id: 'msg_0001',
          state: 'pending',
          attempts: 1,
          lastAttemptAt: '2025-03-01T10:01:01.000Z',
          lastStatus: 503,
          lastError: 'HTTP 503 from hooks.example.com',
        }),
      ]);
      await store.notifications.settle('msg_0001', {
        delivered: true,
        at: '2025-03-01T10:10:01.000Z',
        status: 204,
      });
      await store.notifications.settle('msg_0002', {
        delivered: false,
        at: '2025-03-01T10:10:02.000Z',
        status: null,
        error: 'no answer within 10000 ms',
        retryAt: null,
      });
      // Settled for good: neither is pending, and a late settle changes nothing.
      await store.notifications.settle('msg_0001', {
        delivered: false,
        at: '2025-03-01T10:20:00.000Z',
        status: 500,
        error: 'late',
        retryAt: minute(30),
      });
      expect(await store.notifications.claimDue('2100-01-01T00:00:00.000Z', 10, 30_000)).toEqual([]);
      expect(await store.notifications.pending()).toEqual({ count: 0, nextDueAt: null });
      expect(await (await openStore()).notifications.health()).toEqual([
        {
          target: 'ops',
          pending: 0,
          failed: 0,
          delivered: 1,
          lastDeliveredAt: '2025-03-01T10:10:01.000Z',
          lastFailure: null,
        },
        {
          target: 'slack',
          pending: 0,
          failed: 1,
          delivered: 0,
          lastDeliveredAt: null,
          lastFailure: { at: '2025-03-01T10:10:02.000Z', status: null, error: 'no answer within 10000 ms' },
        },
      ]);
    });

    it('shows a target failing after its last delivery, and counts what waits', async () => {
      const store = await openStore();
      await store.notifications.enqueue([notification(1), notification(2), notification(3)]);
      await store.notifications.claimDue(minute(3), 10, 30_000);
      await store.notifications.settle('msg_0001', { delivered: true, at: minute(4), status: 200 });
      await store.notifications.settle('msg_0002', {
        delivered: false,
        at: minute(5),
        status: 500,
        error: 'HTTP 500',
        retryAt: minute(6),
      });
      await store.notifications.settle('msg_0003', {
        delivered: false,
        at: minute(3),
        status: 502,
        error: 'HTTP 502',
        retryAt: minute(7),
      });
      expect(await store.notifications.health()).toEqual([
        {
          target: 'ops',
          pending: 2,
          failed: 0,
          delivered: 1,
          lastDeliveredAt: minute(4),
          lastFailure: { at: minute(5), status: 500, error: 'HTTP 500' },
        },
      ]);
      expect(await store.notifications.pending()).toEqual({ count: 2, nextDueAt: minute(6) });
      expect(await store.notifications.health()).toHaveLength(1);
    });

    it('never hands the same notification to two stores claiming at once', async () => {
      const stores = [await openStore(), await openStore()];
      await stores[0]!.notifications.enqueue(Array.from({ length: 40 }, (_, n) => notification(n)));
      const claims = await Promise.all(
        Array.from({ length: 8 }, (_, i) => stores[i % 2]!.notifications.claimDue(minute(59), 7, 60_000)),
      );
      const ids = claims.flat().map((n) => n.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toHaveLength(40);
    });

    it('prunes delivered and given-up notifications made before the cut, never pending ones nor alerts', async () => {
      const store = await openStore();
      await store.notifications.enqueue([
        notification(1),
        notification(2),
        notification(3),
        notification(40),
      ]);
      await store.notifications.claimDue(minute(50), 10, 30_000);
      await store.notifications.settle('msg_0001', { delivered: true, at: minute(51), status: 200 });
      await store.notifications.settle('msg_0002', {
        delivered: false,
        at: minute(51),
        status: 410,
        error: 'HTTP 410',
        retryAt: null,
      });
      await store.notifications.settle('msg_0040', { delivered: true, at: minute(51), status: 200 });
      // An alert resolved long before the cut: alerts are history, retention keeps them.
      const evaluation = {
        sync: 'users',
        rule: 'run_failed',
        kind: 'run_failed' as const,
        figures: {},
        runId: 'r_1',
        notifications: [],
      };
      await store.alerts.apply([{ ...evaluation, holds: true }], '2025-02-01T00:00:00.000Z');
      await store.alerts.apply([{ ...evaluation, holds: false }], '2025-02-02T00:00:00.000Z');
      await store.prune({ before: minute(30), reclaim: false });
      expect((await store.alerts.list({ limit: 10 })).items).toEqual([
        expect.objectContaining({ rule: 'run_failed', state: 'resolved' }),
      ]);
      expect(await store.notifications.health()).toEqual([
        expect.objectContaining({ target: 'ops', pending: 1, failed: 0, delivered: 1 }),
      ]);
    });
  });
}
