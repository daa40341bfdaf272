import { describe, expect, it } from 'vitest';
import { startReceiver } from '../receiver/receiver.js';
import { destinationType, destinationTypes } from './registry.js';

describe('destination registry', () => {
  it('names segment and jsonl-file, and nothing inherited from Object', () => {
    expect(Object.keys(destinationTypes)).toEqual(['segment', 'jsonl-file']);
    expect(destinationType('segment')?.type).toBe('segment');
    expect(destinationType('toString')).toBeUndefined();
    expect(destinationType('hubspot')).toBeUndefined();
    expect(Object.isFrozen(destinationTypes)).toBe(true);
  });

  it('goes from a sluice.yaml entry to a working destination through the type alone', async () => {
    const receiver = await startReceiver({ port: 0, writeKeys: ['yaml-key'] });
    try {
      const type = destinationType('segment')!;
      const parsed = type.parseConfig({
        type: 'segment',
        write_key: 'yaml-key',
        endpoint: `${receiver.url}/`,
      });
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
      const destination = type.create(parsed.config, { version: '0.1.0' });
      try {
        expect(destination.concurrency).toBe(4);
        const prepared = destination.prepare('user', { userId: '7', traits: { plan: 'pro' } });
        if (!prepared.ok) throw new Error(prepared.message);
        const message = destination.encode(prepared, '7', 'registry-msg-1', '2025-01-01T00:00:00.000Z');
        expect(await destination.send([message])).toEqual([{ status: 'succeeded' }]);
        expect(receiver.byMessageId('registry-msg-1')).toMatchObject({
          userId: '7',
          traits: { plan: 'pro' },
        });
        expect(receiver.discards()).toEqual([]);
      } finally {
        await destination.close();
      }
    } finally {
      await receiver.close();
    }
  });
});
