import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import net from 'node:net';
import { beforeAll, describe, expect, test } from 'vitest';
import { pairSuite } from './harness.js';
import { encodeCommand } from '../helpers/resp.js';

/**
 * Pipelines that read late, differentially: a client that writes its whole pipeline
 * before reading a byte gets every reply from lapse as from redis-server 7.0 (compared:
 * reply count, byte count, and a SHA-256 of everything received), by raw socket and by
 * redis-py's pipeline (Debian's python3-redis, which works exactly this way); and a
 * client that never reads is closed by client-output-buffer-limit normal on both, with
 * the same log line.
 */

const logged: string[] = [];
const pair = pairSuite({ lapse: { logger: { log: (_level, line) => logged.push(line) } }, reset: false });
let redisLog = '';

beforeAll(() => {
  pair.redis.process.stdout!.on('data', (d) => (redisLog += d));
});

const PORTS = () => [pair.redis.port, pair.lapsePort] as const;
const VALUE = Buffer.alloc(1024, 'v');
const N = 300_000;

interface Received {
  bytes: number;
  sha256: string;
  seconds: number;
}

/** Writes `request` on a new connection, then reads until `expected` bytes came (or 60 s). */
function writeAllThenRead(port: number, request: Buffer, expected: number): Promise<Received> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const hash = crypto.createHash('sha256');
    let bytes = 0;
    const t0 = Date.now();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`port ${port}: ${bytes} of ${expected} bytes after 60 s`));
    }, 60_000);
    socket.pause(); // nothing is read before the whole request is written
    socket.on('error', reject);
    socket.write(request, () => {
      socket.on('data', (d: Buffer) => {
        hash.update(d);
        bytes += d.length;
        if (bytes >= expected) {
          clearTimeout(timer);
          socket.destroy();
          resolve({ bytes, sha256: hash.digest('hex'), seconds: (Date.now() - t0) / 1000 });
        }
      });
      socket.resume();
    });
  });
}

/** redis-py: pipeline(transaction=False) of n GETs, executed; prints what came back. */
const REDIS_PY = `
import hashlib, json, sys, time, redis
port, n = int(sys.argv[1]), int(sys.argv[2])
r = redis.Redis(port=port, socket_timeout=60)
r.set('k', b'v' * 1024)
p = r.pipeline(transaction=False)
for _ in range(n):
    p.get('k')
t = time.time()
res = p.execute()
h = hashlib.sha256()
for v in res:
    h.update(v)
print(json.dumps({'replies': len(res), 'ok': sum(1 for v in res if v == b'v' * 1024), 'sha256': h.hexdigest(), 'seconds': round(time.time() - t, 2)}))
`;

/** Runs redis-py (Debian's /usr/bin/python3 has python3-redis) asynchronously: the in-process lapse must keep serving. */
function redisPy(port: number, n: number): Promise<{ replies: number; ok: number; sha256: string; seconds: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', ['-c', REDIS_PY, String(port), String(n)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out));
      else reject(new Error(`python3 exited with ${code}: ${err}`));
    });
  });
}

