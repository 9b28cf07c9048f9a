/**
 * One load process of the churn scenario (churn.ts), run in its own process so that
 * several of them saturate the server together. Usage (from churn.ts, over IPC):
 *   node --import tsx churn-client.ts <json ChurnClientParams>
 * On exit it sends a ChurnClientReport to its parent.
 *
 * One connection with a deep pipeline (`depth` commands in flight, refilled with one write
 * whenever half have been answered). Each command is, in this order of priority:
 * - a new session while the creation budget allows (a token bucket that starts with
 *   `initialSessions` and refills at `createPerSecond`): SET sess:<t>:<client>:<n> <value>
 *   PXAT <t>, with t = now + a TTL drawn uniformly from [ttlMinMs, ttlMaxMs] and a value of
 *   100 B to 20 KB (log-uniform: most sessions are small). The key names its own expire
 *   time so a subscriber can tell how late its `expired` event is;
 * - otherwise a request on a live session picked at random (one whose deadline is at least
 *   2 s away, so it is still there when the command runs): GET (85%), or a save of a new
 *   value with the same PXAT (15%, express-session with resave false writes when the
 *   session changed).
 * It stops at `endAt` (epoch ms) and reports what it did, with the deadlines it set
 * counted per 100 ms, so the parent knows how many keys were due in any second.
 */
import net from 'node:net';

export interface ChurnClientParams {
  port: number;
  client: number;
  seed: number;
  depth: number;
  initialSessions: number;
  createPerSecond: number;
  ttlMinMs: number;
  ttlMaxMs: number;
  endAt: number;
}

export interface ChurnClientReport {
  replies: number;
  errors: number;
  /** GETs answered nil (a session gone before its deadline would show here). */
  nils: number;
  created: number;
  /** [100 ms bucket (epoch ms / 100), sessions whose expire time falls in it]. */
  deadlines: [number, number][];
  firstError: string;
}

const MIN_VALUE = 100;
const MAX_VALUE = 20_000;
/** A request picks sessions at least this far from their deadline. */
const SAFE_MS = 2000;

/** mulberry32: a small seeded generator, so every run sends the same sequence. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function bulk(s: string): string {
  return `$${s.length}\r\n${s}\r\n`;
}

/**
 * Counts complete replies in a byte stream without keeping them: bulk payloads are
 * skipped by length, so 20 KB values cost no copy. Enough for the replies of SET and GET.
 */
class ReplyCounter {
  replies = 0;
  errors = 0;
  nils = 0;
  firstError = '';
  private skip = 0;
  private line = '';

  feed(chunk: Buffer): void {
    let pos = 0;
    const len = chunk.length;
    while (pos < len) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, len - pos);
        this.skip -= n;
        pos += n;
        if (this.skip === 0) this.replies++;
        continue;
      }
      const nl = chunk.indexOf(10, pos);
      if (nl < 0) {
        this.line += chunk.toString('latin1', pos, len);
        break;
      }
      const line = this.line + chunk.toString('latin1', pos, nl - 1);
      this.line = '';
      pos = nl + 1;
      const type = line.charCodeAt(0);
      if (type === 0x24 /* $ */) {
        const n = Number(line.slice(1));
        if (n < 0) {
          this.nils++;
          this.replies++;
        } else {
          this.skip = n + 2;
        }
      } else {
        if (type === 0x2d /* - */) {
          this.errors++;
          if (this.firstError === '') this.firstError = line;
        }
        this.replies++;
      }
    }
  }
}

async function main(): Promise<void> {
  const p = JSON.parse(process.argv[2]!) as ChurnClientParams;
  const random = rng(p.seed);
  // Printable bytes: values are sliced from this pool at a random offset.
  const pool = Buffer.alloc(2 * MAX_VALUE);
  for (let i = 0; i < pool.length; i++) pool[i] = 0x21 + Math.floor(random() * 94);
  const live: { key: string; deadline: number }[] = [];
  const deadlines = new Map<number, number>();
  let created = 0;
  let tokens = p.initialSessions;
  let lastRefill = Date.now();

  const value = (): Buffer => {
    const size = Math.round(MIN_VALUE * Math.exp(random() * Math.log(MAX_VALUE / MIN_VALUE)));
    const from = Math.floor(random() * (pool.length - size));
    return pool.subarray(from, from + size);
  };
  const set = (key: string, deadline: number, out: Buffer[]): void => {
    const v = value();
    out.push(Buffer.from(`*5\r\n$3\r\nSET\r\n${bulk(key)}$${v.length}\r\n`, 'latin1'), v);
    out.push(Buffer.from(`\r\n$4\r\nPXAT\r\n${bulk(String(deadline))}`, 'latin1'));
  };
  /** One command into out. */
  const next = (now: number, out: Buffer[]): void => {
    if (tokens >= 1 || live.length === 0) {
      tokens = Math.max(0, tokens - 1);
      const deadline = now + p.ttlMinMs + Math.floor(random() * (p.ttlMaxMs - p.ttlMinMs + 1));
      const key = `sess:${deadline}:${p.client}:${created++}`;
      live.push({ key, deadline });
      const bucket = Math.floor(deadline / 100);
      deadlines.set(bucket, (deadlines.get(bucket) ?? 0) + 1);
      set(key, deadline, out);
      return;
    }
    for (;;) {
      const i = Math.floor(random() * live.length);
      const s = live[i]!;
      if (s.deadline - now < SAFE_MS) {
        // Too close to its end: forget it (swap with the last) and pick again.
        live[i] = live[live.length - 1]!;
        live.pop();
        if (live.length === 0) return next(now, out);
        continue;
      }
      if (random() < 0.85) out.push(Buffer.from(`*2\r\n$3\r\nGET\r\n${bulk(s.key)}`, 'latin1'));
      else set(s.key, s.deadline, out);
      return;
    }
  };

  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect({ port: p.port, host: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
  socket.setNoDelay(true);
  const counter = new ReplyCounter();
  let sent = 0;
  let stopping = false;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const refill = (): void => {
    const now = Date.now();
    tokens += ((now - lastRefill) * p.createPerSecond) / 1000;
    lastRefill = now;
    if (now >= p.endAt) stopping = true;
    if (stopping) {
      if (counter.replies === sent) finish();
      return;
    }
    const out: Buffer[] = [];
    const n = p.depth - (sent - counter.replies);
    for (let k = 0; k < n; k++) next(now, out);
    sent += n;
    socket.write(Buffer.concat(out));
  };
  socket.on('data', (chunk: Buffer) => {
    counter.feed(chunk);
    if (sent - counter.replies <= p.depth / 2 || stopping) refill();
  });
  socket.on('error', (e) => {
    counter.firstError ||= `socket: ${e.message}`;
    finish();
  });
  socket.on('close', () => finish());
  refill();
  await finished;
  socket.destroy();
  const report: ChurnClientReport = {
    replies: counter.replies,
    errors: counter.errors,
    nils: counter.nils,
    created,
    deadlines: [...deadlines],
    firstError: counter.firstError,
  };
  process.send!(report, () => process.exit(0));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
