import type { NotifyTarget } from '../core/workspace.js';
import type { StateStore, StoredNotification } from '../state/state-store.js';
import { slackMessage } from './notification-events.js';
import { webhookHeaders } from './standard-webhooks.js';

/**
 * How long after each failed attempt the next one is due: 5 s, 30 s, 2 min, 10 min, 30 min, 1 h,
 * 3 h, 6 h, 12 h. After the tenth attempt fails (about 23 hours after the first) the notification
 * is given up (`failed` in the outbox, shown by `sluice alerts`): a target down for a day has
 * moved on, and an alert about yesterday is noise.
 */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [
  5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000, 43_200_000,
];
/** How long one POST may take, answer included. */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** Notifications claimed and sent at once. */
const BATCH = 10;

/** One line of the deliverer's log: plain data, never a URL or a secret (the target's name and host at most). */
export type DeliveryLogEvent =
  | {
      event: 'notification_delivered';
      target: string;
      type: string;
      id: string;
      attempt: number;
      status: number;
    }
  | {
      event: 'notification_failed' | 'notification_given_up';
      target: string;
      type: string;
      id: string;
      attempt: number;
      status: number | null;
      error: string;
      /** When it is tried again (failed only). */
      next_attempt_at?: string;
    }
  | { event: 'notification_delivery_error'; error: string };

export interface DelivererOptions {
  state: Pick<StateStore, 'notifications'>;
  /** The workspace's `notify:` targets by name. */
  targets: Readonly<Record<string, NotifyTarget>>;
  log?: (event: DeliveryLogEvent) => void;
  /** The wait after each failed attempt (see DEFAULT_RETRY_DELAYS_MS); given up when they run out. */
  retryDelaysMs?: readonly number[];
  timeoutMs?: number;
  /** The time attempts are made and recorded at (tests). */
  clock?: () => Date;
}

/** What one `deliverDue` did. */
export interface DeliveryCounts {
  delivered: number;
  /** Failed and due again later. */
  failed: number;
  givenUp: number;
}

/**
 * Sends the notifications the state's outbox holds (SPEC §7), claimed so that every process on one
 * state can share the work: a webhook gets the event body signed per Standard Webhooks (a retry
 * keeps its `webhook-id` and is signed afresh with its own timestamp), a Slack target its `{"text"}`.
 * A 2xx is delivered; anything else, a network error or no answer in time is retried after the next
 * delay; a target no longer in the workspace is given up at once.
 */
export class Deliverer {
  readonly #state: DelivererOptions['state'];
  readonly #targets: Readonly<Record<string, NotifyTarget>>;
  readonly #log: (event: DeliveryLogEvent) => void;
  readonly #delays: readonly number[];
  readonly #timeoutMs: number;
  readonly #clock: () => Date;
  #timer: NodeJS.Timeout | undefined;
  #loop: symbol | undefined;
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(options: DelivererOptions) {
    this.#state = options.state;
    this.#targets = options.targets;
    this.#log = options.log ?? (() => {});
    this.#delays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#clock = options.clock ?? (() => new Date());
  }

