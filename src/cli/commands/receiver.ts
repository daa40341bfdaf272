import { startReceiver } from '../../receiver/receiver.js';
import type { Io } from '../output.js';

export interface ReceiverFlags {
  port: number;
  host: string;
  writeKey?: string[];
  out?: string;
  failRate?: number;
  rateLimitRate?: number;
  retryAfter?: number;
  dropRate?: number;
  latency?: number;
}

/** `sluice receiver`: a local Segment-compatible endpoint, until interrupted. */
export async function receiverCommand(flags: ReceiverFlags, io: Io): Promise<number> {
  const receiver = await startReceiver({
    port: flags.port,
    host: flags.host,
    ...(flags.writeKey && flags.writeKey.length > 0 ? { writeKeys: flags.writeKey } : {}),
    ...(flags.out ? { outFile: flags.out } : {}),
    keepMessages: false,
    faults: {
      failRate: flags.failRate ?? 0,
      rateLimitRate: flags.rateLimitRate ?? 0,
      retryAfterSeconds: flags.retryAfter ?? 1,
      dropRate: flags.dropRate ?? 0,
      latencyMs: flags.latency ?? 0,
    },
  });
  io.stderr.write(
    `Segment-compatible receiver on ${receiver.url} (POST /v1/batch, GET /stats)${flags.out ? `, writing accepted messages to ${flags.out}` : ''}.\nPoint a destination at it with  endpoint: ${receiver.url}  — Ctrl-C to stop.\n`,
  );
  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  const stats = receiver.stats();
  await receiver.close();
  io.stderr.write(`Stopped. ${JSON.stringify(stats)}\n`);
  return 0;
}
