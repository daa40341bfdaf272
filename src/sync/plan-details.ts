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
  /** The message last delivered for the key, as sent, if any. */
  deliveredPayload: string | undefined,
): DryRunSample {
  const next = JSON.parse(row.prepared.json) as Record<string, unknown>;
  const previous = deliveredPayload ? asPrepared(JSON.parse(deliveredPayload), next) : undefined;
  return {
    key: row.key,
    reason,
    changed_fields: previous === undefined ? [] : changedFields(previous, next),
    message: JSON.parse(message.json),
  };
}

/**
 * A sent message back to what the diff compares: without what sending adds to every message (its
 * messageId, Sluice's `context.library`, and the planning time stamped as `timestamp` when none is
 * mapped). Keys delivered before state migration 3 kept that form already; stripping changes nothing there.
 */
function asPrepared(sent: unknown, next: Record<string, unknown>): unknown {
  if (typeof sent !== 'object' || sent === null || Array.isArray(sent)) return sent;
  const { messageId: _id, timestamp, context, ...rest } = sent as Record<string, unknown>;
  const prepared: Record<string, unknown> = rest;
  if ('timestamp' in next && timestamp !== undefined) prepared.timestamp = timestamp;
  if (typeof context === 'object' && context !== null && !Array.isArray(context)) {
    const { library: _library, ...userContext } = context as Record<string, unknown>;
    prepared.context = userContext;
  } else if (context !== undefined) {
    prepared.context = context;
  }
  return prepared;
}
