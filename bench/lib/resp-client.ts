import net from 'node:net';

/**
 * A minimal sequential RESP client for measurements (one command in flight): replies
 * are read just far enough to know where they end. Used for PING latency probes and
 * DBSIZE polling, where a full client library would add its own overhead.
 */
export class ProbeClient {
  private buf: Buffer = Buffer.alloc(0);
  private waiting: ((reply: string) => void) | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.tryResolve();
    });
    socket.on('error', () => {});
  }

  static connect(port: number): Promise<ProbeClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(new ProbeClient(s)));
      s.once('error', reject);
    });
  }

  /** Sends one command and resolves with the first line of its reply (enough for PING/DBSIZE/INFO lines). */
  command(...args: string[]): Promise<string> {
    let req = `*${args.length}\r\n`;
    for (const a of args) req += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.socket.write(req);
    });
  }

  /** The value of an integer reply. */
  async integer(...args: string[]): Promise<number> {
    const line = await this.command(...args);
    return Number(line.slice(1));
  }

  close(): void {
    this.socket.destroy();
  }

  private tryResolve(): void {
    if (!this.waiting) return;
    const end = replyEnd(this.buf, 0);
    if (end < 0) return;
    const text = this.buf.toString('latin1', 0, end);
    this.buf = this.buf.subarray(end);
    const w = this.waiting;
    this.waiting = null;
    w(text.startsWith('$') ? text.slice(text.indexOf('\r\n') + 2, -2) : text.slice(0, text.indexOf('\r\n')));
  }
}

/** Offset just past the reply starting at pos, or -1 if incomplete (simple types, bulk, arrays). */
function replyEnd(b: Buffer, pos: number): number {
  const nl = b.indexOf('\r\n', pos);
  if (nl < 0) return -1;
  const type = b[pos];
  const n = Number(b.toString('latin1', pos + 1, nl));
  if (type === 0x24) return n < 0 ? nl + 2 : b.length >= nl + 2 + n + 2 ? nl + 2 + n + 2 : -1;
  if (type === 0x2a) {
    let p = nl + 2;
    for (let i = 0; i < n; i++) {
      p = replyEnd(b, p);
      if (p < 0) return -1;
    }
    return p;
  }
  return nl + 2;
}

/** The key a session probe reads and writes (not one of a scenario's keys). */
export const PROBE_KEY = 'probe:session';

/**
 * A client making session-like round trips one at a time on `client`: GET and SET of a
 * 230-byte value on PROBE_KEY, alternately, each timed, until stop() (which resolves with
 * every round trip's ms once the one in flight has come back).
 */
export function sessionProbe(client: ProbeClient): { stop(): Promise<number[]> } {
  const latencies: number[] = [];
  const value = 'x'.repeat(230);
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const t = performance.now();
      if (i % 2 === 0) await client.command('GET', PROBE_KEY);
      else await client.command('SET', PROBE_KEY, value);
      latencies.push(performance.now() - t);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return latencies;
    },
  };
}
