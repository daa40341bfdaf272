import { isPlainObject } from '../core/values.js';
import { DedupWindow } from './dedup-window.js';
import { type IngestRequest, LIMITS } from './parse-ingest-request.js';
import type { Discard, ReceivedMessage, ReceiverStats } from './receiver-types.js';
import { stampMessage } from './stamp-message.js';
import { type DiscardReason, discardReason } from './validate-message.js';

function emptyStats(): ReceiverStats {
  return {
    requests: 0,
    batches: 0,
    accepted: 0,
    duplicates: 0,
    discarded: 0,
    discardsByReason: {},
    rejectedRequests: 0,
    faults: { failed: 0, rateLimited: 0, dropped: 0 },
  };
}

/** The `ReceiverOptions` that shape what the state keeps and accepts, with defaults applied. */
export interface ReceiverStateOptions {
  writeKeys: readonly string[] | undefined;
  keepMessages: boolean;
  dedupWindowMs: number;
}

/**
 * Everything the receiver remembers: counters, accepted messages, discards, and the dedup window.
 * `ingest` applies the per-message half of Segment's rules to a request that passed the
 * whole-request checks (segment-contract.md §1 "partial batch failure", ">2500 events", §4).
 */
export class ReceiverState {
  readonly #writeKeys: ReadonlySet<string> | undefined;
  readonly #keepMessages: boolean;
  readonly #dedup: DedupWindow;
  #stats = emptyStats();
  #messages: ReceivedMessage[] = [];
  #byId = new Map<string, ReceivedMessage>();
  #discards: Discard[] = [];

  constructor(options: ReceiverStateOptions) {
    this.#writeKeys = options.writeKeys === undefined ? undefined : new Set(options.writeKeys);
    this.#keepMessages = options.keepMessages;
    this.#dedup = new DedupWindow(options.dedupWindowMs);
  }

  /** The live counters; callers bump `requests`, `rejectedRequests` and `faults` directly. */
  get counters(): ReceiverStats {
    return this.#stats;
  }

  /** A deep copy of the counters, safe to hand out. */
  snapshot(): ReceiverStats {
    const s = this.#stats;
    return { ...s, discardsByReason: { ...s.discardsByReason }, faults: { ...s.faults } };
  }

  messages(): ReceivedMessage[] {
    return [...this.#messages];
  }

  /** The newest `limit` accepted messages, oldest first. */
  recent(limit: number): ReceivedMessage[] {
    return this.#messages.slice(Math.max(0, this.#messages.length - limit));
  }

  discards(): Discard[] {
    return [...this.#discards];
  }

  byMessageId(id: string): ReceivedMessage | undefined {
    return this.#byId.get(id);
  }

  get keepsMessages(): boolean {
    return this.#keepMessages;
  }

  reset(): void {
    this.#stats = emptyStats();
    this.#messages = [];
    this.#byId = new Map();
    this.#discards = [];
    this.#dedup.clear();
  }

  /**
   * Judges and stores the messages of one request received at `nowMs`; returns the accepted ones
   * (stamped) so the caller can append them to the out file.
   */
  ingest(request: IngestRequest, isBatch: boolean, nowMs: number): ReceivedMessage[] {
    if (isBatch) this.#stats.batches++;
    const { messages } = request;
    // §1 "401/403": Segment's edge does not check keys; unknown keys get 200 and the events vanish.
    if (this.#writeKeys !== undefined && !this.#writeKeys.has(request.writeKey)) {
      for (const message of messages) this.#discard('unknown_write_key', message);
      return [];
    }
    // §1 ">2500 events": "returns 200 but rejects the events", all of them.
    if (messages.length > LIMITS.maxBatchMessages) {
      for (const message of messages) this.#discard('too_many_events', message);
      return [];
    }
    // D-DISCARD `empty_batch`: counted once for the request, as Delivery Overview does.
    if (messages.length === 0) {
      this.#discard('empty_batch', messages);
      return [];
    }

    this.#dedup.prune(nowMs);
    const receivedAtIso = new Date(nowMs).toISOString();
    const accepted: ReceivedMessage[] = [];
    for (const message of messages) {
      const reason = discardReason(message) ?? request.envelopeDiscard;
      if (reason !== undefined) {
        this.#discard(reason, message);
        continue;
      }
      const sent = message as Record<string, unknown>;
      // The window holds only ids of accepted messages; an id the receiver assigns is always new.
      if (typeof sent.messageId === 'string' && !this.#dedup.admit(sent.messageId, nowMs)) {
        this.#stats.duplicates++;
        continue;
      }
      const stored = stampMessage(sent, request.envelope, nowMs, receivedAtIso);
      accepted.push(stored);
      if (this.#keepMessages) {
        this.#messages.push(stored);
        this.#byId.set(stored.messageId as string, stored);
      }
    }
    this.#stats.accepted += accepted.length;
    return accepted;
  }

  #discard(reason: DiscardReason, message: unknown): void {
    this.#stats.discarded++;
    this.#stats.discardsByReason[reason] = (this.#stats.discardsByReason[reason] ?? 0) + 1;
    if (!this.#keepMessages) return;
    const id = isPlainObject(message) ? message.messageId : undefined;
    this.#discards.push(typeof id === 'string' ? { reason, messageId: id, message } : { reason, message });
  }
}
