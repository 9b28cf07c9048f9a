import { afterEach, describe, expect, test } from 'vitest';
import { createServer, type LapseServer } from '../../src/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { decodeReply, encodeCommand } from '../helpers/resp.js';
import type { ServerOptions } from '../../src/server/server.js';

/**
 * Limits that cannot be compared with Redis byte for byte (lapse's own buffers and
 * memory figures, timing), on in-process servers with real sockets: the idle timeout
 * and who it spares, CLIENT KILL MAXAGE (Redis 7.4), the pub/sub output buffer limits
 * end to end, CLIENT LIST's memory fields, and maxmemory at work.
 */

let server: LapseServer | undefined;
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  server = undefined;
});

async function start(options: ServerOptions = {}): Promise<{ port: number; logged: string[] }> {
  const logged: string[] = [];
  server = createServer({ port: 0, bind: '127.0.0.1', logger: { log: (_level, line) => logged.push(line) }, ...options });
  const { port } = await server.listen();
  return { port, logged };
}

async function connect(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  clients.push(c);
  return c;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The text of a bulk or verbatim reply. */
function text(raw: Buffer): string {
  const r = decodeReply(raw)!.reply;
  if (r.type !== 'bulk' && r.type !== 'verbatim') throw new Error(`not text: ${raw.toString('latin1')}`);
  return r.value.toString('latin1');
}

function field(info: string, name: string): string {
  const m = new RegExp(`(?:^|[ \\r\\n:,])${name}[=:]([^ \\r\\n,]*)`).exec(info);
  if (!m) throw new Error(`no ${name} in ${info}`);
  return m[1]!;
}

async function info(c: RawClient, section: string, name: string): Promise<number> {
  return Number(field(text(await c.call('INFO', section)), name));
}

describe('timeout', () => {
  test('closes idle clients, but not pub/sub clients (as Redis)', async () => {
    const { port } = await start({ timeout: 1 });
    const idle = await connect(port);
    const subscriber = await connect(port);
    const busy = await connect(port);
    await idle.call('PING');
    subscriber.send('SUBSCRIBE', 'news');
    const until = Date.now() + 2600;
    while (Date.now() < until) {
      await busy.call('PING');
      await sleep(200);
    }
    await idle.waitClosed(1000);
    expect(subscriber.isClosed).toBe(false);
    expect(busy.isClosed).toBe(false);
    expect((await busy.call('PUBLISH', 'news', 'still here')).toString()).toBe(':1\r\n');
    expect((await subscriber.readReplyBytes()).toString()).toBe('*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n');
    expect((await subscriber.readReplyBytes()).toString()).toBe('*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$10\r\nstill here\r\n');
  });
});

describe('CLIENT KILL MAXAGE (Redis 7.4)', () => {
  test('kills clients connected for at least that many seconds; errors', async () => {
    const { port } = await start();
    const old = await connect(port);
    await old.call('PING');
    // Ages are whole seconds (now's second minus the connection's): 2.1 s is an age of 2
    // or 3, a fresh connection's is 0 or 1.
    await sleep(2100);
    const admin = await connect(port);
    const young = await connect(port);
    expect((await admin.call('CLIENT', 'KILL', 'MAXAGE', 'x')).toString()).toBe('-ERR maxage is not an integer or out of range\r\n');
    expect((await admin.call('CLIENT', 'KILL', 'MAXAGE', '0')).toString()).toBe('-ERR maxage should be greater than 0\r\n');
    expect((await admin.call('CLIENT', 'KILL', 'MAXAGE', '2')).toString()).toBe(':1\r\n');
    await old.waitClosed();
    expect((await young.call('PING')).toString()).toBe('+PONG\r\n');
    expect((await admin.call('CLIENT', 'KILL', 'MAXAGE', '1000', 'SKIPME', 'no')).toString()).toBe(':0\r\n');
  });
});

describe('client-output-buffer-limit', () => {
  test('a subscriber that stops reading is closed past the pubsub hard limit; memory stays bounded; the publisher is served', async () => {
    const { port, logged } = await start({ 'client-output-buffer-limit': 'pubsub 4mb 1mb 60' });
    const subscriber = await connect(port);
    await subscriber.call('SUBSCRIBE', 'firehose');
    subscriber.pause();
    const publisher = await connect(port);
    const message = 'm'.repeat(16 * 1024);
    let maxOmem = 0;
    let sent = 0;
    const lister = await connect(port);
    for (let i = 0; i < 200 && !logged.some((l) => l.includes('overcoming of output buffer limits')); i++) {
      publisher.write(Buffer.concat(Array.from({ length: 64 }, () => encodeCommand(['PUBLISH', 'firehose', message]))));
      for (let j = 0; j < 64; j++) await publisher.readReplyBytes();
      sent += 64 * message.length;
      const list = text(await lister.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
      if (list !== '') maxOmem = Math.max(maxOmem, Number(field(list, 'omem')));
    }
    const line = logged.find((l) => l.includes('overcoming of output buffer limits'));
    expect(line).toMatch(/^Client id=\d+ addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:\d+ .* flags=P .* cmd=subscribe .* scheduled to be closed ASAP for overcoming of output buffer limits\.$/);
    // Closed once its unsent bytes reached 4 MB (the kernel's socket buffers held more before they showed).
    expect(maxOmem).toBeLessThan(4 * 1024 * 1024 + 64 * (message.length + 64));
    expect(sent).toBeLessThan(64 * 1024 * 1024);
    await sleep(50);
    expect(text(await lister.call('CLIENT', 'LIST', 'TYPE', 'pubsub'))).toBe('');
    expect((await publisher.call('PUBLISH', 'firehose', 'x')).toString()).toBe(':0\r\n');
  });
});

describe('CLIENT LIST memory fields', () => {
  test('qbuf, argv-mem of an unfinished command; omem of unsent messages; tot-mem adds them up', async () => {
    const { port } = await start();
    const lister = await connect(port);
    const partial = await connect(port);
    partial.write('*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$100\r\n' + 'v'.repeat(40));
    await sleep(100); // the SET stays unfinished
    const line = (await lister.call('CLIENT', 'LIST')).toString('latin1').split('\n').find((l) => l.includes('cmd=NULL'))!;
    expect(field(line, 'qbuf')).toBe('40');
    expect(field(line, 'argv-mem')).toBe('6');
    expect(field(line, 'omem')).toBe('0');
    const base = Number(field(line, 'tot-mem'));
    expect(base).toBeGreaterThan(40 + 6);
    const subscriber = await connect(port);
    await subscriber.call('SUBSCRIBE', 'c');
    subscriber.pause();
    const big = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 20; i++) await lister.call('PUBLISH', 'c', big); // 20 MB: under the 32 MB hard limit
    const sub = text(await lister.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
    const omem = Number(field(sub, 'omem'));
    expect(omem).toBeGreaterThan(10 * 1024 * 1024); // beyond what the kernel took
    expect(Number(field(sub, 'tot-mem'))).toBeGreaterThan(omem);
    expect(field(sub, 'events')).toBe('rw');
  }, 20_000);
});

describe('maxmemory', () => {
  /**
   * A limit this far above what the server uses before storing anything, after a full
   * GC (MEMORY PURGE). The server shares this process with the test and vitest, whose
   * own live heap moves by a few MB as code warms up: rooms are large against that.
   */
  async function startWithRoom(room: number, options: ServerOptions): Promise<{ port: number; logged: string[]; c: RawClient; limit: number }> {
    const started = await start(options);
    const c = await connect(started.port);
    // Twice: Buffers of earlier tests are freed by V8 a little after the collection that finds them dead.
    await c.call('MEMORY', 'PURGE');
    await sleep(300);
    await c.call('MEMORY', 'PURGE');
    const limit = (await info(c, 'memory', 'used_memory')) + room;
    expect((await c.call('CONFIG', 'SET', 'maxmemory', String(limit))).toString()).toBe('+OK\r\n');
    return { ...started, c, limit };
  }

  async function fill(c: RawClient, count: number, from = 0, valueSize = 230, extra: string[] = []): Promise<void> {
    const value = 'v'.repeat(valueSize);
    for (let i = from; i < from + count; i += 500) {
      const n = Math.min(500, from + count - i);
      c.write(Buffer.concat(Array.from({ length: n }, (_, j) => encodeCommand(['SET', `session:${i + j}`, value, ...extra]))));
      for (let j = 0; j < n; j++) await c.readReplyBytes();
    }
  }

  test('allkeys-lru keeps used_memory within maxmemory, evicts the idle keys, reads keep working', async () => {
    const { c, limit } = await startWithRoom(24 * 1024 * 1024, { 'maxmemory-policy': 'allkeys-lru' });
    await fill(c, 30_000);
    await sleep(1100); // the LRU clock counts seconds: the first sessions are now older
    await fill(c, 120_000, 30_000);
    expect(await info(c, 'memory', 'used_memory')).toBeLessThanOrEqual(limit);
    const keys = await info(c, 'keyspace', 'keys');
    const evicted = await info(c, 'stats', 'evicted_keys');
    expect(keys + evicted).toBe(150_000);
    // ~60,000 keys fit in the room; the rest of the process's heap also moves (vitest and
    // this test share it), so only a loose bound.
    expect(evicted).toBeGreaterThan(20_000);
    // Approximated LRU (5 samples, as Redis): most idle old sessions are gone, most new ones are there.
    const present = async (from: number, to: number, step: number) => {
      let n = 0;
      let all = 0;
      for (let i = from; i < to; i += step, all++) if ((await c.call('EXISTS', `session:${i}`)).toString() === ':1\r\n') n++;
      return n / all;
    };
    expect(await present(1, 30_000, 30)).toBeLessThan(0.2);
    expect(await present(149_000, 150_000, 1)).toBeGreaterThan(0.8);
    const last = (await c.call('SCAN', '0', 'MATCH', 'session:14999*', 'COUNT', '100000')).toString().match(/session:\d+/)![0];
    expect((await c.call('MEMORY', 'USAGE', last)).toString()).toMatch(/^:3\d\d\r\n$/); // ~316 bytes (432 before issue 17 moved keys off the V8 heap)
  }, 60_000);

  test('noeviction refuses writes with OOM and keeps every key', async () => {
    const { c } = await startWithRoom(16 * 1024 * 1024, {});
    await fill(c, 100_000); // ~40 MB of keys for a 16 MB room
    expect((await c.call('SET', 'one-more', 'v')).toString()).toBe("-OOM command not allowed when used memory > 'maxmemory'.\r\n");
    const keys = await info(c, 'keyspace', 'keys');
    expect(keys).toBeGreaterThan(1000);
    expect(keys).toBeLessThan(100_000);
    expect(await info(c, 'stats', 'evicted_keys')).toBe(0);
    expect((await c.call('GET', 'session:0')).length).toBe(238);
    expect((await c.call('DEL', 'session:0')).toString()).toBe(':1\r\n');
  }, 60_000);

  test('volatile-ttl evicts the keys that expire soonest, only keys with a TTL', async () => {
    const { c } = await startWithRoom(16 * 1024 * 1024, { 'maxmemory-policy': 'volatile-ttl' });
    await fill(c, 2000, 0, 230); // no TTL
    for (let i = 2000; i < 80_000; i += 500) {
      c.write(Buffer.concat(Array.from({ length: 500 }, (_, j) => encodeCommand(['SET', `session:${i + j}`, 'v'.repeat(230), 'EX', String(100_000 + i + j)]))));
      for (let j = 0; j < 500; j++) await c.readReplyBytes();
    }
    for (let i = 0; i < 2000; i += 100) expect((await c.call('EXISTS', `session:${i}`)).toString()).toBe(':1\r\n');
    expect(await info(c, 'stats', 'evicted_keys')).toBeGreaterThan(0);
    expect((await c.call('EXISTS', 'session:79999')).toString()).toBe(':1\r\n'); // expires last
    // Approximated (5 samples, as Redis): the soonest to expire are mostly gone, the latest
    // mostly there. (One key's fate is a matter of chance: session:2000, the soonest, survived
    // a CI run because no sample drew it.)
    const present = async (from: number, to: number) => {
      let n = 0;
      for (let i = from; i < to; i++) if ((await c.call('EXISTS', `session:${i}`)).toString() === ':1\r\n') n++;
      return n / (to - from);
    };
    const soonest = await present(2000, 3000);
    const latest = await present(79_000, 80_000);
    expect(soonest).toBeLessThan(0.2);
    expect(latest).toBeGreaterThan(0.8);
  }, 60_000);

  test('with tenacity 0 each command evicts a little and the rest goes on in the background', async () => {
    const { c, limit } = await startWithRoom(24 * 1024 * 1024, { 'maxmemory-policy': 'allkeys-random' });
    await fill(c, 40_000);
    const before = await info(c, 'keyspace', 'keys');
    await c.call('CONFIG', 'SET', 'maxmemory-eviction-tenacity', '0');
    // Lower the limit by ~8 MB: ~18,000 keys must go.
    await c.call('CONFIG', 'SET', 'maxmemory', String(limit - 8 * 1024 * 1024));
    const right = await info(c, 'keyspace', 'keys');
    expect(right).toBeGreaterThan(before - 18_000); // not all at once
    for (let i = 0; i < 100 && (await info(c, 'memory', 'used_memory')) > limit - 8 * 1024 * 1024; i++) await sleep(20);
    expect(await info(c, 'memory', 'used_memory')).toBeLessThanOrEqual(limit - 8 * 1024 * 1024);
    expect(await info(c, 'stats', 'total_eviction_exceeded_time')).toBeGreaterThanOrEqual(0);
    expect(await info(c, 'stats', 'current_eviction_exceeded_time')).toBe(0);
  }, 60_000);

  test('CONFIG SET maxmemory below the usage logs Redis’s warning', async () => {
    const { port, logged } = await start();
    const c = await connect(port);
    await c.call('CONFIG', 'SET', 'maxmemory', '1');
    expect(logged.some((l) => /^WARNING: the new maxmemory value set via CONFIG SET \(1\) is smaller than the current memory usage \(\d+\)\. This will result in key eviction and\/or the inability to accept new write commands depending on the maxmemory-policy\.$/.test(l))).toBe(true);
  });
});
