import { describe, expect, test } from 'vitest';
import { BasicClientSideCache, createClient } from 'redis';
import { suiteServer } from '../helpers/suite-server.js';
import { RawClient } from '../helpers/raw-client.js';
import { decodeReply, encodeCommand, type Reply } from '../helpers/resp.js';
import { createServer } from '../../src/index.js';

/**
 * Client-side caching as an app uses it: node-redis (the `redis` package, 6.3) with its
 * client-side cache (`RESP: 3, clientSideCache`), which turns CLIENT TRACKING on and
 * drops entries on the server's invalidation pushes. A session read twice is answered
 * the second time from the app's memory; a logout on another connection invalidates it
 * at once. What reaches the server is read from its own command counters (in-process).
 * Then a tracking client that never reads its invalidations is cut off by
 * client-output-buffer-limit, as any client.
 */
const lapse = suiteServer();

/** A server of its own with a tracking connection and a writing one, all closed after `fn`. */
async function withTrackerAndWriter(
  options: Record<string, string>,
  fn: (server: ReturnType<typeof createServer>, tracker: RawClient, writer: RawClient) => Promise<void>,
): Promise<void> {
  const server = createServer({ port: 0, bind: '127.0.0.1', ...options });
  const port = (await server.listen()).port;
  const clients: RawClient[] = [];
  try {
    const tracker = await RawClient.connect(port);
    clients.push(tracker);
    const writer = await RawClient.connect(port);
    clients.push(writer);
    await fn(server, tracker, writer);
  } finally {
    for (const c of clients) c.close();
    await server.close();
  }
}

