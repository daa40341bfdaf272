/**
 * Rows pushed by driver events, taken by an async consumer as batches, with backpressure: once
 * `maxReady` full batches wait, the producer is paused (mysql2 stops reading its socket, so the
 * server waits too) until the consumer catches up. Memory stays within `maxReady + 1` batches.
 */
import type { Row } from '../../core/values.js';

export interface FlowControl {
  pause(): void;
  resume(): void;
}

export class RowBatches {
  readonly #batchSize: number;
  readonly #flow: FlowControl;
  readonly #maxReady: number;
  #current: Row[] = [];
  readonly #ready: Row[][] = [];
  #done = false;
  #failed = false;
  #error: unknown;
  #paused = false;
  #wake: (() => void) | undefined;

  constructor(batchSize: number, flow: FlowControl, maxReady = 2) {
    this.#batchSize = batchSize;
    this.#flow = flow;
    this.#maxReady = maxReady;
  }

  /** Whether the producer should stop: ended, or failed. */
  get done(): boolean {
    return this.#done;
  }

  push(row: Row): void {
    if (this.#done) return;
    this.#current.push(row);
    if (this.#current.length < this.#batchSize) return;
    this.#ready.push(this.#current);
    this.#current = [];
    this.#notify();
    if (this.#ready.length >= this.#maxReady && !this.#paused) {
      this.#paused = true;
      this.#flow.pause();
    }
  }

  /** The producer has no more rows. */
  end(): void {
    if (this.#done) return;
    if (this.#current.length > 0) this.#ready.push(this.#current);
    this.#current = [];
    this.#done = true;
    this.#notify();
  }

  /** The producer failed: the consumer's next call throws `error`. The first failure wins. */
  fail(error: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#failed = true;
    this.#error = error;
    this.#ready.length = 0;
    this.#current = [];
    this.#notify();
  }

  /** The next batch, or undefined at the end; throws the producer's failure. */
  async next(): Promise<Row[] | undefined> {
    for (;;) {
      if (this.#failed) throw this.#error;
      const batch = this.#ready.shift();
      if (batch !== undefined) {
        if (this.#paused && this.#ready.length < this.#maxReady) {
          this.#paused = false;
          this.#flow.resume();
        }
        return batch;
      }
      if (this.#done) return undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
