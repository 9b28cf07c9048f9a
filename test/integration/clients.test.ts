import { describe, expect, test } from 'vitest';
import { Redis as IORedis } from 'ioredis';
import { createClient, RESP_TYPES } from 'redis';
import { suiteServer } from '../helpers/suite-server.js';

/**
 * The two Node clients a web app uses, against an in-process lapse: connect (with their
 * HELLO 3 / CLIENT SETINFO / INFO ready-check handshakes), pipeline, binary values,
 * expiry, SCAN iteration.
 */
const lapse = suiteServer();

describe('ioredis', () => {
  test('connects (HELLO 3, ready check), reads and writes, pipelines, binary values', async () => {
    const r = new IORedis({ port: lapse.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await r.connect();
      expect(r.status).toBe('ready');
      expect(await r.ping()).toBe('PONG');
      expect(await r.set('io:k', 'v', 'EX', 100)).toBe('OK');
      expect(await r.get('io:k')).toBe('v');
      const ttl = await r.ttl('io:k');
      expect(ttl).toBeGreaterThan(98);
      expect(ttl).toBeLessThanOrEqual(100);

      const binary = Buffer.from([0, 1, 2, 13, 10, 0xff, 0xfe, 0x80, 0]);
      await r.set(Buffer.from([0xff, 0, 0x0d]), binary);
      expect(await r.getBuffer(Buffer.from([0xff, 0, 0x0d]))).toEqual(binary);

      const p = r.pipeline();
      for (let i = 0; i < 1000; i++) p.set(`io:p:${i}`, String(i));
      for (let i = 0; i < 1000; i++) p.get(`io:p:${i}`);
      const results = await p.exec();
      expect(results).toHaveLength(2000);
      for (let i = 0; i < 1000; i++) expect(results![1000 + i]).toEqual([null, String(i)]);

      expect(await r.mget('io:p:1', 'missing', 'io:p:2')).toEqual(['1', null, '2']);
      expect(await r.incrby('io:n', 5)).toBe(5);
      expect(await r.del('io:n', 'io:k')).toBe(2);
      expect(await r.exists('io:n')).toBe(0);
      await expect(r.call('NOSUCHCOMMAND')).rejects.toThrow(/unknown command/);
    } finally {
      r.disconnect();
    }
  });

  test('scanStream visits every key once', async () => {
    const r = new IORedis({ port: lapse.port, host: '127.0.0.1' });
    try {
      for (let i = 0; i < 500; i++) await r.set(`scan:${i}`, '1');
      const seen: string[] = [];
      await new Promise<void>((resolve, reject) => {
        const s = r.scanStream({ match: 'scan:*', count: 37 });
        s.on('data', (keys: string[]) => seen.push(...keys));
        s.on('end', () => resolve());
        s.on('error', reject);
      });
      expect(seen).toHaveLength(500);
      expect(new Set(seen).size).toBe(500);
    } finally {
      r.disconnect();
    }
  });

  test('RESP2 mode (protocol: 2) works too', async () => {
    const r = new IORedis({ port: lapse.port, host: '127.0.0.1', protocol: 2 });
    try {
      expect(await r.set('io2:k', 'v')).toBe('OK');
      expect(await r.get('io2:k')).toBe('v');
      expect(await r.get('io2:missing')).toBe(null);
    } finally {
      r.disconnect();
    }
  });
});

describe('node-redis', () => {
  test('connects (HELLO 3, CLIENT SETINFO), reads and writes, pipelines, binary values', async () => {
    const c = createClient({ socket: { port: lapse.port, host: '127.0.0.1', reconnectStrategy: false } });
    c.on('error', () => {});
    await c.connect();
    try {
      expect(await c.ping()).toBe('PONG');
      expect(await c.set('nr:k', 'v', { expiration: { type: 'PX', value: 100_000 } })).toBe('OK');
      expect(await c.get('nr:k')).toBe('v');
      const pttl = await c.pTTL('nr:k');
      expect(pttl).toBeGreaterThan(99_000);

      // A pipeline (not a transaction) of many commands.
      const pipeline = c.multi();
      for (let i = 0; i < 100; i++) pipeline.set(`nr:p:${i}`, String(i));
      pipeline.get('nr:p:99');
      const replies = await pipeline.execAsPipeline();
      expect(replies).toHaveLength(101);
      expect(replies[100]).toBe('99');

      const binary = Buffer.from([0, 0xff, 13, 10, 0x80]);
      await c.set('nr:bin', binary);
      const back = await c.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }).get('nr:bin');
      expect(Buffer.isBuffer(back) && Buffer.compare(back, binary)).toBe(0);

      const keys: string[] = [];
      for (let i = 0; i < 300; i++) await c.set(`nr:scan:${i}`, '1');
      for await (const batch of c.scanIterator({ MATCH: 'nr:scan:*', COUNT: 50 })) keys.push(...batch);
      expect(keys).toHaveLength(300);
      expect(new Set(keys).size).toBe(300);
    } finally {
      c.destroy();
    }
  });
});
