/**
 * MySQL/MariaDB failures → `SluiceError('source_error')` messages that name the source, quote the
 * server's or the network's own words, and say what to check. mysql2 gives server errors a `code`
 * such as ER_NO_SUCH_TABLE (https://dev.mysql.com/doc/mysql-errors/8.0/en/server-error-reference.html,
 * https://mariadb.com/kb/en/mariadb-error-code-reference/) and socket errors theirs (ECONNREFUSED).
 * The password never appears: it is not in the target description, and messages are redacted anyway.
 */
import type { SluiceError } from '../../core/errors.js';
import { redactSecret } from '../database-url.js';
import { type ErrorPlace, IN_WRAPPER_NOTE, lineAtPosition, placeLine } from '../model-lines.js';
import type { ModelLines } from '../source.js';
import { sourceErrors } from '../source-errors.js';

/** The errors worded alike for every engine (source-errors.ts), bound to this one. */
const shared = sourceErrors('mysql');

interface DriverError {
  message?: string;
  code?: string;
  errno?: number;
}

function describe(error: unknown): DriverError {
  if (typeof error === 'object' && error !== null) return error as DriverError;
  return { message: String(error) };
}

export function wordsOf(error: unknown, password: string | undefined): string {
  const { message, code } = describe(error);
  const words = message === undefined || message === '' ? (code ?? String(error)) : message;
  return redactSecret(words, password);
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function connectAdvice(error: unknown): string {
  const { code = '' } = describe(error);
  if (NETWORK_CODES.has(code)) {
    return 'check the host and port in the url, that the server is running, and that it accepts TCP connections from this machine (bind-address, firewall)';
  }
  if (code === 'ETIMEDOUT') {
    return 'the server did not answer in time: check the host and port in the url and the network between here and the server (connect_timeout in the url raises the wait)';
  }
  if (code === 'ER_ACCESS_DENIED_ERROR' || code === 'ER_NOT_SUPPORTED_AUTH_MODE') {
    return 'check the user and password in the url (or the environment variable it is read from), and that this user may connect from this host';
  }
  if (code === 'ER_BAD_DB_ERROR') return 'check the database name in the url';
  if (code === 'ER_DBACCESS_DENIED_ERROR')
    return 'grant this user access to the database, or fix the database name in the url';
  if (code === 'ER_CON_COUNT_ERROR' || code === 'ER_TOO_MANY_USER_CONNECTIONS') {
    return 'the server has no free connection slots: try again later or raise max_connections';
  }
  if (
    code.startsWith('HANDSHAKE_') ||
    /SSL|TLS|certificate|CERT_/i.test(`${describe(error).message ?? ''} ${code}`)
  ) {
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

function queryAdvice(error: unknown, statementTimeoutMs: number | undefined): string {
  const { code = '', errno } = describe(error);
  // MariaDB: ER_STATEMENT_TIMEOUT (1969); MySQL: ER_QUERY_TIMEOUT (3024).
  if (code === 'ER_STATEMENT_TIMEOUT' || code === 'ER_QUERY_TIMEOUT' || errno === 1969 || errno === 3024) {
    const limit = statementTimeoutMs === undefined ? '' : ` (${statementTimeoutMs} ms)`;
    return `the query ran longer than the statement timeout${limit}, which on MySQL and MariaDB includes reading every row: make the model cheaper, or raise statement_timeout for this source in sluice.yaml`;
  }
  if (code === 'ER_QUERY_INTERRUPTED')
    return 'the query was killed on the server (KILL QUERY by an administrator or another session)';
  if (code === 'ER_NO_SUCH_TABLE' || code === 'ER_BAD_DB_ERROR')
    return "check the table and database names in the model's SQL";
  if (code === 'ER_BAD_FIELD_ERROR') return "check the column names in the model's SQL";
  if (code === 'ER_PARSE_ERROR')
    return "check the model's SQL syntax (MySQL/MariaDB dialect: quote names with backticks)";
  // Models run as prepared statements (binary protocol, for exact floats): a bare `?` is a parameter.
  if (code === 'ER_WRONG_ARGUMENTS' && /mysqld?_stmt_execute/.test(describe(error).message ?? '')) {
    return "the model's SQL has a ? outside a string or comment, which MySQL reads as a parameter and Sluice binds none: quote it or remove it";
  }
  if (code === 'ER_SP_DOES_NOT_EXIST') return "check the function names in the model's SQL";
  if (code === 'ER_TABLEACCESS_DENIED_ERROR' || code === 'ER_COLUMNACCESS_DENIED_ERROR')
    return 'grant this user SELECT on the tables the model reads';
  if (code === 'ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION')
    return 'the model must only read: sources run in read-only transactions';
  if (code === 'PROTOCOL_CONNECTION_LOST' || code === 'ECONNRESET' || code === 'EPIPE') {
    return 'the connection to the server broke: check that the server is up, then run again';
  }
  return "check the model's SQL";
}

/**
 * A query that failed to start or failed part way. MySQL and MariaDB place syntax errors as "near
 * '<the query from there on>' at line n", where n is not always the line of the error (MariaDB
 * counts the line after a line break the lexer read ahead). The quoted text is exact, so the
 * place is found from it in `sql`; with `frame` (the model inside Sluice's wrapper) the line counts
 * the model's lines, and the quote loses the wrapper's text after the model.
 */
export function queryError(
  sourceName: string,
  error: unknown,
  password: string | undefined,
  statementTimeoutMs: number | undefined,
  where?: { sql: string; frame?: ModelLines },
): SluiceError {
  const words = wordsOf(error, password);
  const { words: placed, place } = where === undefined ? { words, place: {} } : placeNear(words, where);
  return shared.queryError(sourceName, error, placed, queryAdvice(error, statementTimeoutMs), place);
}

function placeNear(
  words: string,
  where: { sql: string; frame?: ModelLines },
): { words: string; place: ErrorPlace } {
  const near = /near '([\s\S]*)' at line (\d+)/.exec(words);
  if (near === null) return { words, place: {} };
  const quoted = near[1] as string;
  const index = where.sql.indexOf(quoted);
  if (index === -1) return { words, place: {} };
  const place = placeLine(lineAtPosition(where.sql, index + 1), where.frame);
  if (place.modelLine === undefined) return { words: `${words} ${IN_WRAPPER_NOTE}`, place };
  let shown = quoted;
  if (where.frame !== undefined) {
    // Quote the user's SQL only, not the wrapper that follows it.
    const lines = where.sql.split('\n');
    const modelEnd = lines.slice(0, where.frame.first - 1 + where.frame.count).join('\n').length;
    shown = quoted.slice(0, Math.max(0, modelEnd - index));
  }
  const text = `near '${shown}' at line ${place.modelLine}`;
  return { words: words.slice(0, near.index) + text + words.slice(near.index + near[0].length), place };
}

export const { interruptedError, closedError, duplicateColumnError } = shared;
