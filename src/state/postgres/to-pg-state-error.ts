import { isSluiceError, SluiceError } from '../../core/errors.js';

/** PostgreSQL SQLSTATEs and socket errno codes mapped to what a user can do. */
const hints: readonly [RegExp, string][] = [
  [
    /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ECONNRESET)$/,
    'the server cannot be reached; check the host and port',
  ],
  [/^(28P01|28000)$/, 'the server refused the user or password'],
  [/^3D000$/, 'the database does not exist; create it first'],
  [
    /^(42501|3F000)$/,
    'the user may not create or use the state schema; grant CREATE on the database or create the schema',
  ],
  [/^(53|57P)/, 'the server is out of resources or shutting down; try again'],
  [/^(40001|40P01)$/, 'a concurrent write conflicted; try again'],
];

/**
 * Wraps a driver error as `state_error`, naming the server and database (never the password), the
 * operation and, for codes we know, what to do. SluiceErrors pass through unchanged. The password is
 * cut out of the driver's message too, and the driver error is kept as the cause only when it does
 * not contain it.
 */
export function toPgStateError(
  error: unknown,
  display: string,
  password: string,
  operation: string,
): SluiceError {
  if (isSluiceError(error)) return error;
  const code =
    typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : '';
  const raw = error instanceof Error ? error.message || code : String(error);
  const message = scrub(raw, password);
  const hint = hints.find(([pattern]) => pattern.test(code))?.[1];
  const leaks =
    password !== '' && (raw.includes(password) || String((error as Error)?.stack).includes(password));
  return new SluiceError(
    'state_error',
    `state store ${display}: ${operation} failed: ${message}${hint ? ` (${hint})` : ''}`,
    {
      ...(leaks ? {} : { cause: error }),
      details: { store: display, operation, ...(code ? { driverCode: code } : {}) },
    },
  );
}

function scrub(text: string, password: string): string {
  if (password === '') return text;
  return text.split(password).join('***').split(encodeURIComponent(password)).join('***');
}
