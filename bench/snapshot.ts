/**
 * Snapshot benchmark: lapse (CLI, from dist/) and redis-server 7.0 side by side, on the
 * same dataset of session-sized keys (37-byte keys, 230-byte values, EX 86400).
 *
 *   npm run build && npx tsx bench/snapshot.ts [keys=1000000]
 *
 * For each server: SAVE time, BGSAVE time (BGSAVE reply to rdb_bgsave_in_progress:0,
 * polled every 10 ms), load time at start-up (the server's own log line), the longest
 * event-loop stall during BGSAVE (the slowest of sequential GET/SET round trips a client
 * runs meanwhile), and peak RSS growth during BGSAVE (the server process; for Redis also
 * the forked child's copy-on-write, rdb_last_cow_size, and latest_fork_usec).
 * Ratios are lapse / Redis. Both use rdbcompression yes (the default).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const KEYS = Number(process.argv[2] ?? 1_000_000);
const VALUE = 'v'.repeat(230);

function key(i: number): string {
  // 37 bytes: "session:" + 29 characters.
  return `session:${String(i).padStart(12, '0')}${'abcdefghijklmnopq'}`;
}

function encode(args: string[]): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`;
  return s;
}

/** A minimal pipelining client: sends commands, waits for that many replies (simple/bulk/int). */
class Client {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      const w = this.waiters.splice(0);
      for (const f of w) f();
    });
  }

  static connect(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new Client(s)));
      s.setNoDelay(true);
      s.once('error', reject);
    });
  }

  /** Reads n complete replies (of the kinds these commands return); returns them as text. */
  async replies(n: number): Promise<string[]> {
    const out: string[] = [];
    let pos = 0;
    for (;;) {
      while (out.length < n) {
        const end = this.buf.indexOf('\r\n', pos);
        if (end < 0) break;
        const type = this.buf[pos];
        if (type === 0x24) {
          const len = Number(this.buf.toString('latin1', pos + 1, end));
          if (len < 0) {
            out.push('');
            pos = end + 2;
            continue;
          }
          if (this.buf.length < end + 2 + len + 2) break;
          out.push(this.buf.toString('latin1', end + 2, end + 2 + len));
          pos = end + 2 + len + 2;
        } else {
          out.push(this.buf.toString('latin1', pos, end));
          pos = end + 2;
        }
      }
      if (out.length === n) {
        this.buf = this.buf.subarray(pos);
        return out;
      }
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  async call(...args: string[]): Promise<string> {
    this.socket.write(encode(args));
    return (await this.replies(1))[0]!;
  }

  async pipeline(commands: string[][]): Promise<void> {
    this.socket.write(commands.map(encode).join(''), 'latin1');
    await this.replies(commands.length);
  }

  close(): void {
    this.socket.destroy();
  }
}

interface Server {
  name: string;
  child: ChildProcess;
  port: number;
  log: () => string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function start(name: 'lapse' | 'redis', dir: string): Promise<Server> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir];
  const child =
    name === 'lapse'
      ? spawn(process.execPath, [path.join(ROOT, 'bin/lapse.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('redis-server', [...args, '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const until = Date.now() + 600_000;
  while (!log.includes('Ready to accept connections')) {
    if (child.exitCode !== null || Date.now() > until) throw new Error(`${name} did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { name, child, port, log: () => log };
}

async function stop(s: Server): Promise<void> {
  if (s.child.exitCode !== null) return;
  const done = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGKILL');
  await done;
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function info(text: string, field: string): string {
  const m = new RegExp(`^${field}:(.*)\\r$`, 'm').exec(text);
  return m ? m[1]! : '';
}

async function populate(c: Client): Promise<void> {
  const BATCH = 2000;
  for (let i = 0; i < KEYS; i += BATCH) {
    const cmds: string[][] = [];
    for (let j = i; j < Math.min(KEYS, i + BATCH); j++) cmds.push(['SET', key(j), VALUE, 'EX', '86400']);
    await c.pipeline(cmds);
  }
}

interface Result {
  saveMs: number;
  bgsaveMs: number;
  loadMs: number;
  stallMs: number;
  ops: number;
  rssGrowth: number;
  fileBytes: number;
  extra: string;
}

async function measure(name: 'lapse' | 'redis'): Promise<Result> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-snapshot-${name}-`));
  let s = await start(name, dir);
  const c = await Client.connect(s.port);
  const t0 = performance.now();
  await populate(c);
  const populateMs = performance.now() - t0;

  let t = performance.now();
  if ((await c.call('SAVE')) !== '+OK') throw new Error('SAVE failed');
  const saveMs = performance.now() - t;
  const fileBytes = fs.statSync(path.join(dir, 'dump.rdb')).size;

  // BGSAVE with a client running GET/SET, one round trip at a time.
  const load = await Client.connect(s.port);
  const poller = await Client.connect(s.port);
  const baseRss = rssOf(s.child.pid!);
  let peakRss = baseRss;
  let running = true;
  let stall = 0;
  let ops = 0;
  const traffic = (async () => {
    let i = 0;
    while (running) {
      const k = key((i * 7919) % KEYS);
      const a = performance.now();
      await load.call(i % 2 === 0 ? 'GET' : 'SET', k, ...(i % 2 === 0 ? [] : [VALUE]));
      const d = performance.now() - a;
      if (d > stall) stall = d;
      ops++;
      i++;
    }
  })();
  await new Promise((r) => setTimeout(r, 200));
  stall = 0;
  ops = 0;
  t = performance.now();
  const reply = await c.call('BGSAVE');
  if (!reply.startsWith('+Background saving started')) throw new Error(`BGSAVE: ${reply}`);
  for (;;) {
    const text = await poller.call('INFO', 'persistence');
    peakRss = Math.max(peakRss, rssOf(s.child.pid!));
    if (info(text, 'rdb_bgsave_in_progress') === '0') break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const bgsaveMs = performance.now() - t;
  running = false;
  await traffic;
  const persistence = await poller.call('INFO', 'persistence');
  const stats = await poller.call('INFO', 'stats');
  const extra =
    name === 'redis'
      ? `latest_fork_usec=${info(stats, 'latest_fork_usec')} rdb_last_cow_size=${(Number(info(persistence, 'rdb_last_cow_size')) / 1048576).toFixed(1)}MB`
      : `status=${info(persistence, 'rdb_last_bgsave_status')}`;
  c.close();
  load.close();
  poller.close();
  await stop(s);

  // Load time: a fresh start on the file.
  s = await start(name, dir);
  const m = /DB loaded from disk: ([\d.]+) seconds/.exec(s.log());
  const loadMs = m ? Number(m[1]) * 1000 : NaN;
  await stop(s);
  fs.rmSync(dir, { recursive: true, force: true });
  console.error(`${name}: populated ${KEYS} keys in ${(populateMs / 1000).toFixed(1)} s`);
  return { saveMs, bgsaveMs, loadMs, stallMs: stall, ops, rssGrowth: peakRss - baseRss, fileBytes, extra };
}

const lapse = await measure('lapse');
const redis = await measure('redis');
const mb = (b: number) => `${(b / 1048576).toFixed(1)} MB`;
const ms = (x: number) => `${x.toFixed(0)} ms`;
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');
console.log(`\n${KEYS} keys, 37-byte keys, 230-byte values, EX 86400; node ${process.version}, ${os.cpus().length} CPUs\n`);
console.log('| measure | lapse | redis 7.0 | lapse/redis |');
console.log('|---|---|---|---|');
console.log(`| SAVE | ${ms(lapse.saveMs)} | ${ms(redis.saveMs)} | ${ratio(lapse.saveMs, redis.saveMs)} |`);
console.log(`| BGSAVE (until done) | ${ms(lapse.bgsaveMs)} | ${ms(redis.bgsaveMs)} | ${ratio(lapse.bgsaveMs, redis.bgsaveMs)} |`);
console.log(`| load at start-up | ${ms(lapse.loadMs)} | ${ms(redis.loadMs)} | ${ratio(lapse.loadMs, redis.loadMs)} |`);
console.log(`| longest GET/SET round trip during BGSAVE | ${lapse.stallMs.toFixed(1)} ms | ${redis.stallMs.toFixed(1)} ms | ${ratio(lapse.stallMs, redis.stallMs)} |`);
console.log(`| GET/SET round trips during BGSAVE | ${lapse.ops} | ${redis.ops} | |`);
console.log(`| peak RSS growth of the server during BGSAVE | ${mb(lapse.rssGrowth)} | ${mb(redis.rssGrowth)} (parent) | |`);
console.log(`| file size | ${mb(lapse.fileBytes)} | ${mb(redis.fileBytes)} | ${ratio(lapse.fileBytes, redis.fileBytes)} |`);
console.log(`\nlapse: ${lapse.extra}\nredis: ${redis.extra}`);
