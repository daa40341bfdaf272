import { decodeBatch } from './record-batch.js';
import type { SqliteDatabase, SqliteStatement } from './sqlite-database.js';

/** A run whose records are due for pruning. */
export interface PrunableRun {
  seq: number;
  sync: string;
}

/** What pruning one run removed. */
export interface PrunedRun {
  batches: number;
  records: number;
}

/**
 * Retention for the SQLite store (SPEC §7): the `record_batches` of old runs go, and the
 * `kept_payloads` table keeps each key's last delivered message when its batch goes (migration 7).
 * Statements are prepared once; the caller (SqliteStateStore) owns transactions and error wrapping.
 */
export class SqliteRetention {
  readonly #db: SqliteDatabase;
  readonly #lastPruned: SqliteStatement;
  readonly #setLastPruned: SqliteStatement;
  readonly #prunable: SqliteStatement;
  readonly #batches: SqliteStatement;
  readonly #release: SqliteStatement;
  readonly #keep: SqliteStatement;
  readonly #deleteBatches: SqliteStatement;
  /** A record's key-history entry (record_keys), deleted with its batch. */
  readonly #unindex: SqliteStatement;
  readonly #markPruned: SqliteStatement;
  readonly #dropStaleKept: SqliteStatement;
  readonly #liveLock: SqliteStatement;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#lastPruned = db.prepare("SELECT value FROM meta WHERE name = 'last_pruned_at'").raw();
    this.#setLastPruned = db.prepare(
      `INSERT INTO meta (name, value) VALUES ('last_pruned_at', ?)
       ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
    );
    // ISO-8601 UTC text compares in time order. A run still `running` is left alone even when old:
    // its process may be alive (or closeDeadRuns will close it first).
    this.#prunable = db
      .prepare(
        `SELECT seq, sync FROM runs
         WHERE started_at < ? AND status <> 'running' AND records_pruned_at IS NULL ORDER BY seq`,
      )
      .raw();
    this.#batches = db.prepare('SELECT seq, records, payloads FROM record_batches WHERE run_seq = ?').raw();
    // A key whose last delivery is this very record lets go of the batch (its payload is kept
    // below). Records moved over by migration 5 are pointed at with no index: read as 0.
    this.#release = db.prepare(
      `UPDATE key_states SET delivered_record = NULL, delivered_record_index = NULL
       WHERE sync = ? AND key = ? AND delivered_record = ? AND coalesce(delivered_record_index, 0) = ?`,
    );
    this.#keep = db.prepare(
      `INSERT INTO kept_payloads (sync, key, message_id, payload) VALUES (?, ?, ?, ?)
       ON CONFLICT (sync, key) DO UPDATE SET message_id = excluded.message_id, payload = excluded.payload`,
    );
    this.#deleteBatches = db.prepare('DELETE FROM record_batches WHERE run_seq = ?');
    this.#unindex = db.prepare('DELETE FROM record_keys WHERE key = ? AND batch = ? AND idx = ?');
    this.#markPruned = db.prepare('UPDATE runs SET records_pruned_at = ? WHERE seq = ?');
    // A kept payload is the key's last delivered message only while the key has no newer delivery
    // (which points at its own batch again) and was not re-marked as seen: drop the others.
    this.#dropStaleKept = db.prepare(
      `DELETE FROM kept_payloads WHERE NOT EXISTS (
         SELECT 1 FROM key_states k
         WHERE k.sync = kept_payloads.sync AND k.key = kept_payloads.key
           AND k.delivered_record IS NULL AND k.delivered_message_id = kept_payloads.message_id)`,
    );
    this.#liveLock = db.prepare('SELECT 1 FROM locks WHERE expires_at > ? LIMIT 1').raw();
  }

  /** Whether some run holds a lock (its lease not yet expired at `nowMs`). */
  lockHeld(nowMs: number): boolean {
    return this.#liveLock.get(nowMs) !== undefined;
  }

  /**
   * Records that a prune starts at `now`, unless one started at or after `since`: then false. Call
   * inside a write transaction, so two processes asking at once do not both prune.
   */
  claim(now: string, since: string | undefined): boolean {
    const row = this.#lastPruned.get() as [string] | undefined;
    if (since !== undefined && row !== undefined && row[0] >= since) return false;
    this.#setLastPruned.run(now);
    return true;
  }

  /** Finished runs started before `before` whose records are still there, oldest first. */
  prunable(before: string): PrunableRun[] {
    return (this.#prunable.all(before) as [number, string][]).map(([seq, sync]) => ({ seq, sync }));
  }

  /**
   * Deletes one run's records, first moving the payloads that are still some key's last delivered
   * message into kept_payloads. Call inside one write transaction.
   */
  pruneRun(run: PrunableRun, now: string): PrunedRun {
    let batches = 0;
    let records = 0;
    for (const [seq, text, payloads] of this.#batches.all(run.seq) as [number, string, string | null][]) {
      batches++;
      const decoded = decodeBatch(text, payloads, '');
      records += decoded.length;
      decoded.forEach((record, index) => {
        if (record.key !== null) this.#unindex.run(record.key, seq, index);
        if (record.status !== 'succeeded' || record.key === null || record.payload === null) return;
        if (record.messageId === null) return;
        if (this.#release.run(run.sync, record.key, seq, index).changes === 0) return;
        this.#keep.run(run.sync, record.key, record.messageId, record.payload);
      });
    }
    this.#deleteBatches.run(run.seq);
    this.#markPruned.run(now, run.seq);
    return { batches, records };
  }

  /** Drops kept payloads superseded by a later delivery. Call inside a write transaction. */
  dropStaleKept(): void {
    this.#dropStaleKept.run();
  }

  /** The database's size in bytes, and how many of them are in use (not on the free list). */
  sizes(): { file: number; used: number } {
    const pages = this.#db.pragma('page_count', { simple: true }) as number;
    const free = this.#db.pragma('freelist_count', { simple: true }) as number;
    const size = this.#db.pragma('page_size', { simple: true }) as number;
    return { file: pages * size, used: (pages - free) * size };
  }

  /**
   * Gives free pages back to the file system: VACUUM rewrites the file without them, then a
   * TRUNCATE checkpoint empties the WAL that VACUUM filled (else the space would just move there).
   * Must run outside a transaction.
   */
  reclaim(): void {
    this.#db.exec('VACUUM');
    this.#db.pragma('wal_checkpoint(TRUNCATE)');
  }
}
