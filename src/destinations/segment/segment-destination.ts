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
import type { RetryOptions } from './backoff.js';
import { SegmentClient } from './segment-client.js';
import type { SegmentDestinationConfig } from './segment-config.js';
import { segmentLimits } from './segment-limits.js';
import { SegmentMessageCodec } from './segment-message-codec.js';

export interface SegmentDestinationOptions {
  /** Sluice's version: User-Agent and `context.library.version`. */
  version: string;
  /** Retry budget and backoff per request (not in sluice.yaml yet); defaults in backoff.ts. */
  retry?: Partial<RetryOptions>;
}

/** Opens a Segment destination. Nothing connects until the first `send` or `check`. */
export function createSegmentDestination(
  config: SegmentDestinationConfig,
  options: SegmentDestinationOptions,
): SegmentDestination {
  return new SegmentDestination(config, options);
}

/**
 * Segment as a Destination: prepare/encode through SegmentMessageCodec, delivery through
 * SegmentClient, and split-batch isolation so that one message Segment refuses fails alone.
 */
export class SegmentDestination implements Destination {
  readonly type = 'segment';
  readonly limits: DestinationLimits = segmentLimits;
  readonly concurrency: number;
  readonly #codec: SegmentMessageCodec;
  readonly #client: SegmentClient;

  constructor(config: SegmentDestinationConfig, options: SegmentDestinationOptions) {
    this.concurrency = config.concurrency;
    this.#codec = new SegmentMessageCodec(options.version);
    this.#client = new SegmentClient({
      endpoint: config.endpoint,
      writeKey: config.writeKey,
      concurrency: config.concurrency,
      timeoutMs: config.timeoutMs,
      version: options.version,
      ...(options.retry ? { retry: options.retry } : {}),
    });
  }

  prepare(object: ObjectKind, payload: Record<string, unknown>): Prepared | Invalid {
    return this.#codec.prepare(object, payload);
  }

  encode(prepared: Prepared, key: string, messageId: string, plannedAt: string): EncodedMessage {
    return this.#codec.encode(prepared, key, messageId, plannedAt);
  }

  /**
   * Delivers a batch and returns one outcome per message, in order. A batch over the limits is cut
   * into requests that fit by the loader's own rule (destinations/batch-packer.ts), so the limits
   * hold even for a careless caller and a batch sync/load.ts packed goes out as one request.
   */
  async send(batch: readonly EncodedMessage[], options?: SendOptions): Promise<MessageOutcome[]> {
    const outcomes = new Array<MessageOutcome>(batch.length);
    let start = 0;
    for (const end of packedBatchEnds(batch, this.limits)) {
      await this.#deliver(batch, start, end, outcomes, options);
      start = end;
    }
    return outcomes;
  }

  check(): Promise<CheckResult> {
    return this.#client.check();
  }

  close(): Promise<void> {
    return this.#client.close();
  }

  /**
   * Sends `batch[start, end)`. Segment answers a 400 for the whole request when one message is
   * malformed or too big (segment-contract.md §1 "400", §2 "batch request"), so a rejected batch is
   * halved and each half sent again: only the messages Segment refuses on their own fail
   * (SPEC §3 "A 400 for a batch is split"), with about 2·log2(n) extra requests per culprit.
   */
  async #deliver(
    batch: readonly EncodedMessage[],
    start: number,
    end: number,
    outcomes: MessageOutcome[],
    options: SendOptions | undefined,
  ): Promise<void> {
    const result = await this.#client.post(
      start === 0 && end === batch.length ? batch : batch.slice(start, end),
      options,
    );
    if (result.kind === 'rejected' && end - start > 1) {
      const middle = start + Math.ceil((end - start) / 2);
      await this.#deliver(batch, start, middle, outcomes, options);
      await this.#deliver(batch, middle, end, outcomes, options);
      return;
    }
    const outcome: MessageOutcome =
      result.kind === 'sent'
        ? SUCCEEDED
        : {
            status: 'failed',
            reason: result.kind === 'rejected' ? 'rejected_by_destination' : 'retries_exhausted',
            error: result.error,
          };
    for (let i = start; i < end; i++) outcomes[i] = outcome;
  }
}

const SUCCEEDED: MessageOutcome = Object.freeze({ status: 'succeeded' });
