/**
 * Text columns a page of rows at a time, in the shape bulk paths move them: a warehouse diff's
 * delivered fingerprints go from the state store (on its thread) into a temporary table of the
 * warehouse (sync/warehouse-diff.ts). A page is either lists of values, `page[c][r]` for column c of
 * row r, or packed: each column's values joined by U+001F (the ASCII unit separator), which none of
 * them contains. Packed, a column crosses a thread as one string (a copy, where a list is one string
 * per value to serialise and rebuild) and binds as one query parameter that the engine splits itself.
 * Measured on a million `(key, row hash)` pairs: posting lists between threads ≈ 0.15 s of the main
 * thread, appending them one value at a time to DuckDB ≈ 0.8 s; packed, ≈ 0.05 s for both.
 */

/** What joins a packed column's values; no value of a packed column contains it. */
export const UNIT_SEPARATOR = '\u001f';

export interface PackedColumns {
  /** How many rows: each column holds this many values. */
  readonly rows: number;
  /** Per column, its values joined by UNIT_SEPARATOR ('' when there are no rows). */
  readonly packed: readonly string[];
}

/** A page of text columns: lists of values, or packed. */
export type TextColumns = readonly (readonly string[])[] | PackedColumns;

export function isPacked(page: TextColumns): page is PackedColumns {
  return 'packed' in page;
}

/** How many rows a page holds. */
export function rowsOf(page: TextColumns): number {
  return isPacked(page) ? page.rows : (page[0]?.length ?? 0);
}

/** How many times UNIT_SEPARATOR occurs in `text`. */
function separatorsIn(text: string): number {
  let count = 0;
  for (let at = text.indexOf(UNIT_SEPARATOR); at !== -1; at = text.indexOf(UNIT_SEPARATOR, at + 1)) count++;
  return count;
}

/**
 * Columns of `rows` values each that were joined elsewhere (a store's SQL), packed — or null when a
 * value contains the separator: then a column holds more than `rows - 1` of them, and only lists
 * can carry its values.
 */
export function packedIfExact(rows: number, joined: readonly string[]): PackedColumns | null {
  for (const column of joined) {
    if (rows === 0 ? column !== '' : separatorsIn(column) !== rows - 1) return null;
  }
  return { rows, packed: joined };
}

/** Lists of values packed, or null when a value contains the separator. */
export function packColumns(columns: readonly (readonly string[])[]): PackedColumns | null {
  const rows = columns[0]?.length ?? 0;
  return packedIfExact(
    rows,
    columns.map((values) => values.join(UNIT_SEPARATOR)),
  );
}

/** A page's columns as lists of values. */
export function columnValues(page: TextColumns): readonly (readonly string[])[] {
  if (!isPacked(page)) return page;
  return page.packed.map((column) => (page.rows === 0 ? [] : column.split(UNIT_SEPARATOR)));
}
