import { z } from '@hono/zod-openapi';

/**
 * The HTTP API's documents (SPEC §4, §6) as zod schemas: they validate requests, and the OpenAPI 3.1
 * document at /api/v1/openapi.json is generated from them, so what is documented is what is checked.
 * Each named schema becomes a component of the document (`.openapi('Name')`).
 */

/**
 * A named schema or null. Not `.nullable()`: on a schema registered as a component, that makes the
 * generator emit `allOf: [$ref, {type: [object, null]}]`, which no null satisfies.
 */
function orNull<T extends z.ZodType>(schema: T) {
  return z.union([schema, z.null()]);
}

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'not_found' }),
      message: z.string(),
    }),
  })
  .openapi('Error');

export const RunCounts = z
  .object({
    extracted: z.number().int(),
    invalid: z.number().int(),
    unchanged: z.number().int(),
    new: z.number().int(),
    changed: z.number().int(),
    planned: z.number().int(),
    succeeded: z.number().int(),
    failed: z.number().int(),
    abandoned: z.number().int(),
    removed: z.number().int(),
  })
  .openapi('RunCounts');

const RunStatus = z.enum(['queued', 'running', 'completed', 'failed']);
const RecordStatus = z.enum(['succeeded', 'failed', 'abandoned', 'invalid', 'removed']);

const ConfigProblem = z.object({
  file: z.string(),
  line: z.number().int(),
  message: z.string(),
  fix: z.string().optional(),
});

export const RunDocument = z
  .object({
    run_id: z.string(),
    sync: z.string(),
    status: RunStatus,
    dry_run: z.boolean(),
    full_resync: z.boolean(),
    /** Live while the run goes: stored every few seconds. */
    counts: RunCounts,
    started_at: z.string(),
    finished_at: z.string().nullable(),
    duration_ms: z.number().nullable(),
    error: z
      .object({ code: z.string(), message: z.string(), problems: z.array(ConfigProblem).optional() })
      .nullable(),
    requested_at: z.string().optional().openapi({
      description: 'When it was asked for, for a run that was queued; absent for one started at once.',
    }),
    cancel_requested_at: z
      .string()
      .optional()
      .openapi({ description: 'When someone asked it to stop; absent unless asked.' }),
    records_pruned_at: z.string().optional().openapi({
      description: "When retention deleted the run's per-row records; absent while they are kept.",
    }),
    samples: z
      .array(
        z.object({
          key: z.string(),
          reason: z.enum(['new', 'changed']),
          changed_fields: z.array(z.string()),
          message: z.unknown(),
        }),
      )
      .optional()
      .openapi({ description: 'Dry runs: planned rows exactly as they would be sent, a sample.' }),
    invalid_samples: z
      .array(z.object({ key: z.string().nullable(), reason: z.string(), detail: z.string() }))
      .optional()
      .openapi({ description: 'Dry runs: invalid rows with their reasons, a sample.' }),
    not_shown: z
      .object({ planned: z.number().int(), invalid: z.number().int() })
      .optional()
      .openapi({ description: 'Dry runs: how many more planned and invalid rows there are than shown.' }),
    writeback: z
      .object({
        source: z.string(),
        table: z.string(),
        rows: z
          .number()
          .int()
          .openapi({ description: 'Rows written: one per record of the run; 0 when it failed.' }),
        error: z.object({ code: z.string(), message: z.string() }).nullable(),
        at: z.string().openapi({ description: 'When it was written, or failed.' }),
      })
      .optional()
      .openapi({
        description:
          "Syncs with writeback: what the run's latest warehouse writeback did; absent until one was written.",
      }),
  })
  .openapi('Run');

export const RunQueued = z.object({ run_id: z.string(), status: z.literal('queued') }).openapi('RunQueued');

export const RecordDocument = z
  .object({
    run_id: z.string(),
    key: z.string().nullable(),
    status: RecordStatus,
    reason: z.string().nullable(),
    message: z.string().nullable(),
    message_id: z.string().nullable(),
    payload: z
      .unknown()
      .openapi({ description: 'The message as sent, or the mapped payload of an invalid row.' }),
  })
  .openapi('Record');

const KeyHistoryEntry = RecordDocument.extend({ run_started_at: z.string() }).openapi('KeyHistoryEntry');

const KeyState = z
  .object({
    delivered_hash: z.string().nullable(),
    delivered_message_id: z.string().nullable(),
    generation: z.number().int(),
    pending: z
      .object({
        hash: z.string(),
        message_id: z.string(),
        generation: z.number().int(),
        attempts: z.number().int(),
        first_failed_at: z.string().nullable(),
        last_error: z.string().nullable(),
        abandoned: z.boolean(),
      })
      .nullable(),
    removed: z.boolean(),
  })
  .openapi('KeyState');

