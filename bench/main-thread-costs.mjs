// What a sent batch costs the main thread, piece by piece, in isolation: not part of `npm test`.
// Runs against dist/ (`npm run build` first):
//
//   node bench/main-thread-costs.mjs [--reps 300]
//
// On bench-like identify messages (≈ 380 bytes, as bench/fixtures.mjs makes them) it times:
//   body      a 2,500-message `/v1/batch` body built as a string and encoded (`Buffer.from`), against
//             destinations/segment/batch-body.ts writeBatchBody into a buffer used before;
//   results   posting 2,500 delivery results to a worker thread (what ThreadedStateStore does);
//   pool      what a worker pool for mapping would add: a 2,000-row source batch posted to a worker,
//             and its 2,000 encoded messages posted back.
// Every figure is per message (or row), measured on the posting side, the median of --reps rounds.
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import {
  BodyBuffers,
  batchBody,
  batchBodyPrefix,
  writeBatchBody,
} from '../dist/destinations/segment/batch-body.js';
import { MAX_REQUEST_BYTES } from '../dist/destinations/segment/segment-limits.js';

const { values: args } = parseArgs({ options: { reps: { type: 'string', default: '300' } } });
const reps = Number(args.reps);

function userRow(i) {
  return {
    id: 1_000_000 + i,
    email: `user${i}@example.com`,
    first_name: `First${i}`,
    last_name: `Last${i}`,
    age: i % 90,
    score: i * 1.5,
    created_at: '2021-03-04T05:06:07.000Z',
    plan: 'pro',
    __sluice_row_hash: String(1_234_567_890_123_456_789n + BigInt(i)),
  };
}

function message(row) {
  const json = JSON.stringify({
    type: 'identify',
    userId: String(row.id),
    traits: {
      email: row.email,
      name: `${row.first_name} ${row.last_name}`,
      age: row.age,
      score: row.score,
      createdAt: row.created_at,
      plan: row.plan,
    },
    context: { source: 'warehouse', library: { name: 'sluice', version: '0.1.0' } },
    messageId: `sl-${String(row.id).padStart(43, 'x')}`,
    timestamp: '2026-12-07T01:00:00.000Z',
  });
  return {
    key: String(row.id),
    messageId: `sl-${String(row.id).padStart(43, 'x')}`,
    json,
    bytes: Buffer.byteLength(json),
  };
}

/** Median µs per item of `run` over `reps` rounds of `items` items each, after a tenth as many to warm up. */
function perItem(items, run) {
  for (let r = 0; r < Math.ceil(reps / 10); r++) run();
  const times = [];
  for (let r = 0; r < reps; r++) {
    const started = process.hrtime.bigint();
    run();
    times.push(Number(process.hrtime.bigint() - started) / 1000 / items);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const rows = Array.from({ length: 2500 }, (_, i) => userRow(i));
const messages = rows.map(message);
const sentAt = '2026-12-07T01:00:00.000Z';

const buffers = new BodyBuffers(MAX_REQUEST_BYTES, 4);
const intoBuffer = perItem(messages.length, () => {
  const buffer = buffers.take();
  writeBatchBody(messages, sentAt, buffer);
  buffers.giveBack(buffer);
});
const asString = perItem(messages.length, () => Buffer.from(batchBody(batchBodyPrefix(messages), sentAt)));
console.log(
  `body      as a string, then Buffer.from: ${asString.toFixed(3)} µs/message; writeBatchBody into a reused buffer: ${intoBuffer.toFixed(3)} µs/message`,
);

const worker = new Worker(
  'const { parentPort } = require("node:worker_threads"); parentPort.on("message", () => {});',
  { eval: true },
);
const results = messages.map((m, i) => ({
  key: m.key,
  hash: 'abcdefghijklmnopqrstuvwxyz1',
  sourceHash: `salt567890123456789012345678\u0000${rows[i].__sluice_row_hash}`,
  generation: 1,
  messageId: m.messageId,
  payload: m.json,
  reason: 'new',
  status: 'succeeded',
  error: null,
}));
const posted = perItem(results.length, () =>
  worker.postMessage({ id: 1, group: 'ledger', args: ['s', 'r', results] }),
);
console.log(`results   2,500 delivery results posted to a worker: ${posted.toFixed(3)} µs/result`);

const batchRows = rows.slice(0, 2000);
const batchMessages = messages
  .slice(0, 2000)
  .map((m, i) => ({ ...m, hash: results[i].hash, sourceHash: results[i].sourceHash }));
const rowsOut = perItem(batchRows.length, () => worker.postMessage(batchRows));
const messagesBack = perItem(batchMessages.length, () => worker.postMessage(batchMessages));
console.log(
  `pool      a 2,000-row batch to a worker: ${rowsOut.toFixed(3)} µs/row; its messages back: ${messagesBack.toFixed(3)} µs/message`,
);
await worker.terminate();
