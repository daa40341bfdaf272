import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyCounts } from '../core/run.js';
import { Secret } from '../core/workspace.js';
import { openStateStore } from '../state/registry.js';
import type { StateStore } from '../state/state-store.js';
import { Scheduler, type SchedulerEvent } from './scheduler.js';

const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/test';
/** This file's own database, dropped at the end. */
const database = `sluice_scheduler_${randomBytes(4).toString('hex')}`;
const url = `postgres://postgres@127.0.0.1:5432/${database}`;

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

/**
 * Two `sluice serve` processes on one PostgreSQL state: each scheduler has a store (a pool of its
 * own connections) and asks for runs as a run starts them — a run in the history and the sync's
 * run lock, on its own store.
 */
async function twoSchedulers(schema: string, clock: { now: Date }) {
  const stateUrl = `${url}?schema=${schema}`;
  const stores: StateStore[] = [];
  const events: SchedulerEvent[] = [];
  const requests: { process: number; sync: string; slot: string }[] = [];
  const schedulers = await Promise.all(
    [0, 1].map(async (process) => {
      const state = await openStateStore({ kind: 'postgres', url: new Secret(stateUrl) });
      stores.push(state);
      return new Scheduler({
        syncs: [{ name: 'users', schedule: { kind: 'cron', cron: '*/5 * * * *' } }],
        state,
        now: () => clock.now,
        log: (event) => events.push(event),
        request: async (sync, slot) => {
          requests.push({ process, sync, slot: slot.slot });
          const runId = await state.runs.start({
            sync,
            fullResync: false,
            startedAt: clock.now.toISOString(),
          });
          const lock = await state.locks.acquire(
            `sync:${sync}`,
            { id: randomUUID(), host: `process-${process}`, pid: 1, label: runId },
            600_000,
          );
          expect(lock.acquired).toBe(true);
          return { runId };
        },
      });
    }),
  );
  return {
    schedulers,
    stores,
    events,
    requests,
    tickBoth: () => Promise.all(schedulers.map((scheduler) => scheduler.tick())),
    close: () => Promise.all(stores.map((store) => store.close())),
  };
}

describe('Scheduler on a shared PostgreSQL state', () => {
  it('fires each slot once when two schedulers tick the same instant', async () => {
    const clock = { now: new Date('2026-03-01T10:00:05.000Z') };
    const both = await twoSchedulers(`s_${randomBytes(3).toString('hex')}`, clock);
    try {
      await both.tickBoth();
      await both.tickBoth();
      expect(both.requests.map((r) => r.slot)).toEqual(['2026-03-01T10:00:00.000Z']);
      expect(both.events).toEqual([
        expect.objectContaining({ event: 'schedule_fired', slot: '2026-03-01T10:00:00.000Z' }),
      ]);
      const [state] = both.stores;
      const fired = both.events[0] as { run_id: string };
      expect((await state!.runs.list({ sync: 'users', limit: 10 })).items.map((run) => run.runId)).toEqual([
        fired.run_id,
      ]);

      // At the next slot the run still holds its lock: one of them records the skip, once.
      clock.now = new Date('2026-03-01T10:05:00.200Z');
      await both.tickBoth();
      await both.tickBoth();
      expect(both.requests).toHaveLength(1);
      expect(both.events.slice(1)).toEqual([
        {
          event: 'schedule_skipped',
          sync: 'users',
          slot: '2026-03-01T10:05:00.000Z',
          reason: `already running (${fired.run_id})`,
        },
      ]);

      // The run ends; the next slot fires once, on whichever process claimed it.
      const holder = await state!.locks.holder('sync:users');
      await state!.runs.finish(fired.run_id, {
        status: 'completed',
        counts: emptyCounts(),
        finishedAt: '2026-03-01T10:06:00.000Z',
        error: null,
      });
      await state!.locks.release('sync:users', holder!.holder.id);
      clock.now = new Date('2026-03-01T10:10:00.100Z');
      await both.tickBoth();
      expect(both.requests.map((r) => r.slot)).toEqual([
        '2026-03-01T10:00:00.000Z',
        '2026-03-01T10:10:00.000Z',
      ]);
      expect((await state!.schedules.list('users', 10)).map((s) => [s.slot, s.outcome])).toEqual([
        ['2026-03-01T10:10:00.000Z', 'fired'],
        ['2026-03-01T10:05:00.000Z', 'skipped'],
        ['2026-03-01T10:00:00.000Z', 'fired'],
      ]);
    } finally {
      await both.close();
    }
  });

  it('never fires a slot twice over many rounds of racing ticks', async () => {
    const clock = { now: new Date('2026-03-01T10:00:00.000Z') };
    const both = await twoSchedulers(`s_${randomBytes(3).toString('hex')}`, clock);
    try {
      for (let round = 0; round < 6; round++) {
        clock.now = new Date(Date.parse('2026-03-01T10:00:00.000Z') + round * 5 * 60_000 + 10);
        await Promise.all([both.tickBoth(), both.tickBoth()]);
        // Each round's run ends before the next slot.
        const state = both.stores[0]!;
        const held = await state.locks.holder('sync:users');
        if (held !== null) await state.locks.release('sync:users', held.holder.id);
      }
      const slots = both.requests.map((r) => r.slot);
      expect(slots).toHaveLength(6);
      expect(new Set(slots).size).toBe(6);
      expect(both.events.filter((e) => e.event !== 'schedule_fired')).toEqual([]);
    } finally {
      await both.close();
    }
  });
});
