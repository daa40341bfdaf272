/**
 * A `postgres` source's settings → what pg needs: one client configuration per connection attempt
 * (sslmode `allow` and `prefer` make two), the statements that set up each session, and a
 * description of the target for messages (user, host, port, database: never the password).
 */
import type { ConnectionOptions } from 'node:tls';
import type { Secret, SourceTlsConfig } from '../../core/workspace.js';
import { parseDatabaseUrl } from '../database-url.js';
import { type TlsAttempt, tlsAttempts, tlsOptionsFrom } from '../tls-attempts.js';
import type { PgClientConfig } from './postgres-client.js';

/** URL parameters read (libpq's names); yaml keys of the same name win over them. */
const URL_PARAMS = [
  'sslmode',
  'sslrootcert',
  'sslcert',
  'sslkey',
  'application_name',
  'options',
  'connect_timeout',
  'host',
] as const;

/** libpq waits for ever by default; an unreachable host would then hang a run. */
const DEFAULT_CONNECT_TIMEOUT_S = 10;

export interface PostgresSettings extends SourceTlsConfig {
  url: Secret;
  statementTimeoutMs?: number;
}

export interface PostgresConnectPlan {
  /** Client configurations to try in order; the next one runs only when `fallsBack` allows. */
  attempts: { config: PgClientConfig; tls: TlsAttempt }[];
  /** Run once per connection before any query. */
  sessionSql: string;
  /** "USER@HOST:PORT/DB", for messages. */
  target: string;
  /** For redacting messages; never shown. */
  password: string | undefined;
  statementTimeoutMs: number | undefined;
}

/**
 * The session every source connection runs in. The first five fix the text form of each type that
 * postgres-values.ts parses (timestamptz in UTC, ISO dates, ISO-8601 intervals, hex bytea, floats
 * with enough digits to be exact on PostgreSQL < 12). Read-only: a model only ever reads, and a
 * mistaken `DELETE … RETURNING` must not run. The cursor's portal lives in an implicit transaction
 * between fetches while the destination works, so an idle-in-transaction limit must not end it.
 */
export function sessionSql(statementTimeoutMs: number | undefined): string {
  const statements = [
    "SET TimeZone = 'UTC'",
    "SET DateStyle = 'ISO, YMD'",
    "SET IntervalStyle = 'iso_8601'",
    "SET bytea_output = 'hex'",
    'SET extra_float_digits = 3',
    'SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY',
    'SET idle_in_transaction_session_timeout = 0',
  ];
  if (statementTimeoutMs !== undefined)
    statements.push(`SET statement_timeout = ${Math.trunc(statementTimeoutMs)}`);
  return statements.join('; ');
}

/** pg's `ssl` option for one attempt. */
export function pgSsl(tls: TlsAttempt): false | ConnectionOptions {
  if (tls === false) return false;
  const files: ConnectionOptions = {
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    ...(tls.cert === undefined ? {} : { cert: tls.cert }),
    ...(tls.key === undefined ? {} : { key: tls.key }),
  };
  if (tls.verify === 'none') return { ...files, rejectUnauthorized: false };
  // verify-ca checks the chain but not the host name, as libpq does.
  if (tls.verify === 'ca')
    return { ...files, rejectUnauthorized: true, checkServerIdentity: () => undefined };
  return { ...files, rejectUnauthorized: true };
}

/** Works out how to connect. Throws `SluiceError` for a bad url, sslmode or unreadable PEM file. */
export async function planPostgresConnection(
  settings: PostgresSettings,
  context: { sourceName: string; baseDir: string },
): Promise<PostgresConnectPlan> {
  const url = parseDatabaseUrl(settings.url.reveal(), context.sourceName, 'postgres', URL_PARAMS);
  const param = (key: (typeof URL_PARAMS)[number]) => url.params.get(key);
  const tls = await tlsAttempts(
    tlsOptionsFrom(settings, (key) => param(key) ?? undefined),
    { sourceName: context.sourceName, engine: 'postgres', baseDir: context.baseDir },
  );
  const host = url.host !== '' ? url.host : (param('host') ?? 'localhost');
  const port = url.port ?? 5432;
  const timeout = Number(param('connect_timeout') ?? DEFAULT_CONNECT_TIMEOUT_S);
  const base: PgClientConfig = {
    host,
    port,
    ...(url.user === undefined ? {} : { user: url.user }),
    ...(url.password === undefined ? {} : { password: url.password }),
    ...(url.database === undefined ? {} : { database: url.database }),
    application_name: param('application_name') ?? 'sluice',
    ...(param('options') === undefined ? {} : { options: param('options') }),
    connectionTimeoutMillis: Number.isFinite(timeout) && timeout > 0 ? timeout * 1000 : 0,
    keepAlive: true,
  };
  const user = url.user ?? process.env.PGUSER ?? '(default user)';
  return {
    attempts: tls.map((attempt) => ({ config: { ...base, ssl: pgSsl(attempt) }, tls: attempt })),
    sessionSql: sessionSql(settings.statementTimeoutMs),
    target: `${user}@${host.includes(':') ? `[${host}]` : host}:${port}/${url.database ?? user}`,
    password: url.password,
    statementTimeoutMs: settings.statementTimeoutMs,
  };
}

/**
 * Whether a failed attempt lets the next one run: `prefer` falls back to plain TCP when the server
 * has no TLS; `allow` moves to TLS when pg_hba.conf refuses an unencrypted connection.
 */
export function fallsBack(error: unknown, attempt: TlsAttempt): boolean {
  const { message = '', code } = (typeof error === 'object' && error !== null ? error : {}) as {
    message?: string;
    code?: string;
  };
  if (attempt !== false) return /does not support SSL/i.test(message);
  return code === '28000' && /no encryption/i.test(message);
}
