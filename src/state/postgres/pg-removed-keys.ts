import type { PgQueryable } from './pg-pool.js';
import { toPgTexts } from './pg-text.js';

/** What a removed key's record says (as the SQLite store words it). */
const REMOVED_MESSAGE =
  'delivered before and absent from the model now: nothing was sent (Segment has no delete for this call) and its state is kept';

/** The sync's keys the run did not note and that were not flagged before. */
const absent = `FROM key_states k
  WHERE k.sync = $1 AND NOT k.removed
    AND NOT EXISTS (SELECT 1 FROM present_keys p WHERE p.run = $2 AND p.key = k.key)`;

/**
 * Finding removed keys (SPEC §3), as sqlite-removed-keys.ts does, with the noted keys in the
 * `present_keys` table keyed by run id (a temporary table would belong to one pooled connection,
 * and the pool hands each call whichever is free). The caller (PostgresStateStore) owns
 * transactions and error wrapping.
 */
export class PgRemovedKeys {
  /** See DeliveryLedger.countKeys. */
  async count(db: PgQueryable, sync: string): Promise<{ keys: number; removed: number }> {
    const { rows } = await db.query<{ keys: string; removed: string }>(
      'SELECT count(*) AS keys, count(*) FILTER (WHERE removed) AS removed FROM key_states WHERE sync = $1',
      [sync],
    );
    return { keys: Number(rows[0]!.keys), removed: Number(rows[0]!.removed) };
  }

  /** See DeliveryLedger.clearRemoved. */
  async clear(db: PgQueryable, sync: string, keys: readonly string[]): Promise<void> {
    await db.query(
      'UPDATE key_states SET removed = false WHERE sync = $1 AND removed AND key = ANY($2::text[])',
      [sync, toPgTexts(keys)],
    );
  }

  /** Notes keys the run's model returned (valid or not: an invalid row's key is still present). */
  async note(db: PgQueryable, run: string, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await db.query(
      'INSERT INTO present_keys (run, key) SELECT $1, k FROM unnest($2::text[]) AS k ON CONFLICT DO NOTHING',
      [run, toPgTexts(keys)],
    );
  }

  /** How many keys a sweep would report (delivered before, with a messageId), writing nothing. */
  async countAbsent(db: PgQueryable, sync: string, run: string): Promise<number> {
    const { rows } = await db.query<{ n: string }>(
      `SELECT count(*) AS n ${absent} AND k.delivered_message_id IS NOT NULL`,
      [sync, run],
    );
    return Number(rows[0]!.n);
  }

  /**
   * Flags every absent key (the never-delivered ones silently), records the delivered ones as
   * `removed` records of the run (`runSeq`) in key order, and unflags keys that came back: two
   * statements, in the caller's transaction. Returns how many were recorded.
   */
  async sweep(db: PgQueryable, sync: string, run: string, runSeq: string): Promise<number> {
    const { rowCount } = await db.query(
      `WITH flagged AS (
         UPDATE key_states SET removed = true
         WHERE sync = $1 AND key IN (SELECT k.key ${absent})
         RETURNING key, delivered_message_id)
       INSERT INTO run_records (run_seq, key, status, reason, message, message_id)
       SELECT $3, key, 'removed', 'absent', $4, delivered_message_id
       FROM flagged WHERE delivered_message_id IS NOT NULL ORDER BY key`,
      [sync, run, runSeq, REMOVED_MESSAGE],
    );
    await db.query(
      `UPDATE key_states SET removed = false
       WHERE sync = $1 AND removed AND key IN (SELECT key FROM present_keys WHERE run = $2)`,
      [sync, run],
    );
    return rowCount ?? 0;
  }

  /** Forgets a run's noted keys. */
  async forget(db: PgQueryable, run: string): Promise<void> {
    await db.query('DELETE FROM present_keys WHERE run = $1', [run]);
  }
}
