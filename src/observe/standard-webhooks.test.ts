import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook, WebhookVerificationError, webhookHeaders } from './standard-webhooks.js';

// The Standard Webhooks test vector (service-notes §4; checked there against the standardwebhooks
// package 1.3.0 and node:crypto alike).
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const TS = 1614265330;
const BODY = '{"test": 2432232314}';
const SIGNATURE = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
const AT_TS = new Date(TS * 1000);

const headers = (signature = SIGNATURE, ts = TS) => ({
  'webhook-id': ID,
  'webhook-timestamp': String(ts),
  'webhook-signature': signature,
});

describe('signWebhook', () => {
  it('matches the published test vector', () => {
    expect(signWebhook(ID, TS, BODY, SECRET)).toBe(SIGNATURE);
    expect(signWebhook(ID, TS, Buffer.from(BODY), SECRET)).toBe(SIGNATURE);
  });

  it('makes the three headers for a delivery at a time', () => {
    expect(webhookHeaders(ID, BODY, SECRET, AT_TS)).toEqual(headers());
    expect(webhookHeaders(ID, BODY, SECRET, new Date(TS * 1000 + 999))).toEqual(headers());
  });

  it('refuses a secret that is not whsec_ and without quoting it', () => {
    expect(() => signWebhook(ID, TS, BODY, 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toThrow(
      /^not a whsec_ secret of 24 to 64 bytes$/,
    );
  });
});

describe('verifyWebhook', () => {
  it('accepts the vector, with header names in any case or as fetch Headers', () => {
    expect(verifyWebhook(BODY, headers(), SECRET, AT_TS)).toEqual({ id: ID, timestampS: TS });
    expect(
      verifyWebhook(
        Buffer.from(BODY),
        { 'Webhook-Id': ID, 'WEBHOOK-TIMESTAMP': String(TS), 'webhook-signature': SIGNATURE },
        SECRET,
        AT_TS,
      ),
    ).toEqual({ id: ID, timestampS: TS });
    expect(verifyWebhook(BODY, new Headers(headers()), SECRET, AT_TS).id).toBe(ID);
  });

  it('accepts any one matching signature among several (a key rotation)', () => {
    const other = signWebhook(ID, TS, BODY, `whsec_${Buffer.alloc(32, 1).toString('base64')}`);
    expect(verifyWebhook(BODY, headers(`${other} v1a,abc ${SIGNATURE}`), SECRET, AT_TS).id).toBe(ID);
    expect(() => verifyWebhook(BODY, headers(other), SECRET, AT_TS)).toThrow(WebhookVerificationError);
  });

  it('allows 5 minutes of clock difference either way, and no more', () => {
    for (const skew of [-300, 300, -299, 0]) {
      const at = new Date((TS + skew) * 1000);
      expect(verifyWebhook(BODY, headers(), SECRET, at).timestampS).toBe(TS);
    }
    for (const skew of [-301, 301]) {
      expect(() => verifyWebhook(BODY, headers(), SECRET, new Date((TS + skew) * 1000))).toThrow(
        /more than 5 minutes/,
      );
    }
  });

  it('refuses a changed body, id, timestamp or signature, and re-serialised JSON', () => {
    const refuse = (body: string, h: Record<string, string>) =>
      expect(() => verifyWebhook(body, h, SECRET, AT_TS)).toThrow(WebhookVerificationError);
    refuse(JSON.stringify(JSON.parse(BODY)), headers());
    refuse(BODY, { ...headers(), 'webhook-id': 'msg_other' });
    refuse(BODY, headers(SIGNATURE, TS + 1));
    refuse(BODY, headers(SIGNATURE.replace('g0h', 'g0i')));
    refuse(BODY, headers(SIGNATURE.replace('v1,', 'v2,')));
    refuse(BODY, headers('v1,'));
    refuse(BODY, headers(`v1,${SIGNATURE.slice(3, 20)}`));
    refuse(BODY, { 'webhook-id': ID, 'webhook-timestamp': String(TS) });
    refuse(BODY, headers(SIGNATURE, Number.NaN));
    expect(() =>
      verifyWebhook(BODY, headers(), `whsec_${Buffer.alloc(24, 9).toString('base64')}`, AT_TS),
    ).toThrow(/no signature matches/);
  });
});
