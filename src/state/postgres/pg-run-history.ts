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
import type { PgQueryable } from './pg-pool.js';
import { fromPgText, toPgText, toPgTexts } from './pg-text.js';

export interface RunRow {
  seq: string;
  run_id: string;
  sync: string;
  status: RunSummary['status'];
  dry_run: boolean;
  full_resync: boolean;
  counts: Partial<RunCounts>;
  started_at: string;
  finished_at: string | null;
  error_code: string | null;
  error_message: string | null;
  records_pruned_at: string | null;
  requested_at: string | null;
  cancel_requested_at: string | null;
  report: string | null;
  /** RunWriteback as JSON text (migration 7). */
  writeback: string | null;
}

export interface RecordRow {
  seq: string;
  key: string | null;
  status: RunRecord['status'];
  reason: string | null;
  message: string | null;
  message_id: string | null;
  payload: string | null;
}

export const runColumns =
  'seq, run_id, sync, status, dry_run, full_resync, counts, started_at, finished_at, error_code, error_message, records_pruned_at, requested_at, cancel_requested_at, report, writeback';
const recordColumns = 'r.seq, r.key, r.status, r.reason, r.message, r.message_id, r.payload';

/** A record to store: a run record without its run id. */
export type RecordInput = Omit<RunRecord, 'runId'>;

/**
 * Run history and per-row outcomes: the `runs` and `run_records` tables. The caller
 * (PostgresStateStore) owns transactions and error wrapping, and passes the pool or a transaction's
 * connection as `db`.
 */
export class PgRunHistory {
  /** Starts the queued run `run.runId`, or a new run with the id `newId`; answers the run's id. */
  async start(db: PgQueryable, run: NewRun, newId: string): Promise<string> {
    if (run.runId !== undefined) {
      const { rowCount } = await db.query(
        "UPDATE runs SET status = 'running', started_at = $1 WHERE run_id = $2 AND status = 'queued'",
        [run.startedAt, run.runId],
      );
      if (rowCount === 0) throw notQueued(run.runId);
      return run.runId;
    }
    await db.query(
      `INSERT INTO runs (run_id, sync, status, dry_run, full_resync, counts, started_at)
       VALUES ($1, $2, 'running', $3, $4, $5, $6)`,
      [newId, run.sync, run.dryRun ?? false, run.fullResync, JSON.stringify(emptyCounts()), run.startedAt],
    );
    return newId;
  }

  /** One queued run per sync and kind (runs_queued): a second request joins it, a full resync raising it. */
  async enqueue(db: PgQueryable, run: QueuedRun, newId: string): Promise<Enqueued> {
    const { rows } = await db.query<{ run_id: string }>(
      `INSERT INTO runs (run_id, sync, status, dry_run, full_resync, counts, started_at, requested_at)
       VALUES ($1, $2, 'queued', $3, $4, $5, $6, $6)
       ON CONFLICT (sync, dry_run) WHERE status = 'queued'
         DO UPDATE SET full_resync = runs.full_resync OR excluded.full_resync
       RETURNING run_id`,
      [newId, run.sync, run.dryRun, run.fullResync, JSON.stringify(emptyCounts()), run.requestedAt],
    );
    return { runId: rows[0]!.run_id, created: rows[0]!.run_id === newId };
  }

  async cancel(db: PgQueryable, runId: string, at: string): Promise<CancelOutcome> {
    const queued = await db.query(
      `UPDATE runs SET status = 'failed', finished_at = $1, cancel_requested_at = $1,
         error_code = 'interrupted', error_message = $2
       WHERE run_id = $3 AND status = 'queued'`,
      [at, CANCELLED_QUEUED, runId],
    );
    if ((queued.rowCount ?? 0) > 0) return 'cancelled';
    const running = await db.query(
      `UPDATE runs SET cancel_requested_at = coalesce(cancel_requested_at, $1)
       WHERE run_id = $2 AND status = 'running'`,
      [at, runId],
    );
    if ((running.rowCount ?? 0) > 0) return 'requested';
    return (await this.get(db, runId)) === null ? 'not_found' : 'finished';
  }

