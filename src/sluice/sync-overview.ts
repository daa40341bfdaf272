import type { ObjectKind, ScheduleConfig, SyncConfig } from '../core/workspace.js';
import type { RunDocument } from './documents.js';

/** A sync as `sluice sync list --json` and `Sluice.syncs` give it. */
export interface SyncOverview {
  name: string;
  model: string;
  destination: string;
  object: ObjectKind;
  /** The schedule in words (`every 15m`, `cron 0 6 * * * (Europe/Berlin)`), or null: run by hand. */
  schedule: string | null;
  /**
   * When its schedule runs it next (ISO), from what the state remembers (schedule/schedule-times.ts):
   * a time already past means due now, fired at `sluice serve`'s next tick. Null when it has no
   * schedule or is scheduled `after:` other syncs (it runs when they complete).
   */
  next_run_at: string | null;
  /** The newest run, real or dry, finished or not; null when it never ran. */
  last_run: RunDocument | null;
}

export function syncOverview(
  sync: SyncConfig,
  lastRun: RunDocument | null,
  nextRunAt: string | null,
): SyncOverview {
  return {
    name: sync.name,
    model: sync.model,
    destination: sync.destination,
    object: sync.object,
    schedule: sync.schedule ? describeSchedule(sync.schedule) : null,
    next_run_at: nextRunAt,
    last_run: lastRun,
  };
}

/** A schedule in the words sluice.yaml uses for it. */
export function describeSchedule(schedule: ScheduleConfig): string {
  switch (schedule.kind) {
    case 'cron':
      return schedule.timezone ? `cron ${schedule.cron} (${schedule.timezone})` : `cron ${schedule.cron}`;
    case 'every':
      return `every ${formatEvery(schedule.everyMs)}`;
    case 'continuous':
      return 'continuous';
    case 'after':
      return `after ${schedule.syncs.join(', ')}`;
  }
}

function formatEvery(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
