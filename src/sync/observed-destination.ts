import type { Destination, Exchange, SendOptions } from '../destinations/destination.js';

/**
 * The destination, with every HTTP exchange of every batch also told to `onExchange` (a run's
 * observer: metrics of requests by status, the inspector). Exchanges arrive redacted by the
 * destination (destination.ts Exchange). An observer that throws does not disturb the send.
 */
export function observed(destination: Destination, onExchange: (exchange: Exchange) => void): Destination {
  const tell = (exchange: Exchange) => {
    try {
      onExchange(exchange);
    } catch {
      // An observer's failure is not the run's.
    }
  };
  return {
    type: destination.type,
    limits: destination.limits,
    concurrency: destination.concurrency,
    prepare: (object, payload) => destination.prepare(object, payload),
    encode: (prepared, key, messageId, plannedAt) => destination.encode(prepared, key, messageId, plannedAt),
    send(batch, options?: SendOptions) {
      const own = options?.onExchange;
      return destination.send(batch, {
        ...options,
        onExchange: (exchange) => {
          own?.(exchange);
          tell(exchange);
        },
      });
    },
    check: () => destination.check(),
    close: () => destination.close(),
  };
}