  async finish(db: PgQueryable, runId: string, finish: FinishRun): Promise<void> {
    const { rowCount } = await db.query(
      `UPDATE runs SET status = $1, counts = $2, finished_at = $3, error_code = $4, error_message = $5,
         report = $6
       WHERE run_id = $7`,
      [
        finish.status,
        JSON.stringify(finish.counts),
        finish.finishedAt,
        finish.error?.code ?? null,
        toPgText(finish.error?.message ?? null),
        toPgText(finish.report ?? null),
        runId,
      ],
    );
    if (rowCount === 0) throw unknownRun(runId);
  }

  async updateCounts(db: PgQueryable, runId: string, counts: RunCounts): Promise<void> {
    await db.query("UPDATE runs SET counts = $1 WHERE run_id = $2 AND status = 'running'", [
      JSON.stringify(counts),
      runId,
    ]);
  }

  async recordWriteback(db: PgQueryable, runId: string, outcome: RunWriteback): Promise<void> {
    await db.query('UPDATE runs SET writeback = $1 WHERE run_id = $2', [JSON.stringify(outcome), runId]);
  }

  async get(db: PgQueryable, runId: string): Promise<RunSummary | null> {
    const { rows } = await db.query<RunRow>(`SELECT ${runColumns} FROM runs WHERE run_id = $1`, [runId]);
    return rows[0] === undefined ? null : toSummary(rows[0]);
  }

  async lastCompleted(db: PgQueryable, sync: string): Promise<RunSummary | null> {
    const { rows } = await db.query<RunRow>(
      `SELECT ${runColumns} FROM runs WHERE sync = $1 AND status = 'completed' AND NOT dry_run
       ORDER BY seq DESC LIMIT 1`,
      [sync],
    );
    return rows[0] === undefined ? null : toSummary(rows[0]);
  }

