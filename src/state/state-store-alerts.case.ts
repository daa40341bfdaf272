import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AlertEvaluation, NewNotification, StateStore, StoredAlert } from './state-store.js';

const sync = 'users-to-segment';
const rule = 'failed_rows over 5%';

/** A notification about an alert change, with an id of its own as each process would make. */
function notification(type: 'alert.raised' | 'alert.resolved', at: string): NewNotification {
  return {
    id: `msg_${randomBytes(8).toString('hex')}`,
    target: 'ops',
    type,
    body: JSON.stringify({ type, timestamp: at, data: { sync, rule } }),
    createdAt: at,
  };
}

/** What a run found about the rule: it holds (ratio over 5%) or not, with both notifications. */
function evaluation(runId: string, holds: boolean, at: string, over = rule): AlertEvaluation {
  return {
    sync,
    rule: over,
    kind: 'failed_rows',
    holds,
    figures: { failed: holds ? 12 : 1, planned: 100, ratio: holds ? 0.12 : 0.01, over: 0.05 },
    runId,
    notifications: [notification('alert.raised', at), notification('alert.resolved', at)],
  };
}

/** Every notification queued, by claiming all of them (due by 2100) with a long lease. */
async function queued(store: StateStore): Promise<NewNotification[]> {
  return store.notifications.claimDue('2100-01-01T00:00:00.000Z', 1000, 60_000);
}

