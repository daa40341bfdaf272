import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SluiceError } from '../core/errors.js';
import { isTokenRole, TOKEN_ROLES, type TokenRole } from '../core/token-roles.js';
import type { StateStore } from '../state/state-store.js';
import { type CreatedToken, type TokenDocument, tokenDocument } from './documents.js';

/** Who a verified token belongs to, and what it may do. */
export interface VerifiedToken {
  name: string;
  role: TokenRole;
}

/** What every token starts with: tells a leaked secret for what it is (secret scanners, logs). */
const PREFIX = 'slk_';
/** 256 bits: guessing one is out of reach, so a plain hash (no salt, no slow KDF) is enough to store. */
const RANDOM_BYTES = 32;
const NAME = /^[A-Za-z0-9._-]{1,64}$/;
/** A token's last use is written at most this often: verification must not write on every request. */
const TOUCH_EVERY_MS = 60_000;

/**
 * The API tokens of `sluice serve` (SPEC §6), kept in the workspace's state store, so every process
 * on the state (several `serve`s on shared PostgreSQL) takes the same tokens, and a revoked token
 * stops working everywhere at its next request. A token is shown once, when made; the store keeps
 * only its SHA-256.
 */
export class ApiTokens {
  readonly #state: () => Promise<StateStore>;
  /** When this process last recorded each token's use, by hash: many requests at once write once. */
  readonly #touched = new Map<string, number>();

  constructor(state: () => Promise<StateStore>) {
    this.#state = state;
  }

  /**
   * Makes a token named `name` with `role`: `usage` for a name that is not 1–64 letters, digits,
   * `-`, `_` or `.`, or a role that is none of TOKEN_ROLES; `conflict` when the name is taken.
   */
  async create(name: string, role: TokenRole, now = new Date()): Promise<CreatedToken> {
    if (typeof name !== 'string' || !NAME.test(name)) {
      throw new SluiceError(
        'usage',
        `a token name is 1 to 64 letters, digits, "-", "_" or ".", not ${JSON.stringify(name)}`,
      );
    }
    if (!isTokenRole(role)) {
      throw new SluiceError(
        'usage',
        `a token's role is one of ${TOKEN_ROLES.join(', ')} (viewer reads; operator also triggers and cancels runs; admin also manages tokens), not ${JSON.stringify(role)}`,
      );
    }
    const token = PREFIX + randomBytes(RANDOM_BYTES).toString('base64url');
    const createdAt = now.toISOString();
    const state = await this.#state();
    if (!(await state.tokens.create({ name, role, hash: sha256(token).toString('hex'), createdAt }))) {
      throw new SluiceError(
        'conflict',
        `a token named "${name}" exists: choose another name, or revoke it first (sluice token revoke ${name})`,
      );
    }
    return { name, role, token, created_at: createdAt };
  }

  async list(): Promise<TokenDocument[]> {
    return (await (await this.#state()).tokens.list()).map(tokenDocument);
  }

  /** `not_found` when there is no token of that name. */
  async revoke(name: string): Promise<void> {
    if (!(await (await this.#state()).tokens.revoke(name))) {
      throw new SluiceError('not_found', `no token named "${name}" — list them with: sluice token list`);
    }
  }

  async any(): Promise<boolean> {
    return (await (await this.#state()).tokens.list()).length > 0;
  }

  /**
   * Who `token` is, or null when it is no token of this state. Every stored hash is compared in
   * constant time, whatever the token looks like, so the time taken says nothing about how close a
   * guess came or which name it matched. A match records the token's use, at most once a minute; a
   * failure to record it does not fail the verification (the next one tries again).
   */
  async verify(token: string, now = new Date()): Promise<VerifiedToken | null> {
    const state = await this.#state();
    const presented = sha256(typeof token === 'string' ? token : '');
    let match: { name: string; role: TokenRole; hash: string; lastUsedAt: string | null } | null = null;
    for (const stored of await state.tokens.list()) {
      const hash = Buffer.from(stored.hash, 'hex');
      // A stored hash of another length (never written by Sluice) costs a comparison all the same.
      const same =
        hash.length === presented.length
          ? timingSafeEqual(hash, presented)
          : !timingSafeEqual(presented, presented);
      if (same && match === null) match = stored;
    }
    if (match === null || typeof token !== 'string') return null;
    const { name, role, hash } = match;
    const last = Math.max(this.#touched.get(hash) ?? 0, Date.parse(match.lastUsedAt ?? '') || 0);
    if (now.getTime() - last >= TOUCH_EVERY_MS) {
      this.#touched.set(hash, now.getTime());
      await state.tokens.touch(name, now.toISOString()).catch(() => this.#touched.delete(hash));
    }
    return { name, role };
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
