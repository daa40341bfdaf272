import { Cron } from 'croner';
import type { ScheduleConfig } from '../core/workspace.js';

/**
 * When a scheduled sync is due, as a pure function of what the state store remembers and the time
 * (SPEC §5). Every process sharing a state computes the same slot from the same facts, so the slot
 * can be claimed once in the store (`StateStore.schedules.claim`) and fire once, however many
 * `sluice serve` processes look.
 *
 * The rules, for each kind:
 * - **cron** (croner, in the schedule's time zone, UTC without one; day-of-month and day-of-week as
 *   Vixie cron's OR): the slots are the pattern's times. A slot missed while nothing ticked fires
 *   once, the latest one, when Sluice comes back. A schedule that never had a slot claimed does not
 *   fire retroactively: only a slot at most `FIRST_SLOT_GRACE_MS` old fires; older ones wait for the
 *   next time.
 * - **every D**: on a fixed grid, `lastSlot + k·D`, which run durations do not move. Before its first
 *   claimed slot the sync fires at once when it never completed a real run or its last real run
 *   started at least D ago (then on the grid of that run's start, so every process agrees on the
 *   slot), else its first slot is that run's start + D.
 * - **continuous**: every 60 s, by the `every` rules.
 * - **after [a, b]**: due once every parent completed a real run since this sync's last real run
 *   started (never ran: once each parent completed at least once). Its slot is the latest of those
 *   completions, so a chain fires once per round of its parents. It has no next time to show.
 *
 * A slot is **covered**, and does not fire, when a real run of the sync started at or after the
 * slot's time (someone ran it by hand while Sluice was down): it already has the data the slot would
 * have fetched. Dry runs never count, for anything.
 */

/** What the state says about one sync, for its schedule (read by `readScheduleFacts`). */
export interface ScheduleFacts {
  /** The time of this sync's latest claimed slot (fired or skipped), ISO; null: none yet. */
  lastSlot: string | null;
  /** When this sync's newest real run started (not one still queued), whatever became of it; null: never ran. */
  lastRunStartedAt: string | null;
  /** When this sync's newest completed real run finished; null: none ever completed. */
  lastCompletedAt: string | null;
  /** For `after:`, each parent's newest completed real run's `finished_at` (null: never). */
  parentsCompletedAt: Readonly<Record<string, string | null>>;
}

/** A slot that is due: the same for every process reading the same state. */
export interface ScheduleSlot {
  /** The slot's identity, claimed once per sync: the ISO time it fell due (UTC, milliseconds). */
  slot: string;
  /** The kind of schedule it comes from. */
  kind: ScheduleConfig['kind'];
}

/** What a sync's schedule says now: the slot due, if any, and the next time it runs. */
export interface ScheduleTimes {
  due: ScheduleSlot | null;
  /**
   * For display: the due slot's time when one is due (it fires at the scheduler's next tick, or when
   * `sluice serve` runs again), else the next slot's; null for `after:` (it waits on its parents).
   */
  nextRunAt: string | null;
}

/** `continuous` polls about every minute (SPEC §5). */
export const CONTINUOUS_EVERY_MS = 60_000;

/** How old a cron schedule's first slot may be and still fire (see above). */
export const FIRST_SLOT_GRACE_MS = 60_000;

export function scheduleTimes(schedule: ScheduleConfig, facts: ScheduleFacts, now: Date): ScheduleTimes {
  switch (schedule.kind) {
    case 'cron':
      return cronTimes(schedule.cron, schedule.timezone, facts, now);
    case 'every':
      return everyTimes(schedule.everyMs, 'every', facts, now);
    case 'continuous':
      return everyTimes(CONTINUOUS_EVERY_MS, 'continuous', facts, now);
    case 'after':
      return { due: afterSlot(schedule.syncs, facts), nextRunAt: null };
  }
}

/** The croner job for a cron schedule: evaluates times, schedules nothing (no callback). */
export function cronOf(pattern: string, timezone: string | undefined): Cron {
  return new Cron(pattern, { timezone: timezone ?? 'UTC', domAndDow: false });
}

