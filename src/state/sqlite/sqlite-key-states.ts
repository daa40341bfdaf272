import { packedIfExact, UNIT_SEPARATOR } from '../../core/text-columns.js';
import { fingerprintPage, prefixEnd } from '../fingerprint-page.js';
import type { DeliveryResult, FingerprintPage, KeyState, PlannedChange, SeenEntry } from '../state-store.js';
import { payloadAt } from './record-batch.js';
import type { SqliteDatabase, SqliteStatement } from './sqlite-database.js';

/** Columns read by `get`, in the order the raw rows come back. */
export type KeyStateRow = [
  key: string,
  generation: number,
  deliveredHash: string | null,
  deliveredSourceHash: string | null,
  deliveredMessageId: string | null,
  pendingHash: string | null,
  pendingMessageId: string | null,
  pendingGeneration: number | null,
  attempts: number,
  firstFailedAt: string | null,
  lastError: string | null,
  abandoned: number,
  removed: number,
];

/**
 * The indexes (into the JSON array of [key, fingerprint] pairs bound first) of the keys of a sync
 * (bound second) that are unchanged by fingerprint: see `SqliteKeyStates` for the join order.
 */
export const UNCHANGED_KEYS_SQL = `SELECT j.key FROM json_each(?) j CROSS JOIN key_states k ON k.sync = ? AND k.key = j.value ->> 0
  WHERE j.value ->> 1 <> '' AND k.delivered_source_hash = j.value ->> 1
    AND k.delivered_hash IS NOT NULL AND k.pending_hash IS NULL AND k.removed = 0`;

/** "The row's pending change is the one this statement is about": a retry, not a new change. */
const samePending = 'pending_message_id IS excluded.pending_message_id';

/**
 * Per sync and key delivery state: the `key_states` table. Statements are prepared once; the caller
 * (SqliteStateStore) owns transactions and error wrapping.
 */
export class SqliteKeyStates {
  readonly #get: SqliteStatement;
  readonly #payloads: SqliteStatement;
  readonly #unchanged: SqliteStatement;
  readonly #plan: SqliteStatement;
  readonly #delivered: SqliteStatement;
  readonly #failed: SqliteStatement;
  readonly #seen: SqliteStatement;
  readonly #refreshSourceHash: SqliteStatement;
  readonly #fingerprints: SqliteStatement;
  readonly #packedFingerprints: SqliteStatement;

