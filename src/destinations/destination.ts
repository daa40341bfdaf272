import type { ObjectKind } from '../core/workspace.js';

/** What a destination object accepts: used by the workspace loader to check keys and mappings. */
export interface ObjectDescriptor {
  /** Allowed `key.field` values; empty when the key is only the row's identity (events). */
  keyFields: readonly string[];
  /** The key field used when `key.field` is omitted (none for events). */
  defaultKeyField?: string;
  /** Top-level message fields a mapping path may start with (e.g. userId, traits, context). */
  fields: readonly string[];
  /** Delivery behaviour: upsert (send new and changed rows) or send-once (each key once, ever). */
  behaviour: 'upsert' | 'send-once';
  /**
   * Paths inside `fields` that the destination sets itself (e.g. Segment's `context.library`): a
   * mapping or bundle that writes one, or anything under it, is a config error naming `why`.
   */
  reservedPaths?: readonly { path: readonly string[]; why: string }[];
  /** Top-level fields whose values are sent as strings (numbers become their text), e.g. ids. */
  idFields: readonly string[];
  /** Top-level fields that must be objects when mapped whole (e.g. Segment's traits). */
  objectFields: readonly string[];
  /**
   * A message as sent (its JSON parsed) back to what `prepare` produced for it, so that a dry run can
   * say which fields changed against `next` (a new prepared message, parsed): the inverse of what
   * `encode` adds (messageId, planned-at stamp, anything the destination sets itself). Not on the
   * per-row path: only dry-run samples call it.
   */
  comparable(sent: unknown, next: Record<string, unknown>): unknown;
}

/**
 * The length of every messageId Sluice hands to `encode`: "sl-" and 43 base64url characters, all
 * plain ASCII (sync/message-id.ts, whose MESSAGE_ID_LENGTH a test holds equal to this). `prepare`
 * sizes each message with an id of exactly this length, so a message is refused as too large only
 * when its real bytes, with its real messageId, are over the limit; `encode` throws when another id
 * would push a prepared message over it.
 */
export const SENT_MESSAGE_ID_LENGTH = 46;

/** A row that must not be sent, with one of SPEC §3's reason codes and a human sentence. */
export interface Invalid {
  ok: false;
  reason: string;
  message: string;
}

/**
 * A validated message without its messageId (and, for users and groups without a mapped timestamp,
 * without the planned-at stamp), serialised once: these exact bytes are hashed for diffing and
 * reused, with the id spliced in, for the request body.
 */
export interface Prepared {
  ok: true;
  json: string;
  /** UTF-8 length of `json`. */
  bytes: number;
  /** Whether `json` carries its own timestamp; if not, `encode` stamps the planned-at time. */
  hasTimestamp: boolean;
}

/** A message ready for the wire. */
export interface EncodedMessage {
  key: string;
  messageId: string;
  json: string;
  bytes: number;
}

export type MessageOutcome = { status: 'succeeded' } | { status: 'failed'; reason: string; error: string };

/** A request that failed in a retryable way and will be tried again after `delayMs`. */
export interface RetryNotice {
  /** What went wrong, safe to show (e.g. "HTTP 503", "no answer within 10000 ms"). */
  error: string;
  delayMs: number;
  /** The attempt that failed, from 1. */
  attempt: number;
}

/**
 * One request/response exchange of an HTTP destination, for an inspector: redacted where it is made
 * (no credentials in any field: the destination removes its secrets before the observer sees it).
 */
export interface Exchange {
  method: string;
  /** Full URL, without credentials. */
  url: string;
  /** Request headers as sent, credentials replaced by "[secret]". */
  requestHeaders: Readonly<Record<string, string>>;
  requestBody: string;
  /** HTTP status, or undefined when no answer came (network error, timeout). */
  status: number | undefined;
  responseHeaders: Readonly<Record<string, string>>;
  responseBody: string;
  /** Why no answer came, when `status` is undefined. */
  error?: string;
  /** From sending the request to the end of the answer (or the failure). */
  latencyMs: number;
  /** The attempt of this request, from 1. */
  attempt: number;
}

export interface SendOptions {
  signal?: AbortSignal;
  /** Told each time a request of this batch waits before a retry, so progress can say why. */
  onRetry?: (notice: RetryNotice) => void;
  /** Told of every exchange this batch makes, retries included (the HTTP inspector's hook). */
  onExchange?: (exchange: Exchange) => void;
}

export interface CheckResult {
  ok: boolean;
  /** Lines for a human: what was tested and what it proves (and does not). */
  notes: string[];
}

export interface DestinationLimits {
  maxMessageBytes: number;
  /** Budget for one request, as counted by `batchBytes`. */
  maxBatchBytes: number;
  maxBatchMessages: number;
  /**
   * The bytes a request carrying `count` messages of `messageBytes` bytes in all counts against
   * `maxBatchBytes` (what the request adds around and between them: Segment's JSON-array commas,
   * a newline per JSON line). A plain function of two numbers, so packing stays allocation-free.
   */
  batchBytes(messageBytes: number, count: number): number;
}

/**
 * A destination connection. `send` delivers one batch within `limits`, retrying what its policy
 * retries, and returns one outcome per message in order (graphile-worker style: outcomes are values).
 * A failure that makes the rest of the run pointless (bad credentials, unreachable host) throws
 * SluiceError('destination_fatal').
 */
export interface Destination {
  readonly type: string;
  readonly limits: DestinationLimits;
  /**
   * Validates a mapped payload for an object kind and serialises it; pure and synchronous. A payload
   * is refused as too large only when, encoded with a messageId of SENT_MESSAGE_ID_LENGTH ASCII
   * characters, it would be over `limits.maxMessageBytes`.
   */
  prepare(object: ObjectKind, payload: Record<string, unknown>): Prepared | Invalid;
  /**
   * Adds the messageId (and the planned-at timestamp where needed) to a prepared message. Throws a
   * RangeError rather than return a message over `limits.maxMessageBytes` (possible only with an id
   * longer than SENT_MESSAGE_ID_LENGTH or needing escapes).
   */
  encode(prepared: Prepared, key: string, messageId: string, plannedAt: string): EncodedMessage;
  send(batch: readonly EncodedMessage[], options?: SendOptions): Promise<MessageOutcome[]>;
  /** Concurrency the destination wants for `send` calls. */
  readonly concurrency: number;
  check(): Promise<CheckResult>;
  close(): Promise<void>;
}

/**
 * One destination type: its sluice.yaml settings, the objects it accepts, and how to connect.
 * `destinations/registry.ts` lists these; adding a destination is one folder and one line there.
 */
export interface DestinationType<Config = unknown> {
  type: string;
  /**
   * Parses the raw `destinations.<name>` mapping (after ${VAR} interpolation). Returns the typed
   * config, or problems as `{ path, message, fix }` with `path` relative to the destination entry
   * (e.g. ["region"]) so the loader can point at the line.
   */
  parseConfig(
    raw: Record<string, unknown>,
  ):
    | { ok: true; config: Config }
    | { ok: false; problems: { path: (string | number)[]; message: string; fix?: string }[] };
  objects: Readonly<Record<ObjectKind, ObjectDescriptor>>;
  /** A line for `sluice check` naming the config without secrets (e.g. "write key …x7Qz"). */
  describe(config: Config): string;
  create(config: Config, context: { version: string }): Destination;
}
