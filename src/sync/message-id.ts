import { hash } from 'node:crypto';

/**
 * The deterministic messageId of one change: the same workspace, sync, key, delivery generation (and
 * payload hash, when given) always give the same id, so a retry (same run, a later run, after a
 * crash) is dropped by Segment's dedup (segment-contract §4: dedup is by messageId only, and global
 * across sources — hence the workspace id in the input). A later real change gets the next
 * generation and so a new id, even when its payload equals an earlier one (A → B → A delivers all
 * three).
 *
 * User and group syncs pass the payload hash: then a key's first message needs no durable plan
 * before it is sent (sync/diff.ts), because the id itself says which payload it carries — if that
 * first send's answer is lost and the row changes before the next run, the new payload gets a new
 * id instead of being dropped as a copy of the old one. Event syncs do not: an event keeps its one
 * id whatever happens to its row, and is planned durably instead.
 *
 * Form: "sl-" + 43 base64url characters of SHA-256 = 46 characters, under Segment's 100 (D-DUP).
 */
export function deriveMessageId(
  workspaceId: string,
  sync: string,
  key: string,
  generation: number,
  payloadHash?: string,
): string {
  // One-shot crypto.hash (Node ≥ 20.12, the engines floor): the same digest of the same UTF-8
  // bytes as createHash().update().digest(), without a Hash object per message (≈ 0.45 µs of
  // ≈ 0.8 µs a message; message-id.test.ts pins the ids).
  const input = `${workspaceId}\u0000${sync}\u0000${key}\u0000${generation}`;
  return `sl-${hash('sha256', payloadHash === undefined ? input : `${input}\u0000${payloadHash}`, 'base64url')}`;
}

/**
 * The first input of a sync's messageIds (SPEC §3 "State must persist").
 *
 * Events use the `workspace_id` of sluice.yaml when it has one: an event is sent once per key,
 * ever, so after a lost state (a fresh CI checkout without `.sluice/`) every event is sent again —
 * under the same id, and Segment drops the copy (segment-contract §4: dedup by messageId, at least
 * 24 h). Without one, the state store's id, as before (an existing workspace keeps its ids).
 *
 * Users and groups always use the state store's id, which is random per store: it is their epoch.
 * Their ids include a generation that restarts at 1 with a new state, so after a lost state the same
 * key and payload would otherwise get an id Segment saw before, and a value that changed back
 * (A → B, state lost, A again) would be dropped as a copy and leave B in Segment. Under a new epoch
 * they go out as new updates, which identify and group are. Existing stores keep their ids: the
 * epoch is the id they already had, so no change planned or in flight is resent under another id.
 */
export function messageIdNamespace(
  behaviour: 'upsert' | 'send-once',
  storeId: string,
  configuredId: string | undefined,
): string {
  return behaviour === 'send-once' ? (configuredId ?? storeId) : storeId;
}

/** The fixed length of every id deriveMessageId makes (used for size budgeting). */
export const MESSAGE_ID_LENGTH = 46;
