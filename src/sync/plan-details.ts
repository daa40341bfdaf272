import type { ChangeReason } from '../core/run.js';
import type { SyncConfig } from '../core/workspace.js';
import type { EncodedMessage, ObjectDescriptor } from '../destinations/destination.js';
import { changedFields, type MappingSpec } from '../mapping/compile-mapping.js';
import type { MappedRow } from './map.js';
import type { DryRunSample } from './run-result.js';

/** Fields whose values Segment wants as strings (SPEC §2: ids are sent as strings). */
const ID_FIELDS = ['userId', 'anonymousId', 'groupId'] as const;
/** Fields that must be objects when mapped whole (segment-contract §3.2: *_not_object discards). */
const OBJECT_FIELDS = ['traits', 'properties', 'context', 'integrations'] as const;

/** The mapping compiler's view of a sync. */
export function mappingSpecFor(sync: SyncConfig, descriptor: ObjectDescriptor): MappingSpec {
  const field = sync.key.field ?? descriptor.defaultKeyField;
  return {
    key: field === undefined ? { column: sync.key.column } : { column: sync.key.column, field },
    mappings: sync.mappings,
    bundle: sync.bundle,
    nulls: sync.nulls,
    idFields: ID_FIELDS,
    objectFields: OBJECT_FIELDS.filter((f) => descriptor.fields.includes(f)),
  };
}

/** A dry-run sample: the message exactly as it would be sent, and which fields differ. */
export function explainSample(
  row: MappedRow,
  reason: ChangeReason,
  message: EncodedMessage,
  /** The prepared JSON last delivered for the key, if any. */
  deliveredPayload: string | undefined,
): DryRunSample {
  const previous = deliveredPayload ? JSON.parse(deliveredPayload) : undefined;
  const next = JSON.parse(row.prepared.json);
  return {
    key: row.key,
    reason,
    changed_fields: previous === undefined ? [] : changedFields(previous, next),
    message: JSON.parse(message.json),
  };
}
