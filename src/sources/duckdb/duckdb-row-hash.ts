import type { SourceColumn } from '../source.js';

/**
 * Types whose DuckDB equality (and so `hash`) is looser than the text Sluice sends: `INTERVAL '1
 * month'` and `INTERVAL '30 days'` hash alike (DuckDB compares intervals normalised) but become
 * `P1M` and `P30D`; a `TIME WITH TIME ZONE` is compared at UTC, its offset lost; a `UNION`'s tag is
 * not known to enter the hash. A model with one of these, anywhere in a nested type, gets the
 * exact hash.
 */
const LOOSE_TYPES = /INTERVAL|TIME WITH TIME ZONE|TIMETZ|UNION/iu;

/**
 * DuckDB's row hash (SourceCapabilities.rowHashSql). `*COLUMNS(m.*)` unpacks the alias's columns
 * into a struct named as in the model (the bare alias `m` would name a model column called m).
 *
 * - **Fast** (the model's columns are known and none is of a {@link LOOSE_TYPES} type): DuckDB's
 *   64-bit `hash` of the struct's values, combined with its type's text (`STRUCT(id BIGINT, email
 *   VARCHAR, …)`), so a renamed, reordered or retyped column changes it as a changed value does.
 *   ≈ 0.1–0.2 s of DuckDB's threads per 1M rows of the bench's users, against ≈ 2 s for the exact
 *   one (half of it writing the JSON, half md5). It is the same in every process (no seed); a
 *   change between DuckDB versions costs one run a remapping, never a message. Two different rows
 *   of one key hash alike with a chance of 2⁻⁶⁴.
 * - **Exact** (otherwise): md5 of the struct's JSON, which quotes strings and writes null, so no
 *   two different rows print alike.
 */
export function duckdbRowHashSql(alias: string, columns?: readonly SourceColumn[]): string {
  const row = `struct_pack(*COLUMNS(${alias}.*))`;
  const fast = columns?.every((c) => c.type !== undefined && !LOOSE_TYPES.test(c.type)) === true;
  return fast ? `hash(${row}, typeof(${row}))::varchar` : `md5(to_json(${row})::varchar)`;
}
