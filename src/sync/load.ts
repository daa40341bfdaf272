import type { Destination, EncodedMessage, MessageOutcome } from '../destinations/destination.js';

/** Called once per sent batch with its messages and their outcomes, in order. */
export type BatchSettled = (
  batch: readonly EncodedMessage[],
  outcomes: readonly MessageOutcome[],
) => Promise<void>;

/**
 * The load stage: packs encoded messages into batches within the destination's limits (bytes and
 * count, segment-contract §2) and keeps up to `destination.concurrency` batches in flight. `push`
 * waits while the pipe is full, so reading from the source slows to the destination's pace and memory
 * stays bounded. The first fatal error stops everything and is rethrown by `push`/`finish`.
 */
export class Loader {
  readonly #destination: Destination;
  readonly #onSettled: BatchSettled;
  readonly #signal: AbortSignal | undefined;
  readonly #inFlight = new Set<Promise<void>>();
  #batch: EncodedMessage[] = [];
  /** Bytes of the messages plus the commas between them. */
  #batchBytes = 0;
  #error: unknown = null;

  constructor(destination: Destination, onSettled: BatchSettled, signal?: AbortSignal) {
    this.#destination = destination;
    this.#onSettled = onSettled;
    this.#signal = signal;
  }

  async push(message: EncodedMessage): Promise<void> {
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
    this.#batch = [];
    this.#batchBytes = 0;
    while (this.#inFlight.size >= this.#destination.concurrency) {
      await Promise.race(this.#inFlight);
      this.#throwIfFailed();
    }
    const task = this.#send(batch).finally(() => this.#inFlight.delete(task));
    this.#inFlight.add(task);
  }

  async #send(batch: EncodedMessage[]): Promise<void> {
    try {
      const outcomes = await this.#destination.send(batch, { signal: this.#signal });
      await this.#onSettled(batch, outcomes);
    } catch (error) {
      this.#error ??= error;
    }
  }

  #throwIfFailed(): void {
    if (this.#error !== null) throw this.#error;
  }
}
