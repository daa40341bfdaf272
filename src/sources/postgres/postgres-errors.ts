/**
 * PostgreSQL failures → `SluiceError('source_error')` messages that name the source, quote the
 * server's or the network's own words, and say what to check. The advice comes from the SQLSTATE
 * (https://www.postgresql.org/docs/current/errcodes-appendix.html) or the socket error code. The
 * password never appears: it is not in the target description, and messages are redacted anyway.
 */
import type { SluiceError } from '../../core/errors.js';
import { redactSecret } from '../database-url.js';
import { type ErrorPlace, IN_WRAPPER_NOTE, lineAtPosition, placeLine } from '../model-lines.js';
import type { ModelLines } from '../source.js';
import { sourceErrors } from '../source-errors.js';

/** The errors worded alike for every engine (source-errors.ts), bound to this one. */
const shared = sourceErrors('postgres');

/** A driver error: pg's DatabaseError carries `code` (SQLSTATE) and maybe `hint`; socket errors a `code`. */
interface DriverError {
  message?: string;
  code?: string;
  hint?: string;
  /** 1-based character position in the query where the server found the error, as text. */
  position?: string;
}

function describe(error: unknown): DriverError {
  if (typeof error === 'object' && error !== null) return error as DriverError;
  return { message: String(error) };
}

export function wordsOf(error: unknown, password: string | undefined): string {
  const e = describe(error);
  let words = e.message ?? String(error);
  // AggregateError (several addresses refused, e.g. ::1 and 127.0.0.1) has an empty message.
  if (words === '' && e.code !== undefined) words = e.code;
  if (e.hint) words += ` (hint: ${e.hint})`;
  return redactSecret(words, password);
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
]);

/** The advice for a failure to connect or to start a session. */
function connectAdvice(error: unknown): string {
  const { code, message = '' } = describe(error);
  if (code !== undefined && NETWORK_CODES.has(code)) {
    return 'check the host and port in the url, that the server is running, and that it accepts TCP connections from this machine (listen_addresses, firewall)';
  }
  if (/timeout/i.test(message)) {
    return 'the server did not answer in time: check the host and port in the url and the network between here and the server (connect_timeout in the url raises the wait)';
  }
  if (
    code === '28P01' ||
    (code === '28000' && /password|role|user/i.test(message)) ||
    /password must be/i.test(message)
  ) {
    return 'check the user and password in the url (or the environment variable it is read from)';
  }
  if (code === '28000')
    return 'check pg_hba.conf on the server allows this user, database and address, or set sslmode';
  if (code === '3D000') return 'check the database name in the url';
  if (code === '53300')
    return 'the server has no free connection slots: try again later or raise max_connections';
  if (/SSL|TLS|certificate|self.signed|CERT_/i.test(`${message} ${code ?? ''}`)) {
    return 'check sslmode and sslrootcert for this source: the server and the TLS settings do not agree';
  }
  return 'check the url and the TLS settings (sslmode) of this source';
}

/** Could not connect, authenticate, or set up the session. */
export function connectError(
  sourceName: string,
  target: string,
  error: unknown,
  password: string | undefined,
): SluiceError {
  return shared.connectError(sourceName, target, error, wordsOf(error, password), connectAdvice(error));
}

/**
 * Whether a failure to connect may mean that something other than PostgreSQL listens there: no
 * answer from a PostgreSQL server (no SQLSTATE), yet something was reached (not refused, not
 * unreachable, not silent).
 */
export function mayBeAnotherServer(error: unknown): boolean {
  const { code, message = '' } = describe(error);
  if (code !== undefined && (/^[0-9A-Z]{5}$/.test(code) || NETWORK_CODES.has(code))) return false;
  return !/timeout/i.test(message);
}

/** Something answered at the url's address, and it is not PostgreSQL (postgres-probe.ts). */
export function notPostgresError(
  sourceName: string,
  target: string,
  address: string,
  looksLike: string | undefined,
  error: unknown,
): SluiceError {
  const what = looksLike === undefined ? '' : ` (it looks like ${looksLike})`;
  return shared.connectError(
    sourceName,
    target,
    error,
    `something answered on ${address} but it is not PostgreSQL${what}`,
    "check the host and port in the url (PostgreSQL listens on 5432 unless set otherwise) and that this source's type matches the server",
  );
}

