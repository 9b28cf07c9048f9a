import net from 'node:net';
import { decodeReply, encodeCommand, type Reply } from './resp.js';

/**
 * A raw-socket RESP client for tests: sends bytes, reads back exactly the bytes of
 * each reply. Every read has a timeout so a test never hangs.
 */
export class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {
      this.closed = true;
      this.wake();
    });
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host }, () => {
        s.off('error', reject);
        s.setNoDelay(true);
        resolve(new RawClient(s));
      });
      s.once('error', reject);
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  write(data: Buffer | string): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  send(...args: (string | Buffer)[]): void {
    this.write(encodeCommand(args));
  }

  /** Raw bytes of the next reply. */
  async readReplyBytes(timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = decodeReply(this.buf);
      if (r) {
        const bytes = Buffer.from(this.buf.subarray(0, r.end));
        this.buf = this.buf.subarray(r.end);
        return bytes;
      }
      if (this.closed) throw new Error(`connection closed; pending bytes: ${JSON.stringify(this.buf.toString('latin1'))}`);
      await this.waitData(deadline - Date.now());
    }
  }

  async readReply(timeoutMs = 5000): Promise<Reply> {
    return decodeReply(await this.readReplyBytes(timeoutMs))!.reply;
  }

  /** Sends a command and returns the raw bytes of its reply. */
  async call(...args: (string | Buffer)[]): Promise<Buffer> {
    this.send(...args);
    return this.readReplyBytes();
  }

  /** Resolves once the server closed the connection (or rejects after the timeout). */
  async waitClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) await this.waitData(deadline - Date.now());
  }

  /** Everything received and not consumed. */
  pending(): Buffer {
    return this.buf;
  }

  /** Everything received and not consumed, consumed. */
  takePending(): Buffer {
    const all = this.buf;
    this.buf = Buffer.alloc(0);
    return all;
  }

  close(): void {
    this.socket.destroy();
  }

  /** Stops reading from the socket (a client that does not read its replies). */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  private waitData(ms: number): Promise<void> {
    if (ms <= 0) return Promise.reject(new Error('timed out waiting for a reply'));
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        reject(new Error(`timed out waiting for a reply; pending bytes: ${JSON.stringify(this.buf.toString('latin1'))}`));
      }, ms);
      const done = () => {
        clearTimeout(t);
        resolve();
      };
      this.waiters.push(done);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
