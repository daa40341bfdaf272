import { Secret } from '../../core/workspace.js';
import { startReceiver } from '../../receiver/receiver.js';
import { describeDestinationConformance } from '../destination-conformance.case.js';
import { createSegmentDestination } from './segment-destination.js';
import { segmentDestinationType } from './segment-destination-type.js';

const WRITE_KEY = 'conformance-write-key';

describeDestinationConformance(
  segmentDestinationType,
  async () => {
    const receiver = await startReceiver({ port: 0, writeKeys: [WRITE_KEY] });
    const destination = createSegmentDestination(
      {
        type: 'segment',
        writeKey: new Secret(WRITE_KEY),
        region: 'us',
        endpoint: receiver.url,
        concurrency: 2,
        timeoutMs: 5000,
      },
      { version: '0.0.0-test', retry: { maxAttempts: 3, minDelayMs: 1, maxDelayMs: 5 } },
    );
    return {
      destination,
      deliveredIds: async () => receiver.messages().map((m) => String(m.messageId)),
      droppedCount: async () => receiver.discards().length,
      requestCounts: async () => {
        const stats = receiver.stats();
        return { requests: stats.requests, refused: stats.rejectedRequests };
      },
      reset: async () => receiver.reset(),
      // One message over Segment's 32 KB: the whole request gets a 400 (segment-contract.md §2).
      poison: (key, messageId) => {
        const json = `{"type":"track","userId":"u","event":"Big","properties":{"blob":"${'x'.repeat(33_000)}"},"messageId":"${messageId}"}`;
        return { key, messageId, json, bytes: Buffer.byteLength(json) };
      },
      cleanup: () => receiver.close(),
    };
  },
  {
    valid: [
      {
        object: 'user',
        payload: { userId: '42', traits: { email: 'zoë@example.com', plan: null, tags: ['a', 'b'] } },
      },
      {
        object: 'user',
        payload: { anonymousId: 'anon-1', timestamp: '2024-01-02 03:04:05', context: { ip: '10.0.0.1' } },
      },
      {
        object: 'group',
        payload: { userId: '42', groupId: 'acme', traits: { name: 'Acme 😀', employees: 12 } },
      },
      {
        object: 'event',
        payload: {
          userId: '42',
          event: 'Order Completed',
          timestamp: '2024-01-02T03:04:05.678+01:00',
          properties: { revenue: 19.99, currency: 'EUR' },
          integrations: { All: false, Mixpanel: true },
        },
      },
    ],
    invalid: [
      { object: 'user', payload: { traits: { email: 'x' } }, reason: 'missing_identity' },
      { object: 'user', payload: { userId: '' }, reason: 'missing_identity' },
      { object: 'group', payload: { userId: '1' }, reason: 'missing_group_id' },
      { object: 'group', payload: { groupId: 'g' }, reason: 'missing_identity' },
      { object: 'event', payload: { userId: '1', event: '' }, reason: 'missing_event' },
      { object: 'user', payload: { userId: ' \t' }, reason: 'missing_identity' },
      { object: 'group', payload: { userId: '1', groupId: '  ' }, reason: 'missing_group_id' },
      { object: 'event', payload: { userId: '1', event: '\u3000' }, reason: 'missing_event' },
      { object: 'event', payload: { userId: '1', event: 'E', timestamp: null }, reason: 'invalid_timestamp' },
      {
        object: 'event',
        payload: { userId: '1', event: 'E', timestamp: '+275761-09-13T00:00:00.000Z' },
        reason: 'invalid_timestamp',
      },
      {
        object: 'event',
        payload: { userId: '1', event: 'E', timestamp: '31/12/2024' },
        reason: 'invalid_timestamp',
      },
      { object: 'user', payload: { userId: '1', traits: ['x'] }, reason: 'not_an_object' },
      { object: 'event', payload: { userId: '1', event: 'E', properties: 'p' }, reason: 'not_an_object' },
      {
        object: 'user',
        payload: { userId: '1', traits: { big: 'x'.repeat(40_000) } },
        reason: 'message_too_large',
      },
    ],
    filler: (object, n) => {
      const blob = 'é'.repeat(Math.floor(n / 4)) + 'x'.repeat(n - 2 * Math.floor(n / 4));
      if (object === 'user') return { userId: 'u1', traits: { blob } };
      if (object === 'group') return { userId: 'u1', groupId: 'g1', traits: { blob } };
      return { userId: 'u1', event: 'Filled', properties: { blob } };
    },
  },
);
