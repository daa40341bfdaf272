import type { Page, StoredExchange } from '../state-store.js';
import { checkLimit, parseCursor } from '../store-listing.js';
import type { PgQueryable } from './pg-pool.js';

/**
 * The inspector's exchanges in the `exchanges` table (state-store.ts ExchangeLog), with the SQLite
 * store's semantics (sqlite-exchanges.ts). The caller (PostgresStateStore) owns transactions and
 * error wrapping.
 */
export class PgExchanges {
  async record(db: PgQueryable, runId: string, exchanges: readonly StoredExchange[]): Promise<void> {
    // One statement for the batch: the documents in order, numbered by their position.
    await db.query(
      `INSERT INTO exchanges (run_seq, exchange)
       SELECT r.seq, e.doc FROM runs r, unnest($2::text[]) WITH ORDINALITY AS e(doc, n)
       WHERE r.run_id = $1 ORDER BY e.n`,
      [runId, exchanges.map((exchange) => JSON.stringify(exchange))],
    );
  }

  async list(
    db: PgQueryable,
    runId: string,
    query: { limit: number; cursor?: string },
  ): Promise<Page<StoredExchange>> {
    const limit = checkLimit(query.limit);
    const after = query.cursor === undefined ? 0 : parseCursor(query.cursor, 1)[0]!;
    // One more than asked says whether a next page exists.
    const { rows } = await db.query<{ seq: string; exchange: string }>(
      `SELECT e.seq, e.exchange FROM exchanges e JOIN runs r ON r.seq = e.run_seq
       WHERE r.run_id = $1 AND e.seq > $2 ORDER BY e.seq LIMIT $3`,
      [runId, after, limit + 1],
    );
    const items = rows.slice(0, limit).map((row) => JSON.parse(row.exchange) as StoredExchange);
    const next = rows.length > limit && limit > 0 ? String(rows[limit - 1]!.seq) : null;
    return { items, next };
  }

  /** Every exchange of a run, in order: what a state transfer carries after the run's records. */
  async ofRun(db: PgQueryable, runSeq: string): Promise<StoredExchange[]> {
    const { rows } = await db.query<{ exchange: string }>(
      'SELECT exchange FROM exchanges WHERE run_seq = $1 ORDER BY seq',
      [runSeq],
    );
    return rows.map((row) => JSON.parse(row.exchange) as StoredExchange);
  }

  /** Deletes a run's exchanges (retention); answers how many and the bytes their rows took. */
  async pruneRun(db: PgQueryable, runSeq: string): Promise<{ exchanges: number; bytes: number }> {
    const { rows } = await db.query<{ exchanges: string; bytes: string }>(
      `WITH deleted AS (DELETE FROM exchanges e WHERE e.run_seq = $1 RETURNING pg_column_size(e.*) AS size)
       SELECT count(*) AS exchanges, coalesce(sum(size), 0) AS bytes FROM deleted`,
      [runSeq],
    );
    return { exchanges: Number(rows[0]!.exchanges), bytes: Number(rows[0]!.bytes) };
  }
}
