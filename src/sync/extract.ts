import type { Row } from '../core/values.js';
import type { Source, SourceCapabilities } from '../sources/source.js';

/** The column the extract query adds: how many rows of the model share this row's key. */
export const KEY_COUNT_COLUMN = '__sluice_key_count';
/** The column the extract query adds where the engine can hash rows: the row's hash (text). */
export const ROW_HASH_COLUMN = '__sluice_row_hash';

/**
 * Wraps a model's SQL so the warehouse itself counts rows per key. Duplicate keys must be reported on
 * every row that shares them (as Census does), including rows streamed before the second copy shows
 * up — only a window over the whole result can say that without holding every key in memory.
 * Window functions exist in every engine we support (PostgreSQL, MySQL 8 / MariaDB 10.2+,
 * SQLite 3.25+, DuckDB).
 *
 * Where the engine can (SourceCapabilities.rowHashSql), it also hashes each row, so the sync can
 * tell an unchanged row without serialising it in JS (the row fingerprint, sync/map.ts).
 *
 * Rows come out in key order: the state store looks up and writes key states in batches, and keys
 * that arrive in order touch neighbouring pages of its index instead of pages all over it (the
 * window has already sorted or partitioned by key, so the order costs the warehouse little).
 */
export function buildExtractSql(
  modelSql: string,
  keyColumn: string,
  capabilities: SourceCapabilities,
): string {
  const quote = (name: string) => capabilities.quoteIdentifier(name);
  const body = stripTrailingSemicolons(modelSql);
  const alias = quote('m');
  const key = `${alias}.${quote(keyColumn)}`;
  const rowHash = capabilities.rowHashSql
    ? `, ${capabilities.rowHashSql(alias)} as ${quote(ROW_HASH_COLUMN)}`
    : '';
  return `select ${alias}.*, count(*) over (partition by ${key}) as ${quote(KEY_COUNT_COLUMN)}${rowHash}\nfrom (\n${body}\n) ${alias}\norder by ${key}`;
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
  const sql = buildExtractSql(modelSql, keyColumn, source.capabilities);
  return source.stream(sql, options);
}
