/**
 * Tells whether a PostgreSQL server listens at an address, when connecting failed in a way that
 * may mean something else does (a MariaDB port, an HTTP server): pg then reports TLS or protocol
 * trouble ("There was an error establishing an SSL connection"), which sends users after sslmode.
 *
 * The test is the first message of PostgreSQL's protocol, SSLRequest, which every PostgreSQL
 * server answers with exactly one byte, 'S' or 'N' (https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-SSL);
 * a server that speaks first (MySQL/MariaDB, SSH) or answers otherwise (HTTP) is not PostgreSQL.
 */
import { connect } from 'node:net';

/** What answered: PostgreSQL, something else (with a guess of what), or no verdict. */
export type ServerIdentity =
  | { kind: 'postgres' }
  | { kind: 'other'; looksLike?: string }
  | { kind: 'unknown' };

const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/** Connects to `host:port`, sends SSLRequest, and judges the first answer; never throws. */
export function identifyServer(host: string, port: number, timeoutMs = 3000): Promise<ServerIdentity> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let settled = false;
    const done = (identity: ServerIdentity) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(identity);
    };
    socket.setTimeout(timeoutMs, () => done({ kind: 'unknown' }));
    socket.on('error', () => done({ kind: 'unknown' }));
    socket.on('connect', () => socket.write(SSL_REQUEST));
    socket.on('data', (data: Buffer) => done(judge(data)));
    // Connected, then closed without a word: PostgreSQL always answers SSLRequest.
    socket.on('end', () => done({ kind: 'other' }));
  });
}

/** The first bytes a server sent, judged. */
export function judge(data: Buffer): ServerIdentity {
  if (data.length === 1 && (data[0] === 0x53 || data[0] === 0x4e)) return { kind: 'postgres' };
  const text = data.toString('latin1');
  if (text.startsWith('HTTP/')) return { kind: 'other', looksLike: 'an HTTP server' };
  if (text.startsWith('SSH-')) return { kind: 'other', looksLike: 'an SSH server' };
  // MySQL's greeting: a 3-byte length, sequence 0, protocol version 10, then the server version.
  if (data.length > 5 && data[3] === 0 && data[4] === 0x0a) {
    return { kind: 'other', looksLike: /mariadb/i.test(text) ? 'MariaDB' : 'MySQL' };
  }
  return { kind: 'other' };
}
