import type { ChangeReason } from '../core/run.js';
import type { ObjectDescriptor } from '../destinations/destination.js';
import type { KeyState, PendingChange } from '../state/state-store.js';
import type { MappedRow } from './map.js';
import { deriveMessageId } from './message-id.js';

/** What the diff decided for one mapped row. */
export type Decision =
  | { kind: 'unchanged' }
  | {
      kind: 'planned';
      reason: ChangeReason;
      messageId: string;
      generation: number;
      /** True when this resends a pending change under its existing messageId. */
      retry: boolean;
      /**
       * Whether the change must be saved as pending before it is sent. A user or group key that
       * has no state at all needs not: its id carries its payload hash (message-id.ts), so a lost
       * answer followed by a changed row cannot make the new payload look like a copy. Everything
       * else must: a changed key's pending change is what tells a later run that Segment may hold
       * it (see decide), and an event's is what keeps its one id.
       */
      durable: boolean;
      /** Failed attempts so far, and since when, for the retry policy (0 / null for a fresh change). */
      attempts: number;
      firstFailedAt: string | null;
    };

export interface DiffContext {
  workspaceId: string;
  sync: string;
  behaviour: ObjectDescriptor['behaviour'];
  /** --full-resync: every upsert row is a new change with a fresh messageId. */
  fullResync: boolean;
  /** --retry-abandoned: changes given up on by the retry policy are tried again. */
  retryAbandoned: boolean;
}

/**
 * SPEC §3 "Only what changed" and "Nothing sent twice as different messages":
 * - a pending change whose payload is still the same is retried under its own messageId;
 * - upserts: a payload equal to the last delivered one is unchanged — unless a different change is
 *   pending, which may already have reached Segment (an answer lost in flight), so the current
 *   payload is sent again as a new change rather than assumed to be there;
 * - send-once (events): a key delivered once is never sent again, whatever its payload now; a pending
 *   event keeps its one messageId even if its row was edited before delivery.
 */
export function decide(row: MappedRow, state: KeyState | undefined, context: DiffContext): Decision {
  const reason: ChangeReason = state?.deliveredHash ? 'changed' : 'new';
  const pending = state?.pending ?? null;

  if (context.behaviour === 'send-once') {
    if (state?.deliveredHash) return { kind: 'unchanged' };
    if (pending) {
      // One event, one messageId, ever: an abandoned event is tried again when its row changes.
      if (pending.abandoned && pending.hash === row.hash && !context.retryAbandoned)
        return { kind: 'unchanged' };
      return retry('new', pending, pending.abandoned);
    }
    return plan('new', 1, context, row.key, null, true);
  }

  const hash = row.hash;
  const durable = state !== undefined;
  if (context.fullResync) return plan(reason, (state?.generation ?? 0) + 1, context, row.key, hash, durable);

  if (pending && pending.hash === row.hash) {
    if (pending.abandoned && !context.retryAbandoned) return { kind: 'unchanged' };
    return retry(reason, pending, pending.abandoned);
  }
  if (!pending && state?.deliveredHash === row.hash) return { kind: 'unchanged' };
  return plan(reason, (state?.generation ?? 0) + 1, context, row.key, hash, durable);
}

/** A new change; `payloadHash` goes into the id for user and group syncs (null for events). */
function plan(
  reason: ChangeReason,
  generation: number,
  context: DiffContext,
  key: string,
  payloadHash: string | null,
  durable: boolean,
): Decision {
  return {
    kind: 'planned',
    reason,
    generation,
    messageId: deriveMessageId(context.workspaceId, context.sync, key, generation, payloadHash ?? undefined),
    retry: false,
    durable,
    attempts: 0,
    firstFailedAt: null,
  };
}

/** The pending change again, same messageId; a revived abandoned change starts its count afresh. */
function retry(reason: ChangeReason, pending: PendingChange, revived: boolean): Decision {
  return {
    kind: 'planned',
    reason,
    generation: pending.generation,
    messageId: pending.messageId,
    retry: true,
    durable: true,
    attempts: revived ? 0 : pending.attempts,
    firstFailedAt: revived ? null : pending.firstFailedAt,
  };
}
