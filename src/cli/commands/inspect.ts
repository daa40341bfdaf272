import type { ExchangeDocument, Sluice } from '../../index.js';
import { formatCount, type Io, printJson } from '../output.js';

/** How much of each body the human listing shows (the JSON has all that was kept). */
const SHOWN_BODY_CHARS = 300;
/** How many messageIds the human listing names per exchange. */
const SHOWN_IDS = 3;

/**
 * `sluice inspect RUN_ID [--limit N] [--json]` (SPEC §7 "API inspector"): the run's HTTP exchanges
 * with the destination that the inspector kept — every failed one and a sample of the others —
 * secrets redacted, bodies cut, every messageId kept.
 */
export async function inspectCommand(
  sluice: Sluice,
  runId: string,
  options: { limit: number; json: boolean },
  io: Io,
): Promise<number> {
  const exchanges = await firstExchanges(sluice, runId, options.limit);
  if (options.json) {
    printJson(io, exchanges);
    return 0;
  }
  if (exchanges.length === 0) {
    const run = (await sluice.getRun(runId))!;
    io.stdout.write(
      run.records_pruned_at !== undefined
        ? `Run ${runId} (${run.sync}) has no exchanges any more: retention pruned them on ${run.records_pruned_at}.\n`
        : `Run ${runId} (${run.sync}) kept no HTTP exchanges${run.dry_run ? ' (a dry run sends nothing)' : ''}.\n`,
    );
    return 0;
  }
  io.stdout.write(`${exchanges.map(describeExchange).join('\n')}\n`);
  return 0;
}

function describeExchange(exchange: ExchangeDocument, index: number): string {
  const answer = exchange.status === null ? `no answer (${exchange.error})` : `HTTP ${exchange.status}`;
  const ids = exchange.message_ids;
  const more = ids.length > SHOWN_IDS ? `, … ${formatCount(ids.length - SHOWN_IDS)} more` : '';
  const headers = Object.entries(exchange.request_headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join('; ');
  return [
    `#${index + 1} ${exchange.at} ${exchange.method} ${exchange.url} → ${answer}, attempt ${exchange.attempt}, ${formatCount(exchange.latency_ms)} ms`,
    `  messages (${formatCount(ids.length)}): ${ids.slice(0, SHOWN_IDS).join(', ')}${more}`,
    `  request headers: ${headers}`,
    `  request (${formatCount(exchange.request_bytes)} bytes): ${shown(exchange.request_body)}`,
    `  response (${formatCount(exchange.response_bytes)} bytes): ${shown(exchange.response_body)}`,
  ].join('\n');
}

function shown(body: string): string {
  const line = body.replace(/\s+/g, ' ');
  return line.length > SHOWN_BODY_CHARS ? `${line.slice(0, SHOWN_BODY_CHARS)}…` : line;
}

/** The first `limit` exchanges of a run, read a page at a time. */
async function firstExchanges(sluice: Sluice, runId: string, limit: number): Promise<ExchangeDocument[]> {
  const exchanges: ExchangeDocument[] = [];
  let cursor: string | undefined;
  do {
    const page = await sluice.exchanges(runId, {
      limit: Math.min(limit - exchanges.length, 1000),
      ...(cursor === undefined ? {} : { cursor }),
    });
    exchanges.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined && exchanges.length < limit);
  return exchanges;
}
