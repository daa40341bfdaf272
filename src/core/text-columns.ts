/**
 * Text columns a page of rows at a time, in the shape bulk paths move them: a warehouse diff's
 * delivered fingerprints go from the state store (on its thread) into a temporary table of the
 * warehouse (sync/warehouse-diff.ts). A page is either lists of values, `page[c][r]` for column c of
 * row r, or packed: each column's values joined by U+001F (the ASCII unit separator), which none of
 * them contains, as a string or as its UTF-8 bytes. Packed, a column crosses a thread as one copy
 * (a list is a string per value to serialise and rebuild) and binds as one query parameter that
 * the engine splits itself; as bytes it never becomes a JS string at all, which for a page of
 * 20,000 fingerprints (≈ 0.8 MB) costs ≈ 3 ms each time V8 builds one from UTF-8 or from a message.
 */

/** What joins a packed column's values; no value of a packed column contains it. */
export const UNIT_SEPARATOR = '\u001f';

/** What UNIT_SEPARATOR is in UTF-8: one byte, which no other character's encoding contains. */
const SEPARATOR_BYTE = 0x1f;

export interface PackedColumns {
  /** How many rows: each column holds this many values. */
  readonly rows: number;
  /** Per column, its values joined by UNIT_SEPARATOR ('' when there are no rows), or that text's UTF-8. */
  readonly packed: readonly (string | Uint8Array)[];
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

/** How many times UNIT_SEPARATOR occurs in `column`. */
function separatorsIn(column: string | Uint8Array): number {
  let count = 0;
  if (typeof column !== 'string') {
    for (let i = 0; i < column.length; i++) if (column[i] === SEPARATOR_BYTE) count++;
    return count;
  }
  for (let at = column.indexOf(UNIT_SEPARATOR); at !== -1; at = column.indexOf(UNIT_SEPARATOR, at + 1))
    count++;
  return count;
}

/**
 * Columns of `rows` values each that were joined elsewhere (a store's SQL), packed — or null when a
 * value contains the separator: then a column holds more than `rows - 1` of them, and only lists
 * can carry its values.
 */
export function packedIfExact(rows: number, joined: readonly (string | Uint8Array)[]): PackedColumns | null {
  for (const column of joined) {
    if (rows === 0 ? column.length !== 0 : separatorsIn(column) !== rows - 1) return null;
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

/** Keeps a leading U+FEFF, which is part of a value, not a byte order mark. */
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** A page's columns as lists of values. */
export function columnValues(page: TextColumns): readonly (readonly string[])[] {
  if (!isPacked(page)) return page;
  return page.packed.map((column) => {
    if (page.rows === 0) return [];
    const text = typeof column === 'string' ? column : utf8.decode(column);
    return text.split(UNIT_SEPARATOR);
  });
}
