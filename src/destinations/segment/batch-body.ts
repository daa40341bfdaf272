/**
 * The `/v1/batch` request body, built by string concatenation around the messages' JSON so that no
 * message is serialised twice: `{"batch":[m1,m2,…],"sentAt":"<ISO>"}`
 * (segment-contract.md §1 "batch body"). `sentAt` is set per attempt: Segment corrects timestamps
 * by `receivedAt − sentAt` (§3.1), so it must be the time this very request left.
 *
 * No `writeKey` in the body: the Basic `Authorization` header suffices (§1 "auth (a)"), and keeping
 * the key out of the body keeps it out of anything that logs or stores request bodies.
 */
export function batchBodyPrefix(messages: readonly { json: string }[]): string {
  let text = '{"batch":[';
  for (let i = 0; i < messages.length; i++) {
    text += i === 0 ? messages[i]!.json : `,${messages[i]!.json}`;
  }
  return `${text}],"sentAt":"`;
}

/** Completes a prefix from `batchBodyPrefix` with the send time. */
export function batchBody(prefix: string, sentAt: string): string {
  return `${prefix}${sentAt}"}`;
}

/** UTF-8 bytes of a body from `batchBodyPrefix`: the envelope, the commas and the messages. */
export function batchBodyBytes(messages: readonly { bytes: number }[], sentAtLength = 24): number {
  let bytes = '{"batch":['.length + '],"sentAt":"'.length + sentAtLength + '"}'.length;
  for (const m of messages) bytes += m.bytes;
  return bytes + Math.max(0, messages.length - 1);
}

/**
 * The body of `messages` with `sentAt` as UTF-8, written into `into` when it has room (the client
 * hands back buffers of its earlier requests, see BodyBuffers) or else into a new buffer of its own.
 * Built as a string and then encoded, a 450 KB body cost ≈ 2.7 ms here — V8 flattens the joined
 * string into a fresh large object, then encodes it into a fresh buffer, and fresh pages fault —
 * against ≈ 0.2–0.4 ms for these writes into a buffer already used (bench/README.md, Run H). A
 * message's `bytes` (its UTF-8 length, as the destination counted it to pack the batch) says where
 * the next one starts; one that was counted wrong gets the body built the slow, exact way.
 */
export function writeBatchBody(
  messages: readonly { json: string; bytes?: number }[],
  sentAt: string,
  into?: Buffer,
): Buffer {
  let size = ENVELOPE_START.length + ENVELOPE_SENT_AT.length + Buffer.byteLength(sentAt) + 2;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    size += (m.bytes ?? Buffer.byteLength(m.json)) + (i === 0 ? 0 : 1);
  }
  const buffer = into !== undefined && into.length >= size ? into : Buffer.allocUnsafe(size);
  let at = buffer.write(ENVELOPE_START, 0, 'latin1');
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    if (i > 0) buffer[at++] = COMMA;
    const written = buffer.write(m.json, at, 'utf8');
    if (written !== (m.bytes ?? written)) return Buffer.from(batchBody(batchBodyPrefix(messages), sentAt));
    at += written;
  }
  at += buffer.write(ENVELOPE_SENT_AT, at, 'latin1');
  at += buffer.write(sentAt, at, 'utf8');
  at += buffer.write('"}', at, 'latin1');
  return buffer.subarray(0, at);
}

const ENVELOPE_START = '{"batch":[';
const ENVELOPE_SENT_AT = '],"sentAt":"';
const COMMA = 0x2c;

/**
 * Request buffers a client reuses: a body written into a buffer whose pages are already mapped
 * costs a fraction of one written into a fresh one (writeBatchBody). A buffer comes back only once
 * its request was answered with success — Segment read the whole body — so no buffer is rewritten
 * while a socket may still be sending it; one whose request failed is left to the collector.
 */
export class BodyBuffers {
  readonly #free: Buffer[] = [];
  readonly #size: number;
  readonly #keep: number;

  /** Buffers of `size` bytes (Segment's request cap), at most `keep` of them kept free. */
  constructor(size: number, keep: number) {
    this.#size = size;
    this.#keep = keep;
  }

  take(): Buffer {
    return this.#free.pop() ?? Buffer.allocUnsafeSlow(this.#size);
  }

  /** The request of a body written into `taken` was answered with success: write it again. */
  giveBack(taken: Buffer): void {
    if (this.#free.length < this.#keep) this.#free.push(taken);
  }
}
