import { randomBytes } from 'node:crypto';
import { SluiceError } from '../../core/errors.js';
import {
  emptyCounts,
  type RecordStatus,
  type RunCounts,
  type RunRecord,
  type RunSummary,
} from '../../core/run.js';
import type { FinishRun, NewRun, RunFilter } from '../state-store.js';
import { decodeBatch, encodeBatch, type RecordInput } from './record-batch.js';
import type { SqliteDatabase, SqliteStatement } from './sqlite-database.js';

interface RunRow {
  run_id: string;
  sync: string;
  status: RunSummary['status'];
  dry_run: number;
  full_resync: number;
  counts: string;
  started_at: string;
  finished_at: string | null;
  error_code: string | null;
  error_message: string | null;
  records_pruned_at: string | null;
}

const runColumns =
  'run_id, sync, status, dry_run, full_resync, counts, started_at, finished_at, error_code, error_message, records_pruned_at';
const runSeqOf = '(SELECT seq FROM runs WHERE run_id = ?)';

/**
 * A run id that sorts by start time: "r_", the start in ms as 9 base-36 digits (fixed width, so
 * string order is time order until the year 5188), then 48 random bits against collisions between
 * processes starting in the same millisecond.
 */
export function newRunId(startedAt: Date): string {
  return `r_${startedAt.getTime().toString(36).padStart(9, '0')}${randomBytes(6).toString('hex')}`;
}

/**
 * Run history and per-row outcomes: the `runs` and `record_batches` tables. Statements are prepared once;
 * the caller (SqliteStateStore) owns transactions and error wrapping.
 */
export class SqliteRunHistory {
  readonly #insertRun: SqliteStatement;
  readonly #finishRun: SqliteStatement;
  readonly #getRun: SqliteStatement;
  readonly #listRuns: SqliteStatement;
  readonly #listRunsOfSync: SqliteStatement;
  readonly #listRunsWithStatus: SqliteStatement;
  readonly #listRunsOfSyncWithStatus: SqliteStatement;
  readonly #updateCounts: SqliteStatement;
  readonly #lastCompleted: SqliteStatement;
  readonly #runSeq: SqliteStatement;
  readonly #insertBatch: SqliteStatement;
  readonly #listBatches: SqliteStatement;
  readonly #listBatchesWithStatus: SqliteStatement;

