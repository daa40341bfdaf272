import { SluiceError } from '../../core/errors.js';
import {
  emptyCounts,
  type RunCounts,
  type RunRecord,
  type RunSummary,
  type RunWriteback,
} from '../../core/run.js';
import { CANCELLED_QUEUED, notQueued, unknownRun } from '../run-errors.js';
import type {
  CancelOutcome,
  Enqueued,
  FinishRun,
  KeyHistoryEntry,
  NewRun,
  Page,
  QueuedRun,
  RecordQuery,
  RunQuery,
} from '../state-store.js';
import { checkLimit, parseCursor } from '../store-listing.js';
import { decodeBatch, encodeBatch, type RecordInput, recordAt } from './record-batch.js';
import type { SqliteDatabase, SqliteStatement } from './sqlite-database.js';

/** A `runs` row as `runColumns` reads it. */
export interface RunRow {
  seq: number;
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
  requested_at: string | null;
  cancel_requested_at: string | null;
  report: string | null;
  /** RunWriteback as JSON (migration 14). */
  writeback: string | null;
}

export const runColumns =
  'seq, run_id, sync, status, dry_run, full_resync, counts, started_at, finished_at, error_code, error_message, records_pruned_at, requested_at, cancel_requested_at, report, writeback';
const runSeqOf = '(SELECT seq FROM runs WHERE run_id = ?)';

/**
 * Run history and per-row outcomes: the `runs` and `record_batches` tables. Statements are prepared once;
 * the caller (SqliteStateStore) owns transactions and error wrapping.
 */
export class SqliteRunHistory {
  readonly #insertRun: SqliteStatement;
  readonly #startQueued: SqliteStatement;
  readonly #enqueue: SqliteStatement;
  readonly #cancelQueued: SqliteStatement;
  readonly #cancelRunning: SqliteStatement;
  readonly #finishRun: SqliteStatement;
  readonly #getRun: SqliteStatement;
  readonly #listRuns: SqliteStatement;
  readonly #listRunsOfSync: SqliteStatement;
  readonly #listRunsWithStatus: SqliteStatement;
  readonly #listRunsOfSyncWithStatus: SqliteStatement;
  readonly #updateCounts: SqliteStatement;
  readonly #recordWriteback: SqliteStatement;
  readonly #lastCompleted: SqliteStatement;
  readonly #runSeq: SqliteStatement;
  readonly #insertBatch: SqliteStatement;
  readonly #indexKey: SqliteStatement;
  readonly #keyHistory: SqliteStatement;
  readonly #listBatches: SqliteStatement;
  readonly #listBatchesWithStatus: SqliteStatement;
  readonly #recordsOfKey: SqliteStatement;

