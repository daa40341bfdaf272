/**
 * SQLite failures → `SluiceError('source_error')` messages that name the source, quote SQLite's own
 * words, and say what to check. better-sqlite3 gives each error SQLite's result code name
 * (https://www.sqlite.org/rescode.html) as `code`, which picks the advice.
 */
import { SluiceError } from '../../core/errors.js';
import { sourceErrors } from '../source-errors.js';

function wordsOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function codeOf(error: unknown): string {
  return typeof error === 'object' && error !== null ? String((error as { code?: unknown }).code ?? '') : '';
}

/** A database file that could not be opened. */
export function openError(sourceName: string, path: string, error: unknown): SluiceError {
  const code = codeOf(error);
  let advice = 'check the path and the permissions of the file and its folder';
  if (code === 'SQLITE_NOTADB') advice = 'check that the file is a SQLite database';
  if (code === 'SQLITE_CORRUPT') advice = 'the file is damaged: restore it from a backup';
  return new SluiceError(
    'source_error',
    `source "${sourceName}" (sqlite) could not open ${path}: ${wordsOf(error)} — ${advice}`,
    { cause: error, details: { source: sourceName, path } },
  );
}

/** A database file that is not there: opening it would create an empty database, so refuse instead. */
export function missingFileError(sourceName: string, path: string): SluiceError {
  return new SluiceError(
    'source_error',
    `source "${sourceName}" (sqlite): ${path} does not exist — check "path" for this source in sluice.yaml ` +
      '(relative paths resolve against the workspace folder)',
    { details: { source: sourceName, path } },
  );
}

function queryAdvice(error: unknown): string {
  const code = codeOf(error);
  const message = wordsOf(error);
  if (code === 'SQLITE_READONLY') return 'the model must only read: SQLite sources are opened read-only';
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return 'another process holds a write lock on the database: run again when it is done (WAL mode lets readers and a writer share the file)';
  }
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT')
    return 'check that the file is an intact SQLite database';
  if (/no such table/.test(message)) return "check the table names in the model's SQL";
  if (/no such column/.test(message)) return "check the column names in the model's SQL";
  if (/no such function/.test(message))
    return "check the function names in the model's SQL (SQLite's built-in functions)";
  if (/syntax error|incomplete input/.test(message)) return "check the model's SQL syntax (SQLite's dialect)";
  return "check the model's SQL";
}

/** A query that failed to prepare or failed part way. */
export function queryError(sourceName: string, error: unknown): SluiceError {
  return new SluiceError(
    'source_error',
    `source "${sourceName}" (sqlite) could not run the query: ${wordsOf(error)} — ${queryAdvice(error)}`,
    { cause: error, details: { source: sourceName } },
  );
}

export const { interruptedError, closedError, resultShapeError, duplicateColumnError } =
  sourceErrors('sqlite');
