/**
 * How late are `expired` keyspace events? lapse against Debian's redis-server 7.0, same
 * settings, same load, one after the other on free loopback ports.
 *
 * For each server: start it with notify-keyspace-events Ex, subscribe to
 * __keyevent@0__:expired, set N keys (pipelined SET k v PXAT t) whose expire times t are
 * spread evenly over the same second, starting a few seconds ahead so that loading is
 * over first, then record when each key's event arrives. The delay of a key is the
 * arrival time minus its expire time t (the last millisecond at which the key exists:
 * the earliest possible event comes 1 ms later). Reported: median, p99, max, and how
 * many events arrived (all N are expected; the run waits up to --wait ms after the last
 * expire time), and the largest delay for each tenth of the second, which shows when a
 * server falls behind (lapse's code runs slower until the JIT has optimised it).
 *
 * Only Node's net module: no dependency. Usage:
 *   npx tsx bench/expired-events.ts [--keys 100000] [--spread 1000] [--lead 3000] [--wait 30000]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageParser } from './lib/message-parser.js';

const args = parseArgs(process.argv.slice(2));
const KEYS = args.keys ?? 100_000;
const SPREAD_MS = args.spread ?? 1000;
const LEAD_MS = args.lead ?? 3000;
const WAIT_MS = args.wait ?? 30_000;
const CHANNEL = '__keyevent@0__:expired';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Result {
  name: string;
  received: number;
  median: number;
  p99: number;
  max: number;
  loadMs: number;
  extra: string;
  /** Largest delay of the keys in each tenth of the spread. */
  maxByTenth: number[];
}

async function main(): Promise<void> {
  console.log(`expired events: ${KEYS} keys expiring within ${SPREAD_MS} ms, ${LEAD_MS} ms after loading starts`);
  console.log(`host: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), node ${process.version}\n`);
  const results: Result[] = [];
  results.push(await runAgainst('lapse', startLapse));
  results.push(await runAgainst('redis 7.0', startRedis));
  printTable(results);
}

async function runAgainst(name: string, start: (port: number) => Promise<ChildProcess>): Promise<Result> {
  const port = await freePort();
  const child = await start(port);
  try {
    const r = await measure(name, port);
    const info = await command(port, ['INFO', 'stats']);
    const lag = /expired_reclaim_lag_p50_ms:(\d+)\r\nexpired_reclaim_lag_p99_ms:(\d+)\r\nexpired_reclaim_lag_max_ms:(\d+)/.exec(info);
    if (lag) r.extra = `server-side reclaim lag (INFO): p50 ${lag[1]} ms, p99 ${lag[2]} ms, max ${lag[3]} ms`;
    return r;
  } finally {
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

async function measure(name: string, port: number): Promise<Result> {
  const sub = await connect(port);
  const delays = new Float64Array(KEYS);
  const maxByTenth = new Array<number>(10).fill(0);
  let t0 = Infinity;
  let received = 0;
  let subscribed!: () => void;
  const ready = new Promise<void>((resolve) => (subscribed = resolve));
  let allIn!: () => void;
  const done = new Promise<void>((resolve) => (allIn = resolve));
  const parser = new MessageParser((items, at) => {
    if (items[0] === 'subscribe') return subscribed();
    if (items[0] !== 'message' || items[1] !== CHANNEL) return;
    // Key "k:<expire time>:<i>".
    const key = items[2]!;
    const when = Number(key.slice(2, key.indexOf(':', 2)));
    if (received < KEYS) {
      const delay = at - when;
      delays[received++] = delay;
      const tenth = Math.min(9, Math.max(0, Math.floor(((when - t0) * 10) / SPREAD_MS)));
      if (delay > maxByTenth[tenth]!) maxByTenth[tenth] = delay;
    }
    if (received === KEYS) allIn();
  });
  sub.on('data', (chunk: Buffer) => parser.feed(chunk, performance.timeOrigin + performance.now()));
  sub.write(encode(['SUBSCRIBE', CHANNEL]));
  await ready;

  const loader = await connect(port);
  t0 = Date.now() + LEAD_MS;
  const loadStart = Date.now();
  await load(loader, t0);
  const loadMs = Date.now() - loadStart;
  if (Date.now() >= t0) console.warn(`${name}: loading took ${loadMs} ms, past the first expire time: raise --lead`);
  const lastExpire = t0 + SPREAD_MS;
  await Promise.race([done, sleep(lastExpire - Date.now() + WAIT_MS)]);
  loader.destroy();
  sub.destroy();
  const got = delays.subarray(0, received).sort();
  const at = (p: number) => (got.length === 0 ? NaN : got[Math.min(got.length - 1, Math.max(0, Math.ceil(p * got.length) - 1))]!);
  console.log(`${name}: loaded in ${loadMs} ms, ${received}/${KEYS} events`);
  const max = got.length ? got[got.length - 1]! : NaN;
  return { name, received, median: at(0.5), p99: at(0.99), max, loadMs, extra: '', maxByTenth };
}

/** SET k:<t>:<i> v PXAT t for every key, pipelined in batches, waiting for every reply. */
async function load(c: net.Socket, t0: number): Promise<void> {
  let pending = KEYS;
  let finished!: () => void;
  const all = new Promise<void>((resolve) => (finished = resolve));
  let buffered: Buffer = Buffer.alloc(0);
  c.on('data', (chunk: Buffer) => {
    buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
    let i = 0;
    for (;;) {
      const nl = buffered.indexOf(10, i);
      if (nl < 0) break;
      if (buffered[i] !== 0x2b) throw new Error(`SET failed: ${buffered.toString('latin1', i, nl)}`);
      i = nl + 1;
      if (--pending === 0) finished();
    }
    buffered = buffered.subarray(i);
  });
  const BATCH = 1000;
  for (let start = 0; start < KEYS; start += BATCH) {
    const parts: Buffer[] = [];
    for (let i = start; i < Math.min(KEYS, start + BATCH); i++) {
      const when = t0 + Math.floor((i * SPREAD_MS) / KEYS);
      parts.push(encode(['SET', `k:${when}:${i}`, 'v', 'PXAT', String(when)]));
    }
    if (!c.write(Buffer.concat(parts))) await new Promise((resolve) => c.once('drain', resolve));
  }
  await all;
}


function startLapse(port: number): Promise<ChildProcess> {
  const cli = path.join(root, 'src', 'cli.ts');
  return startProcess(
    process.execPath,
    ['--import', 'tsx', cli, '--port', String(port), '--bind', '127.0.0.1', '--notify-keyspace-events', 'Ex'],
    root,
  );
}

function startRedis(port: number): Promise<ChildProcess> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-bench-'));
  return startProcess(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
      '--notify-keyspace-events', 'Ex'],
    dir,
  );
}

