import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SluiceError } from '../core/errors.js';
import { roleAllows, TOKEN_ROLES, type TokenRole } from '../core/token-roles.js';
import { openStateStore } from '../state/registry.js';
import { openWorkspace } from './open-workspace.js';
import type { Sluice } from './sluice.js';

let dir: string;
const opened: Sluice[] = [];

/** A workspace with no syncs, its state in `state` (default: SQLite in the workspace folder). */
async function open(state = 'sqlite:.sluice/state.db'): Promise<Sluice> {
  const sluice = await openWorkspace({
    config: { state, sources: { warehouse: { type: 'duckdb', path: 'warehouse.duckdb' } } },
    dir,
  });
  opened.push(sluice);
  return sluice;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

async function failure(promise: Promise<unknown>): Promise<SluiceError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SluiceError);
  return error as SluiceError;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-api-tokens-'));
});
afterEach(async () => {
  for (const sluice of opened.splice(0)) await sluice.close();
  await rm(dir, { recursive: true, force: true });
});

describe('API tokens', () => {
  it('makes a viewer token by default, slk_ and 32 random bytes, and keeps only its SHA-256', async () => {
    const sluice = await open();
    expect(await sluice.hasTokens()).toBe(false);
    const created = await sluice.createToken('grafana');
    expect(created).toEqual({
      name: 'grafana',
      role: 'viewer',
      token: expect.stringMatching(/^slk_[A-Za-z0-9_-]{43}$/),
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(Buffer.from(created.token.slice(4), 'base64url')).toHaveLength(32);
    const other = await sluice.createToken('ci', 'operator');
    expect(other.token).not.toBe(created.token);
    expect(await sluice.hasTokens()).toBe(true);
    expect(await sluice.listTokens()).toEqual([
      { name: 'ci', role: 'operator', created_at: other.created_at, last_used_at: null },
      { name: 'grafana', role: 'viewer', created_at: created.created_at, last_used_at: null },
    ]);
    await sluice.close();

    // Every byte of the state (the database and any write-ahead log): the hash, never the token.
    const stateDir = join(dir, '.sluice');
    const files = await readdir(stateDir);
    const bytes = Buffer.concat(await Promise.all(files.map((f) => readFile(join(stateDir, f)))));
    for (const { token } of [created, other]) {
      expect(bytes.includes(sha256(token))).toBe(true);
      expect(bytes.includes(token)).toBe(false);
      expect(bytes.includes(token.slice(4))).toBe(false);
    }
  });

  it('verifies the right token only: wrong, malformed and revoked tokens are nobody', async () => {
    const sluice = await open();
    const ci = await sluice.createToken('ci', 'operator');
    const admin = await sluice.createToken('root', 'admin');
    expect(await sluice.verifyToken(ci.token)).toEqual({ name: 'ci', role: 'operator' });
    expect(await sluice.verifyToken(admin.token)).toEqual({ name: 'root', role: 'admin' });

    const last = ci.token.at(-1) === 'A' ? 'B' : 'A';
    const wrong = [
      `${ci.token.slice(0, -1)}${last}`,
      `${ci.token} `,
      `Bearer ${ci.token}`,
      ci.token.slice(4),
      sha256(ci.token),
      'slk_',
      '',
      'x'.repeat(100_000),
      'slk_\u0000',
    ];
    for (const token of wrong) expect(await sluice.verifyToken(token)).toBeNull();
    expect(await sluice.verifyToken(undefined as unknown as string)).toBeNull();

    await sluice.revokeToken('ci');
    expect(await sluice.verifyToken(ci.token)).toBeNull();
    // Revoked through another process on the same state: refused at once here too.
    await (await open()).revokeToken('root');
    expect(await sluice.verifyToken(admin.token)).toBeNull();
    expect(await sluice.hasTokens()).toBe(false);
  });

  it('ignores a stored hash it never wrote, of any length, without failing', async () => {
    const store = await openStateStore({ kind: 'sqlite', path: join(dir, '.sluice', 'state.db') });
    await store.tokens.create({
      name: 'odd',
      role: 'admin',
      hash: 'not hex',
      createdAt: '2026-01-01T00:00:00Z',
    });
    await store.close();
    const sluice = await open();
    const good = await sluice.createToken('good');
    expect(await sluice.verifyToken('not hex')).toBeNull();
    expect(await sluice.verifyToken('')).toBeNull();
    expect(await sluice.verifyToken(good.token)).toEqual({ name: 'good', role: 'viewer' });
  });

  it('records a last use at most once a minute, across processes on the state', async () => {
    const sluice = await open();
    const { token } = await sluice.createToken('ui');
    const at = (seconds: number) => new Date(Date.UTC(2026, 11, 6, 12, 0, seconds));
    const lastUsed = async () => (await sluice.listTokens())[0]!.last_used_at;

    await sluice.verifyToken(token, { now: at(0) });
    expect(await lastUsed()).toBe(at(0).toISOString());
    await sluice.verifyToken(token, { now: at(30) });
    expect(await lastUsed()).toBe(at(0).toISOString());
    // Another process reads the stored time and does not write either.
    await (await open()).verifyToken(token, { now: at(59) });
    expect(await lastUsed()).toBe(at(0).toISOString());
    await (await open()).verifyToken(token, { now: at(60) });
    expect(await lastUsed()).toBe(at(60).toISOString());
    // Many requests at once in one process: one write, the first's time.
    await Promise.all([121, 125, 130, 122].map((s) => sluice.verifyToken(token, { now: at(s) })));
    expect(await lastUsed()).toBe(at(121).toISOString());
  });

  it('refuses bad names and roles (usage), a taken name (conflict), an unknown revoke (not_found)', async () => {
    const sluice = await open();
    for (const name of ['', 'a'.repeat(65), 'has space', 'ü', 'a/b', 'semi;colon', 'tab\t']) {
      const error = await failure(sluice.createToken(name));
      expect(error.code).toBe('usage');
      expect(error.message).toMatch(/a token name is 1 to 64 letters, digits, "-", "_" or "\."/);
    }
    for (const name of ['a', 'A'.repeat(64), 'ci-bot_2.prod']) await sluice.createToken(name);

    const role = await failure(sluice.createToken('x', 'root' as TokenRole));
    expect(role.code).toBe('usage');
    expect(role.message).toMatch(/one of viewer, operator, admin .*not "root"/);

    const taken = await failure(sluice.createToken('a', 'admin'));
    expect(taken.code).toBe('conflict');
    expect(taken.message).toMatch(/a token named "a" exists/);
    expect((await sluice.listTokens()).find((t) => t.name === 'a')?.role).toBe('viewer');

    const missing = await failure(sluice.revokeToken('nobody'));
    expect(missing.code).toBe('not_found');
    expect(missing.message).toMatch(/no token named "nobody"/);
  });

  it('orders roles viewer < operator < admin; anything else allows nothing', () => {
    const allowed = TOKEN_ROLES.map((role) => TOKEN_ROLES.filter((needed) => roleAllows(role, needed)));
    expect(allowed).toEqual([['viewer'], ['viewer', 'operator'], ['viewer', 'operator', 'admin']]);
    expect(roleAllows('root' as TokenRole, 'viewer')).toBe(false);
    expect(roleAllows('admin', 'root' as TokenRole)).toBe(false);
  });
});

describe('API tokens on PostgreSQL state', () => {
  const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/test';
  /** This file's own database, dropped at the end. */
  const name = `sluice_api_tokens_${randomBytes(4).toString('hex')}`;
  const url = `postgres://postgres@127.0.0.1:5432/${name}`;
  const database = {
    async query(sql: string): Promise<unknown[]> {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query(sql)).rows;
      } finally {
        await client.end();
      }
    },
  };
  async function admin(sql: string): Promise<void> {
    const client = new pg.Client({ connectionString: ADMIN_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }
  beforeAll(async () => {
    await admin(`CREATE DATABASE ${name} ENCODING 'UTF8' TEMPLATE template0`);
  });
  afterAll(async () => {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  it('keeps only the hash in the table, and verifies and revokes there', async () => {
    const sluice = await open(`${url}?schema=tokens`);
    const created = await sluice.createToken('ci', 'operator');
    const rows = (await database.query('SELECT * FROM tokens.api_tokens')) as Record<string, unknown>[];
    expect(rows).toEqual([
      {
        name: 'ci',
        role: 'operator',
        hash: sha256(created.token),
        created_at: created.created_at,
        last_used_at: null,
      },
    ]);
    expect(JSON.stringify(rows)).not.toContain(created.token.slice(4));

    expect(await sluice.verifyToken(created.token)).toEqual({ name: 'ci', role: 'operator' });
    expect(
      ((await database.query('SELECT last_used_at FROM tokens.api_tokens')) as { last_used_at: string }[])[0]!
        .last_used_at,
    ).not.toBeNull();
    await sluice.revokeToken('ci');
    expect(await sluice.verifyToken(created.token)).toBeNull();
    expect(await database.query('SELECT * FROM tokens.api_tokens')).toEqual([]);
  });
});
