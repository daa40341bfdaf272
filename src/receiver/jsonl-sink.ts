import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';

/**
 * Appends accepted messages to a JSONL file through one write stream: one `write` per request, never
 * a sync write per message. When the stream's buffer is full, `append` resolves only after it drains,
 * and the receiver answers after that, so a fast sender is slowed to disk speed instead of filling
 * memory.
 */
export class JsonlSink {
  readonly #stream: WriteStream;
  #error: Error | undefined;

  private constructor(stream: WriteStream) {
    this.#stream = stream;
    stream.on('error', (error) => {
      this.#error = error;
    });
  }

  /** Opens (creating or appending to) `path`; rejects when it cannot be opened. */
  static async open(path: string): Promise<JsonlSink> {
    const stream = createWriteStream(path, { flags: 'a' });
    await once(stream, 'open');
    return new JsonlSink(stream);
  }

  /** Appends one line per message; waits when the stream asks for it. */
  async append(messages: readonly unknown[]): Promise<void> {
    if (messages.length === 0) return;
    if (this.#error !== undefined) throw this.#error;
    let text = '';
    for (const message of messages) text += `${JSON.stringify(message)}\n`;
    if (!this.#stream.write(text)) await once(this.#stream, 'drain');
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    if (this.#stream.closed) return;
    const closed = once(this.#stream, 'close');
    this.#stream.end();
    await closed;
  }
}
