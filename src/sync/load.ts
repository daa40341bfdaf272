import type { Destination, EncodedMessage, MessageOutcome } from '../destinations/destination.js';

/** Called once per sent batch with its messages, their outcomes and what was pushed with them, in order. */
export type BatchSettled<T> = (
  batch: readonly EncodedMessage[],
  outcomes: readonly MessageOutcome[],
  contexts: readonly T[],
) => Promise<void>;

/**
 * The load stage: packs encoded messages into batches within the destination's limits (bytes and
 * count, segment-contract §2) and keeps up to `destination.concurrency` batches in flight. `push`
 * waits while the pipe is full, so reading from the source slows to the destination's pace and memory
 * stays bounded. The first fatal error stops everything and is rethrown by `push`/`finish`.
 */
export class Loader<T = void> {
  readonly #destination: Destination;
  readonly #onSettled: BatchSettled<T>;
  readonly #signal: AbortSignal | undefined;
  readonly #inFlight = new Set<Promise<void>>();
  #batch: EncodedMessage[] = [];
  /** What the caller pushed with each message of #batch, handed back when it settles. */
  #contexts: T[] = [];
  /** Bytes of the messages plus the commas between them. */
  #batchBytes = 0;
  #error: unknown = null;

  constructor(destination: Destination, onSettled: BatchSettled<T>, signal?: AbortSignal) {
    this.#destination = destination;
    this.#onSettled = onSettled;
    this.#signal = signal;
  }

  /** Queues a message; `context` (what the caller needs to record its outcome) comes back with it. */
  async push(message: EncodedMessage, context: T): Promise<void> {
    this.#throwIfFailed();
    const { maxBatchBytes, maxBatchMessages } = this.#destination.limits;
    const added = message.bytes + (this.#batch.length > 0 ? 1 : 0);
    if (
      this.#batch.length > 0 &&
      (this.#batchBytes + added > maxBatchBytes || this.#batch.length >= maxBatchMessages)
    ) {
      await this.#flush();
    }
    this.#batchBytes += message.bytes + (this.#batch.length > 0 ? 1 : 0);
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
    this.#batchBytes = 0;
    while (this.#inFlight.size >= this.#destination.concurrency) {
      await Promise.race(this.#inFlight);
      this.#throwIfFailed();
    }
    const task = this.#send(batch, contexts).finally(() => this.#inFlight.delete(task));
    this.#inFlight.add(task);
  }

  async #send(batch: EncodedMessage[], contexts: T[]): Promise<void> {
    try {
      const outcomes = await this.#destination.send(batch, { signal: this.#signal });
      await this.#onSettled(batch, outcomes, contexts);
    } catch (error) {
      this.#error ??= error;
    }
  }

  #throwIfFailed(): void {
    if (this.#error !== null) throw this.#error;
  }
}
