import type { AlertEvaluation, NewNotification } from './state-store.js';

/**
 * The notifications an evaluation queues for the change it made (state-store.ts AlertEvaluation):
 * a raise queues all but its `alert.resolved` ones, a resolve all but its `alert.raised` ones, so a
 * notification never announces a change that did not happen. Shared by every store.
 */
export function notificationsOfChange(
  evaluation: AlertEvaluation,
  change: 'raised' | 'resolved',
): NewNotification[] {
  const other = change === 'raised' ? 'alert.resolved' : 'alert.raised';
  return evaluation.notifications.filter((notification) => notification.type !== other);
}

/** When a claim made at `now` for `leaseMs` runs out, as ISO text (which compares in time order). */
export function leaseEnd(now: string, leaseMs: number): string {
  return new Date(Date.parse(now) + Math.max(0, leaseMs)).toISOString();
}
