/**
 * A network source's connection URL (`postgres://USER:PASSWORD@HOST:PORT/DB?param=value`) taken
 * apart, so that each part reaches its driver on its own and the URL itself — which holds the
 * password — is never handed to a driver that might echo it in an error. Nothing here ever puts
 * the URL or the password into a message.
 */
import { SluiceError } from '../core/errors.js';

export interface DatabaseUrl {
  /** Host name or IP (IPv6 without brackets); "" when the URL names none (e.g. a socket given as a param). */
  host: string;
  port: number | undefined;
  user: string | undefined;
  password: string | undefined;
  database: string | undefined;
  /** Query parameters, decoded. */
  params: ReadonlyMap<string, string>;
}

/**
 * Parses `url`, accepting only the query parameters in `known`. Throws `SluiceError('config_invalid')`
 * naming the source and the problem, but never the URL: it may hold a password.
 */
export function parseDatabaseUrl(
  url: string,
  sourceName: string,
  engine: string,
  known: readonly string[],
): DatabaseUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw urlError(sourceName, engine, 'is not a valid URL', `write it as ${exampleFor(engine)}`);
  }
  const params = new Map<string, string>();
  for (const [key, value] of parsed.searchParams) {
    if (!known.includes(key)) {
      throw urlError(
        sourceName,
        engine,
        `has the parameter "${key}", which Sluice does not read`,
        `remove it; the parameters Sluice reads are ${known.join(', ')}`,
      );
    }
    params.set(key, value);
  }
  let port: number | undefined;
  if (parsed.port !== '') port = Number(parsed.port);
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  const database = parsed.pathname.replace(/^\//, '');
  return {
    host: decode(host),
    port,
    user: parsed.username === '' ? undefined : decode(parsed.username),
    password: parsed.password === '' ? undefined : decode(parsed.password),
    database: database === '' ? undefined : decode(database),
    params,
  };
}

/** Percent-decoding that keeps text it cannot decode (a lone "%" in a password is a valid character). */
function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function exampleFor(engine: string): string {
  return engine === 'mysql' ? 'mysql://USER:PASSWORD@HOST:3306/DB' : 'postgres://USER:PASSWORD@HOST:5432/DB';
}

function urlError(sourceName: string, engine: string, problem: string, fix: string): SluiceError {
  return new SluiceError(
    'config_invalid',
    `source "${sourceName}" (${engine}): the url ${problem} (not shown: it may hold a password) — ${fix}`,
    { details: { source: sourceName } },
  );
}

/**
 * `message` with every occurrence of `secret` replaced by "[secret]". Drivers do not put passwords
 * into their errors, but a message goes to terminals, logs and run history, so make sure. Secrets
 * shorter than 4 characters are not searched for: they would blank out ordinary words.
 */
export function redactSecret(message: string, secret: string | undefined): string {
  if (secret === undefined || secret.length < 4) return message;
  let out = message.replaceAll(secret, '[secret]');
  const encoded = encodeURIComponent(secret);
  if (encoded !== secret) out = out.replaceAll(encoded, '[secret]');
  return out;
}