  constructor(db: SqliteDatabase) {
    this.#insertRun = db.prepare(
      `INSERT INTO runs (run_id, sync, status, dry_run, full_resync, counts, started_at)
       VALUES (?, ?, 'running', ?, ?, ?, ?)`,
    );
    this.#startQueued = db.prepare(
      "UPDATE runs SET status = 'running', started_at = ? WHERE run_id = ? AND status = 'queued'",
    );
    // One queued run per sync and kind (runs_queued): a second request joins it, a full resync
    // raising it to one.
    this.#enqueue = db.prepare(
      `INSERT INTO runs (run_id, sync, status, dry_run, full_resync, counts, started_at, requested_at)
       VALUES (@runId, @sync, 'queued', @dryRun, @fullResync, @counts, @requestedAt, @requestedAt)
       ON CONFLICT (sync, dry_run) WHERE status = 'queued'
         DO UPDATE SET full_resync = max(full_resync, excluded.full_resync)
       RETURNING run_id`,
    );
    this.#cancelQueued = db.prepare(
      `UPDATE runs SET status = 'failed', finished_at = @at, cancel_requested_at = @at,
         error_code = 'interrupted', error_message = @message
       WHERE run_id = @runId AND status = 'queued'`,
    );
    this.#cancelRunning = db.prepare(
      `UPDATE runs SET cancel_requested_at = coalesce(cancel_requested_at, ?)
       WHERE run_id = ? AND status = 'running'`,
    );
    this.#finishRun = db.prepare(
      `UPDATE runs SET status = ?, counts = ?, finished_at = ?, error_code = ?, error_message = ?, report = ?
       WHERE run_id = ?`,
    );
    this.#getRun = db.prepare(`SELECT ${runColumns} FROM runs WHERE run_id = ?`);
    // One statement per index worth using; the dry-run filter rides along on whichever walks.
    const dryRun = '(@dryRun IS NULL OR dry_run = @dryRun)';
    this.#listRuns = db.prepare(
      `SELECT ${runColumns} FROM runs WHERE seq < @before AND ${dryRun} ORDER BY seq DESC LIMIT @limit`,
    );
    this.#listRunsOfSync = db.prepare(
      `SELECT ${runColumns} FROM runs WHERE sync = @sync AND seq < @before AND ${dryRun}
       ORDER BY seq DESC LIMIT @limit`,
    );
    this.#listRunsWithStatus = db.prepare(
      `SELECT ${runColumns} FROM runs WHERE status = @status AND seq < @before AND ${dryRun}
       ORDER BY seq DESC LIMIT @limit`,
    );
    this.#listRunsOfSyncWithStatus = db.prepare(
      `SELECT ${runColumns} FROM runs WHERE sync = @sync AND status = @status AND seq < @before AND ${dryRun}
       ORDER BY seq DESC LIMIT @limit`,
    );
    this.#recordWriteback = db.prepare('UPDATE runs SET writeback = ? WHERE run_id = ?');
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
    this.#indexKey = db.prepare('INSERT INTO record_keys (key, batch, idx) VALUES (?, ?, ?)');
    // A key's entries (its primary-key range), newest run first, each run's in recorded order; the
    // cursor (run, batch, index) of the next entry resumes inside a run.
    this.#keyHistory = db
      .prepare(
        `SELECT b.run_seq, rk.batch, rk.idx, b.records, b.payloads, r.run_id, r.started_at
         FROM record_keys rk JOIN record_batches b ON b.seq = rk.batch JOIN runs r ON r.seq = b.run_seq
         WHERE rk.key = @key AND r.sync = @sync
           AND (b.run_seq < @run OR (b.run_seq = @run AND (rk.batch > @batch OR (rk.batch = @batch AND rk.idx >= @idx))))
         ORDER BY b.run_seq DESC, rk.batch, rk.idx LIMIT @limit`,
      )
      .raw();
    this.#listBatches = db
      .prepare(
        `SELECT seq, records, payloads FROM record_batches
         WHERE run_seq = ${runSeqOf} AND seq >= ? ORDER BY seq`,
      )
      .raw();
    this.#listBatchesWithStatus = db
      .prepare(
        `SELECT seq, records, payloads FROM record_batches
         WHERE run_seq = ${runSeqOf} AND seq >= ? AND instr(statuses, ?) > 0 ORDER BY seq`,
      )
      .raw();
    // One run's entries for a key (record_keys), in recorded order from the cursor's entry on.
    this.#recordsOfKey = db
      .prepare(
        `SELECT rk.batch, rk.idx, b.records, b.payloads
         FROM record_keys rk JOIN record_batches b ON b.seq = rk.batch
         WHERE rk.key = @key AND b.run_seq = (SELECT seq FROM runs WHERE run_id = @runId)
           AND (rk.batch > @batch OR (rk.batch = @batch AND rk.idx >= @idx))
         ORDER BY rk.batch, rk.idx`,
      )
      .raw();
  }

  /** Starts the queued run `run.runId`, or a new run with the id `newId`; answers the run's id. */
  start(run: NewRun, newId: string): string {
    if (run.runId !== undefined) {
      if (this.#startQueued.run(run.startedAt, run.runId).changes === 0) throw notQueued(run.runId);
      return run.runId;
    }
    this.#insertRun.run(
      newId,
      run.sync,
      run.dryRun ? 1 : 0,
      run.fullResync ? 1 : 0,
      JSON.stringify(emptyCounts()),
      run.startedAt,
    );
    return newId;
  }

  enqueue(run: QueuedRun, newId: string): Enqueued {
    const row = this.#enqueue.get({
      runId: newId,
      sync: run.sync,
      dryRun: run.dryRun ? 1 : 0,
      fullResync: run.fullResync ? 1 : 0,
      counts: JSON.stringify(emptyCounts()),
      requestedAt: run.requestedAt,
    }) as { run_id: string };
    return { runId: row.run_id, created: row.run_id === newId };
  }

  cancel(runId: string, at: string): CancelOutcome {
    if (this.#cancelQueued.run({ runId, at, message: CANCELLED_QUEUED }).changes > 0) return 'cancelled';
    if (this.#cancelRunning.run(at, runId).changes > 0) return 'requested';
    return this.#getRun.get(runId) === undefined ? 'not_found' : 'finished';
  }

  finish(runId: string, finish: FinishRun): void {
    const { changes } = this.#finishRun.run(
      finish.status,
      JSON.stringify(finish.counts),
      finish.finishedAt,
      finish.error?.code ?? null,
      finish.error?.message ?? null,
      finish.report ?? null,
      runId,
    );
    if (changes === 0) throw unknownRun(runId);
  }

  updateCounts(runId: string, counts: RunCounts): void {
    this.#updateCounts.run(JSON.stringify(counts), runId);
  }

  recordWriteback(runId: string, outcome: RunWriteback): void {
    this.#recordWriteback.run(JSON.stringify(outcome), runId);
  }

  lastCompleted(sync: string): RunSummary | null {
    const row = this.#lastCompleted.get(sync) as RunRow | undefined;
    return row === undefined ? null : toSummary(row);
  }

  get(runId: string): RunSummary | null {
    const row = this.#getRun.get(runId) as RunRow | undefined;
    return row === undefined ? null : toSummary(row);
  }

  /** Newest first; the cursor is the internal sequence number of the page's last run. */
  list(query: RunQuery): Page<RunSummary> {
    const limit = checkLimit(query.limit);
    const before = query.cursor === undefined ? Number.MAX_SAFE_INTEGER : parseCursor(query.cursor, 1)[0]!;
    const { sync, status } = query;
    // One more than asked tells whether there is a next page.
    const params = {
      before,
      limit: limit + 1,
      dryRun: query.dryRun === undefined ? null : query.dryRun ? 1 : 0,
      ...(sync === undefined ? {} : { sync }),
      ...(status === undefined ? {} : { status }),
    };
    const rows = (
      sync === undefined
        ? status === undefined
          ? this.#listRuns.all(params)
          : this.#listRunsWithStatus.all(params)
        : status === undefined
          ? this.#listRunsOfSync.all(params)
          : this.#listRunsOfSyncWithStatus.all(params)
    ) as RunRow[];
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(toSummary),
      next: rows.length > limit && last !== undefined ? String(last.seq) : null,
    };
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
    const seq = Number(
      this.#insertBatch.run(runSeq, batch.statuses, batch.records, batch.payloads).lastInsertRowid,
    );
    for (let i = 0; i < records.length; i++) {
      const key = records[i]!.key;
      if (key !== null) this.#indexKey.run(key, seq, i);
    }
    return seq;
  }

  /**
   * A run's records in insertion order; empty for an unknown run. The cursor names the next record
   * as its batch's sequence number and its index there.
   */
  records(runId: string, query: RecordQuery): Page<RunRecord> {
    const limit = checkLimit(query.limit);
    const status = query.status;
    const [fromBatch, fromIndex] = query.cursor === undefined ? [0, 0] : parseCursor(query.cursor, 2);
    const matches = (record: RunRecord) =>
      (status === undefined || record.status === status) &&
      (query.reason === undefined || record.reason === query.reason);
    if (query.key !== undefined)
      return this.#recordsOf(runId, query.key, matches, limit, fromBatch!, fromIndex!);
    const items: RunRecord[] = [];
    const batches = (
      status === undefined
        ? this.#listBatches.iterate(runId, fromBatch)
        : this.#listBatchesWithStatus.iterate(runId, fromBatch, `,${status},`)
    ) as IterableIterator<[number, string, string | null]>;
    for (const [seq, records, payloads] of batches) {
      const decoded = decodeBatch(records, payloads, runId);
      for (let i = seq === fromBatch ? fromIndex! : 0; i < decoded.length; i++) {
        const record = decoded[i]!;
        if (!matches(record)) continue;
        if (items.length === limit) {
          batches.return?.();
          return { items, next: `${seq}.${i}` };
        }
        items.push(record);
      }
    }
    return { items, next: null };
  }

  /** A run's records of one key, through the key index (record_keys); the same cursor as `records`. */
  #recordsOf(
    runId: string,
    key: string,
    matches: (record: RunRecord) => boolean,
    limit: number,
    batch: number,
    idx: number,
  ): Page<RunRecord> {
    const items: RunRecord[] = [];
    const entries = this.#recordsOfKey.iterate({ key, runId, batch, idx }) as IterableIterator<
      [number, number, string, string | null]
    >;
    for (const [seq, index, records, payloads] of entries) {
      const record = recordAt(records, payloads, index, runId);
      if (record === null || !matches(record)) continue;
      if (items.length === limit) {
        entries.return?.();
        return { items, next: `${seq}.${index}` };
      }
      items.push(record);
    }
    return { items, next: null };
  }

  /** A key's records in the sync's runs, newest run first (record_keys, migration 9). */
  keyHistory(sync: string, key: string, query: { limit: number; cursor?: string }): Page<KeyHistoryEntry> {
    const limit = checkLimit(query.limit);
    const [run, batch, idx] =
      query.cursor === undefined ? [Number.MAX_SAFE_INTEGER, 0, 0] : parseCursor(query.cursor, 3);
    const rows = this.#keyHistory.all({ key, sync, run, batch, idx, limit: limit + 1 }) as [
      number,
      number,
      number,
      string,
      string | null,
      string,
      string,
    ][];
    const items: KeyHistoryEntry[] = [];
    for (const [, , index, records, payloads, runId, startedAt] of rows.slice(0, limit)) {
      const record = recordAt(records, payloads, index, runId);
      if (record !== null) items.push({ ...record, runStartedAt: startedAt });
    }
    const next = rows[limit];
    return { items, next: next === undefined ? null : `${next[0]}.${next[1]}.${next[2]}` };
  }
}

export function toSummary(row: RunRow): RunSummary {
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
    ...(row.requested_at === null ? {} : { requestedAt: row.requested_at }),
    ...(row.cancel_requested_at === null ? {} : { cancelRequestedAt: row.cancel_requested_at }),
    ...(row.report === null ? {} : { report: row.report }),
    ...(row.writeback === null ? {} : { writeback: JSON.parse(row.writeback) as RunWriteback }),
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
