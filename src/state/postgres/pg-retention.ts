import type { PgQueryable } from './pg-pool.js';

/** A run whose records are due for pruning. */
export interface PrunableRun {
  seq: string;
  sync: string;
}

/** What pruning one run removed. */
export interface PrunedRun {
  records: number;
  /** The bytes those records' rows took (pg_column_size of each row). */
  bytes: number;
}

/**
 * Retention for the PostgreSQL store (SPEC §7), as sqlite-retention.ts: an old run's records go,
 * and `kept_payloads` keeps each key's last delivered message when its record goes. The caller
 * (PostgresStateStore) owns transactions and error wrapping.
 */
export class PgRetention {
  /**
   * Records that a prune starts at `now`, unless one started at or after `since`: then false. One
   * statement, so two processes asking at once do not both prune.
   */
  async claim(db: PgQueryable, now: string, since: string | undefined): Promise<boolean> {
    const { rowCount } = await db.query(
      `INSERT INTO meta AS m (name, value) VALUES ('last_pruned_at', $1)
       ON CONFLICT (name) DO UPDATE SET value = excluded.value WHERE $2::text IS NULL OR m.value < $2`,
      [now, since ?? null],
    );
    return rowCount === 1;
  }

  /** Finished runs started before `before` whose records are still there, oldest first. */
  async prunable(db: PgQueryable, before: string): Promise<PrunableRun[]> {
    // ISO-8601 UTC text compares in time order. A run still `running` is left alone even when old.
    const { rows } = await db.query<PrunableRun>(
      `SELECT seq, sync FROM runs
       WHERE started_at < $1 AND status <> 'running' AND records_pruned_at IS NULL ORDER BY seq`,
      [before],
    );
    return rows;
  }

  /**
   * Deletes one run's records, first moving the payloads that are still some key's last delivered
   * message into kept_payloads. Call inside one transaction.
   */
  async pruneRun(db: PgQueryable, run: PrunableRun, now: string): Promise<PrunedRun> {
    await db.query(
      `WITH released AS (
         UPDATE key_states k SET delivered_record = NULL
         FROM run_records r
         WHERE r.run_seq = $1 AND k.sync = $2 AND k.key = r.key AND k.delivered_record = r.seq
           AND r.payload IS NOT NULL AND r.message_id IS NOT NULL
         RETURNING k.sync, k.key, r.message_id, r.payload)
       INSERT INTO kept_payloads (sync, key, message_id, payload)
       SELECT sync, key, message_id, payload FROM released
       ON CONFLICT (sync, key) DO UPDATE SET message_id = excluded.message_id, payload = excluded.payload`,
      [run.seq, run.sync],
    );
    const { rows } = await db.query<{ records: string; bytes: string }>(
      `WITH deleted AS (DELETE FROM run_records r WHERE r.run_seq = $1 RETURNING pg_column_size(r.*) AS size)
       SELECT count(*) AS records, coalesce(sum(size), 0) AS bytes FROM deleted`,
      [run.seq],
    );
    await db.query('UPDATE runs SET records_pruned_at = $1 WHERE seq = $2', [now, run.seq]);
    return { records: Number(rows[0]!.records), bytes: Number(rows[0]!.bytes) };
  }

  /** Drops kept payloads superseded by a later delivery (or a re-mark as seen). */
  async dropStaleKept(db: PgQueryable): Promise<void> {
    await db.query(
      `DELETE FROM kept_payloads kp WHERE NOT EXISTS (
         SELECT 1 FROM key_states k
         WHERE k.sync = kp.sync AND k.key = kp.key
           AND k.delivered_record IS NULL AND k.delivered_message_id = kp.message_id)`,
    );
  }

  /** Bytes on disk of the tables retention shrinks (the inspector's exchanges included), with their indexes and TOAST. */
  async size(db: PgQueryable): Promise<number> {
    const { rows } = await db.query<{ bytes: string }>(
      `SELECT pg_total_relation_size('run_records') + pg_total_relation_size('kept_payloads')
         + pg_total_relation_size('exchanges') AS bytes`,
    );
    return Number(rows[0]!.bytes);
  }

  /**
   * VACUUM (plain, not FULL) of the records: makes the deleted rows' space reusable and gives the
   * empty pages at the table's end back to the file system, without the exclusive lock VACUUM FULL
   * would hold against running syncs. Must run outside a transaction.
   */
  async reclaim(db: PgQueryable): Promise<void> {
    await db.query('VACUUM (ANALYZE) run_records, kept_payloads, exchanges');
  }
}
