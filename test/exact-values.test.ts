// Exact values, the Segment side: sizes exact to the byte at the 32 KB boundary, no silent "now" or null
// for timestamps, blank ids and event names invalid, JSON numbers a double cannot carry sent as
// their text, and a context.library mapping refused at load. Through the real CLI, a DuckDB
// warehouse and the real receiver on loopback, with a recording proxy measuring the wire.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SENT_MESSAGE_ID_LENGTH } from '../src/destinations/destination.js';
import { MAX_MESSAGE_BYTES } from '../src/destinations/segment/segment-limits.js';
import { SegmentMessageCodec } from '../src/destinations/segment/segment-message-codec.js';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import { VERSION } from '../src/sluice/version.js';
import { deriveMessageId, MESSAGE_ID_LENGTH } from '../src/sync/message-id.js';
import type { SyncRunResult } from '../src/sync/run-result.js';
import { sluice } from './helpers/cli.js';
import { type RecordingProxy, startRecordingProxy } from './helpers/recording-proxy.js';
import { duckdb, tempWorkspace, writeYaml } from './helpers/workspace.js';

let dir: string;
let cleanup: () => Promise<void>;
let receiver: Receiver;
let proxy: RecordingProxy;

const AT = '2024-01-01T00:00:00.000Z';
/** A pad of exactly `bytes` UTF-8 bytes, mostly of `unit`, topped up with "x". */
function pad(bytes: number, unit: string): string {
  const size = Buffer.byteLength(unit);
  return unit.repeat(Math.floor(bytes / size)) + 'x'.repeat(bytes % size);
}

/**
 * The pad that makes row `userId`'s event exactly `target` bytes as sent. Measured with an empty pad
 * through the codec the run uses; every byte of pad then adds exactly one byte (no escapes).
 */
function padFor(target: number, userId: string, unit: string): string {
  const codec = new SegmentMessageCodec(VERSION);
  const base = codec.prepare('event', { userId, event: 'E', timestamp: AT, properties: { pad: '' } });
  if (!base.ok) throw new Error(base.message);
  const sent = codec.encode(base, 'k', `sl-${'A'.repeat(SENT_MESSAGE_ID_LENGTH - 3)}`, AT);
  return pad(target - sent.bytes, unit);
}

async function run(sync: string): Promise<SyncRunResult> {
  const result = await sluice('-w', dir, 'sync', 'run', sync, '--json');
  expect(result.stderr).toBe('');
  return result.json<SyncRunResult>();
}

async function invalidReasons(runId: string): Promise<string[]> {
  const out = await sluice('-w', dir, 'records', runId, '--status', 'invalid', '--json');
  return out
    .json<{ key: string | null; reason: string }[]>()
    .map((r) => `${r.key}:${r.reason}`)
    .sort();
}

/** Every message of every batch the proxy saw, with its size on the wire (compact JSON, as sent). */
function sentMessages(): { message: Record<string, unknown>; bytes: number }[] {
  return proxy.requests.flatMap((request) =>
    (JSON.parse(request.body) as { batch: Record<string, unknown>[] }).batch.map((message) => ({
      message,
      bytes: Buffer.byteLength(JSON.stringify(message)),
    })),
  );
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempWorkspace());
  receiver = await startReceiver({ port: 0 });
  proxy = await startRecordingProxy(receiver.url);
  const rows: [number, string, string, string][] = [
    [1, 'size-a', 'é', padFor(MAX_MESSAGE_BYTES - 1, 'size-a', 'é')],
    [2, 'size-b', 'é', padFor(MAX_MESSAGE_BYTES, 'size-b', 'é')],
    [3, 'size-c', '日', padFor(MAX_MESSAGE_BYTES, 'size-c', '日')],
    [4, 'size-d', '😀', padFor(MAX_MESSAGE_BYTES, 'size-d', '😀')],
    [5, 'size-e', 'é', padFor(MAX_MESSAGE_BYTES + 1, 'size-e', 'é')],
  ];
  const values = rows.map(([id, user, , p]) => `(${id}, '${user}', '${p}')`).join(',\n');
  await duckdb(
    join(dir, 'warehouse.duckdb'),
    `create table sized as select * from (values ${values}) t(id, user_id, pad);
     create table times as select * from (values
       (1, 'u1', 'E', '2024-01-02T03:04:05.678901Z'),
       (2, 'u2', 'E', null),
       (3, 'u3', 'E', '+275761-09-13T00:00:00.000Z'),
       (4, 'u4', 'E', '-000044-03-15T12:00:00.000Z'),
       (5, '   ', 'E', '2024-01-01T00:00:00Z'),
       (6, 'u6', ' \t', '2024-01-01T00:00:00Z'),
       (7, 'u7', 'E', '2024-01-01T00:00:00Z')
     ) t(id, user_id, event, happened_at);
     create table people as select * from (values
       (1, null::varchar, '{"big": 1e400, "tiny": 1e-400, "long": 12345678901234567890.5, "ok": 1.5}'::json),
       (2, '+010000-01-01T00:00:00Z', '{}'::json),
       (3, '2024-05-06T07:08:09.123456Z', '{}'::json)
     ) t(id, seen_at, doc);`,
  );
  await writeYaml(
    dir,
    `sources:
  warehouse: { type: duckdb, path: warehouse.duckdb }
destinations:
  segment: { type: segment, write_key: test-key, endpoint: "${proxy.url}" }
models:
  sized: { source: warehouse, sql: "select * from sized" }
  times: { source: warehouse, sql: "select * from times" }
  people: { source: warehouse, sql: "select * from people" }
syncs:
  sized:
    model: sized
    destination: segment
    object: event
    key: { column: id }
    mappings:
      userId: user_id
      event: { constant: E }
      timestamp: { constant: "${AT}" }
      properties.pad: pad
  times:
    model: times
    destination: segment
    object: event
    key: { column: id }
    nulls: skip
    mappings:
      userId: user_id
      event: event
      timestamp: happened_at
  people:
    model: people
    destination: segment
    object: user
    key: { column: id, field: userId }
    mappings:
      timestamp: seen_at
      traits: doc
`,
  );
});

