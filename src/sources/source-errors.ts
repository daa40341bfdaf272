import { SluiceError } from '../core/errors.js';
import type { ErrorPlace } from './model-lines.js';

/**
 * The errors every engine raises alike, worded the same way whatever the engine; each engine's
 * `<engine>-errors.ts` binds its name and adds the errors only it has (connecting, its server codes).
 */
export function sourceErrors(engine: string) {
  const resultShapeError = (sourceName: string, problem: string, advice: string): SluiceError =>
    new SluiceError('source_error', `source "${sourceName}" (${engine}): ${problem} — ${advice}`, {
      details: { source: sourceName },
    });
  return {
    /** The run was stopped through the stream's `signal`. */
    interruptedError(sourceName: string, reason: unknown): SluiceError {
      return new SluiceError(
        'interrupted',
        `source "${sourceName}" stopped reading: the run was interrupted`,
        {
          cause: reason,
          details: { source: sourceName },
        },
      );
    },
    /** The source was closed: by the caller, or while this call was waiting. */
    closedError(sourceName: string): SluiceError {
      return new SluiceError('source_error', `source "${sourceName}" (${engine}) is closed`, {
        details: { source: sourceName },
      });
    },
    /**
     * Could not connect, authenticate, or set up the session. `words`: the driver's or server's own
     * (already redacted); `advice`: what to check, from the engine's error code.
     */
    connectError(
      sourceName: string,
      target: string,
      cause: unknown,
      words: string,
      advice: string,
    ): SluiceError {
      return new SluiceError(
        'source_error',
        `source "${sourceName}" (${engine}) could not connect to ${target}: ${words} — ${advice}`,
        { cause, details: { source: sourceName } },
      );
    },
    /**
     * A query that failed to start or failed part way; `words` and `advice` as for connectError,
     * `place` where in the user's model the engine placed it (StreamOptions.modelLines).
     */
    queryError(
      sourceName: string,
      cause: unknown,
      words: string,
      advice: string,
      place: ErrorPlace = {},
    ): SluiceError {
      return new SluiceError(
        'source_error',
        `source "${sourceName}" (${engine}) could not run the query: ${words} — ${advice}`,
        { cause, details: { source: sourceName, ...place } },
      );
    },
    /** A result this source cannot turn into rows, e.g. a column name given twice. */
    resultShapeError,
    /** Rows are keyed by column name, so a name given twice cannot be read. */
    duplicateColumnError(sourceName: string, column: string): SluiceError {
      return new SluiceError(
        'source_error',
        `source "${sourceName}" (${engine}): the query returns more than one column named "${column}" — give each column its own name with AS, since rows are keyed by column name`,
        // The name, for callers that add columns of their own to the model's (sync/extract.ts).
        { details: { source: sourceName, duplicateColumn: column } },
      );
    },
  };
}
