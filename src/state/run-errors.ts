import { SluiceError } from '../core/errors.js';

/** The history has no run with this id. */
export function unknownRun(runId: string): SluiceError {
  return new SluiceError('not_found', `no run with id ${runId} in the state store`, { details: { runId } });
}

/** A queued run that cannot start: it was cancelled, or another worker started it. */
export function notQueued(runId: string): SluiceError {
  return new SluiceError(
    'run_finished',
    `run ${runId} is no longer queued: it was cancelled, or another worker started it`,
    { details: { runId } },
  );
}

/** The error a queued run ends with when it is cancelled before it starts. */
export const CANCELLED_QUEUED = 'cancelled before it started';
