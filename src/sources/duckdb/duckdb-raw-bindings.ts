/**
 * Finds `@duckdb/node-bindings`, the C API wrapper under `@duckdb/node-api`, so that column readers
 * (duckdb-column-readers.ts) can copy a whole vector out of a chunk in one call. `DuckDBVector#getItem`
 * costs one or two native calls and an allocation per value; a 1M-row read spent ~1.4 s there.
 */
import { createRequire } from 'node:module';
import { endianness } from 'node:os';
import type { DuckDBRawBindings } from './duckdb-client.js';

let cached: DuckDBRawBindings | null | undefined;

/**
 * The bindings `@duckdb/node-api` itself loads (resolved from its own folder, so the very module and
 * version it was built against), or undefined when they cannot be found or do not look as expected:
 * rows are then read value by value through the driver's public API, which gives the same values.
 */
export function loadRawBindings(): DuckDBRawBindings | undefined {
  if (cached === undefined) cached = load();
  return cached ?? undefined;
}

function load(): DuckDBRawBindings | null {
  // The readers take 64-bit integers as two 32-bit words, low word first; DuckDB writes native order.
  if (endianness() !== 'LE') return null;
  try {
    const api = createRequire(import.meta.url).resolve('@duckdb/node-api');
    const bindings = createRequire(api)('@duckdb/node-bindings') as Partial<DuckDBRawBindings>;
    const complete =
      typeof bindings.data_chunk_get_vector === 'function' &&
      typeof bindings.vector_get_data === 'function' &&
      typeof bindings.vector_get_validity === 'function' &&
      typeof bindings.get_data_from_pointer === 'function' &&
      typeof bindings.sizeof_bool === 'number';
    return complete ? (bindings as DuckDBRawBindings) : null;
  } catch {
    return null;
  }
}
