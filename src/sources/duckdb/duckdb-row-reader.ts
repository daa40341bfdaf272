/**
 * Data chunks → rows. Each column is read whole into a scratch array — by a column reader on the
 * vector's bytes (duckdb-column-readers.ts) for the common scalar types, else value by value through
 * `DuckDBVector#getItem` and the type's converter (duckdb-values.ts) — then copied into the rows.
 */
import type { Row, Value } from '../../core/values.js';
import type { DuckDBDataChunkLike, DuckDBRawBindings, DuckDBTypeLike } from './duckdb-client.js';
import { type ColumnReader, columnReaderFor } from './duckdb-column-readers.js';
import { keepDriverByteOrderMarks } from './duckdb-driver-strings.js';
import { converterFor, identity, type ValueConverter } from './duckdb-values.js';

interface Column {
  readonly name: string;
  readonly convert: ValueConverter;
  /** Undefined when the type has no column reader, or the raw bindings are not available. */
  readonly reader: ColumnReader | undefined;
}

/** Turns the data chunks of one result into rows, with the readers chosen once from the column types. */
export class RowReader {
  readonly #columns: readonly Column[];
  readonly #bindings: DuckDBRawBindings | undefined;
  /** Every column set to null, in result order: each row starts as a copy of it. */
  readonly #template: Row;
  /** One column's values for the chunk being read, reused from column to column. */
  readonly #values: Value[] = [];

  /**
   * Without `bindings` (duckdb-raw-bindings.ts) every value goes through `getItem`. Throws
   * `TypeError` naming the column whose type cannot be read.
   */
  constructor(names: readonly string[], types: readonly DuckDBTypeLike[], bindings?: DuckDBRawBindings) {
    this.#bindings = bindings;
    // Strings that `getItem` decodes (nested ones) keep a leading U+FEFF, as the column readers do.
    keepDriverByteOrderMarks();
    this.#columns = types.map((type, i) => {
      const name = names[i] as string;
      let convert: ValueConverter;
      try {
        convert = converterFor(type);
      } catch (error) {
        throw new TypeError(`column "${name}" has type ${type.toString()}, which Sluice cannot read`, {
          cause: error,
        });
      }
      return { name, convert, reader: bindings === undefined ? undefined : columnReaderFor(type, bindings) };
    });
    // Built by JSON.parse, which makes objects V8 keeps in fast mode whatever their width: a template
    // built by assignments turns into a hash table past ~16 fields, and spreading one of those was
    // 5–18× slower at 30 columns (scratch measurement). JSON.parse also defines "__proto__" as an own
    // field, like every other name.
    this.#template = JSON.parse(`{${this.#columns.map((c) => `${JSON.stringify(c.name)}:null`).join(',')}}`);
  }

  /** The rows of one chunk, each a fresh object with the columns in result order. */
  read(chunk: DuckDBDataChunkLike): Row[] {
    const count = chunk.rowCount;
    const rows: Row[] = new Array(count);
    // Copies of one template all get its hidden class at once, and filling them in below only
    // replaces values: no row changes shape, and a column named "__proto__" is already an own field.
    const template = this.#template;
    for (let r = 0; r < count; r++) rows[r] = { ...template };
    const values = this.#values;
    const handle = this.#bindings === undefined ? undefined : chunk.chunk;
    for (let c = 0; c < this.#columns.length; c++) {
      const column = this.#columns[c] as Column;
      if (column.reader !== undefined && handle !== undefined) {
        this.#readVector(handle, c, column.reader, count, values);
      } else {
        readItems(chunk, c, column.convert, count, values);
      }
      const name = column.name;
      for (let r = 0; r < count; r++) (rows[r] as Row)[name] = values[r] as Value;
    }
    return rows;
  }

  #readVector(handle: unknown, c: number, reader: ColumnReader, count: number, out: Value[]): void {
    const bindings = this.#bindings as DuckDBRawBindings;
    const vector = bindings.data_chunk_get_vector(handle, c);
    let data = bindings.vector_get_data(vector, count * reader.width);
    // Typed-array views need alignment; the bindings hand out fresh copies, which have it.
    if (data.byteOffset % 8 !== 0) data = new Uint8Array(data);
    const validity = bindings.vector_get_validity(vector, Math.ceil(count / 64) * 8) ?? null;
    reader.read(data, validity, count, out);
  }
}

function readItems(
  chunk: DuckDBDataChunkLike,
  c: number,
  convert: ValueConverter,
  count: number,
  out: Value[],
): void {
  const vector = chunk.getColumnVector(c);
  if (convert === identity) {
    for (let r = 0; r < count; r++) out[r] = vector.getItem(r) as Value;
  } else {
    for (let r = 0; r < count; r++) {
      const v = vector.getItem(r);
      out[r] = v === null ? null : convert(v);
    }
  }
}
