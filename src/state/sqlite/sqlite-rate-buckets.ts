import type { SqliteDatabase, SqliteStatement } from './sqlite-database.js';

/**
 * Token buckets in the `rate_buckets` table (state-store.ts RateBuckets). The caller
 * (SqliteStateStore) runs `take` inside a BEGIN IMMEDIATE transaction, so reading a bucket and
 * taking from it is one step across every process on the file. Processes on one machine share its
 * clock, which is the only clock the buckets read.
 */
export class SqliteRateBuckets {
  readonly #read: SqliteStatement;
  readonly #write: SqliteStatement;

  constructor(db: SqliteDatabase) {
    this.#read = db.prepare('SELECT tokens, updated_ms FROM rate_buckets WHERE key = ?').raw();
    this.#write = db.prepare(
      `INSERT INTO rate_buckets (key, tokens, updated_ms) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens, updated_ms = excluded.updated_ms`,
    );
  }

  /** Takes `count` tokens; answers the milliseconds to wait before using them. */
  take(key: string, count: number, perSecond: number, burst: number, nowMs: number): number {
    const row = this.#read.get(key) as [number, number] | undefined;
    // A new bucket starts full. Time never runs backwards for a bucket (a clock step back refills
    // nothing and takes nothing away).
    const [tokens, updatedMs] = row ?? [burst, nowMs];
    const elapsedMs = Math.max(0, nowMs - updatedMs);
    const left = Math.min(burst, tokens + (perSecond * elapsedMs) / 1000) - count;
    this.#write.run(key, left, Math.max(updatedMs, nowMs));
    return left >= 0 ? 0 : Math.ceil((-left / perSecond) * 1000);
  }
}
