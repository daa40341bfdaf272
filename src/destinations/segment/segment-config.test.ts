import { describe, expect, it } from 'vitest';
import { Secret } from '../../core/workspace.js';
import { parseSegmentConfig, SEGMENT_REGION_ENDPOINTS } from './segment-config.js';

function problemsOf(raw: Record<string, unknown>) {
  const result = parseSegmentConfig(raw);
  if (result.ok) throw new Error('expected problems');
  return result.problems;
}

describe('parseSegmentConfig', () => {
  it('applies the defaults: us region, concurrency 4, 10 s timeout', () => {
    const result = parseSegmentConfig({ type: 'segment', write_key: 'abcd1234' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { writeKey, ...rest } = result.config;
    expect(rest).toEqual({
      type: 'segment',
      region: 'us',
      endpoint: 'https://api.segment.io',
      concurrency: 4,
      timeoutMs: 10_000,
    });
    expect(writeKey).toBeInstanceOf(Secret);
    expect(writeKey.reveal()).toBe('abcd1234');
    expect(Object.isFrozen(result.config)).toBe(true);
    expect(JSON.stringify(result.config)).not.toContain('abcd1234');
  });

  it('maps eu to the EU host, and an endpoint overrides the region with its trailing slash removed', () => {
    const eu = parseSegmentConfig({ write_key: 'k', region: 'eu' });
    expect(eu.ok && eu.config.endpoint).toBe(SEGMENT_REGION_ENDPOINTS.eu);
    expect(SEGMENT_REGION_ENDPOINTS.eu).toBe('https://events.eu1.segmentapis.com');
    const local = parseSegmentConfig({
      write_key: 'k',
      region: 'eu',
      endpoint: 'http://127.0.0.1:8787/',
      concurrency: 32,
      timeout_ms: 500,
    });
    expect(local.ok && local.config).toMatchObject({
      region: 'eu',
      endpoint: 'http://127.0.0.1:8787',
      concurrency: 32,
      timeoutMs: 500,
    });
    const proxied = parseSegmentConfig({ write_key: 'k', endpoint: 'https://proxy.example/segment//' });
    expect(proxied.ok && proxied.config.endpoint).toBe('https://proxy.example/segment');
  });

  it('reports every problem at once, each with its path and a fix', () => {
    const problems = problemsOf({
      type: 'segment',
      writeKey: 'x',
      region: 'asia',
      concurrency: 0,
      timeout_ms: 'soon',
      colour: 'blue',
    });
    const byPath = Object.fromEntries(problems.map((p) => [p.path.join('.'), p]));
    expect(Object.keys(byPath).sort()).toEqual([
      'colour',
      'concurrency',
      'region',
      'timeout_ms',
      'writeKey',
      'write_key',
    ]);
    expect(byPath.writeKey!.message).toContain('unknown key "writeKey"');
    expect(byPath.writeKey!.fix).toBe('did you mean "write_key"?');
    expect(byPath.colour!.fix).toContain('allowed keys: type, write_key, region');
    expect(byPath.write_key!.message).toBe('write_key is required');
    expect(byPath.region!.message).toContain('"us" or "eu"');
    expect(byPath.concurrency!.message).toContain('at least 1');
    for (const p of problems) expect(p.fix).toBeTruthy();
  });

  it.each([
    [{ write_key: '' }, 'write_key', 'empty'],
    [{ write_key: '   ' }, 'write_key', 'empty'],
    [{ write_key: 12345 }, 'write_key', 'must be a string'],
    [{ write_key: 'k', concurrency: 33 }, 'concurrency', 'at most 32'],
    [{ write_key: 'k', concurrency: 2.5 }, 'concurrency', 'whole number'],
    [{ write_key: 'k', timeout_ms: 50 }, 'timeout_ms', 'at least 100'],
    [{ write_key: 'k', endpoint: 'not a url' }, 'endpoint', 'not an http(s) URL'],
    [{ write_key: 'k', endpoint: 'ftp://host' }, 'endpoint', 'not an http(s) URL'],
    [{ write_key: 'k', endpoint: 'http://127.0.0.1:8787/v1' }, 'endpoint', 'without /v1'],
    [{ write_key: 'k', endpoint: 'http://127.0.0.1:8787/v1/' }, 'endpoint', 'without /v1'],
    [{ write_key: 'k', endpoint: 'https://key:@api.segment.io' }, 'endpoint', 'credentials'],
    [{ write_key: 'k', endpoint: 'https://api.segment.io?x=1' }, 'endpoint', 'query string'],
  ])('refuses %j', (raw, path, text) => {
    const problems = problemsOf(raw as Record<string, unknown>);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path[0]).toBe(path);
    expect(problems[0]!.message).toContain(text);
  });

  it('never echoes the write key in a problem', () => {
    const problems = problemsOf({ write_key: 'sekrit-key-123', region: 'mars' });
    expect(JSON.stringify(problems)).not.toContain('sekrit-key-123');
  });
});
