import { Worker } from 'node:worker_threads';
import type { RecordStatus, RunCounts, RunRecord, RunSummary } from '../../core/run.js';
import type {
  DeliveryResult,
  FinishRun,
  KeyLookup,
  KeyState,
  LockAttempt,
  LockHolder,
  NewRun,
  PlannedChange,
  PruneOptions,
  PruneResult,
  RunFilter,
  SeenEntry,
  StateStore,
} from '../state-store.js';
import {
  type CallMessage,
  deserializeError,
  type ReplyMessage,
  type StoreMethod,
  type WorkerOptions,
} from './state-worker-protocol.js';
import { toStateError } from './to-state-error.js';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * The SQLite state store on a thread of its own. A sync spends a large share of its CPU in SQLite
 * (planning and delivery upserts, run records): on this thread those writes run beside reading,
 * mapping and sending instead of between them. Same file, same schema, same transactions, same
 * answers as SqliteStateStore — every call is forwarded to one there and answered in order.
 */
export class ThreadedStateStore implements StateStore {
  readonly #worker: Worker;
  readonly #file: string;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed: Promise<void> | null = null;
  #failure: Error | null = null;

  private constructor(worker: Worker, file: string) {
    this.#worker = worker;
    this.#file = file;
    worker.on('message', (reply: ReplyMessage) => this.#settle(reply));
    worker.on('error', (error) => this.#fail(error));
    worker.on('exit', (code) => this.#fail(new Error(`the state store thread exited (code ${code})`)));
    // Kept alive only while a call is waiting for its answer (see #call).
    worker.unref();
  }

  static async open(file: string, options: { busyTimeoutMs?: number } = {}): Promise<ThreadedStateStore> {
    const workerOptions: WorkerOptions = {
      file,
      ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }),
    };
    const worker = startWorker(workerOptions);
    await new Promise<void>((resolve, reject) => {
      const onMessage = (reply: ReplyMessage) => {
        if (reply.id !== 0) return;
        cleanup();
        if (reply.ok) resolve();
        else reject(deserializeError(reply.error));
      };
      const onError = (error: unknown) => {
        cleanup();
        reject(toStateError(error, file, 'starting the state store thread'));
      };
      const onExit = (code: number) => onError(new Error(`the thread exited (code ${code}) while opening`));
      const cleanup = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
    }).catch(async (error) => {
      await worker.terminate();
      throw error;
    });
    return new ThreadedStateStore(worker, file);
  }

  workspaceId(proposed?: string): Promise<string> {
    return this.#call('workspaceId', proposed === undefined ? [] : [proposed]);
  }
  startRun(run: NewRun): Promise<string> {
    return this.#call('startRun', [run]);
  }
  finishRun(runId: string, finish: FinishRun): Promise<void> {
    return this.#call('finishRun', [runId, finish]);
  }
  updateRunCounts(runId: string, counts: RunCounts): Promise<void> {
    return this.#call('updateRunCounts', [runId, counts]);
  }
  getRun(runId: string): Promise<RunSummary | null> {
    return this.#call('getRun', [runId]);
  }
  listRuns(options: RunFilter): Promise<RunSummary[]> {
    return this.#call('listRuns', [options]);
  }
  lastCompletedRun(sync: string): Promise<RunSummary | null> {
    return this.#call('lastCompletedRun', [sync]);
  }
  listRecords(runId: string, options: { status?: RecordStatus; limit: number }): Promise<RunRecord[]> {
    return this.#call('listRecords', [runId, options]);
  }
  getKeyStates(sync: string, keys: readonly string[]): Promise<Map<string, KeyState>> {
    return this.#call('getKeyStates', [sync, keys]);
  }
  lookupKeys(sync: string, keys: readonly string[], sourceHashes: readonly string[]): Promise<KeyLookup> {
    return this.#call('lookupKeys', [sync, keys, sourceHashes]);
  }
  getDeliveredPayloads(sync: string, keys: readonly string[]): Promise<Map<string, string>> {
    return this.#call('getDeliveredPayloads', [sync, keys]);
  }
  savePlanned(sync: string, changes: readonly PlannedChange[]): Promise<void> {
    return this.#call('savePlanned', [sync, changes]);
  }
  recordDeliveries(sync: string, runId: string, results: readonly DeliveryResult[]): Promise<void> {
    return this.#call('recordDeliveries', [sync, runId, results]);
  }
  recordRecords(runId: string, records: readonly Omit<RunRecord, 'runId'>[]): Promise<void> {
    return this.#call('recordRecords', [runId, records]);
  }
  markSeen(sync: string, entries: readonly SeenEntry[]): Promise<void> {
    return this.#call('markSeen', [sync, entries]);
  }
  refreshSourceHashes(sync: string, entries: readonly SeenEntry[]): Promise<void> {
    return this.#call('refreshSourceHashes', [sync, entries]);
  }
  hasKeys(sync: string): Promise<boolean> {
    return this.#call('hasKeys', [sync]);
  }
  countKeys(sync: string): Promise<{ keys: number; removed: number }> {
    return this.#call('countKeys', [sync]);
  }
  clearRemoved(sync: string, keys: readonly string[]): Promise<void> {
    return this.#call('clearRemoved', [sync, keys]);
  }
  notePresentKeys(run: string, keys: readonly string[]): Promise<void> {
    return this.#call('notePresentKeys', [run, keys]);
  }
  sweepRemoved(sync: string, run: string, options: { record: boolean }): Promise<number> {
    return this.#call('sweepRemoved', [sync, run, options]);
  }
  forgetPresentKeys(run: string): Promise<void> {
    return this.#call('forgetPresentKeys', [run]);
  }
  prune(options: PruneOptions): Promise<PruneResult | null> {
    return this.#call('prune', [options]);
  }
  acquireLock(name: string, holder: LockHolder, leaseMs: number, steal?: string): Promise<LockAttempt> {
    return this.#call(
      'acquireLock',
      steal === undefined ? [name, holder, leaseMs] : [name, holder, leaseMs, steal],
    );
  }
  renewLock(name: string, holderId: string, leaseMs: number): Promise<boolean> {
    return this.#call('renewLock', [name, holderId, leaseMs]);
  }
  releaseLock(name: string, holderId: string): Promise<void> {
    return this.#call('releaseLock', [name, holderId]);
  }

