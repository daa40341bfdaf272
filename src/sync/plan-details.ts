import type { ChangeReason } from '../core/run.js';
import type { SyncConfig } from '../core/workspace.js';
import type { EncodedMessage, ObjectDescriptor } from '../destinations/destination.js';
import { changedFields, type MappingSpec } from '../mapping/compile-mapping.js';
import type { MappedRow } from './map.js';
import type { DryRunSample } from './run-result.js';

/** The mapping compiler's view of a sync. */
export function mappingSpecFor(sync: SyncConfig, descriptor: ObjectDescriptor): MappingSpec {
  const field = sync.key.field ?? descriptor.defaultKeyField;
  return {
    key: field === undefined ? { column: sync.key.column } : { column: sync.key.column, field },
    mappings: sync.mappings,
    bundle: sync.bundle,
    nulls: sync.nulls,
    idFields: descriptor.idFields,
    objectFields: descriptor.objectFields,
  };
}

/** A dry-run sample: the message exactly as it would be sent, and which fields differ. */
export function explainSample(
  row: MappedRow,
  reason: ChangeReason,
  message: EncodedMessage,
  /** The message last delivered for the key, as sent, if any. */
  deliveredPayload: string | undefined,
  /** The sync's object: how a sent message compares with a prepared one. */
  descriptor: ObjectDescriptor,
): DryRunSample {
  const next = JSON.parse(row.prepared.json) as Record<string, unknown>;
  const previous = deliveredPayload ? descriptor.comparable(JSON.parse(deliveredPayload), next) : undefined;
  return {
    key: row.key,
    reason,
    changed_fields: previous === undefined ? [] : changedFields(previous, next),
    message: JSON.parse(message.json),
  };
}
