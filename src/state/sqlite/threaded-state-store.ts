import { Worker } from 'node:worker_threads';
import type { KeyLookup, KeyState, StateStore } from '../state-store.js';
import {
  type CallMessage,
  deserializeError,
  type ReplyMessage,
  STORE_GROUPS,
  type StoreGroup,
  type StoreMethods,
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
 * `open` hands out a StateStore whose every method is forwarded by group and name (see
 * `forwarding`), so a new StateStore method needs no code here.
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
    const methods = await new Promise<StoreMethods>((resolve, reject) => {
      const onMessage = (reply: ReplyMessage) => {
        if (reply.id !== 0) return;
        cleanup();
        if (reply.ok) resolve(reply.value as StoreMethods);
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
    return forwarding(new ThreadedStateStore(worker, file), methods);
  }

  /** Closes the connection and ends the thread. Closing twice is harmless. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      if (this.#failure === null) await this.call<void>('', 'close', []);
      await this.#worker.terminate();
    })();
    return this.#closed;
  }

  /** Posts one call to the thread; answered in order. */
  call<T>(group: StoreGroup, method: string, args: unknown[]): Promise<T> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    if (this.#closed !== null && !(group === '' && method === 'close')) {
      return Promise.reject(toStateError(new Error('the store is closed'), this.#file, method));
    }
    const id = this.#nextId++;
    const message: CallMessage = { id, group, method, args };
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

/**
 * A StateStore whose methods are the thread's: `store.runs.start(a)` posts (`runs`, `start`, [a]),
 * and the thread calls the same method of its SqliteStateStore. Only the methods the thread named
 * when it opened exist; any other property (`then`, `toJSON`, symbols) is undefined, so the store
 * is never mistaken for a promise. `close` also ends the thread; `ledger.lookup` comes back as
 * flags and becomes its set of keys here.
 */
function forwarding(thread: ThreadedStateStore, methods: StoreMethods): StateStore {
  const groups = new Map<string, object>();
  for (const group of STORE_GROUPS) {
    if (group === '') continue;
    groups.set(group, methodsOf(thread, group, methods[group]));
  }
  const own = methodsOf(thread, '', methods['']) as Record<string, unknown>;
  own.close = () => thread.close();
  return new Proxy({} as StateStore, {
    get(_, name) {
      if (typeof name !== 'string') return undefined;
      return groups.get(name) ?? own[name];
    },
  });
}

/** One group's forwarding methods: an object with exactly those names. */
function methodsOf(thread: ThreadedStateStore, group: StoreGroup, names: readonly string[]): object {
  const forwarded: Record<string, (...args: unknown[]) => Promise<unknown>> = Object.create(null);
  for (const name of names) {
    forwarded[name] =
      group === 'ledger' && name === 'lookup'
        ? async (...args: unknown[]) =>
            asLookup(args[1] as readonly string[], await thread.call<LookupFlags>(group, name, args))
        : (...args: unknown[]) => thread.call(group, name, args);
  }
  return forwarded;
}

/** What the thread answers a lookup with (SqliteStateStore.lookupFlags). */
interface LookupFlags {
  unchanged: Uint8Array;
  states: Map<string, KeyState>;
}

function asLookup(keys: readonly string[], found: LookupFlags): KeyLookup {
  const unchanged = new Set<string>();
  for (let i = 0; i < keys.length; i++) if (found.unchanged[i] === 1) unchanged.add(keys[i]!);
  return { unchanged, states: found.states };
}
