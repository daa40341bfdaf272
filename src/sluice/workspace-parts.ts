import { SluiceError } from '../core/errors.js';
import type { ModelConfig, SyncConfig, Workspace } from '../core/workspace.js';
import type { Destination, ObjectDescriptor } from '../destinations/destination.js';
import { destinationType } from '../destinations/registry.js';
import type { DeliveryLogEvent } from '../observe/deliverer.js';
import { Notifier } from '../observe/notifier.js';
import { InProcessQueue } from '../schedule/in-process-queue.js';
import { PgBossQueue } from '../schedule/pg-boss-queue.js';
import type { RunQueue } from '../schedule/run-queue.js';
import { createSource, createWritebackWriter } from '../sources/registry.js';
import type { Source, WritebackWriter } from '../sources/source.js';
import { openStateStore } from '../state/registry.js';
import type { StateStore } from '../state/state-store.js';
import { rateLimited } from '../sync/rate-limited-destination.js';
import type { SyncRunResult, WritebackOutcome } from '../sync/run-result.js';
import { type RunSyncOptions, runSync, type SyncParts } from '../sync/run-sync.js';
import { finishedRun, writeBackRun } from '../sync/writeback.js';
import { runDocument } from './documents.js';
import { VERSION } from './version.js';

/**
 * What the workspace's observability tells whoever listens (logs, the CLI): an alert raised or
 * resolved, a notification delivered or failing. Carries no secret: targets by name only.
 */
export type ObserveEvent =
  | {
      event: 'alert_raised' | 'alert_resolved';
      sync: string;
      run_id: string;
      alert_id: string;
      rule: string;
      figures: Record<string, number>;
    }
  | DeliveryLogEvent;

/**
 * The one place that wires real parts (ARCHITECTURE.md): the workspace's state store, sources and
 * destinations, opened lazily, each once, and all closed by `close()`. `Sluice` (sluice.ts) is the
 * public face over it.
 */
export class WorkspaceParts {
  readonly workspace: Workspace;
  #state: Promise<StateStore> | null = null;
  #queue: Promise<RunQueue> | null = null;
  readonly #queueErrors = new Set<(message: string) => void>();
  readonly #observers = new Set<(event: ObserveEvent) => void>();
  #notifier: Notifier | null = null;
  readonly #sources = new Map<string, Promise<Source>>();
  readonly #destinations = new Map<string, Destination>();

  constructor(workspace: Workspace) {
    this.workspace = workspace;
  }

  state(): Promise<StateStore> {
    this.#state ??= openStateStore(this.workspace.state);
    return this.#state;
  }