/** `{items, next_cursor}`: every list route's shape (SPEC §6 "Lists"). */
function listOf<T extends z.ZodType>(item: T, name: string) {
  return z
    .object({
      items: z.array(item),
      next_cursor: z
        .string()
        .nullable()
        .openapi({ description: 'Pass back as `cursor` for the next page; null on the last.' }),
    })
    .openapi(name);
}

export const ExchangeDocument = z
  .object({
    at: z.string(),
    method: z.string(),
    url: z.string(),
    status: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'Null when no answer came (`error` says why).' }),
    error: z.string().nullable(),
    latency_ms: z.number().int(),
    attempt: z.number().int(),
    request_headers: z.record(z.string(), z.string()),
    request_body: z.string().openapi({ description: 'Cut to a few KB (`truncated`); secrets redacted.' }),
    request_bytes: z.number().int(),
    response_headers: z.record(z.string(), z.string()),
    response_body: z.string(),
    response_bytes: z.number().int(),
    truncated: z.boolean(),
    message_ids: z.array(z.string()).openapi({ description: 'Every messageId the request carried.' }),
  })
  .openapi('Exchange');

const Figures = z
  .record(z.string(), z.number())
  .openapi({ description: 'The figures of the run, e.g. failed, planned, ratio, over.' });

export const AlertDocument = z
  .object({
    id: z.string(),
    sync: z.string(),
    rule: z.string().openapi({ example: 'failed_rows over 5%' }),
    kind: z.enum(['run_failed', 'failed_rows', 'invalid_rows', 'runtime', 'zero_rows', 'row_count_change']),
    state: z.enum(['raised', 'resolved']),
    raised_at: z.string(),
    raised_run_id: z.string(),
    figures: Figures,
    resolved_at: z.string().nullable(),
    resolved_run_id: z.string().nullable(),
    resolved_figures: Figures.nullable(),
  })
  .openapi('Alert');

export const TargetDocument = z
  .object({
    target: z.string(),
    type: z
      .enum(['webhook', 'slack'])
      .nullable()
      .openapi({ description: 'Null for a target sluice.yaml no longer names.' }),
    host: z.string().nullable().openapi({ description: "The URL's host only: the URL is a credential." }),
    pending: z.number().int(),
    failed: z.number().int().openapi({ description: 'Given up after every retry.' }),
    delivered: z.number().int(),
    last_delivered_at: z.string().nullable(),
    last_failure: z
      .object({ at: z.string(), status: z.number().int().nullable(), error: z.string() })
      .nullable()
      .openapi({ description: 'The newest failed attempt when newer than the last delivery: failing.' }),
  })
  .openapi('NotifyTarget');

export const AlertList = z
  .object({
    items: z.array(AlertDocument),
    next_cursor: z
      .string()
      .nullable()
      .openapi({ description: 'Pass back as `cursor` for the next page; null on the last.' }),
    targets: z.array(TargetDocument).openapi({ description: "How each notify target's deliveries go." }),
  })
  .openapi('AlertList');

export const RunList = listOf(RunDocument, 'RunList');
export const RecordList = listOf(RecordDocument, 'RecordList');
export const ExchangeList = listOf(ExchangeDocument, 'ExchangeList');

export const KeyHistory = z
  .object({
    sync: z.string(),
    key: z.string(),
    /** Null when the state has nothing for the key. */
    state: orNull(KeyState),
    history: listOf(KeyHistoryEntry, 'KeyHistoryList'),
  })
  .openapi('KeyHistory');

export const SyncOverview = z
  .object({
    name: z.string(),
    model: z.string(),
    destination: z.string(),
    object: z.enum(['user', 'group', 'event']),
    schedule: z.string().nullable().openapi({ example: 'every 15m' }),
    next_run_at: z.string().nullable(),
    last_run: orNull(RunDocument),
  })
  .openapi('SyncOverview');

export const SyncList = listOf(SyncOverview, 'SyncList');

