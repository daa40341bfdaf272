import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emptyCounts } from '../core/run.js';
import type { ScheduleConfig } from '../core/workspace.js';
import { openStateStore } from '../state/registry.js';
import type { StateStore } from '../state/state-store.js';
import type { ScheduleSlot } from './schedule-times.js';
import { type ScheduledSync, Scheduler, type SchedulerEvent } from './scheduler.js';

let dir: string;
let state: StateStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-scheduler-'));
  state = await openStateStore({ kind: 'sqlite', path: join(dir, 'state.db') });
});

afterEach(async () => {
  await state.close();
  await rm(dir, { recursive: true, force: true });
});

/**
 * A scheduler on the real state with a clock the test sets. Its `request` does what a run does to
 * the state when it starts — a run in the history and the sync's run lock — so the scheduler sees
 * runs as it would in `sluice serve`; `finish` ends one.
 */
function harness(syncs: ScheduledSync[], start: string) {
  let now = new Date(start);
  const events: SchedulerEvent[] = [];
  const requests: { sync: string; slot: ScheduleSlot }[] = [];
  const running = new Map<string, { runId: string; holderId: string }>();
  let answer: 'run' | 'busy' = 'run';
  const scheduler = new Scheduler({
    syncs,
    state,
    now: () => now,
    log: (event) => events.push(event),
    request: async (sync, slot) => {
      requests.push({ sync, slot });
      if (answer === 'busy') return 'busy';
      const runId = await state.runs.start({ sync, fullResync: false, startedAt: now.toISOString() });
      const holderId = randomUUID();
      const lock = await state.locks.acquire(
        `sync:${sync}`,
        { id: holderId, host: 'test', pid: process.pid, label: runId },
        3_600_000,
      );
      expect(lock.acquired).toBe(true);
      running.set(sync, { runId, holderId });
      return { runId };
    },
  });
  return {
    scheduler,
    events,
    requests,
    at(time: string) {
      now = new Date(time);
    },
    answerBusy() {
      answer = 'busy';
    },
    async finish(sync: string, status: 'completed' | 'failed' = 'completed') {
      const run = running.get(sync)!;
      await state.runs.finish(run.runId, {
        status,
        counts: emptyCounts(),
        finishedAt: now.toISOString(),
        error: status === 'failed' ? { code: 'boom', message: 'boom' } : null,
      });
      await state.locks.release(`sync:${sync}`, run.holderId);
      running.delete(sync);
      return run.runId;
    },
  };
}

const every = (ms: number): ScheduleConfig => ({ kind: 'every', everyMs: ms });
const MIN = 60_000;