function queryAdvice(error: unknown, statementTimeoutMs: number | undefined): string {
  const { code = '', message = '' } = describe(error);
  if (code === '57014' && /statement timeout/.test(message)) {
    const limit = statementTimeoutMs === undefined ? '' : ` (${statementTimeoutMs} ms)`;
    return `the query ran longer than the statement timeout${limit}: make the model cheaper, or raise statement_timeout for this source in sluice.yaml`;
  }
  if (code === '57014')
    return 'the query was cancelled on the server (by an administrator or another session)';
  if (code === '42P01' || code === '3F000')
    return "check the table and schema names in the model's SQL (and the search_path)";
  if (code === '42703') return "check the column names in the model's SQL";
  if (code === '42601') return "check the model's SQL syntax (PostgreSQL's dialect)";
  if (code === '42883') return "check the function names and argument types in the model's SQL";
  if (code === '42501') return 'grant this user SELECT on the tables the model reads';
  if (code === '25006') return 'the model must only read: sources run in read-only transactions';
  if (code.startsWith('22'))
    return "a value in the data does not fit the model's SQL (a cast or division): check the expressions";
  if (code.startsWith('08') || code.startsWith('57P') || /terminated|ECONNRESET|EPIPE/.test(message)) {
    return 'the connection to the server broke: check that the server is up, then run again';
  }
  return "check the model's SQL";
}

/**
 * A query that failed to start or failed part way. PostgreSQL places syntax and name errors by
 * character `position` in `sql`; with `frame` (the model inside Sluice's wrapper) that becomes a
 * line of the model.
 */
export function queryError(
  sourceName: string,
  error: unknown,
  password: string | undefined,
  statementTimeoutMs: number | undefined,
  where?: { sql: string; frame?: ModelLines },
): SluiceError {
  let words = wordsOf(error, password);
  let place: ErrorPlace = {};
  const position = Number(describe(error).position);
  if (where !== undefined && Number.isInteger(position) && position > 0) {
    place = placeLine(lineAtPosition(where.sql, position), where.frame);
    if (place.inWrapper) words = `${words} ${IN_WRAPPER_NOTE}`;
    else if (where.frame === undefined) words = `${words} (at line ${place.modelLine})`;
  }
  return shared.queryError(sourceName, error, words, queryAdvice(error, statementTimeoutMs), place);
}

/**
 * Why a connection may not have the warehouse diff's temporary table, by SQLSTATE, and what would
 * let it: these fall back to the state store (sources/source.ts temporaryTableUnavailable).
 */
export function temporaryTableFix(
  error: unknown,
  who: { database: string; user: string },
): string | undefined {
  const { code } = describe(error);
  if (code === '42501') {
    return `grant the source's user the TEMP privilege (GRANT TEMPORARY ON DATABASE ${who.database} TO ${who.user}), or write diff: state in the sync`;
  }
  // A hot standby refuses read-write transactions (0A000) and temporary tables (25006).
  if (code === '25006' || code === '0A000') {
    return 'a read replica (hot standby) cannot have temporary tables: point the source at the primary, or write diff: state in the sync';
  }
  // Keys the database's encoding cannot hold (a LATIN1 database), which none of its rows can have.
  if (code === '22P05' || code === '22021') {
    return "the database's encoding cannot hold some of the sync's keys: write diff: state in the sync";
  }
  return undefined;
}

/** Loading the warehouse diff's temporary table failed for another reason: the run fails. */
export function temporaryTableError(
  sourceName: string,
  error: unknown,
  password: string | undefined,
): SluiceError {
  const { code = '', message = '' } = describe(error);
  let advice =
    "the sync's delivered fingerprints could not be loaded into a temporary table: write diff: state in the sync to diff in the state store instead";
  if (code.startsWith('08') || code.startsWith('57P') || /terminated|ECONNRESET|EPIPE/.test(message)) {
    advice = 'the connection to the server broke: check that the server is up, then run again';
  } else if (code === '57014' && /statement timeout/.test(message)) {
    advice =
      "loading the sync's delivered fingerprints (COPY) ran longer than the statement timeout: raise statement_timeout for this source in sluice.yaml, or write diff: state in the sync";
  }
  return shared.queryError(sourceName, error, wordsOf(error, password), advice, {});
}

export const { interruptedError, closedError, duplicateColumnError } = shared;
