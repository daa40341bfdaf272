import { describe, expect, it } from 'vitest';
import {
  bodyView,
  byteLength,
  type ExchangePage,
  exchangePage,
  isFailedExchange,
  statusTone,
} from './exchanges';

describe("the inspector's reading of exchanges", () => {
  it('counts no answer, a rate limit and any error status as failed', () => {
    expect([null, 200, 204, 302, 400, 429, 500, 503].map((status) => isFailedExchange({ status }))).toEqual([
      true,
      false,
      false,
      false,
      true,
      true,
      true,
      true,
    ]);
    expect([null, 200, 302, 429, 500].map(statusTone)).toEqual(['bad', 'ok', 'other', 'slow', 'bad']);
  });

  it('shows a body as JSON when it parses, as text when it was cut, and says when it is empty', () => {
    expect(bodyView('{"batch":[{"messageId":"m1"}]}')).toEqual({
      kind: 'json',
      value: { batch: [{ messageId: 'm1' }] },
    });
    expect(bodyView('{"batch":[{"messageId":"m1"},{"mess')).toEqual({
      kind: 'text',
      text: '{"batch":[{"messageId":"m1"},{"mess',
    });
    expect(bodyView('  ')).toEqual({ kind: 'empty' });
    expect(byteLength('ü')).toBe(2);
  });

  /** Exchanges 0…n-1 in pages of `size`; every third one (0, 3, 6…) failed with a 500. */
  function pages(n: number, size: number) {
    const all = Array.from({ length: n }, (_, i) => ({ i, status: i % 3 === 0 ? 500 : 200 }));
    const reads: (string | undefined)[] = [];
    const read = async (cursor: string | undefined): Promise<ExchangePage<(typeof all)[number]>> => {
      reads.push(cursor);
      const from = cursor === undefined ? 0 : Number(cursor);
      return {
        items: all.slice(from, from + size),
        next_cursor: from + size < n ? String(from + size) : null,
      };
    };
    return { read, reads };
  }

  it('reads pages on until it has a page of failed ones, and carries on from there', async () => {
    const { read, reads } = pages(30, 5);
    const first = await exchangePage(read, {
      cursor: undefined,
      failedOnly: true,
      pageSize: 4,
      maxReads: 10,
    });
    expect(first.items.map((e) => e.i)).toEqual([0, 3, 6, 9]);
    expect(first.next_cursor).toBe('10');
    expect(reads).toEqual([undefined, '5']);
    const rest = await exchangePage(read, { cursor: '10', failedOnly: true, pageSize: 100, maxReads: 10 });
    expect(rest.items.map((e) => e.i)).toEqual([12, 15, 18, 21, 24, 27]);
    expect(rest.next_cursor).toBeNull();
  });

  it('stops after maxReads pages with what it found, and lists every exchange when not filtering', async () => {
    const { read } = pages(30, 5);
    const capped = await exchangePage(read, {
      cursor: undefined,
      failedOnly: true,
      pageSize: 100,
      maxReads: 2,
    });
    expect(capped.items.map((e) => e.i)).toEqual([0, 3, 6, 9]);
    expect(capped.next_cursor).toBe('10');
    const all = await exchangePage(read, { cursor: '5', failedOnly: false, pageSize: 5, maxReads: 2 });
    expect(all.items.map((e) => e.i)).toEqual([5, 6, 7, 8, 9]);
  });
});
