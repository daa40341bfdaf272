import type { IncomingMessage } from 'node:http';
import { gunzipSync } from 'node:zlib';

/**
 * Bytes kept in memory while reading a body. Anything past the receiver's own limits (500 KB) is
 * going to be refused anyway, so past this cap the rest is read and thrown away: draining, not
 * closing, lets the client read our 400 instead of a reset socket, and keeps the connection reusable.
 */
const KEEP_CAP = 4 * 1024 * 1024;
/** Past this, a client is not a test sender but a fire hose: stop reading and drop the connection. */
const DRAIN_CAP = 64 * 1024 * 1024;

/** A request body as read: `bytes` is the whole length, even when `body` stopped at the keep cap. */
export interface RawBody {
  body: Buffer;
  bytes: number;
  truncated: boolean;
}

/**
 * Reads a request body as Buffer chunks and joins them once. Rejects when the client aborts, or
 * when the body is absurdly large (the socket is destroyed then; there is no one to answer).
 */
export function readRequestBody(req: IncomingMessage): Promise<RawBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let kept = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > DRAIN_CAP) {
        req.destroy();
        reject(new Error(`request body over ${DRAIN_CAP} bytes`));
        return;
      }
      if (kept + chunk.length <= KEEP_CAP) {
        chunks.push(chunk);
        kept += chunk.length;
      }
    });
    req.on('end', () => {
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, kept);
      resolve({ body, bytes, truncated: kept < bytes });
    });
    req.on('error', reject);
    // 'close' before 'end' means the client went away mid-body (a settled promise ignores a late call).
    req.on('close', () => {
      if (!req.complete) reject(new Error('request aborted'));
    });
  });
}

/** The decoded body, or why it cannot be decoded: too large once inflated, or not valid gzip. */
export type DecodedBody =
  | { ok: true; body: Buffer }
  | { ok: false; reason: 'too_large' | 'bad_encoding' | 'unsupported_encoding' };

/**
 * Undoes `Content-Encoding`. analytics-python can gzip its bodies (segment-contract.md §1 "gzip"), so
 * gzip is accepted; Segment's size limits then apply to the inflated JSON, which is what the limits
 * are about. Inflation stops one byte past `limit`, so a gzip bomb costs nothing.
 */
export function decodeBody(raw: RawBody, contentEncoding: string | undefined, limit: number): DecodedBody {
  const encoding = (contentEncoding ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') {
    return raw.truncated ? { ok: false, reason: 'too_large' } : { ok: true, body: raw.body };
  }
  if (encoding !== 'gzip' && encoding !== 'x-gzip') return { ok: false, reason: 'unsupported_encoding' };
  if (raw.truncated) return { ok: false, reason: 'too_large' };
  try {
    const body = gunzipSync(raw.body, { maxOutputLength: limit + 1 });
    return { ok: true, body };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return { ok: false, reason: code === 'ERR_BUFFER_TOO_LARGE' ? 'too_large' : 'bad_encoding' };
  }
}
