import { describe, expect, it } from 'vitest';
import type { ScheduleConfig } from '../core/workspace.js';
import { type ScheduleFacts, scheduleTimes } from './schedule-times.js';

function facts(partial: Partial<ScheduleFacts> = {}): ScheduleFacts {
  return {
    lastSlot: null,
    lastRunStartedAt: null,
    lastCompletedAt: null,
    parentsCompletedAt: {},
    ...partial,
  };
}

const at = (iso: string) => new Date(iso);
const cron = (pattern: string, timezone?: string): ScheduleConfig => ({
  kind: 'cron',
  cron: pattern,
  ...(timezone === undefined ? {} : { timezone }),
});
const every = (ms: number): ScheduleConfig => ({ kind: 'every', everyMs: ms });
const MIN = 60_000;
const HOUR = 60 * MIN;

describe('scheduleTimes', () => {
  it.each<[string, ScheduleConfig, Partial<ScheduleFacts>, string, string | null, string | null]>([
    // [case, schedule, facts, now, due slot, next run]
    [
      'cron in New York fires at 9:00 EST (14:00Z)',
      cron('0 9 * * *', 'America/New_York'),
      { lastSlot: '2026-03-06T14:00:00.000Z' },
      '2026-03-07T14:00:00.300Z',
      '2026-03-07T14:00:00.000Z',
      '2026-03-07T14:00:00.000Z',
    ],
    [
      'cron in New York after the DST change fires at 9:00 EDT (13:00Z), not 14:00Z',
      cron('0 9 * * *', 'America/New_York'),
      { lastSlot: '2026-03-07T14:00:00.000Z' },
      '2026-03-08T13:00:00.500Z',
      '2026-03-08T13:00:00.000Z',
      '2026-03-08T13:00:00.000Z',
    ],
    [
      'cron before its time shows its next run across the DST change',
      cron('0 9 * * *', 'America/New_York'),
      { lastSlot: '2026-03-07T14:00:00.000Z' },
      '2026-03-08T12:59:59.000Z',
      null,
      '2026-03-08T13:00:00.000Z',
    ],
    [
      'cron without a time zone is UTC',
      cron('0 6 * * *'),
      { lastSlot: '2026-03-01T06:00:00.000Z' },
      '2026-03-01T12:00:00.000Z',
      null,
      '2026-03-02T06:00:00.000Z',
    ],
    [
      'cron slots missed while down fire once: the latest',
      cron('0 6 * * *'),
      { lastSlot: '2026-03-01T06:00:00.000Z', lastRunStartedAt: '2026-03-01T06:00:01.000Z' },
      '2026-03-05T10:00:00.000Z',
      '2026-03-05T06:00:00.000Z',
      '2026-03-05T06:00:00.000Z',
    ],
    [
      'cron whose latest slot is claimed waits for the next',
      cron('0 6 * * *'),
      { lastSlot: '2026-03-05T06:00:00.000Z' },
      '2026-03-05T10:00:00.000Z',
      null,
      '2026-03-06T06:00:00.000Z',
    ],
    [
      'cron never fired before does not fire retroactively at first start',
      cron('0 6 * * *'),
      { lastRunStartedAt: '2026-03-01T08:00:00.000Z', lastCompletedAt: '2026-03-01T08:01:00.000Z' },
      '2026-03-05T10:00:00.000Z',
      null,
      '2026-03-06T06:00:00.000Z',
    ],
    [
      'cron never fired before fires a slot that is under a minute old',
      cron('0 6 * * *'),
      {},
      '2026-03-05T06:00:40.000Z',
      '2026-03-05T06:00:00.000Z',
      '2026-03-05T06:00:00.000Z',
    ],
    [
      'cron slot covered by a run started after it (by hand, while down) does not fire',
      cron('0 6 * * *'),
      { lastSlot: '2026-03-01T06:00:00.000Z', lastRunStartedAt: '2026-03-05T07:00:00.000Z' },
      '2026-03-05T10:00:00.000Z',
      null,
      '2026-03-06T06:00:00.000Z',
    ],
    [
      'cron day-of-month OR day-of-week (Vixie): the next Friday comes before the 13th',
      cron('0 9 13 * fri'),
      { lastSlot: '2026-03-01T09:00:00.000Z' },
      '2026-03-01T10:00:00.000Z',
      null,
      '2026-03-06T09:00:00.000Z',
    ],
    [
      'cron day-of-month OR day-of-week (Vixie): Monday the 13th matches too',
      cron('0 9 13 * fri'),
      { lastSlot: '2026-04-10T09:00:00.000Z' },
      '2026-04-10T10:00:00.000Z',
      null,
      '2026-04-13T09:00:00.000Z',
    ],
    [
      'cron slot claimed by a process whose clock runs ahead is not fired again',
      cron('*/5 * * * *'),
      { lastSlot: '2026-03-01T10:05:00.000Z' },
      '2026-03-01T10:04:59.000Z',
      null,
      '2026-03-01T10:10:00.000Z',
    ],
    [
      'every: never ran fires at start (to the second)',
      every(HOUR),
      {},
      '2026-03-01T10:00:00.400Z',
      '2026-03-01T10:00:00.000Z',
      '2026-03-01T10:00:00.000Z',
    ],
    [
      'every: never completed (a failed run 5 minutes ago) fires at start',
      every(HOUR),
      { lastRunStartedAt: '2026-03-01T09:55:00.000Z' },
      '2026-03-01T10:00:00.400Z',
      '2026-03-01T10:00:00.000Z',
      '2026-03-01T10:00:00.000Z',
    ],
    [
      'every: last real run younger than the interval waits for it',
      every(HOUR),
      { lastRunStartedAt: '2026-03-01T09:50:00.000Z', lastCompletedAt: '2026-03-01T09:51:00.000Z' },
      '2026-03-01T10:00:00.000Z',
      null,
      '2026-03-01T10:50:00.000Z',
    ],
    [
      'every: last real run older than the interval fires at start, on that run’s grid',
      every(HOUR),
      { lastRunStartedAt: '2026-03-01T06:50:00.000Z', lastCompletedAt: '2026-03-01T06:51:00.000Z' },
      '2026-03-01T10:00:00.000Z',
      '2026-03-01T09:50:00.000Z',
      '2026-03-01T09:50:00.000Z',
    ],
    [
      'every: on a fixed grid from the last slot, not before its time',
      every(15 * MIN),
      { lastSlot: '2026-03-01T10:00:00.000Z', lastRunStartedAt: '2026-03-01T10:00:07.000Z' },
      '2026-03-01T10:14:59.999Z',
      null,
      '2026-03-01T10:15:00.000Z',
    ],
    [
      'every: a late-starting run does not move the grid',
      every(15 * MIN),
      { lastSlot: '2026-03-01T10:00:00.000Z', lastRunStartedAt: '2026-03-01T10:00:07.000Z' },
      '2026-03-01T10:15:00.500Z',
      '2026-03-01T10:15:00.000Z',
      '2026-03-01T10:15:00.000Z',
    ],
    [
      'every: slots missed while down fire once, the latest on the grid',
      every(15 * MIN),
      { lastSlot: '2026-03-01T10:00:00.000Z', lastRunStartedAt: '2026-03-01T10:00:01.000Z' },
      '2026-03-01T13:07:00.000Z',
      '2026-03-01T13:00:00.000Z',
      '2026-03-01T13:00:00.000Z',
    ],
    [
      'every: a missed slot covered by a run by hand after it waits for the next',
      every(15 * MIN),
      { lastSlot: '2026-03-01T10:00:00.000Z', lastRunStartedAt: '2026-03-01T13:02:00.000Z' },
      '2026-03-01T13:07:00.000Z',
      null,
      '2026-03-01T13:15:00.000Z',
    ],
    [
      'continuous polls every minute on its grid',
      { kind: 'continuous' },
      { lastSlot: '2026-03-01T10:00:00.000Z' },
      '2026-03-01T10:00:59.000Z',
      null,
      '2026-03-01T10:01:00.000Z',
    ],
    [
      'continuous fires a minute after its last slot',
      { kind: 'continuous' },
      { lastSlot: '2026-03-01T10:00:00.000Z' },
      '2026-03-01T10:01:00.000Z',
      '2026-03-01T10:01:00.000Z',
      '2026-03-01T10:01:00.000Z',
    ],
    [
      'continuous fires at start when it never ran',
      { kind: 'continuous' },
      {},
      '2026-03-01T10:00:30.250Z',
      '2026-03-01T10:00:30.000Z',
      '2026-03-01T10:00:30.000Z',
    ],
  ])('%s', (_, schedule, partial, now, due, next) => {
    const times = scheduleTimes(schedule, facts(partial), at(now));
    expect(times.due?.slot ?? null).toBe(due);
    if (due !== null) expect(times.due?.kind).toBe(schedule.kind);
    expect(times.nextRunAt).toBe(next);
  });

  describe('after', () => {
    const after: ScheduleConfig = { kind: 'after', syncs: ['a', 'b'] };
    const now = at('2026-03-01T12:00:00.000Z');

    it.each<[string, Partial<ScheduleFacts>, string | null]>([
      [
        'never ran, one parent never completed',
        { parentsCompletedAt: { a: '2026-03-01T10:00:00.000Z', b: null } },
        null,
      ],
      [
        'never ran, every parent completed once: the slot is the latest completion',
        { parentsCompletedAt: { a: '2026-03-01T10:00:00.000Z', b: '2026-03-01T11:00:00.000Z' } },
        '2026-03-01T11:00:00.000Z',
      ],
      [
        'one parent completed only before this sync last started',
        {
          lastRunStartedAt: '2026-03-01T10:30:00.000Z',
          parentsCompletedAt: { a: '2026-03-01T10:00:00.000Z', b: '2026-03-01T11:00:00.000Z' },
        },
        null,
      ],
      [
        'every parent completed since this sync last started',
        {
          lastRunStartedAt: '2026-03-01T09:30:00.000Z',
          parentsCompletedAt: { a: '2026-03-01T10:00:00.000Z', b: '2026-03-01T11:00:00.000Z' },
        },
        '2026-03-01T11:00:00.000Z',
      ],
      [
        'that round of the parents was claimed already',
        {
          lastSlot: '2026-03-01T11:00:00.000Z',
          lastRunStartedAt: '2026-03-01T09:30:00.000Z',
          parentsCompletedAt: { a: '2026-03-01T10:00:00.000Z', b: '2026-03-01T11:00:00.000Z' },
        },
        null,
      ],
      [
        'a new round after a claimed one',
        {
          lastSlot: '2026-03-01T09:00:00.000Z',
          lastRunStartedAt: '2026-03-01T09:00:01.000Z',
          parentsCompletedAt: { a: '2026-03-01T10:00:00.000Z', b: '2026-03-01T11:00:00.000Z' },
        },
        '2026-03-01T11:00:00.000Z',
      ],
    ])('%s', (_, partial, due) => {
      const times = scheduleTimes(after, facts(partial), now);
      expect(times.due?.slot ?? null).toBe(due);
      expect(times.nextRunAt).toBeNull();
    });
  });

  it('gives every process looking at the same state the same slot, whenever in the tick it looks', () => {
    const state = facts({ lastSlot: '2026-03-01T10:00:00.000Z' });
    const slots = ['10:15:00.000', '10:15:00.999', '10:29:59.999'].map(
      (time) => scheduleTimes(every(15 * MIN), state, at(`2026-03-01T${time}Z`)).due?.slot,
    );
    expect(new Set(slots)).toEqual(new Set(['2026-03-01T10:15:00.000Z']));
  });
});