  constructor(db: SqliteDatabase) {
    this.#insertRun = db.prepare(
      `INSERT INTO runs (run_id, sync, status, dry_run, full_resync, counts, started_at)
       VALUES (?, ?, 'running', 0, ?, ?, ?)`,
    );
    this.#finishRun = db.prepare(
      `UPDATE runs SET status = ?, counts = ?, finished_at = ?, error_code = ?, error_message = ?
       WHERE run_id = ?`,
    );
    this.#getRun = db.prepare(`SELECT ${runColumns} FROM runs WHERE run_id = ?`);
    this.#listRuns = db.prepare(`SELECT ${runColumns} FROM runs ORDER BY seq DESC LIMIT ?`);
    this.#listRunsOfSync = db.prepare(
      `SELECT ${runColumns} FROM runs WHERE sync = ? ORDER BY seq DESC LIMIT ?`,
    );
    this.#listRunsWithStatus = db.prepare(
      `SELECT ${runColumns} FROM runs WHERE status = ? ORDER BY seq DESC LIMIT ?`,
    );
    this.#listRunsOfSyncWithStatus = db.prepare(
      `SELECT ${runColumns} FROM runs WHERE sync = ? AND status = ? ORDER BY seq DESC LIMIT ?`,
    );
    this.#updateCounts = db.prepare("UPDATE runs SET counts = ? WHERE run_id = ? AND status = 'running'");
    // Walks the sync's runs newest first (runs_by_sync) to the first completed one, however far back.
    this.#lastCompleted = db.prepare(
      `SELECT ${runColumns} FROM runs WHERE sync = ? AND status = 'completed' AND dry_run = 0
       ORDER BY seq DESC LIMIT 1`,
    );
    this.#runSeq = db.prepare('SELECT seq FROM runs WHERE run_id = ?').raw();
    this.#insertBatch = db.prepare(
      'INSERT INTO record_batches (run_seq, statuses, records, payloads) VALUES (?, ?, ?, ?)',
    );
    this.#listBatches = db
      .prepare(`SELECT records, payloads FROM record_batches WHERE run_seq = ${runSeqOf} ORDER BY seq`)
      .raw();
    this.#listBatchesWithStatus = db
      .prepare(
        `SELECT records, payloads FROM record_batches
         WHERE run_seq = ${runSeqOf} AND instr(statuses, ?) > 0 ORDER BY seq`,
      )
      .raw();
  }

  start(run: NewRun, runId: string): void {
    this.#insertRun.run(
      runId,
      run.sync,
      run.fullResync ? 1 : 0,
      JSON.stringify(emptyCounts()),
      run.startedAt,
    );
  }

  finish(runId: string, finish: FinishRun): void {
    const { changes } = this.#finishRun.run(
      finish.status,
      JSON.stringify(finish.counts),
      finish.finishedAt,
      finish.error?.code ?? null,
      finish.error?.message ?? null,
      runId,
    );
    if (changes === 0) throw unknownRun(runId);
  }

  updateCounts(runId: string, counts: RunCounts): void {
    this.#updateCounts.run(JSON.stringify(counts), runId);
  }

  lastCompleted(sync: string): RunSummary | null {
    const row = this.#lastCompleted.get(sync) as RunRow | undefined;
    return row === undefined ? null : toSummary(row);
  }

  get(runId: string): RunSummary | null {
    const row = this.#getRun.get(runId) as RunRow | undefined;
    return row === undefined ? null : toSummary(row);
  }

  list(options: RunFilter): RunSummary[] {
    const limit = checkLimit(options.limit);
    const { sync, status } = options;
    const rows = (
      sync === undefined
        ? status === undefined
          ? this.#listRuns.all(limit)
          : this.#listRunsWithStatus.all(status, limit)
        : status === undefined
          ? this.#listRunsOfSync.all(sync, limit)
          : this.#listRunsOfSyncWithStatus.all(sync, status, limit)
    ) as RunRow[];
    return rows.map(toSummary);
  }

  /** The internal sequence number that records point at; throws `not_found` for an unknown run. */
  seqOf(runId: string): number {
    const row = this.#runSeq.get(runId) as [number] | undefined;
    if (row === undefined) throw unknownRun(runId);
    return row[0];
  }

  /**
   * Stores the records of one batch as one row (record-batch.ts); returns its sequence number:
   * record `i` of the batch is (that number, i).
   */
  insertBatch(runSeq: number, records: readonly RecordInput[]): number {
    const batch = encodeBatch(records);
    return Number(
      this.#insertBatch.run(runSeq, batch.statuses, batch.records, batch.payloads).lastInsertRowid,
    );
  }

  /** A run's records in insertion order; empty for an unknown run. */
  listRecords(runId: string, options: { status?: RecordStatus; limit: number }): RunRecord[] {
    const limit = checkLimit(options.limit);
    const status = options.status;
    const found: RunRecord[] = [];
    if (limit === 0) return found;
    const batches = (
      status === undefined
        ? this.#listBatches.iterate(runId)
        : this.#listBatchesWithStatus.iterate(runId, `,${status},`)
    ) as IterableIterator<[string, string | null]>;
    for (const [records, payloads] of batches) {
      for (const record of decodeBatch(records, payloads, runId)) {
        if (status !== undefined && record.status !== status) continue;
        found.push(record);
        if (found.length >= limit) {
          batches.return?.();
          return found;
        }
      }
    }
    return found;
  }
}

function toSummary(row: RunRow): RunSummary {
  return {
    runId: row.run_id,
    sync: row.sync,
    status: row.status,
    dryRun: row.dry_run === 1,
    fullResync: row.full_resync === 1,
    counts: parseCounts(row.counts, row.run_id),
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    error: row.error_code === null ? null : { code: row.error_code, message: row.error_message ?? '' },
    ...(row.records_pruned_at === null ? {} : { recordsPrunedAt: row.records_pruned_at }),
  };
}

/** Counts are JSON so a new count needs no migration; runs stored before it existed read it as 0. */
function parseCounts(text: string, runId: string): RunCounts {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SluiceError('state_error', `run ${runId} has unreadable counts in the state store`, {
      cause: error,
    });
  }
  if (typeof parsed !== 'object' || parsed === null) {
    throw new SluiceError('state_error', `run ${runId} has unreadable counts in the state store`);
  }
  return { ...emptyCounts(), ...(parsed as Partial<RunCounts>) };
}

/** SQLite reads a negative LIMIT as "no limit": refuse it rather than return everything. */
function checkLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new SluiceError('usage', `limit must be a whole number of 0 or more, got ${limit}`);
  }
  return limit;
}

function unknownRun(runId: string): SluiceError {
  return new SluiceError('not_found', `no run with id ${runId} in the state store`, { details: { runId } });
}
