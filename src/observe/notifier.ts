import { randomBytes } from 'node:crypto';
import type { RunSummary } from '../core/run.js';
import type { NotificationType, Workspace } from '../core/workspace.js';
import type { AlertEvaluation, NewNotification, StateStore, StoredAlert } from '../state/state-store.js';
import { type AlertFinding, evaluateAlerts, previousRunsNeeded } from './evaluate-alerts.js';
import { alertEventBody, type RunEventType, runEventBody } from './notification-events.js';

/** What the Notifier needs of a state store. */
export type NotifierState = Pick<StateStore, 'runs' | 'alerts' | 'notifications'>;

export interface NotifierOptions {
  state: NotifierState;
  /** Its syncs' alert rules, the `webhooks:` events and targets. */
  workspace: Pick<Workspace, 'syncs' | 'webhooks'>;
  /** A notification's id, the Standard Webhooks `webhook-id` (default `msg_` + 144 random bits). */
  newId?: () => string;
  now?: () => Date;
}

/**
 * Turns a run's life into notifications in the state's outbox (SPEC §7): the `webhooks:` lifecycle
 * events, and the alerts a finished run raises or resolves, each to its targets. It only queues;
 * the Deliverer sends, so a run never waits on a slow or broken target. Dry runs notify nothing.
 */
export class Notifier {
  readonly #state: NotifierState;
  readonly #workspace: NotifierOptions['workspace'];
  readonly #newId: () => string;
  readonly #now: () => Date;

  constructor(options: NotifierOptions) {
    this.#state = options.state;
    this.#workspace = options.workspace;
    this.#newId = options.newId ?? newNotificationId;
    this.#now = options.now ?? (() => new Date());
  }

  /** Queues `run.started` to the `webhooks:` targets, when its events list it. */
  async runStarted(run: RunSummary, document: object): Promise<void> {
    if (run.dryRun) return;
    await this.#queueRunEvent('run.started', document, run.startedAt);
  }

  /**
   * Queues `run.completed` or `run.failed` to the `webhooks:` targets when listed, then judges the
   * sync's alerts against the run and applies the verdicts in the state: each alert that changes
   * queues its notifications in the same transaction. Answers the alerts that changed (for logs).
   * A dry run, or a run that has not finished, does nothing.
   */
  async runFinished(run: RunSummary, document: object): Promise<StoredAlert[]> {
    if (run.dryRun || (run.status !== 'completed' && run.status !== 'failed')) return [];
    const type = run.status === 'completed' ? 'run.completed' : 'run.failed';
    await this.#queueRunEvent(type, document, run.finishedAt ?? this.#now().toISOString());

    const rules = this.#workspace.syncs[run.sync]?.alerts ?? [];
    if (rules.length === 0) return [];
    const findings = evaluateAlerts(rules, run, await this.#previousRuns(run, previousRunsNeeded(rules)));
    if (findings.length === 0) return [];
    const at = this.#now().toISOString();
    const open = findings.some((finding) => !finding.holds) ? await this.#openAlerts(run.sync) : new Map();
    const evaluations = findings.map((finding) =>
      this.#evaluation(run, finding, open.get(finding.rule.id), at),
    );
    return this.#state.alerts.apply(evaluations, at);
  }

  async #queueRunEvent(type: RunEventType, document: object, timestamp: string): Promise<void> {
    const webhooks = this.#workspace.webhooks;
    if (webhooks === undefined || !webhooks.events.includes(type)) return;
    const body = runEventBody(type, document, timestamp);
    await this.#state.notifications.enqueue(this.#notifications(webhooks.notify, type, body));
  }

  /** The sync's previous completed real runs, newest first, without `run` itself. */
  async #previousRuns(run: RunSummary, needed: number): Promise<RunSummary[]> {
    if (needed === 0) return [];
    const page = await this.#state.runs.list({
      sync: run.sync,
      status: 'completed',
      dryRun: false,
      limit: needed + 1,
    });
    return page.items.filter((other) => other.runId !== run.runId).slice(0, needed);
  }

  /** The sync's open alerts by rule: a resolve's event names the run that raised it. */
  async #openAlerts(sync: string): Promise<Map<string, StoredAlert>> {
    const open = new Map<string, StoredAlert>();
    let cursor: string | undefined;
    do {
      const page = await this.#state.alerts.list({
        sync,
        state: 'raised',
        limit: 100,
        ...(cursor === undefined ? {} : { cursor }),
      });
      for (const alert of page.items) open.set(alert.rule, alert);
      cursor = page.next ?? undefined;
    } while (cursor !== undefined);
    return open;
  }

  /**
   * A finding as the alert book takes it, with the notifications of the one change it can make: a
   * raise when it holds, a resolve when it does not and an alert is open (none otherwise: the book
   * changes nothing then). Targets are the rule's own and, when the change's event is among the
   * `webhooks:` events, those too; one notification per target.
   */
  #evaluation(
    run: RunSummary,
    finding: AlertFinding,
    open: StoredAlert | undefined,
    at: string,
  ): AlertEvaluation {
    const { rule, holds, figures } = finding;
    const evaluation = { sync: run.sync, rule: rule.id, kind: rule.when, holds, figures, runId: run.runId };
    if (!holds && open === undefined) return { ...evaluation, notifications: [] };
    const type: NotificationType = holds ? 'alert.raised' : 'alert.resolved';
    const webhooks = this.#workspace.webhooks;
    const targets = [...rule.notify, ...(webhooks?.events.includes(type) ? webhooks.notify : [])];
    const body = alertEventBody(
      {
        sync: run.sync,
        rule: rule.id,
        kind: rule.when,
        state: holds ? 'raised' : 'resolved',
        figures,
        run_id: run.runId,
        raised_run_id: open?.raisedRunId ?? run.runId,
        raised_at: open?.raisedAt ?? at,
      },
      at,
    );
    return { ...evaluation, notifications: this.#notifications(targets, type, body) };
  }

  #notifications(targets: readonly string[], type: NotificationType, body: string): NewNotification[] {
    const createdAt = this.#now().toISOString();
    return [...new Set(targets)].map((target) => ({ id: this.#newId(), target, type, body, createdAt }));
  }
}

/** `msg_` and 144 random bits in base64url: a Standard Webhooks `webhook-id`, unique per notification. */
export function newNotificationId(): string {
  return `msg_${randomBytes(18).toString('base64url')}`;
}