describe('Scheduler', () => {
  it('fires a due slot once, records its run, and fires the next slot on the grid with its lag', async () => {
    const h = harness(
      [{ name: 'users', schedule: every(15 * MIN) }, { name: 'by-hand' }],
      '2026-03-01T10:00:00.300Z',
    );
    await h.scheduler.tick();
    await h.scheduler.tick();
    expect(h.requests).toEqual([
      { sync: 'users', slot: { slot: '2026-03-01T10:00:00.000Z', kind: 'every' } },
    ]);
    const [fired] = h.events;
    expect(fired).toMatchObject({
      event: 'schedule_fired',
      sync: 'users',
      slot: '2026-03-01T10:00:00.000Z',
      lag_ms: 300,
    });
    expect(await state.schedules.last('users')).toMatchObject({
      slot: '2026-03-01T10:00:00.000Z',
      outcome: 'fired',
      runId: (fired as { run_id: string }).run_id,
    });
    h.at('2026-03-01T10:03:00.000Z');
    await h.finish('users');
    h.at('2026-03-01T10:14:59.000Z');
    await h.scheduler.tick();
    expect(h.requests).toHaveLength(1);
    expect(await h.scheduler.nextRuns()).toEqual(new Map([['users', '2026-03-01T10:15:00.000Z']]));
    h.at('2026-03-01T10:15:02.000Z');
    await h.scheduler.tick();
    expect(h.requests.map((r) => r.slot.slot)).toEqual([
      '2026-03-01T10:00:00.000Z',
      '2026-03-01T10:15:00.000Z',
    ]);
    expect(h.events.at(-1)).toMatchObject({ event: 'schedule_fired', lag_ms: 2000 });
  });

  it('skips a slot while the sync runs, records why, and never starts it twice', async () => {
    const h = harness(
      [{ name: 'users', schedule: { kind: 'cron', cron: '*/5 * * * *' } }],
      '2026-03-01T10:00:10.000Z',
    );
    await h.scheduler.tick();
    const firstRun = (h.events[0] as { run_id: string }).run_id;
    // The run is still going at the next slot.
    h.at('2026-03-01T10:05:00.500Z');
    await h.scheduler.tick();
    await h.scheduler.tick();
    expect(h.requests).toHaveLength(1);
    expect(h.events.slice(1)).toEqual([
      {
        event: 'schedule_skipped',
        sync: 'users',
        slot: '2026-03-01T10:05:00.000Z',
        reason: `already running (${firstRun})`,
      },
    ]);
    expect(await state.schedules.list('users', 10)).toEqual([
      expect.objectContaining({ slot: '2026-03-01T10:05:00.000Z', outcome: 'skipped', runId: null }),
      expect.objectContaining({ slot: '2026-03-01T10:00:00.000Z', outcome: 'fired', runId: firstRun }),
    ]);
    h.at('2026-03-01T10:07:00.000Z');
    await h.finish('users');
    await h.scheduler.tick();
    expect(h.requests).toHaveLength(1);
    h.at('2026-03-01T10:10:00.000Z');
    await h.scheduler.tick();
    expect(h.requests.map((r) => r.slot.slot)).toEqual([
      '2026-03-01T10:00:00.000Z',
      '2026-03-01T10:10:00.000Z',
    ]);
  });

  it('records a slot as skipped when the request answers busy', async () => {
    const h = harness([{ name: 'users', schedule: { kind: 'continuous' } }], '2026-03-01T10:00:00.000Z');
    h.answerBusy();
    await h.scheduler.tick();
    expect(h.events).toEqual([
      {
        event: 'schedule_skipped',
        sync: 'users',
        slot: '2026-03-01T10:00:00.000Z',
        reason: 'already running or waiting to run',
      },
    ]);
    expect(await state.schedules.last('users')).toMatchObject({ outcome: 'skipped', runId: null });
  });

  it('fires a schedule missed while nothing ran once when it comes back, not once per slot', async () => {
    const h = harness([{ name: 'users', schedule: every(60 * MIN) }], '2026-03-01T00:00:00.000Z');
    await h.scheduler.tick();
    h.at('2026-03-01T00:10:00.000Z');
    await h.finish('users');
    // Down for five and a half hours: five slots missed.
    const back = harness([{ name: 'users', schedule: every(60 * MIN) }], '2026-03-01T05:30:00.000Z');
    await back.scheduler.tick();
    back.at('2026-03-01T05:30:01.000Z');
    await back.scheduler.tick();
    expect(back.requests.map((r) => r.slot.slot)).toEqual(['2026-03-01T05:00:00.000Z']);
    expect(back.events).toEqual([expect.objectContaining({ event: 'schedule_fired', lag_ms: 30 * MIN })]);
  });

  it('counts a run from when it started, not from when it was queued', async () => {
    const h = harness([{ name: 'users', schedule: every(60 * MIN) }], '2026-03-01T08:00:00.000Z');
    const runId = await state.runs.start({
      sync: 'users',
      fullResync: false,
      startedAt: '2026-03-01T08:00:00.000Z',
    });
    await state.runs.finish(runId, {
      status: 'completed',
      counts: emptyCounts(),
      finishedAt: '2026-03-01T08:05:00.000Z',
      error: null,
    });
    // Asked for at 09:30 and still waiting: the last run that started is the one at 08:00.
    await state.runs.enqueue({
      sync: 'users',
      dryRun: false,
      fullResync: false,
      requestedAt: '2026-03-01T09:30:00.000Z',
    });
    h.at('2026-03-01T10:00:00.000Z');
    await h.scheduler.tick();
    expect(h.requests).toEqual([
      { sync: 'users', slot: { slot: '2026-03-01T10:00:00.000Z', kind: 'every' } },
    ]);
  });

  it('chains after: schedules on their parents’ completed real runs, never on dry runs', async () => {
    const syncs: ScheduledSync[] = [
      { name: 'accounts', schedule: every(60 * MIN) },
      { name: 'users', schedule: every(60 * MIN) },
      { name: 'rollup', schedule: { kind: 'after', syncs: ['accounts', 'users'] } },
    ];
    const h = harness(syncs, '2026-03-01T10:00:00.000Z');
    await h.scheduler.tick();
    expect(h.requests.map((r) => r.sync)).toEqual(['accounts', 'users']);
    h.at('2026-03-01T10:01:00.000Z');
    await h.finish('accounts');
    await h.scheduler.tick();
    expect(h.requests).toHaveLength(2);
    h.at('2026-03-01T10:02:00.000Z');
    await h.finish('users');
    expect(await h.scheduler.nextRuns()).toEqual(
      new Map([
        ['accounts', '2026-03-01T11:00:00.000Z'],
        ['users', '2026-03-01T11:00:00.000Z'],
        ['rollup', null],
      ]),
    );
    h.at('2026-03-01T10:02:01.000Z');
    await h.scheduler.tick();
    expect(h.requests.at(-1)).toEqual({
      sync: 'rollup',
      slot: { slot: '2026-03-01T10:02:00.000Z', kind: 'after' },
    });
    h.at('2026-03-01T10:05:00.000Z');
    await h.finish('rollup');
    // A dry run of both parents completing later is no reason to run again.
    await state.transfer.importPieces(
      ['accounts', 'users'].map((sync) => ({
        kind: 'run' as const,
        run: {
          runId: `dry-${sync}`,
          sync,
          status: 'completed' as const,
          dryRun: true,
          fullResync: false,
          counts: emptyCounts(),
          startedAt: '2026-03-01T10:06:00.000Z',
          finishedAt: '2026-03-01T10:07:00.000Z',
          error: null,
        },
      })),
    );
    h.at('2026-03-01T10:08:00.000Z');
    await h.scheduler.tick();
    expect(h.requests).toHaveLength(3);
  });

  it('lets an after: sync that is running when its parents complete run again once it is free', async () => {
    const syncs: ScheduledSync[] = [
      { name: 'accounts', schedule: every(60 * MIN) },
      { name: 'rollup', schedule: { kind: 'after', syncs: ['accounts'] } },
    ];
    const h = harness(syncs, '2026-03-01T10:00:00.000Z');
    await h.scheduler.tick();
    h.at('2026-03-01T10:01:00.000Z');
    await h.finish('accounts');
    await h.scheduler.tick();
    expect(h.requests.map((r) => r.sync)).toEqual(['accounts', 'rollup']);
    // rollup still runs (it read before accounts' next round) when accounts completes again.
    h.at('2026-03-01T11:00:00.000Z');
    await h.scheduler.tick();
    h.at('2026-03-01T11:01:00.000Z');
    await h.finish('accounts');
    await h.scheduler.tick();
    expect(h.requests.map((r) => r.sync)).toEqual(['accounts', 'rollup', 'accounts']);
    expect(h.events.filter((e) => e.event === 'schedule_skipped')).toEqual([]);
    h.at('2026-03-01T11:02:00.000Z');
    await h.finish('rollup');
    await h.scheduler.tick();
    expect(h.requests.at(-1)).toEqual({
      sync: 'rollup',
      slot: { slot: '2026-03-01T11:01:00.000Z', kind: 'after' },
    });
  });

  it('logs a failing state store once, keeps ticking, and fires once the store answers again', async () => {
    let down = true;
    // The real store, with every call failing while `down`: a database that went away and came back.
    const flaky = new Proxy(state, {
      get(target, group) {
        const value = Reflect.get(target, group);
        if (typeof value !== 'object' || value === null) return value;
        return new Proxy(value, {
          get(inner, method) {
            const fn = Reflect.get(inner, method);
            if (typeof fn !== 'function') return fn;
            return (...args: unknown[]) =>
              down ? Promise.reject(new Error('the state store is unreachable')) : fn.apply(inner, args);
          },
        });
      },
    });
    const events: SchedulerEvent[] = [];
    const requested: string[] = [];
    const scheduler = new Scheduler({
      syncs: [{ name: 'users', schedule: { kind: 'continuous' } }],
      state: flaky,
      now: () => new Date('2026-03-01T10:00:00.000Z'),
      log: (event) => events.push(event),
      request: async (sync) => {
        requested.push(sync);
        return { runId: 'run-1' };
      },
    });
    await scheduler.tick();
    await scheduler.tick();
    expect(events).toEqual([
      { event: 'scheduler_error', message: 'schedule of "users": the state store is unreachable' },
    ]);
    down = false;
    await scheduler.tick();
    expect(requested).toEqual(['users']);
    expect(events.at(-1)).toMatchObject({ event: 'schedule_fired', run_id: 'run-1' });
  });

  it('ticks on its own once started, unref’d, and stops', async () => {
    const events: SchedulerEvent[] = [];
    const scheduler = new Scheduler({
      syncs: [{ name: 'users', schedule: { kind: 'continuous' } }],
      state,
      tickMs: 20,
      log: (event) => events.push(event),
      request: async () => ({ runId: 'run-1' }),
    });
    scheduler.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await scheduler.stop();
    expect(events.filter((e) => e.event === 'schedule_fired')).toHaveLength(1);
    expect(events.filter((e) => e.event === 'scheduler_error')).toEqual([]);
  });
});
