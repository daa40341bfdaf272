/**
 * The one place that names source implementations. Drivers load lazily (`await import(…)`) so that a
 * workspace using only DuckDB never loads pg or mysql2, and the rest of Sluice only sees `Source`.
 */
import { resolve } from 'node:path';
import { SluiceError } from '../core/errors.js';
import type { SourceConfig } from '../core/workspace.js';
import type { Source, SourceContext, WritebackWriter } from './source.js';

/**
 * Creates the source for one `sources:` entry of sluice.yaml. Nothing connects yet: `check()` or the
 * first `stream()` does. Throws `SluiceError('config_invalid')` for a type this build cannot read.
 */
export async function createSource(config: SourceConfig, context: SourceContext): Promise<Source> {
  switch (config.type) {
    case 'duckdb': {
      const [{ DuckDBSource }, driver] = await Promise.all([
        import('./duckdb/duckdb-source.js'),
        import('@duckdb/node-api'),
      ]);
      // The config carries the embedded DuckDB's settings too (memory_limit, temp_directory, threads).
      return new DuckDBSource(driver, config, context);
    }
    case 'files': {
      // CSV, Parquet and JSON files read by an in-memory DuckDB; relative paths resolve against the
      // workspace folder (DuckDB's file_search_path), so `read_csv('data/x.csv')` just works.
      const [{ DuckDBSource }, driver] = await Promise.all([
        import('./duckdb/duckdb-source.js'),
        import('@duckdb/node-api'),
      ]);
      return new DuckDBSource(driver, { ...config, path: ':memory:' }, context);
    }
    case 'postgres': {
      const [{ PostgresSource }, pg, cursor, copyStreams] = await Promise.all([
        import('./postgres/postgres-source.js'),
        import('pg'),
        import('pg-cursor'),
        import('pg-copy-streams'),
      ]);
      return new PostgresSource(
        { Client: pg.Client, Cursor: cursor.default, copyFrom: copyStreams.from },
        config,
        context,
      );
    }
    case 'mysql': {
      const [{ MysqlSource }, mysql] = await Promise.all([
        import('./mysql/mysql-source.js'),
        import('mysql2'),
      ]);
      return new MysqlSource(mysql, config, context);
    }
    case 'sqlite': {
      const [{ SqliteSource }, sqlite] = await Promise.all([
        import('./sqlite/sqlite-source.js'),
        import('better-sqlite3'),
      ]);
      return new SqliteSource(sqlite.default, { path: config.path }, context);
    }
    default:
      throw new SluiceError(
        'config_invalid',
        `source "${context.name}": source type "${(config as { type: string }).type}" is not supported — ` +
          'use duckdb, postgres, mysql, sqlite or files',
        { details: { source: context.name, type: (config as { type: string }).type } },
      );
  }
}

export { writebackTableParts } from './writeback-table.js';

/**
 * The source types a sync's `writeback:` may name (SPEC §7). Not `files` (an in-memory DuckDB) and
 * not `sqlite`, whose file the source opens read-only and other programs may hold.
 */
export const WRITABLE_SOURCE_TYPES: readonly string[] = Object.freeze(['duckdb', 'postgres', 'mysql']);

/**
 * The writer of a sync's writeback into the source `config` (one of `WRITABLE_SOURCE_TYPES`, a
 * DuckDB source on a file). Nothing connects until `write`. Throws `SluiceError('config_invalid')`
 * for a source that cannot be written.
 */
export async function createWritebackWriter(
  config: SourceConfig,
  context: SourceContext,
): Promise<WritebackWriter> {
  switch (config.type) {
    case 'duckdb': {
      if (config.path === ':memory:') break;
      const [{ DuckDBWritebackWriter }, driver] = await Promise.all([
        import('./duckdb/duckdb-writeback.js'),
        import('@duckdb/node-api'),
      ]);
      return new DuckDBWritebackWriter(driver, {
        sourceName: context.name,
        path: resolve(context.workspaceDir, config.path),
      });
    }
    case 'postgres': {
      const [{ PostgresWritebackWriter }, pg] = await Promise.all([
        import('./postgres/postgres-writeback.js'),
        import('pg'),
      ]);
      return new PostgresWritebackWriter({ Client: pg.Client }, config, {
        sourceName: context.name,
        baseDir: context.workspaceDir,
      });
    }
    case 'mysql': {
      const [{ MysqlWritebackWriter }, mysql] = await Promise.all([
        import('./mysql/mysql-writeback.js'),
        import('mysql2'),
      ]);
      return new MysqlWritebackWriter(mysql, config, {
        sourceName: context.name,
        baseDir: context.workspaceDir,
      });
    }
  }
  throw new SluiceError(
    'config_invalid',
    `source "${context.name}" cannot take a writeback — use a duckdb source on a file, postgres or mysql`,
    { details: { source: context.name, type: config.type } },
  );
}
