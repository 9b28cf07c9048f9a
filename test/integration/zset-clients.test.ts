import { describe, expect, test } from 'vitest';
import { Redis as IORedis } from 'ioredis';
import { createClient } from 'redis';
import { suiteServer } from '../helpers/suite-server.js';

/**
 * Sorted sets through the two Node clients a web app uses, against an in-process lapse:
 * their zset helpers, ioredis's zscanStream and node-redis's zScanIterator over a set
 * large enough to be walked in several calls (skiplist form).
 */
const lapse = suiteServer();

describe('ioredis', () => {
  test('ZADD family, ranges, pops, zscanStream', async () => {
    const r = new IORedis({ port: lapse.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await r.connect();
      expect(await r.zadd('io:z', 1, 'a', 2, 'b', 3, 'c')).toBe(3);
      expect(await r.zadd('io:z', 'GT', 'CH', 5, 'a')).toBe(1);
      expect(await r.zrange('io:z', '0', '-1', 'WITHSCORES')).toEqual(['b', '2', 'c', '3', 'a', '5']);
      expect(await r.zrangebyscore('io:z', '(2', '+inf', 'LIMIT', '0', '1')).toEqual(['c']);
      expect(await r.zincrby('io:z', 0.5, 'b')).toBe('2.5');
      expect(await r.zscore('io:z', 'b')).toBe('2.5');
      expect(await r.zrank('io:z', 'a')).toBe(2);
      expect(await r.zrevrank('io:z', 'a')).toBe(0);
      expect(await r.zcount('io:z', 2, 3)).toBe(2);
      expect(await r.zpopmin('io:z')).toEqual(['b', '2.5']);
      expect(await r.zrem('io:z', 'c', 'nope')).toBe(1);
      expect(await r.zcard('io:z')).toBe(1);
      expect(await r.zunionstore('io:u', 2, 'io:z', 'io:z', 'WEIGHTS', 1, 2)).toBe(1);
      expect(await r.zscore('io:u', 'a')).toBe('15');

      const args: (string | number)[] = [];
      for (let i = 0; i < 1000; i++) args.push(i, `member:${i}`);
      expect(await r.zadd('io:big', ...args)).toBe(1000);
      const seen = new Map<string, string>();
      await new Promise<void>((resolve, reject) => {
        const stream = r.zscanStream('io:big', { count: 50 });
        stream.on('data', (batch: string[]) => {
          for (let i = 0; i < batch.length; i += 2) seen.set(batch[i]!, batch[i + 1]!);
        });
        stream.on('end', resolve);
        stream.on('error', reject);
      });
      expect(seen.size).toBe(1000);
      expect(seen.get('member:777')).toBe('777');
    } finally {
      r.disconnect();
    }
  });
});

describe('node-redis', () => {
  test('zAdd, zRange with options, zScore, zIncrBy, zPopMin, zScanIterator', async () => {
    const c = createClient({ socket: { port: lapse.port, host: '127.0.0.1', reconnectStrategy: false } });
    c.on('error', () => {});
    await c.connect();
    try {
      expect(await c.zAdd('nr:z', [{ score: 1, value: 'a' }, { score: 2, value: 'b' }, { score: 3, value: 'c' }])).toBe(3);
      expect(await c.zRange('nr:z', 0, -1)).toEqual(['a', 'b', 'c']);
      expect(await c.zRange('nr:z', '+inf', '(1', { BY: 'SCORE', REV: true, LIMIT: { offset: 0, count: 1 } })).toEqual(['c']);
      expect(await c.zRangeWithScores('nr:z', 0, 0)).toEqual([{ value: 'a', score: 1 }]);
      expect(Number(await c.zScore('nr:z', 'b'))).toBe(2);
      expect(Number(await c.zIncrBy('nr:z', 10, 'a'))).toBe(11);
      expect(await c.zRank('nr:z', 'a')).toBe(2);
      expect(await c.zCard('nr:z')).toBe(3);
      const popped = await c.zPopMin('nr:z');
      expect(popped).toEqual({ value: 'b', score: 2 });
      expect(await c.zRem('nr:z', ['c'])).toBe(1);

      const members = Array.from({ length: 600 }, (_, i) => ({ score: i / 4, value: `m${i}` }));
      expect(await c.zAdd('nr:big', members)).toBe(600);
      const seen = new Map<string, number>();
      for await (const batch of c.zScanIterator('nr:big', { COUNT: 40 })) {
        const items = (Array.isArray(batch) ? batch : [batch]) as { value: string; score: number }[];
        for (const { value, score } of items) seen.set(value, Number(score));
      }
      expect(seen.size).toBe(600);
      expect(seen.get('m599')).toBe(149.75);
    } finally {
      await c.quit();
    }
  });
});
