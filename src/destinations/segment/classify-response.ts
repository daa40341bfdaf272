/**
 * Segment's status policy as one pure function (segment-contract.md §5, the rules of
 * `@segment/analytics-node` 3.1.0 `publisher.ts` and analytics-python `consumer.py`;
 * https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/#errors).
 *
 * | status                         | verdict | why |
 * |---|---|---|
 * | 200–299                        | sent    | the whole batch was accepted (§1 "200") |
 * | 300–399                        | fatal   | analytics-node counts 3xx as sent because fetch follows redirects; Sluice does not follow a redirected POST, so treating it as sent would lose the batch; the endpoint is wrong |
 * | 400                            | reject  | oversized message or body, invalid JSON (§1 "400"): split the batch to find the culprit |
 * | 401, 403                       | fatal   | the key was refused (OAuth-style auth; Segment's edge otherwise accepts any key, §1 "401/403") |
 * | 404, 405                       | fatal   | not a Segment endpoint: every batch would fail the same way |
 * | 408, 410, 429, 460             | retry   | the SDKs retry exactly these 4xx (§5 "other 4xx") |
 * | other 4xx                      | reject  | the SDKs drop the batch without retry; Sluice splits it so only the culprit fails |
 * | 5xx except 501, 505, 511       | retry   | §5 "5xx" |
 * | 501, 505                       | fatal   | the SDKs never retry them: the server cannot handle the request at all |
 * | 511                            | fatal   | retried by the SDKs only to refresh an OAuth token, which Sluice does not use; otherwise a network login page |
 * | anything else (1xx, ≥ 600)     | fatal   | not an answer a Segment endpoint gives |
 *
 * `Retry-After` (integer seconds, or an HTTP-date as analytics-python parses it) is honoured on any
 * retry verdict, clamped to 1–300 s like the SDKs (§5 "429 + Retry-After").
 */
export type ResponseVerdict =
  | { kind: 'sent' }
  | { kind: 'retry'; afterMs?: number }
  | { kind: 'reject' }
  | { kind: 'fatal'; message: string };

export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** Retry-After is capped at 300 s and floored at 1 s (segment-contract.md §5). */
export const MAX_RETRY_AFTER_MS = 300_000;
const MIN_RETRY_AFTER_MS = 1_000;

const RETRY_4XX: ReadonlySet<number> = new Set([408, 410, 429, 460]);
const FATAL_5XX: ReadonlySet<number> = new Set([501, 505, 511]);
const CHECK_KEY = 'check the write_key and that endpoint/region point at a Segment-compatible API';

/** Classifies one HTTP answer from `/v1/batch`; `now` is for HTTP-date `Retry-After` values. */
export function classifyResponse(
  status: number,
  headers: ResponseHeaders,
  now: number = Date.now(),
): ResponseVerdict {
  if (status >= 200 && status < 300) return { kind: 'sent' };
  if (status === 400) return { kind: 'reject' };
  if (RETRY_4XX.has(status) || (status >= 500 && status < 600 && !FATAL_5XX.has(status))) {
    const afterMs = retryAfterMs(headers, now);
    return afterMs === undefined ? { kind: 'retry' } : { kind: 'retry', afterMs };
  }
  if (status === 401 || status === 403) {
    return {
      kind: 'fatal',
      message: `the destination refused the credentials (HTTP ${status}); ${CHECK_KEY}`,
    };
  }
  if (status === 404 || status === 405) {
    return {
      kind: 'fatal',
      message: `the destination has no /v1/batch endpoint (HTTP ${status}); ${CHECK_KEY}`,
    };
  }
  if (status >= 300 && status < 400) {
    const location = header(headers, 'location');
    return {
      kind: 'fatal',
      message: `the destination answered a redirect (HTTP ${status}${location ? ` to ${location}` : ''}); set endpoint to the final URL`,
    };
  }
  if (status > 400 && status < 500) return { kind: 'reject' };
  return {
    kind: 'fatal',
    message: `the destination answered HTTP ${status}, which cannot be retried; ${CHECK_KEY}`,
  };
}

/** `Retry-After` in ms, clamped to 1–300 s; undefined when absent or unreadable. */
export function retryAfterMs(headers: ResponseHeaders, now: number = Date.now()): number | undefined {
  const value = header(headers, 'retry-after')?.trim();
  if (!value) return undefined;
  let ms: number;
  if (/^\d+$/.test(value)) {
    ms = Number(value) * 1000;
  } else if (/^[A-Za-z]{3},? /.test(value)) {
    // The HTTP-date forms all start with a day name; Date.parse alone would read "-5" as a year.
    const at = Date.parse(value);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  } else {
    return undefined;
  }
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(MIN_RETRY_AFTER_MS, ms));
}

/** A header by lower-case name, falling back to a case-insensitive scan; arrays give their first. */
function header(headers: ResponseHeaders, name: string): string | undefined {
  let value = headers[name];
  if (value === undefined) {
    for (const key of Object.keys(headers)) {
      if (key.toLowerCase() === name) {
        value = headers[key];
        break;
      }
    }
  }
  return Array.isArray(value) ? value[0] : value;
}
