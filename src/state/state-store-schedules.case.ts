import { describe, expect, it } from 'vitest';
import type { ClaimedSlot, StateStore } from './state-store.js';

function slot(sync: string, time: string, claimedAt = time): ClaimedSlot {
  return { sync, slot: time, outcome: 'fired', runId: null, reason: null, at: claimedAt };
}

/** Schedule slots (`StateStore.schedules`), run by describeStateStoreConformance. */
export function describeScheduleConformance(openStore: () => Promise<StateStore>): void {
  describe('schedule slots', () => {
    it('lets exactly one of many claims of a slot win, across connections', async () => {
      const stores = [await openStore(), await openStore(), await openStore()];
      const entry = slot('users', '2026-03-01T06:00:00.000Z');
      const won = await Promise.all(
        stores.flatMap((store) => [store.schedules.claim(entry), store.schedules.claim(entry)]),
      );
      expect(won.filter(Boolean)).toHaveLength(1);
      // Another sync's slot at the same time is its own.
      expect(await stores[1]!.schedules.claim(slot('accounts', '2026-03-01T06:00:00.000Z'))).toBe(true);
    });

    it('records what became of a slot, and answers the latest by slot time', async () => {
      const store = await openStore();
      const other = await openStore();
      expect(await store.schedules.last('users')).toBeNull();
      expect(await store.schedules.claim(slot('users', '2026-03-01T07:00:00.000Z'))).toBe(true);
      // Claimed later, but an earlier slot (a process whose clock lags): not the latest.
      expect(
        await store.schedules.claim(slot('users', '2026-03-01T06:00:00.000Z', '2026-03-01T07:00:05.000Z')),
      ).toBe(true);
      await store.schedules.settle('users', '2026-03-01T07:00:00.000Z', {
        outcome: 'fired',
        runId: 'run-1',
        reason: null,
      });
      await other.schedules.settle('users', '2026-03-01T06:00:00.000Z', {
        outcome: 'skipped',
        runId: null,
        reason: 'already running (run-0)',
      });
      expect(await other.schedules.last('users')).toEqual({
        sync: 'users',
        slot: '2026-03-01T07:00:00.000Z',
        outcome: 'fired',
        runId: 'run-1',
        reason: null,
        at: '2026-03-01T07:00:00.000Z',
      });
      expect(await other.schedules.list('users', 10)).toEqual([
        expect.objectContaining({ slot: '2026-03-01T07:00:00.000Z', outcome: 'fired' }),
        expect.objectContaining({
          slot: '2026-03-01T06:00:00.000Z',
          outcome: 'skipped',
          reason: 'already running (run-0)',
          at: '2026-03-01T07:00:05.000Z',
        }),
      ]);
      expect(await other.schedules.list('users', 1)).toHaveLength(1);
      expect(await other.schedules.list('accounts', 10)).toEqual([]);
    });

    it('prunes old slots with the runs, keeping each sync’s latest', async () => {
      const store = await openStore();
      for (const hour of ['01', '02', '03']) {
        await store.schedules.claim(slot('users', `2026-03-01T${hour}:00:00.000Z`));
      }
      await store.schedules.claim(slot('accounts', '2026-03-01T01:00:00.000Z'));
      await store.prune({ before: '2026-03-02T00:00:00.000Z', reclaim: false });
      expect((await store.schedules.list('users', 10)).map((s) => s.slot)).toEqual([
        '2026-03-01T03:00:00.000Z',
      ]);
      expect((await store.schedules.list('accounts', 10)).map((s) => s.slot)).toEqual([
        '2026-03-01T01:00:00.000Z',
      ]);
    });

    it('moves each sync’s latest slot with the state, so a moved scheduler does not fire it again', async () => {
      const from = await openStore();
      await from.schedules.claim(slot('users', '2026-03-01T06:00:00.000Z'));
      await from.schedules.claim(slot('users', '2026-03-01T07:00:00.000Z'));
      await from.schedules.settle('users', '2026-03-01T07:00:00.000Z', {
        outcome: 'fired',
        runId: 'run-7',
        reason: null,
      });
      const { pieces, next } = await from.transfer.exportPage(null);
      expect(next).toBeNull();
      expect(pieces.find((piece) => piece.kind === 'slots')).toEqual({
        kind: 'slots',
        slots: [expect.objectContaining({ sync: 'users', slot: '2026-03-01T07:00:00.000Z', runId: 'run-7' })],
      });
      // The same storage, cleared and filled again from the export: what a move into it does.
      await from.transfer.clear();
      expect(await from.schedules.last('users')).toBeNull();
      await from.transfer.importPieces(pieces);
      expect(await from.schedules.last('users')).toMatchObject({
        slot: '2026-03-01T07:00:00.000Z',
        runId: 'run-7',
      });
      expect(await from.schedules.claim(slot('users', '2026-03-01T07:00:00.000Z'))).toBe(false);
    });
  });
}
