/**
 * The inspector's reading of a run's HTTP exchanges (SPEC §7 "API inspector"): which failed, how to
 * colour a status, how to show a body that may be JSON and may have been cut.
 */

/** What of an exchange these helpers read (the API's Exchange document has these fields). */
export interface ExchangeLike {
  status: number | null;
}

/** A request failed when no answer came or the answer was an error (a 429 included: it was retried). */
export function isFailedExchange(exchange: ExchangeLike): boolean {
  return exchange.status === null || exchange.status >= 400;
}

/** The colour class of a status: `ok` for 2xx, `slow` for a rate limit (429), `bad` for any other failure. */
export function statusTone(status: number | null): 'ok' | 'slow' | 'bad' | 'other' {
  if (status === null) return 'bad';
  if (status >= 200 && status < 300) return 'ok';
  if (status === 429) return 'slow';
  if (status >= 400) return 'bad';
  return 'other';
}

export type BodyView = { kind: 'empty' } | { kind: 'json'; value: unknown } | { kind: 'text'; text: string };

/** A body as JSON when it parses (a cut body rarely does), else as its text. */
export function bodyView(text: string): BodyView {
  if (text.trim() === '') return { kind: 'empty' };
  try {
    return { kind: 'json', value: JSON.parse(text) };
  } catch {
    return { kind: 'text', text };
  }
}

const ENCODER = new TextEncoder();

/** Bytes of `text` as UTF-8: the unit of `request_bytes` and `response_bytes`. */
export function byteLength(text: string): number {
  return ENCODER.encode(text).length;
}

export interface ExchangePage<T> {
  items: T[];
  next_cursor: string | null;
}

/**
 * One page of the inspector's list. The API pages every exchange; with `failedOnly` this reads its
 * pages on from `cursor` until `pageSize` failed ones are found, the exchanges end, or `maxReads`
 * pages were read (a run of thousands of successes is not read whole for one screen), and answers
 * the failed ones with the cursor to carry on from.
 */
export async function exchangePage<T extends ExchangeLike>(
  read: (cursor: string | undefined) => Promise<ExchangePage<T>>,
  {
    cursor,
    failedOnly,
    pageSize,
    maxReads,
  }: { cursor: string | undefined; failedOnly: boolean; pageSize: number; maxReads: number },
): Promise<ExchangePage<T>> {
  if (!failedOnly) return read(cursor);
  const items: T[] = [];
  let next: string | null = cursor ?? null;
  let reads = 0;
  do {
    const page: ExchangePage<T> = await read(next ?? undefined);
    reads++;
    items.push(...page.items.filter(isFailedExchange));
    next = page.next_cursor;
  } while (next !== null && items.length < pageSize && reads < maxReads);
  return { items, next_cursor: next };
}