  /**
   * The queue of run requests that workers take runs from: in the state's PostgreSQL database, shared
   * by every process (SPEC §5); with SQLite state, in this process's memory (the embedded default:
   * `sluice serve` runs what it queues — queued runs wait in the state's history, so one asked for
   * by another process is started by the worker's sweep of the history).
   */
  queue(): Promise<RunQueue> {
    const state = this.workspace.state;
    if (state.kind !== 'postgres') {
      this.#queue ??= Promise.resolve(new InProcessQueue());
      return this.#queue;
    }
    const url = state.url.reveal();
    // The queue's background failures (a lost connection, maintenance) go to whoever listens, the
    // state's password taken out of them.
    const password = new URL(url).password;
    const onError = (error: Error) => {
      const message =
        password === '' ? error.message : error.message.replaceAll(decodeURIComponent(password), '***');
      for (const listener of this.#queueErrors) listener(message);
    };
    this.#queue ??= PgBossQueue.open({ url, onError });
    return this.#queue;
  }

  /** Tells `listener` of the run queue's background failures (see `queue`); returns how to stop. */
  onQueueError(listener: (message: string) => void): () => void {
    this.#queueErrors.add(listener);
    return () => this.#queueErrors.delete(listener);
  }

  source(name: string): Promise<Source> {
    let source = this.#sources.get(name);
    if (source === undefined) {
      const config = this.workspace.sources[name];
      if (config === undefined)
        throw new SluiceError('not_found', `no source named "${name}" in sluice.yaml`);
      source = createSource(config, { name, workspaceDir: this.workspace.dir });
      this.#sources.set(name, source);
    }
    return source;
  }

  destination(name: string): Destination {
    let destination = this.#destinations.get(name);
    if (destination === undefined) {
      const config = this.workspace.destinations[name];
      if (config === undefined)
        throw new SluiceError('not_found', `no destination named "${name}" in sluice.yaml`);
      const type = destinationType(config.type);
      if (type === undefined)
        throw new SluiceError('config_invalid', `unknown destination type "${config.type}"`);
      destination = type.create(config.config, { version: VERSION });
      this.#destinations.set(name, destination);
    }
    return destination;
  }

  /** The sync named `name`; `not_found` naming the syncs there are when there is none. */
  sync(name: string): SyncConfig {
    return named('sync', name, this.workspace.syncs);
  }

  /** The model named `name`; `not_found` naming the models there are when there is none. */
  model(name: string): ModelConfig {
    return named('model', name, this.workspace.models);
  }

  descriptor(sync: SyncConfig): ObjectDescriptor {
    const config = this.workspace.destinations[sync.destination]!;
    return destinationType(config.type)!.objects[sync.object];
  }

  /** Everything one run of a sync needs. */
  async syncParts(sync: SyncConfig): Promise<SyncParts> {
    const model = this.workspace.models[sync.model]!;
    const state = await this.state();
    const destination = this.destination(sync.destination);
    const rateLimit = this.workspace.destinations[sync.destination]!.rateLimit;
    return {
      source: await this.source(model.source),
      // The limit is the destination's, across every run on every worker sharing this state.
      destination:
        rateLimit === undefined
          ? destination
          : rateLimited(destination, state.rates, `destination:${sync.destination}`, rateLimit.perSecond),
      state,
      descriptor: this.descriptor(sync),
      version: VERSION,
      ...(this.workspace.workspaceId === undefined ? {} : { workspaceId: this.workspace.workspaceId }),
    };
  }

  /**
   * Runs the sync named `name` once with these parts: the one way a run is started, so no caller
   * wires the model and parts by hand. Throws `not_found` for an unknown name; otherwise as
   * `runSync` (a failed run is a result, not a throw).
   */
  async runSync(name: string, options: RunSyncOptions = {}): Promise<SyncRunResult> {
    const sync = this.sync(name);
    const parts = await this.syncParts(sync);
    const result = await runSync(sync, this.workspace.models[sync.model]!, parts, {
      ...options,
      onStarted: async (started) => {
        await options.onStarted?.(started);
        if (!started.dryRun) await this.#notify(parts.state, started.runId, 'started', options);
      },
    });
    // The run's reading is done (SPEC §5): the writeback opens its own connection for writing.
    // A state that cannot keep the writeback's outcome must not turn a finished run into a throw.
    const writeback = await writeBackRun(sync, finishedRun(result), parts.state, () =>
      this.writebackWriter(sync.writeback!.source),
    ).catch((error: unknown): WritebackOutcome => {
      const message = error instanceof Error ? error.message : String(error);
      return {
        source: sync.writeback!.source,
        table: sync.writeback!.table,
        rows: 0,
        error: { code: 'state_error', message: `its outcome could not be kept in the state: ${message}` },
        at: new Date().toISOString(),
      };
    });
    if (writeback !== undefined && writeback.error !== null) {
      options.onWarning?.(
        `✗ ${sync.name}: writeback of run ${result.run_id} failed: ${writeback.error.message}`,
      );
    }
    // Alerts and webhooks see the run as the history keeps it, its writeback included (SPEC §7).
    if (!result.dry_run) await this.#notify(parts.state, result.run_id, 'finished', options);
    return writeback === undefined ? result : { ...result, writeback };
  }

  /** Tells `listener` of alerts changing state and of notification deliveries; returns how to stop. */
  onObserve(listener: (event: ObserveEvent) => void): () => void {
    this.#observers.add(listener);
    return () => this.#observers.delete(listener);
  }

  /** Tells every `onObserve` listener of `event`; a listener that throws is not the run's problem. */
  observe(event: ObserveEvent): void {
    for (const listener of this.#observers) {
      try {
        listener(event);
      } catch {
        // A log sink that fails must not fail a run or a delivery.
      }
    }
  }

  /**
   * Queues a real run's lifecycle notifications and, once it finished, evaluates its sync's alerts
   * (SPEC §7). Never fails the run: a state that cannot take them is a warning, and the run's own
   * outcome stands.
   */
  async #notify(
    state: StateStore,
    runId: string,
    moment: 'started' | 'finished',
    options: RunSyncOptions,
  ): Promise<void> {
    try {
      const run = await state.runs.get(runId);
      if (run === null) return;
      this.#notifier ??= new Notifier({ state, workspace: this.workspace });
      if (moment === 'started') {
        await this.#notifier.runStarted(run, runDocument(run));
        return;
      }
      const changed = await this.#notifier.runFinished(run, runDocument(run));
      for (const alert of changed) {
        const event = alert.state === 'raised' ? 'alert_raised' : 'alert_resolved';
        const figures = alert.state === 'raised' ? alert.figures : (alert.resolvedFigures ?? {});
        this.observe({
          event,
          sync: alert.sync,
          run_id: runId,
          alert_id: alert.id,
          rule: alert.rule,
          figures,
        });
      }
    } catch (error) {
      options.onWarning?.(
        `✗ ${runId}: its notifications and alerts could not be recorded: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /** The writer of a writeback into the source named `name` (a new one each time: it holds nothing). */
  writebackWriter(name: string): Promise<WritebackWriter> {
    const config = this.workspace.sources[name];
    if (config === undefined) throw new SluiceError('not_found', `no source named "${name}" in sluice.yaml`);
    return createWritebackWriter(config, { name, workspaceDir: this.workspace.dir });
  }

  async close(): Promise<void> {
    const closing: Promise<unknown>[] = [];
    for (const source of this.#sources.values()) closing.push(source.then((s) => s.close()).catch(() => {}));
    for (const destination of this.#destinations.values()) closing.push(destination.close());
    if (this.#state) closing.push(this.#state.then((s) => s.close()).catch(() => {}));
    if (this.#queue) closing.push(this.#queue.then((q) => q.close()).catch(() => {}));
    await Promise.allSettled(closing);
  }
}

/** `all[name]`, or `not_found` listing the names there are (the user asked for one by name). */
function named<T>(what: string, name: string, all: Readonly<Record<string, T>>): T {
  const found = all[name];
  if (found === undefined) {
    const known = Object.keys(all);
    throw new SluiceError(
      'not_found',
      `no ${what} named "${name}" — the workspace has: ${known.length > 0 ? known.join(', ') : '(none)'}`,
    );
  }
  return found;
}