function cronTimes(
  pattern: string,
  timezone: string | undefined,
  facts: ScheduleFacts,
  now: Date,
): ScheduleTimes {
  const cron = cronOf(pattern, timezone);
  const nowMs = now.getTime();
  const lastSlotMs = ms(facts.lastSlot);
  // croner's `from` is exclusive: the latest match at or before now is the previous run before now + 1 ms.
  const latest = cron.previousRuns(1, new Date(nowMs + 1))[0];
  if (latest !== undefined) {
    const latestMs = latest.getTime();
    const unclaimed = lastSlotMs === null ? nowMs - latestMs <= FIRST_SLOT_GRACE_MS : latestMs > lastSlotMs;
    if (unclaimed && !covered(latestMs, facts)) {
      const slot = iso(latestMs);
      return { due: { slot, kind: 'cron' }, nextRunAt: slot };
    }
  }
  // A slot claimed by a process whose clock runs ahead of ours is not fired again.
  const next = cron.nextRun(new Date(Math.max(nowMs, lastSlotMs ?? nowMs)));
  return { due: null, nextRunAt: next === null ? null : next.toISOString() };
}

function everyTimes(
  everyMs: number,
  kind: 'every' | 'continuous',
  facts: ScheduleFacts,
  now: Date,
): ScheduleTimes {
  const nowMs = now.getTime();
  const lastSlotMs = ms(facts.lastSlot);
  const startedMs = ms(facts.lastRunStartedAt);
  if (lastSlotMs === null) {
    if (startedMs !== null && startedMs + everyMs <= nowMs) {
      // Due since its last run's start + D: the latest point of that run's grid, the same for everyone.
      return due(gridPoint(startedMs, everyMs, nowMs), kind);
    }
    if (facts.lastCompletedAt === null) {
      // Never completed: at once. The slot is now to the second, so processes ticking in the same
      // second agree; one that comes later sees the claimed slot.
      return due(Math.floor(nowMs / 1000) * 1000, kind);
    }
    return { due: null, nextRunAt: iso((startedMs ?? nowMs) + everyMs) };
  }
  if (lastSlotMs + everyMs > nowMs) return { due: null, nextRunAt: iso(lastSlotMs + everyMs) };
  const slotMs = gridPoint(lastSlotMs, everyMs, nowMs);
  if (covered(slotMs, facts)) return { due: null, nextRunAt: iso(slotMs + everyMs) };
  return due(slotMs, kind);
}

function afterSlot(parents: readonly string[], facts: ScheduleFacts): ScheduleSlot | null {
  const startedMs = ms(facts.lastRunStartedAt);
  let latestMs = Number.NEGATIVE_INFINITY;
  for (const parent of parents) {
    const finishedMs = ms(facts.parentsCompletedAt[parent] ?? null);
    if (finishedMs === null || (startedMs !== null && finishedMs <= startedMs)) return null;
    latestMs = Math.max(latestMs, finishedMs);
  }
  if (!Number.isFinite(latestMs)) return null;
  const lastSlotMs = ms(facts.lastSlot);
  if (lastSlotMs !== null && lastSlotMs >= latestMs) return null;
  return { slot: iso(latestMs), kind: 'after' };
}

/** The latest `originMs + k·stepMs` (k ≥ 1) at or before `nowMs`: missed slots collapse into it. */
function gridPoint(originMs: number, stepMs: number, nowMs: number): number {
  return originMs + Math.floor((nowMs - originMs) / stepMs) * stepMs;
}

/** A real run that started at or after the slot already did what the slot would. */
function covered(slotMs: number, facts: ScheduleFacts): boolean {
  const startedMs = ms(facts.lastRunStartedAt);
  return startedMs !== null && startedMs >= slotMs;
}

function due(slotMs: number, kind: ScheduleSlot['kind']): ScheduleTimes {
  const slot = iso(slotMs);
  return { due: { slot, kind }, nextRunAt: slot };
}

function ms(time: string | null): number | null {
  return time === null ? null : Date.parse(time);
}

function iso(timeMs: number): string {
  return new Date(timeMs).toISOString();
}
