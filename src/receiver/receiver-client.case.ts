import { request } from 'undici';
import type { Receiver } from './receiver.js';

/** Shared by the receiver's HTTP tests (a `.case.ts` file: excluded from the build, not a test itself). */

export const KEY = 'test-write-key';

export const basic = (credential: string) => `Basic ${Buffer.from(credential).toString('base64')}`;

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

export const identify = (userId: string, extra: Record<string, unknown> = {}) => ({
  type: 'identify',
  userId,
  ...extra,
});