afterAll(async () => {
  await proxy?.close();
  await receiver?.close();
  await cleanup?.();
});

describe('message size, exact to the byte', () => {
  it('sends messages of 32,766 and 32,767 bytes (1-, 3- and 4-byte characters) and refuses 32,768', async () => {
    // The size the codec counts on is the id Sluice really derives.
    expect(MESSAGE_ID_LENGTH).toBe(SENT_MESSAGE_ID_LENGTH);
    expect(deriveMessageId('w', 's', 'k', 1, 'h')).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(deriveMessageId('w', 's', 'k', 1)).toHaveLength(SENT_MESSAGE_ID_LENGTH);

    const result = await run('sized');
    expect(result.counts).toMatchObject({ extracted: 5, succeeded: 4, invalid: 1, failed: 0 });
    expect(await invalidReasons(result.run_id)).toEqual(['5:message_too_large']);
    const sizes = sentMessages()
      .map(({ message, bytes }) => `${String(message.userId)}:${bytes}`)
      .sort();
    expect(sizes).toEqual([
      `size-a:${MAX_MESSAGE_BYTES - 1}`,
      `size-b:${MAX_MESSAGE_BYTES}`,
      `size-c:${MAX_MESSAGE_BYTES}`,
      `size-d:${MAX_MESSAGE_BYTES}`,
    ]);
    // The referee took every one of them: no request refused, nothing discarded.
    expect(receiver.stats()).toMatchObject({ rejectedRequests: 0, discarded: 0 });
    expect(receiver.messages().filter((m) => m.type === 'track')).toHaveLength(4);
  });
});

describe('timestamps, ids and event names', () => {
  it('refuses a null (even with nulls: skip) or out-of-range event timestamp and blank ids and names; truncates µs', async () => {
    const result = await run('times');
    expect(result.counts).toMatchObject({ extracted: 7, succeeded: 2, invalid: 5 });
    expect(await invalidReasons(result.run_id)).toEqual([
      '2:invalid_timestamp',
      '3:invalid_timestamp',
      '4:invalid_timestamp',
      '5:missing_identity',
      '6:missing_event',
    ]);
    const tracks = receiver.messages().filter((m) => m.type === 'track' && /^u[17]$/.test(String(m.userId)));
    expect(tracks.map((m) => [m.userId, m.originalTimestamp]).sort()).toEqual([
      ['u1', '2024-01-02T03:04:05.678Z'],
      ['u7', '2024-01-01T00:00:00.000Z'],
    ]);
  });

  it('stamps a user whose timestamp is null, refuses one out of range; JSON numbers arrive exact', async () => {
    const before = new Date().toISOString();
    const result = await run('people');
    expect(result.counts).toMatchObject({ extracted: 3, succeeded: 2, invalid: 1 });
    expect(await invalidReasons(result.run_id)).toEqual(['2:invalid_timestamp']);
    const users = receiver.messages().filter((m) => m.type === 'identify');
    const one = users.find((m) => m.userId === '1')!;
    expect(String(one.originalTimestamp) >= before).toBe(true); // stamped when planned
    expect(one.traits).toEqual({ big: '1e400', tiny: '1e-400', long: '12345678901234567890.5', ok: 1.5 });
    expect(users.find((m) => m.userId === '3')!.originalTimestamp).toBe('2024-05-06T07:08:09.123Z');
  });
});

describe('context.library', () => {
  it('is a config error naming the line and the fix, not a silent replacement', async () => {
    const { dir: other, cleanup: done } = await tempWorkspace();
    try {
      await writeYaml(
        other,
        `sources:
  warehouse: { type: duckdb, path: warehouse.duckdb }
destinations:
  segment: { type: segment, write_key: test-key, endpoint: "${proxy.url}" }
models:
  m: { source: warehouse, sql: "select 1 as id" }
syncs:
  s:
    model: m
    destination: segment
    object: user
    key: id
    mappings:
      context.library.name: { constant: my-app }
`,
      );
      const result = await sluice('-w', other, 'check');
      expect(result.code).toBe(2);
      const text = result.stdout + result.stderr;
      expect(text).toContain('sluice.yaml:14');
      expect(text).toContain('writes context.library, which Sluice sets itself');
      expect(text).toContain('context.source_library');
    } finally {
      await done();
    }
  });
});
