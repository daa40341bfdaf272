import { type Sluice, SluiceError } from '../../index.js';
import { EXIT } from '../exit-codes.js';
import { type LogFormat, logWriter } from '../log-lines.js';
import type { Io } from '../output.js';

/**
 * `sluice worker [--concurrency N]` (SPEC §5): takes runs from the queue in the shared PostgreSQL
 * state until SIGTERM or SIGINT, then lets its runs finish the batches in flight, asks for the rest
 * to be run again (another worker carries on), and exits 0. A second signal abandons the batches in
 * flight (the next run resends them under the same messageIds). Delivers due notifications
 * meanwhile. Logs one JSON object per line on stderr.
 */
export async function workerCommand(
  sluice: Sluice,
  options: { concurrency: number; logFormat: LogFormat },
  io: Io,
): Promise<number> {
  if (sluice.workspace.state.kind !== 'postgres') {
    throw new SluiceError(
      'usage',
      'sluice worker shares runs through the state in PostgreSQL: set state: postgres://… in sluice.yaml (sluice state migrate copies the SQLite state there); on SQLite state, sluice serve runs the schedules and queued runs in one process',
    );
  }
  const log = logWriter(io, options.logFormat);
  const worker = await sluice.startWorker({ concurrency: options.concurrency, log });
  // A worker delivers notifications too (SPEC §7): any process on the state may send a due one.
  const notifications = await sluice.startNotifications({ log });
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      const hard = stopping;
      stopping = true;
      log({ event: 'signal', signal, hard });
      if (!hard) worker.stop().then(done, done);
      else void worker.stop({ hard: true });
    };
    const done = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      notifications.stop().then(resolve, resolve);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  return EXIT.ok;
}
