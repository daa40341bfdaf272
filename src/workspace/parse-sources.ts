import path from 'node:path';
import { z } from 'zod';
import type { SourceConfig } from '../core/workspace.js';
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

/** The keys each source type accepts (SPEC §1), each validated by its own schema. */
const SOURCE_SHAPES = {
  duckdb: { type: text, path: text },
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
  files: { type: text },
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
    case 'duckdb':
    case 'sqlite': {
      const v = parseEntry(p, at, SOURCE_SHAPES[kind], raw);
      if (p.size > before || v?.path === undefined) return undefined;
      return { type: kind, path: localPath(dir, v.path) };
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
    case 'files':
      parseEntry(p, at, SOURCE_SHAPES.files, raw);
      return p.size > before ? undefined : { type: 'files' };
  }
}

/** A database file path relative to the workspace, made absolute; ":memory:" stays as it is. */
export function localPath(dir: string, file: string): string {
  return file === ':memory:' ? file : path.resolve(dir, file);
}
