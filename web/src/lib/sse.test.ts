import { describe, expect, it } from 'vitest';
import { SseParser } from './sse';

describe('SseParser', () => {
  it('parses events split anywhere across chunks', () => {
    const text =
      'event: progress\ndata: {"a":1}\n\n: comment\nevent: summary\r\ndata: {"b":\ndata: 2}\r\n\r\n';
    for (let cut = 0; cut <= text.length; cut++) {
      const parser = new SseParser();
      const events = [...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut))];
      expect(events, `cut at ${cut}`).toEqual([
        { event: 'progress', data: '{"a":1}' },
        { event: 'summary', data: '{"b":\n2}' },
      ]);
    }
  });

  it('names an event without event: "message" and drops one without data', () => {
    expect(new SseParser().push('event: lonely\n\ndata: x\n\n')).toEqual([{ event: 'message', data: 'x' }]);
  });
});
