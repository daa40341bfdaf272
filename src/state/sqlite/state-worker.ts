import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStateStore } from './sqlite-state-store.js';
import {
  type CallMessage,
  type ReplyMessage,
  STORE_GROUPS,
  type StoreMethods,
  serializeError,
  type WorkerOptions,
} from './state-worker-protocol.js';

/**
 * The state store thread: owns the one SQLite connection of a ThreadedStateStore and answers its
 * calls in order. Each call is one synchronous better-sqlite3 transaction, so nothing interleaves.
 */
const port = parentPort;
if (port === null) throw new Error('state-worker.ts runs only as a worker thread');
const options = workerData as WorkerOptions;

function reply(message: ReplyMessage): void {
  port!.postMessage(message);
}

/** Every method the store answers, by group: the main thread forwards exactly these. */
function storeMethods(store: SqliteStateStore): StoreMethods {
  const methods = {} as StoreMethods;
  for (const group of STORE_GROUPS) {
    methods[group] =
      group === ''
        ? Object.getOwnPropertyNames(SqliteStateStore.prototype).filter(
            (name) => name !== 'constructor' && name !== 'lookupFlags',
          )
        : Object.keys(store[group]);
  }
  return methods;
}

try {
  const store = await SqliteStateStore.open(options.file, {
    ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }),
  });
  const groups = new Map<string, Record<string, unknown>>(
    STORE_GROUPS.map((group) => [
      group,
      (group === '' ? store : store[group]) as unknown as Record<string, unknown>,
    ]),
  );
  port.on('message', async (call: CallMessage) => {
    try {
      // The lookup goes back as one flag per key, not a set of keys (SqliteStateStore.lookupFlags).
      const [target, name] =
        call.group === 'ledger' && call.method === 'lookup'
          ? [store as unknown as Record<string, unknown>, 'lookupFlags']
          : [groups.get(call.group)!, call.method];
      const method = target[name] as (...args: unknown[]) => Promise<unknown>;
      const value = await method.apply(target, call.args);
      reply({ id: call.id, ok: true, value });
    } catch (error) {
      reply({ id: call.id, ok: false, error: serializeError(error) });
    }
    if (call.group === '' && call.method === 'close') port.close();
  });
  reply({ id: 0, ok: true, value: storeMethods(store) });
} catch (error) {
  reply({ id: 0, ok: false, error: serializeError(error) });
  port.close();
}