  /** Newest first; the cursor is the internal sequence number of the page's last run. */
  async list(db: PgQueryable, query: RunQuery): Promise<Page<RunSummary>> {
    const limit = checkLimit(query.limit);
    const before = query.cursor === undefined ? null : parseCursor(query.cursor, 1)[0]!;
    // One more than asked tells whether there is a next page.
    const { rows } = await db.query<RunRow>(
      `SELECT ${runColumns} FROM runs
       WHERE ($1::text IS NULL OR sync = $1) AND ($2::text IS NULL OR status = $2)
         AND ($3::bigint IS NULL OR seq < $3) AND ($5::boolean IS NULL OR dry_run = $5)
       ORDER BY seq DESC LIMIT $4`,
      [query.sync ?? null, query.status ?? null, before, limit + 1, query.dryRun ?? null],
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { items: page.map(toSummary), next: rows.length > limit && last ? String(last.seq) : null };
  }

  /** The internal sequence number that records point at; throws `not_found` for an unknown run. */
  async seqOf(db: PgQueryable, runId: string): Promise<string> {
    const { rows } = await db.query<{ seq: string }>('SELECT seq FROM runs WHERE run_id = $1', [runId]);
    if (rows[0] === undefined) throw unknownRun(runId);
    return rows[0].seq;
  }

  /**
   * Stores `records` for the run with one multi-row statement (arrays unnested in order); answers
   * their sequence numbers in the same order.
   */
  async insert(db: PgQueryable, runSeq: string, records: readonly RecordInput[]): Promise<string[]> {
    if (records.length === 0) return [];
    const column = (name: 'key' | 'status' | 'reason' | 'message' | 'messageId' | 'payload') =>
      toPgTexts(records.map((record) => record[name]));
    const { rows } = await db.query<{ seq: string }>(
      `INSERT INTO run_records (run_seq, key, status, reason, message, message_id, payload)
       SELECT $1, r.key, r.status, r.reason, r.message, r.message_id, r.payload
       FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
         WITH ORDINALITY AS r (key, status, reason, message, message_id, payload, ord)
       ORDER BY r.ord
       RETURNING seq`,
      [
        runSeq,
        column('key'),
        column('status'),
        column('reason'),
        column('message'),
        column('messageId'),
        column('payload'),
      ],
    );
    // Identity values are drawn in the order the sorted rows are inserted: ascending is input order.
    return rows
      .map((row) => BigInt(row.seq))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map(String);
  }

  /** A run's records in insertion order; the cursor is the sequence number of the page's last record. */
  async records(db: PgQueryable, runId: string, query: RecordQuery): Promise<Page<RunRecord>> {
    const limit = checkLimit(query.limit);
    const after = query.cursor === undefined ? 0 : parseCursor(query.cursor, 1)[0]!;
    const { rows } = await db.query<RecordRow>(
      `SELECT ${recordColumns} FROM run_records r
       WHERE r.run_seq = (SELECT seq FROM runs WHERE run_id = $1) AND r.seq > $2
         AND ($3::text IS NULL OR r.status = $3) AND ($5::text IS NULL OR r.key = $5)
         AND ($6::text IS NULL OR r.reason = $6)
       ORDER BY r.seq LIMIT $4`,
      [
        runId,
        after,
        query.status ?? null,
        limit + 1,
        toPgText(query.key ?? null),
        toPgText(query.reason ?? null),
      ],
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((row) => toRecord(row, runId)),
      next: rows.length > limit && last ? String(last.seq) : null,
    };
  }

  /**
   * The key's records in the sync's runs, newest run first and a run's records in recorded order.
   * The cursor names the page's last record as its run's and its own sequence numbers.
   */
  async keyHistory(
    db: PgQueryable,
    sync: string,
    key: string,
    query: { limit: number; cursor?: string },
  ): Promise<Page<KeyHistoryEntry>> {
    const limit = checkLimit(query.limit);
    const [runSeq, seq] = query.cursor === undefined ? [null, null] : parseCursor(query.cursor, 2);
    const { rows } = await db.query<RecordRow & { run_seq: string; run_id: string; started_at: string }>(
      `SELECT ${recordColumns}, r.run_seq, u.run_id, u.started_at
       FROM run_records r JOIN runs u ON u.seq = r.run_seq
       WHERE r.key = $1 AND u.sync = $2
         AND ($3::bigint IS NULL OR r.run_seq < $3 OR (r.run_seq = $3 AND r.seq > $4))
       ORDER BY r.run_seq DESC, r.seq LIMIT $5`,
      [toPgText(key), sync, runSeq, seq, limit + 1],
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((row) => ({ ...toRecord(row, row.run_id), runStartedAt: row.started_at })),
      next: rows.length > limit && last ? `${last.run_seq}.${last.seq}` : null,
    };
  }
}

export function toRecord(row: RecordRow, runId: string): RunRecord {
  return {
    runId,
    key: fromPgText(row.key),
    status: row.status,
    reason: fromPgText(row.reason),
    message: fromPgText(row.message),
    messageId: row.message_id,
    payload: fromPgText(row.payload),
  };
}

export function toSummary(row: RunRow): RunSummary {
  return {
    runId: row.run_id,
    sync: row.sync,
    status: row.status,
    dryRun: row.dry_run,
    fullResync: row.full_resync,
    // Counts are JSON so a new count needs no migration; runs stored before it existed read it as 0.
    counts: { ...emptyCounts(), ...row.counts },
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    error:
      row.error_code === null ? null : { code: row.error_code, message: fromPgText(row.error_message) ?? '' },
    ...(row.requested_at === null ? {} : { requestedAt: row.requested_at }),
    ...(row.cancel_requested_at === null ? {} : { cancelRequestedAt: row.cancel_requested_at }),
    ...(row.report === null ? {} : { report: fromPgText(row.report) }),
    ...(row.writeback === null ? {} : { writeback: JSON.parse(row.writeback) as RunWriteback }),
    ...(row.records_pruned_at === null ? {} : { recordsPrunedAt: row.records_pruned_at }),
  };
}

/** A run id nobody started: `not_found`. */
