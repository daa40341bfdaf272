import type { ScheduleConfig } from '../../core/workspace.js';
import { formatTable, type Io, printJson } from '../output.js';
import type { Runtime } from '../runtime.js';
import { runJson } from './history.js';

/** `sluice sync list`: every sync with its model, object, schedule and last run. */
export async function syncListCommand(runtime: Runtime, options: { json: boolean }, io: Io): Promise<number> {
  const state = await runtime.state();
  const syncs = Object.values(runtime.workspace.syncs);
  const listed = await Promise.all(
    syncs.map(async (sync) => {
      const [last] = (await state.runs.list({ sync: sync.name, limit: 1 })).items;
      return { sync, last: last ?? null };
    }),
  );
  if (options.json) {
    printJson(
      io,
      listed.map(({ sync, last }) => ({
        name: sync.name,
        model: sync.model,
        destination: sync.destination,
        object: sync.object,
        schedule: sync.schedule ? describeSchedule(sync.schedule) : null,
        last_run: last ? runJson(last) : null,
      })),
    );
    return 0;
  }
  if (listed.length === 0) {
    io.stdout.write('No syncs in sluice.yaml yet.\n');
    return 0;
  }
  const rows = listed.map(({ sync, last }) => [
    sync.name,
    sync.model,
    `${sync.object} → ${sync.destination}`,
    sync.schedule ? describeSchedule(sync.schedule) : 'manual',
    last ? `${last.status} ${last.finishedAt ?? last.startedAt}` : 'never',
  ]);
  io.stdout.write(`${formatTable(['SYNC', 'MODEL', 'OBJECT', 'SCHEDULE', 'LAST RUN'], rows)}\n`);
  return 0;
}

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
