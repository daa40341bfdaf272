import type { DestinationLimits } from './destination.js';

/**
 * The one rule for where a request ends: a message joins the open batch unless the batch already
 * holds `maxBatchMessages`, or the destination's `batchBytes` with it would be over `maxBatchBytes`.
 * A message alone always makes a batch (`prepare` has already refused anything too large to send).
 * sync/load.ts packs with it as messages stream in; a destination's `send` cuts an oversized batch
 * with `packedBatchEnds`, by the same rule, so a batch the loader made is never cut again.
 */
export class BatchPacker {
  readonly #limits: DestinationLimits;
  #count = 0;
  #messageBytes = 0;

  constructor(limits: DestinationLimits) {
    this.#limits = limits;
  }

  /** Messages in the open batch. */
  get count(): number {
    return this.#count;
  }

  /** Whether a message of `bytes` fits in the open batch (always, when it is empty). */
  fits(bytes: number): boolean {
    const count = this.#count;
    if (count === 0) return true;
    const limits = this.#limits;
    return (
      count < limits.maxBatchMessages &&
      limits.batchBytes(this.#messageBytes + bytes, count + 1) <= limits.maxBatchBytes
    );
  }

  /** Counts a message of `bytes` into the open batch. */
  add(bytes: number): void {
    this.#count++;
    this.#messageBytes += bytes;
  }

  /** Closes the open batch: the next message starts a new one. */
  reset(): void {
    this.#count = 0;
    this.#messageBytes = 0;
  }
}

/**
 * Where each request of `messages` ends when packed in order by BatchPacker's rule: exclusive end
 * indices, the last one `messages.length` (none for an empty list).
 */
export function packedBatchEnds(messages: readonly { bytes: number }[], limits: DestinationLimits): number[] {
  const ends: number[] = [];
  const packer = new BatchPacker(limits);
  for (let i = 0; i < messages.length; i++) {
    const bytes = messages[i]!.bytes;
    if (!packer.fits(bytes)) {
      ends.push(i);
      packer.reset();
    }
    packer.add(bytes);
  }
  if (messages.length > 0) ends.push(messages.length);
  return ends;
}
