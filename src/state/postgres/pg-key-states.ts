import { packedIfExact } from '../../core/text-columns.js';
import { fingerprintPage } from '../fingerprint-page.js';
import type { DeliveryResult, FingerprintPage, KeyState, PlannedChange, SeenEntry } from '../state-store.js';
import type { PgQueryable } from './pg-pool.js';
import { fromPgText, PG_ESCAPE_MARK, toPgText, toPgTexts } from './pg-text.js';
import { uniqueKeyGroups } from './unique-key-groups.js';

export interface KeyStateRow {
  key: string;
  generation: string;
  delivered_hash: string | null;
  delivered_source_hash: string | null;
  delivered_message_id: string | null;
  pending_hash: string | null;
  pending_message_id: string | null;
  pending_generation: string | null;
  attempts: number;
  first_failed_at: string | null;
  last_error: string | null;
  abandoned: boolean;
  removed: boolean;
}

const stateColumns = `k.key, k.generation, k.delivered_hash, k.delivered_source_hash, k.delivered_message_id,
  k.pending_hash, k.pending_message_id, k.pending_generation, k.attempts, k.first_failed_at, k.last_error,
  k.abandoned, k.removed`;

/** "The row's pending change is the one this statement is about": a retry, not a new change. */
const samePending = 'key_states.pending_message_id IS NOT DISTINCT FROM excluded.pending_message_id';

/**
 * Per sync and key delivery state: the `key_states` table, written a batch per statement (arrays
 * unnested). The upserts mean what the SQLite store's do (sqlite-key-states.ts explains each rule);
 * a batch that names a key twice is written in groups, in order (uniqueKeyGroups). The caller
 * (PostgresStateStore) owns transactions and error wrapping.
 */
export class PgKeyStates {
  async get(db: PgQueryable, sync: string, keys: readonly string[]): Promise<Map<string, KeyState>> {
    const states = new Map<string, KeyState>();
    if (keys.length === 0) return states;
    const { rows } = await db.query<KeyStateRow>(
      `SELECT ${stateColumns} FROM key_states k WHERE k.sync = $1 AND k.key = ANY($2::text[])`,
      [sync, toPgTexts(keys)],
    );
    for (const row of rows) states.set(fromPgText(row.key), toKeyState(row));
    return states;
  }

  /**
   * The diff's lookup in one query: the asked (key, fingerprint) pairs joined to their states. A
   * key is unchanged when its last delivery came from that fingerprint with nothing pending; only
   * the other keys' states come back in full.
   */
  async lookup(
    db: PgQueryable,
    sync: string,
    keys: readonly string[],
    sourceHashes: readonly string[],
  ): Promise<{ unchanged: Set<string>; states: Map<string, KeyState> }> {
    const unchanged = new Set<string>();
    const states = new Map<string, KeyState>();
    if (keys.length === 0) return { unchanged, states };
    const { rows } = await db.query<KeyStateRow & { unchanged: boolean }>(
      // LATERAL … LIMIT 1 keeps this a primary-key probe per asked key, whatever the statistics say:
      // as a plain join, a table not analysed since it grew was hashed whole for every batch
      // (measured 120 ms a 2,000-key batch on 100,000 keys, against a few ms).
      `SELECT k.*,
              a.source_hash <> '' AND k.delivered_source_hash = a.source_hash AND k.delivered_hash IS NOT NULL
                AND k.pending_hash IS NULL AND NOT k.removed AS unchanged
       FROM unnest($2::text[], $3::text[]) AS a (key, source_hash)
         CROSS JOIN LATERAL (SELECT ${stateColumns}
                             FROM key_states k WHERE k.sync = $1 AND k.key = a.key LIMIT 1) k`,
      [sync, toPgTexts(keys), keys.map((_, i) => toPgText(sourceHashes[i] ?? ''))],
    );
    for (const row of rows) {
      if (row.unchanged) unchanged.add(fromPgText(row.key));
      else states.set(fromPgText(row.key), toKeyState(row));
    }
    return { unchanged, states };
  }

