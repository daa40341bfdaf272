import { Worker } from 'node:worker_threads';
import type { StateStore } from '../state-store.js';
import { SqliteStateStore } from './sqlite-state-store.js';
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
 * `open` hands out a StateStore whose every method is forwarded by name (see `forwarding`), so a
 * new StateStore method needs no code here.
 */
export class ThreadedStateStore {
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
    // Kept alive only while a call is waiting for its answer (see call).
    worker.unref();
  }

  static async open(file: string, options: { busyTimeoutMs?: number } = {}): Promise<StateStore> {
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
    return forwarding(new ThreadedStateStore(worker, file));
  }

  /** Closes the connection and ends the thread. Closing twice is harmless. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      if (this.#failure === null) await this.call<void>('close', []);
      await this.#worker.terminate();
    })();
    return this.#closed;
  }

  /** Posts one call to the thread; answered in order. */
  call<T>(method: StoreMethod, args: unknown[]): Promise<T> {
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

/** The methods the thread's store answers: SqliteStateStore's, which implements StateStore. */
const STORE_METHODS: ReadonlySet<string> = new Set(
  Object.getOwnPropertyNames(SqliteStateStore.prototype).filter((name) => name !== 'constructor'),
);

/**
 * A StateStore whose methods are the thread's: `store.x(a, b)` posts `x` with `[a, b]`, and the
 * thread calls the same method of its SqliteStateStore. `close` also ends the thread. Any other
 * property (`then`, `toJSON`, symbols) is undefined, so the store is never mistaken for a promise.
 */
function forwarding(thread: ThreadedStateStore): StateStore {
  const methods = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  return new Proxy({} as StateStore, {
    get(_, name) {
      if (typeof name !== 'string' || !STORE_METHODS.has(name)) return undefined;
      let method = methods.get(name);
      if (method === undefined) {
        method =
          name === 'close'
            ? () => thread.close()
            : (...args: unknown[]) => thread.call(name as StoreMethod, args);
        methods.set(name, method);
      }
      return method;
    },
  });
}
