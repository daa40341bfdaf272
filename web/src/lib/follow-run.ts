import type { ApiClient, Run, RunCounts } from '../api/client';

/**
 * Follows a run until it ends: its counts as they move (SSE `progress`), then the finished run
 * (`summary`). Resolves with the finished run; rejects if the stream fails or ends without one.
 */
export async function followRun(
  client: ApiClient,
  id: string,
  onProgress: (counts: RunCounts) => void,
  signal: AbortSignal,
): Promise<Run> {
  let finished: Run | null = null;
  let failure: Error | null = null;
  await client.followRun(
    id,
    (event) => {
      if (event.event === 'progress') onProgress(JSON.parse(event.data) as RunCounts);
      else if (event.event === 'summary') finished = JSON.parse(event.data) as Run;
      else if (event.event === 'error') {
        const body = JSON.parse(event.data) as { error: { message: string } };
        failure = new Error(`Following the run failed: ${body.error.message}. Reload the page to try again.`);
      }
    },
    signal,
  );
  if (failure !== null) throw failure;
  if (finished === null)
    throw new Error('The run’s event stream ended early. Reload the page to see where it is.');
  return finished;
}
