import { isSluiceError, SluiceError } from '../core/errors.js';
import type { SyncRunResult } from './run-result.js';

/** How a run is told to stop: gracefully (stop reading) or hard (abandon requests in flight too). */
export interface StopSignals {
  /** Stops reading; the batches in flight finish and are recorded. */
  graceful?: AbortSignal;
  /** Abandons the requests in flight as well. */
  hard: AbortSignal;
  /** Stops listening (the run is over). */
  dispose(): void;
}

/**
 * The graceful signal (the caller's, or the run cancelled from elsewhere) stops reading; the hard one
 * (a second signal, the grace period running out, or the run lock lost) also abandons requests in
 * flight.
 */
export function stopSignals(
  given: { signal?: AbortSignal; hardSignal?: AbortSignal; graceMs?: number },
  lockLost?: AbortSignal,
  cancelled?: AbortSignal,
): StopSignals {
  const graceful = [given.signal, cancelled].filter((signal) => signal !== undefined);
  const options = {
    ...given,
    ...(graceful.length > 0
      ? { signal: graceful.length === 1 ? graceful[0] : AbortSignal.any(graceful) }
      : {}),
  };
  const hard = new AbortController();
  // Losing the lock means another process may be running this sync: stop sending at once.
  lockLost?.addEventListener('abort', () => hard.abort(), { once: true });
  let timer: NodeJS.Timeout | undefined;
  const onGraceful = () => {
    timer = setTimeout(() => hard.abort(), options.graceMs ?? 30_000);
    timer.unref();
  };
  const onHard = () => hard.abort();
  options.signal?.addEventListener('abort', onGraceful, { once: true });
  options.hardSignal?.addEventListener('abort', onHard, { once: true });
  if (options.hardSignal?.aborted) hard.abort();
  return {
    ...(options.signal ? { graceful: options.signal } : {}),
    hard: hard.signal,
    dispose() {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onGraceful);
      options.hardSignal?.removeEventListener('abort', onHard);
    },
  };
}

/**
 * A run stopped by a graceful signal ends `failed` with this error, or with the `interrupted` error
 * the signal was aborted with (a cancel says so).
 */
export function interruptedError(reason?: unknown): SluiceError {
  if (isSluiceError(reason) && reason.code === 'interrupted') return reason;
  return new SluiceError(
    'interrupted',
    'stopped by a signal: batches in flight were finished and recorded; changes not yet sent stay pending, with their messageIds, for the next run',
  );
}

/** Throws {@link interruptedError} when the run was stopped gracefully. */
export function throwIfInterrupted(stop: StopSignals): void {
  if (stop.graceful?.aborted) throw interruptedError(stop.graceful.reason);
}

/** A run's error as its result shows it: our errors keep their code and located problems. */
export function describeError(error: unknown): NonNullable<SyncRunResult['error']> {
  if (isSluiceError(error)) {
    const { code, message, problems } = error;
    return problems.length > 0 ? { code, message, problems: [...problems] } : { code, message };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message };
}
