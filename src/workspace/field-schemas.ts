import { z } from 'zod';
import { Secret } from '../core/workspace.js';
import { parseDuration } from './duration.js';

/**
 * zod building blocks shared by the section parsers. Custom checks put a predicate in `message`
 * ("must be …", read after the field's name) and the remedy in `params.fix`; see problems.ts.
 */

/** Non-empty text. */
export const text = z.string().min(1);

/**
 * Names of sources, destinations, models and syncs: they appear on command lines, in run history
 * and in messageIds, so they stay short and plain.
 */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** A duration (`15m`, `1h30m`) in milliseconds; a bare number is taken as milliseconds. */
export const durationMs = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms =
    typeof value === 'number'
      ? Number.isSafeInteger(value) && value >= 0
        ? value
        : undefined
      : parseDuration(value);
  if (ms === undefined) {
    ctx.issues.push({
      code: 'custom',
      input: value,
      message: 'must be a duration such as 30s, 15m, 2h or 1d',
      params: { fix: 'write a whole number followed by ms, s, m, h or d' },
    });
    return z.NEVER;
  }
  return ms;
});

/** A connection URL with one of `protocols`, kept as a Secret. Its text is never put in a message. */
export function secretUrl(protocols: readonly string[], example: string) {
  return text.transform((value, ctx) => {
    let protocol: string | undefined;
    try {
      protocol = new URL(value).protocol;
    } catch {
      protocol = undefined;
    }
    if (protocol === undefined || !protocols.includes(protocol)) {
      ctx.issues.push({
        code: 'custom',
        input: '[secret]',
        message: `is not a ${protocols.map((p) => `${p}//`).join(' or ')} URL (not shown: it may hold a password)`,
        params: { fix: `write it as ${example}` },
      });
      return z.NEVER;
    }
    return new Secret(value);
  });
}
