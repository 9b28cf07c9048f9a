import { describe, expect, test } from 'vitest';
import { Redis as IORedis } from 'ioredis';
import { createClient } from 'redis';
import { suiteServer } from '../helpers/suite-server.js';

/**
 * SORT and SORT_RO through the two Node clients a web app uses, against an in-process
 * lapse: ioredis's sort/sort_ro helpers (raw argument lists) and node-redis's typed
 * SORT, SORT_RO and SORT ... STORE (sortStore), in RESP2 and RESP3, and in MULTI.
 */
const lapse = suiteServer();

describe('ioredis', () => {
  test('sort, sort_ro, STORE, GET with hash fields, in a pipeline and MULTI', async () => {
    const r = new IORedis({ port: lapse.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
    try {
      await r.rpush('io:ids', '3', '1', '2');
      await r.mset('io:w_1', '30', 'io:w_2', '10', 'io:w_3', '20');
      await r.hset('io:user:1', 'name', 'ann');
      await r.hset('io:user:2', 'name', 'bob');
      expect(await r.sort('io:ids')).toEqual(['1', '2', '3']);
      expect(await r.sort('io:ids', 'DESC')).toEqual(['3', '2', '1']);
      expect(await r.sort('io:ids', 'BY', 'io:w_*', 'GET', '#', 'GET', 'io:user:*->name')).toEqual(['2', 'bob', '3', null, '1', 'ann']);
      expect(await r.sort('io:ids', 'BY', 'nosort', 'LIMIT', '1', '5')).toEqual(['1', '2']);
      expect(await r.call('SORT_RO', 'io:ids', 'ALPHA', 'DESC', 'LIMIT', '0', '1')).toEqual(['3']);
      expect(await r.sort('io:ids', 'BY', 'io:w_*', 'STORE', 'io:sorted')).toBe(3);
      expect(await r.lrange('io:sorted', 0, -1)).toEqual(['2', '3', '1']);
      // ioredis's typed sort_ro accepts few option orders: raw calls.
      await expect(r.call('SORT_RO', 'io:ids', 'STORE', 'x')).rejects.toThrow('ERR syntax error');
      await r.set('io:str', 'x');
      await expect(r.sort('io:str')).rejects.toThrow(/WRONGTYPE/);
      await r.rpush('io:bad', '1', 'x');
      await expect(r.sort('io:bad')).rejects.toThrow("ERR One or more scores can't be converted into double");
      const [[, piped]] = (await r.pipeline().sort('io:bad', 'ALPHA').exec())!;
      expect(piped).toEqual(['1', 'x']);
      const res = await r.multi().zadd('io:z', 2, 'b', 1, 'a').sort('io:z', 'BY', 'nosort', 'DESC').exec();
      expect(res![1]).toEqual([null, ['b', 'a']]);
    } finally {
      r.disconnect();
    }
  });
});

describe('node-redis', () => {
  for (const RESP of [2, 3] as const) {
    test(`sort, sortRo, sortStore with typed options (RESP${RESP})`, async () => {
      const c = createClient({ RESP, socket: { port: lapse.port, host: '127.0.0.1', reconnectStrategy: false } });
      await c.connect();
      try {
        const k = `nr${RESP}`;
        await c.sAdd(`${k}:set`, ['b', 'a', 'c']);
        await c.mSet([[`${k}:w_a`, '3'], [`${k}:w_b`, '1'], [`${k}:w_c`, '2']]);
        expect(await c.sort(`${k}:set`, { ALPHA: true })).toEqual(['a', 'b', 'c']);
        expect(await c.sort(`${k}:set`, { BY: `${k}:w_*`, DIRECTION: 'DESC' })).toEqual(['a', 'c', 'b']);
        expect(await c.sort(`${k}:set`, { BY: `${k}:w_*`, GET: ['#', `${k}:w_*`, `${k}:none_*`], LIMIT: { offset: 0, count: 1 } })).toEqual(['b', '1', null]);
        expect(await c.sortRo(`${k}:set`, { ALPHA: true, LIMIT: { offset: 1, count: 10 } })).toEqual(['b', 'c']);
        expect(await c.sortStore(`${k}:set`, `${k}:out`, { ALPHA: true, DIRECTION: 'DESC' })).toBe(3);
        expect(await c.lRange(`${k}:out`, 0, -1)).toEqual(['c', 'b', 'a']);
        expect(await c.sortStore(`${k}:missing`, `${k}:out`)).toBe(0);
        expect(await c.exists(`${k}:out`)).toBe(0);
        const [sorted, stored] = await c.multi().sort(`${k}:set`, { ALPHA: true }).sortStore(`${k}:set`, `${k}:o2`, { ALPHA: true }).exec();
        expect(sorted).toEqual(['a', 'b', 'c']);
        expect(stored).toBe(3);
      } finally {
        await c.quit();
      }
    });
  }
});
