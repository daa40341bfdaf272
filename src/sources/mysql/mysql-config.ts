/**
 * A `mysql` source's settings → what mysql2 needs: one connection configuration per attempt (sslmode
 * `allow` and `prefer` make two), the statements that set up each session, and a description of
 * the target for messages (user, host, port, database: never the password).
 */
import type { Secret, SourceTlsConfig } from '../../core/workspace.js';
import { parseDatabaseUrl } from '../database-url.js';
import { type TlsAttempt, tlsAttempts, tlsOptionsFrom } from '../tls-attempts.js';
import type { MysqlConnectionConfig } from './mysql-client.js';

/** URL parameters read; yaml keys of the same name win over them. */
const URL_PARAMS = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'connect_timeout'] as const;

const DEFAULT_CONNECT_TIMEOUT_S = 10;

/**
 * How long the server may wait on a client that does not read (MySQL's default is 60 s). The
 * source reads rows only as fast as the destination takes them, which can pause for longer
 * (retries with backoff), and the server would then abort the query.
 */
const NET_WRITE_TIMEOUT_S = 3600;

export interface MysqlSettings extends SourceTlsConfig {
  url: Secret;
  statementTimeoutMs?: number;
}

export interface MysqlConnectPlan {
  attempts: { config: MysqlConnectionConfig; tls: TlsAttempt }[];
  /** "USER@HOST:PORT/DB", for messages. */
  target: string;
  /** For redacting messages; never shown. */
  password: string | undefined;
  statementTimeoutMs: number | undefined;
}

/**
 * The statements that set up a session, once the server's flavour is known. UTC, so TIMESTAMP
 * columns read as instants; read-only, so a mistaken model cannot write. The statement timeout is
 * `max_statement_time` (seconds) on MariaDB and `max_execution_time` (ms, SELECT only) on MySQL;
 * both bound the whole statement, reading its rows included.
 */
export function sessionStatements(mariadb: boolean, statementTimeoutMs: number | undefined): string[] {
  const settings = ["time_zone = '+00:00'", `net_write_timeout = ${NET_WRITE_TIMEOUT_S}`];
  if (statementTimeoutMs !== undefined) {
    const ms = Math.max(1, Math.trunc(statementTimeoutMs));
    settings.push(mariadb ? `max_statement_time = ${ms / 1000}` : `max_execution_time = ${ms}`);
  }
  return [`SET ${settings.join(', ')}`, 'SET SESSION TRANSACTION READ ONLY'];
}

/** mysql2's `ssl` option for one attempt (undefined: plain TCP). */
function mysqlSsl(tls: TlsAttempt): MysqlConnectionConfig['ssl'] {
  if (tls === false) return undefined;
  return {
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    ...(tls.cert === undefined ? {} : { cert: tls.cert }),
    ...(tls.key === undefined ? {} : { key: tls.key }),
    rejectUnauthorized: tls.verify !== 'none',
    verifyIdentity: tls.verify === 'full',
  };
}

/** Works out how to connect. Throws `SluiceError` for a bad url, sslmode or unreadable PEM file. */
export async function planMysqlConnection(
  settings: MysqlSettings,
  context: { sourceName: string; baseDir: string },
): Promise<MysqlConnectPlan> {
  const url = parseDatabaseUrl(settings.url.reveal(), context.sourceName, 'mysql', URL_PARAMS);
  const param = (key: (typeof URL_PARAMS)[number]) => url.params.get(key);
  const tls = await tlsAttempts(
    tlsOptionsFrom(settings, (key) => param(key) ?? undefined),
    { sourceName: context.sourceName, engine: 'mysql', baseDir: context.baseDir },
  );
  const host = url.host === '' ? 'localhost' : url.host;
  const port = url.port ?? 3306;
  const timeout = Number(param('connect_timeout') ?? DEFAULT_CONNECT_TIMEOUT_S);
  const base: MysqlConnectionConfig = {
    host,
    port,
    ...(url.user === undefined ? {} : { user: url.user }),
    ...(url.password === undefined ? {} : { password: url.password }),
    ...(url.database === undefined ? {} : { database: url.database }),
    connectTimeout:
      Number.isFinite(timeout) && timeout > 0 ? timeout * 1000 : DEFAULT_CONNECT_TIMEOUT_S * 1000,
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    jsonStrings: true,
    decimalNumbers: false,
    charset: 'UTF8MB4_UNICODE_CI',
    enableKeepAlive: true,
    multipleStatements: false,
  };
  const user = url.user ?? '(no user)';
  return {
    attempts: tls.map((attempt) => {
      const ssl = mysqlSsl(attempt);
      return { config: ssl === undefined ? base : { ...base, ssl }, tls: attempt };
    }),
    target: `${user}@${host.includes(':') ? `[${host}]` : host}:${port}/${url.database ?? ''}`,
    password: url.password,
    statementTimeoutMs: settings.statementTimeoutMs,
  };
}

/**
 * Whether a failed attempt lets the next one run: `prefer` falls back to plain TCP when the server
 * has no TLS; `allow` moves to TLS when the server refuses an unencrypted connection.
 */
export function fallsBack(error: unknown, attempt: TlsAttempt): boolean {
  const { code } = (typeof error === 'object' && error !== null ? error : {}) as { code?: string };
  if (attempt !== false) return code === 'HANDSHAKE_NO_SSL_SUPPORT';
  return code === 'ER_SECURE_TRANSPORT_REQUIRED' || code === 'ER_ACCESS_DENIED_ERROR';
}
