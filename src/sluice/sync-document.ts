import type { AlertKind, MappingSource, SyncConfig } from '../core/workspace.js';
import type { SyncOverview } from './sync-overview.js';

/** Where one destination path takes its value from, in sluice.yaml's own words. */
export type MappingSourceDocument =
  | { column: string }
  | { template: string; json: boolean }
  | { constant: unknown };

/** One mapping of a sync: the destination path and its source. */
export interface MappingDocument {
  path: string;
  source: MappingSourceDocument;
  /** The mapping's own `nulls:`, or null when it follows the sync's. */
  nulls: 'send' | 'skip' | null;
}

/**
 * One sync as `Sluice.describeSync` and `GET /api/v1/syncs/{name}` give it (SPEC §6): its overview
 * and how it is configured. Only names of the model and destination appear, never their settings,
 * so nothing secret (a write key, a database URL) can reach it.
 */
export interface SyncDocument extends SyncOverview {
  key: { column: string; field: string | null };
  mappings: MappingDocument[];
  /** `bundle:` (every column not otherwise used, into one object), or null when not set. */
  bundle: { into: string; include: string[] | null; exclude: string[] | null } | null;
  nulls: 'send' | 'skip';
  backfill: boolean;
  /** `retry:`: when a failing row is given up on; null fields are unbounded. */
  retry: { max_attempts: number | null; max_age_ms: number | null };
  /** An event sync's `cursor:`, or null. */
  cursor: { column: string; lookback_ms: number } | null;
  /** `writeback:` (a source's name and a table), or null. */
  writeback: { source: string; table: string } | null;
  /** The alerts that watch it: the top level's and its own, one per rule; targets by name. */
  alerts: { rule: string; kind: AlertKind; notify: string[] }[];
}

export function syncDocument(sync: SyncConfig, overview: SyncOverview): SyncDocument {
  return {
    ...overview,
    key: { column: sync.key.column, field: sync.key.field ?? null },
    mappings: sync.mappings.map((mapping) => ({
      path: mapping.path,
      source: mappingSourceDocument(mapping.source),
      nulls: mapping.nulls ?? null,
    })),
    bundle:
      sync.bundle === undefined
        ? null
        : {
            into: sync.bundle.into,
            include: sync.bundle.include ?? null,
            exclude: sync.bundle.exclude ?? null,
          },
    nulls: sync.nulls,
    backfill: sync.backfill,
    retry: { max_attempts: sync.retry.maxAttempts ?? null, max_age_ms: sync.retry.maxAgeMs ?? null },
    cursor:
      sync.cursor === undefined ? null : { column: sync.cursor.column, lookback_ms: sync.cursor.lookbackMs },
    writeback:
      sync.writeback === undefined ? null : { source: sync.writeback.source, table: sync.writeback.table },
    alerts: (sync.alerts ?? []).map((rule) => ({ rule: rule.id, kind: rule.when, notify: [...rule.notify] })),
  };
}

function mappingSourceDocument(source: MappingSource): MappingSourceDocument {
  switch (source.kind) {
    case 'column':
      return { column: source.column };
    case 'template':
      return { template: source.template, json: source.json };
    case 'constant':
      return { constant: source.value };
  }
}
