import type { FaultPoint } from '../index.js';

/**
 * The crash-test hook: `SLUICE_FAULT=sent:3` kills this process with SIGKILL the third time the pipe
 * reaches the `sent` point (read | planned | sent; see FaultPoint). Used by the crash-safety tests,
 * which kill real processes at many points; unset, it does nothing.
 */
export function faultHookFromEnv(env: NodeJS.ProcessEnv): ((point: FaultPoint) => void) | undefined {
  const spec = env.SLUICE_FAULT;
  if (!spec) return undefined;
  const [point, nth] = spec.split(':');
  const target = Number(nth ?? '1');
  if (!['read', 'planned', 'sent'].includes(point ?? '') || !Number.isInteger(target) || target < 1) {
    throw new Error(
      `SLUICE_FAULT must look like "sent:3" (read | planned | sent, then a count), not "${spec}"`,
    );
  }
  let seen = 0;
  return (reached) => {
    if (reached === point && ++seen === target) process.kill(process.pid, 'SIGKILL');
  };
}
