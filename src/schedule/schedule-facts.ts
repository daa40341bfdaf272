import type { ScheduleConfig } from '../core/workspace.js';
import type { StateStore } from '../state/state-store.js';
import type { ScheduleFacts } from './schedule-times.js';

/** Reads what `scheduleTimes` needs to know about one sync from the state (schedule-times.ts). */
export async function readScheduleFacts(
  state: StateStore,
  sync: string,
  schedule: ScheduleConfig,
): Promise<ScheduleFacts> {
  const [last, started, completed, parents] = await Promise.all([
    state.schedules.last(sync),
    lastRealRunStart(state, sync),
    state.runs.lastCompleted(sync),
    schedule.kind === 'after'
      ? Promise.all(
          schedule.syncs.map(async (parent) => {
            const run = await state.runs.lastCompleted(parent);
            return [parent, run?.finishedAt ?? null] as const;
          }),
        )
      : [],
  ]);
  return {
    lastSlot: last?.slot ?? null,
    lastRunStartedAt: started,
    lastCompletedAt: completed?.finishedAt ?? null,
    parentsCompletedAt: Object.fromEntries(parents),
  };
}

/**
 * When the sync's newest real run started: dry runs never count for a schedule, and a run still
 * queued has not started (its `startedAt` is when it was asked for).
 */
async function lastRealRunStart(state: StateStore, sync: string): Promise<string | null> {
  let cursor: string | undefined;
  do {
    const page = await state.runs.list({ sync, limit: 20, ...(cursor === undefined ? {} : { cursor }) });
    const real = page.items.find((run) => !run.dryRun && run.status !== 'queued');
    if (real !== undefined) return real.startedAt;
    cursor = page.next ?? undefined;
  } while (cursor !== undefined);
  return null;
}
