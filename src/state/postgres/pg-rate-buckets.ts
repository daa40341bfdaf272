import { DB_NOW_MS } from './pg-locks.js';
import type { PgQueryable } from './pg-pool.js';

/**
 * Token buckets in the `rate_buckets` table (state-store.ts RateBuckets), with the SQLite store's
 * arithmetic (sqlite-rate-buckets.ts) in one statement: the bucket row is locked by the upsert, so
 * callers on any machine take their turns, and time is the database's clock, which they share.
 */
export class PgRateBuckets {
  /** Takes `count` tokens; answers the milliseconds to wait before using them. */
  async take(db: PgQueryable, key: string, count: number, perSecond: number, burst: number): Promise<number> {
    // A new bucket starts full. Time never runs backwards for a bucket: a clock step back refills
    // nothing and takes nothing away.
    const { rows } = await db.query<{ tokens: number }>(
      `INSERT INTO rate_buckets AS b (key, tokens, updated_ms) VALUES ($1, $4::float8 - $2::float8, ${DB_NOW_MS})
       ON CONFLICT (key) DO UPDATE SET
         tokens = least($4::float8, b.tokens + $3::float8 * greatest(0, excluded.updated_ms - b.updated_ms) / 1000.0)
                  - $2::float8,
         updated_ms = greatest(b.updated_ms, excluded.updated_ms)
       RETURNING tokens`,
      [key, count, perSecond, burst],
    );
    const left = rows[0]!.tokens;
    return left >= 0 ? 0 : Math.ceil((-left / perSecond) * 1000);
  }
}
