// The loader packs by the destination's own byte counting (DestinationLimits.batchBytes), not by an
// assumed JSON array: a JSON-lines file counts a newline per message where Segment counts commas.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Destination, EncodedMessage } from '../destinations/destination.js';
import { destinationType } from '../destinations/registry.js';
import { Loader } from './load.js';

let dir: string;
let path: string;
let destination: Destination;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-load-bytes-'));
  path = join(dir, 'out.jsonl');
  const type = destinationType('jsonl-file')!;
  const parsed = type.parseConfig({ type: 'jsonl-file', path });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  destination = type.create(parsed.config, { version: '0.0.0-test' });
});

afterAll(async () => {
  await destination?.close();
  await rm(dir, { recursive: true, force: true });
});

/** A JSON line of exactly `bytes` ASCII bytes. */
function line(n: number, bytes: number): EncodedMessage {
  const head = `{"n":${n},"pad":"`;
  const json = `${head}${'x'.repeat(bytes - head.length - 2)}"}`;
  return { key: String(n), messageId: `m${n}`, json, bytes: Buffer.byteLength(json) };
}

it('closes a batch where the destination says its bytes run out', async () => {
  const { maxBatchBytes, maxMessageBytes, batchBytes } = destination.limits;
  // 15 messages of max−1 bytes and one of max: with a comma between messages they would fit the
  // budget exactly, with a newline after each they are one byte over it.
  const messages = [
    ...Array.from({ length: 15 }, (_, i) => line(i, maxMessageBytes - 1)),
    line(15, maxMessageBytes),
  ];
  const sum = messages.reduce((total, m) => total + m.bytes, 0);
  expect(sum + messages.length - 1).toBe(maxBatchBytes);
  expect(batchBytes(sum, messages.length)).toBe(maxBatchBytes + 1);

  const sizes: number[] = [];
  const loader = new Loader(destination, async (batch, outcomes) => {
    sizes.push(batch.length);
    expect(outcomes.every((o) => o.status === 'succeeded')).toBe(true);
  });
  for (const message of messages) await loader.push(message, undefined);
  await loader.finish();
  expect(sizes).toEqual([15, 1]);
  const written = (await readFile(path, 'utf8')).split('\n').filter((l) => l !== '');
  expect(written).toHaveLength(16);
});
