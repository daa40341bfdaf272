import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeDestinationConformance } from '../destination-conformance.case.js';
import { destinationType } from '../registry.js';
import type { JsonlFileDestination } from './jsonl-file-destination.js';

// Through the registry, as the CLI finds it: the type's one line there is what makes it usable.
const type = destinationType('jsonl-file')!;

describeDestinationConformance(
  type,
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-jsonl-'));
    const path = join(dir, 'messages.jsonl');
    const parsed = type.parseConfig({ type: 'jsonl-file', path });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const destination = type.create(parsed.config, { version: '0.0.0-test' }) as JsonlFileDestination;
    let writesBefore = 0;
    const lines = async () => {
      const text = await readFile(path, 'utf8').catch(() => '');
      return text.split('\n').filter((line) => line !== '');
    };
    return {
      destination,
      deliveredIds: async () => {
        const ids = new Set<string>();
        for (const line of await lines()) {
          try {
            ids.add(String((JSON.parse(line) as { messageId: unknown }).messageId));
          } catch {
            // counted by droppedCount
          }
        }
        return [...ids];
      },
      droppedCount: async () => {
        let dropped = 0;
        for (const line of await lines()) {
          try {
            JSON.parse(line);
          } catch {
            dropped++;
          }
        }
        return dropped;
      },
      // A file never refuses a whole append; each append is one request.
      requestCounts: async () => ({ requests: destination.writes - writesBefore, refused: 0 }),
      reset: async () => {
        await writeFile(path, '');
        writesBefore = destination.writes;
      },
      // A line break inside a message would split it into two broken lines: the file refuses it alone.
      poison: (key, messageId) => {
        const json = `{"object":"event",\n"id":${JSON.stringify(key)},"messageId":${JSON.stringify(messageId)}}`;
        return { key, messageId, json, bytes: Buffer.byteLength(json) };
      },
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  },
  {
    valid: [
      { object: 'user', payload: { id: '42', data: { email: 'zoë@example.com', plan: null, tags: ['a'] } } },
      { object: 'user', payload: { id: 'u-2' } },
      { object: 'group', payload: { id: 'acme', data: { name: 'Acme 😀', employees: 12 } } },
      { object: 'event', payload: { data: { revenue: 19.99, currency: 'EUR' } } },
    ],
    invalid: [
      { object: 'user', payload: { data: { email: 'x' } }, reason: 'missing_identity' },
      { object: 'group', payload: { id: ' ' }, reason: 'missing_identity' },
      { object: 'user', payload: { id: '1', data: ['x'] }, reason: 'not_an_object' },
      { object: 'event', payload: { data: 'p' }, reason: 'not_an_object' },
      {
        object: 'user',
        payload: { id: '1', data: { big: 'x'.repeat(70_000) } },
        reason: 'message_too_large',
      },
    ],
    filler: (object, n) => {
      const blob = 'é'.repeat(Math.floor(n / 4)) + 'x'.repeat(n - 2 * Math.floor(n / 4));
      return object === 'event' ? { data: { blob } } : { id: 'k1', data: { blob } };
    },
  },
);
