import type { TokenRole } from '../../core/token-roles.js';
import type { StoredToken } from '../state-store.js';
import type { SqliteDatabase, SqliteStatement } from './sqlite-database.js';

type TokenRow = [name: string, role: string, hash: string, createdAt: string, lastUsedAt: string | null];

/**
 * API tokens in the `api_tokens` table (state-store.ts TokenTable). The caller (SqliteStateStore)
 * runs the writes in BEGIN IMMEDIATE transactions and wraps errors.
 */
export class SqliteTokens {
  readonly #create: SqliteStatement;
  readonly #insert: SqliteStatement;
  readonly #list: SqliteStatement;
  readonly #revoke: SqliteStatement;
  readonly #touch: SqliteStatement;
  readonly #clear: SqliteStatement;

  constructor(db: SqliteDatabase) {
    this.#create = db.prepare(
      `INSERT INTO api_tokens (name, role, hash, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO NOTHING`,
    );
    this.#insert = db.prepare(
      'INSERT INTO api_tokens (name, role, hash, created_at, last_used_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.#list = db
      .prepare('SELECT name, role, hash, created_at, last_used_at FROM api_tokens ORDER BY name')
      .raw();
    this.#revoke = db.prepare('DELETE FROM api_tokens WHERE name = ?');
    this.#touch = db.prepare(
      'UPDATE api_tokens SET last_used_at = ? WHERE name = ? AND (last_used_at IS NULL OR last_used_at < ?)',
    );
    this.#clear = db.prepare('DELETE FROM api_tokens');
  }

  /** False when a token of that name exists. */
  create(token: { name: string; role: TokenRole; hash: string; createdAt: string }): boolean {
    return this.#create.run(token.name, token.role, token.hash, token.createdAt).changes === 1;
  }

  list(): StoredToken[] {
    return (this.#list.all() as TokenRow[]).map(([name, role, hash, createdAt, lastUsedAt]) => ({
      name,
      role: role as TokenRole,
      hash,
      createdAt,
      lastUsedAt,
    }));
  }

  revoke(name: string): boolean {
    return this.#revoke.run(name).changes === 1;
  }

  touch(name: string, at: string): void {
    this.#touch.run(at, name, at);
  }

  /** Adds tokens as exported from another store (`sluice state migrate`); a name taken fails. */
  import(tokens: readonly StoredToken[]): void {
    for (const t of tokens) this.#insert.run(t.name, t.role, t.hash, t.createdAt, t.lastUsedAt);
  }

  clear(): void {
    this.#clear.run();
  }
}
