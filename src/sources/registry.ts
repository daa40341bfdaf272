/**
 * The one place that names source implementations. Drivers load lazily (`await import(…)`) so that a
 * workspace using only DuckDB never loads pg or mysql2, and the rest of Sluice only sees `Source`.
 */
import { SluiceError } from '../core/errors.js';
import type { SourceConfig } from '../core/workspace.js';
import type { Source, SourceContext } from './source.js';

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
      const [{ PostgresSource }, pg, cursor] = await Promise.all([
        import('./postgres/postgres-source.js'),
        import('pg'),
        import('pg-cursor'),
      ]);
      return new PostgresSource({ Client: pg.Client, Cursor: cursor.default }, config, context);
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
