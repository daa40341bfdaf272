import { describe, expect, it } from 'vitest';
import { batchBody, batchBodyBytes, batchBodyPrefix } from './batch-body.js';
import { ENVELOPE_BYTES, MAX_BATCH_BYTES, MAX_BATCH_MESSAGES, MAX_REQUEST_BYTES } from './segment-limits.js';

const SENT_AT = '2025-06-01T12:00:00.000Z';

function message(json: string) {
  return { json, bytes: Buffer.byteLength(json) };
}

describe('batch body', () => {
  it('wraps the messages without re-serialising them, with sentAt and no writeKey', () => {
    const messages = [message('{"type":"track","n":1}'), message('{"type":"identify","name":"Zoë 😀"}')];
    const body = batchBody(batchBodyPrefix(messages), SENT_AT);
    expect(body).toBe(
      `{"batch":[{"type":"track","n":1},{"type":"identify","name":"Zoë 😀"}],"sentAt":"${SENT_AT}"}`,
    );
    expect(JSON.parse(body)).toEqual({
      batch: [
        { type: 'track', n: 1 },
        { type: 'identify', name: 'Zoë 😀' },
      ],
      sentAt: SENT_AT,
    });
    expect(body).not.toContain('writeKey');
    expect(batchBodyBytes(messages)).toBe(Buffer.byteLength(body));
  });

  it('handles one message and none', () => {
    expect(batchBody(batchBodyPrefix([message('{}')]), SENT_AT)).toBe(`{"batch":[{}],"sentAt":"${SENT_AT}"}`);
    const empty = batchBody(batchBodyPrefix([]), SENT_AT);
    expect(JSON.parse(empty)).toEqual({ batch: [], sentAt: SENT_AT });
    expect(batchBodyBytes([])).toBe(Buffer.byteLength(empty));
    expect(ENVELOPE_BYTES).toBe(Buffer.byteLength(empty));
  });

  it('keeps a full batch under Segment’s 500 KB cap: maxBatchBytes plus every comma and the envelope', () => {
    const share = Math.floor(MAX_BATCH_BYTES / MAX_BATCH_MESSAGES);
    const worst = Array.from({ length: MAX_BATCH_MESSAGES }, (_, i) => ({
      bytes: i === 0 ? MAX_BATCH_BYTES - share * (MAX_BATCH_MESSAGES - 1) : share,
    }));
    expect(batchBodyBytes(worst)).toBe(MAX_BATCH_BYTES + MAX_BATCH_MESSAGES - 1 + ENVELOPE_BYTES);
    expect(batchBodyBytes(worst)).toBeLessThan(MAX_REQUEST_BYTES);
  });
});
