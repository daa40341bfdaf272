import type { LockAttempt, LockHolder } from '../state-store.js';
import type { SqliteDatabase, SqliteStatement } from './sqlite-database.js';

type LockRow = { holder_id: string; host: string; pid: number; label: string; expires_at: number };

/**
 * Named leases in the `locks` table. The caller (SqliteStateStore) runs `acquire` inside a
 * BEGIN IMMEDIATE transaction, so the read and the take-over are one atomic step across processes.
 */
export class SqliteLocks {
  readonly #read: SqliteStatement;
  readonly #take: SqliteStatement;
  readonly #renew: SqliteStatement;
  readonly #release: SqliteStatement;

  constructor(db: SqliteDatabase) {
    this.#read = db.prepare('SELECT holder_id, host, pid, label, expires_at FROM locks WHERE name = ?');
    this.#take = db.prepare(
      `INSERT INTO locks (name, holder_id, host, pid, label, expires_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET holder_id = excluded.holder_id, host = excluded.host,
         pid = excluded.pid, label = excluded.label, expires_at = excluded.expires_at`,
    );
    this.#renew = db.prepare('UPDATE locks SET expires_at = ? WHERE name = ? AND holder_id = ?');
    this.#release = db.prepare('DELETE FROM locks WHERE name = ? AND holder_id = ?');
  }

  acquire(name: string, holder: LockHolder, leaseMs: number, nowMs: number, steal?: string): LockAttempt {
    const current = this.#read.get(name) as LockRow | undefined;
    const free =
      current === undefined ||
      current.expires_at <= nowMs ||
      current.holder_id === holder.id ||
      (steal !== undefined && current.holder_id === steal);
    if (!free) {
      return {
        acquired: false,
        holder: { id: current.holder_id, host: current.host, pid: current.pid, label: current.label },
        expiresAt: new Date(current.expires_at).toISOString(),
      };
    }
    this.#take.run(name, holder.id, holder.host, holder.pid, holder.label, nowMs + leaseMs);
    return { acquired: true };
  }

  renew(name: string, holderId: string, leaseMs: number, nowMs: number): boolean {
    return this.#renew.run(nowMs + leaseMs, name, holderId).changes === 1;
  }

  release(name: string, holderId: string): void {
    this.#release.run(name, holderId);
  }

  holder(name: string, nowMs: number): { holder: LockHolder; expiresAt: string } | null {
    const current = this.#read.get(name) as LockRow | undefined;
    if (current === undefined || current.expires_at <= nowMs) return null;
    return {
      holder: { id: current.holder_id, host: current.host, pid: current.pid, label: current.label },
      expiresAt: new Date(current.expires_at).toISOString(),
    };
  }
}
