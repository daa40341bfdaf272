import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Sluice } from '../../index.js';
import { errorAnswer } from '../api-errors.js';

/**
 * SSE for one run (SPEC §6): `progress` with the counts every `intervalMs` while the run is queued
 * or running — the run stores its counts every ~2 s, so polling its document is as live as it
 * gets — then `summary` with the run, and the end. A client that goes away stops the polling.
 */
export function streamRunEvents(c: Context, sluice: Sluice, runId: string, intervalMs: number): Response {
  return streamSSE(c, async (stream) => {
    const gone = new AbortController();
    stream.onAbort(() => gone.abort());
    try {
      while (!gone.signal.aborted) {
        const run = await sluice.getRun(runId);
        if (run === null) {
          await stream.writeSSE({
            event: 'error',
            data: JSON.stringify({ error: { code: 'not_found', message: `run "${runId}" is gone` } }),
          });
          return;
        }
        if (run.status !== 'queued' && run.status !== 'running') {
          await stream.writeSSE({ event: 'summary', data: JSON.stringify(run) });
          return;
        }
        await stream.writeSSE({ event: 'progress', data: JSON.stringify(run.counts) });
        await sleep(intervalMs, undefined, { signal: gone.signal }).catch(() => undefined);
      }
    } catch (error) {
      if (gone.signal.aborted) return;
      const { code, message } = errorAnswer(error, 'malformed');
      await stream.writeSSE({ event: 'error', data: JSON.stringify({ error: { code, message } }) });
    }
  });
}
