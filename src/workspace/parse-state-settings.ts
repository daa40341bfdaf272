import { z } from 'zod';
import type { Workspace } from '../core/workspace.js';
import { parseDuration } from './duration.js';
import { type Problems, parseEntry, parseField } from './problems.js';

/** What a `workspace_id` may be: it goes into every event's messageId, so short and plain. */
export const WORKSPACE_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

const workspaceId = z.unknown().transform((value, ctx) => {
  if (typeof value === 'string' && WORKSPACE_ID_PATTERN.test(value)) return value;
  ctx.issues.push({
    code: 'custom',
    input: value,
    message: 'must be 8 to 64 letters, digits, "-" or "_"',
    params: {
      fix: 'keep the one `sluice init` wrote; a new workspace needs its own (e.g. the output of `openssl rand -hex 8`)',
    },
  });
  return z.NEVER;
});

/** Retention durations take s, m, h and d (SPEC §7), e.g. 30d or 12h; at least a second. */
const retentionDuration = z.unknown().transform((value, ctx) => {
  const ms =
    typeof value === 'string' && /^(\d+[smhd])+$/.test(value.trim()) ? parseDuration(value) : undefined;
  if (ms !== undefined && ms >= 1000) return ms;
  ctx.issues.push({
    code: 'custom',
    input: value,
    message: 'must be a duration such as 30d, 12h, 90m or 3600s',
    params: { fix: 'write a whole number followed by s, m, h or d' },
  });
  return z.NEVER;
});

/**
 * `workspace_id:` (SPEC §3 "State must persist"): event messageIds derive from it, so a copy of the
 * workspace without its state resends events under the same ids. Undefined when absent or invalid.
 */
export function parseWorkspaceId(p: Problems, raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  return parseField(p, ['workspace_id'], workspaceId, raw);
}

/** `retention: { runs: 30d }` (SPEC §7): how long a run's per-row records are kept. */
export function parseRetention(p: Problems, raw: unknown): Workspace['retention'] | undefined {
  if (raw === undefined || raw === null) return undefined;
  const before = p.size;
  const v = parseEntry(p, ['retention'], { runs: retentionDuration.optional() }, raw);
  if (v === undefined || p.size > before) return undefined;
  if (v.runs === undefined) {
    p.add(['retention'], 'retention says nothing about runs', 'write retention: { runs: 30d }');
    return undefined;
  }
  return { runsMs: v.runs };
}
