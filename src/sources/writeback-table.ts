/**
 * What every engine's writeback writer shares (SPEC §7): the table name's rules, the columns in
 * their order, how the run's rows are cut into INSERT batches, and how a failure is worded.
 */
import { SluiceError } from '../core/errors.js';
import type { WritebackRow } from './source.js';

/** The columns of a writeback table, in the order every writer creates and fills them. */
export const WRITEBACK_COLUMNS = [
  'sync',
  'run_id',
  'key',
  'status',
  'reason',
  'message_id',
  'operation',
  'payload',
  'recorded_at',
] as const satisfies readonly (keyof WritebackRow)[];

/** One part of a table name: a plain identifier every engine takes unquoted or quoted alike. */
const PART = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * The parts of a writeback `table:` (`name` or `schema.name`), or a sentence saying what is wrong
 * with it. Plain identifiers only (letters, digits, `_`, at most 63 characters each, PostgreSQL's
 * limit): the name is written into DDL, and a name that needs quoting is one a user will mistype
 * in their own queries.
 */
export function writebackTableParts(table: string): string[] | string {
  const parts = table.split('.');
  if (parts.length > 2) return 'more than two parts: write NAME or SCHEMA.NAME';
  if (parts.some((part) => !PART.test(part))) {
    return 'not a plain name: letters, digits and _ (no digit first), at most 63 characters a part';
  }
  return parts;
}

/** The table name quoted with the engine's `quote`, each part on its own. Throws for a bad name. */
export function quotedTable(table: string, quote: (name: string) => string): string {
  const parts = writebackTableParts(table);
  if (typeof parts === 'string') throw new RangeError(`writeback table "${table}": ${parts}`);
  return parts.map(quote).join('.');
}

/** Rows per INSERT, and the payload bytes one may carry (MySQL's max_allowed_packet is 16 MB by default). */
const BATCH_ROWS = 500;
const BATCH_BYTES = 4 * 1024 * 1024;

/** The run's rows re-cut into INSERT batches of at most 500 rows and about 4 MB. */
export async function* insertBatches(pages: AsyncIterable<WritebackRow[]>): AsyncGenerator<WritebackRow[]> {
  let batch: WritebackRow[] = [];
  let bytes = 0;
  for await (const page of pages) {
    for (const row of page) {
      const size = (row.payload?.length ?? 0) * 3 + 512;
      if (batch.length > 0 && (batch.length === BATCH_ROWS || bytes + size > BATCH_BYTES)) {
        yield batch;
        batch = [];
        bytes = 0;
      }
      batch.push(row);
      bytes += size;
    }
  }
  if (batch.length > 0) yield batch;
}

/** A row's values in `WRITEBACK_COLUMNS` order. */
export function rowValues(row: WritebackRow): (string | null)[] {
  return WRITEBACK_COLUMNS.map((column) => row[column]);
}

/** The failure of a writeback, in the engine's words (already free of passwords). */
export function writebackError(
  sourceName: string,
  engine: string,
  table: string,
  words: string,
  cause?: unknown,
): SluiceError {
  return new SluiceError(
    'source_error',
    `writeback to source "${sourceName}" (${engine}) table ${table} failed: ${words}`,
    { cause, details: { source: sourceName, table } },
  );
}
