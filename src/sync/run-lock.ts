import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { SluiceError } from '../core/errors.js';
import type { LockHolder, StateStore } from '../state/state-store.js';

/**
 * How long a lease lasts without renewal (SPEC §5: renewed every ~10 s, lost after ~30 s): a crashed
 * holder on another machine blocks the sync at most this long before a worker takes its run over.
 */
export const DEFAULT_LEASE_MS = 30_000;

/**
 * One run of a sync at a time (SPEC §5), across processes and machines sharing the state store. A
 * lease in the state store, renewed while the run lives; a holder killed on this machine is noticed at
 * once (its pid is gone), one elsewhere when its lease runs out.
 */
export class SyncLock {
  readonly #state: StateStore;
  readonly #name: string;
  readonly #holder: LockHolder;
  readonly #leaseMs: number;
  readonly #lost = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  /** When the lease last reached the state store (taken or renewed): it holds until then + leaseMs. */
  #renewedAt = Date.now();

  private constructor(state: StateStore, name: string, holder: LockHolder, leaseMs: number) {
    this.#state = state;
    this.#name = name;
    this.#holder = holder;
    this.#leaseMs = leaseMs;
  }

  /**
   * Takes the lock of `sync` (or the lock `name`, for a dry run's own) or throws
   * SluiceError('sync_locked') saying who holds it.
   */
  static async acquire(
    state: StateStore,
    sync: string,
    label: string,
    options: { leaseMs?: number; name?: string } = {},
  ): Promise<SyncLock> {
    const name = options.name ?? runLockName(sync);
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    const holder: LockHolder = { id: randomUUID(), host: hostname(), pid: process.pid, label };
    let attempt = await state.locks.acquire(name, holder, leaseMs);
    if (!attempt.acquired && attempt.holder.host === holder.host && !isProcessAlive(attempt.holder.pid)) {
      attempt = await state.locks.acquire(name, holder, leaseMs, attempt.holder.id);
    }
    if (!attempt.acquired) {
      const other = attempt.holder;
      throw new SluiceError(
        'sync_locked',
        `sync "${sync}" is already running (${other.label}, pid ${other.pid} on ${other.host}); wait for it to finish, or stop that process — a holder that died releases the lock by ${attempt.expiresAt} at the latest`,
      );
    }
    const lock = new SyncLock(state, name, holder, leaseMs);
    lock.#timer = setInterval(() => lock.#renew(), Math.max(1000, Math.floor(leaseMs / 3)));
    lock.#timer.unref();
    return lock;
  }

  /** Aborted if the lease could not be renewed and another holder may have taken over. */
  get lost(): AbortSignal {
    return this.#lost.signal;
  }

  async release(): Promise<void> {
    clearInterval(this.#timer);
    await this.#state.locks.release(this.#name, this.#holder.id);
  }

  async #renew(): Promise<void> {
    const asked = Date.now();
    try {
      if (await this.#state.locks.renew(this.#name, this.#holder.id, this.#leaseMs)) this.#renewedAt = asked;
      else this.#lost.abort();
    } catch {
      // A passing state-store hiccup: the next renewal tries again before the lease ends. Once it
      // has ended unrenewed, another worker may take the run over: stop sending at once.
      if (Date.now() - this.#renewedAt >= this.#leaseMs) this.#lost.abort();
    }
  }
}

/** The lock a real run of `sync` holds: one at a time, across every process on the state. */
export function runLockName(sync: string): string {
  return `sync:${sync}`;
}

/** The lock a dry run kept in the history holds while its process lives. */
export function dryRunLockName(runId: string): string {
  return `dry:${runId}`;
}

/** Whether a process with this pid exists on this machine (signal 0 checks without signalling). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
