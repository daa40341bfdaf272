// The raw ceiling: the least a client can do to deliver the same identify messages — build each
// message, JSON.stringify it, pack ≤480 KB / ≤2,500 per request (Segment's limits as analytics-node
// and Sluice count them, segment-contract.md §2) and POST over a keep-alive undici Pool with four
// requests in flight. No database, no state, no diff: what Sluice does on top of this is its cost.
import { randomBytes } from 'node:crypto';
import { Pool } from 'undici';
import { userValues } from '../fixtures.mjs';

const MAX_BATCH_BYTES = 480 * 1024;
const MAX_BATCH_MESSAGES = 2500;
const IN_FLIGHT = 4;

/**
 * Sends `rows` identify messages to `url` and returns `{ elapsedMs, messages, requests, bytes }`.
 * Messages look like Sluice's: same fields, same order, a 46-character messageId.
 */
export async function runRawClient({ url, rows }) {
  const pool = new Pool(url, { connections: IN_FLIGHT, pipelining: 1 });
  const authorization = `Basic ${Buffer.from('bench-key:').toString('base64')}`;
  // A fresh prefix per run: ids never collide with an earlier run's in the receiver's dedup.
  const idPrefix = `raw-${randomBytes(6).toString('base64url')}-`;
  const plannedAt = new Date().toISOString();
  const inFlight = new Set();
  let failure = null;
  let requests = 0;
  let totalBytes = 0;

  async function post(body) {
    const response = await pool.request({
      method: 'POST',
      path: '/v1/batch',
      headers: { 'content-type': 'application/json', authorization },
      body,
    });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}: ${text.slice(0, 200)}`);
  }

  async function flush(parts) {
    while (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
    if (failure) throw failure;
    const body = `{"batch":[${parts.join(',')}],"sentAt":"${new Date().toISOString()}"}`;
    requests++;
    const task = post(body)
      .catch((error) => {
        failure ??= error;
      })
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
    // Let the event loop write the body and read answers before building the next batch.
    await new Promise(setImmediate);
  }

  const started = performance.now();
  let parts = [];
  let batchBytes = 0;
  for (let i = 1; i <= rows; i++) {
    const { userId, traits } = userValues(i);
    const json = JSON.stringify({
      type: 'identify',
      userId,
      traits,
      context: { source: 'warehouse', library: { name: 'sluice', version: '0.1.0' } },
      messageId: `${idPrefix}${String(i).padStart(46 - idPrefix.length, '0')}`,
      timestamp: plannedAt,
    });
    const bytes = Buffer.byteLength(json);
    if (
      parts.length > 0 &&
      (batchBytes + bytes + 1 > MAX_BATCH_BYTES || parts.length >= MAX_BATCH_MESSAGES)
    ) {
      await flush(parts);
      parts = [];
      batchBytes = 0;
    }
    batchBytes += bytes + (parts.length > 0 ? 1 : 0);
    totalBytes += bytes;
    parts.push(json);
  }
  if (parts.length > 0) await flush(parts);
  while (inFlight.size > 0) await Promise.race(inFlight);
  const elapsedMs = performance.now() - started;
  await pool.close();
  if (failure) throw failure;
  return { elapsedMs, messages: rows, requests, avgMessageBytes: totalBytes / rows };
}
