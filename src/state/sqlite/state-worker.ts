import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStateStore } from './sqlite-state-store.js';
import {
  type CallMessage,
  type ReplyMessage,
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

try {
  const store = await SqliteStateStore.open(options.file, {
    ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }),
  });
  port.on('message', async (call: CallMessage) => {
    try {
      const method = store[call.method] as (...args: unknown[]) => Promise<unknown>;
      const value = await method.apply(store, call.args);
      reply({ id: call.id, ok: true, value });
    } catch (error) {
      reply({ id: call.id, ok: false, error: serializeError(error) });
    }
    if (call.method === 'close') port.close();
  });
  reply({ id: 0, ok: true, value: null });
} catch (error) {
  reply({ id: 0, ok: false, error: serializeError(error) });
  port.close();
}
