import type { RecordDocument, RecordStatus, Sluice } from '../../index.js';
import { formatCount, formatTable, type Io, printJson } from '../output.js';

/** `sluice runs [SYNC] [--limit N]`: run history, newest first. */
export async function runsCommand(
  sluice: Sluice,
  sync: string | undefined,
  options: { limit: number; json: boolean },
  io: Io,
): Promise<number> {
  const runs = (await sluice.runs({ ...(sync === undefined ? {} : { sync }), limit: options.limit })).items;
  if (options.json) {
    printJson(io, runs);
    return 0;
  }
  if (runs.length === 0) {
    io.stdout.write('No runs yet. Start one with: sluice sync run <name>\n');
    return 0;
  }
  const rows = runs.map((r) => [
    r.run_id,
    r.sync,
    r.status,
    r.started_at,
    formatCount(r.counts.extracted),
    formatCount(r.counts.planned),
    formatCount(r.counts.succeeded),
    formatCount(r.counts.failed),
    formatCount(r.counts.abandoned),
    formatCount(r.counts.invalid),
    formatCount(r.counts.removed),
    r.error ? `${r.error.code}: ${r.error.message}` : '',
  ]);
  io.stdout.write(
    `${formatTable(['RUN', 'SYNC', 'STATUS', 'STARTED', 'READ', 'PLANNED', 'DELIVERED', 'FAILED', 'ABANDONED', 'INVALID', 'REMOVED', 'ERROR'], rows)}\n`,
  );
  return 0;
}

/** `sluice records RUN_ID [--status S] [--limit N]`: what happened to each planned or invalid row. */
export async function recordsCommand(
  sluice: Sluice,
  runId: string,
  options: { status?: string; limit: number; json: boolean },
  io: Io,
): Promise<number> {
  const status = options.status as RecordStatus | undefined;
  const records = await firstRecords(sluice, runId, status, options.limit);
  if (options.json) {
    printJson(io, records);
    return 0;
  }
  if (records.length === 0) {
    const run = (await sluice.getRun(runId))!;
    io.stdout.write(
      run.records_pruned_at === undefined
        ? `Run ${runId} (${run.sync}) has no${status ? ` ${status}` : ''} records.\n`
        : `Run ${runId} (${run.sync}) has no records any more: retention pruned them on ${run.records_pruned_at} (its summary stays: sluice runs).\n`,
    );
    return 0;
  }
  const rows = records.map((r) => [r.key, r.status, r.reason, r.message_id, r.message ?? '']);
  io.stdout.write(`${formatTable(['KEY', 'STATUS', 'REASON', 'MESSAGE ID', 'DETAIL'], rows)}\n`);
  return 0;
}

/** The first `limit` records of a run, read a page at a time (pages are at most 10,000 records). */
async function firstRecords(
  sluice: Sluice,
  runId: string,
  status: RecordStatus | undefined,
  limit: number,
): Promise<RecordDocument[]> {
  const records: RecordDocument[] = [];
  let cursor: string | undefined;
  do {
    const page = await sluice.records(runId, {
      ...(status === undefined ? {} : { status }),
      limit: Math.min(limit - records.length, 10_000),
      ...(cursor === undefined ? {} : { cursor }),
    });
    records.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined && records.length < limit);
  return records;
}
