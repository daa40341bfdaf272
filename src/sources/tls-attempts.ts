/**
 * libpq's `sslmode` (https://www.postgresql.org/docs/current/libpq-ssl.html#LIBPQ-SSL-PROTECTION),
 * used by both network sources: which connections to try, in order, and how to check the server.
 * `allow` and `prefer` are two attempts (plain then TLS, TLS then plain); the engine says which
 * failure of the first one lets the second run.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { SluiceError } from '../core/errors.js';

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** One TLS connection to try: how much of the server's certificate to check, and the PEM files. */
export interface TlsSettings {
  /** none: encrypt only · ca: the chain must lead to `ca` · full: and the host name must match. */
  verify: 'none' | 'ca' | 'full';
  /** PEM text; absent means Node's bundled CA certificates. */
  ca?: string;
  cert?: string;
  key?: string;
}

/** A connection attempt: `false` for plain TCP, else TLS with these settings. */
export type TlsAttempt = false | TlsSettings;

export interface TlsOptions {
  sslmode?: string;
  sslrootcert?: string;
  sslcert?: string;
  sslkey?: string;
}

/** TLS options from sluice.yaml, each falling back to the same-named url parameter. */
export function tlsOptionsFrom(
  settings: TlsOptions,
  param: (key: keyof TlsOptions) => string | undefined,
): TlsOptions {
  const pick = (key: keyof TlsOptions) => settings[key] ?? param(key);
  return {
    sslmode: pick('sslmode'),
    sslrootcert: pick('sslrootcert'),
    sslcert: pick('sslcert'),
    sslkey: pick('sslkey'),
  };
}

/**
 * The attempts for `options` (libpq's default mode is `prefer`). As in libpq, `require` with a root
 * certificate behaves as `verify-ca`. Reads the PEM files now; a file that cannot be read, or an
 * unknown mode, is a `SluiceError` naming the source. Relative paths resolve against `baseDir`.
 */
export async function tlsAttempts(
  options: TlsOptions,
  context: { sourceName: string; engine: string; baseDir: string },
): Promise<TlsAttempt[]> {
  const mode = options.sslmode ?? 'prefer';
  if (!(SSL_MODES as readonly string[]).includes(mode)) {
    throw new SluiceError(
      'config_invalid',
      `source "${context.sourceName}" (${context.engine}): sslmode "${mode}" is not one of ${SSL_MODES.join(', ')}`,
      { details: { source: context.sourceName } },
    );
  }
  if (mode === 'disable') return [false];
  const read = (key: 'sslrootcert' | 'sslcert' | 'sslkey') => readPem(options[key], key, context);
  const [ca, cert, key] = await Promise.all([read('sslrootcert'), read('sslcert'), read('sslkey')]);
  const files = {
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
  };
  const unverified: TlsSettings = { verify: 'none', ...files };
  switch (mode as SslMode) {
    case 'allow':
      return [false, unverified];
    case 'prefer':
      return [unverified, false];
    case 'require':
      return [ca === undefined ? unverified : { ...unverified, verify: 'ca' }];
    case 'verify-ca':
      return [{ ...unverified, verify: 'ca' }];
    default:
      return [{ ...unverified, verify: 'full' }];
  }
}

async function readPem(
  path: string | undefined,
  key: string,
  context: { sourceName: string; engine: string; baseDir: string },
): Promise<string | undefined> {
  if (path === undefined) return undefined;
  const file = isAbsolute(path) ? path : resolve(context.baseDir, path);
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new SluiceError(
      'source_error',
      `source "${context.sourceName}" (${context.engine}) could not read ${key} ${file}: ${code} — ` +
        'check the path (relative paths resolve against the workspace folder) and that Sluice may read it',
      { cause: error, details: { source: context.sourceName } },
    );
  }
}
