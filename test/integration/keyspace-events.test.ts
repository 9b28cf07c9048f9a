import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Redis as IORedis } from 'ioredis';
import { createServer, type LapseServer } from '../../src/index.js';

/**
 * Expired events on time, as a web app sees them with ioredis: session keys with a TTL,
 * a subscriber to __keyevent@0__:expired. lapse's timer wheel reclaims a key at its
 * deadline and publishes the event then, so the event arrives within TOLERANCE_MS of
 * the deadline (Redis's active expiry may take seconds).
 *
 * A key's deadline is only known to lie between the SET's send time + TTL and its reply
 * time + TTL (the server takes the time while running it), so an event must arrive no
 * earlier than send + TTL and no later than reply + TTL + TOLERANCE_MS.
 */

/** How late an expired event may arrive after the key's deadline, in ms. */
const TOLERANCE_MS = 50;

let server: LapseServer;
let port = 0;

beforeAll(async () => {
  server = createServer({ port: 0, bind: '127.0.0.1' });
  port = (await server.listen()).port;
});
afterAll(() => server.close());

function connect(): Promise<IORedis> {
  const r = new IORedis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  return r.connect().then(() => r);
}

describe('expired keyspace events with ioredis', () => {
  test(`a session key with PX 300 expires and is announced within ${TOLERANCE_MS} ms of its deadline`, async () => {
    const r = await connect();
    const sub = await connect();
    try {
      expect(await r.config('SET', 'notify-keyspace-events', 'Ex')).toBe('OK');
      const events: { key: string; at: number }[] = [];
      sub.on('message', (channel: string, key: string) => {
        if (channel === '__keyevent@0__:expired') events.push({ key, at: Date.now() });
      });
      expect(await sub.subscribe('__keyevent@0__:expired')).toBe(1);

      const sent = Date.now();
      expect(await r.set('sess:abc', JSON.stringify({ user: 42 }), 'PX', 300)).toBe('OK');
      const replied = Date.now();
      while (events.length === 0 && Date.now() < replied + 300 + 1000) await sleep(2);

      expect(events.map((e) => e.key)).toEqual(['sess:abc']);
      const at = events[0]!.at;
      expect(at - sent, 'not before the deadline').toBeGreaterThanOrEqual(300);
      expect(at - (replied + 300), `within ${TOLERANCE_MS} ms of the deadline`).toBeLessThan(TOLERANCE_MS);
      // Reclaimed, not merely hidden: nothing is left past its deadline.
      expect(await r.exists('sess:abc')).toBe(0);
      const info = await r.info('stats');
      expect(info).toMatch(/\r\nexpired_keys_past_deadline:0\r\n/);
      expect(Number(/\r\nexpired_reclaim_lag_max_ms:(\d+)\r\n/.exec(info)![1])).toBeLessThan(TOLERANCE_MS);
    } finally {
      r.disconnect();
      sub.disconnect();
    }
  });

  test('many sessions with staggered TTLs: each event on time, in deadline order', async () => {
    const r = await connect();
    const sub = await connect();
    try {
      await r.config('SET', 'notify-keyspace-events', 'Ex');
      const events = new Map<string, number>();
      const order: string[] = [];
      sub.on('message', (_channel: string, key: string) => {
        events.set(key, Date.now());
        order.push(key);
      });
      await sub.subscribe('__keyevent@0__:expired');
      const windows = new Map<string, [number, number, number]>();
      for (let i = 0; i < 20; i++) {
        const key = `sess:${i}`;
        const ttl = 100 + 15 * i;
        const sent = Date.now();
        await r.set(key, 'data', 'PX', ttl);
        windows.set(key, [sent, Date.now(), ttl]);
      }
      const last = Math.max(...[...windows.values()].map(([, replied, ttl]) => replied + ttl));
      while (events.size < 20 && Date.now() < last + 1000) await sleep(2);
      expect(events.size).toBe(20);
      for (const [key, [sent, replied, ttl]] of windows) {
        const at = events.get(key)!;
        expect(at - sent, `${key} not early`).toBeGreaterThanOrEqual(ttl);
        expect(at - (replied + ttl), `${key} within ${TOLERANCE_MS} ms`).toBeLessThan(TOLERANCE_MS);
      }
      // 15 ms apart, each key fires before the next one's deadline.
      expect(order).toEqual([...windows.keys()]);
    } finally {
      r.disconnect();
      sub.disconnect();
    }
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
