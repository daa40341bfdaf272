/**
 * DuckDB's validity mask: one bit per row in 64-bit little-endian words, set when the row has a value
 * (duckdb.h, `duckdb_validity_row_is_valid`). Null as a mask means no row of the vector is null.
 */
export function isNull(validity: Uint8Array | null, row: number): boolean {
  return validity !== null && ((validity[row >>> 3] as number) & (1 << (row & 7))) === 0;
}
