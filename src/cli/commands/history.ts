import { SluiceError } from '../../core/errors.js';
import { RECORD_STATUSES, type RecordStatus, type RunRecord, type RunSummary } from '../../core/run.js';
import { formatCount, formatTable, type Io, printJson } from '../output.js';
import type { Runtime } from '../runtime.js';

/** A run as printed by `--json`: the same snake_case shape as `sync run --json`. */
export function runJson(run: RunSummary) {
  return {
    run_id: run.runId,
    sync: run.sync,
    status: run.status,
    dry_run: run.dryRun,
    full_resync: run.fullResync,
    counts: run.counts,
    started_at: run.startedAt,
    finished_at: run.finishedAt,
    duration_ms: run.finishedAt === null ? null : Date.parse(run.finishedAt) - Date.parse(run.startedAt),
    error: run.error,
  };
}

function recordJson(record: RunRecord) {
  return {
    run_id: record.runId,
    key: record.key,
    status: record.status,
    reason: record.reason,
    message: record.message,
    message_id: record.messageId,
    payload: record.payload === null ? null : parseOrText(record.payload),
  };
}

/** `sluice runs [SYNC] [--limit N]`: run history, newest first. */
export async function runsCommand(
  runtime: Runtime,
  sync: string | undefined,
  options: { limit: number; json: boolean },
  io: Io,
): Promise<number> {
  if (sync !== undefined) runtime.sync(sync);
  const state = await runtime.state();
  const runs = (await state.runs.list({ ...(sync === undefined ? {} : { sync }), limit: options.limit }))
    .items;
  if (options.json) {
    printJson(io, runs.map(runJson));
    return 0;
  }
  if (runs.length === 0) {
    io.stdout.write('No runs yet. Start one with: sluice sync run <name>\n');
    return 0;
  }
  const rows = runs.map((r) => [
    r.runId,
    r.sync,
    r.status,
    r.startedAt,
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
  runtime: Runtime,
  runId: string,
  options: { status?: string; limit: number; json: boolean },
  io: Io,
): Promise<number> {
  if (options.status !== undefined && !RECORD_STATUSES.includes(options.status as RecordStatus)) {
    throw new SluiceError(
      'usage',
      `--status must be one of ${RECORD_STATUSES.join(', ')}, not "${options.status}"`,
    );
  }
  const state = await runtime.state();
  const run = await state.runs.get(runId);
  if (run === null) throw new SluiceError('not_found', `no run "${runId}" — list runs with: sluice runs`);
  const records = (
    await state.runs.records(runId, {
      ...(options.status === undefined ? {} : { status: options.status as RecordStatus }),
      limit: options.limit,
    })
  ).items;
  if (options.json) {
    printJson(io, records.map(recordJson));
    return 0;
  }
  if (records.length === 0 && run.recordsPrunedAt !== undefined) {
    io.stdout.write(
      `Run ${runId} (${run.sync}) has no records any more: retention pruned them on ${run.recordsPrunedAt} (its summary stays: sluice runs).\n`,
    );
    return 0;
  }
  if (records.length === 0) {
    io.stdout.write(
      `Run ${runId} (${run.sync}) has no${options.status ? ` ${options.status}` : ''} records.\n`,
    );
    return 0;
  }
  const rows = records.map((r) => [r.key, r.status, r.reason, r.messageId, r.message ?? '']);
  io.stdout.write(`${formatTable(['KEY', 'STATUS', 'REASON', 'MESSAGE ID', 'DETAIL'], rows)}\n`);
  return 0;
}

function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
