import { createHmac, timingSafeEqual } from 'node:crypto';
import { webhookSecretKey } from '../workspace/parse-notify.js';

/**
 * The Standard Webhooks signing scheme (SPEC §7; standard-webhooks/standard-webhooks
 * `spec/standard-webhooks.md`, summed up in service-notes §4), on node:crypto:
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed with the bytes a
 * `whsec_…` secret encodes. Tested against the scheme's published vector.
 */

/** How far a `webhook-timestamp` may be from now, either way, before verify refuses it (the spec's 5 min). */
export const TIMESTAMP_TOLERANCE_S = 5 * 60;

/** `v1,<base64>`: the signature of one message at one time (seconds since the epoch). */
export function signWebhook(id: string, timestampS: number, body: string | Buffer, secret: string): string {
  const key = keyOf(secret);
  const mac = createHmac('sha256', key).update(`${id}.${timestampS}.`).update(body).digest('base64');
  return `v1,${mac}`;
}

/** The three headers of a signed delivery; `now` is when it is sent. */
export function webhookHeaders(
  id: string,
  body: string,
  secret: string,
  now: Date = new Date(),
): { 'webhook-id': string; 'webhook-timestamp': string; 'webhook-signature': string } {
  const timestampS = Math.floor(now.getTime() / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampS),
    'webhook-signature': signWebhook(id, timestampS, body, secret),
  };
}

/** Why verifyWebhook refused a delivery. */
export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError';
}

/**
 * Checks a received delivery as a consumer must: the three headers are there, the timestamp is
 * within ±5 minutes of `now`, and one of the space-separated `v1,…` signatures (several during a
 * key rotation) matches the raw body, compared in constant time. Headers may be a plain object (any
 * case of names) or a fetch `Headers`. Answers the id and timestamp; throws
 * WebhookVerificationError otherwise. The body must be the bytes as received, not re-serialised JSON.
 */
export function verifyWebhook(
  body: string | Buffer,
  headers: Headers | Readonly<Record<string, string | string[] | undefined>>,
  secret: string,
  now: Date = new Date(),
): { id: string; timestampS: number } {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (id === undefined || timestamp === undefined || signatures === undefined) {
    throw new WebhookVerificationError('missing webhook-id, webhook-timestamp or webhook-signature');
  }
  if (!/^\d{1,15}$/.test(timestamp)) throw new WebhookVerificationError('webhook-timestamp is not a number');
  const timestampS = Number(timestamp);
  const nowS = Math.floor(now.getTime() / 1000);
  if (Math.abs(nowS - timestampS) > TIMESTAMP_TOLERANCE_S) {
    throw new WebhookVerificationError('webhook-timestamp is more than 5 minutes from now');
  }
  const expected = Buffer.from(signWebhook(id, timestampS, body, secret).slice('v1,'.length), 'base64');
  for (const signature of signatures.split(' ')) {
    const [version, encoded] = signature.split(',', 2);
    if (version !== 'v1' || encoded === undefined) continue;
    const given = Buffer.from(encoded, 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { id, timestampS };
  }
  throw new WebhookVerificationError('no signature matches');
}

function keyOf(secret: string): Buffer {
  const key = webhookSecretKey(secret);
  // The workspace parser checks every secret; this is a programming error, and says nothing of it.
  if (key === undefined) throw new Error('not a whsec_ secret of 24 to 64 bytes');
  return key;
}

function header(
  headers: Headers | Readonly<Record<string, string | string[] | undefined>>,
  name: string,
): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    return Array.isArray(value) ? value.join(' ') : value;
  }
  return undefined;
}
