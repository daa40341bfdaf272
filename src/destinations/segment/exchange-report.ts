import type { Exchange } from '../destination.js';

/** What came back for one attempt: an answer, or why none came. */
export type ExchangeAnswer =
  | {
      status: number;
      /** As undici gives them: a header sent more than once is a list. */
      responseHeaders: Record<string, string | string[] | undefined>;
      responseBody: string;
    }
  | { error: string };

/**
 * One attempt of the Segment client as the HTTP inspector sees it, with every trace of the write key
 * removed where it is made: the Authorization header is replaced whole, and `redact` (which knows
 * the raw key and its Basic form) scrubs every other text. The body never holds the key
 * (batch-body.ts), but a mapped value or an answer may echo anything back.
 *
 * The request body is made (and redacted) when it is first read, then kept: a run's inspector reads
 * a few bodies in a hundred (sync/exchange-sampler.ts), and a 450 KB body costs milliseconds to
 * make into text and scrub.
 */
export function redactedExchange(
  redact: (text: string) => string,
  url: string,
  headers: Readonly<Record<string, string>>,
  body: () => string,
  started: number,
  attempt: number,
  answer: ExchangeAnswer,
): Exchange {
  const requestHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    requestHeaders[name] = name === 'authorization' ? '[secret]' : redact(value);
  }
  const responseHeaders: Record<string, string> = {};
  if ('status' in answer) {
    for (const [name, value] of Object.entries(answer.responseHeaders)) {
      if (value !== undefined)
        responseHeaders[name] = redact(Array.isArray(value) ? value.join(', ') : value);
    }
  }
  let requestBody: string | undefined;
  return {
    method: 'POST',
    url,
    requestHeaders,
    get requestBody(): string {
      requestBody ??= redact(body());
      return requestBody;
    },
    status: 'status' in answer ? answer.status : undefined,
    responseHeaders,
    responseBody: 'status' in answer ? redact(answer.responseBody) : '',
    ...('error' in answer ? { error: redact(answer.error) } : {}),
    latencyMs: performance.now() - started,
    attempt,
  };
}
