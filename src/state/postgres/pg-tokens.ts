import type { TokenRole } from '../../core/token-roles.js';
import type { StoredToken } from '../state-store.js';
import type { PgQueryable } from './pg-pool.js';
import { fromPgText, toPgText, toPgTexts } from './pg-text.js';

interface TokenRow {
  name: string;
  role: string;
  hash: string;
  created_at: string;
  last_used_at: string | null;
}

/**
 * API tokens in the `api_tokens` table (state-store.ts TokenTable), with the SQLite store's
 * semantics (sqlite-tokens.ts), each call one statement. Names are stored as pg-text.ts escapes
 * them, as keys are, so that any name the SQLite store takes moves here unchanged.
 */
export class PgTokens {
  /** False when a token of that name exists. */
  async create(
    db: PgQueryable,
    token: { name: string; role: TokenRole; hash: string; createdAt: string },
  ): Promise<boolean> {
    const { rowCount } = await db.query(
      `INSERT INTO api_tokens (name, role, hash, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (name) DO NOTHING`,
      [toPgText(token.name), token.role, token.hash, token.createdAt],
    );
    return rowCount === 1;
  }

  async list(db: PgQueryable): Promise<StoredToken[]> {
    const { rows } = await db.query<TokenRow>(
      'SELECT name, role, hash, created_at, last_used_at FROM api_tokens ORDER BY name COLLATE "C"',
    );
    return rows.map((row) => ({
      name: fromPgText(row.name),
      role: row.role as TokenRole,
      hash: row.hash,
      createdAt: row.created_at,
      lastUsedAt: row.last_used_at,
    }));
  }

  async revoke(db: PgQueryable, name: string): Promise<boolean> {
    const { rowCount } = await db.query('DELETE FROM api_tokens WHERE name = $1', [toPgText(name)]);
    return rowCount === 1;
  }

  async touch(db: PgQueryable, name: string, at: string): Promise<void> {
    await db.query(
      `UPDATE api_tokens SET last_used_at = $2
       WHERE name = $1 AND (last_used_at IS NULL OR last_used_at COLLATE "C" < $2)`,
      [toPgText(name), at],
    );
  }

  /** Adds tokens as exported from another store (`sluice state migrate`); a name taken fails. */
  async import(db: PgQueryable, tokens: readonly StoredToken[]): Promise<void> {
    if (tokens.length === 0) return;
    await db.query(
      `INSERT INTO api_tokens (name, role, hash, created_at, last_used_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])`,
      [
        toPgTexts(tokens.map((t) => t.name)),
        tokens.map((t) => t.role),
        tokens.map((t) => t.hash),
        tokens.map((t) => t.createdAt),
        tokens.map((t) => t.lastUsedAt),
      ],
    );
  }
}