describe('a pipeline written whole before any reply is read', () => {
  test(`raw socket: ${N.toLocaleString('en')} GETs of a 1 KB value, every reply as from Redis (count, bytes, SHA-256)`, async () => {
    const request = Buffer.concat(Array.from({ length: N }, () => encodeCommand(['GET', 'k'])));
    const replySize = `$${VALUE.length}\r\n`.length + VALUE.length + 2;
    const results: Received[] = [];
    for (const [port, c] of [[pair.redis.port, pair.r], [pair.lapsePort, pair.l]] as const) {
      expect((await c.call('SET', 'k', VALUE)).toString()).toBe('+OK\r\n');
      results.push(await writeAllThenRead(port, request, N * replySize));
    }
    const [redis, lapse] = results as [Received, Received];
    console.log('raw pipeline:', JSON.stringify({ redis, lapse }));
    expect(redis.bytes).toBe(N * replySize);
    expect(lapse.bytes).toBe(redis.bytes);
    expect(lapse.sha256).toBe(redis.sha256);
  }, 150_000);

  test(`redis-py pipeline(transaction=False).execute() of ${N.toLocaleString('en')} GETs of a 1 KB value: the same replies`, async () => {
    const redis = await redisPy(pair.redis.port, N);
    const lapse = await redisPy(pair.lapsePort, N);
    console.log('redis-py pipeline:', JSON.stringify({ redis, lapse }));
    expect(redis.replies).toBe(N);
    expect(redis.ok).toBe(N);
    expect(lapse.replies).toBe(N);
    expect(lapse.ok).toBe(N);
    expect(lapse.sha256).toBe(redis.sha256);
  }, 200_000);

  test('mixed commands and reply sizes (1 byte to 60 KB, errors, integers, arrays), written whole: byte for byte as Redis', async () => {
    await pair.r.call('FLUSHALL');
    await pair.l.call('FLUSHALL');
    const commands: string[][] = [];
    for (let i = 0; i < 2000; i++) {
      const size = [1, 100, 5_000, 20_000, 60_000][i % 5]!;
      commands.push(['SET', `key:${i % 50}`, String.fromCharCode(97 + (i % 26)).repeat(size)]);
      commands.push(['GET', `key:${(i * 7) % 50}`]);
      if (i % 11 === 0) commands.push(['INCR', 'counter']);
      if (i % 13 === 0) commands.push(['HSET', `h:${i % 5}`, `f${i}`, 'x'.repeat(i % 60)]); // small: a listpack, in insertion order on both
      if (i % 17 === 0) commands.push(['HGETALL', `h:${i % 5}`]);
      if (i % 19 === 0) commands.push(['INCR', `key:${i % 50}`]); // an error: not an integer
      if (i % 23 === 0) commands.push(['MGET', 'key:1', 'missing', 'key:2']);
    }
    const request = Buffer.concat(commands.map((c) => encodeCommand(c)));
    // How much comes back is what Redis sends: read Redis first, until quiet.
    const redis = await writeAllThenReadUntilQuiet(pair.redis.port, request);
    const lapse = await writeAllThenRead(pair.lapsePort, request, redis.bytes);
    expect(redis.bytes).toBeGreaterThan(20 * 1024 * 1024);
    expect(lapse.bytes).toBe(redis.bytes);
    expect(lapse.sha256).toBe(redis.sha256);
  }, 150_000);
});

describe('many clients at once, large and small replies, fast and slow readers', () => {
  // lapse encodes every connection's replies into one shared slab and fills it again from
  // its start once every socket has taken its part (ReplyWriter.release): a part reused
  // too early would show here as another client's bytes in a reply.
  test('12 connections, each a different pipeline of LRANGEs of 230-byte elements, GETs and PINGs, half of them read late: each receives what Redis sends it', async () => {
    // Every connection reads its own keys, whose bytes name it: a reply written over by
    // another connection's would not go unnoticed.
    const CONNECTIONS = 12;
    for (const c of [pair.r, pair.l]) {
      await c.call('FLUSHALL');
      for (let conn = 0; conn < CONNECTIONS; conn++) {
        for (let i = 0; i < 150; i += 50) {
          const values = Array.from({ length: 50 }, (_, j) => String.fromCharCode(65 + ((i + j + conn) % 26)).repeat(190) + `conn ${conn} element ${i + j}`.padStart(40, '.'));
          await c.call('RPUSH', `list:${conn}`, ...values);
        }
        for (let k = 0; k < 8; k++) await c.call('SET', `k:${conn}:${k}`, `${conn}:${k}:`.repeat([2, 30, 600, 2500][k % 4]!));
      }
    }
    const requests = Array.from({ length: CONNECTIONS }, (_, conn) => {
      const commands: string[][] = [];
      for (let i = 0; i < 1500; i++) {
        const pick = (i * 7 + conn * 13) % 5;
        if (pick === 0) commands.push(['LRANGE', `list:${conn}`, String(i % 40), String(99 + (i % 40))]);
        else if (pick === 1) commands.push(['LRANGE', `list:${conn}`, String(-1 - (i % 40)), '-1']);
        else if (pick === 2) commands.push(['GET', `k:${conn}:${i % 8}`]);
        else if (pick === 3) commands.push(['PING', `p${conn}-${i}`]);
        else commands.push(['LINDEX', `list:${conn}`, String((i * 31) % 150)]);
      }
      return Buffer.concat(commands.map((c) => encodeCommand(c)));
    });
    const results: Received[][] = [];
    for (const port of PORTS()) {
      results.push(await Promise.all(requests.map((request, conn) => writeAllThenReadUntilQuiet(port, request, conn % 2 === 0 ? 0 : 500))));
    }
    const [redis, lapse] = results as [Received[], Received[]];
    for (let conn = 0; conn < requests.length; conn++) {
      // More than the kernel buffers a late reader's socket (a few MB on loopback).
      expect(redis[conn]!.bytes, `connection ${conn}`).toBeGreaterThan(8 * 1024 * 1024);
      expect(lapse[conn]!.bytes, `connection ${conn}`).toBe(redis[conn]!.bytes);
      expect(lapse[conn]!.sha256, `connection ${conn}`).toBe(redis[conn]!.sha256);
    }
  }, 120_000);
});

