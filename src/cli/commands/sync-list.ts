import type { Sluice } from '../../index.js';
import { formatTable, type Io, printJson } from '../output.js';

/** `sluice sync list`: every sync with its model, object, schedule, next and last run. */
export async function syncListCommand(sluice: Sluice, options: { json: boolean }, io: Io): Promise<number> {
  const syncs = await sluice.syncs();
  if (options.json) {
    printJson(io, syncs);
    return 0;
  }
  if (syncs.length === 0) {
    io.stdout.write('No syncs in sluice.yaml yet.\n');
    return 0;
  }
  const rows = syncs.map((sync) => [
    sync.name,
    sync.model,
    `${sync.object} → ${sync.destination}`,
    sync.schedule ?? 'manual',
    // Null: run by hand, or after other syncs (the schedule column says which).
    sync.next_run_at ?? '-',
    sync.last_run
      ? `${sync.last_run.status} ${sync.last_run.finished_at ?? sync.last_run.started_at}`
      : 'never',
  ]);
  io.stdout.write(`${formatTable(['SYNC', 'MODEL', 'OBJECT', 'SCHEDULE', 'NEXT RUN', 'LAST RUN'], rows)}\n`);
  return 0;
}
