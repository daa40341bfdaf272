import { z } from 'zod';
import {
  NOTIFICATION_TYPES,
  type NotificationType,
  type NotifyTarget,
  Secret,
  type WebhooksConfig,
} from '../core/workspace.js';
import { suggest } from './did-you-mean.js';
import { secretUrl, text } from './field-schemas.js';
import { isMapping, kindOf, own, type Problems, parseEntry, where } from './problems.js';
import type { Path } from './yaml-tree.js';

const TARGET_TYPES = ['webhook', 'slack'] as const;

/** A webhook or Slack URL: plain HTTP is allowed for a receiver on the same host or network. */
const targetUrl = secretUrl(['http:', 'https:'], 'https://hooks.example.com/sluice');

/**
 * A Standard Webhooks secret: `whsec_` and the base64 of 24 to 64 random bytes, which are the HMAC
 * key (service-notes §4). Its text is never put in a message.
 */
const webhookSecret = z.unknown().transform((value, ctx) => {
  const key = typeof value === 'string' ? webhookSecretKey(value) : undefined;
  if (key !== undefined) return new Secret(value as string);
  ctx.issues.push({
    code: 'custom',
    input: '[secret]',
    message: 'must be whsec_ followed by the base64 of 24 to 64 random bytes (not shown: it is a secret)',
    params: { fix: 'make one with: echo "whsec_$(openssl rand -base64 32)"' },
  });
  return z.NEVER;
});

const TARGET_SHAPES = {
  webhook: { type: text, url: targetUrl, secret: webhookSecret.optional() },
  slack: { type: text, url: targetUrl },
} as const;

/**
 * The HMAC key of a `whsec_…` secret, or undefined when `secret` is not one: strict base64 (what
 * Buffer would silently skip is refused) of 24 to 64 bytes.
 */
export function webhookSecretKey(secret: string): Buffer | undefined {
  if (!secret.startsWith('whsec_')) return undefined;
  const encoded = secret.slice('whsec_'.length);
  if (encoded.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return undefined;
  const key = Buffer.from(encoded, 'base64');
  return key.length >= 24 && key.length <= 64 ? key : undefined;
}

/** Validates one `notify.<name>` entry (SPEC §7); undefined when it has problems (all reported to `p`). */
export function parseNotifyTarget(
  p: Problems,
  at: Path,
  name: string,
  raw: unknown,
): NotifyTarget | undefined {
  if (!isMapping(raw)) {
    p.add(at, `${where(at)} must be a mapping, not ${kindOf(raw)}`, 'write it as { type: webhook, url: … }');
    return undefined;
  }
  const type = own(raw, 'type');
  if (type === undefined) {
    p.add(at, `${where(at)} has no type`, `add type: one of ${TARGET_TYPES.join(', ')}`);
    return undefined;
  }
  if (typeof type !== 'string' || !(TARGET_TYPES as readonly string[]).includes(type)) {
    p.add(
      [...at, 'type'],
      `${where(at)} has unknown type ${p.show([...at, 'type'], type)}`,
      suggest(String(type), TARGET_TYPES, ''),
    );
    return undefined;
  }
  const before = p.size;
  const line = p.lineOf(at);
  if (type === 'slack') {
    // A Slack webhook's URL is its credential: there is nothing to sign with, so say so plainly
    // rather than "unknown key".
    const { secret, ...rest } = raw;
    if (secret !== undefined) {
      p.add(
        [...at, 'secret'],
        `${where(at)} is a slack target, which takes no secret: its URL is the credential`,
        'remove secret:, or make it type: webhook for a signed JSON body',
      );
    }
    const v = parseEntry(p, at, TARGET_SHAPES.slack, rest);
    if (p.size > before || v?.url === undefined) return undefined;
    return { name, type: 'slack', url: v.url, line };
  }
  const v = parseEntry(p, at, TARGET_SHAPES.webhook, raw);
  if (p.size > before || v?.url === undefined) return undefined;
  return { name, type: 'webhook', url: v.url, ...(v.secret === undefined ? {} : { secret: v.secret }), line };
}

/**
 * A list of `notify:` target names (`[ops, slack]`, or one name as text), each checked to exist;
 * duplicates are dropped. Undefined when it has problems.
 */
export function parseTargetNames(
  p: Problems,
  at: Path,
  raw: unknown,
  targetNames: readonly string[],
): string[] | undefined {
  const items = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(items) || items.length === 0) {
    p.add(
      at,
      raw === undefined || raw === null
        ? `${where(at)} is missing`
        : `${where(at)} must be a list of notify target names, not ${Array.isArray(raw) ? 'an empty list' : kindOf(raw)}`,
      targetNames.length === 0
        ? 'define a target under notify: (e.g. ops: { type: webhook, url: … }) and name it here'
        : `write notify: [${targetNames[0]}]`,
    );
    return undefined;
  }
  const before = p.size;
  const names: string[] = [];
  items.forEach((item, i) => {
    const itemAt = typeof raw === 'string' ? at : [...at, i];
    if (typeof item !== 'string' || item === '') {
      p.add(itemAt, `${where(itemAt)} must be the name of a notify target, not ${kindOf(item)}`);
    } else if (!targetNames.includes(item)) {
      p.add(
        itemAt,
        `${where(itemAt)} is ${p.show(itemAt, item)}: no notify target has that name`,
        suggest(item, targetNames, 'define it under notify:'),
      );
    } else if (!names.includes(item)) {
      names.push(item);
    }
  });
  return p.size > before ? undefined : names;
}

/**
 * `webhooks: { notify: [names], events: [run.started, …] }` (SPEC §7): which lifecycle events go to
 * which targets, for every sync. Undefined when absent or when it has problems.
 */
export function parseWebhooks(
  p: Problems,
  raw: unknown,
  targetNames: readonly string[],
): WebhooksConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  const at: Path = ['webhooks'];
  const before = p.size;
  const v = parseEntry(p, at, { notify: z.unknown(), events: z.unknown() }, raw);
  if (v === undefined) return undefined;
  const entry = raw as Record<string, unknown>;
  const notify = parseTargetNames(p, [...at, 'notify'], own(entry, 'notify'), targetNames);
  const events = parseEvents(p, [...at, 'events'], own(entry, 'events'));
  if (p.size > before || notify === undefined || events === undefined) return undefined;
  return { notify, events, line: p.lineOf(at) };
}

function parseEvents(p: Problems, at: Path, raw: unknown): NotificationType[] | undefined {
  const all = NOTIFICATION_TYPES.join(', ');
  const items = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(items) || items.length === 0) {
    p.add(
      at,
      raw === undefined || raw === null
        ? `${where(at)} is missing`
        : `${where(at)} must be a list of events, not ${Array.isArray(raw) ? 'an empty list' : kindOf(raw)}`,
      `write events: [run.failed, alert.raised], any of: ${all}`,
    );
    return undefined;
  }
  const before = p.size;
  const events: NotificationType[] = [];
  items.forEach((item, i) => {
    const itemAt = typeof raw === 'string' ? at : [...at, i];
    if (typeof item === 'string' && (NOTIFICATION_TYPES as readonly string[]).includes(item)) {
      if (!events.includes(item as NotificationType)) events.push(item as NotificationType);
      return;
    }
    p.add(
      itemAt,
      `${where(itemAt)} is ${p.show(itemAt, item)}, which is not an event`,
      typeof item === 'string' ? suggest(item, NOTIFICATION_TYPES, '') : `use one of: ${all}`,
    );
  });
  return p.size > before ? undefined : events;
}
