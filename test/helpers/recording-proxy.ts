import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request that went through the proxy, as it was on the wire. */
export interface SeenRequest {
  path: string;
  /** Body bytes as sent (before any decoding). */
  bytes: number;
  /** The body as UTF-8 text. */
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A loopback HTTP proxy in front of another local server that keeps every request it forwarded. */
export interface RecordingProxy {
  /** Base URL to point a destination's `endpoint` at. */
  url: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

/**
 * Starts a proxy on 127.0.0.1 (port 0) that forwards each request unchanged to `target` and the
 * answer back, recording the request body: tests use it to measure what a sender really put on the
 * wire (batch sizes, headers) without touching the sender or the receiver.
 */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const requests: SeenRequest[] = [];
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({
        path: req.url ?? '',
        bytes: body.length,
        body: body.toString('utf8'),
        headers: { ...req.headers },
      });
      const forward = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
