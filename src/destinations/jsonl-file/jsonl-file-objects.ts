import type { ObjectKind } from '../../core/workspace.js';
import type { ObjectDescriptor } from '../destination.js';

/**
 * A line as written back to what `prepare` made of it: without the `messageId` and `plannedAt`
 * that `encode` appends (jsonl-file-destination.ts).
 */
function comparableLine(sent: unknown): unknown {
  if (typeof sent !== 'object' || sent === null || Array.isArray(sent)) return sent;
  const { messageId: _id, plannedAt: _at, ...prepared } = sent as Record<string, unknown>;
  return prepared;
}

const KEYED = Object.freeze({
  keyFields: Object.freeze(['id']),
  defaultKeyField: 'id',
  fields: Object.freeze(['id', 'data']),
  behaviour: 'upsert',
  idFields: Object.freeze(['id']),
  objectFields: Object.freeze(['data']),
  comparable: comparableLine,
} as const);

/**
 * Every object is a line `{"object":…,"id":…,"data":{…}}`: `id` is the key (a string), `data`
 * what the mappings fill. Users and groups are upserts; events are sent once, keyed by identity.
 */
export const jsonlFileObjects: Readonly<Record<ObjectKind, ObjectDescriptor>> = Object.freeze({
  user: KEYED,
  group: KEYED,
  event: Object.freeze({
    keyFields: Object.freeze([]),
    fields: Object.freeze(['id', 'data']),
    behaviour: 'send-once',
    idFields: Object.freeze(['id']),
    objectFields: Object.freeze(['data']),
    comparable: comparableLine,
  }),
});
