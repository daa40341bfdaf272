import type { Exchange } from '../destinations/destination.js';
import type { StoredExchange } from '../state/state-store.js';

/** How much of a run's HTTP traffic the inspector keeps (SPEC §7 "API inspector"). */
export interface SamplingPolicy {
  /** Successful exchanges kept from the start of a run, every one. */
  firstSucceeded: number;
  /** After those, one successful exchange in this many. */
  oneInSucceeded: number;
  /** Each body is cut to this many UTF-8 bytes (the messageIds are listed apart, whole). */
  bodyBytes: number;
  /**
   * What a run keeps in all, in bytes of stored JSON. Successful exchanges stop at half of it, so
   * that failures, which are what a person comes to the inspector for, always have the other half.
   */
  runBytes: number;
}

export const DEFAULT_SAMPLING: Readonly<SamplingPolicy> = Object.freeze({
  firstSucceeded: 20,
  oneInSucceeded: 50,
  bodyBytes: 4096,
  runBytes: 2_000_000,
});

/** Header names whose values are secrets whatever the destination did about them. */
const SECRET_HEADER = /authorization|cookie|key|token|secret|signature/i;

/**
 * Decides, exchange by exchange, what a run's inspector keeps: every failed exchange (an HTTP
 * status of 400 or more, or no answer) while the run's budget lasts, the first successful ones and
 * then one in `oneInSucceeded`; bodies cut, messageIds kept. Pure: its only state is its counters.
 */
export class ExchangeSampler {
  readonly #policy: SamplingPolicy;
  #succeeded = 0;
  #keptBytes = 0;
  #dropped = 0;

  constructor(policy: SamplingPolicy = DEFAULT_SAMPLING) {
    this.#policy = policy;
  }

  /** The exchange as kept, or null when it is not (sampled out, or over the run's budget). */
  take(exchange: Exchange, at: Date): StoredExchange | null {
    const failed = isFailed(exchange);
    if (!failed) {
      this.#succeeded++;
      const { firstSucceeded, oneInSucceeded } = this.#policy;
      const sampled =
        this.#succeeded <= firstSucceeded || (this.#succeeded - firstSucceeded) % oneInSucceeded === 0;
      if (!sampled) return null;
    }
    const stored = storedExchange(exchange, at, this.#policy.bodyBytes);
    const bytes = Buffer.byteLength(JSON.stringify(stored));
    const budget = failed ? this.#policy.runBytes : this.#policy.runBytes / 2;
    if (this.#keptBytes + bytes > budget) {
      this.#dropped++;
      return null;
    }
    this.#keptBytes += bytes;
    return stored;
  }

  /** Exchanges that would have been kept but for the run's budget. */
  get dropped(): number {
    return this.#dropped;
  }
}

/** Whether an exchange failed: no answer, or an HTTP status of 400 or more. */
export function isFailed(exchange: Pick<Exchange, 'status'>): boolean {
  return exchange.status === undefined || exchange.status >= 400;
}

/** An exchange as the inspector stores it: bodies cut to `bodyBytes`, messageIds listed whole. */
export function storedExchange(exchange: Exchange, at: Date, bodyBytes: number): StoredExchange {
  const request = cut(exchange.requestBody, bodyBytes);
  const response = cut(exchange.responseBody, bodyBytes);
  return {
    at: at.toISOString(),
    method: exchange.method,
    url: exchange.url,
    status: exchange.status ?? null,
    error: exchange.error ?? null,
    latencyMs: Math.round(exchange.latencyMs),
    attempt: exchange.attempt,
    requestHeaders: redactHeaders(exchange.requestHeaders),
    responseHeaders: redactHeaders(exchange.responseHeaders),
    requestBody: request.text,
    requestBytes: request.bytes,
    responseBody: response.text,
    responseBytes: response.bytes,
    truncated: request.cut || response.cut,
    messageIds: messageIdsOf(exchange.requestBody),
  };
}

/**
 * Every messageId a request body carries, in order: a Segment batch (`{"batch": [...]}`), one
 * message, or an array of them. A body that is not JSON (cut elsewhere, another format) is searched
 * for `"messageId": "…"` instead.
 */
export function messageIdsOf(body: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [...body.matchAll(/"messageId"\s*:\s*"((?:[^"\\]|\\.)*)"/g)].map((match) => match[1]!);
  }
  const messages = Array.isArray(parsed)
    ? parsed
    : isObject(parsed) && Array.isArray(parsed.batch)
      ? parsed.batch
      : [parsed];
  const ids: string[] = [];
  for (const message of messages) {
    if (isObject(message) && typeof message.messageId === 'string') ids.push(message.messageId);
  }
  return ids;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `text` cut to at most `limit` UTF-8 bytes, never inside a character. */
function cut(text: string, limit: number): { text: string; bytes: number; cut: boolean } {
  const bytes = Buffer.byteLength(text);
  if (bytes <= limit) return { text, bytes, cut: false };
  // A character split by the cut decodes as U+FFFD at the end: drop it.
  const head = Buffer.from(text)
    .subarray(0, limit)
    .toString('utf8')
    .replace(/\uFFFD+$/, '');
  return { text: head, bytes, cut: true };
}

function redactHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers))
    out[name] = SECRET_HEADER.test(name) ? '[secret]' : value;
  return out;
}
