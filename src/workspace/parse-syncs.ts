import { z } from 'zod';
import type { AlertRule, ObjectKind, RetryPolicy, SyncConfig, SyncCursor } from '../core/workspace.js';
import type { DestinationType, ObjectDescriptor } from '../destinations/destination.js';
import { WRITABLE_SOURCE_TYPES, writebackTableParts } from '../sources/registry.js';
import { suggest } from './did-you-mean.js';
import { durationMs, text } from './field-schemas.js';
import { mergeAlerts, parseAlerts } from './parse-alerts.js';
import { type MappingTarget, parseBundle, parseMappings } from './parse-mappings.js';
import { parseSchedule } from './parse-schedule.js';
import { own, type Problems, parseEntry, parseField, where } from './problems.js';
import type { Path } from './yaml-tree.js';

const OBJECTS = ['user', 'group', 'event'] as const satisfies readonly ObjectKind[];

/** A sync's keys; the composite ones are validated by their own parsers below. */
const SYNC_SHAPE = {
  model: text,
  destination: text,
  object: z.enum(OBJECTS),
  key: z.unknown(),
  mappings: z.unknown(),
  bundle: z.unknown(),
  nulls: z.enum(['send', 'skip']).optional(),
  backfill: z.boolean().optional(),
  schedule: z.unknown(),
  retry: z.unknown(),
  writeback: z.unknown(),
  alerts: z.unknown(),
  cursor: z.unknown(),
  diff: z.enum(['warehouse', 'state']).optional(),
};
const KEY_SHAPE = { column: text, field: text.optional() };
const CURSOR_SHAPE = { column: text, lookback: durationMs.optional() };
/**
 * How far before its high-water mark an event cursor reads again when `lookback` is not set: rows
 * often land in a warehouse minutes after the time they carry (batch loads, late devices), and an
 * hour of rows read again costs little next to one missed for good.
 */
export const DEFAULT_CURSOR_LOOKBACK_MS = 3_600_000;
const WRITEBACK_SHAPE = { source: text, table: text };
const RETRY_SHAPE = {
  max_attempts: z.int().min(1).optional(),
  max_age: durationMs
    .refine((ms) => ms > 0, { message: 'must be longer than 0', params: { fix: 'e.g. 7d' } })
    .optional(),
};

/** What a sync entry is checked against: the names defined elsewhere in the workspace. */
export interface SyncContext {
  modelNames: readonly string[];
  destinationNames: readonly string[];
  syncNames: readonly string[];
  sourceNames: readonly string[];
  /** The `type:` and `path:` a source entry gives, when it gives them. */
  sourceType(name: string): string | undefined;
  sourcePath(name: string): string | undefined;
  /** The type of a destination entry, when it names a known type. */
  destinationType(name: string): DestinationType | undefined;
  /** The names under `notify:`, which alerts may name. */
  targetNames: readonly string[];
  /** The top-level `alerts:`, which watch every sync before its own. */
  alerts: readonly AlertRule[];
}

