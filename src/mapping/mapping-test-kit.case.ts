// Shared by the mapping tests: compile a mapping from short `[path, source, extra]` entries, and read
// a payload that must have mapped. Kept out of the build (*.case.ts).
import type { Row } from '../core/values.js';
import type { Mapping, MappingSource } from '../core/workspace.js';
import { type CompiledMapping, compileMapping, type MappingSpec } from './compile-mapping.js';

/** `[path, source, extra]`; a bare string source is a column; lines count from 10. */
export type Entry = [string, string | MappingSource, Partial<Mapping>?];

/** A user mapping keyed by `id` → userId, with Segment's id and object fields. */
export function compile(entries: Entry[], extra: Partial<MappingSpec> = {}): CompiledMapping {
  const mappings = entries.map(([path, source, more], i) => ({
    path,
    source: typeof source === 'string' ? { kind: 'column' as const, column: source } : source,
    line: 10 + i,
    ...more,
  }));
  return compileMapping({
    key: { column: 'id', field: 'userId' },
    mappings,
    nulls: 'send',
    idFields: ['userId', 'anonymousId', 'groupId'],
    objectFields: ['traits', 'properties', 'context', 'integrations'],
    ...extra,
  });
}

/** The payload of a row that must map; a failure throws with its reason. */
export function payload(mapping: CompiledMapping, row: Row): Record<string, unknown> {
  const result = mapping.map(row);
  if (!result.ok) throw new Error(`expected ok, got ${result.reason}: ${result.message}`);
  return result.payload;
}