export const SyncDocument = SyncOverview.extend({
  key: z.object({ column: z.string(), field: z.string().nullable() }),
  mappings: z.array(
    z.object({
      path: z.string().openapi({ example: 'traits.email' }),
      source: z.union([
        z.object({ column: z.string() }),
        z.object({ template: z.string(), json: z.boolean() }),
        z.object({ constant: z.unknown() }),
      ]),
      nulls: z.enum(['send', 'skip']).nullable(),
    }),
  ),
  bundle: z
    .object({
      into: z.string(),
      include: z.array(z.string()).nullable(),
      exclude: z.array(z.string()).nullable(),
    })
    .nullable(),
  nulls: z.enum(['send', 'skip']),
  backfill: z.boolean(),
  retry: z.object({ max_attempts: z.number().int().nullable(), max_age_ms: z.number().nullable() }),
  cursor: z
    .object({ column: z.string(), lookback_ms: z.number().int() })
    .nullable()
    .openapi({ description: "An event sync's `cursor:` (only rows past its mark are read), or null." }),
  writeback: z
    .object({ source: z.string(), table: z.string() })
    .nullable()
    .openapi({ description: "`writeback:`: where each run's records are written, or null." }),
  alerts: z
    .array(
      z.object({
        rule: z.string().openapi({ example: 'failed_rows over 5%' }),
        kind: AlertDocument.shape.kind,
        notify: z.array(z.string()),
      }),
    )
    .openapi({ description: 'The alerts that watch this sync (top-level and its own), by rule.' }),
}).openapi('Sync');

const TokenRole = z.enum(['viewer', 'operator', 'admin']);

export const TokenInfo = z
  .object({
    name: z.string(),
    role: TokenRole,
    created_at: z.string(),
    last_used_at: z.string().nullable(),
  })
  .openapi('Token');

export const TokenList = listOf(TokenInfo, 'TokenList');

export const Caller = z.object({ name: z.string(), role: TokenRole }).openapi('Caller');

export const CreatedToken = z
  .object({
    name: z.string(),
    role: TokenRole,
    token: z.string().openapi({ description: 'Shown this once: only its hash is stored.' }),
    created_at: z.string(),
  })
  .openapi('CreatedToken');

export const CreateTokenBody = z
  .strictObject({ name: z.string(), role: TokenRole.optional().openapi({ description: 'Default viewer.' }) })
  .openapi('CreateTokenRequest');

export const RunRequestBody = z
  .strictObject({
    dry_run: z.boolean().optional(),
    full_resync: z.boolean().optional(),
    retry_abandoned: z
      .boolean()
      .optional()
      .openapi({ description: 'Give rows the retry policy abandoned another chance.' }),
  })
  .openapi('RunRequest');

export const Health = z
  .object({
    status: z.enum(['ok', 'unavailable']),
    version: z.string(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  })
  .openapi('Health');

/** Page size and position: the engine checks both (a bad cursor is a 400 from there). */
const limit = z.coerce
  .number()
  .int()
  .min(1)
  .max(10_000)
  .optional()
  .openapi({ param: { name: 'limit', in: 'query' }, description: 'Page size.' });
const cursor = z
  .string()
  .optional()
  .openapi({ param: { name: 'cursor', in: 'query' }, description: '`next_cursor` of the previous page.' });

export const PageQuery = z.object({ limit, cursor });

export const RunsQuery = z.object({
  sync: z
    .string()
    .optional()
    .openapi({ param: { name: 'sync', in: 'query' } }),
  status: RunStatus.optional().openapi({ param: { name: 'status', in: 'query' } }),
  limit,
  cursor,
});

export const AlertsQuery = z.object({
  sync: z
    .string()
    .optional()
    .openapi({ param: { name: 'sync', in: 'query' } }),
  state: z
    .enum(['raised', 'resolved'])
    .optional()
    .openapi({ param: { name: 'state', in: 'query' } }),
  limit,
  cursor,
});

export const RecordsQuery = z.object({
  status: RecordStatus.optional().openapi({ param: { name: 'status', in: 'query' } }),
  key: z
    .string()
    .optional()
    .openapi({ param: { name: 'key', in: 'query' }, description: 'Only this key.' }),
  reason: z
    .string()
    .optional()
    .openapi({
      param: { name: 'reason', in: 'query' },
      description: "Only this reason: new, changed, absent, or an invalid row's code (null_key, …).",
    }),
  limit,
  cursor,
});

export const SyncParams = z.object({ name: z.string().openapi({ param: { name: 'name', in: 'path' } }) });
export const RunParams = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) });
export const KeyParams = z.object({
  name: z.string().openapi({ param: { name: 'name', in: 'path' } }),
  key: z
    .string()
    .openapi({ param: { name: 'key', in: 'path' }, description: 'The key as text, URL-encoded.' }),
});
export const TokenParams = z.object({ name: z.string().openapi({ param: { name: 'name', in: 'path' } }) });