/** Spawns a server and resolves once it logs that it accepts connections. */
function startProcess(cmd: string, argv: string[], cwd: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} did not start: ${output}`));
    }, 20_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited (${code}): ${output}`));
    });
  });
}

function printTable(results: Result[]): void {
  const [lapse, redis] = results as [Result, Result];
  const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : '-');
  const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(1)}x` : a > 0 ? 'inf' : '-');
  const rows: [string, string, string, string][] = [
    ['', lapse.name, redis.name, 'redis / lapse'],
    ['events received', `${lapse.received}/${KEYS}`, `${redis.received}/${KEYS}`, ''],
    ['median delay', ms(lapse.median), ms(redis.median), ratio(redis.median, lapse.median)],
    ['p99 delay', ms(lapse.p99), ms(redis.p99), ratio(redis.p99, lapse.p99)],
    ['max delay', ms(lapse.max), ms(redis.max), ratio(redis.max, lapse.max)],
    ['load time', `${lapse.loadMs} ms`, `${redis.loadMs} ms`, ''],
  ];
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  console.log('');
  for (const r of rows) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
  console.log(`\nlargest delay (ms) of the keys expiring in each tenth of the ${SPREAD_MS} ms:`);
  for (const r of results) console.log(`  ${r.name.padEnd(10)} ${r.maxByTenth.map((d) => d.toFixed(0).padStart(5)).join('')}`);
  for (const r of results) if (r.extra) console.log(`\n${r.name} ${r.extra}`);
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => {
      s.off('error', reject);
      s.setNoDelay(true);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** One command on a fresh connection; the reply's text (enough for INFO). */
async function command(port: number, argv: string[]): Promise<string> {
  const c = await connect(port);
  return new Promise((resolve) => {
    let text = '';
    c.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      const header = /^\$(\d+)\r\n/.exec(text);
      if (header && text.length >= header[0].length + Number(header[1]) + 2) {
        c.destroy();
        resolve(text);
      }
    });
    c.write(encode(argv));
  });
}

function encode(argv: string[]): Buffer {
  let s = `*${argv.length}\r\n`;
  for (const a of argv) s += `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`;
  return Buffer.from(s, 'latin1');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

function parseArgs(argv: string[]): { keys?: number; spread?: number; lead?: number; wait?: number } {
  const out: Record<string, number> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i]!.replace(/^--/, '');
    if (!['keys', 'spread', 'lead', 'wait'].includes(name)) throw new Error(`unknown option ${argv[i]}`);
    out[name] = Number(argv[i + 1]);
  }
  return out;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
