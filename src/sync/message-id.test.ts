import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { deriveMessageId, MESSAGE_ID_LENGTH, messageIdNamespace } from './message-id.js';

describe('deriveMessageId', () => {
  // Pinned values: a messageId must never change for the same input, or an upgrade would resend
  // every pending change under a new id and Segment's dedup (by messageId only) would not drop it.
  // These were computed by the original createHash('sha256') implementation. The workspace_id of
  // sluice.yaml and the store's epoch (messageIdNamespace below) changed which workspace id goes in,
  // not how an id is derived from it: these stay as they were.
  test.each([
    ['ws_1', 'users-to-segment', '42', 1, 'sl-RossUAsIeolPceiMTxjRpOIJvnRKZPDHZDc_wmFbRR4'],
    ['ws_1', 'users-to-segment', '42', 2, 'sl-id72-o_eBzov6sn7rEyOJnrfY0LQ2zo0qq5LzLelpcQ'],
    ['', '', '', 0, 'sl-LBn8Mov8yrkj7gktkSOpzMn7N7vw0sZdL-ErZoT_SFc'],
    [
      'wörkspace',
      'sync 🚀',
      'clé "quoted"\\',
      9007199254740991,
      'sl-Ov5ajeGxUSdIYn1D_OTLvtQDCwwORjMrkCunw0IEBPk',
    ],
    ['ws', 'events', '{"a":[1,2]}', 17, 'sl-smwG1nT4Hl7OfckRqiTwHzXvJTtN7JyFinNBnpSkzc0'],
    ['ws', 'sync', 'lone \ud800 surrogate', 3, 'sl-B6idqLPaFJb5r031xEzM402tv2Bewo-IIn0F__Ylqsg'],
    ['ws', 'sync', 'x'.repeat(5000), 1, 'sl-rUXJ16EQDAWByYCoe5iKek4dAmoc8vyjLNbUpHJFbD0'],
  ])('(%j, %j, %j, %j) is %s', (workspace, sync, key, generation, id) => {
    expect(deriveMessageId(workspace, sync, key, generation)).toBe(id);
  });

  test('with a payload hash, is another id per hash, and the same id for the same hash', () => {
    const base = deriveMessageId('ws', 'users', '42', 1);
    const a = deriveMessageId('ws', 'users', '42', 1, 'hash-a');
    expect(a).toBe(
      `sl-${createHash('sha256').update('ws\u0000users\u000042\u00001\u0000hash-a').digest('base64url')}`,
    );
    expect(deriveMessageId('ws', 'users', '42', 1, 'hash-a')).toBe(a);
    expect(deriveMessageId('ws', 'users', '42', 1, 'hash-b')).not.toBe(a);
    expect(a).not.toBe(base);
    expect(a).toHaveLength(MESSAGE_ID_LENGTH);
  });

  test('is sl- and the base64url SHA-256 of the NUL-joined inputs, 46 characters, for any input', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.string({ unit: 'binary' }),
        fc.string({ unit: 'binary' }),
        fc.nat(),
        (workspace, sync, key, generation) => {
          const expected = createHash('sha256')
            .update(`${workspace}\u0000${sync}\u0000${key}\u0000${generation}`)
            .digest('base64url');
          const id = deriveMessageId(workspace, sync, key, generation);
          expect(id).toBe(`sl-${expected}`);
          expect(id).toHaveLength(MESSAGE_ID_LENGTH);
        },
      ),
    );
  });
});

describe('messageIdNamespace', () => {
  test("events take sluice.yaml's workspace_id, so a lost state resends them under the same ids", () => {
    expect(messageIdNamespace('send-once', 'store-id', 'yaml-workspace-id')).toBe('yaml-workspace-id');
    expect(messageIdNamespace('send-once', 'store-id', undefined)).toBe('store-id');
  });

  test("users and groups take the store's id, their epoch: a new state, new ids", () => {
    expect(messageIdNamespace('upsert', 'store-id', 'yaml-workspace-id')).toBe('store-id');
    expect(messageIdNamespace('upsert', 'store-id', undefined)).toBe('store-id');
  });
});
