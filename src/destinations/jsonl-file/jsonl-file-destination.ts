import { constants } from 'node:fs';
import { access, appendFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SluiceError } from '../../core/errors.js';
import type { ObjectKind } from '../../core/workspace.js';
import { packedBatchEnds } from '../batch-packer.js';
import type {
  CheckResult,
  Destination,
  DestinationLimits,
  EncodedMessage,
  Invalid,
  MessageOutcome,
  Prepared,
  SendOptions,
} from '../destination.js';
import { SENT_MESSAGE_ID_LENGTH } from '../destination.js';
import type { JsonlFileDestinationConfig } from './jsonl-file-config.js';

/**
 * Limits of our own choosing (a file has none that matter): small enough that the conformance
 * suite's "cut a batch that is too big" cases run quickly, large enough for any test sync.
 */
export const jsonlFileLimits: DestinationLimits = Object.freeze({
  maxMessageBytes: 64 * 1024,
  maxBatchBytes: 1024 * 1024,
  maxBatchMessages: 1000,
  // Each message is its line: its bytes and one newline.
  batchBytes: (messageBytes: number, count: number) => messageBytes + count,
});

/** What `encode` appends for an id of SENT_MESSAGE_ID_LENGTH ASCII characters and an ISO time. */
const SENT_SUFFIX_BYTES = suffix('x'.repeat(SENT_MESSAGE_ID_LENGTH), '2025-01-01T00:00:00.000Z').length;

function suffix(messageId: string, plannedAt: string): string {
  return `,"messageId":${JSON.stringify(messageId)},"plannedAt":${JSON.stringify(plannedAt)}}`;
}

/**
 * A destination that appends one JSON line per message to a file: a debugging aid (see exactly
 * what a sync would send, with no network) and the proof that a destination is one folder and one
 * registry line (README.md here). A line is `{"object":…,"id":…,"data":{…},"messageId":…,
 * "plannedAt":…}`; one `send` request is one append of whole lines.
 */
export class JsonlFileDestination implements Destination {
  readonly type = 'jsonl-file';
  readonly limits = jsonlFileLimits;
  /** One writer: appends from concurrent sends would interleave their lines. */
  readonly concurrency = 1;
  readonly #path: string;
  /** The appends so far, in order: each waits for the one before. */
  #tail: Promise<void> = Promise.resolve();
  #writes = 0;

  constructor(config: JsonlFileDestinationConfig) {
    this.#path = config.path;
  }

  /** Appends made so far (one per request): what the conformance suite counts as requests. */
  get writes(): number {
    return this.#writes;
  }

  prepare(object: ObjectKind, payload: Record<string, unknown>): Prepared | Invalid {
    const { id, data } = payload;
    if (object !== 'event' && (typeof id !== 'string' || id.trim() === '')) {
      return invalid('missing_identity', `a ${object} line needs a non-empty id`);
    }
    if (data !== undefined && (typeof data !== 'object' || data === null || Array.isArray(data))) {
      return invalid('not_an_object', 'data must be an object');
    }
    const json = JSON.stringify({ object, id, data });
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes - 1 + SENT_SUFFIX_BYTES > this.limits.maxMessageBytes) {
      return invalid(
        'message_too_large',
        `the line would be over ${this.limits.maxMessageBytes} bytes (${bytes - 1 + SENT_SUFFIX_BYTES})`,
      );
    }
    return { ok: true, json, bytes, hasTimestamp: false };
  }

  encode(prepared: Prepared, key: string, messageId: string, plannedAt: string): EncodedMessage {
    const json = `${prepared.json.slice(0, -1)}${suffix(messageId, plannedAt)}`;
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > this.limits.maxMessageBytes) {
      throw new RangeError(`message of ${bytes} bytes is over ${this.limits.maxMessageBytes}`);
    }
    return { key, messageId, json, bytes };
  }

  /**
   * Appends each message as a line, one append per request that fits the limits. A message that is
   * not one line of JSON (only hand-made ones: `encode` never makes such) fails alone.
   */
  async send(batch: readonly EncodedMessage[], options?: SendOptions): Promise<MessageOutcome[]> {
    const outcomes = new Array<MessageOutcome>(batch.length);
    let start = 0;
    for (const end of packedBatchEnds(batch, this.limits)) {
      if (options?.signal?.aborted)
        throw new SluiceError('interrupted', 'writing the JSON lines was interrupted');
      let lines = '';
      for (let i = start; i < end; i++) {
        const json = batch[i]!.json;
        if (isJsonLine(json)) {
          lines += `${json}\n`;
          outcomes[i] = SUCCEEDED;
        } else {
          outcomes[i] = NOT_A_LINE;
        }
      }
      if (lines !== '') await this.#append(lines);
      start = end;
    }
    return outcomes;
  }

  async check(): Promise<CheckResult> {
    const folder = dirname(this.#path);
    try {
      await access(folder, constants.W_OK);
      return { ok: true, notes: [`can write to ${folder}`] };
    } catch (error) {
      return { ok: false, notes: [`cannot write to ${folder}: ${(error as Error).message}`] };
    }
  }

  async close(): Promise<void> {
    await this.#tail.catch(() => {});
  }

  #append(lines: string): Promise<void> {
    const write = this.#tail.then(async () => {
      try {
        await appendFile(this.#path, lines, 'utf8');
        this.#writes++;
      } catch (error) {
        // A missing folder or a read-only file: no retry fixes it within the run.
        throw new SluiceError(
          'destination_fatal',
          `cannot append to ${this.#path}: ${(error as Error).message}`,
        );
      }
    });
    this.#tail = write.catch(() => {});
    return write;
  }
}

function isJsonLine(json: string): boolean {
  if (json.includes('\n') || json.includes('\r')) return false;
  try {
    JSON.parse(json);
    return true;
  } catch {
    return false;
  }
}

function invalid(reason: string, message: string): Invalid {
  return { ok: false, reason, message };
}

const SUCCEEDED: MessageOutcome = Object.freeze({ status: 'succeeded' });
const NOT_A_LINE: MessageOutcome = Object.freeze({
  status: 'failed',
  reason: 'rejected_by_destination',
  error: 'not one line of JSON',
});
