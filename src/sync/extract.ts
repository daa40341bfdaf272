import type { Row } from '../core/values.js';
import type { Source } from '../sources/source.js';

/** The column the extract query adds: how many rows of the model share this row's key. */
export const KEY_COUNT_COLUMN = '__sluice_key_count';

/**
 * Wraps a model's SQL so the warehouse itself counts rows per key. Duplicate keys must be reported on
 * every row that shares them (as Census does), including rows streamed before the second copy shows
 * up — only a window over the whole result can say that without holding every key in memory.
 * Window functions exist in every engine we support (PostgreSQL, MySQL 8 / MariaDB 10.2+,
 * SQLite 3.25+, DuckDB).
 *
 * Rows come out in key order: the state store looks up and writes key states in batches, and keys
 * that arrive in order touch neighbouring pages of its index instead of pages all over it (the
 * window has already sorted or partitioned by key, so the order costs the warehouse little).
 */
export function buildExtractSql(
  modelSql: string,
  keyColumn: string,
  quote: (name: string) => string,
): string {
  const body = stripTrailingSemicolons(modelSql);
  const key = `${quote('m')}.${quote(keyColumn)}`;
  return `select ${quote('m')}.*, count(*) over (partition by ${key}) as ${quote(KEY_COUNT_COLUMN)}\nfrom (\n${body}\n) ${quote('m')}\norder by ${key}`;
}

function stripTrailingSemicolons(sql: string): string {
  return sql.replace(/[\s;]+$/u, '');
}

/** Streams the model's rows in batches. */
export function extractRows(
  source: Source,
  modelSql: string,
  keyColumn: string,
  options: { batchSize: number; signal?: AbortSignal },
): AsyncIterable<Row[]> {
  const sql = buildExtractSql(modelSql, keyColumn, (name) => source.capabilities.quoteIdentifier(name));
  return source.stream(sql, options);
}
