import { describe, expect, it } from 'vitest';
import { BodyBuffers, batchBody, batchBodyBytes, batchBodyPrefix, writeBatchBody } from './batch-body.js';
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

  it('writes the same body as bytes, into a buffer it is given when it has room', () => {
    const messages = [message('{"type":"track","n":1}'), message('{"name":"Zoë 😀 \ud800"}'), message('{}')];
    const text = batchBody(batchBodyPrefix(messages), SENT_AT);
    const roomy = Buffer.alloc(1024, 0x78);
    const written = writeBatchBody(messages, SENT_AT, roomy);
    expect(written.toString('utf8')).toBe(Buffer.from(text).toString('utf8'));
    expect(written.equals(Buffer.from(text))).toBe(true);
    expect(written.buffer).toBe(roomy.buffer);
    // Too small a buffer is left alone: the body gets one of its own.
    const small = Buffer.alloc(8, 0x78);
    expect(writeBatchBody(messages, SENT_AT, small).equals(Buffer.from(text))).toBe(true);
    expect(small.toString('latin1')).toBe('xxxxxxxx');
    expect(writeBatchBody([], SENT_AT).toString()).toBe(batchBody(batchBodyPrefix([]), SENT_AT));
  });

  it('counts bytes itself where a message does not say, and builds the exact body where one says wrong', () => {
    const messages = [{ json: '{"name":"Zoë"}' }, { json: '{"n":2}', bytes: 7 }];
    const text = batchBody(batchBodyPrefix(messages), SENT_AT);
    expect(writeBatchBody(messages, SENT_AT).equals(Buffer.from(text))).toBe(true);
    // That message is 15 bytes, not 13: the writes do not add up, and the body is built from its text.
    const wrong = [
      { json: '{"name":"Zoë"}', bytes: 13 },
      { json: '{"n":2}', bytes: 7 },
    ];
    expect(writeBatchBody(wrong, SENT_AT, Buffer.alloc(1024)).equals(Buffer.from(text))).toBe(true);
  });
});

describe('body buffers', () => {
  it('hands back buffers given back, keeping no more than asked', () => {
    const buffers = new BodyBuffers(64, 1);
    const first = buffers.take();
    const second = buffers.take();
    expect(first.length).toBe(64);
    expect(second).not.toBe(first);
    buffers.giveBack(first);
    buffers.giveBack(second);
    expect(buffers.take()).toBe(first);
    expect(buffers.take()).not.toBe(second);
  });
});