  /** Closes the connection and ends the thread. Closing twice is harmless. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      if (this.#failure === null) await this.#call<void>('close', []);
      await this.#worker.terminate();
    })();
    return this.#closed;
  }

  #call<T>(method: StoreMethod, args: unknown[]): Promise<T> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    if (this.#closed !== null && method !== 'close') {
      return Promise.reject(toStateError(new Error('the store is closed'), this.#file, method));
    }
    const id = this.#nextId++;
    const message: CallMessage = { id, method, args };
    return new Promise<T>((resolve, reject) => {
      if (this.#pending.size === 0) this.#worker.ref();
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#worker.postMessage(message);
    });
  }

  #settle(reply: ReplyMessage): void {
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return;
    this.#pending.delete(reply.id);
    if (this.#pending.size === 0) this.#worker.unref();
    if (reply.ok) pending.resolve(reply.value);
    else pending.reject(deserializeError(reply.error));
  }

  /** The thread died (a native crash, out of memory): every waiting and later call fails with why. */
  #fail(error: unknown): void {
    if (this.#failure !== null) return;
    this.#failure = toStateError(error, this.#file, 'running the state store thread');
    for (const pending of this.#pending.values()) pending.reject(this.#failure);
    this.#pending.clear();
  }
}

/** Built code runs `state-worker.js` directly; from sources (tests, tsx) it goes through tsx. */
function startWorker(options: WorkerOptions): Worker {
  const fromSources = import.meta.url.endsWith('.ts');
  if (!fromSources) return new Worker(new URL('./state-worker.js', import.meta.url), { workerData: options });
  return new Worker(new URL('./ts-worker-bootstrap.mjs', import.meta.url), {
    workerData: { ...options, __entry: new URL('./state-worker.ts', import.meta.url).href },
  });
}
