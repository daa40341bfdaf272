// What a user might script instead of Sluice: the same identify messages through Segment's own
// `@segment/analytics-node`, at its best settings for throughput — large batches (`flushAt`, bounded
// by its 480 KB batch limit, segment-contract.md §2/§5) and no periodic-flush waits. It sends a batch
// as soon as it is full, with no limit on requests in flight, so the loop keeps a bounded window of
// undelivered messages (`window`) to keep memory in check, as a careful script would.
import { randomBytes } from 'node:crypto';
import { Analytics } from '@segment/analytics-node';
import { userValues } from '../fixtures.mjs';

/**
 * Sends `rows` identify messages to `url`; returns `{ elapsedMs, messages, failed }`.
 * `flushAt` messages per batch (default 1,000 ≈ 340 KB here), `window` undelivered at most.
 */
export async function runAnalyticsNode({ url, rows, flushAt = 1000, window = 4 * flushAt }) {
  const analytics = new Analytics({
    writeKey: 'bench-key',
    host: url,
    flushAt,
    flushInterval: 50,
    maxRetries: 3,
  });
  const idPrefix = `an-${randomBytes(6).toString('base64url')}-`;
  let pending = 0;
  let failed = 0;
  let wake = null;
  const delivered = (error) => {
    pending--;
    if (error) failed++;
    if (wake !== null && pending <= window / 2) {
      const resume = wake;
      wake = null;
      resume();
    }
  };

  const started = performance.now();
  for (let i = 1; i <= rows; i++) {
    const { userId, traits } = userValues(i);
    pending++;
    analytics.identify(
      {
        userId,
        traits,
        context: { source: 'warehouse' },
        messageId: `${idPrefix}${i}`,
      },
      delivered,
    );
    if (pending >= window) {
      await new Promise((resolve) => {
        wake = resolve;
      });
    }
  }
  await analytics.closeAndFlush({ timeout: 600_000 });
  const elapsedMs = performance.now() - started;
  return { elapsedMs, messages: rows - failed, failed, flushAt, window };
}
