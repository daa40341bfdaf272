import type { Page, StoredExchange } from '../state-store.js';
import { checkLimit, parseCursor } from '../store-listing.js';
import type { SqliteDatabase, SqliteStatement } from './sqlite-database.js';

/**
 * The inspector's exchanges in the `exchanges` table (state-store.ts ExchangeLog), one JSON document
 * a row. The caller (SqliteStateStore) runs the writes in BEGIN IMMEDIATE transactions and wraps errors.
 */
export class SqliteExchanges {
  readonly #runSeq: SqliteStatement;
  readonly #insert: SqliteStatement;
  readonly #page: SqliteStatement;
  readonly #deleteRun: SqliteStatement;
  readonly #ofRun: SqliteStatement;

  constructor(db: SqliteDatabase) {
    this.#runSeq = db.prepare('SELECT seq FROM runs WHERE run_id = ?').raw();
    this.#insert = db.prepare('INSERT INTO exchanges (run_seq, exchange) VALUES (?, ?)');
    this.#page = db
      .prepare(
        `SELECT e.seq, e.exchange FROM exchanges e JOIN runs r ON r.seq = e.run_seq
         WHERE r.run_id = ? AND e.seq > ? ORDER BY e.seq LIMIT ?`,
      )
      .raw();
    this.#deleteRun = db.prepare('DELETE FROM exchanges WHERE run_seq = ?');
    this.#ofRun = db.prepare('SELECT exchange FROM exchanges WHERE run_seq = ? ORDER BY seq').pluck();
  }

  record(runId: string, exchanges: readonly StoredExchange[]): void {
    const row = this.#runSeq.get(runId) as [number] | undefined;
    if (row === undefined) return;
    for (const exchange of exchanges) this.#insert.run(row[0], JSON.stringify(exchange));
  }

  list(runId: string, query: { limit: number; cursor?: string }): Page<StoredExchange> {
    const limit = checkLimit(query.limit);
    const after = query.cursor === undefined ? 0 : parseCursor(query.cursor, 1)[0]!;
    // One more than asked says whether a next page exists.
    const rows = this.#page.all(runId, after, limit + 1) as [number, string][];
    const items = rows.slice(0, limit).map(([, text]) => JSON.parse(text) as StoredExchange);
    const next = rows.length > limit && limit > 0 ? String(rows[limit - 1]![0]) : null;
    return { items, next };
  }

  /** Every exchange of a run, in order: what a state transfer carries after the run's records. */
  ofRun(runSeq: number): StoredExchange[] {
    return (this.#ofRun.all(runSeq) as string[]).map((text) => JSON.parse(text) as StoredExchange);
  }

  /** Deletes a run's exchanges (retention); answers how many. Call inside a write transaction. */
  pruneRun(runSeq: number): number {
    return this.#deleteRun.run(runSeq).changes;
  }
}