/** Validates one `syncs.<name>` entry and every name it refers to; undefined when it has problems. */
export function parseSync(
  p: Problems,
  at: Path,
  name: string,
  raw: unknown,
  ctx: SyncContext,
): SyncConfig | undefined {
  const before = p.size;
  const v = parseEntry(p, at, SYNC_SHAPE, raw);
  if (v === undefined) return undefined;
  const entry = raw as Record<string, unknown>;
  checkName(p, [...at, 'model'], v.model, ctx.modelNames, 'model', 'define it under models:');
  checkName(
    p,
    [...at, 'destination'],
    v.destination,
    ctx.destinationNames,
    'destination',
    'define it under destinations:',
  );
  const type = v.destination === undefined ? undefined : ctx.destinationType(v.destination);
  const descriptor = type !== undefined && v.object !== undefined ? type.objects[v.object] : undefined;
  const key = parseKey(p, [...at, 'key'], own(entry, 'key'), v.object, descriptor);
  const target: MappingTarget | undefined =
    descriptor === undefined || v.object === undefined
      ? undefined
      : { object: v.object, descriptor, ...(key?.field === undefined ? {} : { keyField: key.field }) };
  const mappings = parseMappings(p, [...at, 'mappings'], own(entry, 'mappings'), target);
  const bundle = parseBundle(p, [...at, 'bundle'], own(entry, 'bundle'), target);
  const schedule = parseSchedule(p, [...at, 'schedule'], own(entry, 'schedule'));
  if (schedule?.kind === 'after') {
    const list = Array.isArray(own(own(entry, 'schedule') as Record<string, unknown>, 'after'));
    schedule.syncs.forEach((other, i) => {
      const here = [...at, 'schedule', 'after', ...(list ? [i] : [])];
      if (other === name) p.add(here, `${where(at)} is scheduled after itself`, 'name another sync');
      else checkName(p, here, other, ctx.syncNames, 'sync', 'define it under syncs:');
    });
  }
  const retry = parseRetry(p, [...at, 'retry'], own(entry, 'retry'));
  const writeback = parseWriteback(p, [...at, 'writeback'], own(entry, 'writeback'), ctx);
  const ownAlerts = parseAlerts(p, [...at, 'alerts'], own(entry, 'alerts'), ctx.targetNames);
  const alerts = mergeAlerts(ctx.alerts, ownAlerts ?? []);
  if (v.backfill !== undefined && descriptor?.behaviour === 'upsert') {
    p.add(
      [...at, 'backfill'],
      `backfill of ${where(at)} only applies to event syncs`,
      `remove it: ${v.object} syncs always send every new or changed row`,
    );
  }
  const cursorRaw = own(entry, 'cursor');
  const cursor = parseCursor(p, [...at, 'cursor'], cursorRaw);
  if (cursorRaw !== undefined && cursorRaw !== null && descriptor?.behaviour === 'upsert') {
    p.add(
      [...at, 'cursor'],
      `cursor of ${where(at)} only applies to event syncs`,
      `remove it: ${v.object} syncs read their whole model, to send every changed row`,
    );
  }
  if (v.diff === 'warehouse' && cursorRaw !== undefined && cursorRaw !== null) {
    p.add(
      [...at, 'diff'],
      `diff: warehouse of ${where(at)} does not apply with a cursor`,
      'remove one of them: a cursor run reads only its window, and diffs it in the state store',
    );
  }
  if (p.size > before || !v.model || !v.destination || !v.object || !key || !retry) return undefined;
  return {
    name,
    model: v.model,
    destination: v.destination,
    object: v.object,
    key,
    mappings,
    ...(bundle === undefined ? {} : { bundle }),
    nulls: v.nulls ?? 'send',
    backfill: v.backfill ?? true,
    ...(schedule === undefined ? {} : { schedule }),
    retry,
    ...(writeback === undefined ? {} : { writeback }),
    ...(alerts.length === 0 ? {} : { alerts }),
    ...(cursor === undefined ? {} : { cursor }),
    ...(v.diff === undefined ? {} : { diff: v.diff }),
    file: p.file,
    line: p.lineOf(at),
    keyLine: p.lineOf([...at, 'key']),
    bundleLine: bundle === undefined ? 0 : p.lineOf([...at, 'bundle']),
  };
}

function checkName(
  p: Problems,
  at: Path,
  value: string | undefined,
  known: readonly string[],
  what: string,
  hint: string,
) {
  if (value === undefined || known.includes(value)) return;
  p.add(at, `${where(at)} is ${p.show(at, value)}: no ${what} has that name`, suggest(value, known, hint));
}

/** `key: { column, field? }` (or the shorthand `key: column`); the field defaults per object. */
function parseKey(
  p: Problems,
  at: Path,
  raw: unknown,
  object: ObjectKind | undefined,
  descriptor: ObjectDescriptor | undefined,
): SyncConfig['key'] | undefined {
  const before = p.size;
  if (raw === undefined || raw === null) {
    p.add(
      at,
      `${where(at)} is missing`,
      'add key: { column: COLUMN }, the column unique and non-null per row',
    );
    return undefined;
  }
  const v =
    typeof raw === 'string' ? { column: parseField(p, at, text, raw) } : parseEntry(p, at, KEY_SHAPE, raw);
  if (v === undefined || v.column === undefined || p.size > before) return undefined;
  let field = 'field' in v ? v.field : undefined;
  if (descriptor !== undefined) {
    const fieldAt = [...at, 'field'];
    if (field !== undefined && descriptor.keyFields.length === 0) {
      p.add(
        fieldAt,
        `${where(fieldAt)} is set, but ${object} keys have no field: the key is each ${object}'s unique id`,
        'remove key.field',
      );
      return undefined;
    }
    if (field !== undefined && !descriptor.keyFields.includes(field)) {
      p.add(
        fieldAt,
        `${where(fieldAt)} is ${p.show(fieldAt, field)}, which ${object} keys cannot be`,
        suggest(field, descriptor.keyFields, ''),
      );
      return undefined;
    }
    field ??= descriptor.defaultKeyField;
  }
  return {
    column: v.column,
    ...(field === undefined ? {} : { field }),
  };
}

