/**
 * DuckDB failures → `SluiceError('source_error')` messages that name the source, quote DuckDB's own
 * words, and say what to check. DuckDB prefixes its messages with a class ("Catalog Error: …"), which
 * is what picks the advice.
 */
import { SluiceError } from '../../core/errors.js';
import { relocateLineNumber } from '../model-lines.js';
import type { ModelLines } from '../source.js';
import { sourceErrors } from '../source-errors.js';

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The advice for a query that DuckDB refused or failed, from the class of its error. */
function queryAdvice(message: string): string {
  if (/attached in read-only mode/.test(message)) {
    return 'the model must only read: Sluice opens DuckDB files read-only, so that any number of runs read one file at once';
  }
  if (message.startsWith('Parser Error')) return "check the model's SQL syntax (DuckDB's dialect)";
  if (message.startsWith('Catalog Error')) return "check the table and schema names in the model's SQL";
  if (message.startsWith('Binder Error')) return "check the column names in the model's SQL";
  if (message.startsWith('IO Error') || message.startsWith('HTTP Error')) {
    return "check the file paths in the model's SQL: relative paths resolve against the workspace folder";
  }
  if (message.startsWith('Out of Memory Error')) {
    // DuckDB's own advice under the message names SET commands; in Sluice they are sluice.yaml keys.
    return (
      'raise memory_limit or lower threads for this source in sluice.yaml (each DuckDB thread needs ' +
      'memory of its own), or make the model read less at once'
    );
  }
  return "check the model's SQL";
}

/**
 * A query that failed to run, or failed part way. DuckDB quotes the line at fault as "LINE n:";
 * with `frame` (the model inside Sluice's wrapper) n counts the model's lines.
 */
export function queryError(sourceName: string, error: unknown, frame?: ModelLines): SluiceError {
  // DuckDB follows an out-of-memory message with "Possible solutions: SET threads=X …": statements a
  // model cannot run. The advice below names the sluice.yaml keys instead.
  const raw = messageOf(error).split('\n\nPossible solutions')[0] as string;
  const { words: message, place } = relocateLineNumber(raw, /\bLINE (\d+):/, frame);
  return new SluiceError(
    'source_error',
    `source "${sourceName}" (duckdb) could not run the query: ${message} — ${queryAdvice(message)}`,
    { cause: error, details: { source: sourceName, ...place } },
  );
}

/** A database file that could not be opened. */
export function openError(sourceName: string, path: string, error: unknown): SluiceError {
  const message = messageOf(error);
  let advice = 'check the path and the permissions of the file and its folder';
  if (/lock/i.test(message)) {
    advice =
      'another process holds the file open for writing (DuckDB allows one writer): stop it, or point to a copy';
  } else if (/not a valid DuckDB database|invalid|version/i.test(message)) {
    advice = 'check that the file is a DuckDB database written by a compatible DuckDB version';
  }
  return new SluiceError(
    'source_error',
    `source "${sourceName}" (duckdb) could not open ${path}: ${message} — ${advice}`,
    { cause: error, details: { source: sourceName, path } },
  );
}

/** A temp_directory that could not be created: DuckDB would only find out when it first spills. */
export function tempDirectoryError(sourceName: string, path: string, error: unknown): SluiceError {
  return new SluiceError(
    'source_error',
    `source "${sourceName}" (duckdb) could not create its temp_directory ${path}: ${messageOf(error)} — ` +
      'check temp_directory for this source in sluice.yaml: DuckDB writes what does not fit in ' +
      'memory_limit there, so it must be a folder this process may write to',
    { cause: error, details: { source: sourceName, path } },
  );
}

/** A database file that is not there: opening it would create an empty database, so refuse instead. */
export function missingFileError(sourceName: string, path: string, what: 'missing' | 'folder'): SluiceError {
  const problem = what === 'missing' ? 'does not exist' : 'is a folder, not a DuckDB file';
  return new SluiceError(
    'source_error',
    `source "${sourceName}" (duckdb): ${path} ${problem} — check "path" for this source in sluice.yaml ` +
      '(relative paths resolve against the workspace folder; use ":memory:" for an empty in-memory database)',
    { details: { source: sourceName, path } },
  );
}

export const { interruptedError, closedError, resultShapeError, duplicateColumnError } =
  sourceErrors('duckdb');
