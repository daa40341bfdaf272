import { z } from 'zod';
import { editDistance } from '../../core/edit-distance.js';
import { Secret } from '../../core/workspace.js';

/** A parsed `type: segment` destination (SPEC §1): what `parseSegmentConfig` returns. */
export interface SegmentDestinationConfig {
  type: 'segment';
  writeKey: Secret;
  region: 'us' | 'eu';
  /** Base URL without /v1, e.g. "http://127.0.0.1:8787"; derived from region when absent. */
  endpoint: string;
  /** Requests in flight at once (default 4). */
  concurrency: number;
  /** Per-request timeout in ms (default 10,000, like analytics-node). */
  timeoutMs: number;
}

/**
 * Segment's ingestion hosts, as SDKs take them: without `/v1` (segment-contract.md §1 "US base",
 * "EU base", "SDK host form"; https://segment.com/docs/guides/regional-segment/). An EU write key
 * must go to the EU host: sent to the US host its events may vanish without an error.
 */
export const SEGMENT_REGION_ENDPOINTS: Readonly<Record<'us' | 'eu', string>> = Object.freeze({
  us: 'https://api.segment.io',
  eu: 'https://events.eu1.segmentapis.com',
});

/** The keys a `type: segment` destination accepts in sluice.yaml (SPEC §1). */
const KNOWN_KEYS = ['type', 'write_key', 'region', 'endpoint', 'concurrency', 'timeout_ms'] as const;

/** A problem in a destination entry, `path` relative to the entry (DestinationType.parseConfig). */
export interface ConfigIssue {
  path: (string | number)[];
  message: string;
  fix?: string;
}

const endpointSchema = z
  .string()
  .trim()
  .min(1)
  .superRefine((value, ctx) => {
    const url = URL.canParse(value) ? new URL(value) : null;
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      ctx.addIssue({ code: 'custom', message: `endpoint "${value}" is not an http(s) URL` });
      return;
    }
    if (url.username || url.password) {
      // The key belongs in write_key (sent as Basic auth); credentials in a URL end up in logs.
      ctx.addIssue({
        code: 'custom',
        message: 'endpoint must not carry credentials; put the key in write_key',
      });
    }
    if (url.search || url.hash) {
      ctx.addIssue({ code: 'custom', message: 'endpoint must not have a query string or fragment' });
    }
    if (/\/v1\/?$/.test(url.pathname)) {
      ctx.addIssue({
        code: 'custom',
        message: 'endpoint is the base URL without /v1 (Sluice adds /v1/batch itself)',
      });
    }
  });

const schema = z.object({
  type: z.literal('segment').optional(),
  write_key: z
    .string({ error: 'write_key must be a string (quote it in YAML)' })
    .trim()
    .min(1, 'write_key is empty'),
  region: z.enum(['us', 'eu'], { error: 'region must be "us" or "eu"' }).default('us'),
  endpoint: endpointSchema.optional(),
  concurrency: z
    .number({ error: 'concurrency must be a whole number from 1 to 32' })
    .int('concurrency must be a whole number from 1 to 32')
    .min(1, 'concurrency must be at least 1')
    .max(32, 'concurrency must be at most 32')
    .default(4),
  // analytics-node's httpRequestTimeout default is 10,000 ms (segment-contract.md §5 "defaults").
  timeout_ms: z
    .number({ error: 'timeout_ms must be a number of milliseconds' })
    .int('timeout_ms must be a whole number of milliseconds')
    .min(100, 'timeout_ms must be at least 100')
    .max(600_000, 'timeout_ms must be at most 600000 (10 minutes)')
    .default(10_000),
});

/** Why each setting exists, as a fix hint for the problem report. */
const FIX: Readonly<Record<string, string>> = {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: sluice.yaml's ${VAR} syntax, shown to the user.
  write_key: 'set write_key to the Segment source write key, e.g. write_key: "${SEGMENT_WRITE_KEY}"',
  region: 'use region: us or region: eu (the region of your Segment workspace)',
  endpoint: 'use a base URL such as http://127.0.0.1:8787 or https://api.segment.io',
  concurrency: 'use a whole number from 1 to 32 (default 4)',
  timeout_ms: 'use milliseconds, e.g. timeout_ms: 10000',
  type: 'type must be segment for this destination',
};

/**
 * Parses the raw `destinations.<name>` entry of a `type: segment` destination (SPEC §1) into a frozen
 * SegmentDestinationConfig, or reports every problem at once with its path and a fix.
 */
export function parseSegmentConfig(
  raw: Record<string, unknown>,
): { ok: true; config: SegmentDestinationConfig } | { ok: false; problems: ConfigIssue[] } {
  const problems: ConfigIssue[] = [];
  for (const key of Object.keys(raw)) {
    if (!(KNOWN_KEYS as readonly string[]).includes(key)) {
      const near = nearest(key, KNOWN_KEYS);
      problems.push({
        path: [key],
        message: `unknown key "${key}" for a segment destination`,
        fix: near ? `did you mean "${near}"?` : `allowed keys: ${KNOWN_KEYS.join(', ')}`,
      });
    }
  }
  const known = Object.fromEntries(
    Object.entries(raw).filter(([k]) => (KNOWN_KEYS as readonly string[]).includes(k)),
  );
  const parsed = schema.safeParse(known);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
      const head = typeof path[0] === 'string' ? path[0] : '';
      const missing = issue.code === 'invalid_type' && path.length === 1 && known[head] === undefined;
      problems.push({
        path,
        message: missing ? `${head} is required` : issue.message,
        ...(FIX[head] ? { fix: FIX[head] } : {}),
      });
    }
  }
  if (problems.length > 0 || !parsed.success) return { ok: false, problems };
  const v = parsed.data;
  const config: SegmentDestinationConfig = Object.freeze({
    type: 'segment',
    writeKey: new Secret(v.write_key),
    region: v.region,
    // A trailing slash is tolerated: the client appends "/v1/batch" to the base.
    endpoint: (v.endpoint ?? SEGMENT_REGION_ENDPOINTS[v.region]).replace(/\/+$/, ''),
    concurrency: v.concurrency,
    timeoutMs: v.timeout_ms,
  });
  return { ok: true, config };
}

/** The closest allowed key within edit distance 2, for "did you mean" hints. */
function nearest(key: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const d = editDistance(key.toLowerCase(), candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}