/** Resolves with the first value of `promise`, or rejects after ms. */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe('node-redis client-side cache', () => {
  test('a session read twice is served from the cache; a logout elsewhere invalidates it at once', async () => {
    const cache = new BasicClientSideCache({ maxEntries: 1000 });
    const app = createClient({ socket: { port: lapse.port, host: '127.0.0.1' }, RESP: 3, clientSideCache: cache });
    const admin = createClient({ socket: { port: lapse.port, host: '127.0.0.1' } });
    try {
      await app.connect();
      await admin.connect();
      const session = JSON.stringify({ user: 'ann', role: 'editor' });
      await admin.set('sess:abc', session, { expiration: { type: 'EX', value: 3600 } });
      // The GETs that reach the server, from its own counter.
      const get = lapse.server.commands.lookup('get')!;
      const before = get.calls;

      expect(await app.get('sess:abc')).toBe(session);
      expect(get.calls, 'the first read reaches the server').toBe(before + 1);
      expect(await app.get('sess:abc')).toBe(session);
      expect(get.calls, 'the second read is the cache').toBe(before + 1);
      expect(cache.stats().hitCount).toBe(1);
      expect(cache.stats().missCount).toBe(1);

      // The server tracks the app's connection and remembers the key it read.
      const list = await admin.sendCommand(['CLIENT', 'LIST']);
      expect(String(list)).toMatch(/ flags=t .* redir=0 resp=3/);
      expect(lapse.server.tracking.totalKeys).toBe(1);

      // Logout on another connection: the app is told before it reads again.
      const invalidated = within(2000, new Promise((resolve) => cache.once('invalidate', resolve)));
      expect(await admin.del('sess:abc')).toBe(1);
      expect(String(await invalidated)).toBe('sess:abc');
      expect(cache.size()).toBe(0);
      expect(await app.get('sess:abc')).toBeNull();
      expect(get.calls, 'after the logout the read reaches the server').toBe(before + 2);
      expect(cache.stats().missCount).toBe(2);

      // A new login is cached again, and a flush invalidates everything.
      // (The null the app read is cached too, and invalidated by the login.)
      const loggedIn = within(2000, new Promise((resolve) => cache.once('invalidate', resolve)));
      await admin.set('sess:abc', session);
      expect(String(await loggedIn)).toBe('sess:abc');
      expect(await app.get('sess:abc')).toBe(session);
      expect(await app.get('sess:abc')).toBe(session);
      expect(get.calls).toBe(before + 3);
      const flushed = within(2000, new Promise((resolve) => cache.once('invalidate', resolve)));
      await admin.flushAll();
      expect(await flushed).toBeNull();
      expect(cache.size()).toBe(0);
    } finally {
      await app.close();
      await admin.close();
    }
    // Its connection gone, the app's client is no tracking client any more.
    for (let i = 0; i < 100 && lapse.server.tracking.clientCount !== 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(lapse.server.tracking.clientCount).toBe(0);
  });
});

describe('a tracking client that does not read', () => {
  test('is cut off by client-output-buffer-limit normal; the server goes on serving the others', async () => {
    await withTrackerAndWriter({ 'client-output-buffer-limit': 'normal 64kb 0 0' }, async (server, tracker, writer) => {
      await tracker.call('HELLO', '3');
      expect((await tracker.call('CLIENT', 'TRACKING', 'ON', 'BCAST')).toString()).toBe('+OK\r\n');
      // From now on the tracker reads nothing: its invalidations pile up in the server.
      tracker.pause();
      const key = 'k'.repeat(2000);
      let closed = false;
      for (let round = 0; round < 200 && !closed; round++) {
        const pipeline: string[][] = [];
        for (let i = 0; i < 100; i++) pipeline.push(['SET', `${key}:${round}:${i}`, 'v']);
        writer.write(Buffer.concat(pipeline.map((argv) => encodeCommand(argv))));
        for (let i = 0; i < 100; i++) await writer.readReplyBytes();
        closed = server.tracking.clientCount === 0;
      }
      expect(closed, 'the tracker was disconnected').toBe(true);
      // The writer still gets answers, and the tracker is gone from CLIENT LIST.
      expect((await writer.call('PING')).toString()).toBe('+PONG\r\n');
      const list = (await writer.call('CLIENT', 'LIST')).toString('latin1');
      expect(list.match(/^id=/gm)).toHaveLength(1);
      expect(list).not.toContain('flags=tB');
      expect(server.tracking.totalPrefixes).toBe(0);
    });
  });
});

describe('evicted keys', () => {
  test('a key evicted under maxmemory is invalidated for the clients that read it', async () => {
    await withTrackerAndWriter({ 'maxmemory-policy': 'allkeys-random' }, async (_server, tracker, writer) => {
      const value = 'v'.repeat(1000);
      const tracked = Array.from({ length: 500 }, (_, i) => `t:${i}`);
      writer.write(Buffer.concat(tracked.map((k) => encodeCommand(['SET', k, value]))));
      for (const _ of tracked) await writer.readReplyBytes();
      await tracker.call('HELLO', '3');
      await tracker.call('CLIENT', 'TRACKING', 'ON');
      await tracker.call('MGET', ...tracked);
      // Room for about as much again, then twice as much written: keys are evicted.
      const used = Number(/used_memory:(\d+)/.exec((await writer.call('INFO', 'memory')).toString())![1]);
      await writer.call('CONFIG', 'SET', 'maxmemory', String(used + 500 * 1200));
      for (let round = 0; round < 10; round++) {
        writer.write(Buffer.concat(Array.from({ length: 100 }, (_, i) => encodeCommand(['SET', `fill:${round}:${i}`, value]))));
        for (let i = 0; i < 100; i++) await writer.readReplyBytes();
      }
      await writer.call('PING');
      await new Promise((resolve) => setTimeout(resolve, 100));
      const evicted = Number(/evicted_keys:(\d+)/.exec((await writer.call('INFO', 'stats')).toString())![1]);
      expect(evicted).toBeGreaterThan(0);
      // Every tracked key that is gone was invalidated, and only those (read after the
      // EXISTS checks, in case one of them evicted more).
      const exists = await Promise.all(tracked.map(async (k) => (await writer.call('EXISTS', k)).toString() === ':1\r\n'));
      const gone = tracked.filter((_, i) => !exists[i]);
      // (A PING's answer ends what came; read as raw bytes, since pushes come before it.)
      tracker.send('PING');
      for (let i = 0; i < 200 && !tracker.pending().toString('latin1').endsWith('+PONG\r\n'); i++) await new Promise((r) => setTimeout(r, 10));
      const invalidated = new Set<string>();
      for (let buf = tracker.takePending(); buf.length > 0; ) {
        const frame = decodeReply(buf)!;
        buf = buf.subarray(frame.end);
        if (frame.reply.type !== 'push') continue;
        const keys = frame.reply.value[1] as Extract<Reply, { type: 'array' }>;
        for (const k of keys.value) invalidated.add((k as Extract<Reply, { type: 'bulk' }>).value.toString('latin1'));
      }
      expect(gone.length).toBeGreaterThan(0);
      expect([...invalidated].sort()).toEqual(gone.sort());
    });
  });
});
