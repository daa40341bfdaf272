import { SluiceError } from '../../core/errors.js';

/** The schema the state lives in when the URL names none. */
export const DEFAULT_STATE_SCHEMA = 'sluice';

/** A `state: postgres://…` URL taken apart: what to connect with, where, and how to name it. */
export interface StateUrl {
  /** The URL without the `schema` parameter, for the driver (it still holds the password). */
  connectionString: string;
  schema: string;
  /** `postgres://user@host:port/db?schema=…`: the URL without its password, for messages. */
  display: string;
  /** The password (decoded), so that messages can be scrubbed of it; empty when there is none. */
  password: string;
}

/**
 * Reads the store's own `schema` query parameter (default `sluice`): a plain lower-case SQL name,
 * so it never needs quoting. Every other parameter (sslmode, …) is left to the driver.
 */
export function parseStateUrl(url: string): StateUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SluiceError('config_invalid', 'state: the PostgreSQL URL cannot be parsed');
  }
  const schema = parsed.searchParams.get('schema') ?? DEFAULT_STATE_SCHEMA;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new SluiceError(
      'config_invalid',
      `state: schema ${JSON.stringify(schema)} must be lower-case letters, digits and _ (at most 63), not starting with a digit`,
    );
  }
  parsed.searchParams.delete('schema');
  const password = decodeURIComponent(parsed.password);
  const shown = new URL(parsed.toString());
  shown.password = '';
  shown.search = '';
  const database = decodeURIComponent(shown.pathname.replace(/^\//, '')) || '(default database)';
  const display = `postgres://${shown.username ? `${decodeURIComponent(shown.username)}@` : ''}${shown.host}/${database}?schema=${schema}`;
  return { connectionString: parsed.toString(), schema, display, password };
}