  /**
   * See StateStore.ledger.deliveredFingerprints. Keys are compared and resumed from in their stored
   * (escaped) form, which is what the primary key orders.
   */
  async fingerprints(
    db: PgQueryable,
    sync: string,
    query: { salt: string; after?: string; limit: number },
  ): Promise<FingerprintPage> {
    const page = `SELECT k.key, k.delivered_source_hash AS fingerprint FROM key_states k
       WHERE k.sync = $1 AND ($2::text IS NULL OR k.key > $2) AND k.delivered_source_hash IS NOT NULL
         AND k.delivered_hash IS NOT NULL AND k.pending_hash IS NULL AND NOT k.removed
       ORDER BY k.key LIMIT $3`;
    const params = [sync, query.after ?? null, query.limit];
    // A salt that is stored escaped (it holds the U+0000 that ends every RowMapper salt) makes every
    // fingerprint that carries it escaped too, starting with the salt's stored form and followed by
    // the row hash's: the page is then one row, each column joined by U+001F (core/text-columns.ts)
    // in the subquery's order, instead of a row (and a JS object) per key. A page that mixes salts,
    // or holds a value that was stored escaped (it has U+0001) or holds U+001F, is read as rows,
    // which filters and unescapes.
    const storedSalt = toPgText(query.salt);
    if (storedSalt !== query.salt) {
      const { rows } = await db.query<{
        scanned: number;
        last: string | null;
        salted: number;
        keys: string;
        row_hashes: string;
      }>(
        `SELECT count(*)::int AS scanned, max(p.key) AS last,
                (count(*) FILTER (WHERE length(p.fingerprint) > $5 AND left(p.fingerprint, $5) = $4))::int AS salted,
                coalesce(string_agg(p.key, chr(31)), '') AS keys,
                coalesce(string_agg(substr(p.fingerprint, $5 + 1), chr(31)), '') AS row_hashes
         FROM (${page}) p`,
        [...params, storedSalt, storedSalt.length],
      );
      const row = rows[0]!;
      const next = row.scanned < query.limit ? null : row.last;
      if (row.salted === 0) return { pairs: { rows: 0, packed: ['', ''] }, next };
      const escaped = row.keys.includes(PG_ESCAPE_MARK) || row.row_hashes.includes(PG_ESCAPE_MARK);
      if (row.salted === row.scanned && !escaped) {
        const joined = packedIfExact(row.salted, [row.keys, row.row_hashes]);
        if (joined !== null) return { pairs: joined, next };
      }
    }
    const { rows } = await db.query<{ key: string; fingerprint: string }>(page, params);
    return fingerprintPage(
      rows.map((row) => [fromPgText(row.key), fromPgText(row.fingerprint)] as const),
      query.salt,
      query.limit,
      rows.at(-1)?.key,
    );
  }

  /**
   * The message last delivered per key: out of the delivery's run record, or once retention pruned
   * it, out of kept_payloads (valid while it holds the key's delivered messageId).
   */
  async payloads(db: PgQueryable, sync: string, keys: readonly string[]): Promise<Map<string, string>> {
    const payloads = new Map<string, string>();
    if (keys.length === 0) return payloads;
    const { rows } = await db.query<{ key: string; payload: string }>(
      `SELECT k.key, coalesce(r.payload, kp.payload) AS payload
       FROM key_states k
         LEFT JOIN run_records r ON r.seq = k.delivered_record
         LEFT JOIN kept_payloads kp ON k.delivered_record IS NULL AND kp.sync = k.sync AND kp.key = k.key
           AND kp.message_id = k.delivered_message_id
       WHERE k.sync = $1 AND k.key = ANY($2::text[]) AND coalesce(r.payload, kp.payload) IS NOT NULL`,
      [sync, toPgTexts(keys)],
    );
    for (const row of rows) payloads.set(fromPgText(row.key), fromPgText(row.payload));
    return payloads;
  }

  async plan(db: PgQueryable, sync: string, changes: readonly PlannedChange[]): Promise<void> {
    for (const group of uniqueKeyGroups(changes, (change) => change.key)) {
      // Keys are distinct within a group, so its resets and retries can go in two statements.
      const retries = group.filter((change) => change.resetAttempts !== true);
      const resets = group.filter((change) => change.resetAttempts === true);
      if (retries.length > 0) await this.#plan(db, sync, retries, samePending);
      if (resets.length > 0) await this.#plan(db, sync, resets, 'false');
    }
  }

