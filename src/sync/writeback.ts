/**
 * Warehouse writeback (SPEC §7): after a real run has ended, every record of the run goes into the
 * table the sync names, in a writable source, through that source's `WritebackWriter` (its own
 * connection for writing, opened after the run's reading is done, SPEC §5). A writeback that fails
 * does not fail the run: the outcome says what went wrong, and the run summary carries it, in the
 * result and in the run history (`RunSummary.writeback`), where a later writeback of the run
 * replaces it.
 */
import { isSluiceError } from '../core/errors.js';
import type { ObjectKind, SyncConfig } from '../core/workspace.js';
import type { WritebackRow, WritebackWriter } from '../sources/source.js';
import type { StateStore } from '../state/state-store.js';
import type { SyncRunResult, WritebackOutcome } from './run-result.js';

/** The destination call each object makes (SPEC §1): the writeback's `operation` column. */
const OPERATIONS: Readonly<Record<ObjectKind, string>> = { user: 'identify', group: 'group', event: 'track' };

/** Records read from the state store per page. */
const PAGE = 1000;

/** The run a writeback writes: a finished run of the sync. */
export interface FinishedRun {
  runId: string;
  dryRun: boolean;
  /** When the run finished: every row's `recorded_at`, so that writing the run again writes the same rows. */
  finishedAt: string;
}

/** The run of a summary `runSync` answered. */
export function finishedRun(result: SyncRunResult): FinishedRun {
  return { runId: result.run_id, dryRun: result.dry_run, finishedAt: result.finished_at };
}

/**
 * Writes the records of the finished `run` into `sync.writeback`'s table with `writer` (made on
 * demand by the caller for that source; it may throw), then keeps the outcome in the run's history
 * (`at`: when it ended, by `now`). Nothing for a dry run or a sync without `writeback:`. A failure
 * of the writeback is the outcome's `error`; only a state store that cannot keep the outcome throws.
 */
export async function writeBackRun(
  sync: SyncConfig,
  run: FinishedRun,
  state: StateStore,
  writer: () => Promise<WritebackWriter>,
  now: () => Date = () => new Date(),
): Promise<WritebackOutcome | undefined> {
  const target = sync.writeback;
  if (target === undefined || run.dryRun) return undefined;
  let rows = 0;
  let error: WritebackOutcome['error'] = null;
  try {
    rows = await (await writer()).write({
      table: target.table,
      runId: run.runId,
      rows: runRows(state, sync, run),
    });
  } catch (failure) {
    error = {
      code: isSluiceError(failure) ? failure.code : 'source_error',
      message: failure instanceof Error ? failure.message : String(failure),
    };
  }
  const outcome: WritebackOutcome = {
    source: target.source,
    table: target.table,
    rows,
    error,
    at: now().toISOString(),
  };
  await state.runs.recordWriteback(run.runId, outcome);
  return outcome;
}

/** The run's records as writeback rows, a page at a time, in the order they were recorded. */
async function* runRows(
  state: StateStore,
  sync: SyncConfig,
  run: FinishedRun,
): AsyncGenerator<WritebackRow[]> {
  const operation = OPERATIONS[sync.object];
  let cursor: string | undefined;
  do {
    const page = await state.runs.records(run.runId, {
      limit: PAGE,
      ...(cursor === undefined ? {} : { cursor }),
    });
    yield page.items.map((record) => ({
      sync: sync.name,
      run_id: record.runId,
      key: record.key,
      status: record.status,
      reason: record.reason,
      message_id: record.messageId,
      operation,
      payload: record.payload,
      recorded_at: run.finishedAt,
    }));
    cursor = page.next ?? undefined;
  } while (cursor !== undefined);
}
