import { setTimeout as sleep } from 'node:timers/promises';
import { SluiceError } from '../core/errors.js';
import { type RunQueue, type RunRequest, requestKey, type TakenRequest } from './run-queue.js';

/** PostgreSQL's deadlock_detected. */
function isDeadlock(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '40P01' || /deadlock detected/.test(String(error));
}

/** The one queue of run requests. */
const QUEUE = 'sluice_runs';

/** The subset of pg-boss 10 that the queue uses (service-notes.md §1). */
interface PgBossLike {
  on(event: 'error', handler: (error: Error) => void): unknown;
  start(): Promise<unknown>;
  stop(options: { graceful: boolean; wait: boolean; close: boolean; timeout?: number }): Promise<void>;
  createQueue(name: string, options: Record<string, unknown>): Promise<void>;
  send(name: string, data: object, options: Record<string, unknown>): Promise<string | null>;
  fetch<T>(name: string, options: { batchSize: number }): Promise<{ id: string; data: T }[]>;
  complete(name: string, id: string): Promise<void>;
  getQueueSize(name: string): Promise<number>;
}

export interface PgBossQueueOptions {
  /** The PostgreSQL URL of the state: the queue lives in the same database. */
  url: string;
  /** The schema pg-boss keeps its tables in (default `sluice_jobs`). */
  schema?: string;
  /** Told of pg-boss's background failures (maintenance, a lost connection). */
  onError?: (error: Error) => void;
}

/**
 * Run requests in PostgreSQL with pg-boss 10 (Node 20; 11+ needs Node 22). One queue, policy
 * `short` keyed by `requestKey`: at most one request per queued run (or takeover of a sync) waits,
 * and asking again answers null — while requests for other syncs never wait behind a busy one (a
 * `stately`/`singleton` queue keyed by sync would block them, service-notes.md §1). A request is completed as soon as it is taken:
 * pg-boss has no heartbeat, so its expiry would hand a long run's request to a second worker while
 * the first still runs; the lease in the state store is what guards a run.
 */
export class PgBossQueue implements RunQueue {
  readonly shared = true;
  readonly #boss: PgBossLike;

  private constructor(boss: PgBossLike) {
    this.#boss = boss;
  }

  static async open(options: PgBossQueueOptions): Promise<PgBossQueue> {
    const { default: PgBoss } = (await import('pg-boss')) as unknown as {
      default: new (config: Record<string, unknown>) => PgBossLike;
    };
    for (let attempt = 1; ; attempt++) {
      const boss = new PgBoss({
        connectionString: options.url,
        schema: options.schema ?? 'sluice_jobs',
        max: 4,
        // No pg-boss cron (schedules are Sluice's own), and maintenance often enough that finished
        // requests are archived and the queue stays small.
        schedule: false,
        maintenanceIntervalSeconds: 30,
      });
      // pg-boss reports background failures as 'error' events: unheard, Node would crash on them.
      boss.on('error', (error) => options.onError?.(error));
      try {
        await boss.start();
        await boss.createQueue(QUEUE, { name: QUEUE, policy: 'short', retryLimit: 0 });
        return new PgBossQueue(boss);
      } catch (error) {
        await boss.stop({ graceful: false, wait: true, close: true }).catch(() => undefined);
        // Processes starting at once on a fresh database may deadlock creating the queue's tables
        // (PostgreSQL aborts one of them): that one starts afresh, and finds the tables made.
        if (isDeadlock(error) && attempt < 5) {
          await sleep(100 * attempt + Math.random() * 100);
          continue;
        }
        throw new SluiceError(
          'state_error',
          `the run queue in PostgreSQL could not start: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
    }
  }

  async request(request: RunRequest, delayMs = 0): Promise<string | null> {
    return this.#boss.send(QUEUE, request, {
      singletonKey: requestKey(request),
      ...(delayMs > 0 ? { startAfter: new Date(Date.now() + delayMs) } : {}),
    });
  }

  async take(): Promise<TakenRequest | null> {
    const [job] = await this.#boss.fetch<RunRequest>(QUEUE, { batchSize: 1 });
    if (job === undefined) return null;
    await this.#boss.complete(QUEUE, job.id);
    return { ...job.data, id: job.id };
  }

  depth(): Promise<number> {
    return this.#boss.getQueueSize(QUEUE);
  }

  async close(): Promise<void> {
    await this.#boss.stop({ graceful: false, wait: true, close: true });
  }
}