  constructor(db: SqliteDatabase) {
    // One statement with the keys as a JSON array: no bound-variable limit to chunk around, and
    // measured as fast as 500-key IN (?, …) chunks on 5,000-key batches. Keep json_each inside IN:
    // written as `FROM json_each(?) JOIN key_states` the planner may scan key_states per key.
    this.#get = db
      .prepare(
        `SELECT key, generation, delivered_hash, delivered_source_hash, delivered_message_id,
                pending_hash, pending_message_id, pending_generation,
                attempts, first_failed_at, last_error, abandoned, removed
         FROM key_states WHERE sync = ? AND key IN (SELECT value FROM json_each(?))`,
      )
      .raw();
    // The diff's first question, answered in SQL so unchanged keys never become objects: which of
    // the asked [key, fingerprint] pairs (by their index in the array) match a delivery with nothing
    // pending (state-store.ts KeyLookup). CROSS JOIN makes json_each the outer loop (SQLite keeps
    // the written order for it), so each asked key is one probe of the primary key; as a plain JOIN
    // the planner scanned key_states once per batch instead, minutes on a million keys.
    this.#unchanged = db.prepare(UNCHANGED_KEYS_SQL).raw();
    // Payloads are read apart from the diff's lookup (~400 bytes a key that only dry-run samples
    // need): out of the delivery's record batch; once retention pruned that batch, out of
    // kept_payloads (valid while it holds the key's delivered messageId, sqlite-retention.ts); for
    // keys delivered before migration 3, the old copy.
    this.#payloads = db
      .prepare(
        `SELECT k.key, b.records, b.payloads, k.delivered_record_index, coalesce(kp.payload, k.delivered_payload)
         FROM key_states k LEFT JOIN record_batches b ON b.seq = k.delivered_record
           LEFT JOIN kept_payloads kp ON k.delivered_record IS NULL AND kp.sync = k.sync AND kp.key = k.key
             AND kp.message_id = k.delivered_message_id
         WHERE k.sync = ? AND k.key IN (SELECT value FROM json_each(?))
           AND (b.seq IS NOT NULL OR kp.payload IS NOT NULL OR k.delivered_payload IS NOT NULL)`,
      )
      .raw();
    // A re-plan of the same messageId is a retry and keeps its failure history, unless the caller
    // resets it (--retry-abandoned, or an abandoned event whose row changed); a different messageId
    // is a new change and starts afresh. Generation only ever grows, so a messageId derived from it
    // is never handed out twice. SET expressions all read the row as it was.
    const keepsHistory = `(${samePending}) AND @reset = 0`;
    this.#plan = db.prepare(
      `INSERT INTO key_states (sync, key, generation, pending_hash, pending_message_id, pending_generation)
       VALUES (@sync, @key, @generation, @hash, @messageId, @generation)
       ON CONFLICT (sync, key) DO UPDATE SET
         generation = max(generation, excluded.generation),
         attempts = CASE WHEN ${keepsHistory} THEN attempts ELSE 0 END,
         first_failed_at = CASE WHEN ${keepsHistory} THEN first_failed_at ELSE NULL END,
         last_error = CASE WHEN ${keepsHistory} THEN last_error ELSE NULL END,
         abandoned = CASE WHEN ${keepsHistory} THEN abandoned ELSE 0 END,
         pending_hash = excluded.pending_hash,
         pending_message_id = excluded.pending_message_id,
         pending_generation = excluded.pending_generation`,
    );
    // Delivered: remember what Segment accepted. The pending change is cleared only when it is the
    // one delivered, so a newer plan written meanwhile is never lost.
    const deliveredIsPending =
      'pending_message_id IS NULL OR pending_message_id = excluded.delivered_message_id';
    this.#delivered = db.prepare(
      `INSERT INTO key_states (sync, key, generation, delivered_hash, delivered_source_hash, delivered_record,
                               delivered_record_index, delivered_message_id, delivered_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (sync, key) DO UPDATE SET
         generation = max(generation, excluded.generation),
         delivered_hash = excluded.delivered_hash,
         delivered_source_hash = excluded.delivered_source_hash,
         delivered_record = excluded.delivered_record,
         delivered_record_index = excluded.delivered_record_index,
         delivered_payload = NULL,
         delivered_message_id = excluded.delivered_message_id,
         delivered_at = excluded.delivered_at,
         attempts = CASE WHEN ${deliveredIsPending} THEN 0 ELSE attempts END,
         first_failed_at = CASE WHEN ${deliveredIsPending} THEN NULL ELSE first_failed_at END,
         last_error = CASE WHEN ${deliveredIsPending} THEN NULL ELSE last_error END,
         abandoned = CASE WHEN ${deliveredIsPending} THEN 0 ELSE abandoned END,
         pending_generation = CASE WHEN ${deliveredIsPending} THEN NULL ELSE pending_generation END,
         pending_hash = CASE WHEN ${deliveredIsPending} THEN NULL ELSE pending_hash END,
         pending_message_id = CASE WHEN ${deliveredIsPending} THEN NULL ELSE pending_message_id END`,
    );
    // Failed or abandoned: the change stays pending under its messageId so the next run retries it
    // with the same id (Segment then drops a copy that did get through). An abandoned row failed
    // once more and then hit the retry policy, so it counts as an attempt too. A key's first message
    // may fail without ever having been planned (sync/diff.ts Decision.durable): then this row is
    // where its generation is first written.
    this.#failed = db.prepare(
      `INSERT INTO key_states (sync, key, generation, pending_hash, pending_message_id, pending_generation,
                               attempts, first_failed_at, last_error, abandoned)
       VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?)
       ON CONFLICT (sync, key) DO UPDATE SET
         generation = max(generation, excluded.generation),
         attempts = CASE WHEN ${samePending} THEN attempts + 1 ELSE 1 END,
         first_failed_at = CASE WHEN ${samePending} THEN coalesce(first_failed_at, excluded.first_failed_at)
                                ELSE excluded.first_failed_at END,
         last_error = excluded.last_error,
         abandoned = excluded.abandoned,
         pending_generation = CASE WHEN ${samePending} THEN pending_generation ELSE excluded.pending_generation END,
         pending_hash = excluded.pending_hash,
         pending_message_id = excluded.pending_message_id`,
    );
    this.#seen = db.prepare(
      `INSERT INTO key_states (sync, key, delivered_hash, delivered_source_hash, delivered_at)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (sync, key) DO UPDATE SET
         delivered_hash = excluded.delivered_hash,
         delivered_source_hash = excluded.delivered_source_hash,
         delivered_record = NULL,
         delivered_payload = NULL,
         delivered_message_id = NULL,
         delivered_at = excluded.delivered_at`,
    );
    // The same conditions as UNCHANGED_KEYS_SQL, walked in the primary key's order a page at a time.
    const page = `SELECT key, delivered_source_hash AS fingerprint FROM key_states
         WHERE sync = @sync AND key > @after AND delivered_source_hash IS NOT NULL
           AND delivered_hash IS NOT NULL AND pending_hash IS NULL AND removed = 0
         ORDER BY key LIMIT @limit`;
    this.#fingerprints = db.prepare(page).raw();
    // The same page as one row: how many keys it scanned and the last of them (max(key) compares as
    // ORDER BY key does), how many carry the salt, and the keys and their row hashes, each column
    // joined by U+001F (core/text-columns.ts) in the order the subquery yields the rows — the same
    // for both, so the i-th key and the i-th row hash are one row's. Both come out as UTF-8 bytes
    // (BLOBs), which neither thread turns into strings. The salt is matched as a range of whole
    // values (fingerprint-page.ts prefixEnd) and cut once per page, replace() after each separator
    // and substr() of the bytes for the first (SQLite's text functions would stop at its U+0000):
    // exact when every fingerprint of the page carries it, and no value holds the separator
    // (the salted count and packedIfExact check both). Measured per million keys on the state
    // thread: ≈ 0.6 s; as rows (better-sqlite3's arrays and strings) ≈ 0.8 s before the thread
    // filtered them and cloned them to the main thread; with a FILTER on each string_agg, to drop
    // other salts in SQL, ≈ 1.3 s, so a page that mixes salts (a mapping change half refreshed) is
    // read as rows instead.
    this.#packedFingerprints = db
      .prepare(
        `SELECT count(*), max(key), count(*) FILTER (WHERE fingerprint > @salt AND fingerprint < @saltEnd),
                coalesce(CAST(string_agg(key, char(31)) AS BLOB), X''),
                coalesce(substr(CAST(replace(string_agg(fingerprint, char(31)), @separatedSalt, char(31)) AS BLOB),
                                @saltBytes + 1), X'')
         FROM (${page})`,
      )
      .raw();
    this.#refreshSourceHash = db.prepare(
      'UPDATE key_states SET delivered_source_hash = ? WHERE sync = ? AND key = ? AND delivered_hash = ?',
    );
  }

  get(sync: string, keys: readonly string[]): Map<string, KeyState> {
    const states = new Map<string, KeyState>();
    if (keys.length === 0) return states;
    for (const row of this.#get.all(sync, JSON.stringify(keys)) as KeyStateRow[]) {
      states.set(row[0], keyStateOf(row));
    }
    return states;
  }

  /** See StateStore.ledger.lookup. */
  /** Which asked keys are unchanged by fingerprint (a flag per key, 1: unchanged), and the rest's states. */
  lookup(
    sync: string,
    keys: readonly string[],
    sourceHashes: readonly string[],
  ): { unchanged: Uint8Array; states: Map<string, KeyState> } {
    const unchanged = new Uint8Array(keys.length);
    if (keys.length === 0) return { unchanged, states: new Map() };
    const pairs = keys.map((key, i) => [key, sourceHashes[i] ?? '']);
    let matched = 0;
    for (const [index] of this.#unchanged.all(JSON.stringify(pairs), sync) as [number][]) {
      unchanged[index] = 1;
      matched++;
    }
    const rest = matched === 0 ? keys : keys.filter((_, i) => unchanged[i] === 0);
    return { unchanged, states: this.get(sync, rest) };
  }

  /** See StateStore.ledger.deliveredFingerprints. */
  fingerprints(sync: string, query: { salt: string; after?: string; limit: number }): FingerprintPage {
    // '' sorts before every key, and no key is '' (a blank key is never delivered).
    const params = { sync, after: query.after ?? '', limit: query.limit };
    // A salt holding the separator could match across a separator in replace(): rows, then.
    const saltEnd = query.salt.includes(UNIT_SEPARATOR) ? null : prefixEnd(query.salt);
    if (saltEnd !== null) {
      const [scanned, last, salted, keys, rowHashes] = this.#packedFingerprints.get({
        ...params,
        salt: query.salt,
        saltEnd,
        separatedSalt: UNIT_SEPARATOR + query.salt,
        saltBytes: Buffer.byteLength(query.salt),
      }) as [number, string | null, number, Uint8Array, Uint8Array];
      const next = scanned < query.limit ? null : last;
      // None of the salt (the first run after a mapping change): nothing to read back.
      if (salted === 0) return { pairs: { rows: 0, packed: ['', ''] }, next };
      const pairs = salted === scanned ? packedIfExact(salted, [keys, rowHashes]) : null;
      if (pairs !== null) return { pairs, next };
    }
    const rows = this.#fingerprints.all(params) as [string, string][];
    return fingerprintPage(rows, query.salt, query.limit, rows.at(-1)?.[0]);
  }

  payloads(sync: string, keys: readonly string[]): Map<string, string> {
    const payloads = new Map<string, string>();
    if (keys.length === 0) return payloads;
    const rows = this.#payloads.all(sync, JSON.stringify(keys)) as [
      string,
      string | null,
      string | null,
      number | null,
      string | null,
    ][];
    for (const [key, records, batchPayloads, index, legacy] of rows) {
      const payload = records === null ? legacy : payloadAt(records, batchPayloads, index ?? 0);
      if (payload !== null) payloads.set(key, payload);
    }
    return payloads;
  }

  plan(sync: string, change: PlannedChange): void {
    this.#plan.run({
      sync,
      key: change.key,
      generation: change.generation,
      hash: change.hash,
      messageId: change.messageId,
      reset: change.resetAttempts === true ? 1 : 0,
    });
  }

  /**
   * Applies one delivery outcome; `at` is the ISO time stamped on it, (`batch`, `index`) the run
   * record that holds the message as sent.
   */
  applyResult(sync: string, result: DeliveryResult, at: string, batch: number, index: number): void {
    switch (result.status) {
      case 'succeeded':
        this.#delivered.run(
          sync,
          result.key,
          result.generation,
          result.hash,
          result.sourceHash,
          batch,
          index,
          result.messageId,
          at,
        );
        return;
      case 'failed':
      case 'abandoned':
        this.#failed.run(
          sync,
          result.key,
          result.generation,
          result.hash,
          result.messageId,
          result.generation,
          at,
          result.error,
          abandoned(result),
        );
        return;
      default:
        throw new Error(`unknown delivery status ${JSON.stringify((result as { status: unknown }).status)}`);
    }
  }

  markSeen(sync: string, entry: SeenEntry, at: string): void {
    this.#seen.run(sync, entry.key, entry.hash, entry.sourceHash, at);
  }

  refreshSourceHash(sync: string, entry: SeenEntry): void {
    this.#refreshSourceHash.run(entry.sourceHash, sync, entry.key, entry.hash);
  }
}

function abandoned(result: DeliveryResult): number {
  return result.status === 'abandoned' ? 1 : 0;
}

/** A key state from its columns, read in `KeyStateRow` order (also by sqlite-transfer.ts). */
export function keyStateOf(row: KeyStateRow): KeyState {
  const [key, generation, deliveredHash, deliveredSourceHash, deliveredMessageId, pendingHash] = row;
  const [, , , , , , pendingMessageId, pendingGeneration, attempts, firstFailedAt, lastError] = row;
  const [, , , , , , , , , , , abandoned, removed] = row;
  return {
    key,
    deliveredHash,
    deliveredSourceHash,
    deliveredMessageId,
    generation,
    pending:
      pendingHash === null || pendingMessageId === null
        ? null
        : {
            hash: pendingHash,
            messageId: pendingMessageId,
            generation: pendingGeneration ?? generation,
            attempts,
            firstFailedAt,
            lastError,
            abandoned: abandoned === 1,
          },
    removed: removed === 1,
  };
}
