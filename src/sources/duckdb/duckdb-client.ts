/**
 * The subset of `@duckdb/node-api` that the DuckDB source uses, written out structurally (kysely's
 * `PostgresPool` habit): nothing here imports the driver, which `sources/registry.ts` loads lazily
 * and passes in. The real module satisfies these interfaces; the registry's call proves it at
 * compile time. The one exception is `DuckDBRawBindings`, the driver's own native layer, which
 * duckdb-raw-bindings.ts looks up next to the driver (and does without when it is not there).
 */

/** A DuckDB logical type (`DuckDBType`): the id, and the parts nested and parameterised types carry. */
export interface DuckDBTypeLike {
  /** `DuckDBTypeId` (the C API's `duckdb_type`); see `DuckDBTypeIds` in duckdb-values.ts. */
  readonly typeId: number;
  /** "JSON" for DuckDB's JSON type, which is a VARCHAR with this alias. */
  readonly alias?: string;
  /** DECIMAL: digits after the point. */
  readonly scale?: number;
  /** DECIMAL: total digits, which decide how DuckDB stores it (16, 32, 64 or 128 bits). */
  readonly width?: number;
  /** LIST, ARRAY, MAP: the element (or value) type. */
  readonly valueType?: DuckDBTypeLike;
  /** MAP: the key type. */
  readonly keyType?: DuckDBTypeLike;
  /** STRUCT: field names and types, in order. */
  readonly entryNames?: readonly string[];
  readonly entryTypes?: readonly DuckDBTypeLike[];
  /** UNION: member tags and types, in order. */
  readonly memberTags?: readonly string[];
  readonly memberTypes?: readonly DuckDBTypeLike[];
  /** "DECIMAL(10,2)", "STRUCT(a INTEGER)": used in error messages. */
  toString(): string;
}

/** One column of a data chunk. `getItem` gives DuckDB's JS value: null, a primitive, or a value object. */
export interface DuckDBVectorLike {
  getItem(itemIndex: number): unknown;
}

/** A data chunk: up to 2,048 rows (DuckDB's vector size), column by column. */
export interface DuckDBDataChunkLike {
  readonly rowCount: number;
  getColumnVector(columnIndex: number): DuckDBVectorLike;
  /** The C API's `duckdb_data_chunk` handle (`DuckDBDataChunk#chunk`), for `DuckDBRawBindings`. */
  readonly chunk?: unknown;
}

/**
 * The subset of `@duckdb/node-bindings` (the C API as the driver wraps it) that reads a chunk's
 * vectors as bytes: one call per column per chunk instead of one per value. See duckdb-raw-bindings.ts.
 */
export interface DuckDBRawBindings {
  /** `duckdb_data_chunk_get_vector`. */
  data_chunk_get_vector(chunk: unknown, columnIndex: number): unknown;
  /** A copy of the vector's first `byteCount` data bytes (`duckdb_vector_get_data`). */
  vector_get_data(vector: unknown, byteCount: number): Uint8Array;
  /** A copy of the validity mask (one bit per row, 64-bit words), or null when every row is valid. */
  vector_get_validity(vector: unknown, byteCount: number): Uint8Array | null | undefined;
  /** A copy of `byteCount` bytes at the pointer stored at `pointerOffset` in `arrayBuffer`. */
  get_data_from_pointer(arrayBuffer: ArrayBufferLike, pointerOffset: number, byteCount: number): Uint8Array;
  /** sizeof(bool) in the C API: how many bytes a BOOLEAN takes in a vector. */
  readonly sizeof_bool: number;
}

/** A (streaming) query result. `fetchChunk` yields an empty chunk, or null, at the end. */
export interface DuckDBResultLike {
  columnNames(): string[];
  columnTypes(): DuckDBTypeLike[];
  fetchChunk(): Promise<DuckDBDataChunkLike | null>;
}

/** Appends rows to a table, bypassing SQL: DuckDB's fast path for bulk loads. */
export interface DuckDBAppenderLike {
  appendVarchar(value: string): void;
  endRow(): void;
  /** Writes what was appended into the table; closing does that too. */
  flushSync(): void;
  closeSync(): void;
}

export interface DuckDBConnectionLike {
  /** An appender into `catalog.schema.table` ("temp" as the catalog for a temporary table). */
  createAppender(table: string, schema?: string | null, catalog?: string | null): Promise<DuckDBAppenderLike>;
  /** Starts a query whose rows are computed as chunks are fetched, never all at once. */
  stream(sql: string, values?: string[]): Promise<DuckDBResultLike>;
  /**
   * Runs a statement to completion; `values` bind its `?` parameters (the writeback's inserts, a
   * temporary table's packed pages).
   */
  run(sql: string, values?: (string | null | DuckDBBlobValueLike)[]): Promise<unknown>;
  /** Cancels the query running on this connection; it then fails with "INTERRUPT Error". */
  interrupt(): void;
  closeSync(): void;
}

export interface DuckDBInstanceLike {
  connect(): Promise<DuckDBConnectionLike>;
  closeSync(): void;
}

/** A BLOB parameter (`blobValue`): the bytes, bound as they are. */
export interface DuckDBBlobValueLike {
  readonly bytes: Uint8Array;
}

/** The driver module itself: `await import('@duckdb/node-api')`. */
export interface DuckDBDriver {
  blobValue(bytes: Uint8Array): DuckDBBlobValueLike;
  DuckDBInstance: {
    /** `options` are DuckDB configuration settings, e.g. `{ memory_limit: '1GB' }`. */
    create(path?: string, options?: Record<string, string>): Promise<DuckDBInstanceLike>;
  };
}