/**
 * `cursor: { column, lookback? }` (or the shorthand `cursor: column`): an event sync's high-water
 * mark (SPEC §3 "Event cursors"); the lookback defaults to DEFAULT_CURSOR_LOOKBACK_MS.
 */
function parseCursor(p: Problems, at: Path, raw: unknown): SyncCursor | undefined {
  if (raw === undefined || raw === null) return undefined;
  const before = p.size;
  const v =
    typeof raw === 'string' ? { column: parseField(p, at, text, raw) } : parseEntry(p, at, CURSOR_SHAPE, raw);
  if (v === undefined || p.size > before) return undefined;
  if (v.column === undefined) {
    p.add(
      [...at, 'column'],
      `${where([...at, 'column'])} is missing`,
      'name the timestamp column rows are appended by, e.g. column: occurred_at',
    );
    return undefined;
  }
  const lookback = 'lookback' in v ? v.lookback : undefined;
  return { column: v.column, lookbackMs: lookback ?? DEFAULT_CURSOR_LOOKBACK_MS, line: p.lineOf(at) };
}

/** `retry: { max_attempts?, max_age? }`; unbounded when absent (SPEC §3). */
function parseRetry(p: Problems, at: Path, raw: unknown): RetryPolicy | undefined {
  if (raw === undefined || raw === null) return {};
  const before = p.size;
  const v = parseEntry(p, at, RETRY_SHAPE, raw);
  if (v === undefined || p.size > before) return undefined;
  return {
    ...(v.max_attempts === undefined ? {} : { maxAttempts: v.max_attempts }),
    ...(v.max_age === undefined ? {} : { maxAgeMs: v.max_age }),
  };
}

/**
 * `writeback: { source, table }` (SPEC §7): a source Sluice can write (a DuckDB file, PostgreSQL or
 * MySQL) and a plain table name, `NAME` or `SCHEMA.NAME`.
 */
function parseWriteback(
  p: Problems,
  at: Path,
  raw: unknown,
  ctx: SyncContext,
): SyncConfig['writeback'] | undefined {
  if (raw === undefined || raw === null) return undefined;
  const before = p.size;
  const v = parseEntry(p, at, WRITEBACK_SHAPE, raw);
  if (v === undefined) return undefined;
  const sourceAt = [...at, 'source'];
  if (v.source === undefined) {
    if (p.size === before) p.add(sourceAt, `${where(sourceAt)} is missing`, 'name a source from sources:');
  } else if (!ctx.sourceNames.includes(v.source)) {
    checkName(p, sourceAt, v.source, ctx.sourceNames, 'source', 'define it under sources:');
  } else {
    const type = ctx.sourceType(v.source);
    if (type !== undefined && !WRITABLE_SOURCE_TYPES.includes(type)) {
      p.add(
        sourceAt,
        `${where(sourceAt)} is ${p.show(sourceAt, v.source)}, a ${type} source, which Sluice cannot write`,
        'name a duckdb (on a file), postgres or mysql source',
      );
    } else if (type === 'duckdb' && ctx.sourcePath(v.source) === ':memory:') {
      p.add(
        sourceAt,
        `${where(sourceAt)} is ${p.show(sourceAt, v.source)}, an in-memory DuckDB, which keeps nothing`,
        'name a duckdb source on a file, or a postgres or mysql source',
      );
    }
  }
  const tableAt = [...at, 'table'];
  if (v.table === undefined) {
    if (p.size === before) p.add(tableAt, `${where(tableAt)} is missing`, 'e.g. table: sluice_sync_log');
  } else {
    const parts = writebackTableParts(v.table);
    if (typeof parts === 'string') {
      p.add(
        tableAt,
        `${where(tableAt)} is ${p.show(tableAt, v.table)}: ${parts}`,
        'e.g. table: sluice_sync_log or table: analytics.sluice_sync_log',
      );
    }
  }
  if (p.size > before || v.source === undefined || v.table === undefined) return undefined;
  return { source: v.source, table: v.table, line: p.lineOf(at) };
}

/** Reports each cycle of `schedule: { after }` (syncs that would wait on each other forever). */
export function checkAfterCycles(p: Problems, syncs: ReadonlyMap<string, SyncConfig>): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(name)), name];
      p.add(
        ['syncs', name, 'schedule'],
        `schedule after forms a cycle: ${cycle.join(' → ')}`,
        'break the cycle: give one of them a cron, every or continuous schedule',
      );
      return;
    }
    state.set(name, 'visiting');
    const schedule = syncs.get(name)?.schedule;
    if (schedule?.kind === 'after') for (const next of schedule.syncs) visit(next, [...trail, name]);
    state.set(name, 'done');
  };
  for (const name of syncs.keys()) visit(name, []);
}