/** The alert book (`StateStore.alerts`, SPEC §7), run by describeStateStoreConformance. */
export function describeAlertConformance(openStore: () => Promise<StateStore>): void {
  describe('alerts', () => {
    it('raises once, stays open while the rule holds, resolves once, and a new raise is a new alert', async () => {
      const store = await openStore();
      const first = evaluation('r_1', true, '2025-03-01T10:00:00.000Z');
      const raised = await store.alerts.apply([first], '2025-03-01T10:00:00.000Z');
      expect(raised).toEqual([
        {
          id: expect.stringMatching(/^a_/),
          sync,
          rule,
          kind: 'failed_rows',
          state: 'raised',
          raisedAt: '2025-03-01T10:00:00.000Z',
          raisedRunId: 'r_1',
          figures: first.figures,
          resolvedAt: null,
          resolvedRunId: null,
          resolvedFigures: null,
        },
      ]);
      // Only the raise's notification was queued, in the same apply.
      expect((await queued(store)).map((n) => n.id)).toEqual([first.notifications[0]!.id]);

      expect(
        await store.alerts.apply(
          [evaluation('r_2', true, '2025-03-01T11:00:00.000Z')],
          '2025-03-01T11:00:00.000Z',
        ),
      ).toEqual([]);
      expect(await queued(store)).toEqual([]);

      const clear = evaluation('r_3', false, '2025-03-01T12:00:00.000Z');
      const resolved = await store.alerts.apply([clear], '2025-03-01T12:00:00.000Z');
      expect(resolved).toEqual([
        {
          ...raised[0],
          state: 'resolved',
          resolvedAt: '2025-03-01T12:00:00.000Z',
          resolvedRunId: 'r_3',
          resolvedFigures: clear.figures,
        },
      ]);
      expect((await queued(store)).map((n) => n.id)).toEqual([clear.notifications[1]!.id]);
      expect(
        await store.alerts.apply(
          [evaluation('r_4', false, '2025-03-01T13:00:00.000Z')],
          '2025-03-01T13:00:00.000Z',
        ),
      ).toEqual([]);
      expect(await queued(store)).toEqual([]);

      const again = await store.alerts.apply(
        [evaluation('r_5', true, '2025-03-01T14:00:00.000Z')],
        '2025-03-01T14:00:00.000Z',
      );
      expect(again).toHaveLength(1);
      expect(again[0]!.id).not.toBe(raised[0]!.id);
      expect(again[0]).toMatchObject({ state: 'raised', raisedRunId: 'r_5' });
      const listed = await (await openStore()).alerts.list({ limit: 10 });
      expect(listed.items.map((a) => [a.id, a.state])).toEqual([
        [again[0]!.id, 'raised'],
        [raised[0]!.id, 'resolved'],
      ]);
    });

    it('queues nothing when the apply fails, and raises nothing either (one transaction)', async () => {
      const store = await openStore();
      const bad = evaluation('r_1', true, '2025-03-01T10:00:00.000Z');
      // A notification without a body cannot be stored: the raise before it must not stay.
      const broken = {
        ...bad,
        notifications: [{ ...bad.notifications[0]!, body: null as unknown as string }],
      };
      await expect(store.alerts.apply([broken], '2025-03-01T10:00:00.000Z')).rejects.toMatchObject({
        code: 'state_error',
      });
      expect((await store.alerts.list({ limit: 10 })).items).toEqual([]);
      expect(await store.notifications.pending()).toEqual({ count: 0, nextDueAt: null });
    });

    it('changes an alert once when two stores apply the same evaluation at the same time', async () => {
      const [a, b] = [await openStore(), await openStore()];
      let changes = 0;
      for (let round = 0; round < 6; round++) {
        const holds = round % 2 === 0;
        const at = `2025-03-01T1${round}:00:00.000Z`;
        const answers = await Promise.all(
          [a, b, a, b].map((store) => store.alerts.apply([evaluation(`r_${round}`, holds, at)], at)),
        );
        const changed = answers.flat();
        expect(changed).toHaveLength(1);
        expect(changed[0]!.state).toBe(holds ? 'raised' : 'resolved');
        changes++;
        // Each apply made its own notification ids: exactly one apply queued its notification.
        expect(await a.notifications.pending()).toMatchObject({ count: changes });
      }
      const alerts = (await b.alerts.list({ limit: 10 })).items;
      expect(alerts).toHaveLength(3);
      expect(alerts.every((alert) => alert.state === 'resolved')).toBe(true);
    });

    it('applies several rules in one call, each on its own', async () => {
      const store = await openStore();
      const at = '2025-03-01T10:00:00.000Z';
      await store.alerts.apply([evaluation('r_1', true, at, 'run_failed')], at);
      const changed = await store.alerts.apply(
        [
          evaluation('r_2', false, at, 'run_failed'),
          evaluation('r_2', true, at, 'zero_rows'),
          evaluation('r_2', false, at, 'runtime over 30m'),
        ],
        '2025-03-01T11:00:00.000Z',
      );
      expect(changed.map((alert) => [alert.rule, alert.state])).toEqual([
        ['run_failed', 'resolved'],
        ['zero_rows', 'raised'],
      ]);
      expect(await store.alerts.apply([], at)).toEqual([]);
    });

    it('lists open alerts first, newest first, filtered, a page at a time', async () => {
      const store = await openStore();
      const raisedAt = (hour: number) => `2025-03-01T${String(hour).padStart(2, '0')}:00:00.000Z`;
      // Rules r0…r5 raised at hours 0…5 in sync A or B; r1 and r3 resolved at hour 10.
      const syncOf = (n: number) => (n % 2 === 0 ? 'a' : 'b');
      for (let n = 0; n < 6; n++) {
        await store.alerts.apply(
          [{ ...evaluation(`r_${n}`, true, raisedAt(n), `r${n}`), sync: syncOf(n) }],
          raisedAt(n),
        );
      }
      for (const n of [1, 4]) {
        await store.alerts.apply(
          [{ ...evaluation('r_9', false, raisedAt(10), `r${n}`), sync: syncOf(n) }],
          raisedAt(10),
        );
      }
      const rulesOf = (alerts: StoredAlert[]) => alerts.map((alert) => alert.rule);
      const readAll = async (query: { sync?: string; state?: 'raised' | 'resolved' }, limit: number) => {
        const pages: string[][] = [];
        let cursor: string | undefined;
        do {
          const page = await store.alerts.list({
            ...query,
            limit,
            ...(cursor === undefined ? {} : { cursor }),
          });
          pages.push(rulesOf(page.items));
          cursor = page.next ?? undefined;
        } while (cursor !== undefined);
        return pages;
      };
      expect(await readAll({}, 2)).toEqual([
        ['r5', 'r3'],
        ['r2', 'r0'],
        ['r4', 'r1'],
      ]);
      expect((await readAll({}, 4)).flat()).toEqual(['r5', 'r3', 'r2', 'r0', 'r4', 'r1']);
      expect(await readAll({ state: 'raised' }, 3)).toEqual([['r5', 'r3', 'r2'], ['r0']]);
      expect(await readAll({ state: 'resolved' }, 10)).toEqual([['r4', 'r1']]);
      expect(await readAll({ sync: 'a' }, 2)).toEqual([['r2', 'r0'], ['r4']]);
      expect(await readAll({ sync: 'b', state: 'resolved' }, 2)).toEqual([['r1']]);
      await expect(store.alerts.list({ limit: 2, cursor: 'nope' })).rejects.toMatchObject({ code: 'usage' });
    });
  });
}
