import { BatchPacker } from '../destinations/batch-packer.js';
import type {
  Destination,
  EncodedMessage,
  MessageOutcome,
  RetryNotice,
} from '../destinations/destination.js';

/** Called once per sent batch with its messages, their outcomes and what was pushed with them, in order. */
export type BatchSettled<T> = (
  batch: readonly EncodedMessage[],
  outcomes: readonly MessageOutcome[],
  contexts: readonly T[],
) => Promise<void>;

/**
 * Hears of a sent batch waiting to be retried (`notice`), and of its answer at last (`null`): the
 * batch itself tells one wait from another.
 */
export type RetryListener = (batch: readonly EncodedMessage[], notice: RetryNotice | null) => void;

/**
 * The load stage: packs encoded messages into batches within the destination's limits (bytes as the
 * destination counts them, and count: destinations/batch-packer.ts) and keeps up to `destination.concurrency` requests in flight. A batch
 * whose answer came back frees its request slot at once, while its outcomes are being recorded
 * (`onSettled`, the state store's turn), up to as many again awaiting that. `push` waits while the
 * pipe is full, so reading from the source slows to the destination's and the state store's pace
 * and memory stays bounded. The first fatal error stops everything and is rethrown by
 * `push`/`finish`.
 */
export class Loader<T = void> {
  readonly #destination: Destination;
  readonly #onSettled: BatchSettled<T>;
  readonly #signal: AbortSignal | undefined;
  readonly #onRetry: RetryListener | undefined;
  /** Batches sent or being recorded: each until its outcomes are recorded. */
  readonly #inFlight = new Set<Promise<void>>();
  /** Of those, the ones still waiting for the destination's answer. */
  readonly #requests = new Set<Promise<void>>();
  #batch: EncodedMessage[] = [];
  /** What the caller pushed with each message of #batch, handed back when it settles. */
  #contexts: T[] = [];
  /** Where #batch must end, by the destination's own limits and byte counting. */
  readonly #packer: BatchPacker;
  #error: unknown = null;

  constructor(
    destination: Destination,
    onSettled: BatchSettled<T>,
    signal?: AbortSignal,
    onRetry?: RetryListener,
  ) {
    this.#destination = destination;
    this.#onSettled = onSettled;
    this.#signal = signal;
    this.#onRetry = onRetry;
    this.#packer = new BatchPacker(destination.limits);
  }

  /**
   * Queues a message; `context` (what the caller needs to record its outcome) comes back with it.
   * A promise, to be awaited, only when the message starts a new batch (the full one is sent first,
   * once a request slot is free); otherwise the message is queued at once and nothing is returned —
   * an `async` push cost every message a promise and a turn of the microtask queue.
   */
  push(message: EncodedMessage, context: T): Promise<void> | undefined {
    this.#throwIfFailed();
    if (!this.#packer.fits(message.bytes)) return this.#flush().then(() => this.#queue(message, context));
    this.#queue(message, context);
    return undefined;
  }

  #queue(message: EncodedMessage, context: T): void {
    this.#packer.add(message.bytes);
    this.#batch.push(message);
    this.#contexts.push(context);
  }

  /** Sends what is left and waits for every batch in flight. */
  async finish(): Promise<void> {
    if (this.#batch.length > 0 && this.#error === null) await this.#flush();
    await this.drain();
    this.#throwIfFailed();
  }

  /** Waits for the batches in flight without sending the partial batch (used when a run fails). */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  async #flush(): Promise<void> {
    const batch = this.#batch;
    const contexts = this.#contexts;
    this.#batch = [];
    this.#contexts = [];
    this.#packer.reset();
    const requests = this.#destination.concurrency;
    while (this.#requests.size >= requests || this.#inFlight.size >= 2 * requests) {
      await Promise.race(this.#requests.size >= requests ? this.#requests : this.#inFlight);
      this.#throwIfFailed();
    }
    const onRetry = this.#onRetry;
    const sent = this.#destination.send(batch, {
      ...(this.#signal ? { signal: this.#signal } : {}),
      ...(onRetry ? { onRetry: (notice: RetryNotice) => onRetry(batch, notice) } : {}),
    });
    const answered: Promise<void> = sent.then(
      () => onRetry?.(batch, null),
      () => onRetry?.(batch, null),
    );
    const request = answered.finally(() => this.#requests.delete(request));
    this.#requests.add(request);
    const task = this.#settle(sent, batch, contexts).finally(() => this.#inFlight.delete(task));
    this.#inFlight.add(task);
  }

  async #settle(sent: Promise<MessageOutcome[]>, batch: EncodedMessage[], contexts: T[]): Promise<void> {
    try {
      await this.#onSettled(batch, await sent, contexts);
    } catch (error) {
      this.#error ??= error;
    }
  }

  #throwIfFailed(): void {
    if (this.#error !== null) throw this.#error;
  }
}
