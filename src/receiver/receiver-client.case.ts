// Shared by the receiver's HTTP tests: a `.case.ts` file, so excluded from the build and not a test itself.
import { request } from 'undici';
import type { Receiver } from './receiver.js';

/** The write key the helpers authenticate with. */
export const KEY = 'test-write-key';

/** An HTTP Basic `Authorization` value for a raw credential such as `"key:"`. */
export const basic = (credential: string) => `Basic ${Buffer.from(credential).toString('base64')}`;

/** Extra headers (they override the defaults) or a raw body. */
export interface PostOptions {
  headers?: Record<string, string>;
  /** Raw body instead of JSON.stringify(body). */
  raw?: string | Buffer;
}

/** POSTs JSON with Basic auth for KEY (override with `headers`); returns status, headers and parsed body. */
export async function post(r: Receiver, path: string, body: unknown, options: PostOptions = {}) {
  const res = await request(`${r.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic(`${KEY}:`), ...options.headers },
    body: options.raw ?? JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: JSON.parse(text) as Record<string, unknown> };
}

/** A minimal identify message, with any extra fields. */
export const identify = (userId: string, extra: Record<string, unknown> = {}) => ({
  type: 'identify',
  userId,
  ...extra,
});
