// The local Segment-compatible receiver in a process of its own: it is the ceiling every client is
// measured against, and in the client's process it would take the client's CPU. Started by
// bench/run.mjs with an IPC channel; the receiver also answers `GET /stats` on its own port.
//
// IPC: → {type:'ready', url} once listening; ← {type:'reset'} → {type:'reset'} after forgetting
// messages, dedup and counters; ← {type:'stats'} → {type:'stats', stats, cpuMs, rss}.
import { startReceiver } from '../dist/receiver/receiver.js';

// Dedup over a 10-minute window instead of Segment's 24 h: every scenario resets the receiver and
// finishes well within it, and a day-long window would hold every id of a 10M-row seed — past the
// receiver's 8M-id cap its eviction slows to about 1,300 messages/s (V8 Map iteration has to skip
// every deleted slot at the front), turning the ceiling into the bottleneck.
const dedupWindowMs = Number(process.env.SLUICE_BENCH_DEDUP_WINDOW_MS ?? 600_000);
const receiver = await startReceiver({ port: 0, keepMessages: false, dedupWindowMs });

function cpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

process.on('message', (message) => {
  if (message?.type === 'reset') {
    receiver.reset();
    process.send({ type: 'reset' });
  } else if (message?.type === 'stats') {
    process.send({ type: 'stats', stats: receiver.stats(), cpuMs: cpuMs(), rss: process.memoryUsage.rss() });
  } else if (message?.type === 'close') {
    receiver.close().then(() => process.exit(0));
  }
});
// The parent going away must not leave a receiver running.
process.on('disconnect', () => {
  receiver.close().then(() => process.exit(0));
});

process.send({ type: 'ready', url: receiver.url });
