import path from 'node:path';
import { z } from 'zod';
import type { DuckDBResourceConfig, SourceConfig } from '../core/workspace.js';
import { suggest } from './did-you-mean.js';
import { durationMs, secretUrl, text } from './field-schemas.js';
import { isMapping, own, type Problems, parseEntry, where } from './problems.js';
import type { Path } from './yaml-tree.js';

// libpq's sslmode values: https://www.postgresql.org/docs/current/libpq-ssl.html#LIBPQ-SSL-PROTECTION
const SSLMODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;

/** TLS keys of the network sources: libpq's names, used for MySQL too (src/sources/README.md). */
const TLS_KEYS = {
  sslmode: z.enum(SSLMODES).optional(),
  sslrootcert: text.optional(),
  sslcert: text.optional(),
  sslkey: text.optional(),
} as const;

/**
 * A DuckDB size: a number and one of the units DuckDB's `memory_limit` understands, 1000-based (KB…TB)
 * or 1024-based (KiB…TiB) — https://duckdb.org/docs/stable/configuration/overview. A bare number is
 * refused: DuckDB itself refuses it, and bytes or megabytes would be a guess.
 */
const DUCKDB_SIZE = /^(\d+(?:\.\d+)?) ?(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i;

const duckdbSize = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const match = typeof value === 'string' ? DUCKDB_SIZE.exec(value.trim()) : null;
  if (match === null || Number(match[1]) <= 0) {
    ctx.issues.push({
      code: 'custom',
      input: value,
      message: 'must be a size such as 512MB or 2GiB',
      params: {
        fix: 'write a number above 0 followed by KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024)',
      },
    });
    return z.NEVER;
  }
  return `${match[1]}${match[2]}`;
});

/** The embedded DuckDB's resource keys, shared by the duckdb and files types (src/sources/README.md). */
const DUCKDB_KEYS = {
  memory_limit: duckdbSize.optional(),
  temp_directory: text.optional(),
  threads: z.number().int().min(1).optional(),
} as const;

/** The keys each source type accepts (SPEC §1), each validated by its own schema. */
const SOURCE_SHAPES = {
  duckdb: { type: text, path: text, ...DUCKDB_KEYS },
  postgres: {
    type: text,
    url: secretUrl(['postgres:', 'postgresql:'], 'postgres://USER:PASSWORD@HOST:5432/DB'),
    ...TLS_KEYS,
    statement_timeout: durationMs.optional(),
  },
  mysql: {
    type: text,
    url: secretUrl(['mysql:'], 'mysql://USER:PASSWORD@HOST:3306/DB'),
    ...TLS_KEYS,
    statement_timeout: durationMs.optional(),
  },
  sqlite: { type: text, path: text },
  files: { type: text, ...DUCKDB_KEYS },
} as const;

/** Source types sluice.yaml accepts. */
export const SOURCE_TYPES = Object.keys(SOURCE_SHAPES) as (keyof typeof SOURCE_SHAPES)[];

/** Validates one `sources.<name>` entry; undefined when it has problems (all reported to `p`). */
export function parseSource(p: Problems, at: Path, raw: unknown, dir: string): SourceConfig | undefined {
  if (!isMapping(raw)) {
    parseEntry(p, at, {}, raw); // reports "must be a mapping"
    return undefined;
  }
  const type = own(raw, 'type');
  if (type === undefined) {
    p.add(at, `${where(at)} has no type`, `add type: one of ${SOURCE_TYPES.join(', ')}`);
    return undefined;
  }
  if (typeof type !== 'string' || !Object.hasOwn(SOURCE_SHAPES, type)) {
    p.add(
      [...at, 'type'],
      `${where(at)} has unknown type ${p.show([...at, 'type'], type)}`,
      suggest(String(type), SOURCE_TYPES, ''),
    );
    return undefined;
  }
  const before = p.size;
  const kind = type as keyof typeof SOURCE_SHAPES;
  switch (kind) {
    case 'duckdb': {
      const v = parseEntry(p, at, SOURCE_SHAPES.duckdb, raw);
      if (p.size > before || v?.path === undefined) return undefined;
      return { type: 'duckdb', path: localPath(dir, v.path), ...duckdbResources(v, dir) };
    }
    case 'sqlite': {
      const v = parseEntry(p, at, SOURCE_SHAPES.sqlite, raw);
      if (p.size > before || v?.path === undefined) return undefined;
      return { type: 'sqlite', path: localPath(dir, v.path) };
    }
    case 'postgres':
    case 'mysql': {
      const v = parseEntry(p, at, SOURCE_SHAPES[kind], raw);
      if (p.size > before || v?.url === undefined) return undefined;
      return {
        type: kind,
        url: v.url,
        ...(v.sslmode === undefined ? {} : { sslmode: v.sslmode }),
        ...(v.sslrootcert === undefined ? {} : { sslrootcert: localPath(dir, v.sslrootcert) }),
        ...(v.sslcert === undefined ? {} : { sslcert: localPath(dir, v.sslcert) }),
        ...(v.sslkey === undefined ? {} : { sslkey: localPath(dir, v.sslkey) }),
        ...(v.statement_timeout === undefined ? {} : { statementTimeoutMs: v.statement_timeout }),
      };
    }
    case 'files': {
      const v = parseEntry(p, at, SOURCE_SHAPES.files, raw);
      if (p.size > before || v === undefined) return undefined;
      return { type: 'files', ...duckdbResources(v, dir) };
    }
  }
}

/** The resource keys that were given, with temp_directory made absolute against the workspace. */
function duckdbResources(
  v: { memory_limit?: string; temp_directory?: string; threads?: number },
  dir: string,
): DuckDBResourceConfig {
  return {
    ...(v.memory_limit === undefined ? {} : { memoryLimit: v.memory_limit }),
    ...(v.temp_directory === undefined ? {} : { tempDirectory: path.resolve(dir, v.temp_directory) }),
    ...(v.threads === undefined ? {} : { threads: v.threads }),
  };
}

/** A database file path relative to the workspace, made absolute; ":memory:" stays as it is. */
export function localPath(dir: string, file: string): string {
  return file === ':memory:' ? file : path.resolve(dir, file);
}
