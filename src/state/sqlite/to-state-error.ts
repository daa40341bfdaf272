import { isSluiceError, SluiceError } from '../../core/errors.js';

/** SQLite result codes (and a few errno codes from opening the file) mapped to what a user can do. */
const hints: readonly [RegExp, string][] = [
  [/^SQLITE_(BUSY|LOCKED)/, 'the database is locked by another process; try again when it has finished'],
  [/^(SQLITE_READONLY|SQLITE_PERM|EACCES|EPERM|EROFS)/, 'the file or its folder is not writable'],
  [/^(SQLITE_NOTADB|SQLITE_CORRUPT)/, 'the file is not a SQLite database, or it is damaged'],
  [/^(SQLITE_FULL|ENOSPC)/, 'the disk is full'],
  [/^(SQLITE_CANTOPEN|ENOTDIR|ENOENT|EISDIR)/, 'the file cannot be opened; check the path'],
];

/**
 * Wraps a driver or file-system error as `state_error`, naming the file, the operation and, when the
 * code is one we know, what to do about it. SluiceErrors pass through unchanged.
 */
export function toStateError(error: unknown, file: string, operation: string): SluiceError {
  if (isSluiceError(error)) return error;
  const code =
    typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : '';
  const message = error instanceof Error ? error.message : String(error);
  const hint = hints.find(([pattern]) => pattern.test(code))?.[1];
  return new SluiceError(
    'state_error',
    `state store ${file}: ${operation} failed: ${message}${hint ? ` (${hint})` : ''}`,
    { cause: error, details: { file, operation, ...(code ? { driverCode: code } : {}) } },
  );
}
