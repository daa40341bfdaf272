import type { AlertKind, NotifyTarget } from '../core/workspace.js';
import type { StoredAlert, TargetHealth } from '../state/state-store.js';
import type { Listing } from './documents.js';

/**
 * The JSON of `sluice alerts --json`, `Sluice.alerts` and `GET /api/v1/alerts` (SPEC §7): the
 * alerts, and how each `notify:` target's deliveries go, so a target that fails is seen.
 */

/** An alert from the run that raised it to the run that resolved it. */
export interface AlertDocument {
  id: string;
  sync: string;
  /** The rule in words, e.g. "failed_rows over 5%". */
  rule: string;
  kind: AlertKind;
  state: 'raised' | 'resolved';
  raised_at: string;
  raised_run_id: string;
  /** The figures that tripped it (e.g. failed, planned, ratio, over). */
  figures: Record<string, number>;
  resolved_at: string | null;
  resolved_run_id: string | null;
  resolved_figures: Record<string, number> | null;
}

/** A `notify:` target and how its deliveries go: never its URL (a credential), only its host. */
export interface TargetDocument {
  target: string;
  /** Null for a target the state knows of that is no longer in sluice.yaml. */
  type: NotifyTarget['type'] | null;
  host: string | null;
  pending: number;
  /** Given up after every retry. */
  failed: number;
  delivered: number;
  last_delivered_at: string | null;
  /** The newest failed attempt, when newer than the last delivery: the target is failing. */
  last_failure: { at: string; status: number | null; error: string } | null;
}

export interface AlertListing extends Listing<AlertDocument> {
  targets: TargetDocument[];
}

export function alertDocument(alert: StoredAlert): AlertDocument {
  return {
    id: alert.id,
    sync: alert.sync,
    rule: alert.rule,
    kind: alert.kind,
    state: alert.state,
    raised_at: alert.raisedAt,
    raised_run_id: alert.raisedRunId,
    figures: alert.figures,
    resolved_at: alert.resolvedAt,
    resolved_run_id: alert.resolvedRunId,
    resolved_figures: alert.resolvedFigures,
  };
}

/**
 * Every target of sluice.yaml, in its order (with zero counts when nothing was sent to it yet), then
 * those the state knows of that sluice.yaml no longer names.
 */
export function targetDocuments(
  targets: Readonly<Record<string, NotifyTarget>>,
  health: readonly TargetHealth[],
): TargetDocument[] {
  const byName = new Map(health.map((entry) => [entry.target, entry]));
  const configured = Object.values(targets).map((target) =>
    targetDocument(target.name, target, byName.get(target.name)),
  );
  const gone = health
    .filter((entry) => targets[entry.target] === undefined)
    .map((entry) => targetDocument(entry.target, undefined, entry));
  return [...configured, ...gone];
}

function targetDocument(
  name: string,
  target: NotifyTarget | undefined,
  health: TargetHealth | undefined,
): TargetDocument {
  return {
    target: name,
    type: target?.type ?? null,
    host: target === undefined ? null : hostOf(target.url.reveal()),
    pending: health?.pending ?? 0,
    failed: health?.failed ?? 0,
    delivered: health?.delivered ?? 0,
    last_delivered_at: health?.lastDeliveredAt ?? null,
    last_failure: health?.lastFailure ?? null,
  };
}

/** The URL's host (and port): enough to tell targets apart, never the path or query that hold tokens. */
function hostOf(url: string): string | null {
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}
