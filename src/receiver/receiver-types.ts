import type { FaultSettings } from './fault-injector.js';

/** How to start the local Segment-compatible receiver (`startReceiver`). */
export interface ReceiverOptions {
  /** TCP port; 0 picks a free one (default 0). */
  port?: number;
  /** Interface to listen on (default '127.0.0.1'). */
  host?: string;
  /**
   * Known write keys. When set, a request with another key is answered 200 and every message is
   * dropped (discard reason `unknown_write_key`), as Segment does (segment-contract.md §1 "401/403").
   * When unset, any non-empty key is accepted.
   */
  writeKeys?: string[];
  /** Append accepted messages as JSONL (one stored message per line, with receivedAt etc.). */
  outFile?: string;
  /** Keep accepted messages and discards in memory for tests (default true; false for benchmarks). */
  keepMessages?: boolean;
  /** Fault injection; see `FaultSettings`. */
  faults?: FaultSettings;
  /** Dedup window in ms (default 24 h, segment-contract.md §4). */
  dedupWindowMs?: number;
}

/**
 * A stored message: the fields sent, with batch context/integrations merged in, plus `messageId`
 * (assigned when absent), `receivedAt`, `originalTimestamp` (the sent timestamp) and the
 * skew-corrected `timestamp`. The write key is never stored.
 */
export interface ReceivedMessage {
  [k: string]: unknown;
}

/** A message dropped one by one, answered 200 like Segment does. `message` is as sent. */
export interface Discard {
  reason: string;
  messageId?: string;
  message: unknown;
}

/** Counters since start or the last `reset()`. */
export interface ReceiverStats {
  /** Ingest requests (POST /v1/…) received, whatever their fate. */
  requests: number;
  /** `/v1/batch` and `/v1/import` requests that were processed (not refused, not faulted away). */
  batches: number;
  /** Messages stored. */
  accepted: number;
  /** Messages dropped because their messageId was already seen within the window. */
  duplicates: number;
  /** Messages discarded (and `empty_batch` requests), total and per reason. */
  discarded: number;
  discardsByReason: Record<string, number>;
  /** Requests answered 400. */
  rejectedRequests: number;
  faults: { failed: number; rateLimited: number; dropped: number };
}

/** A running receiver. */
export interface Receiver {
  /** Base URL without `/v1`, e.g. http://127.0.0.1:54321 (the form SDKs take as `host`, §1). */
  url: string;
  port: number;
  /** Accepted messages (duplicates excluded), in arrival order. Empty when keepMessages is false. */
  messages(): ReceivedMessage[];
  discards(): Discard[];
  stats(): ReceiverStats;
  byMessageId(id: string): ReceivedMessage | undefined;
  /** Changes fault injection at runtime. A `seed` restarts the fault sequence. */
  setFaults(f: ReceiverOptions['faults']): void;
  /** Forgets messages, discards, stats and dedup, and restarts the fault sequence from its seed. */
  reset(): void;
  close(): Promise<void>;
}
