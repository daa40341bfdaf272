import { type ErrorCode, isSluiceError, SluiceError } from '../../core/errors.js';
import type { StateStore } from '../state-store.js';

/** The groups of StateStore methods (`store.runs.start`); '' for the store's own (`store.prune`). */
export const STORE_GROUPS = [
  '',
  'runs',
  'ledger',
  'locks',
  'rates',
  'schedules',
  'tokens',
  'exchanges',
  'alerts',
  'notifications',
  'transfer',
] as const satisfies readonly ('' | keyof StateStore)[];
export type StoreGroup = (typeof STORE_GROUPS)[number];

/**
 * Main thread → worker: call one method, named by its group and name (`ledger`, `lookup`).
 * Calls are answered in the order they were posted.
 */
export interface CallMessage {
  id: number;
  group: StoreGroup;
  method: string;
  args: unknown[];
}

/** The worker's first message: the store opened, and the names of its methods per group. */
export type StoreMethods = Record<StoreGroup, string[]>;

/** Worker → main thread. `id` 0 answers the opening of the store. */
export type ReplyMessage =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: SerializedError };

export interface SerializedError {
  name: string;
  message: string;
  /** Set for SluiceErrors: rebuilt as one on the other side, so callers still switch on `code`. */
  code?: ErrorCode;
  details?: Record<string, unknown>;
  stack?: string;
}

/** What the worker needs to open the store. */
export interface WorkerOptions {
  file: string;
  busyTimeoutMs?: number;
}

export function serializeError(error: unknown): SerializedError {
  if (isSluiceError(error)) {
    return {
      name: error.name,
      message: error.message,
      code: error.code,
      details: { ...error.details },
      ...(error.stack ? { stack: error.stack } : {}),
    };
  }
  if (error instanceof Error) {
    return { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) };
  }
  return { name: 'Error', message: String(error) };
}

export function deserializeError(error: SerializedError): Error {
  const rebuilt =
    error.code === undefined
      ? new Error(error.message)
      : new SluiceError(error.code, error.message, { details: error.details ?? {} });
  if (error.code === undefined) rebuilt.name = error.name;
  // The worker's stack says where it failed; the caller's await site is in the new stack already.
  if (error.stack) rebuilt.stack = `${rebuilt.stack}\n    --- in the state store thread ---\n${error.stack}`;
  return rebuilt;
}
