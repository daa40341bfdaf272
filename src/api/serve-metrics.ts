import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Exchange, RunCounts, SchedulerEvent, ServiceEvent } from '../index.js';

/** The row outcomes counted by `sluice_rows_total{outcome}`: a run's counts of that name. */
const ROW_OUTCOMES = [
  'succeeded',
  'failed',
  'abandoned',
  'invalid',
  'unchanged',
  'removed',
] as const satisfies readonly (keyof RunCounts)[];

export interface ServeMetricsOptions {
  /** Run requests waiting in the queue, read when /metrics is scraped. */
  queueDepth?: () => Promise<number>;
  /** Node's process metrics (`sluice_process_cpu_seconds_total`, …); default true. */
  processMetrics?: boolean;
}

/**
 * The Prometheus metrics of `sluice serve` and `sluice worker` (SPEC §6 `/metrics`), in a registry
 * of their own so that two in one process (tests, a library user's app) never collide.
 *
 * Dry runs are not counted: the metrics describe what reached, or was meant to reach, the
 * destination, and a dry run sends nothing. Destination requests are counted per sync, by HTTP
 * status or `error` when no answer came.
 */
export class ServeMetrics {
  readonly registry = new Registry();
  readonly #runs: Counter<'sync' | 'status'>;
  readonly #rows: Counter<'sync' | 'outcome'>;
  readonly #runDuration: Histogram<'sync'>;
  readonly #requests: Counter<'sync' | 'status'>;
  readonly #scheduleLag: Histogram<'sync'>;
  readonly #notifications: Counter<'target' | 'outcome'>;
  readonly #alerts: Counter<'sync' | 'change'>;

  constructor(options: ServeMetricsOptions = {}) {
    const registers = [this.registry];
    this.#runs = new Counter({
      name: 'sluice_runs_total',
      help: 'Finished runs, by sync and status (completed or failed); dry runs are not counted',
      labelNames: ['sync', 'status'],
      registers,
    });
    this.#rows = new Counter({
      name: 'sluice_rows_total',
      help: `Rows of finished runs by outcome (${ROW_OUTCOMES.join(', ')}); dry runs are not counted`,
      labelNames: ['sync', 'outcome'],
      registers,
    });
    this.#runDuration = new Histogram({
      name: 'sluice_run_duration_seconds',
      help: 'How long finished runs took, by sync',
      labelNames: ['sync'],
      buckets: [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 7200],
      registers,
    });
    this.#requests = new Counter({
      name: 'sluice_destination_requests_total',
      help: 'Requests to destinations, by sync and HTTP status (error: no answer came)',
      labelNames: ['sync', 'status'],
      registers,
    });
    this.#scheduleLag = new Histogram({
      name: 'sluice_schedule_lag_seconds',
      help: "How late a schedule fired after its slot's time, by sync",
      labelNames: ['sync'],
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900],
      registers,
    });
    this.#notifications = new Counter({
      name: 'sluice_notifications_total',
      help: 'Notification delivery attempts by this process, by notify target and outcome (delivered, failed, given_up)',
      labelNames: ['target', 'outcome'],
      registers,
    });
    this.#alerts = new Counter({
      name: 'sluice_alerts_total',
      help: 'Alerts raised and resolved by runs of this process, by sync and change (raised, resolved)',
      labelNames: ['sync', 'change'],
      registers,
    });
    const queueDepth = options.queueDepth;
    new Gauge({
      name: 'sluice_queue_depth',
      help: 'Run requests waiting in the queue',
      registers,
      ...(queueDepth === undefined
        ? {}
        : {
            async collect() {
              // An unreadable queue keeps the last value rather than failing the whole scrape.
              try {
                this.set(await queueDepth());
              } catch {}
            },
          }),
    });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'sluice_' });
  }

  /** Counts what the service (its worker) or the scheduler reports; other events are ignored. */
  observe(event: ServiceEvent | SchedulerEvent): void {
    switch (event.event) {
      case 'run_finished': {
        const result = event.result;
        if (result.dry_run) return;
        this.#runs.inc({ sync: result.sync, status: result.status });
        for (const outcome of ROW_OUTCOMES) {
          const count = result.counts[outcome];
          if (count > 0) this.#rows.inc({ sync: result.sync, outcome }, count);
        }
        this.#runDuration.observe({ sync: result.sync }, result.duration_ms / 1000);
        return;
      }
      case 'notification_delivered':
      case 'notification_failed':
      case 'notification_given_up':
        this.#notifications.inc({ target: event.target, outcome: event.event.slice('notification_'.length) });
        return;
      case 'alert_raised':
      case 'alert_resolved':
        this.#alerts.inc({ sync: event.sync, change: event.event.slice('alert_'.length) });
        return;
      case 'schedule_fired':
        this.#scheduleLag.observe({ sync: event.sync }, Math.max(0, event.lag_ms) / 1000);
        return;
      default:
        return;
    }
  }

  /** Counts one request to the destination of `sync`: its HTTP status, or `error` for no answer. */
  observeRequest(sync: string, status: number | 'error'): void {
    this.#requests.inc({ sync, status: String(status) });
  }

  /** Counts one HTTP exchange of a run of `sync` with its destination (`Sluice.startService`'s `onExchange`). */
  observeExchange(sync: string, exchange: Pick<Exchange, 'status'>): void {
    this.observeRequest(sync, exchange.status ?? 'error');
  }

  /** The Prometheus text format of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
