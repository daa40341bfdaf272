import type { RunRecord } from '../../core/run.js';
import type { SqliteDatabase, SqliteStatement } from './sqlite-database.js';

/** How many removed keys one record batch holds (the size of a sent batch, for `sluice records`). */
const RECORDS_PER_BATCH = 2_000;

/**
 * Finding removed keys (SPEC §3): keys delivered before and absent from the model now. A run notes
 * the keys its model returned in a temporary table of this connection (`present_keys`, never
 * written to the file), and at its end asks which delivered keys of the sync are not among them.
 * Each such key is reported once: `key_states.removed` marks it until it appears in a model again.
 * Nothing is sent for a removed key and its state is kept, so it is sent again only if it comes
 * back changed.
 */
export class SqliteRemovedKeys {
  readonly #note: SqliteStatement;
  readonly #absent: SqliteStatement;
  readonly #markRemoved: SqliteStatement;
  readonly #cameBack: SqliteStatement;
  readonly #forget: SqliteStatement;
  readonly #countKeys: SqliteStatement;
  readonly #countRemoved: SqliteStatement;
  readonly #clear: SqliteStatement;

  constructor(db: SqliteDatabase) {
    // Temporary: private to this connection, dropped with it, and never in the WAL. WITHOUT ROWID
    // keeps the (run, key) index the table itself.
    db.exec(`CREATE TEMP TABLE IF NOT EXISTS present_keys (
      run TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (run, key)) WITHOUT ROWID`);
    this.#note = db.prepare(
      'INSERT OR IGNORE INTO temp.present_keys (run, key) SELECT ?, value FROM json_each(?)',
    );
    // The anti-join walks the sync's keys in the primary-key index and probes present_keys per key;
    // only the absent ones reach the table row for their message id and removed flag.
    this.#absent = db
      .prepare(
        `SELECT k.key, k.delivered_message_id FROM key_states k
         WHERE k.sync = ? AND NOT EXISTS (SELECT 1 FROM temp.present_keys p WHERE p.run = ? AND p.key = k.key)
           AND k.removed = 0`,
      )
      .raw();
    this.#markRemoved = db.prepare('UPDATE key_states SET removed = 1 WHERE sync = ? AND key = ?');
    // Keys reported removed that are back in the model: a later absence is news again.
    this.#cameBack = db.prepare(
      `UPDATE key_states SET removed = 0 WHERE sync = ? AND removed = 1
         AND key IN (SELECT key FROM temp.present_keys WHERE run = ?)`,
    );
    this.#forget = db.prepare('DELETE FROM temp.present_keys WHERE run = ?');
    // Both counts read an index only: the primary key's (sync, key), and the partial index of
    // flagged keys (migration 6).
    this.#countKeys = db.prepare('SELECT count(*) FROM key_states WHERE sync = ?').pluck();
    this.#countRemoved = db.prepare('SELECT count(*) FROM key_states WHERE sync = ? AND removed = 1').pluck();
    this.#clear = db.prepare(
      'UPDATE key_states SET removed = 0 WHERE sync = ? AND removed = 1 AND key IN (SELECT value FROM json_each(?))',
    );
  }

  /** See StateStore.countKeys. */
  count(sync: string): { keys: number; removed: number } {
    return { keys: this.#countKeys.get(sync) as number, removed: this.#countRemoved.get(sync) as number };
  }

  /** See StateStore.clearRemoved. */
  clear(sync: string, keys: readonly string[]): void {
    if (keys.length > 0) this.#clear.run(sync, JSON.stringify(keys));
  }

  /** Notes keys the run's model returned (valid or not: an invalid row's key is still present). */
  note(run: string, keys: readonly string[]): void {
    if (keys.length > 0) this.#note.run(run, JSON.stringify(keys));
  }

  /**
   * The keys of `sync` the run did not note, not flagged before. Those delivered before (sent with a
   * messageId: a key only remembered by a `backfill: false` baseline, or whose first message never
   * got through, was never delivered) are counted, and with `record` get records for the run. With
   * `record`, every absent key is flagged — the undelivered ones silently, so the next run's counts
   * balance without them — and keys that came back lose their flag; without (a dry run), nothing is
   * written. Always forgets the run's noted keys.
   */
  sweep(sync: string, run: string, record: boolean): { count: number; batches: RemovedRecord[][] } {
    const batches: RemovedRecord[][] = [];
    let batch: RemovedRecord[] = [];
    const unreported: string[] = [];
    let count = 0;
    for (const [key, messageId] of this.#absent.iterate(sync, run) as IterableIterator<
      [string, string | null]
    >) {
      if (messageId === null) {
        if (record) unreported.push(key);
        continue;
      }
      count++;
      if (!record) continue;
      batch.push({
        key,
        status: 'removed',
        reason: 'absent',
        message:
          'delivered before and absent from the model now: nothing was sent (Segment has no delete for this call) and its state is kept',
        messageId,
        payload: null,
      });
      if (batch.length === RECORDS_PER_BATCH) {
        batches.push(batch);
        batch = [];
      }
    }
    if (batch.length > 0) batches.push(batch);
    if (record) {
      this.#cameBack.run(sync, run);
      for (const records of batches) for (const r of records) this.#markRemoved.run(sync, r.key);
      for (const key of unreported) this.#markRemoved.run(sync, key);
    }
    this.#forget.run(run);
    return { count, batches };
  }

  /** Forgets a run's noted keys without sweeping (a run that did not read its whole model). */
  forget(run: string): void {
    this.#forget.run(run);
  }
}

/** A removed key's record, as the run history stores it. */
export type RemovedRecord = Omit<RunRecord, 'runId'>;
