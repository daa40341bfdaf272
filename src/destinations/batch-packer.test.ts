import { describe, expect, it } from 'vitest';
import { BatchPacker, packedBatchEnds } from './batch-packer.js';
import type { DestinationLimits } from './destination.js';

/** Segment-like: commas between messages. */
const COMMAS: DestinationLimits = {
  maxMessageBytes: 10,
  maxBatchBytes: 20,
  maxBatchMessages: 3,
  batchBytes: (bytes, count) => bytes + (count > 1 ? count - 1 : 0),
};
/** JSON-lines-like: a newline after every message. */
const LINES: DestinationLimits = { ...COMMAS, batchBytes: (bytes, count) => bytes + count };

const sized = (...bytes: number[]) => bytes.map((b) => ({ bytes: b }));

describe('BatchPacker', () => {
  it('closes a batch by the destination’s own byte counting', () => {
    // 10 + 9 = 19 bytes: with one comma 20 fits; with two newlines 21 does not.
    expect(packedBatchEnds(sized(10, 9), COMMAS)).toEqual([2]);
    expect(packedBatchEnds(sized(10, 9), LINES)).toEqual([1, 2]);
  });

  it('closes a batch at maxBatchMessages', () => {
    expect(packedBatchEnds(sized(1, 1, 1, 1, 1, 1, 1), COMMAS)).toEqual([3, 6, 7]);
  });

  it('puts a message that fits nowhere in a batch of its own, and nothing for an empty list', () => {
    expect(packedBatchEnds(sized(2, 30, 2), COMMAS)).toEqual([1, 2, 3]);
    expect(packedBatchEnds([], COMMAS)).toEqual([]);
  });

  it('packs a stream exactly as packedBatchEnds cuts the same list', () => {
    const list = sized(5, 7, 3, 9, 9, 1, 1, 1, 10, 2, 8, 6);
    for (const limits of [COMMAS, LINES]) {
      const packer = new BatchPacker(limits);
      const ends: number[] = [];
      list.forEach((m, i) => {
        if (!packer.fits(m.bytes)) {
          ends.push(i);
          packer.reset();
        }
        packer.add(m.bytes);
      });
      ends.push(list.length);
      expect(ends).toEqual(packedBatchEnds(list, limits));
    }
  });
});