describe('a client that never reads', () => {
  test('client-output-buffer-limit normal 4mb 0 0: closed on both, with the same log line', async () => {
    for (const c of [pair.r, pair.l]) {
      expect((await c.call('CONFIG', 'SET', 'client-output-buffer-limit', 'normal 4mb 0 0')).toString()).toBe('+OK\r\n');
      expect((await c.call('SET', 'page', 'p'.repeat(16 * 1024))).toString()).toBe('+OK\r\n');
    }
    const request = Buffer.concat(Array.from({ length: 4096 }, () => encodeCommand(['GET', 'page']))); // 64 MB of replies
    const outcomes: { closed: boolean; received: number }[] = [];
    for (const port of PORTS()) {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      const closed = new Promise<boolean>((resolve) => {
        socket.once('close', () => resolve(true));
        setTimeout(() => resolve(false), 10_000);
      });
      socket.pause();
      socket.write(request);
      // Reads nothing for a while, then reads what is left until the close.
      await new Promise((r) => setTimeout(r, 500));
      let received = 0;
      socket.on('data', (d: Buffer) => (received += d.length));
      socket.resume();
      outcomes.push({ closed: await closed, received });
      socket.destroy();
    }
    for (const c of [pair.r, pair.l]) {
      expect((await c.call('CONFIG', 'SET', 'client-output-buffer-limit', 'normal 0 0 0')).toString()).toBe('+OK\r\n');
    }
    const [redis, lapse] = outcomes as [{ closed: boolean; received: number }, { closed: boolean; received: number }];
    expect(redis.closed).toBe(true);
    expect(lapse.closed).toBe(true);
    // Neither sent anywhere near the 64 MB asked for.
    expect(redis.received).toBeLessThan(32 * 1024 * 1024);
    expect(lapse.received).toBeLessThan(32 * 1024 * 1024);
    const line = /Client (id=\d+ addr=\S+ laddr=\S+ fd=\d+ name= .* flags=N .* omem=(\d+) .* cmd=get .*) scheduled to be closed ASAP for overcoming of output buffer limits\./;
    const redisLine = line.exec(redisLog);
    const lapseLine = logged.map((l) => line.exec(l)).find((m) => m !== null);
    expect(redisLine, redisLog).not.toBeNull();
    expect(lapseLine, logged.join('\n')).toBeDefined();
    expect(Number(redisLine![2])).toBeGreaterThanOrEqual(4 * 1024 * 1024);
    expect(Number(lapseLine![2])).toBeGreaterThanOrEqual(4 * 1024 * 1024);
    // The same fields in the same order (lapse adds Redis 7.2's lib-name and lib-ver at the end).
    const names = (s: string) => s.split(' ').map((f) => f.split('=')[0]);
    expect(names(lapseLine![1]!).slice(0, names(redisLine![1]!).length)).toEqual(names(redisLine![1]!));
  }, 30_000);
});

/**
 * Writes `request`, then reads until nothing comes for 1 s (or 60 s in all); with
 * readAfterMs, only that long after the write (a slow reader: the server's writes to it
 * back up meanwhile).
 */
function writeAllThenReadUntilQuiet(port: number, request: Buffer, readAfterMs = 0): Promise<Received> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const hash = crypto.createHash('sha256');
    let bytes = 0;
    const t0 = Date.now();
    let quiet: NodeJS.Timeout | undefined;
    const done = () => {
      socket.destroy();
      resolve({ bytes, sha256: hash.digest('hex'), seconds: (Date.now() - t0) / 1000 });
    };
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`port ${port}: still sending after 60 s`));
    }, 60_000);
    socket.pause();
    socket.on('error', reject);
    socket.write(request, () => {
      socket.on('data', (d: Buffer) => {
        hash.update(d);
        bytes += d.length;
        clearTimeout(quiet);
        quiet = setTimeout(() => {
          clearTimeout(giveUp);
          done();
        }, 1000);
      });
      if (readAfterMs > 0) setTimeout(() => socket.resume(), readAfterMs);
      else socket.resume();
    });
  });
}