  /**
   * Claims and sends every notification due at `now`, a batch at a time, until none is due. The
   * claim's lease outlasts a batch's requests, so no other process sends them meanwhile.
   */
  async deliverDue(now: Date = this.#clock()): Promise<DeliveryCounts> {
    const counts: DeliveryCounts = { delivered: 0, failed: 0, givenUp: 0 };
    const leaseMs = 2 * this.#timeoutMs + 30_000;
    for (;;) {
      const claimed = await this.#state.notifications.claimDue(now.toISOString(), BATCH, leaseMs);
      const outcomes = await Promise.all(claimed.map((notification) => this.#deliver(notification)));
      for (const outcome of outcomes) counts[outcome]++;
      if (claimed.length < BATCH) return counts;
    }
  }

  /**
   * Delivers until nothing is pending or `withinMs` is up, waiting for the next due time in between:
   * what a CLI does before it exits (SPEC §7: at most a minute). What is left stays pending for the
   * next run or `serve`. Answers what was delivered and what is still pending.
   */
  async drain(options: { withinMs: number }): Promise<DeliveryCounts & { pending: number }> {
    const deadline = this.#clock().getTime() + options.withinMs;
    const total: DeliveryCounts = { delivered: 0, failed: 0, givenUp: 0 };
    for (;;) {
      const counts = await this.deliverDue();
      total.delivered += counts.delivered;
      total.failed += counts.failed;
      total.givenUp += counts.givenUp;
      const { count, nextDueAt } = await this.#state.notifications.pending();
      const now = this.#clock().getTime();
      if (count === 0 || nextDueAt === null) return { ...total, pending: count };
      const due = Date.parse(nextDueAt);
      if (due > deadline || now >= deadline) return { ...total, pending: count };
      // At least a moment: a notification another process holds is due when its lease ends.
      await sleep(Math.max(10, due - now));
    }
  }

  /** Sends what is due every `intervalMs` (and at once), for a long-running process, until stop(). */
  start(intervalMs: number): void {
    if (this.#loop !== undefined) return;
    // Each start is a loop of its own: one stopped while its delivery is in flight never reschedules.
    const loop = Symbol('delivery loop');
    this.#loop = loop;
    const tick = () => {
      const running = this.deliverDue()
        .catch((error: unknown) => {
          this.#log({ event: 'notification_delivery_error', error: errorText(error) });
        })
        .finally(() => {
          this.#inFlight.delete(running);
          if (this.#loop !== loop) return;
          this.#timer = setTimeout(tick, intervalMs);
          // A process with nothing else to do may exit: the outbox keeps what is pending.
          this.#timer.unref();
        });
      this.#inFlight.add(running);
    };
    tick();
  }

  /** Stops the timer and waits for the deliveries in flight. */
  async stop(): Promise<void> {
    this.#loop = undefined;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await Promise.all(this.#inFlight);
  }

  /** One attempt at one notification, settled in the outbox; never throws for the target's sake. */
  async #deliver(notification: StoredNotification): Promise<keyof DeliveryCounts> {
    const attempt = notification.attempts + 1;
    const base = { target: notification.target, type: notification.type, id: notification.id, attempt };
    const target = Object.hasOwn(this.#targets, notification.target)
      ? this.#targets[notification.target]
      : undefined;
    const result =
      target === undefined
        ? {
            status: null,
            error: `notify target "${notification.target}" is no longer in the workspace`,
            final: true,
          }
        : await this.#post(target, notification);
    const at = this.#clock();
    if ('ok' in result) {
      await this.#state.notifications.settle(notification.id, {
        delivered: true,
        at: at.toISOString(),
        status: result.status,
      });
      this.#log({ event: 'notification_delivered', ...base, status: result.status });
      return 'delivered';
    }
    const delay = result.final ? undefined : this.#delays[attempt - 1];
    const retryAt = delay === undefined ? null : new Date(at.getTime() + delay).toISOString();
    await this.#state.notifications.settle(notification.id, {
      delivered: false,
      at: at.toISOString(),
      status: result.status,
      error: result.error,
      retryAt,
    });
    if (retryAt === null) {
      this.#log({ event: 'notification_given_up', ...base, status: result.status, error: result.error });
      return 'givenUp';
    }
    this.#log({
      event: 'notification_failed',
      ...base,
      status: result.status,
      error: result.error,
      next_attempt_at: retryAt,
    });
    return 'failed';
  }

  /**
   * POSTs a notification to its target. Errors name the host at most: a URL's path or query may be
   * its credential (a Slack webhook's is), and so may fetch's own messages, which are not used.
   */
  async #post(
    target: NotifyTarget,
    notification: StoredNotification,
  ): Promise<{ ok: true; status: number } | { status: number | null; error: string; final: boolean }> {
    const url = target.url.reveal();
    const host = hostOf(url);
    let body: string;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (target.type === 'slack') {
      try {
        body = JSON.stringify(slackMessage(notification.body));
      } catch {
        return { status: null, error: 'the notification is not a JSON event', final: true };
      }
    } else {
      body = notification.body;
      const sentAt = this.#clock();
      // Unsigned deliveries carry the id and time too: a receiver deduplicates retries by the id.
      headers['webhook-id'] = notification.id;
      headers['webhook-timestamp'] = String(Math.floor(sentAt.getTime() / 1000));
      if (target.secret !== undefined) {
        Object.assign(headers, webhookHeaders(notification.id, body, target.secret.reveal(), sentAt));
      }
    }
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers,
        body,
        // A redirect is an answer that is not 2xx, like any other: following it could carry the
        // signed body somewhere the workspace never named.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      await response.body?.cancel();
      if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
      return { status: response.status, error: `${host} answered ${response.status}`, final: false };
    } catch (error) {
      return { status: null, error: networkError(error, host, this.#timeoutMs), final: false };
    }
  }
}

/** The URL's host (and port), or a neutral word when it does not parse. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the target';
  }
}

/** A failed fetch in words: its host and an error code, never fetch's message (it may quote the URL). */
function networkError(error: unknown, host: string, timeoutMs: number): string {
  if (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `${host} did not answer within ${timeoutMs} ms`;
  }
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  const code = typeof cause?.code === 'string' && /^[A-Z_]{2,40}$/.test(cause.code) ? cause.code : undefined;
  return `could not reach ${host}${code === undefined ? '' : ` (${code})`}`;
}

/** A store error's message for the log (state errors carry no notification URL or secret). */
function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
