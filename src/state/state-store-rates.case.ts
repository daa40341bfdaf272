import { describe, expect, it } from 'vitest';
import type { StateStore } from './state-store.js';

/**
 * Rate buckets (`StateStore.rates`), run by describeStateStoreConformance. Waits are measured on the
 * real clock, so each expectation leaves room for the time the calls themselves take.
 */
export function describeRateConformance(openStore: () => Promise<StateStore>): void {
  describe('rate buckets', () => {
    it('lets a full bucket through at once, then makes callers wait out the debt in order', async () => {
      const a = await openStore();
      const b = await openStore();
      expect(await a.rates.take('segment', 10, 10, 10)).toBe(0);
      // 10 tokens/s: 5 more tokens are 500 ms away, the 5 after those 1,000 ms — whoever asks.
      const second = await b.rates.take('segment', 5, 10, 10);
      const third = await a.rates.take('segment', 5, 10, 10);
      expect(second).toBeGreaterThan(400);
      expect(second).toBeLessThanOrEqual(500);
      expect(third).toBeGreaterThan(900);
      expect(third).toBeLessThanOrEqual(1000);
      expect(third - second).toBeGreaterThan(450);
    });

    it('refills with time, never beyond the burst, and keeps buckets apart', async () => {
      const store = await openStore();
      expect(await store.rates.take('slow', 2, 10, 2)).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 250));
      // 250 ms at 10/s refilled the 2 tokens, and no more: one more token is ~100 ms away (room for
      // a store across a network to take its time answering).
      expect(await store.rates.take('slow', 2, 10, 2)).toBe(0);
      expect(await store.rates.take('slow', 1, 10, 2)).toBeGreaterThan(0);
      expect(await store.rates.take('other', 2, 10, 2)).toBe(0);
    });
  });
}