  /**
   * A re-plan of the same messageId (`keepsHistory`) is a retry and keeps its failure history; a
   * different messageId, or a reset, starts afresh. Generation only ever grows.
   */
  async #plan(
    db: PgQueryable,
    sync: string,
    changes: readonly PlannedChange[],
    keepsHistory: string,
  ): Promise<void> {
    await db.query(
      `INSERT INTO key_states AS key_states (sync, key, generation, pending_hash, pending_message_id,
                                             pending_generation)
       SELECT $1, c.key, c.generation, c.hash, c.message_id, c.generation
       FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[]) AS c (key, generation, hash, message_id)
       ON CONFLICT (sync, key) DO UPDATE SET
         generation = greatest(key_states.generation, excluded.generation),
         attempts = CASE WHEN ${keepsHistory} THEN key_states.attempts ELSE 0 END,
         first_failed_at = CASE WHEN ${keepsHistory} THEN key_states.first_failed_at ELSE NULL END,
         last_error = CASE WHEN ${keepsHistory} THEN key_states.last_error ELSE NULL END,
         abandoned = CASE WHEN ${keepsHistory} THEN key_states.abandoned ELSE false END,
         pending_hash = excluded.pending_hash,
         pending_message_id = excluded.pending_message_id,
         pending_generation = excluded.pending_generation`,
      [
        sync,
        toPgTexts(changes.map((c) => c.key)),
        changes.map((c) => c.generation),
        changes.map((c) => c.hash),
        changes.map((c) => c.messageId),
      ],
    );
  }

  /**
   * Applies a batch's outcomes; `records[i]` is the run record holding `results[i]` as sent, `at`
   * the ISO time stamped on them.
   */
  async applyResults(
    db: PgQueryable,
    sync: string,
    results: readonly DeliveryResult[],
    records: readonly string[],
    at: string,
  ): Promise<void> {
    const indexed = results.map((result, i) => ({ result, record: records[i]! }));
    for (const group of uniqueKeyGroups(indexed, (item) => item.result.key)) {
      const delivered = group.filter((item) => item.result.status === 'succeeded');
      const failed = group.filter((item) => item.result.status !== 'succeeded');
      if (delivered.length > 0) await this.#delivered(db, sync, delivered, at);
      if (failed.length > 0) await this.#failed(db, sync, failed, at);
    }
  }

  async #delivered(
    db: PgQueryable,
    sync: string,
    items: readonly { result: DeliveryResult; record: string }[],
    at: string,
  ): Promise<void> {
    // The pending change is cleared only when it is the one delivered, so a newer plan written
    // meanwhile is never lost.
    const isPending =
      '(key_states.pending_message_id IS NULL OR key_states.pending_message_id = excluded.delivered_message_id)';
    await db.query(
      `INSERT INTO key_states AS key_states (sync, key, generation, delivered_hash, delivered_source_hash,
                                             delivered_record, delivered_message_id, delivered_at)
       SELECT $1, d.key, d.generation, d.hash, d.source_hash, d.record, d.message_id, $8
       FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::text[])
         AS d (key, generation, hash, source_hash, record, message_id)
       ON CONFLICT (sync, key) DO UPDATE SET
         generation = greatest(key_states.generation, excluded.generation),
         delivered_hash = excluded.delivered_hash,
         delivered_source_hash = excluded.delivered_source_hash,
         delivered_record = excluded.delivered_record,
         delivered_message_id = excluded.delivered_message_id,
         delivered_at = excluded.delivered_at,
         attempts = CASE WHEN ${isPending} THEN 0 ELSE key_states.attempts END,
         first_failed_at = CASE WHEN ${isPending} THEN NULL ELSE key_states.first_failed_at END,
         last_error = CASE WHEN ${isPending} THEN NULL ELSE key_states.last_error END,
         abandoned = CASE WHEN ${isPending} THEN false ELSE key_states.abandoned END,
         pending_generation = CASE WHEN ${isPending} THEN NULL ELSE key_states.pending_generation END,
         pending_hash = CASE WHEN ${isPending} THEN NULL ELSE key_states.pending_hash END,
         pending_message_id = CASE WHEN ${isPending} THEN NULL ELSE key_states.pending_message_id END`,
      [
        sync,
        toPgTexts(items.map((i) => i.result.key)),
        items.map((i) => i.result.generation),
        items.map((i) => i.result.hash),
        toPgTexts(items.map((i) => i.result.sourceHash)),
        items.map((i) => i.record),
        items.map((i) => i.result.messageId),
        at,
      ],
    );
  }

  async #failed(
    db: PgQueryable,
    sync: string,
    items: readonly { result: DeliveryResult }[],
    at: string,
  ): Promise<void> {
    // The change stays pending under its messageId so the next run retries it with the same id.
    await db.query(
      `INSERT INTO key_states AS key_states (sync, key, generation, pending_hash, pending_message_id,
                                             pending_generation, attempts, first_failed_at, last_error, abandoned)
       SELECT $1, f.key, f.generation, f.hash, f.message_id, f.generation, 1, $7, f.error, f.abandoned
       FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $8::boolean[])
         AS f (key, generation, hash, message_id, error, abandoned)
       ON CONFLICT (sync, key) DO UPDATE SET
         generation = greatest(key_states.generation, excluded.generation),
         attempts = CASE WHEN ${samePending} THEN key_states.attempts + 1 ELSE 1 END,
         first_failed_at = CASE WHEN ${samePending}
                                THEN coalesce(key_states.first_failed_at, excluded.first_failed_at)
                                ELSE excluded.first_failed_at END,
         last_error = excluded.last_error,
         abandoned = excluded.abandoned,
         pending_generation = CASE WHEN ${samePending} THEN key_states.pending_generation
                                   ELSE excluded.pending_generation END,
         pending_hash = excluded.pending_hash,
         pending_message_id = excluded.pending_message_id`,
      [
        sync,
        toPgTexts(items.map((i) => i.result.key)),
        items.map((i) => i.result.generation),
        items.map((i) => i.result.hash),
        items.map((i) => i.result.messageId),
        toPgTexts(items.map((i) => i.result.error)),
        at,
        items.map((i) => i.result.status === 'abandoned'),
      ],
    );
  }

  async markSeen(db: PgQueryable, sync: string, entries: readonly SeenEntry[], at: string): Promise<void> {
    for (const group of uniqueKeyGroups(entries, (entry) => entry.key)) {
      await db.query(
        `INSERT INTO key_states AS key_states (sync, key, delivered_hash, delivered_source_hash, delivered_at)
         SELECT $1, s.key, s.hash, s.source_hash, $5
         FROM unnest($2::text[], $3::text[], $4::text[]) AS s (key, hash, source_hash)
         ON CONFLICT (sync, key) DO UPDATE SET
           delivered_hash = excluded.delivered_hash,
           delivered_source_hash = excluded.delivered_source_hash,
           delivered_record = NULL,
           delivered_message_id = NULL,
           delivered_at = excluded.delivered_at`,
        [
          sync,
          toPgTexts(group.map((e) => e.key)),
          group.map((e) => e.hash),
          toPgTexts(group.map((e) => e.sourceHash)),
          at,
        ],
      );
    }
  }

  async refreshSourceHashes(db: PgQueryable, sync: string, entries: readonly SeenEntry[]): Promise<void> {
    for (const group of uniqueKeyGroups(entries, (entry) => entry.key)) {
      await db.query(
        `UPDATE key_states k SET delivered_source_hash = s.source_hash
         FROM unnest($2::text[], $3::text[], $4::text[]) AS s (key, hash, source_hash)
         WHERE k.sync = $1 AND k.key = s.key AND k.delivered_hash = s.hash`,
        [
          sync,
          toPgTexts(group.map((e) => e.key)),
          group.map((e) => e.hash),
          toPgTexts(group.map((e) => e.sourceHash)),
        ],
      );
    }
  }
}

export function toKeyState(row: KeyStateRow): KeyState {
  const generation = Number(row.generation);
  return {
    key: fromPgText(row.key),
    deliveredHash: row.delivered_hash,
    deliveredSourceHash: fromPgText(row.delivered_source_hash),
    deliveredMessageId: row.delivered_message_id,
    generation,
    pending:
      row.pending_hash === null || row.pending_message_id === null
        ? null
        : {
            hash: row.pending_hash,
            messageId: row.pending_message_id,
            generation: row.pending_generation === null ? generation : Number(row.pending_generation),
            attempts: row.attempts,
            firstFailedAt: row.first_failed_at,
            lastError: fromPgText(row.last_error),
            abandoned: row.abandoned,
          },
    removed: row.removed,
  };
}
