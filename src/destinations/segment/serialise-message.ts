import type { ObjectKind } from '../../core/workspace.js';
import { SEGMENT_CALLS } from './segment-objects.js';

/**
 * The text of `JSON.stringify({ type, userId, anonymousId, groupId, event, timestamp,
 * traits | properties, integrations, context })` with the undefined fields left out, built by
 * concatenation: the ids are validated strings and the timestamp canonical ASCII, so only the
 * objects go through JSON.stringify and no ten-field wrapper is allocated and walked per message
 * (≈ 0.1 µs of ≈ 1.3 µs in `prepare` for the bench's users, scratch/codec-ab.mts). An object with a
 * `toJSON` method (which JSON.stringify would call with its field name, not ""; or one put on
 * Object.prototype, which the wrapper would inherit) takes the wrapper path, so the text is the same
 * in every case.
 */
export function serialiseMessage(
  object: ObjectKind,
  userId: string | undefined,
  anonymousId: string | undefined,
  groupId: string | undefined,
  event: string | undefined,
  timestamp: string | undefined,
  bag: 'traits' | 'properties',
  bagValue: Record<string, unknown>,
  integrations: Record<string, unknown> | undefined,
  /** Undefined for an empty context: `{}`. */
  context: Record<string, unknown> | undefined,
): string {
  if (hasToJson(WRAPPER) || hasToJson(bagValue) || hasToJson(integrations) || hasToJson(context)) {
    return JSON.stringify({
      type: SEGMENT_CALLS[object],
      userId,
      anonymousId,
      groupId,
      event,
      timestamp,
      traits: bag === 'traits' ? bagValue : undefined,
      properties: bag === 'properties' ? bagValue : undefined,
      integrations,
      context: context ?? {},
    });
  }
  let json = TYPE_OPENERS[object];
  if (userId !== undefined) json += `,"userId":${quote(userId)}`;
  if (anonymousId !== undefined) json += `,"anonymousId":${quote(anonymousId)}`;
  if (groupId !== undefined) json += `,"groupId":${quote(groupId)}`;
  if (event !== undefined) json += `,"event":${quote(event)}`;
  if (timestamp !== undefined) json += `,"timestamp":"${timestamp}"`;
  json += bag === 'traits' ? ',"traits":' : ',"properties":';
  json += JSON.stringify(bagValue);
  if (integrations !== undefined) json += `,"integrations":${JSON.stringify(integrations)}`;
  return `${json},"context":${context === undefined ? '{}' : contextText(context)}}`;
}

/**
 * The last frozen context of plain values and its JSON text. A mapping whose context holds only
 * constants (`context.source: { constant: warehouse }`) gives every row the same frozen object
 * (mapping/node-evaluator.ts), so its text is made once per run instead of once per message. A
 * frozen object whose own properties are all data properties holding strings, numbers, booleans or
 * null cannot change, nor can its text (a Proxy's invariants forbid it to report other values); a
 * toJSON sends the message down the wrapper path before this is reached.
 */
let lastContext: Record<string, unknown> | undefined;
let lastContextText = '';

function contextText(context: Record<string, unknown>): string {
  if (context === lastContext) return lastContextText;
  const text = JSON.stringify(context);
  if (Object.isFrozen(context) && holdsOnlyScalars(context)) {
    lastContext = context;
    lastContextText = text;
  }
  return text;
}

function holdsOnlyScalars(record: Record<string, unknown>): boolean {
  for (const descriptor of Object.values(Object.getOwnPropertyDescriptors(record))) {
    if (!('value' in descriptor)) return false;
    const value: unknown = descriptor.value;
    if (
      value !== null &&
      typeof value !== 'string' &&
      typeof value !== 'number' &&
      typeof value !== 'boolean'
    )
      return false;
  }
  return true;
}

/** `{"type":"identify"` and the like: the start of every message of that kind. */
const TYPE_OPENERS: Readonly<Record<ObjectKind, string>> = {
  user: `{"type":"${SEGMENT_CALLS.user}"`,
  group: `{"type":"${SEGMENT_CALLS.group}"`,
  event: `{"type":"${SEGMENT_CALLS.event}"`,
};

/** Stands for the wrapper object and an empty context: a `toJSON` on Object.prototype reaches them. */
const WRAPPER: Record<string, unknown> = {};

function hasToJson(value: Record<string, unknown> | undefined): boolean {
  return value !== undefined && typeof value.toJSON === 'function';
}

/** `JSON.stringify(text)`, without its call for the usual plain ASCII ids. */
function quote(text: string): string {
  return isPlainAscii(text) ? `"${text}"` : JSON.stringify(text);
}

/** True when every character is printable ASCII that JSON needs no escape for. */
export function isPlainAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 32 || c > 126 || c === 34 /* " */ || c === 92 /* \ */) return false;
  }
  return true;
}
