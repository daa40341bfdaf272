import type { ChangeReason } from '../core/run.js';
import type { ObjectDescriptor } from '../destinations/destination.js';
import type { KeyState } from '../state/state-store.js';
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
    };

export interface DiffContext {
  workspaceId: string;
  sync: string;
  behaviour: ObjectDescriptor['behaviour'];
  /** --full-resync: every upsert row is a new change with a fresh messageId. */
  fullResync: boolean;
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
    if (pending && (!pending.abandoned || pending.hash !== row.hash)) {
      return {
        kind: 'planned',
        reason: 'new',
        messageId: pending.messageId,
        generation: pending.generation,
        retry: true,
      };
    }
    if (pending?.abandoned) return { kind: 'unchanged' };
    return plan('new', 1, context, row.key);
  }

  if (context.fullResync) return plan(reason, (state?.generation ?? 0) + 1, context, row.key);

  if (pending && pending.hash === row.hash) {
    if (pending.abandoned) return { kind: 'unchanged' };
    return {
      kind: 'planned',
      reason,
      messageId: pending.messageId,
      generation: pending.generation,
      retry: true,
    };
  }
  if (!pending && state?.deliveredHash === row.hash) return { kind: 'unchanged' };
  return plan(reason, (state?.generation ?? 0) + 1, context, row.key);
}

function plan(reason: ChangeReason, generation: number, context: DiffContext, key: string): Decision {
  return {
    kind: 'planned',
    reason,
    generation,
    messageId: deriveMessageId(context.workspaceId, context.sync, key, generation),
    retry: false,
  };
}
