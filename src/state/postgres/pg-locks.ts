import type { LockAttempt, LockHolder } from '../state-store.js';
import type { PgQueryable } from './pg-pool.js';

/**
 * The database's clock in epoch milliseconds. Leases are measured on it, not on the callers'
 * clocks: workers on several machines share these locks, and their clocks may disagree.
 */
export const DB_NOW_MS = '(extract(epoch FROM clock_timestamp()) * 1000)::bigint';

interface LockRow {
  holder_id: string;
  host: string;
  pid: number;
  label: string;
  expires_at: string;
}

/**
 * Named leases in the `locks` table, with the SQLite store's semantics (sqlite-locks.ts): taken
 * when free, expired, already ours, or held by the holder `steal` names. Each call is one atomic
 * statement, so two stores racing for a lock cannot both win.
 */
export class PgLocks {
  async acquire(
    db: PgQueryable,
    name: string,
    holder: LockHolder,
    leaseMs: number,
    steal?: string,
  ): Promise<LockAttempt> {
    // A race lost between the take and the read (the holder released meanwhile) is tried again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const { rowCount } = await db.query(
        `INSERT INTO locks AS l (name, holder_id, host, pid, label, expires_at)
         VALUES ($1, $2, $3, $4, $5, ${DB_NOW_MS} + $6)
         ON CONFLICT (name) DO UPDATE SET holder_id = excluded.holder_id, host = excluded.host,
           pid = excluded.pid, label = excluded.label, expires_at = excluded.expires_at
         WHERE l.expires_at <= ${DB_NOW_MS} OR l.holder_id = excluded.holder_id OR l.holder_id = $7`,
        [
          name,
          holder.id,
          holder.host,
          holder.pid,
          holder.label,
          Math.max(0, Math.round(leaseMs)),
          steal ?? null,
        ],
      );
      if (rowCount === 1) return { acquired: true };
      const { rows } = await db.query<LockRow>(
        'SELECT holder_id, host, pid, label, expires_at FROM locks WHERE name = $1',
        [name],
      );
      const current = rows[0];
      if (current === undefined) continue;
      return {
        acquired: false,
        holder: { id: current.holder_id, host: current.host, pid: current.pid, label: current.label },
        expiresAt: new Date(Number(current.expires_at)).toISOString(),
      };
    }
    throw new Error(`lock ${name} kept changing hands while being taken; try again`);
  }

  /** False when the lock is no longer this holder's (expired and taken by another). */
  async renew(db: PgQueryable, name: string, holderId: string, leaseMs: number): Promise<boolean> {
    const { rowCount } = await db.query(
      `UPDATE locks SET expires_at = ${DB_NOW_MS} + $3 WHERE name = $1 AND holder_id = $2`,
      [name, holderId, Math.max(0, Math.round(leaseMs))],
    );
    return rowCount === 1;
  }

  async release(db: PgQueryable, name: string, holderId: string): Promise<void> {
    await db.query('DELETE FROM locks WHERE name = $1 AND holder_id = $2', [name, holderId]);
  }

  /** Who holds the lock and until when; null when nobody does (never taken, released, or expired). */
  async holder(db: PgQueryable, name: string): Promise<{ holder: LockHolder; expiresAt: string } | null> {
    const { rows } = await db.query<LockRow>(
      `SELECT holder_id, host, pid, label, expires_at FROM locks WHERE name = $1 AND expires_at > ${DB_NOW_MS}`,
      [name],
    );
    const current = rows[0];
    if (current === undefined) return null;
    return {
      holder: { id: current.holder_id, host: current.host, pid: current.pid, label: current.label },
      expiresAt: new Date(Number(current.expires_at)).toISOString(),
    };
  }

  /** Whether some run holds a lock (its lease not yet expired). */
  async anyHeld(db: PgQueryable): Promise<boolean> {
    const { rows } = await db.query(`SELECT 1 FROM locks WHERE expires_at > ${DB_NOW_MS} LIMIT 1`);
    return rows.length > 0;
  }
}
